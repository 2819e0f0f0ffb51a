"""The installed ``asyncify`` command, run as a user runs it, on small temporary projects."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

SLEEPY = "import time\n\ndef f():\n    time.sleep(0.01)\n"
SLEEPY_MAIN = SLEEPY + '\nif __name__ == "__main__":\n    f()\n'
ASYNC = "import asyncio\n\nasync def f():\n    await asyncio.sleep(0.01)\n"
# f is called at import time: it must stay synchronous, and that is a finding (AFY501).
IMPORT_TIME_CALL = SLEEPY + "\nf()\n"


def asyncify_command() -> list[str]:
    """The ``asyncify`` script of this interpreter's environment, as a user would run it."""
    beside = Path(sys.executable).parent / ("asyncify.exe" if os.name == "nt" else "asyncify")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("asyncify")
    return [found] if found else [sys.executable, "-m", "asyncify"]


def asyncify(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [*asyncify_command(), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        env=env,
        timeout=120,
    )


def project(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def err_lines(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    return done.stderr.decode().splitlines()


# -- the commands -----------------------------------------------------------------------
def test_version(tmp_path: Path) -> None:
    done = asyncify("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.decode().strip() == f"asyncify {version('asyncify')}"


def test_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "asyncify", "--version"], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("asyncify ")


def test_list_shows_codemods_and_codes_one_line_each(tmp_path: Path) -> None:
    done = asyncify("list", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    names = {line.split()[0] for line in lines}
    assert "sleep" in names
    assert {"AFY001", "AFY002", "AFY003", "AFY004"} <= names
    sleep = next(line for line in lines if line.split()[0] == "sleep")
    assert "asyncio.sleep" in sleep
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)  # name, then a description


def test_diff_prints_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY, "other.py": "x = 1\n"})
    before = snapshot(tmp_path)
    done = asyncify("diff", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert out.startswith("--- a/app.py\n+++ b/app.py\n@@")
    assert "+async def f():\n" in out
    assert "+    await asyncio.sleep(0.01)\n" in out
    assert "other.py" not in out
    assert "\x1b[" not in out  # piped: never colored
    assert snapshot(tmp_path) == before


def on_a_terminal(
    *args: str, cwd: Path, stream: str = "stdout", env: dict[str, str] | None = None
) -> bytes:
    """What ``asyncify *args`` prints to ``stream`` when that stream is a terminal."""
    import pty

    main, replica = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: replica}
    with subprocess.Popen(
        [*asyncify_command(), *args],
        cwd=cwd,
        stdout=streams["stdout"],
        stderr=streams["stderr"],
        env={**base, **(env or {})},
    ) as process:
        os.close(replica)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    os.close(main)
    assert process.returncode == 0
    return b"".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_diff_is_colored_on_a_terminal_only(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY})
    colored = on_a_terminal("diff", ".", cwd=tmp_path)
    assert b"\x1b[" in colored and b"asyncio.sleep" in colored
    plain = on_a_terminal("diff", "--no-color", ".", cwd=tmp_path)
    assert b"\x1b[" not in plain and b"asyncio.sleep" in plain


def test_run_dry_run_is_diff(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN, "bad.py": "def broken(:\n", "lib.py": SLEEPY})
    before = snapshot(tmp_path)
    diff = asyncify("diff", ".", cwd=tmp_path)
    dry = asyncify("run", "--dry-run", ".", cwd=tmp_path)
    assert (dry.returncode, dry.stdout, dry.stderr) == (diff.returncode, diff.stdout, diff.stderr)
    assert diff.stdout
    assert snapshot(tmp_path) == before


