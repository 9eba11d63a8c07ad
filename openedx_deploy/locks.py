"""One operation per environment at a time: an advisory lock (flock) per environment, held for a whole command.

The lock file is `.openedx-deploy/locks/NAME.lock` in the working directory. The kernel releases a flock when its
holder exits, however it exits, so a crashed run never leaves the environment locked; the file's content (pid,
command, start time) only serves the message a second command prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from .errors import DeployError


class EnvironmentLocked(DeployError):
    """Another command holds the environment's lock: exit 1, and who holds it."""


class EnvironmentLock:
    """The lock of one environment; `acquire()` fails at once (no waiting) when another process holds it."""

    def __init__(self, path: Path, environment: str, command: str) -> None:
        self.path = path
        self.environment = environment
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> EnvironmentLock:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(fd)
            os.close(fd)
            raise EnvironmentLocked(
                f"environment {self.environment} is locked by {holder}: one operation per environment at a time. "
                "Wait for it to finish (the lock goes with the process that holds it), then run this again"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        record = {
            "pid": os.getpid(),
            "command": self.command,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        self._fd = fd
        return self

    @staticmethod
    def _holder(fd: int) -> str:
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            if isinstance(record, dict) and record.get("pid"):
                return f"pid {record['pid']} ({record.get('command', '?')}), started at {record.get('started', '?')}"
        return "another openedx-deploy process (it is starting)"

    def release(self) -> None:
        if self._fd is not None:
            # The file stays: removing it while another process waits to open it would let two hold "the" lock.
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> EnvironmentLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()
