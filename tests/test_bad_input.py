"""Bad input through the CLI: every environment file, byte string or encoding, and every damaged secrets file, ends
in exit 0 or a clean error (exit 2 for a bad file, 1 for an unreadable secrets file): one `Error:` message, no
traceback, and nothing written.

The property tests feed `validate` and `render` generated documents (valid environments with fields replaced by
arbitrary YAML values), arbitrary text and bytes, and valid files in other encodings. Each prints how many inputs
it tried and how long it took.
"""

from __future__ import annotations

import hashlib
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from openedx_deploy import secrets
from openedx_deploy.cli import cli
from openedx_deploy.spec import EnvironmentSpec

PASSWORD = "bad-input-vault-password"
GOOD = {"name": "demo", "cloud": "aws", "domains": {"lms": "learn.example.com"}, "size": "standard"}
FAST = settings(
    deadline=None,
    database=None,
    derandomize=True,  # the same inputs on every run: a failure here is reproducible, never a flake
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def field_paths(model: type[BaseModel] = EnvironmentSpec, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every field of the spec, nested ones included, as key paths: where the generated documents put junk."""
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        paths.append(path)
        inner = [a for a in (info.annotation, *typing.get_args(info.annotation)) if isinstance(a, type)]
        for candidate in inner:
            if issubclass(candidate, BaseModel):
                paths += field_paths(candidate, path)
    return paths


FIELDS = field_paths()
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "--privileged --volume /:/host docker.io",
            "../../etc",
            "/etc/passwd",
            "a\nb",
            "$(id)",
            "`id`",
            "x; rm -rf /",
            "0.0.0.0/0",
            "http://",
            "ssh-rsa AAAA",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "ünïcödé",
            "\x00",
            "${var.secret}",
            "{{ lookup('env', 'HOME') }}",
        ]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# YAML fragments that exercise the loader itself rather than the spec: tags, aliases, odd keys, deep nesting.
YAML_PIECES = st.sampled_from(
    [
        "? [a, b]\n: 1\n",
        "? {a: 1}\n: 2\n",
        "a: &x [*x]\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!python/object:os.system {}\n",
        "a: !!set {x}\n",
        "a: 2026-13-45\n",
        "a: " + "9" * 5000 + "\n",
        "[" * 400 + "]" * 400 + "\n",
        "{a: " * 300 + "1" + "}" * 300 + "\n",
        "a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntags: {x: *e}\n",
        "name: demo\nname: demo\n",
        "--- a\n--- b\n",
        "%YAML 9.9\n---\na: 1\n",
        "\t- a\n",
        "a: 'unterminated\n",
        "<<: {name: other}\n",
        "~: 1\n",
        "1: 2\ntrue: false\n",
        "name: demo\ncloud: aws\nssh: {public_key_file: /etc/passwd}\n",
    ]
)


def set_path(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = document
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return document


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A valid environment with up to three fields replaced by arbitrary YAML values, as YAML text."""
    document: dict[str, Any] = yaml.safe_load(yaml.safe_dump(GOOD))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        set_path(document, draw(st.sampled_from(FIELDS)), draw(VALUES))
    return yaml.safe_dump(document, allow_unicode=draw(st.booleans()))


TEXTS = documents() | YAML_PIECES | (YAML_PIECES.flatmap(lambda piece: documents().map(lambda doc: doc + piece)))
ENCODINGS = st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "shift_jis", "utf-8-sig"])


