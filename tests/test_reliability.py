"""Reliability and security (issue 16): every promise holds when someone tries to break it.

One regression test per item of the issue (``item N`` in each test's docstring): files keep
owner, links and read-only bits; a program is written all or none; ``--output`` never
overwrites an input; the cache cannot run code; the analysed code is never imported; and
the CLI fails with one line, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from asyncify.source import TEMP_PREFIX, WriteRefused, write_files

ASYNCIFY = shutil.which("asyncify", path=str(Path(sys.executable).parent)) or shutil.which(
    "asyncify"
)
pytestmark = pytest.mark.skipif(ASYNCIFY is None, reason="asyncify is not installed")

CALLEE = """\
import time


def slow():
    time.sleep(0)
    return 1
"""
CALLER = """\
import lib


def main():
    return lib.slow()


if __name__ == "__main__":
    print(main())
"""


AFY004 = "AFY004 file could not be read or written: "


def asyncify(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    assert ASYNCIFY is not None
    return subprocess.run(
        [ASYNCIFY, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def program(root: Path) -> tuple[Path, Path]:
    root.mkdir(parents=True, exist_ok=True)
    lib, app = root / "lib.py", root / "app.py"
    lib.write_text(CALLEE)
    app.write_text(CALLER)
    return lib, app


def temps(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(f"{TEMP_PREFIX}*"))


# -- data loss -----------------------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_owner_and_group_are_kept_when_run_as_root(tmp_path: Path) -> None:
    """item 1: root rewriting another user's 0640 file keeps its owner, group and mode."""
    lib, app = program(tmp_path)
    for path in (lib, app):
        os.chown(path, 65534, 65534)
        path.chmod(0o640)
    done = asyncify(tmp_path, "run", ".")
    assert done.returncode == 0, done.stderr
    for path in (lib, app):
        info = path.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)
    assert "async def" in lib.read_text()


def test_a_hard_linked_file_is_not_split(tmp_path: Path) -> None:
    """item 1: a file with another hard link is not replaced (that would split the link);
    the run says so, and the rest of its program is not written either (item 4)."""
    lib, app = program(tmp_path / "p")
    os.link(lib, tmp_path / "other-name.py")
    done = asyncify(tmp_path / "p", "run", ".")
    assert done.returncode == 2
    assert f"lib.py:1:1: {AFY004}the file has 2 hard links" in done.stderr
    assert lib.read_text() == CALLEE and app.read_text() == CALLER
    assert os.path.samefile(lib, tmp_path / "other-name.py")


def test_a_read_only_file_is_not_rewritten(tmp_path: Path) -> None:
    """item 3: a 0444 file stays as it is, and so does the rest of its program."""
    lib, app = program(tmp_path)
    lib.chmod(0o444)
    done = asyncify(tmp_path, "run", ".")
    assert done.returncode == 2
    assert f"lib.py:1:1: {AFY004}the file is read-only" in done.stderr
    assert f"app.py:1:1: {AFY004}not written: lib.py could not be written" in done.stderr
    assert lib.read_text() == CALLEE and app.read_text() == CALLER
    assert temps(tmp_path) == []


@pytest.mark.parametrize("command", ["diff", "run", "check", "plan"])
def test_output_naming_an_input_file_is_refused(tmp_path: Path, command: str) -> None:
    """item 2: ``-o`` naming an input file (here through another spelling) is a usage error,
    and nothing is written."""
    lib, app = program(tmp_path)
    spelled = f"../{tmp_path.name}/lib.py"
    done = asyncify(tmp_path, command, ".", "-o", spelled)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Error: --output {spelled} is one of the files being converted"
    ]
    assert lib.read_text() == CALLEE and app.read_text() == CALLER


def test_a_failed_write_writes_nothing_of_the_program(tmp_path: Path) -> None:
    """item 4: when one file cannot be written, the caller that would await it is not
    written either (the error says so), while another program of the same run is."""
    lib, app = program(tmp_path / "one")
    other_lib, other_app = program(tmp_path / "two")  # same module names: another program
    lib.chmod(0o444)
    done = asyncify(tmp_path, "run", "one", "two")
    assert done.returncode == 2
    assert (
        f"one/app.py:1:1: {AFY004}not written: one/lib.py could not be written "
        "(the file is read-only), and the files of a program are written all or none"
    ) in done.stderr
    assert lib.read_text() == CALLEE and app.read_text() == CALLER
    assert "async def slow" in other_lib.read_text() and "await lib.slow()" in other_app.read_text()


