"""Convert pinned real-world projects with asyncify and judge the result.

For each project: download its pinned release from PyPI (``pip download``, a wheel, else
the sdist) into a cache, copy its library package(s) to ``before/`` and ``after/``, run the
installed ``asyncify run`` on ``after/``, then judge:

* no crash (no traceback on stderr, exit code 0, 1 or 2),
* every output file compiles,
* a second ``asyncify run`` changes nothing,
* ruff and pyright (``tests/judges.py``) find nothing new in ``after/`` versus ``before/``,
* where a project has a behaviour scenario (``benchmarks/corpus_scenarios.py``: python-gitlab
  against a fake GitLab API), the original and the converted package print the same and
  send the server the same requests.

One line per project and a total line; the exit code is 1 if any judge failed.

    python benchmarks/corpus.py                       # all six projects
    python benchmarks/corpus.py --projects python-jenkins,yoyo-migrations

Run it with the development environment's python (``.venv/bin/python``): the judges need
httpx, aiofiles and asyncpg importable by that interpreter so that pyright resolves types.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import corpus_scenarios as scenarios  # noqa: E402
from tests import judges  # noqa: E402  (the repository root is put on sys.path above)


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    packages: tuple[str, ...]  # top-level import packages to convert

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


PROJECTS: dict[str, Project] = {
    p.name: p
    for p in [
        Project("httpie", "3.2.4", ("httpie",)),
        Project("docker", "7.1.0", ("docker",)),
        Project("python-gitlab", "5.6.0", ("gitlab",)),
        Project("pgcli", "3.4.1", ("pgcli",)),
        Project("python-jenkins", "1.8.2", ("jenkins",)),
        Project("yoyo-migrations", "8.2.0", ("yoyo",)),
    ]
}
SUBSET = ("python-gitlab", "python-jenkins")  # both convert something (docs/corpus.md)
DEFAULT_CACHE = Path(os.environ.get("ASYNCIFY_CORPUS_CACHE", "~/.cache/asyncify-corpus"))
JUDGE_MODULES = ("httpx", "aiofiles", "asyncpg")


@dataclass
class Row:
    project: str
    files: int = 0
    lines: int = 0
    rewritten: int = 0
    async_functions: int = 0
    findings: int = 0
    failed: int = 0  # files asyncify could not process (AFY0xx, exit code 2)
    crashes: int = 0
    uncompilable: int = 0
    unstable: int = 0
    new_ruff: int = 0
    new_pyright: int = 0
    behaviour: str = "-"  # "same" / "differs" where the project has a scenario
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # details of every judge failure
    errors: list[str] = field(default_factory=list)  # asyncify's AFY0xx lines
    work: str = ""

    @property
    def ok(self) -> bool:
        return not (
            self.crashes
            or self.uncompilable
            or self.unstable
            or self.new_ruff
            or self.new_pyright
            or self.behaviour == "differs"
            or any(p.startswith("setup:") for p in self.problems)
        )


COLUMNS = [
    ("project", "project", "{:<16}"),
    ("files", "files", "{:>5}"),
    ("lines", "lines", "{:>6}"),
    ("rewritten", "rewritten", "{:>9}"),
    ("async_functions", "async fns", "{:>9}"),
    ("findings", "findings", "{:>8}"),
    ("failed", "failed", "{:>6}"),
    ("crashes", "crashes", "{:>7}"),
    ("uncompilable", "uncompilable", "{:>12}"),
    ("unstable", "unstable", "{:>8}"),
    ("new_ruff", "new ruff", "{:>8}"),
    ("new_pyright", "new pyright", "{:>11}"),
    ("behaviour", "behaviour", "{:>9}"),
    ("seconds", "seconds", "{:>7.1f}"),
]


# -- download and unpack ---------------------------------------------------------------
def download(project: Project, cache: Path) -> Path:
    """The project's wheel (else sdist) in ``cache/downloads``, downloaded once."""
    folder = cache / "downloads" / f"{project.name}-{project.version}"
    found = _archives(folder)
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder)]
    attempts = [["--only-binary=:all:"], ["--no-binary=:all:"]]
    messages: list[str] = []
    for extra in attempts:
        proc = subprocess.run(
            [*base, *extra, project.requirement], capture_output=True, text=True, timeout=600
        )
        found = _archives(folder)
        if proc.returncode == 0 and found:
            return found[0]
        messages.append(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?")
    raise RuntimeError(f"cannot download {project.requirement}: {'; '.join(messages)}")


def _archives(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    wheels = sorted(folder.glob("*.whl"))
    sdists = sorted([*folder.glob("*.tar.gz"), *folder.glob("*.zip")])
    return wheels + sdists


def unpack(archive: Path, cache: Path) -> Path:
    """Unpack ``archive`` once into ``cache/unpacked/<archive name>``."""
    target = cache / "unpacked" / archive.name
    done = target / ".complete"
    if done.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")
    done.touch()
    return target


def find_package(unpacked: Path, name: str) -> Path:
    """The folder of import package ``name`` in an unpacked wheel or sdist."""
    candidates = sorted(
        (p.parent for p in unpacked.rglob(f"{name}/__init__.py") if "test" not in p.parts[:-2]),
        key=lambda p: len(p.parts),
    )
    if not candidates:
        raise RuntimeError(f"package {name!r} not found in {unpacked}")
    return candidates[0]


# -- judging -----------------------------------------------------------------------------
def asyncify_command() -> list[str]:
    """The installed ``asyncify`` next to this interpreter (else on PATH)."""
    found = shutil.which("asyncify", path=str(Path(sys.executable).parent)) or shutil.which(
        "asyncify"
    )
    if not found:
        raise RuntimeError("asyncify is not installed in this environment: pip install -e .")
    return [found]


def run_asyncify(tree: Path, packages: Sequence[str]) -> tuple[int, dict[str, object], str]:
    proc = subprocess.run(
        [*asyncify_command(), "run", "--format", "json", *packages],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = {}
    return proc.returncode, report, proc.stderr


def crashed(code: int, stderr: str) -> bool:
    return code not in (0, 1, 2) or "Traceback (most recent call last)" in stderr


def python_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if p.is_file())


def tree_hashes(tree: Path) -> dict[str, str]:
    return {
        p.relative_to(tree).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


def uncompilable(tree: Path) -> list[str]:
    bad = []
    for path in python_files(tree):
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            bad.append(f"{path.relative_to(tree).as_posix()}: {type(error).__name__}: {error}")
    return bad


@contextmanager
def working_folder(folder: Path) -> Iterator[None]:
    """pyright resolves the tree's own imports from the working folder: run it there."""
    old = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def judge(project: Project, cache: Path, work_root: Path) -> Row:
    started = time.monotonic()
    row = Row(project.name)
    work = work_root / project.name
    row.work = str(work)
    try:
        unpacked = unpack(download(project, cache), cache)
        shutil.rmtree(work, ignore_errors=True)
        before, after = work / "before", work / "after"
        for package in project.packages:
            source = find_package(unpacked, package)
            shutil.copytree(source, before / package)
            shutil.copytree(source, after / package)
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        row.problems.append(f"setup: {error}")
        row.seconds = time.monotonic() - started
        return row

    for path in python_files(before):
        row.files += 1
        row.lines += len(path.read_bytes().splitlines())

    code, report, stderr = run_asyncify(after, project.packages)
    if crashed(code, stderr):
        row.crashes += 1
        row.problems.append(f"crash (exit {code}): {_last_lines(stderr)}")
    summary = report.get("summary", {})
    if isinstance(summary, dict):
        row.rewritten = int(summary.get("written", 0))
        row.async_functions = int(summary.get("async_functions", 0))
        row.findings = int(summary.get("findings", 0))
        row.failed = int(summary.get("failed", 0))
    errors = report.get("errors", [])
    if isinstance(errors, list):
        row.errors = [_finding_line(e) for e in errors if isinstance(e, dict)]

    for line in uncompilable(after):
        row.uncompilable += 1
        row.problems.append(f"does not compile: {line}")

    first = tree_hashes(after)
    code2, _, stderr2 = run_asyncify(after, project.packages)
    if crashed(code2, stderr2):
        row.crashes += 1
        row.problems.append(f"crash on the second run (exit {code2}): {_last_lines(stderr2)}")
    second = tree_hashes(after)
    for name in sorted(set(first) | set(second)):
        if first.get(name) != second.get(name):
            row.unstable += 1
            row.problems.append(f"unstable: a second run changed {name}")

    with working_folder(before):
        pyright_before = judges.pyright(before)
    with working_folder(after):
        pyright_after = judges.pyright(after)
    for key in sorted(pyright_after - pyright_before):
        row.new_pyright += 1
        row.problems.append(f"new pyright: {_one_line(key)}")
    for key in sorted(judges.ruff(after) - judges.ruff(before)):
        row.new_ruff += 1
        row.problems.append(f"new ruff: {_one_line(key)}")
    scenario = scenarios.SCENARIOS.get(project.name)
    if scenario is not None:
        run, needs = scenario
        try:
            extra = [
                unpack(download(Project(*need.split("=="), ()), cache), cache) for need in needs
            ]
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            row.problems.append(f"setup: {error}")
        else:
            original, converted = run(before, extra), run(after, extra)
            row.behaviour = "same"
            for what, one, other in (
                ("exit code", original.returncode, converted.returncode),
                ("output", original.stdout, converted.stdout),
                ("requests", original.requests, converted.requests),
            ):
                if one != other:
                    row.behaviour = "differs"
                    row.problems.append(
                        f"behaviour: {what} differs: {_last_lines(str(one))} != "
                        f"{_last_lines(str(other))} / {_last_lines(converted.stderr)}"
                    )
            if original.returncode != 0:
                row.behaviour = "differs"
                row.problems.append(f"behaviour: the original failed: {original.stderr[-500:]}")
    row.seconds = time.monotonic() - started
    return row


def _finding_line(data: dict[str, object]) -> str:
    return " ".join(
        str(data.get(k, "")) for k in ("path", "line", "code", "message") if data.get(k) != ""
    )


def _one_line(key: judges.Key) -> str:
    return " | ".join(" / ".join(part.split("\n")) for part in key)


def _last_lines(text: str, n: int = 3) -> str:
    return " / ".join(text.strip().splitlines()[-n:])


# -- output -------------------------------------------------------------------------------
def total(rows: Sequence[Row]) -> Row:
    out = Row("total")
    for row in rows:
        for name, _, _ in COLUMNS[1:]:
            if name != "behaviour":
                setattr(out, name, getattr(out, name) + getattr(row, name))
    judged = [row.behaviour for row in rows if row.behaviour != "-"]
    out.behaviour = ("differs" if "differs" in judged else "same") if judged else "-"
    return out


def text_line(row: Row) -> str:
    return "  ".join(fmt.format(getattr(row, name)) for name, _, fmt in COLUMNS)


def text_header() -> str:
    widths = [len(fmt.format(0 if name != "project" else "")) for name, _, fmt in COLUMNS]
    return "  ".join(
        title.ljust(w) if i == 0 else title.rjust(w)
        for i, ((_, title, _), w) in enumerate(zip(COLUMNS, widths, strict=True))
    )


def markdown(rows: Sequence[Row]) -> str:
    head = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|"
    body = []
    for row in [*rows, total(rows)]:
        cells = [fmt.format(getattr(row, name)).strip() for name, _, fmt in COLUMNS]
        if row.project == "total":
            cells = [f"**{c}**" for c in cells]
        body.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *body])


def check_environment() -> list[str]:
    import importlib.util

    missing = [m for m in JUDGE_MODULES if importlib.util.find_spec(m) is None]
    problems = []
    if missing:
        problems.append(
            f"{sys.executable} lacks {', '.join(missing)}: run with the dev venv "
            "(pip install -e '.[test]') so that pyright resolves the converted code's types"
        )
    for tool in ("pyright", "ruff"):
        try:
            judges._tool(tool)
        except AssertionError as error:
            problems.append(str(error))
    try:
        asyncify_command()
    except RuntimeError as error:
        problems.append(str(error))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--projects",
        default=",".join(PROJECTS),
        help=f"comma-separated project names (default: all; known: {', '.join(PROJECTS)})",
    )
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="download cache (default: %(default)s)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the before/after work trees and print where"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="projects converted and judged in parallel"
    )
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument("--json", type=Path, help="write the rows as JSON to this file")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.projects.split(",") if n.strip()]
    unknown = [n for n in names if n not in PROJECTS]
    if unknown or not names:
        parser.error(f"unknown project(s) {unknown}; known: {', '.join(PROJECTS)}")
    problems = check_environment()
    if problems:
        for problem in problems:
            print(f"corpus: {problem}", file=sys.stderr)
        return 2

    cache = args.cache.expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    work_root = Path(tempfile.mkdtemp(prefix="asyncify-corpus-")).resolve()
    projects = [PROJECTS[n] for n in names]
    print(text_header(), flush=True)
    rows: list[Row] = []
    try:
        if args.jobs > 1 and len(projects) > 1:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                futures = [pool.submit(judge, p, cache, work_root) for p in projects]
                for future in futures:
                    rows.append(future.result())
                    print(text_line(rows[-1]), flush=True)
        else:
            for project in projects:
                rows.append(judge(project, cache, work_root))
                print(text_line(rows[-1]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)
    print(text_line(total(rows)))
    for row in rows:
        for line in row.errors:
            print(f"{row.project}: asyncify error: {line}")
        for line in row.problems:
            print(f"{row.project}: FAIL {line}")
    if args.keep:
        print(f"work trees kept in {work_root}/<project>/{{before,after}}")
    if args.markdown:
        print()
        print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
