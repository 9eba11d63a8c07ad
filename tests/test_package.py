"""The built wheel is the tool: installed outside the checkout, it carries every asset it runs and renders every
cloud. Also: every module the package imports is a declared dependency.

The wheel is built the way pipx builds it (pip, isolated build environment). The fresh venv borrows the test venv's
installed dependencies through a .pth line instead of downloading them again: what is under test is the wheel's own
content, not pip's resolver.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from once import build_once

REPO = Path(__file__).resolve().parents[1]
# Keep in step with setup.py's ASSET_DIRS.
ASSET_DIRS = (
    "terraform",
    "playbooks",
    "roles",
    "scripts",
    "testhosts",
    "tests/double/openedx",
    "tests/double/meilisearch",
)
CLOUDS = ("aws", "gcp", "azure", "local")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Once per run: `pip wheel` builds in the checkout's build/ directory, where two pytest-xdist workers building at
    # once break each other's build ("File exists", "can't copy ... not a regular file").
    (found,) = build_once(tmp_path_factory, "wheel", _build_wheel).glob("openedx_deploy-*.whl")
    return found


def _build_wheel(out: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-4000:]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (one per run, which the tests only read); returns its bin directory."""
    return build_once(tmp_path_factory, "venv", lambda root: _install(wheel, root)) / "bin"


def _install(wheel: Path, root: Path) -> None:
    venv.create(root, with_pip=False)
    target = Path(
        subprocess.run(
            [str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies (not the package: the test venv's editable install is a finder hook this line does not load).
    (target / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(root / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]


def tracked_files(relative: str) -> set[str]:
    listed = subprocess.run(["git", "ls-files", relative], cwd=REPO, capture_output=True, text=True, check=True)
    return set(listed.stdout.split())


def test_the_wheel_carries_every_tracked_asset(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    prefix = "openedx_deploy/_assets/"
    for relative in ASSET_DIRS:
        expected = tracked_files(relative)
        assert expected, f"git lists nothing under {relative}/"
        missing = sorted(f for f in expected if prefix + f not in names)
        assert not missing, f"the wheel lacks {len(missing)} asset(s), e.g. {missing[:5]}"
    assert modes[prefix + "scripts/build-double-image"] & 0o111, "build-double-image lost its executable bit"


def run_tool(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENEDX_DEPLOY_", "PYTHON"))}
    env["OPENEDX_DEPLOY_VAULT_PASSWORD"] = "package-test-vault-password"
    return subprocess.run(
        [str(bin_dir / "openedx-deploy"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_installed_wheel_is_the_package_it_runs(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import openedx_deploy; print(openedx_deploy.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(installed.parent)), f"imported from {where}, not from the wheel's venv"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_installed_wheel_inits_validates_and_renders_outside_the_checkout(
    installed: Path, tmp_path: Path, cloud: str
) -> None:
    name = f"pkg-{cloud}"
    for args in (
        ("init", name, "--cloud", cloud, "--size", "standard"),
        ("validate", "-e", name),
        ("render", "-e", name),
    ):
        done = run_tool(installed, tmp_path, *args)
        assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    terraform = tmp_path / "build" / name / "terraform"
    if cloud == "local":
        assert (terraform / "local-hosts.json").is_file()
    else:
        modules = {p.name for p in (terraform / "modules-src").rglob("*") if p.is_dir()}
        assert cloud in modules or {"aws", "gcp", "azure"} & modules, f"no {cloud} modules copied: {sorted(modules)}"
        assert (terraform / "main.tf").read_text().strip()
    assert str(REPO) not in "".join(p.read_text(errors="replace") for p in terraform.rglob("*") if p.is_file())


def imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "openedx_deploy").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def declared_distributions() -> set[str]:
    """The distributions pyproject.toml declares for the tool itself (its dependencies and its non-test extras)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra, listed in project.get("optional-dependencies", {}).items():
        if extra != "test":
            requirements += listed
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_every_imported_module_is_a_declared_dependency() -> None:
    distributions = importlib.metadata.packages_distributions()
    declared = declared_distributions()
    undeclared = {}
    for module in sorted(imported_top_level_modules()):
        if module in sys.stdlib_module_names or module in ("openedx_deploy", "__future__"):
            continue
        providers = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert providers, f"openedx_deploy imports {module}, which no installed distribution provides"
        if not providers & declared:
            undeclared[module] = sorted(providers)
    assert not undeclared, f"imported but not declared in pyproject.toml's dependencies: {undeclared}"
