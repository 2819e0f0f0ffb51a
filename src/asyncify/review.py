"""``asyncify run --interactive``: review the conversion hunk by hunk, like ``git add -p``.

A conversion is one whole-program decision, so a hunk cannot simply be dropped from the
diff: a function left synchronous while its callers ``await`` it would be a bug. Rejecting
a hunk therefore *declines* the functions it changes (they stay synchronous, as if marked
``# asyncify: skip``), and the program is planned again: callers that only became async
because of them stay synchronous too, and the hunks that changed are shown again. A hunk
outside any function (imports, the entry point, a class's bases) follows from the others
and cannot be left out alone: rejecting it keeps its whole file unchanged, and the tool
says so. Every rejection declines a function or keeps a file, so the review ends.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TextIO

from asyncify.engine import ConvertResult, FileResult
from asyncify.options import Options
from asyncify.plan import AsyncPlan
from asyncify.report import color_diff
from asyncify.source import decode_source
from asyncify.sourcefile import SourceFile

HELP = """\
y - apply this change
n - do not apply it (its functions stay synchronous, and so may their callers)
a - apply this change and every remaining one
q - quit; write nothing
? - print this help
"""


@dataclass(frozen=True)
class Hunk:
    path: str
    lines: tuple[str, ...]  # the hunk as diff lines, header first
    changed: tuple[int, ...]  # lines of the original it changes (1-based)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Identity across re-plans: the file and the lines taken out and put in."""
        return self.path, tuple(line for line in self.lines[1:] if line[:1] in "+-")


