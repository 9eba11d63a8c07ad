"""What the CLI prints: human text through rich, or one JSON document for CI pipelines.

rich is imported when something is first printed, not at import time: `--help` and `--version` never print
through it and start faster without it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console
    from rich.status import Status

# Width of text printed where no terminal says how wide it is (a pipe, a CI log): wide enough that no table is cut
# or wrapped; rich still honours COLUMNS when it is set.
UNBOUNDED_WIDTH = 10_000


def _console(stderr: bool) -> Console:
    import os

    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        # rich assumes 80 columns off a terminal, and cuts tables to fit.
        console = Console(stderr=stderr, highlight=False, soft_wrap=True, width=UNBOUNDED_WIDTH)
    return console


@dataclass
class Output:
    """Prints for people (`text`) or machines (`json`): in JSON mode only `result()` writes to stdout; prompts,
    progress and errors go to stderr."""

    mode: str = "text"
    verbose: int = 0
    _console: Console | None = field(default=None, init=False, repr=False)
    _err: Console | None = field(default=None, init=False, repr=False)
    _status: Status | None = field(default=None, init=False, repr=False)
    _activity: str = field(default="", init=False, repr=False)

    @property
    def json(self) -> bool:
        return self.mode == "json"

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = _console(stderr=False)
        return self._console

    @property
    def err(self) -> Console:
        if self._err is None:
            self._err = _console(stderr=True)
        return self._err

    def info(self, message: str) -> None:
        """Progress and explanations: stdout for text, stderr for JSON so stdout stays one document."""
        (self.err if self.json else self.console).print(message, markup=False)

    @contextmanager
    def activity(self, message: str) -> Iterator[None]:
        """A phase of a long command. On a terminal a live status line shows it with its current step (`step`);
        elsewhere (CI logs, pipes) each step is a line of its own."""
        self.info(message)
        console = self.err if self.json else self.console
        if not console.is_terminal:
            yield
            return
        with console.status(message) as status:
            self._status, self._activity = status, message
            try:
                yield
            finally:
                self._status = None

    def step(self, detail: str) -> None:
        """The current step of the activity, e.g. the Ansible task and host."""
        if self._status is not None:
            self._status.update(f"{self._activity}: {detail}")
        else:
            self.info(f"  {detail}")

    def warn(self, message: str) -> None:
        """What needs the operator's attention before a prompt: stderr in both modes, beside the prompt."""
        self.err.print(message, markup=False)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.err.print(message, markup=False)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A table for people (text mode only: in JSON mode the result document carries the same rows)."""
        if self.json:
            return
        from rich.table import Table

        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.console.print(table)

    def result(self, document: BaseModel) -> None:
        """The machine-readable result of a command (JSON mode), one of the models in `commands/documents.py`: one
        document on stdout; ignored in text mode."""
        if not self.json:
            return
        data = document.model_dump(mode="json")
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        sys.stdout.flush()
