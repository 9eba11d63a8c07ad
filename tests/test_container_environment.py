"""The app containers' environments and the OAuth client secrets stay off every command line, and values reach the
containers literally (issue 13, items 3 and 5).

Ansible renders the real templates on this machine (connection local, check mode for the roles' preflights, nothing
installed or started): each unit with hostile environment values, the environment files podman reads with
--env-file, and the jobs script, which then runs against a stand-in `podman` that records what it was given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conformance.ours import podman_env_file

REPO = Path(__file__).resolve().parents[1]
DOUBLE_SRC = REPO / "tests" / "double" / "openedx" / "src"
UNIT_ROLES = ("openedx_app", "mfe", "notes", "workers")
# Each use of a role that runs units, with the variables the playbook applies it with (playbooks/app.yml): the
# openedx_app role runs the LMS and Studio.
ROLE_USES: dict[str, tuple[str, dict[str, str]]] = {
    "lms": ("openedx_app", {"openedx_app_service": "lms"}),
    "cms": ("openedx_app", {"openedx_app_service": "cms"}),
    "mfe": ("mfe", {}),
    "notes": ("notes", {}),
    "workers": ("workers", {}),
}
# What systemd would expand (% specifiers, $VARIABLES), split or unquote, what a shell would interpret (backticks, a
# backslash) and what an env-file reader could trim or cut (blanks at both ends, '#', a second '='): all must reach
# the container unchanged.
HOSTILE = ' it\'s "quoted" 100% %n %% $HOME ${PATH} `id` back\\slash \\n ; # not a comment =still the value '
SECRET_VALUE = "pa$$w%rd'\"\\"
DOT_SECRET = 'dot-s3cr3t\' "$HOME" %n \\x'
# A secret as token_urlsafe makes one in 64: a leading dash and no space, which argparse takes for an option unless
# it is given as --client-secret=VALUE (seen in CI: "argument --client-secret: expected one argument").
DASH_SECRET = "-Xk2_urlsafe-token"

MIGRATION_PASSWORD = "migr4te-pw-$(id)"
MEILISEARCH_MASTER = "meili-m4ster-'$HOME' %n"
MEILISEARCH_KEY_UID = "3bd1029a-b016-422b-8d3b-112959067b53"
NOTES_IMAGE = "docker.io/overhangio/openedx-notes:21.0.0"
IMAGE = "docker.io/overhangio/openedx:21.0.0"

# The variables each service's file holds besides the user's, per use of a role: (unit file name, variables).
UNITS = {
    "lms": [
        ("openedx-lms", {"SERVICE_VARIANT": "lms", "DJANGO_SETTINGS_MODULE": "lms.envs.openedx_deploy",
                         "LMS_CFG": "/openedx/config/lms.yml"}),
    ],
    "cms": [
        ("openedx-cms", {"SERVICE_VARIANT": "cms", "DJANGO_SETTINGS_MODULE": "cms.envs.openedx_deploy",
                         "CMS_CFG": "/openedx/config/cms.yml"}),
    ],
    "mfe": [("openedx-mfe", {})],
    "notes": [
        ("openedx-notes", {"DJANGO_SETTINGS_MODULE": "notesserver.settings.yaml_config",
                           "EDXNOTES_CONFIG_ROOT": "/openedx/config"}),
    ],
    "workers": [
        ("openedx-lms-worker", {"SERVICE_VARIANT": "lms", "DJANGO_SETTINGS_MODULE": "lms.envs.openedx_deploy",
                                "LMS_CFG": "/openedx/config/lms.yml"}),
        ("openedx-cms-worker", {"SERVICE_VARIANT": "cms", "DJANGO_SETTINGS_MODULE": "cms.envs.openedx_deploy",
                                "CMS_CFG": "/openedx/config/cms.yml"}),
    ],
}  # fmt: skip
USER_ENV = {"HOSTILE": HOSTILE, "SOME_TOKEN": SECRET_VALUE, "EMPTY": ""}
OAUTH_APPLICATIONS = [
    {
        "name": "cms-sso",
        "user": "cms",
        "client_id": "cms-sso",
        "client_secret": DOT_SECRET,
        "redirect_uris": ["https://studio.example.test/complete/edx-oauth2/", "https://studio.example.test/x"],
        "scopes": ["user_id", "profile"],
    },
    {"name": "mfe-sso", "user": "mfe", "client_id": "mfe-sso", "public": True},
    {"name": "dash-sso", "user": "cms", "client_id": "dash-sso", "client_secret": DASH_SECRET},
]


def ansible_bin(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found next to {sys.executable} nor on PATH: install the `ansible` package")
    return found


def env_task(role: str) -> dict[str, Any]:
    """The task of the role's configure.yml that writes the container environment file."""
    tasks = yaml.safe_load((REPO / "roles" / role / "tasks" / "configure.yml").read_text())
    found = [t for t in tasks if str(t.get("ansible.builtin.template", {}).get("src", "")).endswith(".env.j2")]
    assert len(found) == 1, f"{role}: expected one task writing an *.env.j2 template, found {len(found)}"
    return found[0]


