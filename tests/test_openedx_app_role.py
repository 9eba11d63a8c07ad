"""The LMS and Studio run from one role, roles/openedx_app, applied once per service (issue 12, item 5).

The role's templates are rendered with Ansible's Templar from the role's own defaults and vars (as a play gives them
to the role: defaults below vars, the service named by the playbook's role entry), for `lms` and for `cms`, and read
the way systemd and podman read them. What each service must get is written out here: the unit, container and file
names, the port, the mounts and the gunicorn command line the former lms and cms roles gave each service, so a
default that drifts for one service, or a value of one service that leaks into the other, fails here. The playbooks
are checked to apply the role once per service, tagged with the service, and to set no variable of the retired
roles.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from conformance.ours import podman_env_file

REPO = Path(__file__).resolve().parents[1]
ROLE = REPO / "roles" / "openedx_app"
IMAGE = "docker.io/overhangio/openedx:21.0.0"
USER_ENV = {"FEATURE_X": "on", "SPACED": "a b  c"}
# What each service gets, as the former lms and cms roles gave it (their defaults, vars and templates).
SERVICES: dict[str, dict[str, Any]] = {
    "lms": {"port": 8000, "cfg": "LMS_CFG", "title": "LMS", "static": True},
    "cms": {"port": 8010, "cfg": "CMS_CFG", "title": "Studio (CMS)", "static": False},
}
# Jinja's lexer warns about the regex escapes in the role's files it compiles; nothing this test controls.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:jinja2.lexer")


def role_variables(service: str, **overrides: Any) -> dict[str, Any]:
    """What the role's tasks see for one use: its defaults, then its vars, then the role entry's and the host's."""
    from ansible.parsing.dataloader import DataLoader

    loader = DataLoader()
    found: dict[str, Any] = {}
    for part in ("defaults", "vars"):
        found.update(loader.load_from_file(str(ROLE / part / "main.yml"), trusted_as_template=True) or {})
    found.update(
        openedx_app_service=service,
        openedx_app_image=IMAGE,
        openedx_app_env=USER_ENV,
        ansible_managed="Ansible managed",
    )
    found.update(overrides)
    return found


def render(service: str, text: str, **overrides: Any) -> Any:
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    templar = Templar(loader=DataLoader(), variables=role_variables(service, **overrides))
    return templar.template(trust_as_template(text))


def render_file(service: str, name: str, **overrides: Any) -> str:
    return str(render(service, (ROLE / "templates" / name).read_text(), **overrides))


def unit_lines(unit: str) -> dict[str, str]:
    """The unit's settings, continuation lines joined as systemd joins them (the last of a repeated key)."""
    joined = re.sub(r"\\\n", " ", unit)
    return dict(line.split("=", 1) for line in joined.splitlines() if "=" in line and not line.startswith("#"))


def expected_podman_run(service: str, port: int) -> list[str]:
    return [
        "/usr/bin/podman", "run", "--rm", "--name", f"openedx-{service}", "--network", "host",
        "--security-opt=no-new-privileges", "--cap-drop=all",
        "--env-file", f"/etc/openedx-deploy/openedx-{service}.env",
        "--volume", f"/etc/openedx/{service}.yml:/openedx/config/{service}.yml:ro",
        "--volume", f"/etc/openedx/{service}_settings.py:/openedx/edx-platform/{service}/envs/openedx_deploy.py:ro",
        "--volume", f"/var/lib/openedx/{service}:/openedx/data",
        "--volume", "/var/lib/openedx/media:/openedx/media",
        "--volume", "/var/lib/openedx/media-private:/openedx/media-private",
        IMAGE,
        "gunicorn", f"--bind=127.0.0.1:{port}", "--workers=2", "--timeout=300", f"--name={service}",
        f"{service}.wsgi:application",
    ]  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_unit_runs_each_service_with_its_own_names_paths_and_port(service: str) -> None:
    facts = SERVICES[service]
    unit = unit_lines(render_file(service, "openedx_app.service.j2"))
    assert shlex.split(unit["ExecStart"]) == expected_podman_run(service, facts["port"])
    assert unit["ExecStartPre"] == f"-/usr/bin/podman rm --force --ignore openedx-{service}"
    assert unit["ExecStop"] == f"/usr/bin/podman stop --ignore --time 30 openedx-{service}"
    assert unit["TimeoutStopSec"] == "45"
    assert unit["Description"] == f"Open edX {facts['title']} web process (podman container openedx-{service})"
    assert (unit["Restart"], unit["WantedBy"]) == ("on-failure", "multi-user.target")


@pytest.mark.parametrize("service", SERVICES)
def test_environment_file_names_the_service_and_its_settings(service: str) -> None:
    text = render_file(service, "openedx_app.env.j2")
    assert podman_env_file(text) == {
        "SERVICE_VARIANT": service,
        "DJANGO_SETTINGS_MODULE": f"{service}.envs.openedx_deploy",
        SERVICES[service]["cfg"]: f"/openedx/config/{service}.yml",
        **USER_ENV,
    }
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments[0] == "# Ansible managed"
    assert comments[1].startswith(f"# The {SERVICES[service]['title']} container's environment, for podman's")
    assert all(len(line) <= 116 for line in comments), comments


