"""Fast tests of how the MFEs are served: the Caddyfile roles/mfe mounts into the openedx-mfe image (which has no
configuration of its own), the contract test double reading it as the real image's Caddy would, and nginx sending
the MFEs' runtime-configuration API on the apps domain to the LMS (docs/conformance.md, issue 11).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_load_balancer import ROLES, nginx_site, render_template

DOUBLE_SRC = Path(__file__).parent / "double" / "openedx" / "src"
sys.path.insert(0, str(DOUBLE_SRC))

from openedx_double import mfe  # noqa: E402

DIST = DOUBLE_SRC / "mfe"


def caddyfile(**overrides: Any) -> str:
    return render_template("mfe", "Caddyfile.j2", overrides)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_caddyfile_listens_where_the_proxy_forwards_on_loopback() -> None:
    text = caddyfile()
    proxy = yaml.safe_load((ROLES / "proxy" / "defaults" / "main.yml").read_text())
    site = mfe.parse_caddyfile(text)
    assert f"127.0.0.1:{site.port}" == proxy["proxy_mfe_upstream"]
    assert site.bind == "127.0.0.1"
    # No admin API on the shared host network's localhost:2019.
    assert re.search(r"^\{\n(?:\s+#.*\n)*\s+admin off\n\}", text, re.M)


def test_caddyfile_serves_every_app_from_its_dist_directory_with_its_index_as_fallback() -> None:
    text = caddyfile()
    defaults = yaml.safe_load((ROLES / "mfe" / "defaults" / "main.yml").read_text())
    pattern = re.search(r"@mfe path_regexp mfe (\S+)", text).group(1)  # type: ignore[union-attr]
    for app in defaults["mfe_apps"]:
        assert re.match(pattern, f"/{app}/some/page").group(1) == app  # type: ignore[union-attr]
        assert re.match(pattern, f"/{app}").group(1) == app  # type: ignore[union-attr]
    assert not re.match(pattern, "/learningx/")
    assert "root * /openedx/dist\n        try_files {path} /{re.mfe.1}/index.html\n        file_server" in text


def test_caddyfile_port_and_bind_follow_the_role_variables() -> None:
    site = mfe.parse_caddyfile(caddyfile(mfe_port=9102, mfe_bind_address="10.0.0.4", mfe_apps=["learning"]))
    assert (site.port, site.bind) == (9102, "10.0.0.4")
    assert site.apps.match("/learning/x") and not site.apps.match("/authn/")


def test_unit_mounts_the_caddyfile_read_only_and_keeps_the_image_command() -> None:
    unit = render_template(
        "mfe", "mfe.service.j2", {"mfe_image": "docker.io/overhangio/openedx-mfe:21.0.0", "mfe_env": {}}
    )
    run = unit.split("ExecStart=", 1)[1].split("\nExecStop", 1)[0]
    assert "--volume /etc/openedx/mfe.Caddyfile:/etc/caddy/Caddyfile:ro \\" in run
    assert run.rstrip().endswith("docker.io/overhangio/openedx-mfe:21.0.0")


@pytest.mark.parametrize(
    ("path", "status", "served"),
    [
        ("/learning/", 200, "learning/index.html"),
        ("/learning", 200, "learning/index.html"),
        ("/learning/course/course-v1:a+b+c/home", 200, "learning/index.html"),
        ("/authn/login?next=/", 200, "authn/index.html"),
        ("/account/index.html", 200, "account/index.html"),
        ("/profile/u/someone", 404, None),  # an app the image lacks
        ("/", 404, None),  # no frontend-base site bundle before Verawood
        ("/heartbeat", 404, None),
        ("/learning/../index.html", 404, None),
    ],
)
def test_double_resolves_paths_like_the_caddyfile(path: str, status: int, served: str | None) -> None:
    site = mfe.parse_caddyfile(caddyfile())
    got_status, found = mfe.resolve(site, path, DIST)
    assert got_status == status
    assert found == (DIST / served if served else None)


def test_double_redirects_the_old_course_authoring_path() -> None:
    site = mfe.parse_caddyfile(caddyfile())
    assert mfe.resolve(site, "/course-authoring/course/x", DIST) == (301, "/authoring/course/x")


def test_double_serves_the_frontend_base_site_for_other_paths(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("site")
    site = mfe.parse_caddyfile(caddyfile())
    assert mfe.resolve(site, "/instructor-dashboard/x", tmp_path) == (200, tmp_path / "site" / "index.html")


def test_double_refuses_to_start_without_a_caddyfile(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(DOUBLE_SRC), "OPENEDX_DOUBLE_CADDYFILE": str(tmp_path / "Caddyfile")}
    result = subprocess.run(
        [sys.executable, "-m", "openedx_double.mfe"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "stock configuration (:80" in result.stderr
    (tmp_path / "Caddyfile").write_text(":80 {\n    file_server\n}\n")
    result = subprocess.run(
        [sys.executable, "-m", "openedx_double.mfe"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "no app would be served" in result.stderr


def test_double_answers_on_the_caddyfile_port() -> None:
    port = free_port()
    site = mfe.parse_caddyfile(caddyfile(mfe_port=port))
    thread = threading.Thread(target=mfe.serve, args=(site, DIST), daemon=True)
    thread.start()
    for _ in range(50):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/learning/", timeout=2) as response:
                assert response.status == 200
                assert "test double" in response.read().decode()
            break
        except urllib.error.URLError:
            threading.Event().wait(0.1)
    else:
        pytest.fail("the double's MFE server never answered")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing-here/", timeout=2)
    assert error.value.code == 404


def _server(config: str, domain: str) -> str:
    return next(block for block in config.split("\nserver {")[1:] if f"server_name {domain};" in block)


@pytest.mark.parametrize("tls_mode", ["cloud", "self_signed"])
def test_nginx_sends_the_mfe_config_api_on_the_apps_domain_to_the_lms(tls_mode: str) -> None:
    config = nginx_site(proxy_tls_mode=tls_mode, proxy_trusted_cidrs=["10.90.7.0/24"], ansible_facts={})
    apps = _server(config, "apps.example.org")
    for path in ("/api/mfe_config/", "/api/frontend_site_config/"):
        location = apps.split(f"location {path} {{", 1)[1].split("\n    }\n", 1)[0]
        assert "proxy_pass http://openedx_lms;" in location
        # The LMS's ALLOWED_HOSTS knows its own name only.
        assert re.findall(r"proxy_set_header Host (\S+);", location) == ["learn.example.org"]
        assert "include" not in location, "the shared headers would send a second Host"
        if tls_mode == "cloud":
            assert "return 301 https://$host$request_uri;" in location
    for domain in ("learn.example.org", "studio.example.org"):
        assert "/api/mfe_config/" not in _server(config, domain)


@pytest.mark.parametrize("tls_mode", ["cloud", "self_signed"])
def test_nginx_serves_the_images_static_files_on_the_lms_and_studio_domains(tls_mode: str) -> None:
    """What the image's uwsgi.ini does (static-map /static=/openedx/staticfiles/), from the copy the openedx_app role
    makes."""
    config = nginx_site(proxy_tls_mode=tls_mode, proxy_trusted_cidrs=["10.90.7.0/24"], ansible_facts={})
    for domain in ("learn.example.org", "studio.example.org"):
        location = _server(config, domain).split("location /static/ {", 1)[1].split("\n    }\n", 1)[0]
        assert "alias /var/lib/openedx-deploy/static/current/;" in location
        assert "proxy_pass" not in location
        if tls_mode == "cloud":
            assert "return 301 https://$host$request_uri;" in location
    assert "location /static/" not in _server(config, "apps.example.org")


def test_the_static_copy_is_where_nginx_reads_it() -> None:
    app = yaml.safe_load((ROLES / "openedx_app" / "defaults" / "main.yml").read_text())
    proxy = yaml.safe_load((ROLES / "proxy" / "defaults" / "main.yml").read_text())
    assert proxy["proxy_static_root"] == f"{app['openedx_app_static_root']}/current"
    tasks = (ROLES / "openedx_app" / "tasks" / "static.yml").read_text()
    # Dereferenced (-h): the image's deduplicating symlinks are absolute and would point nowhere on the host.
    copy = "--entrypoint tar\n      {{ openedx_app_image }} -C {{ openedx_app_container_static_root }} -chf - ."
    assert copy in tasks
    assert "--network none --security-opt=no-new-privileges --cap-drop=all" in tasks
    group_vars = (ROLES.parent / "playbooks" / "group_vars" / "all" / "main.yml").read_text()
    assert (
        "proxy_static_root: \"{{ openedx_app_static_root | default('/var/lib/openedx-deploy/static') }}/current\""
        in group_vars
    )


@pytest.mark.parametrize("tls_mode", ["cloud", "self_signed"])
def test_nginx_serves_the_shared_media_directory_on_the_lms_and_studio_domains(tls_mode: str) -> None:
    """What the image's uwsgi.ini does (static-map /media=/openedx/media/), from the host directory mounted there."""
    config = nginx_site(proxy_tls_mode=tls_mode, proxy_trusted_cidrs=["10.90.7.0/24"], ansible_facts={})
    for domain in ("learn.example.org", "studio.example.org"):
        location = _server(config, domain).split("location /media/ {", 1)[1].split("\n    }\n", 1)[0]
        assert "alias /var/lib/openedx/media/;" in location
        assert "proxy_pass" not in location
        if tls_mode == "cloud":
            assert "return 301 https://$host$request_uri;" in location
    assert "location /media/" not in _server(config, "apps.example.org")
    assert "media-private" not in config


