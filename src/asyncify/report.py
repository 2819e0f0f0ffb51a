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
import shlex
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, TextIO

from asyncify import __version__
from asyncify.findings import CODES, REWRITE, Finding
from asyncify.sarif import sarif_log
from asyncify.source import SourceError, decode_source
from asyncify.sourcefile import SourceFile
from asyncify.unchanged import IdleCall, why_unchanged

if TYPE_CHECKING:
    from rich.text import Text

    from asyncify.plangraph import PlanGraph


class Command(Enum):
    """What happens to a converted file (black's ``WriteBack``)."""

    RUN = "run"  # write it in place
    DIFF = "diff"  # print a unified diff
    CHECK = "check"  # exit 1 if it would change
    PLAN = "plan"  # print the plan
    REPORT = "report"  # the migration report (HTML or JSON)


class Format(str, Enum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"  # `report`: one self-contained page
    DOT = "dot"  # `plan`: the call graph for Graphviz
    MERMAID = "mermaid"  # `plan`: the call graph as a Mermaid flowchart


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
    def created(self) -> bool: ...
    @property
    def async_functions(self) -> int: ...


class PlanView(Protocol):
    """The part of :class:`asyncify.plan.AsyncPlan` a report reads."""

    def to_json(self) -> dict[str, Any]: ...
    def describe(self) -> list[str]: ...
    def findings(self) -> list[Finding]: ...
    @property
    def graph(self) -> PlanGraph: ...
    @property
    def idle(self) -> tuple[IdleCall, ...]: ...


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
    created: bool = False  # a new file: its diff is from /dev/null

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
            data["diff"] = unified_diff(
                self.path, self.original, self.new or b"", self.created
            ).decode(
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
    baseline: dict[str, Any] | None = None  # `report --baseline`: an earlier JSON report
    title: str = "asyncify migration report"
    paths: tuple[str, ...] = ()  # the PATHs given, for the commands suggested next
    pre_commit: bool = False  # run by pre-commit (it sets PRE_COMMIT=1)

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
                created=outcome.created,
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
            "why_unchanged": self.why_unchanged(),
        }

    def why_unchanged(self) -> list[str]:
        """When no file changes but blocking calls were found: why, and what changes it."""
        if self.changed or self.errors or self.plan is None:
            return []
        return why_unchanged(self.plan.idle, self.findings)

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
        elif self.format is Format.HTML:
            out.write(self.to_html())
        elif self.format in (Format.DOT, Format.MERMAID) and self.plan is not None:
            from asyncify.graph_text import dot, mermaid

            out.write((dot if self.format is Format.DOT else mermaid)(self.plan.graph))
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
            lines.extend(self.why_unchanged())
            lines.extend(self.next_steps())
        elif not self.quiet and self.command is Command.CHECK and self.exit_code == 1:
            # JSON/SARIF to a file: a failing job still says why on its log
            lines.append(self.summary_text())
        for line in lines:
            err.write(line + "\n")
        err.flush()

    def next_steps(self) -> list[str]:
        """What to run next when ``check`` fails, or after ``run`` rewrote files for
        pre-commit (which then fails the hook)."""
        if self.errors:
            return []
        paths = " ".join(shlex.quote(p) for p in self.paths) if len(self.paths) <= 3 else ""
        where = paths or "the same paths"
        lines = []
        if self.command is Command.CHECK and self.changed:
            hook = (
                " (or `pre-commit run asyncify-run --all-files`), review the changes, "
                "`git add` them and commit again"
                if self.pre_commit
                else ""
            )
            lines.append(
                f"Next: `asyncify diff {where}` shows the change; `asyncify run {where}` "
                f"makes it{hook}."
            )
        if self.command is Command.CHECK and self.findings and not self.why_unchanged():
            codes = sorted({f.code for f in self.findings})
            lines.append(
                f"Findings: `asyncify explain {codes[0]}` says what "
                f"{'it' if len(codes) == 1 else 'each code'} means and how to fix it by hand; "
                "`# asyncify: skip` on a line leaves it as it is."
            )
        if self.command is Command.RUN and self.pre_commit and self.changed:
            lines.append(
                "Next: review the rewritten files (`git diff`), `git add` them and commit again."
            )
        return lines

    def diffs(self) -> list[tuple[FileEntry, bytes]]:
        names, _ = diff_names([entry.path for entry in self.changed])
        return [
            (entry, unified_diff(name, entry.original, entry.new or b"", entry.created))
            for entry, name in zip(self.changed, names, strict=True)
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
        _, base = diff_names([entry.path for entry in self.changed])
        if base is not None:
            sys.stderr.write(f"asyncify: the diff's paths are relative to {base}; apply it there\n")
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
        with_diff = self.command in (Command.DIFF, Command.REPORT)
        data: dict[str, Any] = {
            "version": __version__,
            "command": self.command.value,
            "files": [entry.to_json(with_diff) for entry in self.files],
            "findings": [finding.to_json() for finding in self.findings],
            "errors": [error.to_json() for error in self.errors],
            "summary": self.summary(),
        }
        if self.command in (Command.PLAN, Command.REPORT) and self.plan is not None:
            data["plan"] = self.plan.to_json()
        if self.command is Command.REPORT:
            data["migration"] = self.migration()
            if self.baseline is not None:
                data["progress"] = self.progress()
        return data

    # -- the migration report ----------------------------------------------------------
    def migration(self) -> dict[str, Any]:
        """The ``migration`` section (:mod:`asyncify.migration`): the HTML report's figures."""
        from asyncify.migration import migration
        from asyncify.plangraph import PlanGraph

        return migration(self.plan.graph if self.plan is not None else PlanGraph(), self.findings)

    def progress(self) -> dict[str, Any] | None:
        """Coverage and blockers then (``--baseline``) and now."""
        from asyncify.migration import compare

        if self.baseline is None:
            return None
        return compare(self.migration(), self.baseline.get("migration", {}))

    def to_html(self) -> str:
        from asyncify.plangraph import PlanGraph
        from asyncify.report_html import files_html, render

        by_path: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_path.setdefault(finding.path, []).append(finding)
        entries = []
        for entry in self.files:
            findings = by_path.get(entry.path, [])
            if entry.error is not None:  # the file could not be processed: say why, there
                findings = [entry.error, *findings]
            if not entry.changed and not findings:
                continue
            encoding = _display_encoding(entry.original)
            diff = (
                unified_diff(entry.path, entry.original, entry.new or b"").decode(
                    encoding, errors="replace"
                )
                if entry.changed
                else None
            )
            source = entry.original.decode(encoding, errors="replace")
            entries.append((entry.path, diff, source, findings))
        graph = self.plan.graph if self.plan is not None else PlanGraph()
        return render(
            self.summary(), self.migration(), graph, files_html(entries), self.title,
            self.progress(),
        )

    def to_sarif(self) -> dict[str, Any]:
        texts = {entry.path: entry.original for entry in self.files}

        def lines(path: str) -> list[str]:
            data = texts.get(path, b"")
            return data.decode(_display_encoding(data), errors="replace").splitlines()

        return sarif_log([*self.errors, *self.findings, *self.pending()], lines)

    def pending(self) -> list[Finding]:
        """``check``/``diff``: each file that would be rewritten, at its first changed line
        (AFY160), so that a failing code-scanning job has a result that says why."""
        if self.command not in (Command.CHECK, Command.DIFF):
            return []
        return [
            REWRITE.at(
                entry.path,
                _first_change(entry.original, entry.new or b""),
                0,
                f"{_count(entry.async_functions, 'function')} to make async",
            )
            for entry in self.changed
        ]


# -- diffs ------------------------------------------------------------------------------
_NO_NEWLINE = b"\\ No newline at end of file\n"


def diff_names(paths: Sequence[str]) -> tuple[list[str], str | None]:
    """The names a diff's headers give these display paths, and the folder they are
    relative to when that is not the working folder.

    ``git apply`` refuses a name that leaves its folder (``a/../x.py``) or is absolute: when
    a file lies outside the working folder, every name is made relative to the folder that
    holds all the files.
    """
    if not any(_outside(p) for p in paths):
        return list(paths), None
    resolved = [Path(p).resolve() for p in paths]
    base = resolved[0].parent
    for path in resolved[1:]:
        while base not in path.parents:
            base = base.parent
    return [p.relative_to(base).as_posix() for p in resolved], str(base)


def _outside(path: str) -> bool:
    return Path(path).is_absolute() or path == ".." or path.startswith("../")


def git_quote(name: str) -> str:
    """``name`` as git writes it in a diff header: C-quoted when it holds a quote, a
    backslash or a control character (a tab or newline would end the header)."""
    if not any(c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return name
    escapes = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v",
               "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
    out = []
    for char in name:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):03o}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def unified_diff(path: str, before: bytes, after: bytes, created: bool = False) -> bytes:
    """A ``git apply``-able unified diff of two versions of ``path``, on exact bytes; a
    ``created`` file's diff is from ``/dev/null``.

    Lines end at ``\\n`` only (as for git; a ``\\r`` stays part of its line), and a last
    line without a newline gets git's ``\\ No newline at end of file`` marker.
    """
    lines = difflib.diff_bytes(
        difflib.unified_diff,
        _lines(before),
        _lines(after),
        fromfile=b"/dev/null" if created else git_quote(f"a/{path}").encode(),
        tofile=git_quote(f"b/{path}").encode(),
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


def _first_change(before: bytes, after: bytes) -> int:
    """The 1-based number of the first line of ``before`` that the conversion changes."""
    for number, (old, new) in enumerate(zip(_lines(before), _lines(after), strict=False), 1):
        if old != new:
            return number
    return max(1, min(len(_lines(before)), len(_lines(after)) + 1))


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


def render_list(
    codemods: Sequence[tuple[str, str]], targets: Sequence[tuple[str, str]] = ()
) -> list[str]:
    """``asyncify list``: the codemods, the target libraries each can write
    (``--http-client=httpx2``), then the diagnostic codes, one line each."""
    width = max([len(name) for name, _ in [*codemods, *targets]] + [6])
    lines = [f"{name:<{width}}  {description}" for name, description in codemods]
    lines += [f"{name:<{width}}  {description}" for name, description in targets]
    for code in sorted(CODES.values(), key=lambda code: code.code):
        lines.append(f"{code.code:<{width}}  {code.summary} [{code.level}]")
    return lines
