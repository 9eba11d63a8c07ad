"""What the CLI prints: human text through rich, or one JSON document for CI pipelines."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Output:
    """Prints for people (`text`) or machines (`json`): in JSON mode only `result()` writes to stdout."""

    mode: str = "text"
    verbose: int = 0
    console: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True))

    @property
    def json(self) -> bool:
        return self.mode == "json"

    def info(self, message: str) -> None:
        """Progress and explanations: stdout for text, stderr for JSON so stdout stays one document."""
        (self.err if self.json else self.console).print(message, markup=False)

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