def test_the_media_nginx_serves_is_the_directory_the_containers_mount_and_nginx_can_read() -> None:
    proxy = yaml.safe_load((ROLES / "proxy" / "defaults" / "main.yml").read_text())
    group_vars = (ROLES.parent / "playbooks" / "group_vars" / "all" / "main.yml").read_text()
    assert "proxy_media_root: \"{{ openedx_app_media_dir | default('/var/lib/openedx/media') }}\"" in group_vars
    # The LMS and Studio share openedx_app_media_dir: its default does not depend on the service.
    for role, prefix in (("openedx_app", "openedx_app"), ("workers", "workers")):
        defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
        assert defaults[f"{prefix}_media_dir"] == proxy["proxy_media_root"]
        tasks = (ROLES / role / "tasks" / "configure.yml").read_text()
        # nginx runs as www-data: the media directory (only it) must be world-readable.
        assert f"mode: \"{{{{ '0755' if item == {prefix}_media_dir else '0750' }}}}\"" in tasks
    for unit in ("openedx_app/templates/openedx_app.service.j2", "workers/templates/worker.service.j2"):
        assert "_media_dir }}:/openedx/media \\" in (ROLES / unit).read_text(), unit


def test_double_keeps_static_files_where_the_image_does() -> None:
    static = DOUBLE_SRC / "staticfiles"
    assert (static / "openedx-double.css").is_file()
    assert (static / "studio" / "openedx-double-studio.css").is_file()
    containerfile = (DOUBLE_SRC.parent / "Containerfile").read_text()
    assert "COPY src/staticfiles /openedx/staticfiles" in containerfile
    # Studio's copy is an absolute link in the image, as the real build's deduplication leaves it.
    assert (
        "RUN ln -s /openedx/staticfiles/openedx-double.css /openedx/staticfiles/studio/openedx-double.css"
        in containerfile
    )


@pytest.mark.parametrize("role", ["mfe", "openedx_app", "proxy"])
def test_argument_specs_document_every_default(role: str) -> None:
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    documented = {name for entry in specs.values() for name in entry["options"]}
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    assert set(defaults) - documented == set()