def test_write_files_restores_written_files_when_a_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """item 4: a failure after some files were replaced puts their original bytes back."""
    paths = [tmp_path / f"m{i}.py" for i in range(3)]
    for path in paths:
        path.write_bytes(b"old\n")
    real_replace = os.replace
    calls: list[object] = []

    def replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(WriteRefused) as caught:
        write_files([(p, b"old\n", b"new\n") for p in paths])
    monkeypatch.undo()
    assert caught.value.path == paths[2]
    assert "No space left on device" in caught.value.reason
    assert [p.read_bytes() for p in paths] == [b"old\n"] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m0.py", "m1.py", "m2.py"]


def test_a_file_edited_during_the_run_stops_its_program(tmp_path: Path) -> None:
    """item 4: bytes that changed since they were read stop the whole program's write."""
    paths = [tmp_path / "a.py", tmp_path / "b.py"]
    for path in paths:
        path.write_bytes(b"old\n")
    paths[1].write_bytes(b"edited\n")
    with pytest.raises(WriteRefused, match="changed while it was being converted"):
        write_files([(p, b"old\n", b"new\n") for p in paths])
    assert [p.read_bytes() for p in paths] == [b"old\n", b"edited\n"]
    assert temps(tmp_path) == []


def test_a_file_name_of_248_bytes_can_be_written(tmp_path: Path) -> None:
    """item 16: the temporary file's name does not grow with the target's."""
    name = "m" * 245 + ".py"
    (tmp_path / name).write_text(CALLEE)
    done = asyncify(tmp_path, "run", name)
    assert done.returncode == 0, done.stderr
    assert "async def slow" in (tmp_path / name).read_text()
    assert temps(tmp_path) == []