class Workdir:
    """A working directory with the vault password in the environment; `snapshot()` fingerprints every file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.environment_file = root / "environments" / "demo.yml"
        self.environment_file.parent.mkdir(parents=True, exist_ok=True)

    def snapshot(self) -> dict[str, str]:
        # The lock file of a valid environment records who last held the lock; it is not the environment's data.
        locks = self.root / ".openedx-deploy" / "locks"
        return {
            str(path.relative_to(self.root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.root.rglob("*"))
            if path.is_file() and path.parent != locks
        }

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--workdir", str(self.root), *args], env={secrets.PASSWORD_ENV: PASSWORD})


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workdir:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(secrets.PASSWORD_FILE_ENV, raising=False)
    monkeypatch.delenv("OPENEDX_DEPLOY_ENV", raising=False)
    monkeypatch.chdir(tmp_path)
    return Workdir(tmp_path / "work")


def assert_clean(result: Result, allowed: set[int], before: dict[str, str], after: dict[str, str]) -> None:
    """Exit code allowed, no traceback, and on failure one `Error:` line and no file written or changed."""
    shown = result.output
    assert result.exit_code in allowed, f"exit {result.exit_code}: {shown}\n{result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in shown, shown
    if result.exit_code != 0:
        assert shown.count("Error:") == 1, shown
        assert after == before, "a refused input wrote files"


class Tally:
    def __init__(self, name: str) -> None:
        self.name, self.count, self.codes = name, 0, {}  # type: ignore[var-annotated]
        self.started = time.monotonic()

    def add(self, code: int) -> None:
        self.count += 1
        self.codes[code] = self.codes.get(code, 0) + 1

    def report(self) -> None:
        print(
            f"\n{self.name}: {self.count} inputs in {time.monotonic() - self.started:.1f} s, "
            f"exit codes {dict(sorted(self.codes.items()))}"
        )


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counter = Tally(request.node.name)
    yield counter
    counter.report()


@pytest.mark.parametrize("command", ["validate", "render"])
def test_generated_documents_end_cleanly(workdir: Workdir, tally: Tally, command: str) -> None:
    @settings(FAST, max_examples=60 if command == "validate" else 25)
    @given(text=TEXTS)
    def check(text: str) -> None:
        workdir.environment_file.write_text(text, encoding="utf-8")
        before = workdir.snapshot()
        result = workdir.run(command, "-e", "demo")
        tally.add(result.exit_code)
        assert_clean(result, {0, 2}, before, workdir.snapshot())

    check()
    assert tally.codes.get(2), "no generated document was refused: the generator no longer makes bad ones"


def test_generated_bytes_end_cleanly(workdir: Workdir, tally: Tally) -> None:
    @settings(FAST, max_examples=40)
    @given(data=st.binary(max_size=300) | TEXTS.map(lambda t: t.encode()) | st.binary(min_size=1).map(b"\xff".__add__))
    def check(data: bytes) -> None:
        workdir.environment_file.write_bytes(data)
        before = workdir.snapshot()
        result = workdir.run("validate", "-e", "demo")
        tally.add(result.exit_code)
        assert_clean(result, {0, 2}, before, workdir.snapshot())

    check()


def test_other_encodings_are_refused_or_read(workdir: Workdir, tally: Tally) -> None:
    """A valid file saved as UTF-16 or Latin-1 is either read (when its bytes are UTF-8 too) or refused with
    a message that names the file and says to save it as UTF-8."""

    @settings(FAST, max_examples=30)
    @given(encoding=ENCODINGS, domain=st.sampled_from(["learn.example.com", "lérn.example.com"]))
    def check(encoding: str, domain: str) -> None:
        text = yaml.safe_dump({**GOOD, "domains": {"lms": domain}}, allow_unicode=True)
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            return
        workdir.environment_file.write_bytes(data)
        before = workdir.snapshot()
        result = workdir.run("render", "-e", "demo")
        tally.add(result.exit_code)
        assert_clean(result, {0, 2}, before, workdir.snapshot())
        if result.exit_code == 2 and not data.isascii():
            assert "demo.yml" in result.output and ("UTF-8" in result.output or "domains.lms" in result.output)

    check()


def test_damaged_secrets_files_exit_1_naming_the_file(workdir: Workdir, tally: Tally) -> None:
    workdir.environment_file.write_text(yaml.safe_dump(GOOD))
    assert workdir.run("render", "-e", "demo").exit_code == 0
    secrets_file = workdir.root / "environments" / "demo.secrets.yml"
    good = secrets_file.read_bytes()

    @settings(FAST, max_examples=40)
    @given(
        damaged=st.one_of(
            st.integers(min_value=0, max_value=len(good) - 1).map(lambda n: good[:n]),  # truncated
            st.tuples(
                st.integers(min_value=len(secrets.VAULT_HEADER) + 1, max_value=len(good) - 2),
                st.binary(min_size=1, max_size=4),
            ).map(lambda cut: good[: cut[0]] + cut[1] + good[cut[0] + len(cut[1]) :]),  # bytes overwritten
            st.binary(max_size=200).map(lambda b: secrets.VAULT_HEADER + b"\n" + b),  # a header, then junk
            st.just(secrets.Vault("another-password").encrypt("mysql_root_password: x\n")),
            st.just(secrets.Vault(PASSWORD).encrypt("[not, a, mapping]\n")),
            st.just(secrets.Vault(PASSWORD).encrypt("a: {b: [unclosed\n")),
        )
    )
    def check(damaged: bytes) -> None:
        if damaged == good:
            return
        secrets_file.write_bytes(damaged)
        before = workdir.snapshot()
        result = workdir.run("render", "-e", "demo")
        tally.add(result.exit_code)
        # A truncation can leave the plain-text refusal (no header) or a file that still decrypts; both are clean.
        assert_clean(result, {0, 1}, before, workdir.snapshot())
        if result.exit_code == 1:
            assert "demo.secrets.yml" in result.output

    check()
    assert tally.codes.get(1)


# ----------------------------------------------------------------------------------------------------
# The inputs the issue named, one by one.


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"name: demo\ncloud: aws\ndomains: {lms: learn.example.com}\nregion: \xff\xfe\n", "not UTF-8 text"),
        (b"? [a, b]\n: 1\n", "plain name"),
        (b"[" * 2000 + b"]" * 2000, "nested more than"),
        (b"a: &x [*x]\n", "cycle"),
        (b"a: 2026-13-45\n", "cannot be read"),
        (b"a: " + b"9" * 5000 + b"\n", "cannot be read"),
        (b"name: demo\n\x00", "not a text file"),
        # A control character YAML forbids: PyYAML's reader refuses it while the loader is being built.
        (b"\x01", "special characters are not allowed"),
        (b"name: demo\ncloud: aws\x07\n", "special characters are not allowed"),
        (b"name: demo\n" + b"#" * 1024 * 1024, "larger than"),
        (
            b"a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntags: {x: *e}\n",
            "more than",
        ),
    ],
)
def test_loader_refusals_name_the_file_and_the_problem(workdir: Workdir, content: bytes, expected: str) -> None:
    workdir.environment_file.write_bytes(content)
    before = workdir.snapshot()
    result = workdir.run("render", "-e", "demo")
    assert_clean(result, {2}, before, workdir.snapshot())
    assert "demo.yml" in result.output and expected in result.output


def test_name_that_differs_from_the_file_name_is_refused(workdir: Workdir) -> None:
    """`name: other` in demo.yml used to render into, and replace the secrets of, environment other."""
    workdir.environment_file.write_text(yaml.safe_dump({**GOOD, "name": "other"}))
    before = workdir.snapshot()
    result = workdir.run("render", "-e", "demo")
    assert_clean(result, {2}, before, workdir.snapshot())
    assert "'other'" in result.output and "demo.yml" in result.output


@pytest.mark.parametrize("name", ["../demo", "demo/../../x", "/tmp/demo", "Demo", "demo.yml", "d", "-rf"])
def test_env_option_takes_names_not_paths(workdir: Workdir, name: str) -> None:
    workdir.environment_file.write_text(yaml.safe_dump(GOOD))
    before = workdir.snapshot()
    for command in ("validate", "render"):
        result = workdir.run(command, "-e", name)
        assert_clean(result, {2}, before, workdir.snapshot())
        assert "environment name" in result.output


@pytest.mark.parametrize("name", ["../evil", "a/b", "Evil"])
def test_init_takes_names_not_paths(workdir: Workdir, name: str) -> None:
    before = workdir.snapshot()
    result = workdir.run("init", name, "--cloud", "local")
    assert_clean(result, {2}, before, workdir.snapshot())
