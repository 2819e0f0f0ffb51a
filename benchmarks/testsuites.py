"""Convert real projects *with their own test suites* and run the converted suites.

For each project of ``../shared/corpus/TESTSUITES.md`` (and python-gitlab's unit tests):

1. download the sdist once (``pip download --no-deps --no-binary :all:``) into the cache
   (default ``~/.cache/asyncify-testsuites``, ``--cache DIR``), unpack it there;
2. make the project's venv once, in the cache: the sdist itself, the test dependencies of
   TESTSUITES.md, and what converted code needs (``CONVERTED_DEPS``: httpx, aiofiles,
   asyncpg, pytest-asyncio, respx, async-lru; asyncify's report names no requirements, so
   the list is fixed here);
3. copy the unpacked sdist to ``original/`` and run the suite there with the exact command
   of TESTSUITES.md (``python -m pytest -q -p no:cacheprovider TESTS ...`` from the sdist
   root, so the tree and not the installed copy is imported), with the I/O tracer
   (``benchmarks/io_trace.py``) loaded;
4. copy it to ``converted/``, convert package and tests in ONE ``asyncify run --format
   json PACKAGE TESTS`` (the asyncify of ``--asyncify``, default: the one installed next to
   this interpreter), and run the converted suite with the same command.

Both runs add ``-W always::RuntimeWarning --junitxml=...``: outcomes come from the JUnit
file, and every "coroutine ... was never awaited" warning stays visible.

Columns (one line per project):

* ``orig p/f/e``, ``conv p/f/e``: tests passed / failed / errors (collection errors
  included) of the original and the converted suite; ``lost``: tests that pass in the
  original and do not pass in the converted suite (by test id);
* ``never awaited``: lines of the converted run's output (stdout and stderr) that contain
  ``was never awaited``, the RuntimeWarning of a coroutine that nobody awaited (pytest's
  warnings summary prints one such line per distinct warning and location);
* ``rewritten``, ``findings``, ``errors``: ``summary.written``, ``summary.findings`` and
  ``summary.errors`` of asyncify's JSON report;
* ``I/O fns``: the denominator of I/O coverage, measured on the ORIGINAL suite and
  independent of asyncify. While the original suite runs, the tracer records the project
  functions (defined in the package folder; lambdas and comprehensions excluded) on the
  stack whenever (a) requests' ``Session.request``/``Session.send``/``HTTPAdapter.send``,
  ``psycopg2.connect`` or a psycopg2 connection/cursor method that talks to the server
  (``execute``, ``fetch*``, ``copy_*``, ``commit``, ...) runs, or (b) a mock is called
  that stands for such I/O: its names (the name the project code called it by, the
  attribute a ``patch`` replaced, the mock's own name) include a requests verb or
  psycopg2 method name, or the name of a project function already found by (a) or (b)
  (computed to a fixed point); and (c) functions whose own source calls requests or
  psycopg2 (``direct_io``: syntax only). (b) is needed because these suites replace the
  HTTP layer by mocks (hcloud replaces ``ClientBase.request``, linode patches
  ``Session.get``): the functions above a mock are the ones that perform I/O once the mock
  is gone; (c) because some layers never run unmocked (jenkinsapi's ``Requester``). An I/O
  function is thus one that performs I/O directly or through the project's own HTTP/DB
  layer, on a path some test exercises, or a direct caller of the I/O library;
* ``async``: how many of those functions are ``async def`` in the converted tree (matched
  by file, qualified name and rank among same-named definitions, parsed with ``ast``);
* ``native``: how many of the async ones reach I/O natively: neither the function nor
  any innermost project function below it on a recorded I/O path calls ``to_thread``
  (``asyncio.to_thread``) in the converted tree.

A project that fails to download, install, convert or run prints a line saying so; the
others still run. Reproduce (about 6 minutes with ``--jobs 2`` once the sdists and venvs are
cached; the first run builds the venvs)::

    .venv/bin/python benchmarks/testsuites.py --markdown
    .venv/bin/python benchmarks/testsuites.py --only hcloud --keep
    .venv/bin/python benchmarks/testsuites.py --asyncify /path/to/other/venv/bin/asyncify

Requires Python 3.11+ (the tracer reads ``co_qualname`` and ``co_positions``), pip access
to PyPI, and PostgreSQL on 127.0.0.1:5432 (user postgres, trust) for pgspecial.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = Path(os.environ.get("ASYNCIFY_TESTSUITES_CACHE", "~/.cache/asyncify-testsuites"))
CONVERTED_DEPS = ("httpx", "aiofiles", "asyncpg", "pytest-asyncio", "respx", "async-lru")
HTTP_NAMES = frozenset(
    {"request", "send", "get", "post", "put", "patch", "delete", "head", "options", "connect"}
)
DB_NAMES = frozenset(
    {
        "execute",
        "executemany",
        "callproc",
        "fetchone",
        "fetchmany",
        "fetchall",
        "copy_expert",
        "copy_from",
        "copy_to",
        "commit",
        "rollback",
    }
)
PYTEST_EXTRA = ("-W", "always::RuntimeWarning")
NEVER_AWAITED = "was never awaited"


@dataclass(frozen=True)
class Project:
    name: str  # PyPI name
    version: str
    package: str  # folder of the import package in the sdist root
    tests: str  # folder of the tests converted with it
    pytest_args: tuple[str, ...]  # after ``python -m pytest -q -p no:cacheprovider``
    deps: tuple[str, ...]  # test dependencies (the sdist itself is installed too)
    env: tuple[tuple[str, str], ...] = ()
    extras: str = ""  # extras of the sdist to install, e.g. "graphql"

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


PROJECTS: dict[str, Project] = {
    p.name: p
    for p in [
        Project(
            "mwclient",
            "0.11.0",
            "mwclient",
            "test",
            ("test",),
            ("pytest", "pytest-cov", "responses", "mock", "setuptools"),
        ),
        Project(
            "censys",
            "2.3.0",
            "censys",
            "tests",
            ("tests",),
            ("pytest", "pytest-cov", "pytest-mock>=3.10,<4", "responses>=0.23.1"),
        ),
        Project("hcloud", "2.27.0", "hcloud", "tests/unit", ("tests/unit",), ("pytest",)),
        Project(
            "jenkinsapi",
            "0.3.23",
            "jenkinsapi",
            "jenkinsapi_tests/unittests",
            (
                "jenkinsapi_tests/unittests",
                "--ignore=jenkinsapi_tests/unittests/test_docker_jenkins.py",
            ),
            ("pytest", "pytest-mock", "mock", "pytest-timeout"),
        ),
        Project(
            "linode_api4",
            "5.48.0",
            "linode_api4",
            "test/unit",
            ("test/unit",),
            ("pytest", "httpretty", "pytest-rerunfailures", "mock"),
        ),
        Project(
            "pgspecial",
            "1.13.1",
            "pgspecial",
            "tests",
            ("tests",),
            ("pytest", "configobj"),
            (("PGHOST", "127.0.0.1"), ("PGUSER", "postgres")),
        ),
        Project(
            "python-gitlab",
            "5.6.0",
            "gitlab",
            "tests/unit",
            ("tests/unit",),
            # requirements-test.txt of the sdist, minus build/lint tools
            ("pytest", "pytest-cov", "responses", "pytest-console-scripts", "PyYaml", "anyio"),
            extras="graphql",  # tests/unit/test_graphql.py imports gql
        ),
    ]
}


@dataclass
class Suite:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    never_awaited: int = 0
    passing: list[str] = field(default_factory=list)  # test ids that passed
    returncode: int = 0
    tail: str = ""

    @property
    def pfe(self) -> str:
        return f"{self.passed}/{self.failed}/{self.errors}"


@dataclass
class Row:
    project: str
    original: Suite = field(default_factory=Suite)
    converted: Suite = field(default_factory=Suite)
    lost: int = 0
    rewritten: int = 0
    findings: int = 0
    asyncify_errors: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    io_functions: int = 0
    io_async: int = 0
    io_native: int = 0
    seconds: float = 0.0
    problem: str = ""  # why the project could not be measured (or only partly)
    not_async: list[str] = field(default_factory=list)  # I/O functions left sync
    lost_tests: list[str] = field(default_factory=list)
    work: str = ""

    def percent(self, part: int) -> str:
        return f"{100 * part / self.io_functions:.0f}%" if self.io_functions else "-"


# -- download, unpack, venv -------------------------------------------------------------
def run(cmd: Sequence[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        list(cmd), capture_output=True, text=True, timeout=timeout, **kwargs
    )


def sdist_root(project: Project, cache: Path) -> Path:
    """The unpacked sdist (downloaded and unpacked once)."""
    folder = cache / "downloads" / project.name
    archives = sorted(folder.glob("*.tar.gz")) if folder.is_dir() else []
    if not archives:
        folder.mkdir(parents=True, exist_ok=True)
        proc = run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
            + [project.requirement, "-d", str(folder)],
            timeout=900,
        )
        archives = sorted(folder.glob("*.tar.gz"))
        if proc.returncode != 0 or not archives:
            raise RuntimeError(f"download failed: {last_line(proc.stderr)}")
    archive = archives[0]
    target = cache / "unpacked" / archive.name.removesuffix(".tar.gz")
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")
        (target / ".complete").touch()
    roots = [p for p in target.iterdir() if p.is_dir()]
    if len(roots) != 1:
        raise RuntimeError(f"unexpected sdist layout in {target}")
    return roots[0]


def venv_python(project: Project, source: Path, cache: Path) -> Path:
    """The project's venv (made once per set of requirements)."""
    sdist = f"{source}[{project.extras}]" if project.extras else str(source)
    wanted = [sdist, *project.deps, *CONVERTED_DEPS]
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:10]
    venv = cache / "venvs" / f"{project.name}-{digest}"
    python = venv / "bin" / "python"
    if (venv / ".complete").exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    proc = run([sys.executable, "-m", "venv", str(venv)], timeout=600)
    if proc.returncode == 0:
        proc = run([str(python), "-m", "pip", "install", "-q", *wanted], timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"venv install failed: {last_line(proc.stderr)}")
    (venv / ".complete").touch()
    return python


