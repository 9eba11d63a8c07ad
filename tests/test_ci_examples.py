"""The example pipelines in examples/ci/ run as written: each job's shell commands, read from the YAML, run in bash
the way the CI system runs them, against a fake `openedx-deploy` (tests/fake_openedx_deploy.py: the real CLI, the
adapters of tests/fakes.py) in a working directory that `init` made.

What runs: GitHub Actions `run:` steps (the `uses:` steps set up Python and Terraform on the runner) and GitLab's
`script:` (its `before_script:` downloads pipx and Terraform into the image, which needs the network). `pipx` is a
fake that records what it was asked to install. How each system runs a script, as GitHub and GitLab document it:
docs/testing.md, "The example pipelines".
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from openedx_deploy import secrets
from openedx_deploy.cli import cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "ci"
FAKE_CLI = Path(__file__).resolve().parent / "fake_openedx_deploy.py"
GITHUB, GITLAB = "github-actions.yml", "gitlab-ci.yml"
PASSWORD = "ci-examples-test"  # what the CI system's secret store holds here

# `jobs.<id>.steps[*].shell` in GitHub's workflow syntax: `bash` runs `bash --noprofile --norc -eo pipefail {0}`; left
# unspecified on Linux, `bash -e {0}`. GitLab's runner runs the script in bash with `set -eo pipefail`.
GITHUB_SHELLS = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], None: ["bash", "-e"]}
GITLAB_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
SECRET = re.compile(r"^\$\{\{\s*secrets\.(\w+)\s*\}\}$")


@dataclass
class Step:
    name: str
    script: str
    env: dict[str, str]
    shell: list[str]


@dataclass
class Job:
    name: str
    when: str  # GitHub's `if:`, GitLab's `rules:` conditions
    steps: list[Step] = field(default_factory=list)

    @property
    def commands(self) -> str:
        return "\n".join(step.script for step in self.steps)


def _secret(value: Any, store: dict[str, str]) -> str:
    """A GitHub `env:` value: plain, or `${{ secrets.NAME }}` from the store (unset secrets expand to "")."""
    text = str(value)
    if "${{" not in text:
        return text
    match = SECRET.match(text)
    assert match, f"{text!r}: the test resolves only `${{{{ secrets.NAME }}}}` expressions in env"
    return store.get(match.group(1), "")


def github_jobs(store: dict[str, str]) -> dict[str, Job]:
    workflow = yaml.safe_load((EXAMPLES / GITHUB).read_text())
    shell = ((workflow.get("defaults") or {}).get("run") or {}).get("shell")
    jobs = {}
    for name, job in workflow["jobs"].items():
        parsed = Job(name, str(job.get("if", "")))
        for index, step in enumerate(job["steps"]):
            if "run" not in step:
                assert "uses" in step, f"{name} step {index}: neither run nor uses"
                continue
            assert "${{" not in step["run"], "expressions in run: scripts are injection-prone; pass them via env"
            env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            chosen = step.get("shell", (job.get("defaults") or {}).get("run", {}).get("shell", shell))
            assert chosen in GITHUB_SHELLS, f"{chosen}: a shell this test does not know how GitHub runs"
            parsed.steps.append(
                Step(
                    step.get("name", step["run"]),
                    step["run"],
                    {k: _secret(v, store) for k, v in env.items()},
                    GITHUB_SHELLS[chosen],
                )
            )
        jobs[name] = parsed
    return jobs


def gitlab_jobs(store: dict[str, str]) -> dict[str, Job]:
    pipeline = yaml.safe_load((EXAMPLES / GITLAB).read_text())
    reserved = {"variables", "stages", "default", "workflow", "include"}
    jobs = {}
    for name, job in pipeline.items():
        if name in reserved or name.startswith("."):
            continue
        # CI/CD settings variables (the secret store) reach every job as environment variables.
        env = {**store, **{k: str(v) for k, v in {**pipeline.get("variables", {}), **job.get("variables", {})}.items()}}
        when = " ".join(str(rule.get("if", "")) for rule in job.get("rules", []))
        jobs[name] = Job(name, when, [Step(name, "\n".join(job["script"]), env, GITLAB_SHELL)])
    return jobs


def jobs_of(example: str, store: dict[str, str]) -> tuple[Job, Job]:
    """(the plan job, the apply job): the one job that runs `plan`, and the one that runs `up`."""
    jobs = (github_jobs if example == GITHUB else gitlab_jobs)(store).values()
    plans = [j for j in jobs if re.search(r"openedx-deploy\b.*\splan\b", j.commands)]
    ups = [j for j in jobs if re.search(r"openedx-deploy\b.*\sup\b", j.commands)]
    assert len(plans) == 1 and len(ups) == 1, f"{example}: one job runs plan, one runs up"
    return plans[0], ups[0]


@dataclass
class JobRun:
    rc: int
    output: str  # stdout and stderr of the steps that ran
    stdout: str
    runs: list[dict[str, Any]]  # each openedx-deploy invocation: argv, exit_code
    installs: list[list[str]]  # each pipx invocation's arguments


class Runner:
    """A checkout of the user's repository (environments/ made by `init`), and the fake tools on PATH."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.work = root / "checkout"
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self.log = root / "openedx-deploy.jsonl"
        self.pipx_log = root / "pipx.jsonl"
        self.summary = root / "step-summary.md"
        self._tool("openedx-deploy", f'exec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_CLI))} "$@"')
        record = "import json, sys; open(sys.argv[1], 'a').write(json.dumps(sys.argv[2:]) + '\\n')"
        self._tool(
            "pipx",
            f"# a fake pipx: records its arguments\nexec {shlex.quote(sys.executable)} -c "
            f'{shlex.quote(record)} {shlex.quote(str(self.pipx_log))} "$@"',
        )

    def _tool(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)

    def init(self, env_name: str) -> None:
        args = ["--workdir", str(self.work), "init", env_name, "--cloud", "aws", "--domain", "learn.example.org"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output

    def run(self, job: Job, scenario: str) -> JobRun:
        """Runs the job's steps in order, as the CI system does: the first failing step fails the job."""
        for log in (self.log, self.pipx_log):
            log.unlink(missing_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENEDX_DEPLOY_", "GITHUB_", "CI"))}
        rc, output, stdout = 0, [], []
        for step in job.steps:
            env = {
                **base,
                "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
                "HOME": str(self.root / "home"),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "FAKE_OPENEDX_DEPLOY_SCENARIO": scenario,
                "FAKE_OPENEDX_DEPLOY_LOG": str(self.log),
                **step.env,
            }
            done = subprocess.run(
                [*step.shell, "-c", step.script], cwd=self.work, env=env, capture_output=True, text=True, timeout=300
            )
            output.append(f"--- {step.name} (exit {done.returncode})\n{done.stdout}{done.stderr}")
            stdout.append(done.stdout)
            if done.returncode:
                rc = done.returncode
                break
        runs = [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []
        pipx = self.pipx_log.read_text().splitlines() if self.pipx_log.exists() else []
        return JobRun(rc, "\n".join(output), "".join(stdout), runs, [json.loads(line) for line in pipx])


def env_name(job: Job) -> str:
    names = {step.env.get("ENVIRONMENT") for step in job.steps}
    assert len(names) == 1 and None not in names, "every step names the environment in ENVIRONMENT"
    return str(names.pop())


def exit_codes(run: JobRun, command: str) -> list[Any]:
    return [r["exit_code"] for r in run.runs if command in r["argv"]]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, PASSWORD)
    return Runner(tmp_path)


STORE = {secrets.PASSWORD_ENV: PASSWORD, "AWS_ACCESS_KEY_ID": "fake-key-id", "AWS_SECRET_ACCESS_KEY": "fake"}
EXAMPLE_FILES = [GITHUB, GITLAB]


def prepared(runner: Runner, example: str, store: dict[str, str] = STORE) -> tuple[Job, Job]:
    plan, up = jobs_of(example, store)
    runner.init(env_name(plan))
    assert env_name(up) == env_name(plan)
    return plan, up


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_plan_job_passes_when_nothing_would_change(runner: Runner, example: str) -> None:
    plan, _ = prepared(runner, example)
    run = runner.run(plan, "converged")
    assert run.rc == 0, run.output
    assert exit_codes(run, "validate") == [0] and exit_codes(run, "plan") == [0], run.output
    assert any(args[0] == "install" and args[-1].startswith("openedx-deploy") for args in run.installs), run.installs


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_plan_job_passes_with_changes_pending_and_shows_them(runner: Runner, example: str) -> None:
    plan, _ = prepared(runner, example)
    run = runner.run(plan, "pending")
    assert run.rc == 0, run.output
    assert exit_codes(run, "plan") == [3], run.output
    documents = list(runner.work.glob("*.json"))
    assert len(documents) == 1, "the plan document is kept, for the job's artifacts"
    pending = json.loads(documents[0].read_text())["pending"]
    assert pending, "the fake's plan has changes"
    for change in pending:  # printed by the job's own shell, not only in the CLI's progress on stderr
        assert change in run.stdout, run.output
    if example == GITHUB:
        assert all(change in runner.summary.read_text() for change in pending), "the run's summary page lists them"


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_plan_job_fails_when_a_preflight_check_fails(runner: Runner, example: str) -> None:
    plan, _ = prepared(runner, example)
    run = runner.run(plan, "preflight-fails")
    assert run.rc == 1, run.output
    assert exit_codes(run, "plan") == [1]
    assert '"kind": "preflight"' in run.stdout, "the error document is shown"


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_plan_job_fails_without_the_vault_password(runner: Runner, example: str) -> None:
    """An unset secret expands to "": validate reads no secrets and passes, plan exits 2 (usage)."""
    store = {k: v for k, v in STORE.items() if k != secrets.PASSWORD_ENV}
    plan, _ = prepared(runner, example, store)
    run = runner.run(plan, "pending")
    assert run.rc == 2, run.output
    assert exit_codes(run, "validate") == [0] and exit_codes(run, "plan") == [2], run.output


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_apply_job_runs_up_with_yes(runner: Runner, example: str) -> None:
    """The next plan replaces a resource: with no terminal, `up` applies it only when given --yes."""
    _, up = prepared(runner, example)
    run = runner.run(up, "replace")
    assert run.rc == 0, run.output
    ups = [r for r in run.runs if "up" in r["argv"]]
    assert [r["exit_code"] for r in ups] == [0], run.output
    assert {"--yes", "-y"} & set(ups[0]["argv"]), "--yes given on the command line"
    assert not exit_codes(run, "plan"), "the apply job applies; the merge request's job planned"


def test_jobs_run_on_the_events_they_are_for() -> None:
    plan, up = jobs_of(GITHUB, STORE)
    assert "pull_request" in plan.when and "push" not in plan.when
    assert "push" in up.when and "refs/heads/main" in up.when
    on = yaml.safe_load((EXAMPLES / GITHUB).read_text())[True]  # YAML 1.1 reads the key `on` as true
    assert set(on) == {"pull_request", "push"} and on["push"]["branches"] == ["main"]

    plan, up = jobs_of(GITLAB, STORE)
    assert "merge_request_event" in plan.when
    assert '"push"' in up.when and "$CI_DEFAULT_BRANCH" in up.when


def test_a_plan_step_without_its_exit_3_handling_would_fail_the_job(runner: Runner) -> None:
    """The checks above can fail: the plan job with its plan command bare fails on pending changes."""
    plan, _ = prepared(runner, GITHUB)
    for step in plan.steps:
        if " plan " in step.script:
            step.script = next(line for line in step.script.splitlines() if " plan " in line).split(" > ")[0]
    run = runner.run(plan, "pending")
    assert run.rc == 3 and exit_codes(run, "plan") == [3], run.output


def test_an_option_the_cli_does_not_have_fails_the_job(runner: Runner) -> None:
    _, up = prepared(runner, GITHUB)
    for step in up.steps:
        step.script = step.script.replace("--yes", "--assume-yes")
    run = runner.run(up, "replace")
    assert run.rc == 2 and exit_codes(run, "up") == [2], run.output
