"""The one domain error type family, caught once in `cli.main()` and printed as `Error: ...`."""

from __future__ import annotations

from dataclasses import dataclass


class DeployError(Exception):
    """A failure the user can act on: printed without a traceback, exit code 1."""

    exit_code = 1


class Declined(DeployError):
    """A confirmation answered no, or needed where nobody can answer (no terminal and no --yes): nothing was done.
    Exit code 1, reported as kind `aborted`."""


class UsageError(DeployError):
    """Bad input on the command line or in a file: exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an environment file: the field path and what is allowed, and where the field (or the
    nearest enclosing one the file names) is in the file, 1-based, when the problem came from a file."""

    field: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class SpecError(UsageError):
    """An environment file that does not validate; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem], source: str = "environment file") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source} is not valid ({len(problems)} problem(s))")