@pytest.mark.parametrize("service", SERVICES)
def test_per_service_facts_follow_the_service_and_yield_to_a_value_set_for_it(service: str) -> None:
    facts = SERVICES[service]
    assert render(service, "{{ openedx_app_port }}") == facts["port"]
    assert render(service, "{{ openedx_app_static | bool }}") is facts["static"]
    assert render(service, "{{ _openedx_app_health_url }}") == f"http://127.0.0.1:{facts['port']}/heartbeat"
    assert render(service, "{{ _openedx_app_env_file }}") == f"/etc/openedx-deploy/openedx-{service}.env"
    # A value set on the role entry wins over the derived default, and what is built from it follows.
    overrides = {"openedx_app_port": 9100, "openedx_app_bind_address": "10.0.0.4", "openedx_app_service_name": "x-y"}
    assert render(service, "{{ _openedx_app_health_url }}", **overrides) == "http://10.0.0.4:9100/heartbeat"
    assert render(service, "{{ _openedx_app_env_file }}", **overrides) == "/etc/openedx-deploy/x-y.env"
    unit = unit_lines(render_file(service, "openedx_app.service.j2", **overrides))
    assert "--bind=10.0.0.4:9100" in shlex.split(unit["ExecStart"])


def test_the_role_checks_and_documents_every_variable_it_takes() -> None:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert set(defaults) | {"openedx_app_service", "openedx_app_image"} == set(specs)
    assert specs["openedx_app_service"]["choices"] == list(SERVICES)
    assert set(yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["_openedx_app_services"]) == set(SERVICES)
    # A second use in the same play runs only when the role allows duplicates.
    assert yaml.safe_load((ROLE / "meta" / "main.yml").read_text())["allow_duplicates"] is True


def test_handlers_restart_and_wait_for_each_service_on_the_shared_topics() -> None:
    handlers = yaml.safe_load((ROLE / "handlers" / "main.yml").read_text())
    assert [h["listen"] for h in handlers] == [["openedx config changed", "openedx image changed"]] * 2
    assert handlers[0]["ansible.builtin.systemd_service"] == {
        "name": "{{ openedx_app_service_name }}.service",
        "state": "restarted",
    }
    assert handlers[1]["ansible.builtin.include_tasks"] == "health.yml"
    for service in SERVICES:
        names = [render(service, h["name"]) for h in handlers]
        assert names == [f"Restart {service}", f"Wait for the heartbeat of {service}"]


