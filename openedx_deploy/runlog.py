"""The run logs under build/<name>/logs/ (terraform.log, ansible.log) and the redaction of secrets from what goes in.

A log names resources, addresses and whatever a tool printed, so it is 0600 in a 0700 directory, and every value
it is given as a secret is replaced by `<redacted>` before it is written: the value itself, the value as JSON and
Ansible print it (newlines and quotes escaped), and the long parts of a structured secret that a tool may print on
their own (each line of a PEM key, each string of a JSON Web Key). Redaction does not rely on the tools hiding
anything (`no_log`, `sensitive`): whatever they print passes through it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

REDACTED = "<redacted>"
# The parts of a multi-line or JSON secret redacted on their own: long enough to be key material, not a PEM armour
# line or a JWK's `"kty": "RSA"`.
_MIN_PART = 16


def secret_forms(value: str) -> set[str]:
    """Every form of one secret value a log might receive."""
    if not value:
        return set()
    forms = {value, json.dumps(value)[1:-1]}
    parts = [line.strip() for line in value.splitlines()] if "\n" in value else []
    try:
        structured = json.loads(value)
    except ValueError:
        structured = None
    parts += _strings(structured) if isinstance(structured, dict | list) else []
    forms.update(part for part in parts if len(part) >= _MIN_PART and not part.startswith("-----"))
    return {form for form in forms if form}


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for item in data.values():
            yield from _strings(item)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


class Redactor:
    """Replaces every form of the given secret values by `<redacted>`: in text, or in every string of a structure."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for value in secrets:
            forms |= secret_forms(value)
        # Longest first: a whole key goes before the lines it is made of.
        ordered = sorted(forms, key=lambda form: (-len(form), form))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern and text else text

    def data(self, value: Any) -> Any:
        """A copy of a JSON-like structure (an Ansible event) with every string, keys included, redacted."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@contextmanager
def open_log(path: Path) -> Iterator[TextIO]:
    """The log file opened for appending, created 0600 (and made so if an older version left it wider) in a 0700
    directory. Written a line at a time as a run goes, so a run stopped halfway is logged as far as it got."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "a", buffering=1, encoding="utf-8", errors="replace") as log:
        yield log


def append_log(path: Path, text: str) -> None:
    with open_log(path) as log:
        log.write(text)
