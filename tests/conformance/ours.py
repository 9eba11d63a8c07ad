"""Our side: the app tier this repository deploys for a production-shaped environment, rendered offline.

The inventory facts come from the package's own render code (AWS, standard size, Terraform outputs as a real apply
gives them); Ansible renders the roles' real templates with the playbooks' own variable mapping, on this machine
(connection local, nothing installed or started). The rendered files are then read the way podman would run them.
"""

from __future__ import annotations

import grp
import hashlib
import itertools
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from sample_outputs import AWS_STANDARD_OUTPUTS

from openedx_deploy import render, secrets, stackoutputs
from openedx_deploy.releases import Release
from openedx_deploy.spec import parse_spec

from .model import Container, Deployment, python_settings, yaml_settings
from .reference import DOMAINS, building, cache_root, listen_port_caddyfile

REPO = Path(__file__).resolve().parents[2]
ROLES = ("openedx_app", "workers", "mfe", "notes", "openedx_jobs", "proxy")
UNITS = {
    "lms": "roles/openedx_app/templates/openedx_app.service.j2",
    "cms": "roles/openedx_app/templates/openedx_app.service.j2",
    "mfe": "roles/mfe/templates/mfe.service.j2",
    "notes": "roles/notes/templates/notes.service.j2",
}
# The environment file each unit hands podman (--env-file), rendered beside it as <name>.env.
ENV_FILES = {
    "lms": "roles/openedx_app/templates/openedx_app.env.j2",
    "cms": "roles/openedx_app/templates/openedx_app.env.j2",
    "mfe": "roles/mfe/templates/mfe.env.j2",
    "notes": "roles/notes/templates/notes.env.j2",
}
# The variables each unit's role is applied with in playbooks/app.yml: the openedx_app role once per service.
USE_VARS = {"lms": {"openedx_app_service": "lms"}, "cms": {"openedx_app_service": "cms"}}


def _inputs_digest(release: Release) -> str:
    """Changes whenever anything that shapes our rendered side changes (roles, package, the outputs, this file)."""
    digest = hashlib.sha256(release.model_dump_json().encode())
    # The package actually imported (it renders the facts), which need not be this checkout's.
    package = Path(render.__file__).resolve().parent
    paths = [*sorted((REPO / "roles").rglob("*")), *sorted(package.rglob("*.py")), *sorted(package.rglob("*.yml"))]
    paths += [REPO / "playbooks/group_vars/all/main.yml", Path(__file__), REPO / "tests" / "sample_outputs.py"]
    for path in paths:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _facts(release: Release) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = parse_spec(
        {
            "name": "demo",
            "cloud": "aws",
            "release": release.name,
            "size": "standard",
            "domains": DOMAINS,
            "tls": {"mode": "cloud"},
            # An upgrade-only release exists only as a running environment being upgraded.
            **({} if release.supported else {"running_release": release.name}),
        }
    )
    groups = render.host_groups(spec, AWS_STANDARD_OUTPUTS)
    # Secrets of the shapes `openedx-deploy init` generates (the roles' preflight checks them); thrown away after.
    values = {name: secrets.GENERATORS[name]() for name in secrets.SECRET_NAMES}
    facts = render.group_vars(spec, AWS_STANDARD_OUTPUTS, groups, secrets.public_jwk_set(values["jwt_private_key"]))
    values.update(secrets.derived_secrets(values))  # as render writes them into the vault
    facts.update({f"vault_{name}": value for name, value in values.items()})
    facts.update(stackoutputs.vault_outputs(AWS_STANDARD_OUTPUTS))  # the managed Redis's credential, as render puts it
    return facts, groups