# -- running a suite ----------------------------------------------------------------------
def run_suite(
    project: Project, python: Path, tree: Path, work: Path, label: str, trace: Path | None
) -> Suite:
    junit = work / f"{label}-junit.xml"
    env = {**os.environ, **dict(project.env)}
    env.pop("PYTHONPATH", None)
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *project.pytest_args]
    cmd += [*PYTEST_EXTRA, f"--junitxml={junit}"]
    if trace is not None:
        plugin = work / "plugin"
        plugin.mkdir(exist_ok=True)
        shutil.copy(HERE / "io_trace.py", plugin / "asyncify_io_trace.py")
        env["PYTHONPATH"] = str(plugin)
        env["ASYNCIFY_IO_TRACE"] = str(trace)
        env["ASYNCIFY_IO_TRACE_ROOTS"] = str(tree / project.package)
        cmd += ["-p", "asyncify_io_trace"]
    proc = run(cmd, timeout=3600, cwd=tree, env=env)
    output = proc.stdout + proc.stderr
    (work / f"{label}-output.txt").write_text(output)
    suite = junit_outcomes(junit) if junit.exists() else summary_outcomes(output)
    suite.returncode = proc.returncode
    suite.never_awaited = sum(1 for line in output.splitlines() if NEVER_AWAITED in line)
    suite.tail = " / ".join(output.strip().splitlines()[-2:])
    return suite


