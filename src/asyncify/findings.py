"""Findings: places that asyncify did not convert faithfully, with a stable code.

Codes are grouped by area (DESIGN.md, Diagnostics): ``AFY0xx`` file processing,
``AFY1xx`` propagation, ``AFY2xx`` HTTP, ``AFY3xx`` files, ``AFY4xx`` database,
``AFY5xx`` entry points. Each code is declared once, next to the code that emits it,
with ``Code(...)``; :data:`CODES` collects them for ``asyncify list``, ``asyncify
explain``, the README table and ``docs/findings.md`` (``scripts/gen_findings.py``).

A code's ``doc`` is markdown, written indented like the code around it (it is dedented
with :func:`inspect.cleandoc`): what the finding means, why asyncify does not convert the
place itself, and a before/after of the manual fix.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass
from typing import Any

CODES: dict[str, Code] = {}


@dataclass(frozen=True)
class Code:
    """A diagnostic code: what it means and how to fix it by hand."""

    code: str
    summary: str
    hint: str
    level: str = "warning"  # SARIF level: "error" | "warning" | "note"
    doc: str = ""  # markdown: meaning, why it is not automatic, before/after of the fix

    def __post_init__(self) -> None:
        object.__setattr__(self, "doc", inspect.cleandoc(self.doc))
        known = CODES.get(self.code)
        if known is not None and known != self:
            raise ValueError(f"diagnostic code {self.code} declared twice differently")
        CODES[self.code] = self

    def at(self, path: str, line: int, col: int, detail: str = "") -> Finding:
        """A finding of this code at ``path:line:col`` (line 1-based, col 0-based)."""
        message = f"{self.summary}: {detail}" if detail else self.summary
        return Finding(path, line, col, self.code, message, self.hint)

    @property
    def meaning(self) -> str:
        """The first paragraph of the documentation (what the finding means)."""
        return self.doc.split("\n\n", 1)[0].replace("\n", " ")

    def explain(self) -> str:
        """``asyncify explain``: a heading line, the documentation and the hint."""
        head = f"{self.code} ({self.level}): {self.summary}"
        return f"{head}\n\n{self.doc}\n\nHint: {self.hint}\n"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str

    def to_json(self) -> dict[str, Any]:
        """As JSON, columns 1-based like the text (``path:line:col``) and SARIF."""
        return {**asdict(self), "col": self.col + 1}

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col + 1}"
        return f"{where}: {self.code} {self.message} (hint: {self.hint})"


# File processing: these make the run exit 2, and the file is left untouched.
SYNTAX_ERROR = Code(
    "AFY001",
    "file could not be parsed",
    "fix the syntax error",
    "error",
    doc="""
    The file is not valid Python for the interpreter running asyncify (LibCST and `ast` both
    have to parse it), so nothing in it can be analysed or rewritten.

    asyncify does not guess at broken code: the file is left byte-identical, every other file
    is still converted, and the run exits 2. The message gives the line and column.

    Before:

    ```python
    def fetch(url:
        return requests.get(url)
    ```

    After:

    ```python
    def fetch(url):
        return requests.get(url)
    ```
    """,
)
DECODE_ERROR = Code(
    "AFY002",
    "file could not be decoded",
    "save it as UTF-8 or add a PEP 263 encoding cookie",
    "error",
    doc="""
    The file's bytes are not valid in its declared encoding: UTF-8 unless a BOM or a PEP 263
    `coding:` cookie says otherwise, or the file contains NUL bytes.

    asyncify must write the file back byte for byte in its own encoding; it cannot do that
    for text it could not decode, so the file is left untouched (exit 2).

    Before (a Latin-1 file with no cookie):

    ```python
    GREETING = "Grüße"   # saved as Latin-1
    ```

    After (declare the encoding, or re-save the file as UTF-8):

    ```python
    # -*- coding: latin-1 -*-
    GREETING = "Grüße"
    ```
    """,
)
UNSTABLE_OUTPUT = Code(
    "AFY003",
    "conversion failed verification; file left unchanged",
    "please report this with the file; convert it by hand meanwhile",
    "error",
    doc="""
    asyncify converted the file but the result failed its own verification: it did not
    parse, or a second conversion of the converted program would have changed it again. That
    is a bug in asyncify.

    The file is left unchanged and its module is *frozen*: the plan is redone with all of its
    functions kept synchronous, so no other file awaits a function that stayed synchronous.
    Please report the file (or a reduced copy); convert it by hand meanwhile.

    Before:

    ```python
    import time

    def poll():
        time.sleep(1)
    ```

    After (by hand; then await `poll()` at its call sites):

    ```python
    import asyncio

    async def poll():
        await asyncio.sleep(1)
    ```
    """,
)
NOT_AWAITED = Code(
    "AFY140",
    "a function that became async would be called without await; its file is left unchanged",
    "annotate the value the function is called on, or convert the call by hand",
    doc="""
    Verification found, in the converted program, a call of a function that this run made
    `async def` that is neither awaited nor handed to something that runs a coroutine
    (`asyncio.run`, `create_task`, `gather`, ...). The call would get a coroutine instead of
    the function's result: the converted program would be wrong.

    That happens where asyncify could not tell what a call reaches (a value of unknown type,
    a name it could not resolve). Rather than ship it, asyncify leaves the file that defines
    the function unchanged and plans again with its functions kept synchronous, so every
    other file calls them as before. The finding is at the call site it could not follow.

    Before:

    ```python
    def refresh(store):
        store.reload()        # store's type is unknown here
    ```

    After (annotate, so the call is resolved and awaited):

    ```python
    async def refresh(store: Store):
        await store.reload()
    ```
    """,
)
READ_ERROR = Code(
    "AFY004",
    "file could not be read or written",
    "check the path and its permissions",
    "error",
    doc="""
    The file could not be read, or `run` could not write the converted text back (a
    permission error, a missing path, or the file changed on disk while it was being
    converted).

    Writing is atomic, so the file on disk is either the original or the complete new
    version, never a mix. The run exits 2; every other file is still processed.

    Before:

    ```sh
    $ asyncify run src/
    src/app.py:1:1: AFY004 file could not be read or written: cannot write: Permission denied
    ```

    After:

    ```sh
    $ chmod u+w src/app.py && asyncify run src/
    ```
    """,
)


# A file `check` fails on without a finding: SARIF needs a result that says why
# (asyncify.sarif, Report.pending).
REWRITE = Code(
    "AFY160",
    "file would be rewritten",
    "run `asyncify diff PATH` to see the change and `asyncify run PATH` to make it",
    doc="""
    The file has code that asyncify converts: `check` fails on it (exit 1) even when it has
    no finding. In SARIF (`check --format sarif`), each such file is a result at its first
    changed line, so that a failing code-scanning job says why; the text output lists the
    files as `would rewrite PATH`.

    Convert it (`asyncify run PATH`, after `asyncify diff PATH` to review), or run the job
    with `--exit-zero` while the migration is under way.

    Before (the job fails, and says why):

    ```sh
    $ asyncify check --format sarif --output asyncify.sarif .
    1 file would be rewritten; 1 function to make async.
    ```

    After:

    ```sh
    $ asyncify run . && asyncify check --format sarif --output asyncify.sarif .
    0 files would be rewritten, 1 file unchanged; 0 functions to make async.
    ```
    """,
)