def _playbook(out: Path) -> list[dict[str, Any]]:
    vars_files = [str(REPO / f"roles/{role}/defaults/main.yml") for role in ROLES]
    vars_files.append(str(REPO / "playbooks/group_vars/all/main.yml"))
    vars_files += [
        str(REPO / f"roles/{role}/vars/main.yml") for role in ROLES if (REPO / f"roles/{role}/vars").is_dir()
    ]
    tasks: list[dict[str, Any]] = [
        {
            "name": f"Render {name}",
            "ansible.builtin.template": {"src": str(REPO / src), "dest": f"{out}/{name}.service"},
            "vars": USE_VARS.get(name, {}),
        }
        for name, src in UNITS.items()
    ]
    tasks += [
        {
            "name": f"Render the {name} environment file",
            "ansible.builtin.template": {"src": str(REPO / src), "dest": f"{out}/{name}.env"},
            "vars": USE_VARS.get(name, {}),
        }
        for name, src in ENV_FILES.items()
    ]
    tasks += [
        {
            "name": "Render the workers",
            "ansible.builtin.template": {
                "src": str(REPO / "roles/workers/templates/worker.service.j2"),
                "dest": f"{out}/{{{{ _workers_service }}}}-worker.service",
            },
            "loop": ["lms", "cms"],
            "loop_control": {"loop_var": "_workers_service"},
        },
        {
            "name": "Render the workers' environment files",
            "ansible.builtin.template": {
                "src": str(REPO / "roles/workers/templates/worker.env.j2"),
                "dest": f"{out}/{{{{ _workers_service }}}}-worker.env",
            },
            "loop": ["lms", "cms"],
            "loop_control": {"loop_var": "_workers_service"},
        },
        {
            "name": "Render the jobs script",
            "ansible.builtin.template": {
                "src": str(REPO / "roles/openedx_jobs/templates/openedx-deploy-jobs.sh.j2"),
                "dest": f"{out}/jobs.sh",
            },
        },
        {
            "name": "Render the notes settings",
            "ansible.builtin.copy": {
                "content": "{{ _notes_config | combine(notes_extra_config, recursive=true) | to_nice_yaml(indent=2) }}",
                "dest": f"{out}/edx_notes_api.yml",
            },
        },
        {
            "name": "Render the MFE server's Caddyfile",
            "ansible.builtin.template": {
                "src": str(REPO / "roles/mfe/templates/Caddyfile.j2"),
                "dest": f"{out}/mfe.Caddyfile",
            },
        },
        {
            "name": "Render the proxy site",
            "ansible.builtin.template": {
                "src": str(REPO / "roles/proxy/templates/openedx.conf.j2"),
                "dest": f"{out}/nginx.conf",
            },
        },
    ]
    return [
        {
            "name": "Render our app tier",
            "hosts": "demo-app-1",
            "gather_facts": False,
            "vars_files": vars_files,
            "roles": ["openedx_config"],
            "tasks": tasks,
            "handlers": [
                {"name": "Settings changed", "listen": "openedx config changed", "ansible.builtin.meta": "noop"}
            ],
        }
    ]


def _ansible_playbook() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = str(beside) if beside.exists() else shutil.which("ansible-playbook")
    if not found:
        raise RuntimeError(f"ansible-playbook is neither next to {sys.executable} nor on PATH")
    return found


def render_ours(release: Release) -> Path:
    """Our rendered app tier for the release (cached by the digest of everything that shapes it)."""
    root = cache_root() / "conformance" / f"ours-{release.name}-{_inputs_digest(release)}"
    if (root / "done").exists():
        return root
    with building(root):
        if not (root / "done").exists():
            _render_ours(release, root)
    return root