def hunks(path: str, before: str, after: str, context: int = 3) -> list[Hunk]:
    """One hunk per contiguous change, shown with ``context`` lines around it."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    found = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        above = old[max(0, i1 - context) : i1]
        below = old[i2 : i2 + context]
        header = (
            f"@@ -{_span(i1 - len(above), i2 + len(below))}"
            f" +{_span(j1 - len(above), j2 + len(below))} @@\n"
        )
        lines = [
            header,
            *(" " + line for line in above),
            *("-" + line for line in old[i1:i2]),
            *("+" + line for line in new[j1:j2]),
            *(" " + line for line in below),
        ]
        # An insertion belongs with the line it comes before (a decorator, a body).
        changed = range(i1 + 1, i2 + 1) if i2 > i1 else (i1 + 1, i1)
        found.append(Hunk(path, tuple(_terminated(lines)), tuple(changed)))
    return found


def _span(start: int, end: int) -> str:
    length = end - start
    return f"{start + 1 if length else start},{length}"


def _terminated(lines: list[str]) -> Iterator[str]:
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def function_spans(text: str) -> list[tuple[int, int, str]]:
    """(first line incl. decorators, last line, qualname) of every function, outer first."""
    spans: list[tuple[int, int, str]] = []

    def visit(body: Sequence[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                qualname = prefix + node.name
                spans.append((first, node.end_lineno or node.lineno, qualname))
                visit(node.body, qualname + ".<locals>.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        visit([n for n in inner if isinstance(n, ast.stmt)], prefix)
                        for item in inner:  # except handlers and match cases hold bodies
                            if not isinstance(item, ast.stmt) and hasattr(item, "body"):
                                visit(item.body, prefix)

    visit(ast.parse(text).body, "")
    return spans


def owners(hunk: Hunk, spans: Sequence[tuple[int, int, str]]) -> set[str]:
    """The innermost function around each changed line (a hunk may span several)."""
    found: set[str] = set()
    for line in hunk.changed:
        inner = [s for s in spans if s[0] <= line <= s[1]]
        if inner:
            found.add(max(inner, key=lambda s: s[0])[2])
    return found


class Quit(Exception):
    """The reviewer quit: nothing is written."""


@dataclass
class Review:
    """One interactive review: asks, declines, re-plans, until every hunk shown is accepted."""

    convert: Callable[[Sequence[SourceFile], Options], ConvertResult]
    ask: Callable[[str], str]  # prompt -> answer ("" at end of input)
    out: TextIO
    color: bool = False

    def run(self, files: Sequence[SourceFile], options: Options) -> ConvertResult:
        accepted: set[tuple[str, tuple[str, ...]]] = set()
        rejected: set[tuple[str, tuple[str, ...]]] = set()
        accept_all = False
        before: set[str] | None = None
        while True:
            result = self.convert(files, options)
            now = _async_labels(result.plan)
            if before is not None:
                self._tell_dropped(before - now, options, result.plan)
            before = now
            pending = [
                (entry, hunk)
                for entry in result.files
                if entry.new is not None and entry.error is None
                for hunk in hunks(entry.file.display, _text(entry.original), _text(entry.new))
                if hunk.key not in accepted
            ]
            if accept_all or not pending:
                return result
            for entry, hunk in pending:
                answer = "y" if hunk.key not in rejected else "n"
                if hunk.key not in rejected:
                    answer = self._decide(entry, hunk, result.plan)
                if answer == "a":
                    accept_all = True
                    break
                if answer == "y":
                    accepted.add(hunk.key)
                    continue
                rejected.add(hunk.key)
                options = self._decline(entry, hunk, result, options)
                break

    def _tell_dropped(self, dropped: set[str], options: Options, plan: AsyncPlan) -> None:
        """Name the functions that stay synchronous only as a consequence of a rejection."""
        declined = {plan.label(name) for name in options.declined}
        also = sorted(dropped - declined)
        if also:
            self.out.write(f"so these stay synchronous too: {', '.join(also)}\n")

    def _decide(self, entry: FileResult, hunk: Hunk, plan: AsyncPlan) -> str:
        self._show(entry, hunk, plan)
        while True:
            answer = self.ask(f"Apply this change to {hunk.path} [y,n,a,q,?]? ").strip().lower()
            if answer in ("y", "n", "a"):
                return answer
            if answer in ("q", ""):
                raise Quit
            self.out.write(HELP)

    def _show(self, entry: FileResult, hunk: Hunk, plan: AsyncPlan) -> None:
        text = f"--- a/{hunk.path}\n+++ b/{hunk.path}\n" + "".join(hunk.lines)
        if self.color:
            from rich.console import Console

            Console(file=self.out, force_terminal=True, highlight=False, emoji=False).print(
                color_diff(text), end=""
            )
        else:
            self.out.write(text)
        for name in sorted(_owner_names(entry, hunk, plan)):
            if name in plan.chains:
                chain = " → ".join(plan.label(h) for h in plan.chains[name])
                self.out.write(f"why: {chain}\n")
        self.out.flush()

    def _decline(
        self, entry: FileResult, hunk: Hunk, result: ConvertResult, options: Options
    ) -> Options:
        """Options under which the rejected hunk's change is not made, or its file kept."""
        keep = replace(options, keep_files=options.keep_files | {hunk.path})
        if result.plan.by_path.get(hunk.path) is None:  # not Python: the pytest config
            self.out.write(f"{hunk.path} is left unchanged\n")
            return keep
        names = _owner_names(entry, hunk, result.plan)
        new = names - options.declined
        if new:
            self.out.write(
                f"{hunk.path}: keeping {', '.join(sorted(result.plan.label(n) for n in new))} "
                "synchronous; planning again\n"
            )
            return replace(options, declined=options.declined | new)
        why = (
            "it is outside any function (it follows from the file's other changes)"
            if not names
            else "it does not come from making its function async"
        )
        self.out.write(
            f"{hunk.path}: this change cannot be left out alone: {why}; "
            f"{hunk.path} is left unchanged, and its functions stay synchronous\n"
        )
        return keep


def _async_labels(plan: AsyncPlan) -> set[str]:
    return {f"{m.module}:{q}" for m in plan.modules.values() for q in m.async_functions}


def _owner_names(entry: FileResult, hunk: Hunk, plan: AsyncPlan) -> set[str]:
    """Dotted names of the functions ``hunk`` changes."""
    mplan = plan.by_path.get(hunk.path)
    if mplan is None:
        return set()
    spans = function_spans(_text(entry.original))
    return {f"{mplan.module}.{qualname}" for qualname in owners(hunk, spans)}


def _text(data: bytes) -> str:
    return decode_source(data, "").text