def good_vars(tmp: Path) -> dict[str, Any]:
    config = tmp / "settings.yml"
    config.write_text("{}\n")
    module = tmp / "settings.py"
    module.write_text("from lms.envs.production import *\n")
    out = tmp / "out"
    out.mkdir()
    (tmp / "jobs-state").mkdir()
    (tmp / "notes").mkdir()
    (tmp / "notes" / "edx_notes_api.yml").write_text("{}\n")
    return {
        "out": str(out),
        "openedx_app_image": IMAGE,
        "openedx_app_config_path": str(config),
        "openedx_app_env": USER_ENV,
        "mfe_image": "docker.io/overhangio/openedx-mfe:21.0.0",
        "mfe_env": USER_ENV,
        "notes_image": "docker.io/overhangio/openedx-notes:21.0.0",
        "notes_db_host": "10.0.0.5",
        "notes_db_password": "fake-notes-db-pw",
        "notes_secret_key": "fake-notes-secret-key",
        "notes_client_secret": "fake-notes-client-secret",
        "notes_env": USER_ENV,
        "workers_image": IMAGE,
        "workers_lms_config_path": str(config),
        "workers_cms_config_path": str(config),
        "workers_env": USER_ENV,
        "openedx_jobs_image": IMAGE,
        "openedx_jobs_lms_config_path": str(config),
        "openedx_jobs_cms_config_path": str(config),
        "openedx_jobs_lms_settings_path": str(module),
        "openedx_jobs_cms_settings_path": str(module),
        "openedx_jobs_users": [{"username": "cms", "email": "cms@example.test"}, {"username": "mfe", "email": "m@x"}],
        "openedx_jobs_oauth_applications": OAUTH_APPLICATIONS,
        "openedx_jobs_migration_user": "openedx_migrate",
        "openedx_jobs_migration_password": MIGRATION_PASSWORD,
        "openedx_jobs_lock_file": str(tmp / "jobs.lock"),
        "openedx_jobs_state_dir": str(tmp / "jobs-state"),
        "openedx_jobs_meilisearch_master_key": MEILISEARCH_MASTER,
        "openedx_jobs_meilisearch_key_uid": MEILISEARCH_KEY_UID,
        "openedx_jobs_notes_image": NOTES_IMAGE,
        "openedx_jobs_notes_config_dir": str(tmp / "notes"),
        "openedx_jobs_notes_search_reindex": True,
        "openedx_jobs_lms_data_dir": "/var/lib/openedx/lms",
        "openedx_jobs_cms_data_dir": "/var/lib/openedx/cms",
    }


