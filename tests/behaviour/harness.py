"""Run a program before and after conversion and compare what it prints and writes.

``run_both(tmp_path, files, ...)`` writes the program (a dict of relative path -> source)
twice, into ``before/`` and ``after/``, converts ``after/`` with the installed asyncify
command, runs the same entry point in each with the same arguments and environment, and
returns both outcomes, so a test can assert they are equal.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def asyncify_command() -> list[str]:
    exe = shutil.which("asyncify", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "asyncify"]


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    files: dict[str, bytes]  # files written under the work folder, by relative path


@dataclass
class Both:
    before: Outcome
    after: Outcome
    converted: dict[str, str]  # converted program sources
    convert_output: str

    def assert_same(self) -> None:
        assert self.after.stdout == self.before.stdout, (self.before.stderr, self.after.stderr)
        assert self.after.returncode == self.before.returncode, self.after.stderr
        assert self.after.files == self.before.files
        assert "was never awaited" not in self.after.stderr, self.after.stderr


class Code(str):
    """Converted source whose ``in`` does not depend on line wrapping: asyncify formats
    changed lines like the project (black-style wrapping), so ``"f(a, b)" in code`` also
    matches ``f(\n    a,\n    b,\n)``."""

    def __contains__(self, part: object) -> bool:
        return str.__contains__(self, str(part)) or flat(str(part)) in flat(self)


def flat(text: str) -> str:
    """``text`` with its line breaks and the indentation and trailing commas of wrapped
    brackets taken out."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r",\s*([)\]}])", r"\1", text)
    return re.sub(r"([(\[{]) | ([)\]}])", r"\1\2", text)


def convert(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*asyncify_command(), "run", *extra, "."],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _snapshot(work: Path) -> dict[str, bytes]:
    return {
        p.relative_to(work).as_posix(): p.read_bytes()
        for p in sorted(work.rglob("*"))
        if p.is_file()
    }


def run_program(
    folder: Path, entry: str, args: list[str], env: dict[str, str], work: Path, stdin: str = ""
) -> Outcome:
    # The same hash seed for both runs: a program that prints a set prints it in one order.
    full_env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONWARNINGS": "default",
        "PYTHONHASHSEED": "0",
        **env,
    }
    proc = subprocess.run(
        [
            sys.executable,
            *(["-m", entry] if not entry.endswith(".py") else [str(folder / entry)]),
            *args,
        ],
        cwd=work if entry.endswith(".py") else folder,
        env={**full_env, "PYTHONPATH": str(folder), "WORK": str(work)},
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr, _snapshot(work))


def run_both(
    tmp_path: Path,
    files: dict[str, str],
    entry: str = "main.py",
    args: list[str] | None = None,
    env: dict[str, str] | None = None,
    setup: dict[str, bytes] | None = None,
    convert_args: tuple[str, ...] = (),
    before_each: object = None,
) -> Both:
    """``entry``: a script path (run with cwd = a fresh work folder) or a module (-m).

    ``setup``: input files placed in each run's work folder (its path is in $WORK).
    ``before_each``: a callable run before each program (e.g. to reset a database table).
    """
    outcomes = []
    converted: dict[str, str] = {}
    convert_output = ""
    for side in ("before", "after"):
        folder = tmp_path / side
        for rel, text in files.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        if side == "after":
            proc = convert(folder, *convert_args)
            convert_output = proc.stdout + proc.stderr
            assert proc.returncode in (0, 1), convert_output
            converted = {rel: Code((folder / rel).read_text()) for rel in files}
            for path in sorted(folder.rglob("*.py")):  # and the compatibility module
                converted.setdefault(path.relative_to(folder).as_posix(), Code(path.read_text()))
        work = tmp_path / f"work-{side}"
        work.mkdir()
        for rel, data in (setup or {}).items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_bytes(data)
        if callable(before_each):
            before_each()
        outcomes.append(run_program(folder, entry, args or [], env or {}, work))
    return Both(outcomes[0], outcomes[1], converted, convert_output)


def run_project_tests(root: Path) -> subprocess.CompletedProcess[str]:
    """The project's own pytest suite (``root/tests``), as its developers would run it: its
    own rootdir, none of asyncify's conftest or config, a coroutine never awaited an error;
    ``-rA`` lists each test's outcome."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rA",
            "-W",
            "error::RuntimeWarning",  # a coroutine never awaited
            "--rootdir",
            str(root),
            "--confcutdir",  # asyncify's own tests/conftest.py is a parent folder's
            str(root),
            "-c",
            os.devnull,
            "tests",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
