"""Bad and extreme input through the installed ``asyncify run``: clear one-line errors,
exit 2 where a file fails, nothing lost, every other file converted.

Covers files that are not UTF-8 and have no cookie, files that vanish or cannot be read
during the run (a dangling symlink, a file replaced by a directory, chmod 000 when not
root), a 50,000-line file, deeply nested expressions, syntax of a newer Python than the
running one, and a tree of 3,000 small files.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ASYNCIFY = shutil.which("asyncify", path=str(Path(sys.executable).parent)) or shutil.which(
    "asyncify"
)
pytestmark = pytest.mark.skipif(ASYNCIFY is None, reason="asyncify is not installed")

# path:line:col: AFY0nn message   (one line)
ERROR_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>AFY0\d\d) \S.*$")

BLOCKING = """\
import time


def work():
    time.sleep(1)


if __name__ == "__main__":
    work()
"""
CONVERTED_MARK = "await asyncio.sleep(1)"


def run(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    assert ASYNCIFY is not None
    return subprocess.run(
        [ASYNCIFY, "run", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_lines(stderr: str) -> list[re.Match[str]]:
    """The AFY0xx lines of ``stderr``; every line that mentions AFY0 must be one of them."""
    found = []
    for line in stderr.splitlines():
        if re.search(r"\bAFY0\d\d\b", line):
            match = ERROR_LINE.match(line)
            assert match, f"not a one-line error: {line!r}"
            found.append(match)
    assert "Traceback" not in stderr, stderr[-3000:]
    return found


def assert_fails_cleanly(
    proc: subprocess.CompletedProcess[str], path: str, code: str
) -> re.Match[str]:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    errors = [m for m in error_lines(proc.stderr) if m["path"] == path]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert errors[0]["code"] == code, errors[0].group(0)
    return errors[0]


def with_good_neighbour(root: Path) -> Path:
    good = root / "good.py"
    good.write_text(BLOCKING)
    return good


# -- encodings --------------------------------------------------------------------------
def test_latin1_without_cookie(tmp_path: Path) -> None:
    data = b"import time\n\ndef f():\n    # caf\xe9\n    time.sleep(1)\n"
    bad = tmp_path / "latin.py"
    bad.write_bytes(data)
    good = with_good_neighbour(tmp_path)
    proc = run(tmp_path, ".")
    error = assert_fails_cleanly(proc, "latin.py", "AFY002")
    assert error["line"] == "4", error.group(0)
    assert bad.read_bytes() == data
    assert CONVERTED_MARK in good.read_text()


def test_latin1_with_cookie_is_converted_and_stays_latin1(tmp_path: Path) -> None:
    data = b"# -*- coding: latin-1 -*-\nimport time\n\ndef f():\n    # caf\xe9\n    time.sleep(1)\n"
    path = tmp_path / "latin.py"
    path.write_bytes(data)
    proc = run(tmp_path, ".")
    assert proc.returncode == 0, proc.stderr
    out = path.read_bytes()
    assert b"caf\xe9" in out and b"await asyncio.sleep(1)" in out


def test_utf16_without_bom_or_cookie(tmp_path: Path) -> None:
    data = BLOCKING.encode("utf-16-le")
    bad = tmp_path / "wide.py"
    bad.write_bytes(data)
    proc = run(tmp_path, ".")
    assert_fails_cleanly(proc, "wide.py", "AFY002")
    assert bad.read_bytes() == data


# -- files that vanish or cannot be read ------------------------------------------------
def test_dangling_symlink_named_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    good = with_good_neighbour(tmp_path)
    proc = run(tmp_path, "gone.py", "good.py")
    assert proc.returncode == 2, proc.stderr
    lines = error_lines(proc.stderr)
    assert len(lines) == 1, proc.stderr
    # The user named gone.py: the one error line must say so (it may also name the target).
    assert "gone.py" in lines[0].group(0), proc.stderr
    assert CONVERTED_MARK in good.read_text()
    assert (tmp_path / "gone.py").is_symlink()


def test_dangling_symlink_in_a_folder(tmp_path: Path) -> None:
    """A dangling link found by discovery is not a Python file one can convert: it is either
    skipped or reported in one line; it never stops the run or loses anything."""
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    good = with_good_neighbour(tmp_path)
    proc = run(tmp_path, ".")
    assert proc.returncode in (0, 2), proc.stderr
    error_lines(proc.stderr)
    assert CONVERTED_MARK in good.read_text()
    assert (tmp_path / "gone.py").is_symlink()


def test_file_replaced_by_a_directory(tmp_path: Path) -> None:
    """A name that is a folder, given as a file (as if the file was replaced mid-run)."""
    (tmp_path / "odd.py").mkdir()
    (tmp_path / "odd.py" / "inner.py").write_text(BLOCKING)
    good = with_good_neighbour(tmp_path)
    proc = run(tmp_path, "odd.py", "good.py")
    assert proc.returncode in (0, 2), proc.stderr
    error_lines(proc.stderr)
    assert CONVERTED_MARK in good.read_text()


def test_file_removed_during_the_run(tmp_path: Path) -> None:
    """Files are removed while a large run is under way: the run goes on, reports each
    missing file in one line or converts it, and never recreates or loses a file."""
    package = tmp_path / "pkg"
    package.mkdir()
    for i in range(400):
        (package / f"m{i}.py").write_text(BLOCKING.replace("work", f"work{i}"))
    assert ASYNCIFY is not None
    proc = subprocess.Popen(
        [ASYNCIFY, "run", "pkg"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    removed = []
    import time

    time.sleep(0.5)
    for i in range(0, 400, 40):
        path = package / f"m{i}.py"
        path.unlink()
        removed.append(path)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode in (0, 2), err[-3000:]
    error_lines(err)
    for path in removed:
        assert not path.exists(), f"{path.name} was written again after it was removed"
    left = sorted(package.glob("*.py"))
    assert len(left) == 400 - len(removed)
    for path in left:
        ast.parse(path.read_text())
    assert not [p for p in package.iterdir() if p.name.endswith(".tmp")]


def test_file_replaced_by_directory_during_the_run(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    for i in range(400):
        (package / f"m{i}.py").write_text(BLOCKING.replace("work", f"work{i}"))
    assert ASYNCIFY is not None
    proc = subprocess.Popen(
        [ASYNCIFY, "run", "pkg"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    import time

    time.sleep(0.5)
    victim = package / "m7.py"
    victim.unlink()
    victim.mkdir()
    out, err = proc.communicate(timeout=600)
    assert proc.returncode in (0, 2), err[-3000:]
    error_lines(err)
    assert victim.is_dir() and not any(victim.iterdir())


# -- size and depth -----------------------------------------------------------------------
def test_fifty_thousand_lines(tmp_path: Path) -> None:
    chunks = ["import time\n"]
    for i in range(10_000):
        chunks.append(f"\n\ndef f{i}(x):\n    y = x + {i}\n    return y\n")
    chunks.append("\n\ndef slow():\n    time.sleep(1)\n    return f9999(1)\n")
    text = "".join(chunks)
    assert text.count("\n") >= 50_000
    path = tmp_path / "big.py"
    path.write_text(text)
    proc = run(tmp_path, "big.py")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = path.read_text()
    assert "async def slow():" in out and CONVERTED_MARK in out
    assert out.count("\n") == text.count("\n")
    ast.parse(out)


NESTED = {
    "parentheses": "x = " + "(" * 200 + "1" + ")" * 200 + "\n",
    "additions": "x = " + " + ".join(["a"] * 5000) + "\n",
    "lists": "x = " + "[" * 150 + "]" * 150 + "\n",
    "calls": "x = " + "f(" * 150 + ")" * 150 + "\n",
    "attributes": "x = a" + ".b" * 3000 + "\n",
    "conditionals": "x = " + " if c else ".join(["1"] * 500) + "\n",
}


@pytest.mark.parametrize("kind", sorted(NESTED))
def test_deeply_nested_expression(tmp_path: Path, kind: str) -> None:
    expression = NESTED[kind]
    text = (
        "import time\n\na = c = 1\nf = print\n\n\ndef g():\n"
        f"    {expression}"
        "    time.sleep(1)\n    return x\n"
    )
    path = tmp_path / "deep.py"
    path.write_text(text)
    good = with_good_neighbour(tmp_path)
    proc = run(tmp_path, ".")
    assert CONVERTED_MARK in good.read_text()
    try:
        compile(text, "deep.py", "exec")
    except (SyntaxError, RecursionError, MemoryError):
        parses = False
    else:
        parses = True
    if proc.returncode == 0:
        assert parses, "asyncify converted what Python cannot compile"
        out = path.read_text()
        assert CONVERTED_MARK in out
        compile(out, "deep.py", "exec")
        assert expression.strip() in out
    else:
        assert_fails_cleanly(proc, "deep.py", error_lines(proc.stderr)[0]["code"])
        assert path.read_text() == text


# -- newer syntax -------------------------------------------------------------------------
PY312 = {
    "type_alias": "type Pair = tuple[int, int]\n",
    "generic_function": "def first[T](xs: list[T]) -> T:\n    return xs[0]\n",
    "generic_class": "class Box[T]:\n    def get(self) -> T: ...\n",
    "nested_fstring": 'names = ["a"]\nx = f"{f"{names[0]}"}"\n',
    "fstring_same_quotes": 'd = {"k": 1}\nx = f"{d["k"]}"\n',
}


@pytest.mark.parametrize("kind", sorted(PY312))
def test_python_312_syntax(tmp_path: Path, kind: str) -> None:
    text = "import time\n\n" + PY312[kind] + "\n\ndef g():\n    time.sleep(1)\n"
    path = tmp_path / "new.py"
    path.write_text(text)
    good = with_good_neighbour(tmp_path)
    proc = run(tmp_path, ".")
    assert CONVERTED_MARK in good.read_text()
    try:
        ast.parse(text)
    except SyntaxError:
        # The running Python cannot parse it: one clean AFY001 line, exit 2, untouched.
        error = assert_fails_cleanly(proc, "new.py", "AFY001")
        assert int(error["line"]) >= 3, error.group(0)
        assert path.read_text() == text
    else:
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = path.read_text()
        assert CONVERTED_MARK in out and PY312[kind] in out
        ast.parse(out)


# -- many files ---------------------------------------------------------------------------
def test_three_thousand_files(tmp_path: Path) -> None:
    root = tmp_path / "many"
    broken = {}
    originals = {}
    for i in range(3000):
        folder = root / f"pkg{i // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 100 == 0:
            (folder / "__init__.py").write_text("")
            originals[f"pkg{i // 100}/__init__.py"] = ""
        name = f"pkg{i // 100}/m{i}.py"
        if i % 500 == 7:
            text = f"def broken_{i}(:\n    pass\n"
            broken[name] = text
        elif i % 3 == 0:
            text = BLOCKING.replace("work", f"work_{i}")
        else:
            text = f"def pure_{i}(x):\n    return x * {i}\n"
        (root / name).write_text(text)
        originals[name] = text
    proc = run(tmp_path, "many", "--quiet", timeout=1200)
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = error_lines(proc.stderr)
    assert sorted(m["path"] for m in errors) == sorted(f"many/{n}" for n in broken)
    assert all(m["code"] == "AFY001" for m in errors)
    now = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    assert set(now) == set(originals), "files appeared or disappeared"
    for name, text in originals.items():
        if name in broken or "time.sleep" not in text:
            assert now[name] == text, name
        else:
            assert CONVERTED_MARK in now[name], name
