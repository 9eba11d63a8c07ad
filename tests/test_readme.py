"""The README's commands are run as written: CI runs its test command (`.ci/run` reads it with
scripts/readme-command), and the end-to-end suite its deploy command (tests/test_local_up.py). These checks keep
that wiring from rotting into copies of the commands."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "readme-command"


def readme_command(label: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, label], capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Run the tests", "scripts/bootstrap && scripts/test"),
        ("Deploy the local environment", "openedx-deploy up -e demo --yes"),
        ("Install the tool", "pipx install dist/openedx_deploy-*.whl"),
        ("Deploy the local environment with the installed tool", "openedx-deploy up -e demo --yes"),
    ],
)
def test_each_readme_command_is_one_line_under_its_label(label: str, expected: str) -> None:
    done = readme_command(label)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and expected in done.stdout
    assert f"**{label}**" in (REPO / "README.md").read_text()


def test_a_missing_label_is_an_error_not_an_empty_command() -> None:
    done = readme_command("No such label")
    assert done.returncode == 1 and done.stdout == ""
    assert "No such label" in done.stderr


def test_ci_runs_the_readme_test_command_and_the_e2e_its_deploy_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert 'scripts/readme-command "Run the tests"' in ci and 'bash -c "$command"' in ci
    e2e = (REPO / "tests" / "test_local_up.py").read_text()
    assert 'readme_command("Deploy the local environment")' in e2e
    pipx = (REPO / "tests" / "test_pipx_deploy.py").read_text()
    assert 'readme_command("Install the tool")' in pipx
    assert 'readme_command("Deploy the local environment with the installed tool")' in pipx
