"""cms.envs.production of the Open edX contract test double: like edx-platform's, it reads the YAML in CMS_CFG."""

from openedx_double.config import load_config

CONFIG = load_config("cms")
