"""What the suite compares, read the same way from both sides, and the comparison itself."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

# Sub-keys of these settings are compared one by one (production.py merges most of them into common.py's defaults).
NESTED = ("FEATURES", "JWT_AUTH", "MFE_CONFIG", "CACHES", "DATABASES")
# Command-line options whose value means something beyond tuning (the rest are compared by name only).
VALUED_OPTIONS = ("--app", "--queues", "--prefetch-multiplier", "--max-tasks-per-child")


@dataclass
class Container:
    image: str
    entrypoint: list[str] | None
    command: list[str]
    user: str
    env: dict[str, str]
    mounts: list[str]
    port: int | None


@dataclass
class Deployment:
    containers: dict[str, Container]
    routes: dict[str, str]  # "<site>:<path prefix>" -> container
    settings: dict[str, dict[str, Any]]  # service -> setting key -> value (None when not a literal)
    jobs: set[str] = field(default_factory=set)
    # service -> settings a Python settings module assigns after production.py has read the YAML (ours: the module
    # openedx_config renders); production.py's own reassignments do not replace them.
    after_yaml: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class Difference:
    container: str
    key: str
    kind: str  # missing (reference has it, we do not), different, extra (we have it, the reference does not)
    detail: str = field(compare=False, default="")


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None


def _target_key(node: ast.AST) -> str | None:
    """`FOO` -> FOO, `FOO["a"]["b"]` -> FOO.a.b; None for anything else (locals, attributes)."""
    parts: list[str] = []
    while isinstance(node, ast.Subscript):
        index = _literal(node.slice)
        if not isinstance(index, str):
            return None
        parts.append(index)
        node = node.value
    if not isinstance(node, ast.Name) or not node.id.isupper():
        return None
    return ".".join([node.id, *reversed(parts)])


def python_settings(source: str) -> dict[str, Any]:
    """Settings a Python settings module sets at its top level, by key, with their literal value (or None)."""
    found: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                key = _target_key(target)
                if key:
                    value = _literal(node.value)
                    if isinstance(value, dict) and key in NESTED:
                        found.update({f"{key}.{k}": v for k, v in value.items()})
                    found[key] = value
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in ("append", "remove", "extend"):
                key = _target_key(func.value)
                if key and call.args:
                    found[f"{key}.{func.attr}({_literal(call.args[0])!r})"] = True
            elif isinstance(func, ast.Name) and call.args:
                key = _target_key(call.args[0])  # update_module_store_settings(MODULESTORE, ...)
                if key:
                    found[key] = None
            elif isinstance(func, ast.Attribute) and func.attr == "configure":
                found["CODE_JAIL"] = None  # codejail.jail_code.configure(...)
    return found


def yaml_settings(data: dict[str, Any], *, paths: bool = False) -> dict[str, Any]:
    """Settings of a YAML file by key, the NESTED ones also by sub-key. With `paths` (our side, which is only looked
    up), every nested dict is also reachable by its dotted path, so that a reference assignment such as
    VIDEO_IMAGE_SETTINGS["STORAGE_KWARGS"]["location"] finds the value our YAML gives the whole dict."""
    found: dict[str, Any] = {}
    for key, value in (data or {}).items():
        found[key] = value
        if key in NESTED and isinstance(value, dict):
            found.update({f"{key}.{k}": v for k, v in value.items()})
        if paths and isinstance(value, dict):
            found.update({f"{key}.{k}": v for k, v in yaml_settings(value, paths=True).items()})
    return found


def _options(argv: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for index, arg in enumerate(argv):
        if not arg.startswith("--"):
            continue
        name, eq, value = arg.partition("=")
        if not eq and index + 1 < len(argv) and not argv[index + 1].startswith("-"):
            value = argv[index + 1]
        options[name] = value
    return options


def compare_containers(name: str, ref: Container, ours: Container) -> list[Difference]:
    out: list[Difference] = []

    def differ(key: str, theirs: Any, mine: Any) -> None:
        if theirs != mine:
            out.append(Difference(name, key, "different", f"reference {theirs!r}, ours {mine!r}"))

    differ("image", ref.image, ours.image)
    differ("entrypoint", ref.entrypoint, ours.entrypoint)
    differ("command", ref.command[:1], ours.command[:1])
    if ref.command[:1] == ours.command[:1]:
        theirs, mine = _options(ref.command), _options(ours.command)
        for option in sorted(set(theirs) | set(mine)):
            if option not in mine:
                out.append(Difference(name, f"command {option}", "missing", f"reference {theirs[option]!r}"))
            elif option not in theirs:
                out.append(Difference(name, f"command {option}", "extra", f"ours {mine[option]!r}"))
            elif option in VALUED_OPTIONS:
                differ(f"command {option}", theirs[option], mine[option])
    differ("user", ref.user, ours.user)
    differ("port", ref.port, ours.port)
    for var in sorted(set(ref.env) | set(ours.env)):
        if var not in ours.env:
            out.append(Difference(name, f"env {var}", "missing", f"reference {ref.env[var]!r}"))
        elif var not in ref.env:
            out.append(Difference(name, f"env {var}", "extra", f"ours {ours.env[var]!r}"))
        else:
            differ(f"env {var}", ref.env[var], ours.env[var])
    for path in sorted(set(ref.mounts) | set(ours.mounts)):
        if path not in ours.mounts:
            out.append(Difference(name, f"mount {path}", "missing"))
        elif path not in ref.mounts:
            out.append(Difference(name, f"mount {path}", "extra"))
    return out


def _comparable(value: Any) -> bool:
    # Values worth comparing as they are: switches, and URLs/paths (both sides use the same domains).
    return isinstance(value, bool) or (isinstance(value, str) and (value.startswith(("http", "/"))))


def compare_settings(
    service: str, ref: dict[str, Any], ours: dict[str, Any], equivalents: dict[str, Any]
) -> list[Difference]:
    """Every reference setting must be set by ours, under its own key or a documented equivalent."""
    out: list[Difference] = []
    for key, value in sorted(ref.items()):
        if key in ours:
            mine = ours[key]
        elif key in equivalents:
            equivalent = equivalents[key]
            if isinstance(equivalent, dict) and "ours" in equivalent:
                if equivalent["ours"] in ours:
                    continue
                out.append(Difference(service, key, "missing", f"equivalent {equivalent['ours']} not set"))
            continue  # documented as set another way (mapping.yml says how)
        elif "." in key and "(" in key:
            # LIST.append(value): our YAML list must hold the value (LIST may be a dotted path into a dict).
            base = key[: key.index("(")].rpartition(".")[0]
            rest = key[len(base) + 1 :]
            wanted = _literal(ast.parse(rest[rest.index("(") + 1 : -1], mode="eval").body)
            mine_list = ours.get(base)
            present = isinstance(mine_list, list) and wanted in mine_list
            if rest.startswith("remove"):
                present = isinstance(mine_list, list) and wanted not in mine_list
            if not present:
                out.append(Difference(service, key, "missing", f"ours {base} = {mine_list!r}"))
            continue
        else:
            out.append(Difference(service, key, "missing", f"reference {value!r}"[:160]))
            continue
        if _comparable(value) and value != mine:
            out.append(Difference(service, key, "different", f"reference {value!r}, ours {mine!r}"[:200]))
    return out


def overridden_settings(
    service: str, ours: dict[str, Any], overridden: dict[str, Any], after_yaml: set[str] | frozenset[str] = frozenset()
) -> list[Difference]:
    """Our YAML keys that production.py replaces after reading the YAML: their value never reaches Django (unless our
    settings module, which runs after production.py, sets them again: `after_yaml`)."""
    out = []
    for key, rule in sorted(overridden.items()):
        if key not in ours or key in after_yaml:
            continue
        flags = rule.get("when_features_any")
        if flags and not any(ours.get(f"FEATURES.{flag}") for flag in flags):
            continue
        out.append(Difference(service, f"{key} (production.py overrides it)", "different", rule["does"]))
    return out
