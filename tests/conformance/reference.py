"""Tutor's reference deployment of a release: rendered offline by the pinned Tutor packages, read as plain data.

Tutor and its plugins run in a virtualenv of their own per major version (scripts/prepare-tutor-venvs makes them,
scripts/bootstrap calls it). Their rendered files are read here and never copied into this repository.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from openedx_deploy.releases import Release

from .model import Container, Deployment, python_settings, yaml_settings

HERE = Path(__file__).resolve().parent
# The domains both sides are rendered with, so URL-valued settings compare as they are.
DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}
# Run inside the Tutor virtualenv: lists the init tasks `tutor local do init` would run, rendered.
_INIT_TASKS = """
import json, sys
from tutor import config as tutor_config, env, hooks
import tutor.commands.cli  # noqa: F401  (declares the core init tasks on CORE_READY)
hooks.Actions.CORE_READY.do()
hooks.Actions.PROJECT_ROOT_READY.do(sys.argv[1])
cfg = tutor_config.load(sys.argv[1])
tasks = [[service, env.render_str(cfg, task)] for service, task in hooks.Filters.CLI_DO_INIT_TASKS.iterate()]
json.dump(tasks, sys.stdout)
"""


def cache_root() -> Path:
    return Path(os.environ.get("OPENEDX_DEPLOY_CACHE", Path.home() / ".cache" / "openedx-deploy"))


@contextlib.contextmanager
def building(root: Path) -> Iterator[None]:
    """Held while a cached render of `root` is made: pytest-xdist workers and other checkouts share the cache, and
    two renders of one root into its one scratch directory would delete each other's files. The caller checks again
    for a finished render once it holds the lock."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with root.with_name(root.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def venv_dir(release: Release) -> Path:
    return cache_root() / f"tutor-{release.tutor.major}"


def venv_stamp(release: Release) -> str:
    return " ".join(release.tutor.requirements())


def venv_problem(release: Release) -> str | None:
    """Why the release's Tutor virtualenv cannot be used, or None when it is ready."""
    venv = venv_dir(release)
    if not (venv / "bin" / "tutor").exists():
        return f"no Tutor virtualenv at {venv} (run scripts/prepare-tutor-venvs or scripts/bootstrap)"
    stamp = venv / ".openedx-deploy-pins"
    have = stamp.read_text().strip() if stamp.exists() else ""
    if have != venv_stamp(release):
        return f"{venv} holds {have or 'unknown versions'}, the catalog pins {venv_stamp(release)}: re-run the script"
    return None


def _render_key(release: Release) -> str:
    recipe = json.dumps([release.tutor.requirements(), DOMAINS, _INIT_TASKS, _config_args()])
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def _config_args() -> list[str]:
    sets = {
        "LMS_HOST": DOMAINS["lms"],
        "CMS_HOST": DOMAINS["studio"],
        "MFE_HOST": DOMAINS["mfe"],
        "ENABLE_HTTPS": "true",
    }
    return [arg for name, value in sets.items() for arg in ("--set", f"{name}={value}")]


def render(release: Release) -> Path:
    """Tutor's rendered root for the release's pinned packages (cached; about 2 s when not)."""
    root = cache_root() / "conformance" / f"tutor-{release.tutor.tutor}-{_render_key(release)}"
    if (root / "init-tasks.json").exists():
        return root
    with building(root):
        if not (root / "init-tasks.json").exists():
            _render(release, root)
    return root


