"""What the CLI prints: human text through rich, or one JSON document for CI pipelines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.status import Status
from rich.table import Table


@dataclass
class Output:
    """Prints for people (`text`) or machines (`json`): in JSON mode only `result()` writes to stdout."""

    mode: str = "text"
    verbose: int = 0
    console: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True))
    _status: Status | None = field(default=None, init=False, repr=False)
    _activity: str = field(default="", init=False, repr=False)

    @property
    def json(self) -> bool:
        return self.mode == "json"

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

    def debug(self, message: str) -> None:
        if self.verbose:
            self.err.print(message, markup=False)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.console.print(table)

    def result(self, document: dict[str, Any]) -> None:
        """The machine-readable result of a command (JSON mode); ignored in text mode."""
        if self.json:
            sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
            sys.stdout.flush()