def test_run_writes_what_the_diff_shows(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("needs git")
    files: dict[str, str | bytes] = {
        "app.py": SLEEPY_MAIN,
        "pkg/__init__.py": "",
        "pkg/worker.py": SLEEPY,
        "crlf.py": SLEEPY_MAIN.replace("\n", "\r\n"),
        "bom.py": b"\xef\xbb\xbf" + SLEEPY.encode(),
        "latin1.py": b"# -*- coding: latin-1 -*-\nimport time\n\ndef f():\n    s = '\xe9'\n"
        b"    time.sleep(0.01)\n    return s\n",
        "no_newline.py": SLEEPY.rstrip("\n"),
    }
    ran = project(tmp_path / "ran", files)
    applied = project(tmp_path / "applied", files)
    subprocess.run([git, "init", "-q"], cwd=applied, check=True)
    diff = asyncify("diff", ".", cwd=applied)
    assert diff.returncode == 0, diff.stderr
    patch = tmp_path / "change.patch"
    patch.write_bytes(diff.stdout)
    subprocess.run(
        [git, "-c", "core.autocrlf=false", "apply", "--whitespace=nowarn", str(patch)],
        cwd=applied,
        check=True,
    )
    done = asyncify("run", ".", cwd=ran)
    assert done.returncode == 0, done.stderr
    written = snapshot(ran)
    assert written == {k: v for k, v in snapshot(applied).items() if not k.startswith(".git/")}
    assert written != {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    # Encoding, BOM, line endings and the missing final newline are kept.
    assert written["crlf.py"].count(b"\r\n") == written["crlf.py"].count(b"\n")
    assert b"async def f" in written["crlf.py"]
    assert written["bom.py"].startswith(b"\xef\xbb\xbfimport asyncio\n")
    assert b"s = '\xe9'" in written["latin1.py"] and b"await asyncio.sleep" in written["latin1.py"]
    assert written["no_newline.py"].endswith(b"await asyncio.sleep(0.01)")
    assert "rewrote app.py" in err_lines(done)


def test_run_keeps_the_file_mode(tmp_path: Path) -> None:
    project(tmp_path, {"tool.py": "#!/usr/bin/env python3\n" + SLEEPY_MAIN})
    (tmp_path / "tool.py").chmod(0o750)
    done = asyncify("run", "tool.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((tmp_path / "tool.py").stat().st_mode) == 0o750
    assert "asyncio.run(f())" in (tmp_path / "tool.py").read_text()


def test_check_exit_codes(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    before = snapshot(tmp_path)
    pending = asyncify("check", ".", cwd=tmp_path)
    assert pending.returncode == 1, pending.stderr
    assert "would rewrite app.py" in err_lines(pending)
    assert pending.stdout == b""
    assert snapshot(tmp_path) == before
    assert asyncify("run", ".", cwd=tmp_path).returncode == 0
    done = asyncify("check", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # converted code converts to itself


def test_check_passes_on_code_with_nothing_to_do(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": ASYNC, "util.py": "def add(a, b):\n    return a + b\n"})
    done = asyncify("check", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_check_fails_on_a_finding_alone(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": IMPORT_TIME_CALL})
    done = asyncify("check", ".", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert any(":6:1: AFY501 " in line for line in err_lines(done))
    assert asyncify("diff", ".", cwd=tmp_path).returncode == 0  # findings fail only check


def test_a_file_that_cannot_be_parsed_is_reported_and_left_alone(tmp_path: Path) -> None:
    broken = b"import time\n\ndef broken(:\n    time.sleep(1)\n"
    project(tmp_path, {"bad.py": broken, "good.py": SLEEPY_MAIN})
    done = asyncify("run", ".", cwd=tmp_path)
    assert done.returncode == 2
    errors = [line for line in err_lines(done) if "AFY001" in line]
    assert len(errors) == 1
    assert errors[0].startswith("bad.py:3:")
    assert ": AFY001 " in errors[0]
    assert (tmp_path / "bad.py").read_bytes() == broken
    assert "async def f" in (tmp_path / "good.py").read_text()  # the rest is still converted


@pytest.mark.parametrize(
    "content",
    [b"import time\nx = '\xff'\n", b"import time\nx = 1\x00\n"],
    ids=["undecodable", "nul-byte"],
)
def test_a_file_that_cannot_be_decoded_is_reported_and_left_alone(
    tmp_path: Path, content: bytes
) -> None:
    project(tmp_path, {"bad.py": content, "good.py": SLEEPY_MAIN})
    done = asyncify("run", ".", cwd=tmp_path)
    assert done.returncode == 2
    errors = [line for line in err_lines(done) if "AFY002" in line]
    assert len(errors) == 1 and errors[0].startswith("bad.py:2:")
    assert (tmp_path / "bad.py").read_bytes() == content
    assert "async def f" in (tmp_path / "good.py").read_text()


def test_a_missing_path_is_an_error_and_the_rest_still_runs(tmp_path: Path) -> None:
    project(tmp_path, {"good.py": SLEEPY_MAIN})
    done = asyncify("run", "missing.py", "good.py", cwd=tmp_path)
    assert done.returncode == 2
    assert any(line.startswith("missing.py:1:1: AFY004") for line in err_lines(done))
    assert "async def f" in (tmp_path / "good.py").read_text()


def test_quiet_prints_only_errors(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN, "import_time.py": IMPORT_TIME_CALL})
    done = asyncify("run", "--quiet", ".", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr == b"" and done.stdout == b""
    project(tmp_path, {"bad.py": "def (:\n"})
    done = asyncify("check", "-q", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert len(err_lines(done)) == 1 and "AFY001" in done.stderr.decode()


def test_jobs_do_not_change_the_result(tmp_path: Path) -> None:
    project(tmp_path, {f"m{i:02}.py": SLEEPY_MAIN for i in range(12)})
    one = asyncify("diff", "--jobs", "1", ".", cwd=tmp_path)
    many = asyncify("diff", "-j", "3", ".", cwd=tmp_path)
    assert one.returncode == many.returncode == 0
    assert one.stdout == many.stdout
    assert one.stdout.count(b"+++ b/") == 12


def test_script_folders_with_the_same_module_names_stay_apart(tmp_path: Path) -> None:
    plain = "def report():\n    return 1\n\ndef main():\n    report()\n"
    plain += '\nif __name__ == "__main__":\n    main()\n'
    sleepy = plain.replace("    return 1\n", "    time.sleep(0.01)\n")
    project(tmp_path, {"a/main.py": "import time\n\n" + sleepy, "b/main.py": plain})
    done = asyncify("diff", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"+++ b/a/main.py" in done.stdout
    assert b"b/main.py" not in done.stdout  # nothing in b blocks


# -- selecting codemods -----------------------------------------------------------------
def test_select_and_ignore(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    selected = asyncify("diff", "--select", "sleep", ".", cwd=tmp_path)
    assert selected.returncode == 0 and b"asyncio.sleep" in selected.stdout
    comma = asyncify("diff", "--select", "sleep,sleep", ".", cwd=tmp_path)
    assert comma.stdout == selected.stdout
    ignored = asyncify("check", "--ignore", "sleep", ".", cwd=tmp_path)
    assert ignored.returncode == 0, ignored.stderr
    assert asyncify("diff", "--ignore=sleep", ".", cwd=tmp_path).stdout == b""


def test_an_unknown_codemod_is_a_usage_error(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    done = asyncify("diff", "--select", "sleep,no_such_codemod", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert "no_such_codemod" in done.stderr.decode()
    assert done.stdout == b""


@pytest.mark.parametrize(
    "args",
    [[], ["diff"], ["diff", "--format", "xml", "."], ["diff", "--no-such-option", "."]],
    ids=["no-command", "no-path", "bad-format", "bad-option"],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    done = asyncify(*args, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)


FETCH = """\
import requests


def fetch(url):
    return requests.get(url).status_code
"""


@pytest.mark.parametrize("command", ["run", "diff", "check", "plan"])
def test_http_client_option(tmp_path: Path, command: str) -> None:
    """--http-client on every converting command; a bad value is a usage error."""
    project(tmp_path, {"app.py": FETCH})
    bad = asyncify(command, "--http-client", "urllib3", ".", cwd=tmp_path)
    assert bad.returncode == 2 and b"urllib3" in bad.stderr, bad.stderr
    done = asyncify(command, "--http-client", "aiohttp", ".", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    if command == "run":
        assert "aiohttp.ClientSession(" in (tmp_path / "app.py").read_text()
    elif command == "diff":
        assert b"+import aiohttp" in done.stdout
    default = asyncify("diff", ".", cwd=tmp_path) if command != "run" else None
    if default is not None:
        assert b"httpx.AsyncClient(" in default.stdout


QUERY = """\
import psycopg2


def count(dsn):
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM t WHERE v IN %s", ((1, 2),))
    return cur.fetchone()[0]
"""


@pytest.mark.parametrize("command", ["run", "diff", "check", "plan"])
def test_db_client_option(tmp_path: Path, command: str) -> None:
    """--db-client on every converting command; a bad value is a usage error; the
    setting in [tool.asyncify] is taken, and the command line wins over it."""
    project(tmp_path, {"app.py": QUERY})
    bad = asyncify(command, "--db-client", "aiopg", ".", cwd=tmp_path)
    assert bad.returncode == 2 and b"aiopg" in bad.stderr, bad.stderr
    done = asyncify(command, "--db-client", "psycopg", ".", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    if command == "run":
        text = (tmp_path / "app.py").read_text()
        assert "await psycopg.AsyncConnection.connect(dsn)" in text, text
        assert "= ANY(%s)" in text and "(await cur.fetchone())[0]" in text, text
    elif command == "diff":
        assert b"+import psycopg" in done.stdout and b"asyncpg" not in done.stdout
        (tmp_path / "pyproject.toml").write_text('[tool.asyncify]\ndb-client = "psycopg"\n')
        configured = asyncify("diff", ".", cwd=tmp_path)
        assert configured.stdout == done.stdout
        overridden = asyncify("diff", "--db-client", "asyncpg", ".", cwd=tmp_path)
        assert b"asyncpg.connect(" in overridden.stdout
    elif command == "plan":
        default = asyncify("diff", ".", cwd=tmp_path)
        assert b"asyncpg.connect(" in default.stdout


def test_list_shows_the_targets(tmp_path: Path) -> None:
    lines = asyncify("list", cwd=tmp_path).stdout.decode().splitlines()
    targets = [line.split()[0] for line in lines if line.startswith("--")]
    assert targets == [
        "--http-client=httpx",
        "--http-client=aiohttp",
        "--http-client=thread",
        "--http-client=httpx2",
        "--db-client=asyncpg",
        "--db-client=psycopg",
        "--sqlite-client=thread",
        "--sqlite-client=aiosqlite",
    ]
    assert any(line.startswith("--db-client=asyncpg") and "[default]" in line for line in lines)


def test_exclude(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN, "legacy/old.py": SLEEPY_MAIN})
    done = asyncify("diff", "--exclude", "legacy/", ".", cwd=tmp_path)
    assert b"+++ b/app.py" in done.stdout and b"legacy" not in done.stdout


def test_gitignored_files_are_skipped(tmp_path: Path) -> None:
    project(tmp_path, {".gitignore": "gen/\n", "app.py": SLEEPY_MAIN, "gen/out.py": SLEEPY_MAIN})
    (tmp_path / ".git").mkdir()
    done = asyncify("diff", ".", cwd=tmp_path)
    assert b"+++ b/app.py" in done.stdout and b"gen/out.py" not in done.stdout


# -- plan -------------------------------------------------------------------------------
def test_plan_names_each_async_function_and_its_chain(tmp_path: Path) -> None:
    project(
        tmp_path,
        {"app.py": SLEEPY + "\ndef g():\n    f()\n\nif __name__ == '__main__':\n    g()\n"},
    )
    before = snapshot(tmp_path)
    done = asyncify("plan", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert any(line.startswith("app:f") and "time.sleep" in line for line in lines)
    assert any(line.startswith("app:g") and "app:f" in line for line in lines)
    assert snapshot(tmp_path) == before


# -- formats ----------------------------------------------------------------------------
def test_json_format(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN, "late.py": IMPORT_TIME_CALL, "bad.py": "def (:\n"})
    done = asyncify("check", "--format", "json", ".", cwd=tmp_path)
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert data["version"] == version("asyncify")
    files = {f["path"]: f for f in data["files"]}
    assert set(files) == {"app.py", "late.py", "bad.py"}
    assert files["app.py"]["changed"] is True
    assert files["late.py"]["changed"] is False
    assert [f["code"] for f in files["late.py"]["findings"]] == ["AFY501"]
    assert [f["code"] for f in data["findings"]] == ["AFY501"]
    assert [(e["path"], e["code"]) for e in data["errors"]] == [("bad.py", "AFY001")]
    assert data["summary"]["changed"] == 1
    assert data["summary"]["failed"] == 1
    assert data["summary"]["exit_code"] == 2
    assert len(err_lines(done)) == 1  # only the error, one line


def test_json_format_of_plan(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    done = asyncify("plan", "--format=json", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    names = [f["name"] for f in data["plan"]["async_functions"]]
    assert names == ["app:f"]


def test_sarif_format(tmp_path: Path) -> None:
    project(tmp_path, {"src/late.py": IMPORT_TIME_CALL})
    done = asyncify("check", "--format", "sarif", "src", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    log = json.loads(done.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert {"AFY001", "AFY501"} <= rule_ids
    [result] = run["results"]
    assert result["ruleId"] == "AFY501"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/late.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 6, "startColumn": 1}


# -- configuration ----------------------------------------------------------------------
def test_config_from_pyproject(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": '[tool.asyncify]\nexclude = ["legacy/"]\n',
            "app.py": SLEEPY_MAIN,
            "legacy/old.py": SLEEPY_MAIN,
        },
    )
    done = asyncify("diff", ".", cwd=tmp_path)
    assert b"+++ b/app.py" in done.stdout and b"legacy" not in done.stdout
    # Found from a subfolder too, with patterns relative to the pyproject.toml's folder.
    sub = asyncify("diff", "legacy", cwd=tmp_path)
    assert sub.stdout == b""
    # The command line overrides the file.
    over = asyncify("diff", "--exclude", "nothing/", ".", cwd=tmp_path)
    assert b"+++ b/legacy/old.py" in over.stdout


def test_config_select_and_ignore(tmp_path: Path) -> None:
    project(
        tmp_path,
        {"pyproject.toml": '[tool.asyncify]\nignore = ["sleep"]\n', "app.py": SLEEPY_MAIN},
    )
    assert asyncify("diff", ".", cwd=tmp_path).stdout == b""
    done = asyncify("diff", "--ignore", "", ".", cwd=tmp_path)
    assert done.returncode == 0


def test_config_file_option(tmp_path: Path) -> None:
    project(
        tmp_path,
        {"settings.toml": '[tool.asyncify]\nignore = ["sleep"]\n', "app.py": SLEEPY_MAIN},
    )
    assert b"asyncio" in asyncify("diff", ".", cwd=tmp_path).stdout
    done = asyncify("diff", "--config", "settings.toml", ".", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == b""
    missing = asyncify("diff", "--config", "nope.toml", ".", cwd=tmp_path)
    assert missing.returncode == 2


@pytest.mark.parametrize(
    ("table", "mentions"),
    [
        ('selct = ["sleep"]\n', "selct"),
        ('jobs = "two"\n', "jobs"),
        ("todo-comments = 1\n", "todo-comments"),
        ('select = "sleep"\n', "select"),
        ('select = ["nonexistent"]\n', "nonexistent"),
        ('http-client = "urllib3"\n', "http-client must be one of 'httpx', 'aiohttp'"),
        ("jobs = \n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, table: str, mentions: str) -> None:
    project(tmp_path, {"pyproject.toml": "[tool.asyncify]\n" + table, "app.py": SLEEPY_MAIN})
    before = snapshot(tmp_path)
    done = asyncify("run", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert mentions in done.stderr.decode()
    assert len(err_lines(done)) == 1
    assert snapshot(tmp_path) == before


def test_output_file_and_exit_zero(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": "import time\n\ndef f():\n    time.sleep(0)\n"})
    done = asyncify("check", "--format", "sarif", "--output", "out.sarif", ".", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == b""
    log = json.loads((tmp_path / "out.sarif").read_text())
    assert log["version"] == "2.1.0"
    assert asyncify("check", "--exit-zero", ".", cwd=tmp_path).returncode == 0
    done = asyncify("diff", "-o", "change.patch", ".", cwd=tmp_path)
    assert done.returncode == 0 and b"+++ b/app.py" in (tmp_path / "change.patch").read_bytes()
    (tmp_path / "bad.py").write_text("def (:\n")
    assert asyncify("check", "--exit-zero", ".", cwd=tmp_path).returncode == 2  # errors still 2


def test_check_blocking_reports_calls_reachable_from_async_code(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            # atexit calls it without await: it stays synchronous, reachable from async code
            "lib.py": "import atexit\nimport time\n\n@atexit.register\ndef config():\n"
            "    time.sleep(0)\n    return 1\n",
            "app.py": "from lib import config\n\nasync def handler():\n    return config()\n",
        },
    )
    plain = asyncify("check", ".", cwd=tmp_path)
    audited = asyncify("check", "--blocking", ".", cwd=tmp_path)
    assert b"AFY120" not in plain.stderr
    assert b"lib.py:6:5: AFY120" in audited.stderr and audited.returncode == 1


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    project(tmp_path, {f"m{i}.py": SLEEPY for i in range(30)})
    env = {"ASYNCIFY_PROGRESS_AFTER": "0", "ASYNCIFY_CACHE_DIR": "off"}
    shown = on_a_terminal("diff", "--jobs", "1", ".", cwd=tmp_path, stream="stderr", env=env)
    assert b"analysing" in shown and b"would rewrite m0.py" in shown
    piped = asyncify("diff", ".", cwd=tmp_path)
    assert b"analysing" not in piped.stderr and b"\x1b[" not in piped.stderr
