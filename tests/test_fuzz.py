"""Fuzzing, bounded in time: asyncify must not crash, its output must parse, and a second
run over the output must change nothing.

Two sources of input:

* hypothesmith-generated modules (syntactically valid Python nobody would write), alone and
  with blocking calls added around them;
* real code nobody here wrote (standard-library modules, cut to a few top-level definitions
  to stay fast) with random mutations: ``requests``/``time``/``open`` imports (some renamed
  with ``as``) and blocking calls added at the start of random functions and methods.

Deterministic by default (``derandomize``) so that CI does not flake; set
``ASYNCIFY_FUZZ_RANDOM=1`` and ``ASYNCIFY_FUZZ_EXAMPLES=500`` to hunt for bugs locally.
"""

from __future__ import annotations

import ast
import os
import random
import sysconfig
from datetime import timedelta
from functools import cache
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncify.engine import convert_texts
from asyncify.findings import Finding
from asyncify.options import Options
from asyncify.sourcefile import SourceFile

SCALE = int(os.environ.get("ASYNCIFY_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=10,
    deadline=timedelta(seconds=30),
    derandomize=not os.environ.get("ASYNCIFY_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
OPTIONS = Options(jobs=1)

# Real code: standard-library modules with many functions, methods, classes, generators,
# properties, decorators and file/socket I/O (read once per session).
STDLIB_MODULES = [
    "ftplib.py",
    "netrc.py",
    "smtplib.py",
    "poplib.py",
    "shutil.py",
    "fileinput.py",
    "filecmp.py",
    "tabnanny.py",
    "gzip.py",
    "configparser.py",
    "socketserver.py",
    "mimetypes.py",
    "pstats.py",
    "logging/handlers.py",
    "http/cookiejar.py",
    "imaplib.py",
]

IMPORTS = [
    ("import requests", "requests"),
    ("import requests as rq", "rq"),
    ("import time", "time"),
    ("import time as _clock", "_clock"),
    ("from time import sleep as nap", None),
    ("from requests import get as fetch", None),
    ("from requests import Session", None),
]

# Statements to add at the start of a function body; {r} is the requests module name,
# {t} the time module name. Each is a list of lines (relative indentation in spaces).
STATEMENTS = [
    ["{r}.get('https://example.com/a')"],
    ["_resp = {r}.get('https://example.com/b', params={{'q': 1}})", "_resp.raise_for_status()"],
    ["_resp = {r}.post('https://example.com/c', json={{'k': [1, 2]}})", "print(_resp.json())"],
    ["{t}.sleep(0.01)"],
    ["nap(0)"],
    ["_page = fetch('https://example.com/d').text"],
    ["with open(__file__) as _fh:", "    _text = _fh.read()"],
    ["with open('out.txt', 'w') as _out:", "    _out.write('x')"],
    ["_lines = open(__file__).readlines()"],
    ["with Session() as _s:", "    _s.get('https://example.com/e')"],
    ["for _i in range(2):", "    {t}.sleep(_i)"],
    ["_v = [{r}.get(u).status_code for u in ('https://example.com/f',)]"],
    ["_cb = lambda: {t}.sleep(1)"],
]


def convert(source: str, name: str = "mod.py") -> str:
    """Convert one module; fail on a crash, unparsable output or an unstable second run."""
    module = name[:-3]
    file = SourceFile(Path(name), module)
    _, outcomes = convert_texts([(file, name, source)], OPTIONS)
    outcome = outcomes.get(name)
    if outcome is None:
        return source
    if isinstance(outcome, Finding):
        if outcome.code == "AFY001":  # only if the input does not parse either
            with pytest.raises((SyntaxError, ValueError, RecursionError)):
                ast.parse(source)
            return source
        pytest.fail(f"asyncify rejected its own work: {outcome}\n--- input ---\n{source}")
    new, _ = outcome
    try:
        ast.parse(new)
    except SyntaxError as error:  # pragma: no cover - a bug
        pytest.fail(f"output does not parse: {error}\n--- input ---\n{source}\n--- out ---\n{new}")
    _, again = convert_texts([(file, name, new)], OPTIONS)
    second = again.get(name)
    if isinstance(second, Finding):
        pytest.fail(f"second run failed: {second}\n--- input ---\n{source}\n--- out ---\n{new}")
    if second is not None and second[0] != new:
        pytest.fail(
            f"a second run changed the output\n--- input ---\n{source}\n--- first ---\n{new}"
            f"\n--- second ---\n{second[0]}"
        )
    return new


# -- hypothesmith --------------------------------------------------------------------------
@settings(FUZZ, max_examples=SCALE or 40)
@given(hypothesmith.from_grammar())
def test_generated_module(source: str) -> None:
    convert(source)


WRAP = """\
import time
import requests

{body}

def _fuzz_fetch(url):
    time.sleep(0.1)
    return requests.get(url).text

def _fuzz_main():
    return _fuzz_fetch('https://example.com')

if __name__ == '__main__':
    _fuzz_main()
"""


@settings(FUZZ, max_examples=SCALE or 8)
@given(hypothesmith.from_node())
def test_generated_module_with_blocking_calls(source: str) -> None:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return  # hypothesmith sometimes generates what the compiler rejects
    if "__future__" in source:
        return  # a future import must stay first; WRAP puts imports before it
    convert(WRAP.format(body=source))


# -- real code, mutated --------------------------------------------------------------------
@cache
def stdlib_sources() -> list[tuple[str, str]]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for name in STDLIB_MODULES:
        path = lib / name
        if path.is_file():
            found.append((name, path.read_text(encoding="utf-8")))
    return found


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def excerpt(text: str, rng: random.Random, keep: int) -> str:
    """The module's imports and ``keep`` random top-level definitions, text as written."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    others = [
        n
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign)
    ]
    chosen = sorted(rng.sample(others, min(keep, len(others))), key=lambda n: n.lineno)
    parts = []
    for node in [*imports, *chosen]:
        end = node.end_lineno or node.lineno
        parts.append("".join(lines[_start(node) - 1 : end]))
    return "\n".join(part if part.endswith("\n") else part + "\n" for part in parts)


def mutate(text: str, rng: random.Random, calls: int) -> str:
    """Add blocking imports at the top and blocking calls at the start of random functions."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    imports = rng.sample(IMPORTS, rng.randint(1, len(IMPORTS)))
    names = {"r": "requests", "t": "time"}
    header = ["import requests\n", "import time\n"]  # the {r}/{t} defaults must exist
    for line, alias in imports:
        header.append(line + "\n")
        if alias in ("rq",):
            names["r"] = alias
        elif alias == "_clock":
            names["t"] = alias
    if not any("nap" in line for line, _ in imports):
        header.append("from time import sleep as nap\n")
    if not any("fetch" in line for line, _ in imports):
        header.append("from requests import get as fetch\n")
    if not any("Session" in line for line, _ in imports):
        header.append("from requests import Session\n")

    functions = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.body[0].lineno > n.lineno
    ]
    insertions: dict[int, list[str]] = {}
    for function in rng.sample(functions, min(calls, len(functions))):
        first = function.body[0]
        indent_text = lines[first.lineno - 1][: first.col_offset]
        if indent_text.strip():  # the first statement shares its line with something else
            continue
        statement = rng.choice(STATEMENTS)
        added = [indent_text + s.format(**names) + "\n" for s in statement]
        insertions.setdefault(first.lineno - 1, []).extend(added)

    out: list[str] = []
    futures = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    header_at = max((n.end_lineno or n.lineno for n in futures), default=0)
    for number, line in enumerate(lines):
        if number == header_at:
            out.extend(header)
        out.extend(insertions.get(number, []))
        out.append(line)
    if header_at >= len(lines):
        out.extend(header)
    return "".join(out)


@settings(FUZZ, max_examples=SCALE or 14)
@given(st.data())
def test_real_code_with_blocking_calls(data: st.DataObject) -> None:
    sources = stdlib_sources()
    if not sources:
        pytest.skip("the standard library's sources are not installed")
    name, text = data.draw(st.sampled_from(sources), label="module")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = random.Random(seed)
    small = excerpt(text, rng, keep=rng.randint(1, 4))
    mutated = mutate(small, rng, calls=rng.randint(1, 6))
    ast.parse(mutated)  # the mutation itself must be valid Python
    convert(mutated, "fuzzed_" + Path(name).stem + ".py")


def test_mutation_adds_blocking_calls() -> None:
    """The mutator itself works: it produces valid code that asyncify converts."""
    rng = random.Random(7)
    source = "def f():\n    return 1\n\nclass C:\n    def m(self):\n        pass\n"
    mutated = mutate(source, rng, calls=2)
    ast.parse(mutated)
    assert mutated.count("\n") > source.count("\n")
    converted = convert(
        "import time\n\ndef f():\n    time.sleep(1)\n\nif __name__ == '__main__':\n    f()\n"
    )
    assert "await asyncio.sleep(1)" in converted