def role_entries(path: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(play, role entry) of every use of openedx_app in a playbook."""
    return [
        (play, entry)
        for play in yaml.safe_load(path.read_text())
        for entry in play.get("roles", [])
        if isinstance(entry, dict) and entry.get("role") == "openedx_app"
    ]


@pytest.mark.parametrize("playbook", ["playbooks/app.yml", "molecule/app-tier/converge.yml"])
def test_playbooks_apply_the_role_once_per_service(playbook: str) -> None:
    entries = role_entries(REPO / playbook)
    assert [entry["vars"]["openedx_app_service"] for _, entry in entries] == list(SERVICES)
    assert len({id(play) for play, _ in entries}) == 1, "both uses belong in the same play"
    if playbook == "playbooks/app.yml":
        # Tagged with the service, as every task of the former lms and cms roles was.
        assert [entry["tags"] for _, entry in entries] == [[service] for service in SERVICES]
        play = entries[0][0]
        assert play["vars"]["openedx_app_force_restart"] == "{{ openedx_restart | default(false) }}"


def test_ansible_compiles_both_uses_of_the_role_into_the_web_play() -> None:
    """ansible-playbook --list-tasks: the second use is not deduplicated away and each carries its service tag."""
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
    result = subprocess.run(
        [str(ansible_playbook), "--list-tasks", "-i", "app-1,", str(REPO / "playbooks" / "app.yml")],
        env=dict(os.environ, ANSIBLE_ROLES_PATH=str(REPO / "roles"), ANSIBLE_NOCOLOR="1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    units = re.findall(r"openedx_app : Write the systemd unit of .*\tTAGS: \[(.*)\]", result.stdout)
    assert units == ["lms, openedx_app_configure", "cms, openedx_app_configure"], result.stdout
    static = re.findall(r"openedx_app : Copy the image's static files out of it\tTAGS: \[(.*)\]", result.stdout)
    assert static == ["lms, openedx_app_static", "cms, openedx_app_static"], result.stdout


# The variables of the retired roles: <service>_<name> for each of openedx_app's own names (lms_app_uid was the uid).
RETIRED = sorted(
    f"{service}_{'app_uid' if name == 'uid' else name}"
    for service in SERVICES
    for name in (
        option.removeprefix("openedx_app_")
        for option in yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"][
            "options"
        ]
    )
    if name != "service"
)


# Lines that may still name the retired roles: this file, and a comment of the proxy's site template that nginx's
# site file on every host carries (rewording it would change that file, and reload nginx, for nothing); it goes with
# the proxy role's next change.
KEPT = {
    "tests/test_openedx_app_role.py": None,
    "roles/proxy/templates/openedx.conf.j2": "# Static files: the image's /openedx/staticfiles/, copied out by the lms",
}


def test_nothing_sets_or_reads_a_variable_of_the_retired_roles() -> None:
    """Inventory, group_vars, playbooks, other roles, molecule and docs name openedx_app's variables instead."""
    assert {"lms_image", "cms_port", "lms_media_dir", "lms_static_root", "cms_force_restart"} <= set(RETIRED)
    pattern = re.compile(r"\b(" + "|".join(RETIRED) + r")\b|\broles/(lms|cms)\b|\brole: (lms|cms)\b")
    listed = subprocess.run(
        ["git", "ls-files", "playbooks", "roles", "molecule", "docs", "openedx_deploy", "tests", "README.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = [
        f"{path}:{number}: {line.strip()}"
        for path in listed
        if (REPO / path).is_file() and not path.endswith((".tar", ".png", ".gz"))
        for number, line in enumerate((REPO / path).read_text(errors="replace").splitlines(), 1)
        if pattern.search(line) and not (path in KEPT and (KEPT[path] is None or str(KEPT[path]) in line))
    ]
    assert not found, "references to the retired lms/cms roles:\n" + "\n".join(found)


class _Heartbeat(http.server.BaseHTTPRequestHandler):
    """Stands in for the service's /heartbeat: closes the first `silent` connections unanswered (a server still
    starting: the uri module reports status -1), then answers each request with the next status of `answers` (the
    last one repeating), and counts the requests."""

    silent = 0
    answers: ClassVar[list[int]] = [200]
    served: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        handler = type(self)
        if handler.silent > 0:
            handler.silent -= 1
            handler.served.append(-1)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status = handler.answers[min(len(handler.served) - handler.served.count(-1), len(handler.answers) - 1)]
        handler.served.append(status)
        body = b'{"sql": "ok"}' if status == 200 else b'{"sql": "down"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def run_health_gate(tmp_path: Path, silent: int, answers: list[int], **settings: int) -> tuple[int, list[int], str]:
    """Runs the role's health tasks (roles/openedx_app/tasks/health.yml) with real Ansible on this machine against
    the stand-in /heartbeat; returns ansible-playbook's exit code, the statuses served and its output."""
    handler = type("Heartbeat", (_Heartbeat,), {"silent": silent, "answers": answers, "served": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    playbook = tmp_path / "gate.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "ansible.builtin.include_role": {"name": "openedx_app", "tasks_from": "health"},
                            "vars": {"openedx_app_service": "lms", "openedx_app_image": IMAGE},
                        }
                    ],
                }
            ]
        )
    )
    extra = {
        "_openedx_app_health_url": f"http://127.0.0.1:{server.server_port}/heartbeat",
        "ansible_python_interpreter": sys.executable,
        **settings,
    }
    try:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "-i",
                "localhost,",
                "-c",
                "local",
                "-e",
                json.dumps(extra),
                str(playbook),
            ],
            env=dict(os.environ, ANSIBLE_ROLES_PATH=str(REPO / "roles"), ANSIBLE_NOCOLOR="1"),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        server.shutdown()
    return result.returncode, handler.served, result.stdout + result.stderr


GATE = {"openedx_app_health_retries": 12, "openedx_app_health_unhealthy_retries": 4, "openedx_app_health_delay": 0}


def test_the_start_gate_waits_out_a_server_that_is_still_starting(tmp_path: Path) -> None:
    """Six unanswered tries, more than the 503 allowance: a start that takes a while is not cut short."""
    rc, served, output = run_health_gate(tmp_path, silent=6, answers=[200], **GATE)
    assert rc == 0, output
    assert served == [-1] * 6 + [200]


def test_the_start_gate_gives_up_on_a_503_after_its_shorter_allowance(tmp_path: Path) -> None:
    """A heartbeat that answers 503 (a failed check) fails the gate after 4 tries in all, not 12, and says why."""
    rc, served, output = run_health_gate(tmp_path, silent=0, answers=[503], **GATE)
    assert rc != 0
    assert served == [503] * 4
    assert "did not answer" in output and "503" in output


def test_the_start_gate_passes_a_503_that_clears_within_the_allowance(tmp_path: Path) -> None:
    rc, served, output = run_health_gate(tmp_path, silent=1, answers=[503, 503, 200], **GATE)
    assert rc == 0, output
    assert served == [-1, 503, 503, 200]
