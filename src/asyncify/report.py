"""What a run did, and how it is shown: text, unified diff, JSON or SARIF 2.1.0.

A :class:`Report` (as in black) collects the outcome of every file, counts them and owns
the exit code. Rendering keeps two streams apart: the *product* of a command (the diff,
the plan, a JSON or SARIF document) goes to stdout, so that it can be piped or saved;
messages for people (status lines, findings, the summary) go to stderr. Errors (a file that
could not be processed) always go to stderr, one line each, even with ``--quiet``.

The diff is computed on bytes, not text: ``git apply`` of the output yields byte for byte
what ``asyncify run`` writes, whatever the file's encoding, BOM or line endings.

SARIF: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

import difflib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, TextIO

from asyncify import __version__
from asyncify.findings import CODES, Finding
from asyncify.source import SourceError, decode_source
from asyncify.sourcefile import SourceFile

PROJECT_URL = "https://github.com/asyncify/asyncify"
FINDINGS_URL = f"{PROJECT_URL}#findings"  # the README section that documents every code
if TYPE_CHECKING:
    from rich.text import Text

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class Command(Enum):
    """What happens to a converted file (black's ``WriteBack``)."""

    RUN = "run"  # write it in place
    DIFF = "diff"  # print a unified diff
    CHECK = "check"  # exit 1 if it would change
    PLAN = "plan"  # print the plan


class Format(str, Enum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class FileOutcome(Protocol):
    """The part of :class:`asyncify.engine.FileResult` a report reads."""

    @property
    def file(self) -> SourceFile: ...
    @property
    def original(self) -> bytes: ...
    @property
    def new(self) -> bytes | None: ...
    @property
    def findings(self) -> list[Finding]: ...
    @property
    def error(self) -> Finding | None: ...
    @property
    def async_functions(self) -> int: ...


class PlanView(Protocol):
    """The part of :class:`asyncify.plan.AsyncPlan` a report reads."""

    def to_json(self) -> dict[str, Any]: ...
    def describe(self) -> list[str]: ...
    def findings(self) -> list[Finding]: ...


@dataclass
class FileEntry:
    """One file's outcome as reported."""

    path: str  # display path, relative to the working folder
    original: bytes
    new: bytes | None  # the converted bytes; None when unchanged or failed
    findings: list[Finding]
    error: Finding | None
    async_functions: int
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.error is None and self.new is not None and self.new != self.original

    def to_json(self, with_diff: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "changed": self.changed,
            "async_functions": self.async_functions if self.changed else 0,
            "findings": [finding.to_json() for finding in self.findings],
        }
        if self.error is not None:
            data["error"] = self.error.to_json()
        if with_diff and self.changed:
            data["diff"] = unified_diff(self.path, self.original, self.new or b"").decode(
                _display_encoding(self.original), errors="replace"
            )
        return data


@dataclass
class Report:
    command: Command
    format: Format = Format.TEXT
    quiet: bool = False
    color: bool = False
    files: list[FileEntry] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # errors not tied to a result
    plan: PlanView | None = None

    # -- collecting ----------------------------------------------------------------
    def add(
        self, outcome: FileOutcome, written: bool = False, error: Finding | None = None
    ) -> None:
        """Record a file's outcome; ``error`` overrides (e.g. the file could not be written)."""
        self.files.append(
            FileEntry(
                path=outcome.file.display,
                original=outcome.original,
                new=None if (error or outcome.error) else outcome.new,
                findings=list(outcome.findings),
                error=error or outcome.error,
                async_functions=outcome.async_functions,
                written=written and error is None,
            )
        )

    def add_error(self, finding: Finding) -> None:
        """A problem outside any file's conversion (a missing PATH)."""
        self.problems.append(finding)

    # -- counting ------------------------------------------------------------------
    @property
    def changed(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.changed]

    @property
    def unchanged(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.error is None and not entry.changed]

    @property
    def failed(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.error is not None]

    @property
    def errors(self) -> list[Finding]:
        return sorted([*self.problems, *(e.error for e in self.files if e.error is not None)])

    @property
    def findings(self) -> list[Finding]:
        """Every place that was not converted faithfully, once each, sorted."""
        found = {finding for entry in self.files for finding in entry.findings}
        if self.plan is not None:
            found.update(self.plan.findings())
        return sorted(found)

    @property
    def async_functions(self) -> int:
        return sum(entry.async_functions for entry in self.changed)

    @property
    def exit_code(self) -> int:
        """2: something could not be processed; 1: ``check`` found work; 0: success."""
        if self.errors:
            return 2
        if self.command is Command.CHECK and (self.changed or self.findings):
            return 1
        return 0

    def summary(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            "changed": len(self.changed),
            "written": sum(1 for entry in self.files if entry.written),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
            "async_functions": self.async_functions,
            "findings": len(self.findings),
            "errors": len(self.errors),
            "by_code": dict(sorted(Counter(f.code for f in self.findings).items())),
            "exit_code": self.exit_code,
        }

    def summary_text(self) -> str:
        """One line, e.g. ``2 files would be rewritten, 1 file unchanged; 3 functions ...``."""
        if not self.files and not self.errors:
            return "No Python files found."
        verb = "rewritten" if self.command is Command.RUN else "would be rewritten"
        parts = [f"{_count(len(self.changed), 'file')} {verb}"]
        if self.unchanged:
            parts.append(f"{_count(len(self.unchanged), 'file')} unchanged")
        if self.failed:
            parts.append(f"{_count(len(self.failed), 'file')} failed")
        text = ", ".join(parts)
        made = "made async" if self.command is Command.RUN else "to make async"
        text += f"; {_count(self.async_functions, 'function')} {made}"
        if self.findings:
            by_code = Counter(f.code for f in self.findings)
            codes = ", ".join(f"{code} ({n})" for code, n in sorted(by_code.items()))
            text += f"; {_count(len(self.findings), 'finding')}: {codes}"
        if self.problems:
            text += f"; {_count(len(self.problems), 'path')} not found"
        return text + "."

    # -- rendering -----------------------------------------------------------------
    def emit(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        """Print the command's product to ``stdout`` and messages to ``stderr``."""
        out = stdout if stdout is not None else sys.stdout
        err = stderr if stderr is not None else sys.stderr
        if self.format is Format.JSON:
            out.write(json.dumps(self.to_json(), indent=2) + "\n")
        elif self.format is Format.SARIF:
            out.write(json.dumps(self.to_sarif(), indent=2) + "\n")
        elif self.command is Command.DIFF:
            self.write_diff(out)
        elif self.command is Command.PLAN and self.plan is not None:
            for line in self.plan.describe():
                out.write(line + "\n")
        out.flush()
        self.write_messages(err)

    def write_messages(self, err: TextIO) -> None:
        lines: list[str] = []
        text = self.format is Format.TEXT and not self.quiet
        if text and self.command is not Command.PLAN:
            verb = "rewrote" if self.command is Command.RUN else "would rewrite"
            lines.extend(f"{verb} {entry.path}" for entry in self.changed)
        lines.extend(str(error) for error in self.errors)
        if text:
            shown = (
                set(self.plan.findings()) if self.command is Command.PLAN and self.plan else set()
            )
            lines.extend(str(finding) for finding in self.findings if finding not in shown)
            lines.append(self.summary_text())
        for line in lines:
            err.write(line + "\n")
        err.flush()

    def diffs(self) -> list[tuple[FileEntry, bytes]]:
        return [
            (entry, unified_diff(entry.path, entry.original, entry.new or b""))
            for entry in self.changed
        ]

    def write_diff(self, out: TextIO) -> None:
        """The unified diff of every changed file: exact bytes, or colored for a terminal."""
        if self.color:
            from rich.console import Console

            console = Console(
                file=out, force_terminal=True, highlight=False, soft_wrap=True, emoji=False
            )
            for entry, diff in self.diffs():
                console.print(
                    color_diff(diff.decode(_display_encoding(entry.original), errors="replace")),
                    end="",
                )
            return
        buffer: BinaryIO | None = getattr(out, "buffer", None)
        out.flush()
        for entry, diff in self.diffs():
            if buffer is not None:
                buffer.write(diff)
            else:  # a text-only stream (tests): decode as the file is decoded
                out.write(diff.decode(_display_encoding(entry.original), errors="replace"))
        if buffer is not None:
            buffer.flush()

    def to_json(self) -> dict[str, Any]:
        with_diff = self.command is Command.DIFF
        data: dict[str, Any] = {
            "version": __version__,
            "command": self.command.value,
            "files": [entry.to_json(with_diff) for entry in self.files],
            "findings": [finding.to_json() for finding in self.findings],
            "errors": [error.to_json() for error in self.errors],
            "summary": self.summary(),
        }
        if self.command is Command.PLAN and self.plan is not None:
            data["plan"] = self.plan.to_json()
        return data

    def to_sarif(self) -> dict[str, Any]:
        return sarif_log([*self.errors, *self.findings])


# -- SARIF ------------------------------------------------------------------------------
def sarif_log(results: Iterable[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of ``results``, with every known code as a rule."""
    codes = sorted(CODES.values(), key=lambda code: code.code)
    index = {code.code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code.code,
            "name": code.code,
            "shortDescription": {"text": code.summary},
            "help": {"text": code.hint},
            "helpUri": FINDINGS_URL,
            "defaultConfiguration": {"level": code.level},
        }
        for code in codes
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "asyncify",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": PROJECT_URL,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "results": [_sarif_result(finding, index.get(finding.code)) for finding in results],
            }
        ],
    }


def _sarif_result(finding: Finding, rule_index: int | None) -> dict[str, Any]:
    code = CODES.get(finding.code)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": code.level if code is not None else "warning",
        "message": {"text": f"{finding.message} (hint: {finding.hint})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": max(finding.line, 1),
                        "startColumn": finding.col + 1,  # SARIF columns are 1-based
                    },
                }
            }
        ],
    }
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    return result


# -- diffs ------------------------------------------------------------------------------
_NO_NEWLINE = b"\\ No newline at end of file\n"


def unified_diff(path: str, before: bytes, after: bytes) -> bytes:
    """A ``git apply``-able unified diff of two versions of ``path``, on exact bytes.

    Lines end at ``\\n`` only (as for git; a ``\\r`` stays part of its line), and a last
    line without a newline gets git's ``\\ No newline at end of file`` marker.
    """
    lines = difflib.diff_bytes(
        difflib.unified_diff,
        _lines(before),
        _lines(after),
        fromfile=f"a/{path}".encode(),
        tofile=f"b/{path}".encode(),
    )
    out = bytearray()
    for line in lines:
        out += line
        if not line.endswith(b"\n"):
            out += b"\n" + _NO_NEWLINE
    return bytes(out)


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    last = lines.pop()
    result = [line + b"\n" for line in lines]
    if last:
        result.append(last)
    return result


def _display_encoding(data: bytes) -> str:
    """The encoding to show a file's diff in (a BOM stays visible as U+FEFF)."""
    try:
        encoding = decode_source(data, "").encoding
    except SourceError:
        return "latin-1"
    return "utf-8" if encoding == "utf-8-sig" else encoding


def color_diff(diff: str) -> Text:
    """A diff as rich Text: headers bold, hunk markers cyan, removals red, additions green."""
    from rich.text import Text

    text = Text()
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        text.append(line.replace("\r", ""), style=style)
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render_list(codemods: Sequence[tuple[str, str]]) -> list[str]:
    """``asyncify list``: the codemods, then the diagnostic codes, one line each."""
    width = max([len(name) for name, _ in codemods] + [6])
    lines = [f"{name:<{width}}  {description}" for name, description in codemods]
    for code in sorted(CODES.values(), key=lambda code: code.code):
        lines.append(f"{code.code:<{width}}  {code.summary} [{code.level}]")
    return lines
