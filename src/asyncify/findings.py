"""Findings: places that asyncify did not convert faithfully, with a stable code.

Codes are grouped by area (DESIGN.md, Diagnostics): ``AFY0xx`` file processing,
``AFY1xx`` propagation, ``AFY2xx`` HTTP, ``AFY3xx`` files, ``AFY4xx`` database,
``AFY5xx`` entry points. Each code is declared once, next to the code that emits it,
with ``Code(...)``; :data:`CODES` collects them for ``asyncify list`` and the README.
"""

from __future__ import annotations

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

    def __post_init__(self) -> None:
        known = CODES.get(self.code)
        if known is not None and known != self:
            raise ValueError(f"diagnostic code {self.code} declared twice differently")
        CODES[self.code] = self

    def at(self, path: str, line: int, col: int, detail: str = "") -> Finding:
        """A finding of this code at ``path:line:col`` (line 1-based, col 0-based)."""
        message = f"{self.summary}: {detail}" if detail else self.summary
        return Finding(path, line, col, self.code, message, self.hint)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col + 1}"
        return f"{where}: {self.code} {self.message} (hint: {self.hint})"


# File processing: these make the run exit 2, and the file is left untouched.
SYNTAX_ERROR = Code("AFY001", "file could not be parsed", "fix the syntax error", "error")
DECODE_ERROR = Code(
    "AFY002",
    "file could not be decoded",
    "save it as UTF-8 or add a PEP 263 encoding cookie",
    "error",
)
UNSTABLE_OUTPUT = Code(
    "AFY003",
    "conversion failed verification; file left unchanged",
    "please report this with the file; convert it by hand meanwhile",
    "error",
)
READ_ERROR = Code(
    "AFY004", "file could not be read or written", "check the path and its permissions", "error"
)
