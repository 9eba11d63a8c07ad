"""Work a test run does once however many pytest-xdist workers need it (scripts/test runs the fast suite on every
core, and each worker builds its own session- and module-scoped fixtures)."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of this test run that every worker sees: the run's base temp dir, whose popen-gw<N> children are
    the workers' own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`name` in the run's directory, filled by `build` for the first worker that asks; the others wait for it, then
    reuse it. A build that raises leaves nothing behind, so the next worker tries again (and reports its own error)."""
    target = run_dir(tmp_path_factory) / name
    with (target.parent / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".built").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            try:
                build(target)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
            (target / ".built").touch()
    return target