def test_a_rerun_removes_temp_files_of_a_killed_run(tmp_path: Path) -> None:
    """item 15: a temp file left by a process that no longer exists is removed by the next
    ``run``; one of a live process is not touched."""
    program(tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f"{TEMP_PREFIX}{dead}-abc.tmp"
    live = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-abc.tmp"
    stale.write_text("x")
    live.write_text("x")
    done = asyncify(tmp_path, "run", ".")
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and live.exists()


# -- code that must not run ----------------------------------------------------------------
def test_the_analysed_projects_modules_are_never_imported(tmp_path: Path) -> None:
    """item 7: under ``python -m asyncify`` (the working folder on sys.path), a project file
    named like a stdlib module is not imported, and ``this``/``antigravity`` are not run."""
    marker = tmp_path / "imported"
    (tmp_path / "ftplib.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass FTP: pass\n")
    (tmp_path / "antigravity.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "app.py").write_text(
        "import ftplib, this, antigravity, time\n\n\n"
        "class X(ftplib.FTP):\n    def run(self):\n        time.sleep(1)\n\n\n"
        "class Y(this.Foo):\n    def go(self):\n        time.sleep(1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "asyncify", "plan", ".", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)  # nothing else on stdout (the Zen of Python is not printed)
    assert "Beautiful is better than ugly" not in done.stdout + done.stderr
    assert not marker.exists()


def test_the_stdlib_table_is_fresh_for_this_python() -> None:
    """item 7: the shipped table of stdlib classes is what the generator gives now.

    For the Python version it was generated with, it must hold exactly what this Python
    has (and may hold classes of optional modules this build lacks). On another version
    the stdlib differs a little (classes added or removed by a release): there the classes
    asyncify names itself must still be present, and the shared classes' names must be
    nearly the same, which catches a broken table without failing on each release.
    """
    from asyncify import stdlib_table
    from asyncify.plan import DISPATCH_BASES

    script = Path(__file__).resolve().parent.parent / "scripts" / "gen_stdlib_table.py"
    done = subprocess.run(
        [sys.executable, str(script), "--print"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    fresh = json.loads(done.stdout)
    shipped = {k: [list(b), n.split()] for k, (b, n) in stdlib_table.CLASSES.items()}
    if tuple(fresh["version"]) == stdlib_table.VERSION:
        # Everything this Python has is in the table, exactly. The table may hold more:
        # optional extension modules (sqlite3, curses, ...) this build may lack.
        assert {k: v for k, v in shipped.items() if k in fresh["classes"]} == fresh["classes"]
        assert set(fresh["classes"]) <= set(shipped)
        assert fresh["aliases"].items() <= stdlib_table.ALIASES.items()
        assert set(fresh["method_names"]) <= stdlib_table.METHOD_NAMES
        return
    for base in DISPATCH_BASES:
        assert stdlib_table.ALIASES.get(base, base) in stdlib_table.CLASSES, base
    shared = set(fresh["classes"]) & set(shipped)
    assert len(shared) >= 0.9 * len(shipped)
    same = sum(set(fresh["classes"][k][1]) == set(shipped[k][1]) for k in shared)
    assert same >= 0.8 * len(shared)


# -- the cache -----------------------------------------------------------------------------
def cache_files(cache: Path, kind: str) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file() and p.parent.parent.name == kind)


def test_cache_entries_round_trip_as_plain_data(tmp_path: Path) -> None:
    """item 6: an index (every record type it holds) survives JSON and decodes equal."""
    from asyncify import cache
    from asyncify.index import index_module

    source = (Path(__file__).parent.parent / "src" / "asyncify" / "cli.py").read_text()
    index = index_module("asyncify.cli", "cli.py", source, False, False)
    data = json.loads(json.dumps(cache.encode(index)))
    assert cache.decode(data) == index
    with pytest.raises(TypeError):
        cache.encode(object())
    with pytest.raises((ValueError, KeyError)):
        cache.decode({"record": "Path", "fields": {}})


def test_a_forged_or_moved_cache_entry_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """item 6: an entry whose content was changed, or that holds another key's (valid)
    entry, is ignored: the HMAC covers the entry's name and content."""
    from asyncify import cache

    monkeypatch.setenv("ASYNCIFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    cache._secret.cache_clear()
    try:
        cache.put("rewrite", ("a",), ("good", []))
        cache.put("rewrite", ("b",), ("other", []))
        assert cache.get("rewrite", ("a",)) == ("good", [])
        first, second = cache_files(tmp_path / "cache", "rewrite")
        first.write_bytes(first.read_bytes().replace(b"good", b"evil"))
        assert cache.get("rewrite", ("a",)) is None and cache.get("rewrite", ("b",)) is not None
        first.write_bytes(second.read_bytes())  # a valid entry under another name
        assert cache.get("rewrite", ("a",)) is None and cache.get("rewrite", ("b",)) is not None
    finally:
        cache._secret.cache_clear()


def test_the_cache_cannot_run_code_or_change_output(tmp_path: Path) -> None:
    """items 6 and 11: pickles planted in the index entries do not run, a modified rewrite
    entry is not written into the source, a truncated entry costs nothing, and each bad
    entry is replaced by a good one."""
    env = {"ASYNCIFY_CACHE_DIR": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    root = tmp_path / "p"
    program(root)
    clean = asyncify(root, "diff", ".", env=env)
    assert clean.returncode == 0 and "+async def slow" in clean.stdout
    marker = tmp_path / "ran"
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    index_entries = cache_files(tmp_path / "cache", "index")
    rewrites = cache_files(tmp_path / "cache", "rewrite")
    assert index_entries and rewrites
    for entry in index_entries:
        entry.write_bytes(payload)
    rewrites[0].write_bytes(rewrites[0].read_bytes().replace(b"asyncio", b"evil"))
    rewrites[-1].write_bytes(rewrites[-1].read_bytes()[:20])
    again = asyncify(root, "diff", ".", env=env)
    assert (again.returncode, again.stdout) == (0, clean.stdout)
    assert not marker.exists()
    assert all(e.read_bytes() != payload for e in index_entries)  # replaced
    third = asyncify(root, "diff", ".", env=env)
    assert third.stdout == clean.stdout


# -- re-runs -------------------------------------------------------------------------------
def test_a_rerun_finishes_a_partly_converted_program(tmp_path: Path) -> None:
    """item 5: with the caller converted and its callee not (what a killed run left), a
    re-run gives exactly the clean full conversion; no ``await await``."""
    converted = "app.py"
    full = tmp_path / "full"
    program(full)
    assert asyncify(full, "run", ".").returncode == 0
    partial = tmp_path / "partial"
    program(partial)
    shutil.copy(full / converted, partial / converted)
    done = asyncify(partial, "run", ".")
    assert done.returncode == 0, done.stderr
    for name in ("app.py", "lib.py"):
        assert (partial / name).read_text() == (full / name).read_text()
    assert "await await" not in (partial / "app.py").read_text()
    ran = subprocess.run([sys.executable, "app.py"], cwd=partial, capture_output=True, text=True)
    assert ran.stdout == "1\n", ran.stderr


# -- nothing is written outside the paths given --------------------------------------------
LIB_FOR_TESTS = "import time\n\n\ndef fetch():\n    time.sleep(0)\n    return 1\n"
TEST_OF_LIB = "import lib\n\n\ndef test_fetch():\n    assert lib.fetch() == 1\n"


@pytest.mark.parametrize("marker", [".git", None])
def test_pytest_setting_is_never_written_above_the_repository(
    tmp_path: Path, marker: str | None
) -> None:
    """item 8: a repository without pytest configuration inside a folder whose
    pyproject.toml has none either: that file is not touched (a note says what to add).
    Without a repository, a pyproject.toml above the paths given is not touched either."""
    parent_config = tmp_path / "pyproject.toml"
    parent_config.write_text('[project]\nname = "outer"\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    if marker:
        (repo / marker).mkdir()
    (repo / "lib.py").write_text(LIB_FOR_TESTS)
    (repo / "test_lib.py").write_text(TEST_OF_LIB)
    done = asyncify(repo, "run", ".")
    assert done.returncode == 0, done.stderr
    assert "async def test_fetch" in (repo / "test_lib.py").read_text()
    assert parent_config.read_text() == '[project]\nname = "outer"\n'
    assert "AFY906" in done.stdout + done.stderr


# -- crashes and hangs ---------------------------------------------------------------------
def test_todo_comments_in_a_latin1_file_escape_what_it_cannot_hold() -> None:
    """item 9: a finding text with characters Latin-1 lacks becomes a backslash escape."""
    from asyncify.findings import Finding
    from asyncify.todo import add_todo_comments

    text = "# -*- coding: latin-1 -*-\nx = 'é'\n"
    finding = Finding("a.py", 2, 0, "AFY101", "f → g blocks", "hint")
    out = add_todo_comments(text, [finding], "iso-8859-1")
    assert out.encode("iso-8859-1").decode("iso-8859-1") == out
    assert "# TODO(asyncify AFY101): f \\u2192 g blocks\n" in out
    assert "→" in add_todo_comments(text, [finding])  # UTF-8 files keep it


def test_a_run_survives_a_failing_fork_and_jobs_is_bounded(tmp_path: Path) -> None:
    """item 10: with every fork failing, ``--jobs 200`` converts in the main process and
    ends (no internal error, no hang); with forks, no more workers than files/4 start."""
    for i in range(12):
        (tmp_path / f"m{i}.py").write_text(CALLEE)
    script = (
        "import os, sys\n"
        "from asyncify import engine\n"
        "def fail(): raise OSError(11, 'Resource temporarily unavailable')\n"
        "os.fork = fail\n"
        "from asyncify.cli import main\n"
        "main(['diff', '--jobs', '200', '.'])\n"
    )
    env = {**os.environ, "ASYNCIFY_CACHE_DIR": "off"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("+async def slow") == 12
    from asyncify import engine

    seen: list[int] = []

    class Pool:
        def __init__(self, max_workers: int, **kwargs: object) -> None:
            seen.append(max_workers)

        def map(self, fn: object, items: list[int], chunksize: int) -> list[int]:
            return items

        def shutdown(self, **kwargs: object) -> None:
            pass

    original = engine.ProcessPoolExecutor
    engine.ProcessPoolExecutor = Pool  # type: ignore[assignment, misc]
    try:
        assert engine._map(abs, list(range(12)), 200, "x") == list(range(12))
    finally:
        engine.ProcessPoolExecutor = original  # type: ignore[misc]
        engine._close_pool()
    assert seen == [3]


def test_gitignore_lines_git_accepts_and_bad_patterns(tmp_path: Path) -> None:
    """item 12: ``!`` negations and a ``build\\`` line behave as in git; a bad --exclude
    and a non-UTF-8 pyproject.toml are a one-line error with exit 2."""
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    else:
        (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build\\\n*.py\n!keep.py\n")
    (tmp_path / "keep.py").write_text(CALLEE)
    (tmp_path / "drop.py").write_text(CALLEE)
    done = asyncify(tmp_path, "diff", ".")
    assert done.returncode == 0, done.stderr
    assert "+++ b/keep.py" in done.stdout and "drop.py" not in done.stdout
    if shutil.which("git"):  # git agrees
        ignored = subprocess.run(
            ["git", "check-ignore", "drop.py", "keep.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).stdout.split()
        assert ignored == ["drop.py"]
    bad = asyncify(tmp_path, "diff", "--exclude", "build\\", ".")
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: invalid exclude pattern 'build\\\\'")
    assert len(bad.stderr.strip().splitlines()) == 1
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.asyncify]\nx = "\xff"\n')
    toml = asyncify(tmp_path, "diff", ".")
    assert toml.returncode == 2
    assert toml.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'pyproject.toml'}: invalid TOML: "
        "not UTF-8 (byte b'\\xff' at offset 21)"
    ]


def test_closed_or_full_stdout_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """item 13: stdout closed early (``| head -1``) or on a full disk: no traceback, exit 2."""
    # A diff far larger than a pipe's buffer, so that the run is still writing when the
    # reader goes away.
    big = "import time\n" + "".join(f"\n\ndef f{i}():\n    time.sleep(0)\n" for i in range(300))
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(big)
    assert ASYNCIFY is not None
    env = {
        **os.environ,
        "ASYNCIFY_CACHE_DIR": str(tmp_path / "c"),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    proc = subprocess.Popen(
        [ASYNCIFY, "diff", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2
    assert "Traceback" not in err
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [ASYNCIFY, "diff", "."],
                cwd=tmp_path,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
                env=env,
            )
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            "Error: cannot write the output: No space left on device"
        ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_fifos_and_devices_are_not_read(tmp_path: Path) -> None:
    """item 14: a FIFO and /dev/zero named on the command line are refused at once (no
    hang, no memory exhaustion); a file over the size limit is a finding; others convert."""
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "ok.py").write_text(CALLEE)
    (tmp_path / "huge.py").write_bytes(b"#" * (16 * 1024 * 1024 + 1))
    args = ["diff", "pipe.py", "huge.py", "ok.py"]
    if os.path.exists("/dev/zero"):
        args.append("/dev/zero")
    done = asyncify(tmp_path, *args, timeout=60)
    assert done.returncode == 2
    assert f"pipe.py:1:1: {AFY004}not a regular file" in done.stderr
    assert f"huge.py:1:1: {AFY004}file too large" in done.stderr
    assert "+async def slow" in done.stdout
    if os.path.exists("/dev/zero"):
        assert f"/dev/zero:1:1: {AFY004}not a regular file" in done.stderr


# -- output --------------------------------------------------------------------------------
def test_cr_only_line_endings_keep_the_last_cr(tmp_path: Path) -> None:
    """item 17: a file with CR-only line endings keeps every CR, the final one too."""
    path = tmp_path / "m.py"
    path.write_bytes(CALLEE.replace("\n", "\r").encode())
    done = asyncify(tmp_path, "run", ".", env={"ASYNCIFY_CACHE_DIR": "off"})
    assert done.returncode == 0, done.stderr
    data = path.read_bytes()
    assert b"async def slow" in data and data.endswith(b"return 1\r") and b"\n" not in data


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to apply the diff")
def test_diffs_of_odd_names_and_outside_files_apply_with_git(tmp_path: Path) -> None:
    """item 18: names with a tab, a newline or a quote are C-quoted as git does; files
    outside the working folder get names relative to a folder that holds them all (said on
    stderr); ``git apply`` there gives exactly what ``run`` writes."""
    tree = tmp_path / "tree"
    work = tree / "work"
    work.mkdir(parents=True)
    names = ["tab\there.py", "new\nline.py", 'quote".py']
    for name in names:
        (work / name).write_text(CALLEE)
    (tree / "outside.py").write_text(CALLEE)
    inside = asyncify(work, "diff", ".")
    assert inside.returncode == 0, inside.stderr
    assert '+++ "b/tab\\there.py"' in inside.stdout
    outside = asyncify(work, "diff", "../outside.py")
    assert outside.returncode == 0, outside.stderr
    assert "+++ b/outside.py" in outside.stdout
    assert f"relative to {tree.resolve()}" in outside.stderr
    expected = tmp_path / "expected"
    shutil.copytree(tree, expected)
    asyncify(expected / "work", "run", ".", "../outside.py")
    for folder, patch in [(work, inside.stdout), (tree, outside.stdout)]:
        applied = subprocess.run(
            ["git", "apply", "-"], cwd=folder, input=patch, text=True, capture_output=True
        )
        assert applied.returncode == 0, applied.stderr
    for name in [*(f"work/{n}" for n in names), "outside.py"]:
        assert (tree / name).read_bytes() == (expected / name).read_bytes()


def test_sarif_uris_are_encoded_and_stay_under_srcroot(tmp_path: Path) -> None:
    """item 19: a SARIF URI is percent-encoded, and a file outside the working folder gets
    an absolute file: URI rather than one that climbs out of %SRCROOT%."""
    work = tmp_path / "work"
    work.mkdir()
    blocking = "def f(:\n"  # AFY001: a finding in each file
    (work / "a b%#.py").write_text(blocking)
    (tmp_path / "out.py").write_text(blocking)
    done = asyncify(work, "check", ".", "../out.py", "--format", "sarif")
    results = json.loads(done.stdout)["runs"][0]["results"]
    locations = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["locations"][0][
            "physicalLocation"
        ]["artifactLocation"].get("uriBaseId")
        for r in results
    }
    assert locations == {
        "a%20b%25%23.py": "%SRCROOT%",
        (tmp_path / "out.py").resolve().as_uri(): None,
    }


def test_usage_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    """item 21: argument parser errors are one line (no box), exit 2."""
    for args, text in [
        (["diff", "--jobs", "x", "."], "Error: Invalid value for '--jobs' / '-j'"),
        (["frob"], "Error: No such command 'frob'."),
        (["diff"], "Error: Missing argument 'paths'."),
    ]:
        done = asyncify(tmp_path, *args)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(text), done.stderr
        assert "--help')" in lines[0]


def test_an_interrupt_during_the_write_says_what_was_written(tmp_path: Path) -> None:
    """item 20: SIGTERM arriving while files are written: the write finishes (the program
    stays whole), then the run says which files were written and exits 143."""
    lib, app = program(tmp_path)
    script = (
        "import os, signal\n"
        "from asyncify import cli\n"
        "real = cli.write_files\n"
        "def write(items):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(items)\n"
        "cli.write_files = write\n"
        "cli.main(['run', '.'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ASYNCIFY_CACHE_DIR": "off"},
    )
    assert done.returncode == 143
    assert (
        "asyncify: interrupted while writing; the write finished first: "
        "2 files written (app.py, lib.py)"
    ) in done.stderr
    assert "async def slow" in lib.read_text() and "await lib.slow()" in app.read_text()


def test_a_killed_runs_journal_is_finished_by_the_next_run(tmp_path: Path) -> None:
    """items 4, 5 and 15: a run killed between the renames of one program's files (its
    journal and staged files remain) is completed by the next ``run``, not left half done."""
    lib, app = program(tmp_path / "p")
    full = tmp_path / "full"
    program(full)
    assert asyncify(full, "run", ".").returncode == 0
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from asyncify import source\n"
        "calls = []\n"
        "real = os.replace\n"
        "def replace(a, b):\n"
        "    if str(a).endswith('.tmp') and calls:\n"
        "        os._exit(9)  # killed after the first rename\n"
        "    calls.append(b)\n"
        "    real(a, b)\n"
        "os.replace = replace\n"
        "from asyncify.cli import main\n"
        "main(['run', '.'])\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path / "p",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == 9, killed.stderr
    left = temps(tmp_path / "p")
    assert any(name.endswith("-journal.tmp") for name in left)
    assert [lib.read_text(), app.read_text()].count(CALLEE) + [
        lib.read_text(),
        app.read_text(),
    ].count(CALLER) == 1  # half written
    done = asyncify(tmp_path / "p", "run", ".")
    assert done.returncode == 0, done.stderr
    assert "finished writing 1 file(s) that a killed run left half done" in done.stderr
    assert lib.read_text() == (full / "lib.py").read_text()
    assert app.read_text() == (full / "app.py").read_text()
    assert temps(tmp_path / "p") == []


def test_a_full_cache_folder_keeps_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """item 15: a cache write that fails (disk full) leaves no temporary file behind."""
    from asyncify import cache

    monkeypatch.setenv("ASYNCIFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    cache._secret.cache_clear()
    assert cache._secret() is not None  # the key exists before the disk fills
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fd: int, mode: str) -> None:
            self.stream = real_fdopen(fd, mode)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

    try:
        monkeypatch.setattr(cache.os, "fdopen", Full)
        cache.put("rewrite", ("k",), ("text", []))
        monkeypatch.setattr(cache.os, "fdopen", real_fdopen)
        files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
        assert files == []
        cache.put("rewrite", ("k",), ("text", []))
        assert cache.get("rewrite", ("k",)) == ("text", [])
    finally:
        cache._secret.cache_clear()