# Hosts whose preflight must refuse: (role variable overrides, the task that refuses, text its message must hold).
def bad_cases() -> dict[str, tuple[dict[str, Any], str, list[str]]]:
    cases: dict[str, tuple[dict[str, Any], str, list[str]]] = {}
    for role in UNIT_ROLES:
        bad_env = {"BAD-NAME": "x", "1ST": "y", "GOOD": "z", "MULTI": "line1\nline2", "CR": "a\rb"}
        cases[f"bad-{role}-env"] = (
            {f"{role}_env": bad_env},
            "Check the container environment",
            ["BAD-NAME", "1ST", "MULTI", "CR"],
        )
        on_command_line = (
            {"workers_lms_queues": ["edx.lms.%H"]} if role == "workers" else {f"{role}_container_name": "openedx-%i"}
        )
        # The refusal names the service: the openedx_app role's first use, the LMS, refuses first.
        service = "lms" if role == "openedx_app" else role
        cases[f"bad-{role}-percent"] = (on_command_line, "Check the values the unit", [f"{service}:"])
    return cases


def template_lookup(path: Path) -> str:
    return f"lookup('ansible.builtin.template', '{path}')"


def render_tasks() -> list[dict[str, Any]]:
    """The roles' preflights, then each file rendered on the controller (template lookups, no module run per file)
    into one JSON document: <unit>.service, <unit>.env, <unit>.env-dest (where the role's task writes the file) and
    jobs.sh."""
    uses = [*ROLE_USES.values(), ("openedx_jobs", {})]
    tasks: list[dict[str, Any]] = [
        {
            "name": " ".join(["Preflight of", role, *use_vars.values()]),
            "ansible.builtin.include_role": {"name": role, "tasks_from": "preflight", "public": True},
            "vars": use_vars,
        }
        for role, use_vars in uses
    ]
    for use, units in UNITS.items():
        role, use_vars = ROLE_USES[use]
        template = "worker" if role == "workers" else role
        for unit, _ in units:
            service = unit.removeprefix("openedx-").removesuffix("-worker")
            templates = REPO / "roles" / role / "templates"
            files = (
                f"{{'{unit}.service': {template_lookup(templates / f'{template}.service.j2')},"
                f" '{unit}.env': {template_lookup(templates / f'{template}.env.j2')}, '{unit}.env-dest': _env_dest}}"
            )
            tasks.append(
                {
                    "name": f"Render {unit}",
                    "ansible.builtin.set_fact": {
                        "_rendered": f"{{{{ _rendered | default({{}}) | combine({files}) }}}}"
                    },
                    "vars": {
                        **use_vars,
                        "item": service,
                        "_workers_service": service,
                        "_env_dest": env_task(role)["ansible.builtin.template"]["dest"],
                    },
                }
            )
    jobs = template_lookup(REPO / "roles/openedx_jobs/templates/openedx-deploy-jobs.sh.j2")
    tasks.append(
        {
            "name": "Write the rendered files",
            "ansible.builtin.copy": {
                "content": f"{{{{ _rendered | combine({{'jobs.sh': {jobs}}}) | to_json }}}}",
                "dest": "{{ out }}/rendered.json",
                "mode": "0600",
            },
            "check_mode": False,
        }
    )
    return tasks


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("container_environment")
    good = good_vars(root)
    hosts: dict[str, dict[str, Any]] = {"good": good}
    for name, (overrides, _, _) in bad_cases().items():
        hosts[name] = {**good, "out": str(root / name), **overrides}
    common = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"hosts": {name: {**common, **values} for name, values in hosts.items()}}}
    (root / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    play = [{"name": "Render the app units", "hosts": "all", "gather_facts": False, "tasks": render_tasks()}]
    (root / "render.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(
        os.environ,
        ANSIBLE_ROLES_PATH=str(REPO / "roles"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORKS="8",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_STDOUT_CALLBACK="json",
    )
    # --check: the preflights skip their podman calls; the rendering tasks opt out of check mode.
    result = subprocess.run(
        [ansible_bin("ansible-playbook"), "--check", "-i", str(root / "inventory.yml"), str(root / "render.yml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stdout[result.stdout.index("{") :])
    failures = {}
    for task in report["plays"][0]["tasks"]:
        for host, outcome in task["hosts"].items():
            if outcome.get("failed"):
                name = task["task"]["name"].split(" : ", 1)[-1]
                failures[host] = (name, outcome.get("msg", ""), json.dumps(outcome))
    assert "good" not in failures, failures.get("good")
    out = Path(good["out"])
    for name, text in json.loads((out / "rendered.json").read_text()).items():
        (out / name).write_text(text)
    return {"out": out, "failures": failures, "output": result.stdout + result.stderr}


def exec_start(unit_text: str) -> str:
    text = re.sub(r"\\\n", " ", unit_text)
    return next(line for line in text.splitlines() if line.startswith("ExecStart="))


@pytest.mark.parametrize("unit", [unit for units in UNITS.values() for unit, _ in units])
def test_unit_takes_its_environment_from_the_file_the_role_writes(rendered: dict[str, Any], unit: str) -> None:
    text = (rendered["out"] / f"{unit}.service").read_text()
    command = exec_start(text)
    # No inline environment: no value of it on the command line, whatever it holds.
    assert not re.search(r"\s(--env(?!-file)|-e)[\s=]", command), command
    for value in (HOSTILE, SECRET_VALUE, "SOME_TOKEN", "SERVICE_VARIANT", "DJANGO_SETTINGS_MODULE"):
        assert value not in text, f"{value!r} is in {unit}.service"
    env_files = re.findall(r"--env-file[\s=](\S+)", command)
    assert env_files == [(rendered["out"] / f"{unit}.env-dest").read_text()]
    assert env_files == [f"/etc/openedx-deploy/{unit}.env"]
    # systemd expands %x specifiers and $VARIABLES in ExecStart: only an escaped %% may remain, and no $.
    assert "%" not in command.replace("%%", ""), command
    assert "$" not in command, command


@pytest.mark.parametrize(("use", "unit", "own"), [(r, u, own) for r, units in UNITS.items() for u, own in units])
def test_environment_file_reaches_podman_literally(
    rendered: dict[str, Any], use: str, unit: str, own: dict[str, str]
) -> None:
    """podman's --env-file reader (pkg/env ParseFile) gives back exactly the values, hostile ones included."""
    text = (rendered["out"] / f"{unit}.env").read_text()
    assert podman_env_file(text) == {**own, **USER_ENV}


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_environment_file_is_written_root_only_unlogged_and_restarts_the_service(role: str) -> None:
    task = env_task(role)
    arguments = task["ansible.builtin.template"]
    assert (arguments["owner"], arguments["group"], arguments["mode"]) == ("root", "root", "0600")
    assert task.get("no_log") is True
    # The service task restarts the service when the file changed, as when its unit changed.
    service = (REPO / "roles" / role / "tasks" / "service.yml").read_text()
    registered = task["register"]
    assert registered in service, f"{role}: tasks/service.yml does not look at {registered}"
    assert re.search(rf"'restarted' if [^\n]*{registered}|item\.1 is changed", service)


@pytest.mark.parametrize(("host", "case"), list(bad_cases().items()))
def test_preflight_refuses_what_the_unit_or_the_file_cannot_carry(
    rendered: dict[str, Any], host: str, case: tuple[dict[str, Any], str, list[str]]
) -> None:
    _, task, expected = case
    assert host in rendered["failures"], f"{host} was not refused:\n{rendered['output'][-3000:]}"
    failed_task, message, outcome = rendered["failures"][host]
    assert failed_task.startswith(task), (failed_task, message)
    for text in expected:
        assert text in message, message
    assert "GOOD" not in message, message
    # The refusal names the variables, never their values.
    for value in ("line1", "a\rb", "line2"):
        assert value not in outcome


# --- the jobs script ----------------------------------------------------------------------------------------------

FAKE_PODMAN = """#!{python}
import json, os, sys
if sys.argv[1:3] == ["image", "inspect"]:
    print("sha256:fake-image-id")
    sys.exit(0)
with open({log!r}, "a") as log:
    meili = [os.environ.get("OPENEDX_DEPLOY_MEILISEARCH_" + v) for v in ("MASTER_KEY", "KEY_UID")]
    dot = os.environ.get("OPENEDX_DEPLOY_DOT_ARGS")
    log.write(json.dumps({{"argv": sys.argv[1:], "dot_args": dot, "meili": meili}}) + "\\n")
"""


@pytest.fixture(scope="module")
def jobs_run(rendered: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The rendered jobs script run by bash with a stand-in podman that logs each call's argv and the DOT variable."""
    tmp = tmp_path_factory.mktemp("jobs")
    (tmp / "bin").mkdir()
    podman = tmp / "bin" / "podman"
    podman.write_text(FAKE_PODMAN.format(python=sys.executable, log=str(tmp / "podman.log")))
    podman.chmod(0o755)
    script = rendered["out"] / "jobs.sh"
    env = {"PATH": f"{tmp / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp)}
    result = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False, cwd=tmp
    )
    assert result.returncode == 0, result.stdout + result.stderr
    calls = [json.loads(line) for line in (tmp / "podman.log").read_text().splitlines()]
    return {"calls": calls, "output": result.stdout + result.stderr, "script": script.read_text()}


def test_no_secret_is_on_any_command_line_of_the_jobs(jobs_run: dict[str, Any]) -> None:
    assert len(jobs_run["calls"]) >= 6
    for call in jobs_run["calls"]:
        for secret in (DOT_SECRET, MIGRATION_PASSWORD, MEILISEARCH_MASTER):
            assert not any(secret in arg for arg in call["argv"]), call["argv"]
    for secret in (DOT_SECRET, MIGRATION_PASSWORD, MEILISEARCH_MASTER):
        assert secret not in jobs_run["output"]
    # In the script, each secret is only in its variable's export.
    for fragment, export in (
        ("dot-s3cr3t", "OPENEDX_DEPLOY_DOT_ARGS"),
        ("migr4te-pw", "DB_MIGRATION_PASS"),
        ("meili-m4ster", "OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY"),
    ):
        holding = [line for line in jobs_run["script"].splitlines() if fragment in line]
        assert holding and all(line.startswith(f"export {export}=") for line in holding), holding


def test_oauth_applications_reach_create_dot_application_through_the_environment(
    jobs_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each OAuth job is the fixed `shell -c` code the double knows, given the variable by name; parsed as the real
    call_command parses it, the variable gives exactly the arguments of the former command line."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    monkeypatch.syspath_prepend(str(DOUBLE_SRC))
    from openedx_double import manage

    dot_calls = [c for c in jobs_run["calls"] if c["argv"][-3:-1] == ["shell", "-c"] and c["dot_args"] is not None]
    assert [c["argv"][-1] for c in dot_calls] == [manage.DOT_FROM_ENVIRONMENT] * len(OAUTH_APPLICATIONS)
    for call in dot_calls:
        argv = call["argv"]
        assert any(argv[i : i + 2] == ["--env", "OPENEDX_DEPLOY_DOT_ARGS"] for i in range(len(argv))), argv
    # The variable is set for these jobs only.
    assert all(c["dot_args"] is None for c in jobs_run["calls"] if c not in dot_calls)
    parsed = [manage.dot_call_command("lms", {manage.DOT_ARGS_VARIABLE: c["dot_args"]}) for c in dot_calls]
    former_command_lines = [
        [
            "--update", "--grant-type", "authorization-code", "--client-id", "cms-sso", "--client-secret", DOT_SECRET,
            "--redirect-uris", " ".join(OAUTH_APPLICATIONS[0]["redirect_uris"]), "--scopes", "user_id,profile",
            "--skip-authorization", "cms-sso", "cms",
        ],
        ["--update", "--grant-type", "authorization-code", "--client-id", "mfe-sso", "--skip-authorization", "--public",
         "mfe-sso", "mfe"],
        ["--update", "--grant-type", "authorization-code", "--client-id", "dash-sso",
         f"--client-secret={DASH_SECRET}", "--skip-authorization", "dash-sso", "cms"],
    ]  # fmt: skip
    expected = [manage._parser().parse_args(["lms", "create_dot_application", *argv]) for argv in former_command_lines]
    assert parsed == expected
    assert parsed[0].client_secret == DOT_SECRET and parsed[2].client_secret == DASH_SECRET


def test_jobs_create_the_releases_waffle_flags_only_when_unlisted(
    jobs_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As tutor-mfe's LMS init: `waffle_flag --list` once, then `waffle_flag --create --everyone|--deactivate NAME`
    for each flag of the release (the role's default, Ulmo: no authoring flags) behind a check that the list does not
    name it yet; and the retirement states. Every such command line is one the double's parser accepts."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    monkeypatch.syspath_prepend(str(DOUBLE_SRC))
    from openedx_double import manage

    role_vars = yaml.safe_load((REPO / "roles/openedx_jobs/vars/main.yml").read_text())
    manage_argv = [c["argv"][c["argv"].index("manage.py") + 1 :] for c in jobs_run["calls"] if "manage.py" in c["argv"]]
    waffle = [argv for argv in manage_argv if argv[1] == "waffle_flag"]
    assert waffle[0] == ["lms", "waffle_flag", "--list"]
    expected = [
        ["lms", "waffle_flag", "--create", "--everyone" if flag["everyone"] else "--deactivate", flag["name"]]
        for flag in role_vars["_openedx_jobs_waffle_flags_common"]
    ]
    assert waffle[1:] == expected
    assert ["lms", "waffle_flag", "--create", "--deactivate", "courseware.always_open_auxiliary_sidebar"] in expected
    assert ["lms", "populate_retirement_states"] in manage_argv
    for argv in [*waffle, ["lms", "populate_retirement_states"]]:
        manage._parser().parse_args(argv)
    for flag in role_vars["_openedx_jobs_waffle_flags_common"]:
        assert f"if ! grep -qxF 'NAME: {flag['name']}' <<<\"$waffle_flags\"; then" in jobs_run["script"]


def test_waffle_flags_are_known_for_every_release_and_authoring_ones_for_teak_only() -> None:
    role_vars = yaml.safe_load((REPO / "roles/openedx_jobs/vars/main.yml").read_text())
    releases = yaml.safe_load((REPO / "roles/openedx_config/vars/main.yml").read_text())
    assert set(role_vars["_openedx_jobs_waffle_flags"]) == set(releases["_openedx_config_release_settings"])
    assert "authoring" in role_vars["_openedx_jobs_waffle_flags"]["teak"]
    assert all("authoring" not in v for k, v in role_vars["_openedx_jobs_waffle_flags"].items() if k != "teak")


def test_jobs_load_authz_policies_from_ulmo_on(jobs_run: dict[str, Any]) -> None:
    """openedx-authz is in Ulmo+ images, where Tutor's LMS and CMS init run `load_policies` (the role default: Ulmo)."""
    role_vars = yaml.safe_load((REPO / "roles/openedx_jobs/vars/main.yml").read_text())
    assert role_vars["_openedx_jobs_authz_releases"] == ["ulmo", "verawood"]
    manage_argv = [c["argv"][c["argv"].index("manage.py") + 1 :] for c in jobs_run["calls"] if "manage.py" in c["argv"]]
    assert ["lms", "load_policies"] in manage_argv and ["cms", "load_policies"] in manage_argv
    assert manage_argv.index(["lms", "load_policies"]) > manage_argv.index(["cms", "migrate", "--noinput"])


def test_jobs_build_studio_and_courseware_indexes_as_tutor_does(jobs_run: dict[str, Any]) -> None:
    """Tutor's CMS init: `reindex_studio` (Teak/Ulmo `--experimental --init`, Verawood bare) and
    `reindex_course --active`, after the search indexes exist; the role default is Ulmo with Meilisearch."""
    role_vars = yaml.safe_load((REPO / "roles/openedx_jobs/vars/main.yml").read_text())
    assert role_vars["_openedx_jobs_reindex_studio_args"] == {
        "teak": ["--experimental", "--init"],
        "ulmo": ["--experimental", "--init"],
        "verawood": [],
    }
    manage_argv = [c["argv"][c["argv"].index("manage.py") + 1 :] for c in jobs_run["calls"] if "manage.py" in c["argv"]]
    studio = manage_argv.index(["cms", "reindex_studio", "--experimental", "--init"])
    assert manage_argv[studio + 1] == ["cms", "reindex_course", "--active"]
    assert studio > manage_argv.index(["cms", "migrate", "--noinput"])


def _manage_argv(call: dict[str, Any]) -> list[str]:
    return call["argv"][call["argv"].index("manage.py") + 1 :] if "manage.py" in call["argv"] else []


def test_jobs_create_the_platforms_meilisearch_key_before_the_indexes(
    jobs_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As Tutor's LMS init: the platform's API key is created (the fixed code the double knows) with the master key and
    the uid in that job's environment only, before the search indexes, which the settings' key then creates."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    monkeypatch.syspath_prepend(str(DOUBLE_SRC))
    from openedx_double import manage

    argvs = [_manage_argv(c) for c in jobs_run["calls"]]
    key_job = argvs.index(["lms", "shell", "-c", manage.MEILISEARCH_KEY_FROM_ENVIRONMENT])
    assert key_job < argvs.index(
        ["lms", "shell", "-c", "import search.meilisearch; search.meilisearch.create_indexes()"]
    )
    assert jobs_run["calls"][key_job]["meili"] == [MEILISEARCH_MASTER, MEILISEARCH_KEY_UID]
    argv = jobs_run["calls"][key_job]["argv"]
    assert any(argv[i : i + 2] == ["--env", "OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY"] for i in range(len(argv))), argv
    assert all(c["meili"] == [None, None] for i, c in enumerate(jobs_run["calls"]) if i != key_job)


def test_jobs_migrate_the_notes_database_in_the_notes_image_then_reindex(
    jobs_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As tutor-notes' init: `manage.py migrate`, then the Meilisearch reindex(), in the notes image, from its working
    directory, with the settings the notes role renders (edx-notes-api's yaml_config), after the platform's key."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    monkeypatch.syspath_prepend(str(DOUBLE_SRC))
    from openedx_double import manage, notes_manage

    notes = [c for c in jobs_run["calls"] if NOTES_IMAGE in c["argv"]]
    assert [_manage_argv(c) for c in notes] == [["migrate", "--noinput"], ["shell", "-c", notes_manage.REINDEX]]
    for call in notes:
        argv = call["argv"]
        image = argv.index(NOTES_IMAGE)
        options = " ".join(argv[:image])
        assert "--workdir /app/edx-notes-api" in options
        assert "--env DJANGO_SETTINGS_MODULE=notesserver.settings.yaml_config" in options
        assert "--env EDXNOTES_CONFIG_ROOT=/openedx/config" in options
        assert re.search(r"--volume \S+/notes:/openedx/config:ro", options), options
        assert argv[image + 1 : image + 3] == ["python", "manage.py"]
    argvs = [_manage_argv(c) for c in jobs_run["calls"]]
    assert argvs.index(["migrate", "--noinput"]) > argvs.index(
        ["lms", "shell", "-c", manage.MEILISEARCH_KEY_FROM_ENVIRONMENT]
    )
    notes_manage._parser().parse_args(["migrate", "--noinput"])


def test_jobs_mount_each_services_data_directory(jobs_run: dict[str, Any]) -> None:
    """The lms jobs get the LMS's /openedx/data, the cms jobs Studio's, as their web containers mount them."""
    for call in jobs_run["calls"]:
        argv = call["argv"]
        if NOTES_IMAGE in argv or "manage.py" not in argv:
            continue
        service = next(a.split("=", 1)[1] for a in argv if a.startswith("SERVICE_VARIANT="))
        assert f"/var/lib/openedx/{service}:/openedx/data" in argv, argv
