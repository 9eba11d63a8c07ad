"""Renders the openedx_config role with real Ansible templating (connection local, no podman) for every release in
the catalog and every search engine, then checks the YAML lands where edx-platform's production settings read it."""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[1]
CATALOG = yaml.safe_load((REPO / "openedx_deploy" / "data" / "releases.yml").read_text())["openedx_releases"]
ENGINES = ("meilisearch", "elasticsearch", "opensearch")
STORAGE_BACKENDS = ("s3", "gcs", "azure", "filesystem")
LMS_QUEUES = ["edx.lms.core.default", "edx.lms.core.high", "edx.lms.core.high_mem"]
CMS_QUEUES = ["edx.cms.core.default", "edx.cms.core.high", "edx.cms.core.low"]

# Test secrets, fake on purpose; each is distinct so an assertion can tell which one landed where.
REDIS_PASSWORD = "fake-redis-pw_1234"
MYSQL_PASSWORD = "fake-mysql-app-pw"
MYSQL_READONLY_PASSWORD = "fake-mysql-ro-pw"
MONGODB_PASSWORD = "fake-mongo-pw"
LMS_SECRET = "fake-lms-secret-key-0123456789abcdef"
CMS_SECRET = "fake-cms-secret-key-0123456789abcdef"


def ansible_bin(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found next to {sys.executable} nor on PATH: install the `ansible` package")
    return found


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rsa_private_jwk() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_numbers()
    pub = priv.public_numbers
    return {
        "kty": "RSA",
        "kid": "openedx",
        "e": _b64(pub.e),
        "n": _b64(pub.n),
        "d": _b64(priv.d),
        "p": _b64(priv.p),
        "q": _b64(priv.q),
        "dp": _b64(priv.dmp1),
        "dq": _b64(priv.dmq1),
        "qi": _b64(priv.iqmp),
    }


JWK = rsa_private_jwk()


def case_vars(release: str, engine: str, storage: str, out: Path) -> dict[str, Any]:
    info = CATALOG[release]
    # Teak keeps its forum in MongoDB, so it always gets MongoDB; the others alternate with and without it.
    with_mongodb = info["forum_backend"] == "mongodb" or engine == "elasticsearch"
    search_url = "http://10.0.0.7:7700" if engine == "meilisearch" else "https://10.0.0.7:9200"
    return {
        "openedx_config_dir": str(out),
        "openedx_config_owner": _current_user(),
        "openedx_config_group": _current_group(),
        "openedx_config_release": release,
        "openedx_config_forum_backend": info["forum_backend"],
        "openedx_config_lms_domain": "learn.example.test",
        "openedx_config_studio_domain": "studio.example.test",
        "openedx_config_mfe_domain": "apps.example.test",
        "openedx_config_lms_secret_key": LMS_SECRET,
        "openedx_config_cms_secret_key": CMS_SECRET,
        "openedx_config_jwt_private_key": json.dumps(JWK),
        "openedx_config_oauth_studio_sso_secret": "fake-sso-secret",
        "openedx_config_mysql_host": "10.0.0.5",
        "openedx_config_mysql_password": MYSQL_PASSWORD,
        "openedx_config_mysql_readonly_password": MYSQL_READONLY_PASSWORD,
        "openedx_config_redis_host": "10.0.0.6",
        "openedx_config_redis_username": "openedx",
        "openedx_config_redis_password": REDIS_PASSWORD,
        "openedx_config_require_mongodb": with_mongodb,
        "openedx_config_mongodb_hosts": ["10.0.0.8", "10.0.0.9"] if with_mongodb else [],
        "openedx_config_mongodb_replica_set": "rs0" if with_mongodb else "",
        "openedx_config_mongodb_password": MONGODB_PASSWORD if with_mongodb else "",
        "openedx_config_search_engine": engine,
        "openedx_config_search_url": search_url,
        "openedx_config_search_api_key": "fake-search-key",
        "openedx_config_storage_backend": storage,
        "openedx_config_storage_uploads_bucket": "demo-uploads",
        "openedx_config_storage_exports_bucket": "demo-exports",
        "openedx_config_storage_grades_bucket": "demo-grades",
        "openedx_config_storage_region": "us-east-1",
        "openedx_config_storage_gcp_project": "demo-project",
        "openedx_config_storage_azure_account_name": "demoaccount",
        "openedx_config_lms_extra": {"EXTRA_FLAG": True},
        # A CDN in front of /static/ and /media/ (the stack's cdn output) on the clouds' S3 and Azure cases.
        **(
            {"openedx_config_static_url_base": CDN_STATIC, "openedx_config_media_url_base": CDN_MEDIA}
            if storage in CDN_STORAGE
            else {}
        ),
    }


# The stack's cdn output as group_vars map it (docs/cdn.md), for the cases whose storage is one of CDN_STORAGE.
CDN_STATIC = "https://d111111abcdef8.cloudfront.net/static/"
CDN_MEDIA = "https://d111111abcdef8.cloudfront.net/media/"
CDN_STORAGE = ("s3", "azure")


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _current_group() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


def write_playbook(directory: Path, cases: dict[str, dict[str, Any]]) -> Path:
    """One play over one local "host" per case, so the cases render in parallel forks."""
    inventory = {
        "all": {
            "hosts": {
                name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **variables}
                for name, variables in cases.items()
            }
        }
    }
    (directory / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    play = [
        {
            "name": "Render the Open edX settings",
            "hosts": "all",
            "gather_facts": False,
            "roles": ["openedx_config"],
            # Stands in for the service roles' handlers; leaves a marker the test reads.
            "handlers": [
                {
                    "name": "Record the settings change",
                    "listen": "openedx config changed",
                    "ansible.builtin.copy": {
                        "content": "notified\n",
                        "dest": "{{ openedx_config_dir }}/notified",
                        "mode": "0600",
                    },
                }
            ],
        }
    ]
    playbook = directory / "render.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    return playbook


def run_playbook(playbook: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        ANSIBLE_ROLES_PATH=str(REPO / "roles"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORKS="10",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_HOST_KEY_CHECKING="false",
    )
    inventory = playbook.parent / "inventory.yml"
    return subprocess.run(
        [ansible_bin("ansible-playbook"), "-i", str(inventory), str(playbook), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


CASES = [
    (release, engine, STORAGE_BACKENDS[i % len(STORAGE_BACKENDS)])
    for i, (release, engine) in enumerate(itertools.product(sorted(CATALOG), ENGINES))
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], dict[str, Any]]:
    root = tmp_path_factory.mktemp("openedx_config")
    cases = {f"{r}-{e}-{s}": case_vars(r, e, s, root / f"{r}-{e}-{s}") for r, e, s in CASES}
    result = run_playbook(write_playbook(root, cases))
    assert result.returncode == 0, result.stdout + result.stderr
    out = {}
    for (r, e, s), (name, variables) in zip(CASES, cases.items(), strict=True):
        d = Path(variables["openedx_config_dir"])
        out[(r, e, s)] = {
            "vars": variables,
            "dir": d,
            "lms": yaml.safe_load((d / "lms.yml").read_text()),
            "cms": yaml.safe_load((d / "cms.yml").read_text()),
            "lms_text": (d / "lms.yml").read_text(),
            "name": name,
        }
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_databases_and_secrets_land_where_edx_platform_reads_them(rendered, case):
    r = rendered[case]
    for service, secret in (("lms", LMS_SECRET), ("cms", CMS_SECRET)):
        cfg = r[service]
        db = cfg["DATABASES"]["default"]
        assert db["ENGINE"] == "django.db.backends.mysql"
        assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("10.0.0.5", 3306, "openedx", "openedx")
        assert db["PASSWORD"] == MYSQL_PASSWORD
        replica = cfg["DATABASES"]["read_replica"]
        assert (replica["USER"], replica["PASSWORD"]) == ("openedx_readonly", MYSQL_READONLY_PASSWORD)
        assert cfg["SECRET_KEY"] == secret
    # Studio must not be able to impersonate the LMS.
    assert LMS_SECRET not in (r["dir"] / "cms.yml").read_text()
    assert "JWT_PRIVATE_SIGNING_JWK" not in r["cms"]["JWT_AUTH"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_redis_password_reaches_broker_and_caches(rendered, case):
    for service in ("lms", "cms"):
        cfg = rendered[case][service]
        assert cfg["CELERY_BROKER_TRANSPORT"] == "redis"
        assert cfg["CELERY_BROKER_HOSTNAME"] == "10.0.0.6:6379"
        assert cfg["CELERY_BROKER_USER"] == "openedx"
        assert cfg["CELERY_BROKER_PASSWORD"] == REDIS_PASSWORD
        assert cfg["CELERY_BROKER_VHOST"] == "0"
        # The URL edx-platform's production.py assembles from these parts.
        broker_url = _broker_url(cfg)
        assert broker_url == f"redis://openedx:{REDIS_PASSWORD}@10.0.0.6:6379/0"
        for alias in ("default", "general", "celery", "course_structure_cache", "staticfiles"):
            cache = cfg["CACHES"][alias]
            assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
            assert cache["LOCATION"] == f"redis://openedx:{REDIS_PASSWORD}@10.0.0.6:6379/1"
            assert cache["KEY_PREFIX"] == alias


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_celery_queues_match_design(rendered, case):
    lms, cms = rendered[case]["lms"], rendered[case]["cms"]
    assert lms["CELERY_QUEUES"] == LMS_QUEUES
    assert lms["CELERY_DEFAULT_QUEUE"] == "edx.lms.core.default"
    assert cms["CELERY_QUEUES"] == CMS_QUEUES
    assert cms["CELERY_DEFAULT_QUEUE"] == "edx.cms.core.default"


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_mongodb_keys_only_when_configured(rendered, case):
    release, _, _ = case
    r = rendered[case]
    configured = bool(r["vars"]["openedx_config_mongodb_hosts"])
    forum_mongo = CATALOG[release]["forum_backend"] == "mongodb"
    for service in ("lms", "cms"):
        cfg = r[service]
        for key in ("DOC_STORE_CONFIG", "CONTENTSTORE", "MODULESTORE"):
            assert (key in cfg) is configured, f"{key} in {service}: expected {configured}"
        assert ("FORUM_MONGODB_CLIENT_PARAMETERS" in cfg) is forum_mongo
        if configured:
            doc = cfg["DOC_STORE_CONFIG"]
            assert (doc["host"], doc["replicaSet"], doc["password"]) == (
                ["10.0.0.8", "10.0.0.9"],
                "rs0",
                MONGODB_PASSWORD,
            )
            split = cfg["MODULESTORE"]["default"]["OPTIONS"]["stores"][0]
            assert split["DOC_STORE_CONFIG"] == doc
            assert cfg["CONTENTSTORE"]["DOC_STORE_CONFIG"] == doc
        else:
            assert MONGODB_PASSWORD not in r["lms_text"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_search_settings_per_engine(rendered, case):
    _, engine, _ = case
    for service in ("lms", "cms"):
        cfg = rendered[case][service]
        if engine == "meilisearch":
            assert cfg["SEARCH_ENGINE"] == "search.meilisearch.MeilisearchEngine"
            assert cfg["MEILISEARCH_ENABLED"] is True
            assert cfg["MEILISEARCH_URL"] == "http://10.0.0.7:7700"
            assert cfg["MEILISEARCH_API_KEY"] == "fake-search-key"
            assert cfg["MEILISEARCH_INDEX_PREFIX"] == "openedx_"
            assert "ELASTIC_SEARCH_CONFIG" not in cfg
        else:
            assert cfg["SEARCH_ENGINE"] == "search.elastic.ElasticSearchEngine"
            assert cfg["MEILISEARCH_ENABLED"] is False
            expected = [{"host": "10.0.0.7", "port": 9200, "use_ssl": True, "http_auth": "fake-search-key"}]
            assert cfg["ELASTIC_SEARCH_CONFIG"] == expected
            assert cfg["ELASTIC_SEARCH_CONFIG_ES7"] == expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_storage_setting_shape_follows_release(rendered, case):
    release, _, storage = case
    backend = {
        "s3": "storages.backends.s3boto3.S3Boto3Storage",
        "gcs": "storages.backends.gcloud.GoogleCloudStorage",
        "azure": "storages.backends.azure_storage.AzureStorage",
        "filesystem": "django.core.files.storage.FileSystemStorage",
    }[storage]
    cfg = rendered[case]["lms"]
    if release == "teak":
        assert cfg["DEFAULT_FILE_STORAGE"] == backend
        assert "STORAGES" not in cfg
    else:
        # Django 5.2 refuses DEFAULT_FILE_STORAGE next to STORAGES.
        assert "DEFAULT_FILE_STORAGE" not in cfg
        assert cfg["STORAGES"]["default"]["BACKEND"] == backend
        assert cfg["STORAGES"]["staticfiles"]["BACKEND"] == "openedx.core.storage.ProductionStorage"
    if storage == "s3":
        assert cfg["AWS_STORAGE_BUCKET_NAME"] == "demo-uploads"
        assert cfg["COURSE_IMPORT_EXPORT_BUCKET"] == "demo-exports"
        assert cfg["GRADES_DOWNLOAD"]["STORAGE_KWARGS"]["bucket_name"] == "demo-grades"
    if storage == "azure":
        assert cfg["AZURE_CONTAINER"] == "demo-uploads"
        assert cfg["GRADES_DOWNLOAD"]["STORAGE_KWARGS"]["azure_container"] == "demo-grades"


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_hosts_urls_jwt_and_files(rendered, case):
    r = rendered[case]
    lms, cms = r["lms"], r["cms"]
    for cfg in (lms, cms):
        assert cfg["LMS_BASE"] == "learn.example.test" and cfg["CMS_BASE"] == "studio.example.test"
        assert cfg["LMS_ROOT_URL"] == "https://learn.example.test"
        assert cfg["CMS_ROOT_URL"] == "https://studio.example.test"
        assert cfg["SESSION_COOKIE_DOMAIN"] == ".example.test"
        assert "https://apps.example.test" in cfg["CORS_ORIGIN_WHITELIST"]
        assert "https://studio.example.test" in cfg["CSRF_TRUSTED_ORIGINS_WITH_SCHEME"]
        assert cfg["JWT_AUTH"]["JWT_ISSUER"] == "https://learn.example.test/oauth2"
        public = json.loads(cfg["JWT_AUTH"]["JWT_PUBLIC_SIGNING_JWK_SET"])
        assert public == {"keys": [{k: JWK[k] for k in ("kty", "kid", "e", "n")}]}
    assert "learn.example.test" in lms["ALLOWED_HOSTS"] and "studio.example.test" in cms["ALLOWED_HOSTS"]
    assert json.loads(lms["JWT_AUTH"]["JWT_PRIVATE_SIGNING_JWK"]) == JWK
    assert lms["LEARNING_MICROFRONTEND_URL"] == "https://apps.example.test/learning"
    assert cms["COURSE_AUTHORING_MICROFRONTEND_URL"] == "https://apps.example.test/authoring"
    assert lms["FEATURES"]["ENABLE_OAUTH2_PROVIDER"] is True
    assert lms["EXTRA_FLAG"] is True and "EXTRA_FLAG" not in cms
    assert lms["PLATFORM_NAME"] == "Open edX" and lms["TIME_ZONE"] == "UTC"
    assert lms["EMAIL_BACKEND"] == "django.core.mail.backends.dummy.EmailBackend"
    for name in ("lms.yml", "cms.yml"):
        assert oct((r["dir"] / name).stat().st_mode & 0o777) == "0o640"
    assert (r["dir"] / "notified").read_text() == "notified\n"


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_static_and_media_urls_point_at_the_cdn_when_there_is_one(rendered, case):
    """With the stack's cdn output, STATIC_URL_BASE is its static URL (lms/envs/production.py makes it the LMS's
    STATIC_URL, cms/envs/production.py appends studio/ for Studio's), and the filesystem media the proxy serves
    (profile images, video images and transcripts) is addressed through its media URL. Without one, neither is set
    and the media stays on /media/ of the services' own domains."""
    r = rendered[case]
    lms, cms = r["lms"], r["cms"]
    cdn = case[2] in CDN_STORAGE
    media = CDN_MEDIA if cdn else "/media/"
    for cfg in (lms, cms):
        if cdn:
            assert cfg["STATIC_URL_BASE"] == CDN_STATIC
        else:
            assert "STATIC_URL_BASE" not in cfg and "STATIC_URL" not in cfg
        for name in ("VIDEO_IMAGE_SETTINGS", "VIDEO_TRANSCRIPTS_SETTINGS"):
            assert cfg[name]["BASE_URL"] == media and cfg[name]["STORAGE_KWARGS"]["base_url"] == media, cfg[name]
        # MEDIA_ROOT stays the shared directory the CDN's origin (nginx) serves.
        assert cfg["MEDIA_ROOT"] == "/openedx/media/"
    assert lms["PROFILE_IMAGE_BACKEND"]["options"]["base_url"] == f"{media}profile-images/"


def test_preflight_refuses_a_cdn_url_that_is_not_absolute_https(tmp_path):
    result = _single_case(tmp_path, openedx_config_static_url_base="d111111abcdef8.cloudfront.net/static")
    assert result.returncode != 0
    assert 'must be "" or an https:// URL ending in /' in result.stdout, result.stdout[-3000:]


def _single_case(tmp_path: Path, **overrides: Any) -> subprocess.CompletedProcess[str]:
    variables = case_vars("ulmo", "meilisearch", "filesystem", tmp_path / "out") | overrides
    return run_playbook(write_playbook(tmp_path, {"one": variables}))


def test_preflight_refuses_missing_redis_password(tmp_path):
    result = _single_case(tmp_path, openedx_config_redis_password="")
    assert result.returncode != 0
    assert "Redis password" in result.stdout
    assert not (tmp_path / "out" / "lms.yml").exists()


def test_a_generated_redis_key_with_reserved_characters_survives_the_urls(tmp_path):
    """Azure Cache generates base64 access keys ("+", "/", "="): written percent-encoded, the URL edx-platform
    assembles from the parts, and the caches' LOCATION, give the key back once parsed (as kombu and redis-py do)."""
    from urllib.parse import unquote, urlsplit

    key = "Ab+cD/eF=gh1234567890ijklmnopqrstuv+w/xyz0="
    result = _single_case(tmp_path, openedx_config_redis_password=key, openedx_config_redis_username="")
    assert result.returncode == 0, result.stdout + result.stderr
    cfg = yaml.safe_load((tmp_path / "out" / "lms.yml").read_text())
    broker_url = _broker_url(cfg)
    for url in (broker_url, cfg["CACHES"]["default"]["LOCATION"]):
        parts = urlsplit(url)
        assert (parts.hostname, parts.port) == ("10.0.0.6", 6379), url
        assert unquote(parts.password or "") == key


def test_preflight_refuses_mongodb_forum_without_mongodb(tmp_path):
    result = _single_case(
        tmp_path,
        openedx_config_release="teak",
        openedx_config_forum_backend="mongodb",
        openedx_config_require_mongodb=False,
        openedx_config_mongodb_hosts=[],
    )
    assert result.returncode != 0
    assert "forum_backend mongodb" in result.stdout


def test_second_run_changes_nothing_and_logs_no_secret(tmp_path):
    first = _single_case(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_playbook(tmp_path / "render.yml", "--diff")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "changed=0" in second.stdout.split("PLAY RECAP", 1)[1], second.stdout
    for secret in (REDIS_PASSWORD, MYSQL_PASSWORD, LMS_SECRET, JWK["d"]):
        assert secret not in first.stdout + first.stderr + second.stdout + second.stderr


def test_changed_settings_are_announced_to_a_later_play(tmp_path):
    """A later play that applies the role again still notifies its own service handlers, while the settings are
    checked and rendered once per run (in the first play); a run with nothing to change announces nothing."""
    _single_case(tmp_path)
    (tmp_path / "out" / "lms.yml").write_text("stale: true\n")
    (tmp_path / "out" / "notified").unlink()
    play = yaml.safe_load((tmp_path / "render.yml").read_text())[0]
    later = dict(
        play,
        name="A later play",
        handlers=[
            dict(
                play["handlers"][0],
                **{
                    "ansible.builtin.copy": {
                        "content": "later\n",
                        "dest": "{{ openedx_config_dir }}/notified-later",
                        "mode": "0600",
                    }
                },
            )
        ],
    )
    (tmp_path / "render.yml").write_text(yaml.safe_dump([play, later], sort_keys=False))
    result = run_playbook(tmp_path / "render.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "notified").exists()
    assert (tmp_path / "out" / "notified-later").read_text() == "later\n"
    assert result.stdout.count("TASK [openedx_config : Render the LMS and Studio settings files]") == 1
    assert result.stdout.count("TASK [openedx_config : Check the secrets are present]") == 1
    (tmp_path / "out" / "notified-later").unlink()
    again = run_playbook(tmp_path / "render.yml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "changed=0" in again.stdout.split("PLAY RECAP", 1)[1], again.stdout
    assert not (tmp_path / "out" / "notified-later").exists()


def test_without_a_search_server_search_is_switched_off(tmp_path):
    """The local target offline has no search server: the settings say so instead of pointing nowhere."""
    result = _single_case(tmp_path, openedx_config_search_enabled=False, openedx_config_search_url="")
    assert result.returncode == 0, result.stdout + result.stderr
    lms = yaml.safe_load((tmp_path / "out" / "lms.yml").read_text())
    cms = yaml.safe_load((tmp_path / "out" / "cms.yml").read_text())
    assert lms["SEARCH_ENGINE"] is None and lms["MEILISEARCH_ENABLED"] is False
    assert lms["FEATURES"]["ENABLE_COURSEWARE_SEARCH"] is False and lms["FEATURES"]["ENABLE_DASHBOARD_SEARCH"] is False
    assert cms["FEATURES"]["ENABLE_COURSEWARE_INDEX"] is False
    assert "MEILISEARCH_URL" not in lms


def test_search_enabled_without_a_url_is_refused(tmp_path):
    result = _single_case(tmp_path, openedx_config_search_url="")
    assert result.returncode != 0
    assert "openedx_config_search_url" in result.stdout


def test_notes_on_with_its_urls_and_meilisearch_public_url_for_browsers(tmp_path):
    """With the notes API's public URL the LMS and Studio turn notes on; the LMS gets the public URL (browsers), the
    internal one (its own calls) and the OAuth application it signs the notes tokens for; browsers get Meilisearch's
    public URL, not the private server's (issue 11)."""
    result = _single_case(
        tmp_path,
        openedx_config_notes_public_url="https://notes.learn.example.test",
        openedx_config_notes_internal_url="http://127.0.0.1:8120",
        openedx_config_search_public_url="https://meilisearch.learn.example.test",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lms = yaml.safe_load((tmp_path / "out" / "lms.yml").read_text())
    cms = yaml.safe_load((tmp_path / "out" / "cms.yml").read_text())
    assert lms["FEATURES"]["ENABLE_EDXNOTES"] is True and cms["FEATURES"]["ENABLE_EDXNOTES"] is True
    assert lms["EDXNOTES_PUBLIC_API"] == "https://notes.learn.example.test/api/v1"
    assert lms["EDXNOTES_INTERNAL_API"] == "http://127.0.0.1:8120/api/v1"
    assert lms["EDXNOTES_CLIENT_NAME"] == "notes"
    for cfg in (lms, cms):
        assert cfg["MEILISEARCH_PUBLIC_URL"] == "https://meilisearch.learn.example.test"
        assert cfg["MEILISEARCH_URL"] == "http://10.0.0.7:7700"


def test_notes_stay_off_without_a_public_url(tmp_path):
    result = _single_case(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lms = yaml.safe_load((tmp_path / "out" / "lms.yml").read_text())
    assert lms["FEATURES"]["ENABLE_EDXNOTES"] is False
    assert not [key for key in lms if key.startswith("EDXNOTES_")]


RABBITMQ_PASSWORDS = {"lms": "fake-rabbitmq-lms-pw_123", "cms": "fake-rabbitmq-cms-pw_456"}


def _broker_url(cfg: dict) -> str:
    """BROKER_URL as edx-platform's lms/envs/production.py formats it from the CELERY_BROKER_* parts."""
    return "{}://{}:{}@{}/{}".format(
        cfg["CELERY_BROKER_TRANSPORT"],
        cfg["CELERY_BROKER_USER"],
        cfg["CELERY_BROKER_PASSWORD"],
        cfg["CELERY_BROKER_HOSTNAME"],
        cfg["CELERY_BROKER_VHOST"],
    )


def test_broker_rabbitmq_gives_each_service_an_amqp_url_to_the_vhost_as_its_own_user(tmp_path):
    """With broker rabbitmq the parts edx-platform's lms/envs/production.py formats into BROKER_URL
    (TRANSPORT://USER:PASSWORD@HOSTNAME/VHOST) give an AMQP URL whose path is the vhost, each service as its own user;
    the caches stay in Redis."""
    from urllib.parse import urlsplit

    result = _single_case(
        tmp_path,
        openedx_config_broker="rabbitmq",
        openedx_config_rabbitmq_host="10.0.0.11",
        openedx_config_rabbitmq_passwords=RABBITMQ_PASSWORDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for service in ("lms", "cms"):
        cfg = yaml.safe_load((tmp_path / "out" / f"{service}.yml").read_text())
        broker_url = _broker_url(cfg)
        assert broker_url == f"amqp://{service}:{RABBITMQ_PASSWORDS[service]}@10.0.0.11:5671/openedx"
        parts = urlsplit(broker_url)
        assert (parts.scheme, parts.hostname, parts.port, parts.path) == ("amqp", "10.0.0.11", 5671, "/openedx")
        assert cfg["CELERY_BROKER_USE_SSL"] is False
        other = "cms" if service == "lms" else "lms"
        assert RABBITMQ_PASSWORDS[other] not in (tmp_path / "out" / f"{service}.yml").read_text()
        assert cfg["CACHES"]["default"]["LOCATION"] == f"redis://openedx:{REDIS_PASSWORD}@10.0.0.6:6379/1"


def test_broker_rabbitmq_of_the_data_ca_is_reached_over_tls_that_verifies_it(tmp_path):
    """BROKER_USE_SSL as kombu hands it to py-amqp's socket wrapper (amqp/transport.py, _wrap_socket_sni): the CA
    file the containers mount, the certificate required, and the broker's address as the name to check."""
    import ssl

    from openedx_deploy import secrets

    _, ca_cert = secrets.split_data_ca(secrets.generate_data_ca())
    result = _single_case(
        tmp_path,
        openedx_config_broker="rabbitmq",
        openedx_config_rabbitmq_host="10.0.0.11",
        openedx_config_rabbitmq_passwords=RABBITMQ_PASSWORDS,
        openedx_config_data_ca_cert=ca_cert,
        openedx_config_data_ca_stores=["mysql", "redis", "rabbitmq"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for service in ("lms", "cms"):
        cfg = yaml.safe_load((tmp_path / "out" / f"{service}.yml").read_text())
        assert (cfg["CELERY_BROKER_TRANSPORT"], cfg["CELERY_BROKER_HOSTNAME"]) == ("amqp", "10.0.0.11:5671")
        expected = {"ca_certs": "/openedx/config/data-ca.pem", "cert_reqs": 2, "server_hostname": "10.0.0.11"}
        assert cfg["BROKER_USE_SSL"] == cfg["CELERY_BROKER_USE_SSL"] == expected
        assert expected["cert_reqs"] == ssl.CERT_REQUIRED
        # The caches stay in Redis, over their own TLS.
        assert cfg["CACHES"]["default"]["LOCATION"].startswith("rediss://")


def test_amazon_mq_is_one_user_on_the_default_vhost_verified_against_the_system_bundle(tmp_path):
    """Amazon MQ (rabbitmq.mode managed; docs/rabbitmq.md): both services log in as its one user; the URL's path "/"
    after the hostname makes the vhost "/" (edx-platform joins HOSTNAME and VHOST with "/", so the URL ends in "//",
    which kombu reads as the default vhost); py-amqp verifies the endpoint name against the image's system bundle."""
    endpoint = "b-6f1c2e3d-4a5b-4c6d-8e9f-0a1b2c3d4e5f.mq.us-east-1.on.aws"
    password = "fake-amazon-mq-pw_789"
    result = _single_case(
        tmp_path,
        openedx_config_broker="rabbitmq",
        openedx_config_rabbitmq_host=endpoint,
        openedx_config_rabbitmq_vhost="/",
        openedx_config_rabbitmq_users={"lms": "openedx", "cms": "openedx"},
        openedx_config_rabbitmq_passwords={"lms": password, "cms": password},
        openedx_config_rabbitmq_ca="public",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for service in ("lms", "cms"):
        cfg = yaml.safe_load((tmp_path / "out" / f"{service}.yml").read_text())
        broker_url = _broker_url(cfg)
        assert broker_url == f"amqp://openedx:{password}@{endpoint}:5671//"
        kombu_utils_url = pytest.importorskip("kombu.utils.url", reason="kombu parses the URL as the workers do")
        parsed = kombu_utils_url.parse_url(broker_url)
        assert (parsed["hostname"], parsed["port"], parsed["virtual_host"]) == (endpoint, 5671, "/")
        expected = {"ca_certs": "/etc/ssl/certs/ca-certificates.crt", "cert_reqs": 2, "server_hostname": endpoint}
        assert cfg["BROKER_USE_SSL"] == cfg["CELERY_BROKER_USE_SSL"] == expected


def test_preflight_refuses_broker_rabbitmq_without_its_host_or_passwords(tmp_path):
    result = _single_case(
        tmp_path, openedx_config_broker="rabbitmq", openedx_config_rabbitmq_passwords={"lms": "x" * 20}
    )
    assert result.returncode != 0
    assert "Broker rabbitmq needs" in result.stdout
    assert not (tmp_path / "out" / "lms.yml").exists()


def test_self_hosted_stores_are_reached_over_tls_that_verifies_the_data_ca(tmp_path):
    """With the data stores' CA (docs/security.md, "TLS to the data stores"): MySQL through mysqlclient's ssl_mode
    VERIFY_IDENTITY and ssl.ca, Redis through rediss:// URLs and BROKER_USE_SSL that make redis-py require the
    server's certificate, chained to the CA and naming the address; the CA file lands where the containers mount it
    from, and nothing of the CA's key does."""
    from urllib.parse import urlsplit

    redis_connection = pytest.importorskip("redis.connection", reason="redis-py parses the URLs as the image does")
    from openedx_deploy import secrets

    ca_key, ca_cert = secrets.split_data_ca(secrets.generate_data_ca())
    result = _single_case(
        tmp_path,
        openedx_config_data_ca_cert=ca_cert,
        openedx_config_data_ca_stores=["mysql", "redis"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "out"
    ca_file = out / "data-ca.pem"
    assert ca_file.read_text() == ca_cert
    assert ca_file.stat().st_mode & 0o777 == 0o644
    in_container = "/openedx/config/data-ca.pem"
    for service in ("lms", "cms"):
        text = (out / f"{service}.yml").read_text()
        assert "PRIVATE KEY" not in text and ca_key.splitlines()[1] not in text
        cfg = yaml.safe_load(text)
        for alias in ("default", "read_replica"):
            options = cfg["DATABASES"][alias]["OPTIONS"]
            assert options["ssl_mode"] == "VERIFY_IDENTITY", alias
            assert options["ssl"] == {"ca": in_container}, alias
        urls = [cache["LOCATION"] for cache in cfg["CACHES"].values()] + [cfg["EVENT_BUS_REDIS_CONNECTION_URL"]]
        for url in urls:
            assert urlsplit(url).scheme == "rediss", url
            kwargs = redis_connection.parse_url(url)
            assert kwargs["connection_class"] is redis_connection.SSLConnection, url
            assert kwargs["ssl_cert_reqs"] == "required", url
            assert kwargs["ssl_ca_certs"] == in_container, url
            assert str(kwargs["ssl_check_hostname"]).lower() == "true", url
        assert cfg["CELERY_BROKER_TRANSPORT"] == "rediss"
        for key in ("BROKER_USE_SSL", "CELERY_BROKER_USE_SSL"):
            assert cfg[key] == {"ssl_cert_reqs": "required", "ssl_ca_certs": in_container, "ssl_check_hostname": True}


def test_a_managed_redis_is_reached_over_tls_by_the_workers_too(tmp_path):
    """A managed Redis (ElastiCache, Azure Cache: endpoints.redis.tls) requires TLS. The caches reach it through
    rediss:// URLs; the Celery workers through kombu, which reads BROKER_USE_SSL: kombu's Redis transport builds
    redis-py's connection parameters from it, here with kombu's own code (Transport._connparams), and makes the
    connection TLS only when it is a dict (a bare `true` is silently plain text, and the server resets it: found by
    the simulated AWS `standard` run). Verified with the system's CAs, which the services' certificates chain to."""
    kombu_connection = pytest.importorskip("kombu.connection", reason="kombu builds the workers' connections")
    redis_connection = pytest.importorskip("redis.connection", reason="redis-py makes the connections")

    result = _single_case(tmp_path, openedx_config_redis_tls=True, openedx_config_redis_username="")
    assert result.returncode == 0, result.stdout + result.stderr
    for service in ("lms", "cms"):
        cfg = yaml.safe_load((tmp_path / "out" / f"{service}.yml").read_text())
        assert cfg["CACHES"]["default"]["LOCATION"].startswith("rediss://")
        assert (
            cfg["BROKER_USE_SSL"]
            == cfg["CELERY_BROKER_USE_SSL"]
            == {
                "ssl_cert_reqs": "required",
                "ssl_check_hostname": True,
            }
        )
        params = _kombu_redis_connparams(kombu_connection.Connection(_broker_url(cfg), ssl=cfg["BROKER_USE_SSL"]))
        assert params["connection_class"] is redis_connection.SSLConnection, params
        assert params["ssl_cert_reqs"] == "required"
        # What `true` would have made of it: no TLS.
        plain = _kombu_redis_connparams(kombu_connection.Connection(_broker_url(cfg), ssl=True))
        assert plain.get("connection_class", redis_connection.Connection) is redis_connection.Connection, plain


def test_a_managed_redis_with_its_own_ca_is_verified_against_it(tmp_path):
    """Memorystore's certificate chains to a per-instance CA, not to a public root (the stack's endpoints.redis.ca_cert,
    its server_ca_certs): the CA file the containers mount holds it after the data-store CA, and the caches and the
    broker verify Redis's chain against that file, its name unchecked (Memorystore documents none in it). With the
    system's CAs alone, every connection would fail verification (found reading; the simulated GCP `standard` run
    issues the server's certificate from such a CA, and trusts it nowhere else)."""
    from urllib.parse import urlsplit

    kombu_connection = pytest.importorskip("kombu.connection", reason="kombu builds the workers' connections")
    redis_connection = pytest.importorskip("redis.connection", reason="redis-py parses the URLs as the image does")
    from openedx_deploy import secrets

    _, data_ca = secrets.split_data_ca(secrets.generate_data_ca())
    _, memorystore_ca = secrets.split_data_ca(secrets.generate_data_ca("Memorystore per-instance CA"))
    result = _single_case(
        tmp_path,
        openedx_config_data_ca_cert=data_ca,
        openedx_config_data_ca_stores=["mongodb"],
        openedx_config_redis_tls=True,
        openedx_config_redis_username="",
        openedx_config_redis_tls_ca=memorystore_ca.strip(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "out"
    assert (out / "data-ca.pem").read_text() == data_ca + memorystore_ca
    in_container = "/openedx/config/data-ca.pem"
    expected = {"ssl_cert_reqs": "required", "ssl_ca_certs": in_container, "ssl_check_hostname": False}
    for service in ("lms", "cms"):
        cfg = yaml.safe_load((out / f"{service}.yml").read_text())
        urls = [cache["LOCATION"] for cache in cfg["CACHES"].values()] + [cfg["EVENT_BUS_REDIS_CONNECTION_URL"]]
        for url in urls:
            assert urlsplit(url).scheme == "rediss", url
            kwargs = redis_connection.parse_url(url)
            assert kwargs["connection_class"] is redis_connection.SSLConnection, url
            assert {key: kwargs[key] for key in expected} == expected, url
        assert cfg["BROKER_USE_SSL"] == cfg["CELERY_BROKER_USE_SSL"] == expected
        params = _kombu_redis_connparams(kombu_connection.Connection(_broker_url(cfg), ssl=cfg["BROKER_USE_SSL"]))
        assert params["connection_class"] is redis_connection.SSLConnection, params
        assert params["ssl_ca_certs"] == in_container

    # Its own CA without TLS, or something that is no certificate: refused before anything is written.
    for broken in ({"openedx_config_redis_tls": False}, {"openedx_config_redis_tls_ca": "not a certificate"}):
        (out / "lms.yml").unlink(missing_ok=True)
        refused = _single_case(
            tmp_path, **({"openedx_config_redis_tls": True, "openedx_config_redis_tls_ca": memorystore_ca} | broken)
        )
        assert refused.returncode != 0 and "openedx_config_redis_tls_ca must hold" in refused.stdout, broken
        assert not (out / "lms.yml").exists()


def _kombu_redis_connparams(client: Any) -> dict[str, Any]:
    """The redis-py connection parameters kombu's Redis transport builds for a Connection (its Channel._connparams,
    run on a stand-in for the channel: the transport's defaults, no server contacted)."""
    channel_class = client.transport.Channel
    channel = mock.Mock()
    for name in dir(channel_class):  # the class's settings (connection classes, timeouts): its defaults
        value = getattr(channel_class, name)
        if (not name.startswith("__") and not callable(value)) or name.startswith("connection_class"):
            setattr(channel, name, value)
    channel.connection = mock.Mock(client=client, default_port=6379)
    channel._filter_tcp_connparams = lambda **params: params
    return dict(channel_class._connparams(channel))


def _as_edx_platform_connects(doc_store: dict[str, Any]) -> dict[str, Any]:
    """The pymongo.MongoClient keyword arguments edx-platform builds from a DOC_STORE_CONFIG: the split modulestore
    (xmodule/modulestore/split_mongo/mongo_connection.py MongoPersistenceBackend) and the contentstore
    (xmodule/contentstore/mongo.py) take db, host, port, user, password and collection by name and hand the rest to
    xmodule/mongo_utils.py connect_to_mongodb, which turns authsource into authSource and a read_preference name into
    pymongo's constant, and passes every other key through to MongoClient."""
    import pymongo

    options = dict(doc_store)
    named = {key: options.pop(key, None) for key in ("db", "host", "port", "user", "password", "collection")}
    auth_source = options.pop("authsource", None) or options.pop("authSource", None) or named["db"]
    if "read_preference" in options:
        options["read_preference"] = getattr(pymongo.ReadPreference, options["read_preference"])
    if options.get("replicaSet") == "":
        options["replicaSet"] = None
    return {
        "host": named["host"],
        "port": named["port"] or 27017,
        "tz_aware": True,
        "document_class": dict,
        "w": 1,
        **options,
        "username": named["user"],
        "password": named["password"],
        "authSource": auth_source,
    }


def _mongodb_clients(cfg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every MongoClient the settings make, by where they come from: the modulestore, the contentstore (both through
    edx-platform's connect_to_mongodb) and, with the MongoDB forum backend, the forum (openedx/forum forum/mongo.py
    get_database: MongoClient(**FORUM_MONGODB_CLIENT_PARAMETERS))."""
    split = cfg["MODULESTORE"]["default"]["OPTIONS"]["stores"][0]["DOC_STORE_CONFIG"]
    clients = {
        "DOC_STORE_CONFIG": _as_edx_platform_connects(cfg["DOC_STORE_CONFIG"]),
        "MODULESTORE split": _as_edx_platform_connects(split),
        "CONTENTSTORE": _as_edx_platform_connects(cfg["CONTENTSTORE"]["DOC_STORE_CONFIG"]),
    }
    if "FORUM_MONGODB_CLIENT_PARAMETERS" in cfg:
        clients["FORUM_MONGODB_CLIENT_PARAMETERS"] = dict(cfg["FORUM_MONGODB_CLIENT_PARAMETERS"])
    return clients


def _teak_with_mongodb(**overrides: Any) -> dict[str, Any]:
    """Teak: course content and the forum in MongoDB (FORUM_MONGODB_CLIENT_PARAMETERS rendered too)."""
    return {
        "openedx_config_release": "teak",
        "openedx_config_forum_backend": "mongodb",
        "openedx_config_require_mongodb": True,
        "openedx_config_mongodb_hosts": ["10.0.0.8", "10.0.0.9"],
        "openedx_config_mongodb_replica_set": "rs0",
        "openedx_config_mongodb_password": MONGODB_PASSWORD,
        **overrides,
    }


def test_self_hosted_mongodb_is_reached_over_tls_that_verifies_the_data_ca(tmp_path):
    """With the data stores' CA and a self-hosted MongoDB (docs/security.md, "TLS to the data stores"): every client
    the settings make (modulestore, contentstore, forum) asks pymongo for TLS verified with the CA file the
    containers mount, and pymongo, given those options as edx-platform and the forum give them, accepts them (it
    raises on an unknown or conflicting option) and builds a context that requires the server's certificate and checks
    its host name."""
    import ssl

    pymongo = pytest.importorskip("pymongo", reason="pymongo reads the client options as the image does")
    from openedx_deploy import secrets

    ca_key, ca_cert = secrets.split_data_ca(secrets.generate_data_ca())
    result = _single_case(
        tmp_path,
        **_teak_with_mongodb(
            openedx_config_data_ca_cert=ca_cert, openedx_config_data_ca_stores=["mysql", "redis", "mongodb"]
        ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    in_container = "/openedx/config/data-ca.pem"
    host_copy = str(tmp_path / "out" / "data-ca.pem")
    for service in ("lms", "cms"):
        text = (tmp_path / "out" / f"{service}.yml").read_text()
        assert ca_key.splitlines()[1] not in text
        clients = _mongodb_clients(yaml.safe_load(text))
        assert set(clients) >= {"DOC_STORE_CONFIG", "MODULESTORE split", "CONTENTSTORE"}
        if service == "lms":
            assert "FORUM_MONGODB_CLIENT_PARAMETERS" in clients
        for where, options in clients.items():
            assert options["tls"] is True, (service, where)
            assert options["tlsCAFile"] == in_container, (service, where)
            assert "ssl" not in options, (service, where)  # pymongo refuses ssl and tls that disagree
            # pymongo reads the CA file when the client is made: the copy openedx_config wrote on the host.
            client = pymongo.MongoClient(**(options | {"tlsCAFile": host_copy}), connect=False)
            try:
                context = client.options.pool_options._ssl_context
                assert context is not None, (service, where)
                assert context.verify_mode == ssl.CERT_REQUIRED, (service, where)
                assert context.check_hostname, (service, where)
            finally:
                client.close()


def test_mongodb_without_the_data_ca_keeps_its_options_and_pymongo_takes_them(tmp_path):
    """No CA (or a managed MongoDB, not in openedx_config_data_ca_stores): DOC_STORE_CONFIG keeps `ssl` and the
    forum `tls` from openedx_config_mongodb_ssl, no CA file is named, and pymongo accepts the options as they are."""
    pymongo = pytest.importorskip("pymongo", reason="pymongo reads the client options as the image does")

    result = _single_case(tmp_path, **_teak_with_mongodb())
    assert result.returncode == 0, result.stdout + result.stderr
    cfg = yaml.safe_load((tmp_path / "out" / "lms.yml").read_text())
    clients = _mongodb_clients(cfg)
    assert cfg["DOC_STORE_CONFIG"]["ssl"] is False
    assert cfg["FORUM_MONGODB_CLIENT_PARAMETERS"]["tls"] is False
    for where, options in clients.items():
        assert "tlsCAFile" not in options, where
        client = pymongo.MongoClient(**options, connect=False)
        try:
            assert client.options.pool_options._ssl_context is None, where
        finally:
            client.close()


def test_without_the_data_ca_the_stores_stay_as_they_were(tmp_path):
    result = _single_case(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    cfg = yaml.safe_load((tmp_path / "out" / "lms.yml").read_text())
    assert "ssl" not in cfg["DATABASES"]["default"]["OPTIONS"]
    assert cfg["CACHES"]["default"]["LOCATION"].startswith("redis://")
    assert cfg["BROKER_USE_SSL"] is False
    assert not (tmp_path / "out" / "data-ca.pem").exists()


def test_preflight_refuses_stores_verified_with_a_ca_it_was_not_given(tmp_path):
    result = _single_case(tmp_path, openedx_config_data_ca_stores=["mysql"])
    assert result.returncode != 0
    assert "openedx_config_data_ca_cert holds no PEM certificate" in result.stdout
