"""Edits to the environment file as a document people wrote: ruamel.yaml's round trip keeps its comments, blank
lines, key order, quoting and indentation, and the edited file replaces the old one atomically.

Only the keys an edit names change; every other line comes back as it was (ruamel re-indents a file whose nested
blocks disagree with each other to the first block's indentation)."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import DeployError


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the operator wrote on one
    return yaml


def _indents(document: Any) -> tuple[int, int, int]:
    """The file's block indentation as ruamel's (mapping, sequence, offset), from the first nested block mapping
    and block sequence; ruamel's defaults where the file has none."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mapping = sequence = offset = None
    stack: list[Any] = [document]
    while stack and (mapping is None or sequence is None):
        node = stack.pop()
        if isinstance(node, CommentedSeq):
            stack.extend(node)
        if not isinstance(node, CommentedMap):
            continue
        for key, value in node.items():
            key_column = node.lc.key(key)[1]
            block = isinstance(value, CommentedMap | CommentedSeq) and not value.fa.flow_style() and len(value) > 0
            if block and isinstance(value, CommentedMap) and mapping is None:
                mapping = value.lc.key(next(iter(value)))[1] - key_column
            if block and isinstance(value, CommentedSeq) and sequence is None:
                sequence = value.lc.item(0)[1] - key_column
                offset = value.lc.col - key_column
            stack.append(value)
    return mapping or 2, sequence or 2, offset or 0


def _replace(mapping: Any, key: Any, value: Any) -> None:
    """Sets an existing key's value quoted the way the old one was (a quoted release stays quoted); an end-of-line
    comment a longer value would run into moves right, keeping its distance."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString, SingleQuotedScalarString

    old = mapping[key]
    new = type(old)(value) if isinstance(old, ScalarString) and isinstance(value, str) else value
    mapping[key] = new
    items = mapping.ca.items.get(key)
    token = items[2] if items and len(items) > 2 else None
    if token is None or token.value.startswith("\n") or token.start_mark is None:
        return
    if not isinstance(old, str | int | float) or not isinstance(new, str | int | float):
        return
    try:
        start = mapping.lc.value(key)[1]
    except (KeyError, TypeError):
        return
    quotes = 2 if isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString) else 0
    gap = token.start_mark.column - (start + len(str(old)) + quotes)
    if gap >= 1:
        token.start_mark.column = max(token.start_mark.column, start + len(str(new)) + quotes + min(gap, 2))


def _detach_following(mapping: Any, key: Any) -> str | None:
    """Takes the blank lines and comment lines that follow `key`'s value (ruamel keeps them on the key before
    them), leaving its end-of-line comment; returns them as comment text, or None."""
    items = mapping.ca.items.get(key)
    if not items or len(items) < 3 or items[2] is None:
        return None
    token = items[2]
    text: str = token.value
    eol, newline, following = text.partition("\n")
    if not following:
        return None
    if eol.strip():
        token.value = eol + newline
    else:
        items[2] = None
    return following


def _attach_following(mapping: Any, key: Any, following: str | None) -> None:
    """Puts comment text taken by `_detach_following` after `key`'s value."""
    if not following:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    items = mapping.ca.items.setdefault(key, [None, None, None, None])
    if items[2] is None:
        items[2] = CommentToken("\n" + following, CommentMark(0), None)
    else:
        items[2].value = items[2].value.rstrip("\n") + "\n" + following


def _remove(mapping: Any, key: Any) -> None:
    """Deletes `key`; the comments and blank lines after its value stay where they were."""
    keys = list(mapping)
    index = keys.index(key)
    following = _detach_following(mapping, key)
    mapping.ca.items.pop(key, None)
    del mapping[key]
    if index > 0:
        _attach_following(mapping, keys[index - 1], following)
    elif following and len(mapping):
        comments = [line.strip()[1:].strip() for line in following.splitlines() if line.strip().startswith("#")]
        if comments:
            column = mapping.lc.key(next(iter(mapping)))[1]
            mapping.yaml_set_comment_before_after_key(next(iter(mapping)), before="\n".join(comments), indent=column)


