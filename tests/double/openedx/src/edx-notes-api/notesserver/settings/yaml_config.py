"""notesserver.settings.yaml_config of the contract test double: reads $EDXNOTES_CONFIG_ROOT/edx_notes_api.yml."""

from openedx_double.notes import load_notes_config

CONFIG = load_notes_config()
