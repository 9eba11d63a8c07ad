"""TEST DOUBLE, tests only: the shared provider double (../shared/tools/terraform-schema-provider/schema_provider.py),
with one change: what the SIM_PROVIDER_HOOK prints may also fill values still unknown INSIDE nested blocks.

Why: the shared double merges hook output into top-level attributes only, and a google_compute_instance's addresses
are nested (network_interface[0].network_ip, network_interface[0].access_config[0].nat_ip). A hook may now print
{"network_interface": [{"network_ip": "10.0.0.2", "access_config": [{"nat_ip": "198.18.0.2"}]}]}: the i-th object
given fills the i-th object of the planned block (list and set elements in the order the hook was given them, map
elements by key), and only where a value is still unknown. Top-level attributes merge exactly as the shared double
merges them; the double's schemas, plans, invented values and everything else are the shared module's own.

Run by the plugin dir's wrappers (tests/test_simcloud.py builds them the way make-plugin-dir does) as
  PYTHON provider_shim.py PATH/schema_provider.py [provider arguments]
with PYTHON the interpreter that has the shared double's `tf` package. Nothing in the shared directory is changed.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

MaySet = Callable[[dict[str, Any], Any], bool]


def nested_merge(sp: Any) -> Callable[..., None]:
    """A replacement for `sp.merge_hook` (same signature) that descends into nested blocks and nested-type
    attributes. `sp` is the shared module (its Unknown, conv, to_json, diag and pb)."""

    def warn(diags: list[Any], where: str, why: str) -> None:
        diags.append(sp.diag(f"Hook value for {where!r} ignored", why, sp.pb.Diagnostic.WARNING))

    def merge_object(
        b: dict[str, Any], values: dict[str, Any], returned: Any, may_set: MaySet, diags: list[Any], where: str
    ) -> None:
        if not isinstance(returned, dict):
            warn(diags, where, "A nested block takes a JSON object.")
            return
        attrs, blocks = b.get("attributes", {}), b.get("block_types", {})
        for k, v in returned.items():
            if v is None:
                continue
            path = f"{where}.{k}" if where else k
            a = attrs.get(k)
            if a is not None and "nested_type" not in a:
                new = sp.conv(a["type"], v)
                if may_set(a, values.get(k)):
                    values[k] = new
                elif sp.to_json(values.get(k)) != new:
                    known = (
                        "The attribute has a known planned value; changing it would make Terraform reject the apply."
                    )
                    warn(diags, path, known)
            elif a is not None:
                nt = a["nested_type"]
                inner = {"attributes": nt.get("attributes", {})}
                merge_nested(nt.get("nesting_mode", "single"), inner, values.get(k), v, may_set, diags, path)
            elif k in blocks:
                bt = blocks[k]
                merge_nested(bt["nesting_mode"], bt.get("block", {}), values.get(k), v, may_set, diags, path)
            else:
                warn(diags, path, "Not an attribute or block of this type in the schema.")

    def merge_nested(
        mode: str, b: dict[str, Any], current: Any, returned: Any, may_set: MaySet, diags: list[Any], where: str
    ) -> None:
        """Into the objects that exist: a hook can fill what is unknown, never add or remove an element (Terraform
        would reject an apply result whose blocks differ from the plan's)."""
        if returned in ([], {}):
            return
        if current is None or isinstance(current, sp.Unknown):
            warn(diags, where, "The planned value has no objects here to fill.")
        elif mode in ("single", "group"):
            merge_object(b, current, returned, may_set, diags, where)
        elif mode in ("list", "set"):
            if not isinstance(returned, list) or len(returned) > len(current):
                warn(diags, where, f"A list of at most {len(current)} objects (the planned ones) was expected.")
                return
            for i, item in enumerate(returned):
                if item is not None:
                    merge_object(b, current[i], item, may_set, diags, f"{where}[{i}]")
        elif mode == "map":
            if not isinstance(returned, dict) or not set(returned) <= set(current):
                warn(diags, where, f"An object with keys among the planned {sorted(current)} was expected.")
                return
            for key, item in returned.items():
                if item is not None:
                    merge_object(b, current[key], item, may_set, diags, f"{where}[{key!r}]")

    def merge_hook(
        b: dict[str, Any], values: dict[str, Any], returned: dict[str, Any], may_set: MaySet, diags: list[Any]
    ) -> None:
        merge_object(b, values, returned, may_set, diags, "")

    return merge_hook


def make_plugin_dir(source: Path, out: Path) -> Path:
    """A plugin dir like `source` (one make-plugin-dir built: each provider a wrapper that runs the shared
    schema_provider.py with its schema file), each wrapper running the shared module through this shim instead.
    The same interpreter, schema files and shared module: only the merge differs."""
    wrappers = sorted(source.glob("registry.terraform.io/hashicorp/*/*/*/terraform-provider-*"))
    if not wrappers:
        raise FileNotFoundError(f"no provider wrappers under {source}")
    for wrapper in wrappers:
        command = wrapper.read_text().splitlines()[-1]
        words = shlex.split(command)
        fits = len(words) == 5 and words[0].startswith("SCHEMA_PROVIDER_FILE=") and words[1] == "exec"
        if not fits or not words[3].endswith("schema_provider.py") or words[4] != "$@":
            raise ValueError(f"{wrapper}: not a make-plugin-dir wrapper: {command!r}")
        schema, python, shared = words[0].split("=", 1)[1], words[2], words[3]
        shimmed = out / wrapper.relative_to(source)
        shimmed.parent.mkdir(parents=True, exist_ok=True)
        run = " ".join(shlex.quote(w) for w in (python, str(Path(__file__).resolve()), shared))
        shimmed.write_text(f'#!/bin/sh\nSCHEMA_PROVIDER_FILE={shlex.quote(schema)} exec {run} "$@"\n')
        shimmed.chmod(0o755)
    return out


def main() -> None:
    """Load the shared module with its last statement (serving the provider) held back, replace its merge, serve."""
    shared_path, *arguments = sys.argv[1:]
    from tf import runner  # type: ignore[import-not-found]  # the shared double's interpreter has it

    serve = runner.run_provider
    held: list[Any] = []
    runner.run_provider = lambda provider, argv=None: held.append(provider)
    spec = importlib.util.spec_from_file_location("schema_provider", shared_path)
    assert spec and spec.loader, shared_path
    sp = importlib.util.module_from_spec(spec)
    sys.modules["schema_provider"] = sp
    spec.loader.exec_module(sp)
    runner.run_provider = serve
    if not held:
        raise SystemExit(f"{shared_path} did not start its provider: the shim no longer fits the shared double")
    sp.merge_hook = nested_merge(sp)
    sys.argv = [shared_path, *arguments]
    serve(held[0])


if __name__ == "__main__":
    main()