def junit_outcomes(path: Path) -> Suite:
    suite = Suite()
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        tags = {child.tag for child in case}
        if "error" in tags:
            suite.errors += 1
        elif "failure" in tags:
            suite.failed += 1
        elif "skipped" in tags:
            suite.skipped += 1
        else:
            suite.passed += 1
            suite.passing.append(test_id)
    return suite


def summary_outcomes(output: str) -> Suite:
    """From pytest's last summary line, when there is no JUnit file."""
    suite = Suite()
    for line in reversed(output.splitlines()):
        counts = re.findall(r"(\d+) (passed|failed|errors?|skipped)", line)
        if counts:
            for number, what in counts:
                attribute = "errors" if what.startswith("error") else what
                setattr(suite, attribute, int(number))
            break
    return suite


# -- converting ---------------------------------------------------------------------------
def asyncify_command(given: str | None) -> list[str]:
    if given:
        return [given]
    found = shutil.which("asyncify", path=str(Path(sys.executable).parent)) or shutil.which(
        "asyncify"
    )
    if not found:
        raise SystemExit("asyncify is not installed next to this python: use --asyncify PATH")
    return [found]


def convert(project: Project, tree: Path, asyncify: list[str], work: Path, row: Row) -> None:
    proc = run(
        [*asyncify, "run", "--format", "json", project.package, project.tests],
        timeout=3600,
        cwd=tree,
    )
    (work / "asyncify.json").write_text(proc.stdout)
    (work / "asyncify.stderr").write_text(proc.stderr)
    try:
        summary = json.loads(proc.stdout)["summary"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise RuntimeError(
            f"asyncify failed (exit {proc.returncode}, {error}): {last_line(proc.stderr)}"
        ) from None
    row.rewritten = int(summary.get("written", 0))
    row.findings = int(summary.get("findings", 0))
    row.asyncify_errors = int(summary.get("errors", 0))
    row.by_code = dict(summary.get("by_code", {}))


# -- I/O coverage ---------------------------------------------------------------------------
Key = tuple[str, str, int]


def io_functions(
    events: Iterable[dict[str, object]], direct: Iterable[Key] = ()
) -> tuple[set[Key], dict[Key, set[Key]]]:
    """The project functions that perform I/O, and for each the innermost ones below it.

    Library events count as they are; ``direct`` (``direct_io``: the functions whose own
    source calls requests or psycopg2) count, each as its own innermost function; a mock
    event counts when one of its names is an I/O name or the name of a function already
    found (to a fixed point; dunder names are not used).
    """
    counted: list[list[Key]] = [[key] for key in direct]
    mocks: list[tuple[set[str], list[Key]]] = []
    for event in events:
        keys: list[list[object]] = event["stack"]  # type: ignore[assignment]
        stack = [(str(k[0]), str(k[1]), int(k[2])) for k in keys]  # type: ignore[call-overload]
        if event["kind"] == "lib":
            counted.append(stack)
        else:
            mocks.append((set(event["names"]), stack))  # type: ignore[call-overload]
    names = set(HTTP_NAMES | DB_NAMES)

    def learn(stack: list[Key]) -> None:
        for key in stack:
            name = key[1].rsplit(".", 1)[-1]
            if not name.startswith("__"):
                names.add(name)

    for stack in counted:
        learn(stack)
    pending = list(mocks)
    changed = True
    while changed:
        changed = False
        for item in list(pending):
            if item[0] & names:
                pending.remove(item)
                counted.append(item[1])
                learn(item[1])
                changed = True
    found: set[Key] = set()
    inner: dict[Key, set[Key]] = {}
    for stack in counted:
        found.update(stack)
        for key in stack:
            inner.setdefault(key, set()).add(stack[0])
    return found, inner


def direct_io(package: Path) -> set[Key]:
    """Functions whose own body calls requests or psycopg2, read from the source.

    A call counts when it is ``requests.<verb>(...)`` or ``psycopg2.connect(...)``, an HTTP
    verb (``request``, ``get``, ``post``, ..., ``send``) called on a name or attribute whose
    last part is ``requests`` or contains ``session``, ``connection`` or ``conn``, or a
    DB-API method (``execute``, ``fetchall``, ``commit``, ...) called on one whose last
    part contains ``cur`` or ``conn``. Syntax only: no type inference, no asyncify.
    """
    found: set[Key] = set()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        try:
            functions = definitions(path)
        except (OSError, SyntaxError, ValueError):
            continue
        for qualname, defs in functions.items():
            for first, node in defs:
                if any(_direct_call(call) for call in _own_calls(node)):
                    found.add((relative, qualname, first))
    return found


def _own_calls(function: ast.AST) -> Iterable[ast.Call]:
    todo = list(ast.iter_child_nodes(function))
    while todo:
        child = todo.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(child, ast.Call):
            yield child
        todo.extend(ast.iter_child_nodes(child))


def _direct_call(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    receiver = func.value
    if isinstance(receiver, ast.Call):  # requests.Session().get(...)
        receiver = receiver.func
    last = (
        receiver.attr
        if isinstance(receiver, ast.Attribute)
        else receiver.id
        if isinstance(receiver, ast.Name)
        else ""
    ).lower()
    if func.attr == "connect" and last == "psycopg2":
        return True
    if func.attr in HTTP_NAMES - {"connect"}:
        return last == "requests" or any(w in last for w in ("session", "connection", "conn"))
    if func.attr in DB_NAMES:
        return "cur" in last or "conn" in last
    return False


def definitions(path: Path) -> dict[str, list[tuple[int, ast.AST]]]:
    """Every function of a file by qualified name: (first line, node), in source order."""
    tree = ast.parse(path.read_bytes())
    found: dict[str, list[tuple[int, ast.AST]]] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualname = prefix + child.name
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found.setdefault(qualname, []).append((first, child))
                walk(child, qualname + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def calls_to_thread(node: ast.AST) -> bool:
    """Whether the function's own body (not nested functions) calls ``to_thread``."""
    todo = list(ast.iter_child_nodes(node))
    while todo:
        child = todo.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "to_thread":
                return True
        todo.extend(ast.iter_child_nodes(child))
    return False


def coverage(
    functions: set[Key], inner: dict[Key, set[Key]], original: Path, converted: Path
) -> tuple[set[Key], set[Key]]:
    """The I/O functions that are ``async def`` in ``converted``, and the native ones."""
    nodes: dict[Key, ast.AST | None] = {}
    cache: dict[Path, dict[str, list[tuple[int, ast.AST]]]] = {}

    def defs(path: Path) -> dict[str, list[tuple[int, ast.AST]]]:
        if path not in cache:
            try:
                cache[path] = definitions(path)
            except (OSError, SyntaxError, ValueError):
                cache[path] = {}
        return cache[path]

    def converted_node(key: Key) -> ast.AST | None:
        if key not in nodes:
            path, qualname, first = key
            before = [line for line, _ in defs(original / path).get(qualname, [])]
            after = defs(converted / path).get(qualname, [])
            rank = before.index(first) if first in before else -1
            nodes[key] = after[rank][1] if 0 <= rank < len(after) else None
        return nodes[key]

    made_async = {k for k in functions if isinstance(converted_node(k), ast.AsyncFunctionDef)}

    def threaded(key: Key) -> bool:
        node = converted_node(key)
        return node is None or calls_to_thread(node)

    native = {
        k
        for k in made_async
        if not threaded(k) and all(i in made_async and not threaded(i) for i in inner.get(k, {k}))
    }
    return made_async, native


# -- one project ------------------------------------------------------------------------
def measure(project: Project, cache: Path, work_root: Path, asyncify: list[str]) -> Row:
    started = time.monotonic()
    row = Row(project.name)
    work = work_root / project.name
    work.mkdir(parents=True, exist_ok=True)
    row.work = str(work)
    step = "download"
    try:
        source = sdist_root(project, cache)
        step = "venv"
        python = venv_python(project, source, cache)
        step = "original suite"
        original = work / "original"
        converted = work / "converted"
        shutil.copytree(source, original, symlinks=True)
        shutil.copytree(source, converted, symlinks=True)
        trace = work / "io-trace.json"
        row.original = run_suite(project, python, original, work, "original", trace)
        step = "I/O trace"
        events = json.loads(trace.read_text())["events"]
        functions, inner = io_functions(events, direct_io(original / project.package))
        row.io_functions = len(functions)
        step = "asyncify run"
        convert(project, converted, asyncify, work, row)
        step = "converted suite"
        row.converted = run_suite(project, python, converted, work, "converted", None)
        step = "coverage"
        made_async, native = coverage(functions, inner, original, converted)
        row.io_async, row.io_native = len(made_async), len(native)
        row.not_async = sorted(f"{k[0]}:{k[2]} {k[1]}" for k in functions - made_async)
        row.lost_tests = sorted(set(row.original.passing) - set(row.converted.passing))
        row.lost = len(row.lost_tests)
    except Exception as error:  # one project's failure must not stop the others
        row.problem = f"{step} failed: {type(error).__name__}: {error}"
    row.seconds = time.monotonic() - started
    return row


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if not line.startswith("WARNING: Location")]
    return lines[-1] if lines else "?"


# -- output -------------------------------------------------------------------------------
HEADERS = [
    "project",
    "orig p/f/e",
    "conv p/f/e",
    "lost",
    "never awaited",
    "rewritten",
    "findings",
    "I/O fns",
    "async",
    "native",
    "seconds",
]


def cells(row: Row) -> list[str]:
    if row.problem and not row.original.passed:
        return [row.project, row.problem]
    done = not row.problem  # else the converted suite or the coverage is missing
    return [
        row.project,
        row.original.pfe,
        row.converted.pfe if done else "-",
        str(row.lost) if done else "-",
        str(row.converted.never_awaited) if done else "-",
        str(row.rewritten),
        str(row.findings),
        str(row.io_functions),
        f"{row.io_async} ({row.percent(row.io_async)})" if done else "-",
        f"{row.io_native} ({row.percent(row.io_native)})" if done else "-",
        f"{row.seconds:.0f}",
    ] + ([row.problem] if row.problem else [])


def text_table(rows: Sequence[Row]) -> str:
    table = [HEADERS, *(cells(r) for r in rows)]
    widths = [max(len(r[i]) for r in table if i < len(r)) for i in range(len(HEADERS))]
    lines = []
    for r in table:
        parts = [c.ljust(widths[i]) if i < len(widths) else c for i, c in enumerate(r)]
        if len(r) == 2:  # a problem line
            parts = [r[0].ljust(widths[0]), r[1]]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def markdown(rows: Sequence[Row]) -> str:
    out = ["| " + " | ".join(HEADERS) + " |", "|---" + "|---:" * (len(HEADERS) - 1) + "|"]
    for row in rows:
        c = cells(row)
        if len(c) == 2:
            c = [c[0], c[1], *[""] * (len(HEADERS) - 2)]
        elif len(c) > len(HEADERS):
            c = [*c[: len(HEADERS) - 1], c[len(HEADERS) - 1] + " (" + c[-1] + ")"]
        out.append("| " + " | ".join(c) + " |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", help=f"project name, repeatable (known: {', '.join(PROJECTS)})"
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="default: %(default)s")
    parser.add_argument("--asyncify", help="the asyncify executable (default: next to python)")
    parser.add_argument("--jobs", type=int, default=1, help="projects in parallel (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the work trees")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument("--json", type=Path, help="write the rows as JSON to this file")
    args = parser.parse_args(argv)
    if sys.version_info < (3, 11):
        parser.error("needs Python 3.11+ (the tracer reads co_qualname and co_positions)")
    names = args.only or list(PROJECTS)
    unknown = [n for n in names if n not in PROJECTS]
    if unknown:
        parser.error(f"unknown project(s) {unknown}; known: {', '.join(PROJECTS)}")
    asyncify = asyncify_command(args.asyncify)
    cache = args.cache.expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    work_root = Path(tempfile.mkdtemp(prefix="asyncify-testsuites-")).resolve()
    projects = [PROJECTS[n] for n in names]
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = list(pool.map(lambda p: measure(p, cache, work_root, asyncify), projects))
    finally:
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)
    print(text_table(rows))
    for row in rows:
        if row.lost_tests:
            shown = ", ".join(row.lost_tests[:5])
            more = f" (+{len(row.lost_tests) - 5} more)" if len(row.lost_tests) > 5 else ""
            print(f"{row.project}: lost {shown}{more}")
        if row.by_code:
            print(f"{row.project}: findings {row.by_code}")
    if args.keep:
        print(f"work trees kept in {work_root}/<project>/{{original,converted}}")
    if args.markdown:
        print()
        print(markdown(rows))
    if args.json:
        data = []
        for row in rows:
            item = asdict(row)
            for suite in ("original", "converted"):
                item[suite].pop("passing")
            data.append(item)
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0 if not any(row.problem for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