def _render(release: Release, root: Path) -> None:
    problem = venv_problem(release)
    if problem:
        raise RuntimeError(problem)
    bin_dir = venv_dir(release) / "bin"
    scratch = root.with_name(root.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    env = dict(os.environ, TUTOR_ROOT=str(scratch))
    tutor = [str(bin_dir / "tutor"), "--root", str(scratch)]
    for command in (
        [*tutor, "plugins", "enable", "mfe", "notes"],
        [*tutor, "config", "save", *_config_args()],
    ):
        subprocess.run(command, env=env, check=True, capture_output=True, text=True, timeout=300)
    tasks = subprocess.run(
        [str(bin_dir / "python"), "-c", _INIT_TASKS, str(scratch)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    (scratch / "init-tasks.json").write_text(tasks)
    shutil.rmtree(root, ignore_errors=True)
    scratch.rename(root)


# --- reading the rendered environment -----------------------------------------------------------------------------


def dockerfile_defaults(path: Path, base_images: dict[str, Any]) -> dict[str, Any]:
    """ENV, USER, CMD, ENTRYPOINT of a multi-stage Dockerfile's last stage (following its FROM chain)."""
    stages: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    for raw in re.sub(r"\\\n", " ", path.read_text()).splitlines():
        line = raw.strip()
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            parts = rest.split()
            stage: dict[str, Any] = {"from": parts[0], "env": {}, "user": None, "cmd": None, "entrypoint": None}
            if len(parts) >= 3 and parts[1].upper() == "AS":
                by_name[parts[2]] = stage
            stages.append(stage)
        elif not stages:
            continue
        elif word == "ENV":
            for name, value in re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", rest):
                stages[-1]["env"][name] = value.strip("\"'")
        elif word == "USER":
            stages[-1]["user"] = rest.strip()
        elif word in ("CMD", "ENTRYPOINT"):
            value = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
            stages[-1]["cmd" if word == "CMD" else "entrypoint"] = value
    chain = []
    stage = stages[-1]
    while True:
        chain.append(stage)
        parent = by_name.get(stage["from"])
        if parent is None:
            break
        stage = parent
    base = stage["from"].split("/")[-1].split(":")[0]
    out: dict[str, Any] = dict(base_images.get(base, {}), env={})
    out.setdefault("user", None)
    out.setdefault("cmd", None)
    out.setdefault("entrypoint", None)
    for stage in reversed(chain):
        out["env"].update(stage["env"])
        for key in ("user", "cmd", "entrypoint"):
            if stage[key] is not None:
                out[key] = stage[key]
    if out["user"] == "${APP_USER_ID}":
        out["user"] = "1000"  # the ARG's default in both images
    return out


def _listen_port_uwsgi(ini: str) -> int | None:
    found = re.search(r"^http\s*=\s*[\d.]*:(\d+)", ini, re.M)
    return int(found.group(1)) if found else None


def uwsgi_static_maps(ini: str) -> dict[str, str]:
    return dict(re.findall(r"^static-map\s*=\s*(\S+?)=(\S+)", ini, re.M))


def listen_port_caddyfile(text: str) -> int | None:
    """The port of the first site block addressed by port alone (`:8002 {`), the shape Tutor's and ours use."""
    found = re.search(r"^:(\d+)\s*\{", text, re.M)
    return int(found.group(1)) if found else None


def _listen_port_argv(argv: list[str]) -> int | None:
    for index, arg in enumerate(argv):
        if arg.startswith("--bind="):
            return int(arg.rsplit(":", 1)[1])
        if arg in ("--bind", "-b") and index + 1 < len(argv):
            return int(argv[index + 1].rsplit(":", 1)[1])
    return None


def caddy_routes(text: str, sites: dict[str, str]) -> dict[str, str]:
    """`<site>:<path>` -> upstream service, from a Caddyfile (site blocks named by their domain or `:port`).

    Read: `import proxy "host:port"` (the site's root), `reverse_proxy /path* host:port`, and `reverse_proxy
    host:port` directly inside `handle @name`, where `@name { path /a/* /b/* }` names the paths (tutor-mfe 22).
    """
    routes: dict[str, str] = {}
    site = None
    depth = 0
    matchers: dict[str, list[str]] = {}
    matcher = handled = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if depth == 0 and line.endswith("{"):
            # `a.org, preview.a.org{$default_site_port} {`: the block serves its first name's site.
            head = line[:-1].strip().replace("{$default_site_port}", "").split(",")[0].strip()
            site = sites.get(head, head)
            matchers = {}
        if site and depth == 1:
            imported = re.match(r'import proxy\s+"([\w.-]+):\d+"', line)
            proxied = re.match(r"reverse_proxy\s+(/\S*)\s+([\w.-]+):\d+", line)
            named = re.match(r"(@[\w-]+)\s+(.*?)\s*(\{?)$", line)
            handle = re.match(r"handle\s+(@[\w-]+)\s*\{", line)
            matcher = handled = None
            if imported:
                routes[f"{site}:/"] = imported.group(1)
            elif proxied:
                routes[f"{site}:{proxied.group(1).rstrip('*')}"] = proxied.group(2)
            elif handle:
                handled = handle.group(1)
            elif named:
                matcher = named.group(1)
                matchers[matcher] = []
                if named.group(2).startswith("path "):
                    matchers[matcher] += named.group(2).split()[1:]
        elif site and depth == 2:
            if matcher and line.startswith("path "):
                matchers[matcher] += line.split()[1:]
            proxied = re.match(r"reverse_proxy\s+([\w.-]+):\d+", line)
            if handled and proxied:
                for path in matchers.get(handled, []):
                    routes[f"{site}:{path.rstrip('*')}"] = proxied.group(1)
        depth += line.count("{") - line.count("}")
    return routes


def _container(service: dict[str, Any], image_defaults: dict[str, Any]) -> Container:
    env = dict(image_defaults.get("env", {}))
    env.update({k: str(v) for k, v in (service.get("environment") or {}).items()})
    command = service.get("command", image_defaults.get("cmd"))
    if isinstance(command, str):
        command = shlex.split(command)
    entrypoint = service.get("entrypoint", image_defaults.get("entrypoint"))
    mounts = sorted(str(volume).split(":")[1] for volume in service.get("volumes") or [])
    return Container(
        image=str(service["image"]).removeprefix("docker.io/"),
        entrypoint=list(entrypoint) if entrypoint else None,
        command=list(command) if command else [],
        user=str(service.get("user") or image_defaults.get("user") or "root"),
        env=env,
        mounts=mounts,
        port=None,
    )


def load(root: Path, mapping: dict[str, Any]) -> Deployment:
    env_dir = root / "env"
    compose: dict[str, Any] = {}
    for name in ("docker-compose.yml", "docker-compose.prod.yml", "docker-compose.jobs.yml"):
        compose.update(yaml.safe_load((env_dir / "local" / name).read_text())["services"])
    base_images = mapping["base_images"]
    images = {
        "openedx": dockerfile_defaults(env_dir / "build/openedx/Dockerfile", base_images),
        "mfe": dockerfile_defaults(env_dir / "plugins/mfe/build/mfe/Dockerfile", base_images),
        "notes": dockerfile_defaults(env_dir / "plugins/notes/build/notes/Dockerfile", base_images),
    }
    uwsgi_port = _listen_port_uwsgi((env_dir / "apps/openedx/uwsgi.ini").read_text())
    mfe_caddyfile = (env_dir / "plugins/mfe/apps/mfe/Caddyfile").read_text()
    containers: dict[str, Container] = {}
    for ours_name, ref_name in mapping["containers"].items():
        service = compose[ref_name]
        kind = "mfe" if ref_name == "mfe" else "notes" if ref_name.startswith("notes") else "openedx"
        container = _container(service, images[kind] if ref_name != "caddy" else base_images["caddy"])
        if ref_name in ("lms", "cms"):
            container.port = uwsgi_port
        elif ref_name == "mfe":
            container.port = listen_port_caddyfile(mfe_caddyfile)
        elif ref_name == "notes":
            container.port = _listen_port_argv(container.command)
        elif ref_name == "caddy":
            container.port = 443
        containers[ours_name] = container
    sites = {DOMAINS["lms"]: "lms", DOMAINS["studio"]: "studio", DOMAINS["mfe"]: "mfe"}
    sites.update({f"notes.{DOMAINS['lms']}": "notes", f"meilisearch.{DOMAINS['lms']}": "meilisearch"})
    routes = caddy_routes((env_dir / "apps/caddy/Caddyfile").read_text(), sites)
    routes.update(caddy_routes(mfe_caddyfile, {":8002": "mfe"}))
    # uwsgi serves these paths from the image's directories before Django sees them (the image's uwsgi.ini).
    for prefix, directory in uwsgi_static_maps((env_dir / "apps/openedx/uwsgi.ini").read_text()).items():
        for site in ("lms", "studio"):
            routes[f"{site}:{prefix}"] = f"files {directory}"
    settings = {}
    for service in ("lms", "cms"):
        keys = yaml_settings(yaml.safe_load((env_dir / f"apps/openedx/config/{service}.env.yml").read_text()))
        keys.update(python_settings((env_dir / f"apps/openedx/settings/{service}/production.py").read_text()))
        settings[service] = keys
    settings["notes"] = python_settings((env_dir / "plugins/notes/apps/settings/tutor.py").read_text())
    jobs = set()
    for service, script in json.loads((root / "init-tasks.json").read_text()):
        jobs.update(f"{service}: {job}" for job in manage_commands(script))
    return Deployment(containers=containers, routes=routes, settings=settings, jobs=jobs)


def manage_commands(script: str) -> set[str]:
    """The Django management commands a job script runs: `manage.py <variant> <command> [<named thing>]`."""
    found = set()
    text = re.sub(r"\\\n", " ", script)
    for match in re.finditer(r"manage\.py\s+(.*)", text):
        argv = shlex.split(match.group(1).split("||")[0].split("|")[0].strip().rstrip(")"))
        # edx-platform's manage.py takes the variant first; edx-notes-api's has none.
        variant = argv.pop(0) if argv[0] in ("lms", "cms") else "notes"
        command = argv[0]
        named = ""
        if command in ("waffle_switch", "waffle_flag") and "--create" in argv:
            named = " " + next(a for a in argv[1:] if not a.startswith("-"))
        elif command == "create_dot_application":
            named = " " + argv[argv.index("--client-id") + 1]
        elif command == "shell" and "-c" in argv:
            named = " -c " + argv[argv.index("-c") + 1]
        elif command in ("waffle_switch", "waffle_flag"):
            continue  # a --list guard in front of a --create
        found.add(f"{variant} {command}{named}")
    if re.search(r"import meilisearch.*create_key", script, re.S):
        found.add("meilisearch API key for the platform")
    return found