def _render_ours(release: Release, root: Path) -> None:
    scratch = root.with_name(root.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "out").mkdir(parents=True)
    facts, groups = _facts(release)
    hosts = render.inventory_hosts(groups)
    app = hosts["all"]["children"]["app"]["hosts"]["demo-app-1"]
    app.update(ansible_connection="local", ansible_python_interpreter=sys.executable)
    hosts["all"]["vars"] = facts
    (scratch / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    (scratch / "site.yml").write_text(yaml.safe_dump(_playbook(scratch / "out"), sort_keys=False))
    extra = {
        "openedx_config_dir": str(scratch / "out"),
        "openedx_config_owner": pwd.getpwuid(os.getuid()).pw_name,
        "openedx_config_group": grp.getgrgid(os.getgid()).gr_name,
        # proxy_listen_ipv6 reads gathered facts, which this render does not gather.
        "proxy_listen_ipv6": False,
    }
    (scratch / "extra.yml").write_text(yaml.safe_dump(extra))
    env = dict(
        os.environ,
        ANSIBLE_ROLES_PATH=str(REPO / "roles"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    result = subprocess.run(
        [
            _ansible_playbook(),
            "-i",
            str(scratch / "hosts.yml"),
            "-e",
            f"@{scratch / 'extra.yml'}",
            str(scratch / "site.yml"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"rendering our app tier failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    (scratch / "done").write_text("")
    shutil.rmtree(root, ignore_errors=True)
    scratch.rename(root)


# --- reading our rendered files -----------------------------------------------------------------------------------


def _podman_run(argv: list[str]) -> tuple[dict[str, list[str]], str, list[str]]:
    """Options, image and command of `podman run ...`."""
    start = argv.index("run") + 1
    options: dict[str, list[str]] = {}
    index = start
    with_value = {
        "--name",
        "--network",
        "--env",
        "--env-file",
        "--volume",
        "-v",
        "-e",
        "--user",
        "-u",
        "--entrypoint",
        "--publish",
    }
    while index < len(argv) and argv[index].startswith("-"):
        name, eq, value = argv[index].partition("=")
        if name in with_value and not eq:
            index += 1
            value = argv[index]
        options.setdefault(name, []).append(value)
        index += 1
    return options, argv[index], argv[index + 1 :]


def podman_env_file(text: str) -> dict[str, str]:
    """The variables podman takes from an --env-file (podman's pkg/env ParseFile): lines stripped of leading blanks,
    blank and '#' lines skipped, NAME=VALUE split at the first '=' with the value kept literally; a bare NAME passes
    the caller's variable through (none here)."""
    env = {}
    for line in text.split("\n"):
        line = line.removesuffix("\r").lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        name, eq, value = line.partition("=")
        if not name:
            raise ValueError(f"podman refuses the env-file line {line!r}")
        if eq:
            env[name.lstrip(" \t")] = value
    return env


def _container(argv: list[str], image_defaults: dict[str, Any], env_files: dict[str, Path] | None = None) -> Container:
    """env_files: the rendered file for each --env-file path the command names."""
    options, image, command = _podman_run(argv)
    env = dict(image_defaults.get("env", {}))
    for path in options.get("--env-file", []):
        env.update(podman_env_file((env_files or {})[path].read_text()))
    for item in options.get("--env", []) + options.get("-e", []):
        name, _, value = item.partition("=")
        env[name] = value if _ else os.environ.get(name, "")
    mounts = sorted(v.split(":")[1] for v in options.get("--volume", []) + options.get("-v", []))
    entrypoint = options.get("--entrypoint")
    return Container(
        image=image.removeprefix("docker.io/"),
        entrypoint=shlex.split(entrypoint[-1]) if entrypoint else image_defaults.get("entrypoint"),
        command=command or list(image_defaults.get("cmd") or []),
        user=(options.get("--user") or options.get("-u") or [str(image_defaults.get("user") or "root")])[-1],
        env=env,
        mounts=mounts,
        port=None,
    )


def _unit_argv(path: Path) -> list[str]:
    text = re.sub(r"\\\n", " ", path.read_text())
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart=").replace("%%", "%"))


def _jobs(script: str) -> tuple[list[str], set[str]]:
    """The podman run of the script's job() (for the lms variant) and the jobs it runs (notes_job(): the notes API's,
    named like the reference's notes jobs, whose manage.py takes no variant)."""
    text = re.sub(r"\\\n", " ", script)
    run = re.search(r"(podman run .*?\"\$@\")", text, re.S)
    if not run:
        raise AssertionError('the jobs script has no `podman run ... "$@"` in its job function')
    argv = shlex.split(run.group(1).replace("$service", "lms"))[:-1]
    role_vars = yaml.safe_load((REPO / "roles/openedx_jobs/vars/main.yml").read_text())
    # create_dot_application runs through `shell -c` with its arguments exported beforehand (no secret in argv).
    dot_snippet = role_vars["_openedx_jobs_dot_snippet"]
    # The platform's Meilisearch API key: `shell -c` code the reference runs with `python -c` (same client calls).
    key_snippet = role_vars["_openedx_jobs_meilisearch_key_snippet"]
    dot_args: list[str] = []
    jobs = set()
    for line in text.splitlines():
        exported = re.match(r"export OPENEDX_DEPLOY_DOT_ARGS=(.*)", line)
        if exported:
            dot_args = shlex.split(shlex.split(exported.group(1))[0])
        matched = re.match(r"\s*(?:job\s+(lms|cms)|(notes)_job)\s+(.*)", line)
        if matched:
            service = matched.group(1) or matched.group(2)
            argv_job = shlex.split(matched.group(3))
            if "manage.py" in argv_job:
                rest = argv_job[argv_job.index("manage.py") + 1 :]
                if service == "notes":
                    rest = ["notes", *rest]
                if rest[1:] == ["shell", "-c", dot_snippet]:
                    rest = [rest[0], "create_dot_application", *dot_args]
                if rest[1:] == ["shell", "-c", key_snippet]:
                    jobs.add(f"{service}: meilisearch API key for the platform")
                    continue
                variant, command = rest[0], rest[1]
                named = ""
                if command == "create_dot_application":
                    # --client-id=ID (the jobs script's form) or --client-id ID
                    given = next(i for i, a in enumerate(rest) if a.split("=", 1)[0] == "--client-id")
                    named = " " + (rest[given].split("=", 1)[1] if "=" in rest[given] else rest[given + 1])
                elif command == "shell" and "-c" in rest:
                    named = " -c " + rest[rest.index("-c") + 1]
                elif command in ("waffle_switch", "waffle_flag") and "--create" in rest:
                    named = " " + next(a for a in rest[2:] if not a.startswith("-"))
                jobs.add(f"{service}: {variant} {command}{named}")
    return argv, jobs


def nginx_routes(conf: str, sites: dict[str, str]) -> dict[str, str]:
    """`<site>:<location>` -> upstream host:port, from our nginx site (plain-HTTP server blocks behind the LB)."""
    upstreams = dict(re.findall(r"upstream\s+(\S+)\s*\{\s*server\s+([^;\s]+)", conf))
    routes: dict[str, str] = {}
    for block in re.split(r"\n(?=server\s*\{)", conf):
        names = re.search(r"server_name\s+([^;]+);", block)
        if not names:
            continue
        for domain in names.group(1).split():
            site = sites.get(domain)
            if not site:
                continue
            parts = re.split(r"\n\s*location\s+", block)
            for preceding, chunk in itertools.pairwise(parts):
                location = re.match(r"(?:[=^~]+\s+)?(\S+)", chunk).group(1)  # type: ignore[union-attr]
                # `/static/` is the reference's `/static` (uwsgi's static-map and Caddy's paths have no slash).
                location = location.rstrip("/") or "/"
                body = chunk
                upstream = re.search(r"proxy_pass\s+https?://([^/;\s]+)", body)
                files = re.search(r"^\s*(?:alias|root)\s+([^;\s]+)", body, re.M)
                # A directory a role copies out of the image says so in the comment above its location.
                copied = re.search(r"the image's (/\S+?),? copied out", preceding.rsplit("}", 1)[-1])
                if files and copied:
                    routes[f"{site}:{location}"] = f"files {copied.group(1)}"
                elif files:
                    routes[f"{site}:{location}"] = f"files {files.group(1)}"
                elif upstream:
                    routes[f"{site}:{location}"] = upstreams.get(upstream.group(1), upstream.group(1))
    return routes


def load(root: Path, images: dict[str, dict[str, Any]], mapping: dict[str, Any]) -> Deployment:
    out = root / "out"
    containers: dict[str, Container] = {}
    for name in ("lms", "cms", "lms-worker", "cms-worker", "mfe", "notes"):
        kind = "mfe" if name == "mfe" else "notes" if name == "notes" else "openedx"
        argv = _unit_argv(out / f"{name}.service")
        env_files = {path: out / f"{name}.env" for path in _podman_run(argv)[0].get("--env-file", [])}
        containers[name] = _container(argv, images[kind], env_files)
    jobs_argv, jobs = _jobs((out / "jobs.sh").read_text())
    containers["lms-job"] = _container(jobs_argv, images["openedx"])
    containers["cms-job"] = _container([a.replace("=lms", "=cms") for a in jobs_argv], images["openedx"])
    for name in ("lms", "cms", "notes"):
        containers[name].port = _bind_port(containers[name].command)
    mfe = containers["mfe"]
    # The MFE image is Caddy: it listens where its Caddyfile says, the stock one unless one is mounted.
    if "/etc/caddy/Caddyfile" in mfe.mounts:
        mfe.port = listen_port_caddyfile((out / "mfe.Caddyfile").read_text())
    else:
        mfe.port = images["mfe"].get("port")
    nginx = (out / "nginx.conf").read_text()
    containers["proxy"] = Container(
        image="nginx (Debian package)",
        entrypoint=None,
        command=["nginx"],
        user="root",
        env={},
        mounts=[],
        port=int(m.group(1)) if (m := re.search(r"listen\s+(\d+)", nginx)) else None,
    )
    # The public names our environment has (the spec's domains), by the reference's site names.
    facts = yaml.safe_load((root / "hosts.yml").read_text())["all"]["vars"]
    sites = {domain: name for name, domain in facts["openedx_domains"].items() if domain}
    by_port = {str(c.port): name for name, c in containers.items() if c.port and name != "proxy"}
    # The search server, which the proxy's Meilisearch site forwards to, listens on its own port.
    if facts["openedx_search"]["engine"] == "meilisearch":
        by_port[str(facts["openedx_search"]["port"])] = "meilisearch"
    # A host directory the LMS or Studio container mounts is, to nginx serving it, that container directory.
    mounted = {}
    for name in ("lms", "cms"):
        for volume in _podman_run(_unit_argv(out / f"{name}.service"))[0].get("--volume", []):
            host, container_path = volume.split(":")[:2]
            mounted[host.rstrip("/")] = container_path.rstrip("/")
    routes = {}
    for route, upstream in nginx_routes(nginx, sites).items():
        if upstream.startswith("files "):
            directory = upstream.removeprefix("files ")
            inside = mounted.get(directory.rstrip("/"))
            routes[route] = f"files {inside}{'/' if directory.endswith('/') else ''}" if inside else upstream
            continue
        port = upstream.rsplit(":", 1)[-1]
        routes[route] = by_port.get(port, f"nothing listens on {upstream}")
    # Paths the reference serves as files: where ours sends them (a container's web server, unless nginx has them).
    for site, container in (("lms", "lms"), ("studio", "cms")):
        for prefix in ("/static", "/media"):
            if f"{site}:{prefix}" not in routes and f"{site}:/" in routes:
                server = containers[container].command[:1]
                routes[f"{site}:{prefix}"] = f"{routes[f'{site}:/']} ({' '.join(server)}, which serves no files)"
    settings = {
        service: yaml_settings(yaml.safe_load((out / f"{service}.yml").read_text()), paths=True)
        for service in ("lms", "cms")
    }
    # The settings module openedx_config renders next to each YAML (DJANGO_SETTINGS_MODULE): it imports production.py,
    # which reads the YAML, then sets what the YAML cannot; its assignments are final.
    after_yaml = {}
    for service in ("lms", "cms"):
        module = python_settings((out / f"{service}_settings.py").read_text())
        settings[service].update(module)
        after_yaml[service] = set(module)
    settings["notes"] = yaml_settings(yaml.safe_load((out / "edx_notes_api.yml").read_text()), paths=True)
    return Deployment(containers=containers, routes=routes, settings=settings, jobs=jobs, after_yaml=after_yaml)


def _bind_port(argv: list[str]) -> int | None:
    for arg in argv:
        if arg.startswith("--bind="):
            return int(arg.rsplit(":", 1)[1])
    return None
