"""``--todo-comments``: a ``# TODO(asyncify AFYnnn): message`` above each finding.

The comment goes on its own line above the statement that holds the finding (a comment
inside an expression could land in a string), with the statement's indentation. It is
added to the original source before conversion, so that positions are right, and only
once: a statement already preceded by a TODO of the same code gets no second one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from asyncify.findings import Finding

PREFIX = "# TODO(asyncify "


def _statement_lines(tree: ast.Module) -> list[tuple[int, int]]:
    """(first line, last line) of every statement, innermost last for the same start."""
    spans: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            spans.append((first, node.end_lineno or node.lineno))
    return spans


def _comments_above(lines: list[str], start: int) -> set[str]:
    """The comment lines directly above line ``start`` (where earlier TODOs would be)."""
    found: set[str] = set()
    number = start - 1
    while number >= 1 and lines[number - 1].lstrip().startswith("#"):
        found.add(lines[number - 1].strip())
        number -= 1
    return found


def add_todo_comments(text: str, findings: Iterable[Finding], encoding: str = "utf-8") -> str:
    """``text`` with a TODO comment above each finding's statement; characters the file's
    ``encoding`` cannot hold are written as backslash escapes (``\\u2192``)."""
    wanted = [f for f in findings if f.code[3] != "0"]  # not for AFY0xx file errors
    if not wanted:
        return text
    try:
        spans = _statement_lines(ast.parse(text))
    except SyntaxError:
        return text
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    inserts: dict[int, list[str]] = {}
    for finding in sorted(wanted):
        holding = [s for s in spans if s[0] <= finding.line <= s[1]]
        if not holding:
            continue
        start = max(holding)[0]  # the innermost statement holding the finding
        source_line = lines[start - 1]
        indent = source_line[: len(source_line) - len(source_line.lstrip())]
        message = finding.message.encode(encoding, "backslashreplace").decode(encoding)
        comment = f"{indent}{PREFIX}{finding.code}): {message}{newline}"
        already = inserts.setdefault(start, [])
        # One TODO per code above a statement; messages may hold line numbers that move.
        tag = f"{PREFIX}{finding.code})"
        if any(c.lstrip().startswith(tag) for c in [*already, *_comments_above(lines, start)]):
            continue
        already.append(comment)
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        out.extend(inserts.get(number, ()))
        out.append(line)
    return "".join(out)
