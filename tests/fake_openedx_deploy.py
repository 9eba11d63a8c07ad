"""A fake `openedx-deploy` executable for tests/test_ci_examples.py: the real CLI (argument parsing, spec, vault,
render, exit codes, JSON documents) with the adapters of tests/fakes.py in place of Terraform, Ansible, preflight and
the heartbeat, so that the example pipelines' shell commands run as written.

Run as `python fake_openedx_deploy.py ARGS...`. Each process starts afresh, so the world it fakes comes from
FAKE_OPENEDX_DEPLOY_SCENARIO:
- `pending`: nothing applied yet; `plan` has changes pending (exit 3).
- `converged`: the stack applied and the hosts converged; `plan` finds nothing to do (exit 0).
- `preflight-fails`: the cloud's preflight check fails (no credentials); `plan` and `up` exit 1.
- `replace`: the stack applied, but the next plan replaces a resource; `up` applies it only with --yes.
Each run appends {"argv", "exit_code"} as one JSON line to FAKE_OPENEDX_DEPLOY_LOG.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The checkout's package, not an installed one, and tests/ for the fakes.
sys.path[:0] = [str(HERE.parent), str(HERE)]

SCENARIO_ENV = "FAKE_OPENEDX_DEPLOY_SCENARIO"
LOG_ENV = "FAKE_OPENEDX_DEPLOY_LOG"
REPLACED = "module.app.aws_instance.this[0]"


def _adapters(scenario: str) -> dict[str, Any]:
    from fakes import FakeAnsible, FakeTerraform, healthy

    from openedx_deploy.preflight import PreflightError, PreflightReport

    def passing(spec: Any) -> PreflightReport:
        return PreflightReport(spec.cloud)

    def failing(spec: Any) -> PreflightReport:
        report = PreflightReport(spec.cloud)
        report.add("credentials", False, "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        raise PreflightError(report)

    terraform = {
        "pending": FakeTerraform(),
        "converged": FakeTerraform(applied=True),
        "preflight-fails": FakeTerraform(),
        "replace": FakeTerraform(applied=True, removals=[(REPLACED, "replace")]),
    }[scenario]
    return {
        "preflight": failing if scenario == "preflight-fails" else passing,
        "terraform": lambda root: terraform,
        "ansible": lambda artifacts: FakeAnsible(changed=0 if scenario == "converged" else 7),
        "heartbeat": healthy,
    }


def main() -> None:
    import pytest
    from fakes import use_fake_adapters

    from openedx_deploy.cli import main as real_main

    use_fake_adapters(pytest.MonkeyPatch(), **_adapters(os.environ[SCENARIO_ENV]))
    code: Any = 0
    try:
        real_main()
    except SystemExit as exit:
        code = exit.code
    with open(os.environ[LOG_ENV], "a") as log:
        log.write(json.dumps({"argv": sys.argv[1:], "exit_code": code}) + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