def _append(mapping: Any, key: Any, value: Any) -> None:
    """Adds `key` last: the comments and blank lines after the old last value (they introduce what follows the
    mapping) move below the new one."""
    last = next(reversed(mapping), None) if len(mapping) else None
    following = _detach_following(mapping, last) if last is not None else None
    mapping[key] = value
    _attach_following(mapping, key, following)


def set_top_level(document: Any, key: str, value: Any, after: str | None = None) -> None:
    """Sets a top-level scalar, keeping its quoting and comments; a new key goes right after `after` (before the
    comments that follow it, which introduce the next section), else at the end."""
    if key in document:
        _replace(document, key, value)
    elif after is not None and after in document:
        position = list(document).index(after) + 1
        following = _detach_following(document, after)
        document.insert(position, key, value)
        _attach_following(document, key, following)
    else:
        document[key] = value


def set_mapping(document: Any, key: str, values: dict[str, Any]) -> None:
    """Makes the top-level mapping `key` hold exactly `values` (in their order for new keys): keys it keeps keep
    their place, quoting and comments; keys it drops leave their following comments behind."""
    from ruamel.yaml.comments import CommentedMap

    current = document.get(key)
    if not isinstance(current, CommentedMap):
        fresh = CommentedMap()
        fresh.update(values)
        document[key] = fresh
        return
    for old in [k for k in current if k not in values]:
        _remove(current, old)
    for name, value in values.items():
        if name in current:
            _replace(current, name, value)
        else:
            _append(current, name, value)


def _keep_anchors(document: Any) -> None:
    """ruamel drops the anchor of a mapping or list no alias refers to; the operator wrote it, so it stays."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    seen: set[int] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, CommentedMap | CommentedSeq):
            continue
        seen.add(id(node))
        if node.anchor.value:
            node.yaml_set_anchor(node.anchor.value, always_dump=True)
        stack.extend(node.values() if isinstance(node, CommentedMap) else node)


def _document_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", "%"))]


def edit_document(path: Path, edit: Callable[[Any], None], check: Callable[[str], None]) -> None:
    """Loads `path` for a round trip, applies `edit` to the document, has `check` read the new text (it raises
    when the result is not what was meant), then replaces the file atomically with the same permissions. What
    ruamel would not keep by itself is put back: a byte order mark, CRLF line ends, `---` and `...` markers, a
    missing final newline."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    target = path.resolve()  # a symlinked environment file stays a symlink; its target gets the new text
    try:
        raw = target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployError(f"{path} cannot be edited: {exc}") from None
    bom = raw.startswith("\ufeff")
    crlf = "\r\n" in raw
    text = raw.removeprefix("\ufeff").replace("\r\n", "\n")
    yaml = _yaml()
    try:
        document = yaml.load(text)
    except YAMLError as exc:
        raise DeployError(f"{path} cannot be edited: {exc}") from None
    if not isinstance(document, CommentedMap):
        raise DeployError(f"{path} cannot be edited: it is not a mapping of fields")
    mapping, sequence, offset = _indents(document)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    lines = _document_lines(text)
    yaml.explicit_start = bool(lines) and lines[0].startswith("---")
    yaml.explicit_end = bool(lines) and lines[-1].rstrip() == "..."
    _keep_anchors(document)
    edit(document)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    new_text = buffer.getvalue()
    if not text.endswith("\n"):
        new_text = new_text.removesuffix("\n")
    if crlf:
        new_text = new_text.replace("\n", "\r\n")
    if bom:
        new_text = "\ufeff" + new_text
    check(new_text)
    write_atomically(target, new_text)


def write_atomically(path: Path, text: str) -> None:
    """A temporary file beside `path`, then a rename: a reader (or a crash) sees the old file or the new one, never
    half of one. The new file keeps the old one's permission bits."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
