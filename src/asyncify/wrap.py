"""Wrapping rewritten lines that got too long, the way black (and ruff format) would.

Used when the project configures no formatter (``style.py`` runs the project's own one
otherwise). Only statements with a *changed* line over the line length are touched. The
statement is joined into one line and split again with black's two main moves
(https://black.readthedocs.io/en/stable/the_black_code_style/current_style.html#line-length):

* right-hand split: at the last opening bracket whose head fits (trailers such as
  ``(...)[0]`` or ``(...).attr`` are left in the tail), the body on its own lines, one
  indent deeper, the closing bracket and the rest on the last line;
* delimiter split of a body that still does not fit, or that ends with a "magic"
  trailing comma: one element per line at its highest-priority delimiter (commas, with a
  trailing comma added; then ``if``/``else``, ``and``/``or``, string concatenation,
  comparisons, ``+``/``-``, ``*``/``/``), each line split again as needed.

Black's invisible parentheses (around a right-hand side or a return value) are not
modelled: such statements are split at their real brackets only. A statement with a
comment inside it, a backslash continuation or a multi-line string is left as it is.
"""

from __future__ import annotations

import ast
import difflib
import io
import keyword
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

OPEN = "([{"
CLOSE = ")]}"
_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)
_FSTRING_END = getattr(tokenize, "FSTRING_END", -1)
_TSTRING_START = getattr(tokenize, "TSTRING_START", -1)
_TSTRING_END = getattr(tokenize, "TSTRING_END", -1)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "open", "close", "comma", "op", "name", "string", "other"
    text: str
    start: int  # column in the joined line
    end: int


def changed_lines(old: str, new: str) -> set[int]:
    """1-based numbers of the lines of ``new`` that are not lines of ``old``."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    out: set[int] = set()
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            out.update(range(j1 + 1, j2 + 1))
    return out


def wrap_changed(old: str, new: str, line_length: int) -> str:
    if "\f" in new or "\t" in new:  # form feeds or tabs in indentation: left as written
        return new
    out = _blank_lines_around_nested_defs(old, _wrap_long(old, new, line_length))
    try:
        compile(out, "<wrapped>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError):
        return new  # never worse than unwrapped
    return out


_HEADER = ("def ", "async def ", "class ", "@")


def _blank_lines_around_nested_defs(old: str, new: str) -> str:
    """Black's blank lines around a new nested ``def``/``class``: one before it, unless it
    opens its block's body right after a def or class or follows a decorator, and one
    between its body and the next statement of the same block."""
    changed = changed_lines(old, new)
    lines = new.splitlines(keepends=True)
    ending = "\r\n" if "\r\n" in new else "\n"
    blank_before: set[int] = set()  # 0-based indexes that get a blank line above
    for i, text in enumerate(lines):
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        if not indent or not stripped.startswith(_HEADER):
            continue
        if i + 1 not in changed:  # an old def: only a new statement after it gets a blank
            if not stripped.startswith("@"):
                end = _block_end(lines, i, indent)
                if (
                    end < len(lines)
                    and end + 1 in changed
                    and _indent(lines[end]) == indent
                    and lines[end - 1].strip()
                    and not lines[end].lstrip().startswith("#")
                ):
                    blank_before.add(end)
            continue
        j = i - 1
        while j >= 0 and lines[j].strip().startswith("#") and _indent(lines[j]) == indent:
            j -= 1
        if j < 0 or not lines[j].strip():
            pass
        else:
            above = lines[j].lstrip()
            opens_def = above.startswith(_HEADER) and (
                above.startswith("@") or above.rstrip().endswith(":")
            )
            if not opens_def and not (_indent(lines[j]) < indent and _is_def_header(lines, j)):
                blank_before.add(j + 1)
        if stripped.startswith("@"):
            continue
        end = _block_end(lines, i, indent)
        if (
            end < len(lines)
            and _indent(lines[end]) == indent
            and lines[end - 1].strip()
            and not lines[end].lstrip().startswith("#")
        ):
            blank_before.add(end)
    if not blank_before:
        return new
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in blank_before:
            out.append(ending)
        out.append(line)
    return "".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_def_header(lines: Sequence[str], j: int) -> bool:
    """Whether line ``j`` ends a ``def``/``class`` header (possibly over several lines)."""
    if not lines[j].rstrip().endswith(":"):
        return False
    if lines[j].lstrip().startswith(_HEADER):
        return True
    if not lines[j].lstrip().startswith(")"):
        return False
    k = j - 1
    while k >= 0 and _indent(lines[k]) > _indent(lines[j]):
        k -= 1
    return k >= 0 and lines[k].lstrip().startswith(_HEADER)


def _block_end(lines: Sequence[str], start: int, indent: int) -> int:
    """The index of the first line after the block that line ``start`` opens."""
    k = start + 1
    depth = 0
    while k < len(lines):
        text = lines[k]
        if text.strip() and _indent(text) <= indent and depth == 0:
            if not text.lstrip().startswith((")", "]", "}")):
                break
        depth += sum(text.count(c) for c in OPEN) - sum(text.count(c) for c in CLOSE)
        k += 1
    return k


def _wrap_long(old: str, new: str, line_length: int) -> str:
    """``new`` with its changed statements laid out as black would: those with a changed
    line over the limit, and those over several lines that are wholly new."""
    lines = new.splitlines(keepends=True)
    changed = changed_lines(old, new)
    long = {
        i + 1 for i, line in enumerate(lines) if len(line.rstrip("\r\n")) > line_length
    } & changed
    try:
        statements = _logical_lines(new)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return new
    ending = "\r\n" if "\r\n" in new else "\n"
    replaced: list[tuple[int, int, list[str]]] = []
    for first, last, joined in statements:
        span = range(first, last + 1)
        if joined is None:
            continue
        # A changed line too long, or a statement over several lines that is mostly new
        # (laid out by a codemod): laid out as black would.
        new_lines = len(changed.intersection(span))
        if not long.intersection(span) and not (last > first and 2 * new_lines >= len(span)):
            continue
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        content, comment = joined
        if "asyncify: skip" in comment:  # the pragma must stay on the line it names
            continue
        out = split_line(indent, content, comment, line_length)
        if out is not None and out != [line.rstrip("\r\n") for line in lines[first - 1 : last]]:
            replaced.append((first, last, out))
    for first, last, out in reversed(replaced):
        lines[first - 1 : last] = [line + ending for line in out]
    return "".join(lines)


def _logical_lines(text: str) -> list[tuple[int, int, tuple[str, str] | None]]:
    """(first line, last line, (joined code, trailing comment) or None if not joinable)."""
    source_lines = text.splitlines(keepends=True)
    out: list[tuple[int, int, tuple[str, str] | None]] = []
    current: list[tokenize.TokenInfo] = []
    fstring = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (_FSTRING_START, _TSTRING_START):
            fstring += 1
        elif tok.type in (_FSTRING_END, _TSTRING_END):
            fstring -= 1
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if current:
                out.append(_join(current, source_lines))
            current = []
        elif tok.type in (tokenize.INDENT, tokenize.DEDENT) or (
            tok.type in (tokenize.NL, tokenize.COMMENT) and not current
        ):
            continue
        else:
            current.append(tok)
    return out


def _join(
    toks: Sequence[tokenize.TokenInfo], source_lines: Sequence[str]
) -> tuple[int, int, tuple[str, str] | None]:
    first, last = toks[0].start[0], toks[-1].end[0]
    comment = ""
    body = [t for t in toks if t.type != tokenize.NL]
    if body and body[-1].type == tokenize.COMMENT:
        comment = body[-1].string
        body = body[:-1]
    if any(t.type == tokenize.COMMENT for t in body) or not body:
        return first, last, None
    if any(t.start[0] != t.end[0] for t in body):  # a string over several lines
        return first, last, None
    if comment and body[-1].end[0] != toks[-1].start[0]:
        return first, last, None  # the comment is on a line of its own after the code
    parts: list[str] = []
    depth = 0
    for prev, tok in zip([None, *body[:-1]], body, strict=True):
        if prev is not None:
            if tok.start[0] == prev.end[0]:
                parts.append(source_lines[tok.start[0] - 1][prev.end[1] : tok.start[1]])
            elif depth == 0:
                return first, last, None  # a backslash continuation
            elif prev.string in OPEN or tok.string in CLOSE:
                pass
            else:
                parts.append(" ")
        if tok.type == tokenize.OP and tok.string in OPEN:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in CLOSE:
            depth -= 1
        parts.append(tok.string)
    return first, last, ("".join(parts), comment)


def _tokens(content: str) -> list[_Tok] | None:
    out: list[_Tok] = []
    fstring = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(content).readline):
            if tok.type in (_FSTRING_START, _TSTRING_START):
                fstring += 1
            elif tok.type in (_FSTRING_END, _TSTRING_END):
                fstring -= 1
                continue
            if fstring or tok.type in (
                tokenize.NEWLINE,
                tokenize.NL,
                tokenize.ENDMARKER,
                tokenize.INDENT,
                tokenize.DEDENT,
            ):
                continue
            kind = "other"
            if tok.type == tokenize.OP:
                if tok.string in OPEN:
                    kind = "open"
                elif tok.string in CLOSE:
                    kind = "close"
                elif tok.string == ",":
                    kind = "comma"
                else:
                    kind = "op"
            elif tok.type == tokenize.NAME:
                kind = "name"
            elif tok.type == tokenize.STRING:
                kind = "string"
            out.append(_Tok(kind, tok.string, tok.start[1], tok.end[1]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return out


def _top_pairs(toks: Sequence[_Tok]) -> list[tuple[int, int]] | None:
    """Indexes of (opening, closing) brackets at depth 0, in order."""
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for i, tok in enumerate(toks):
        if tok.kind == "open":
            stack.append(i)
        elif tok.kind == "close":
            if not stack:
                return None
            start = stack.pop()
            if not stack:
                pairs.append((start, i))
    return pairs if not stack else None


def _fits(text: str, limit: int) -> bool:
    return len(text) <= limit


def split_line(indent: str, content: str, comment: str, limit: int) -> list[str] | None:
    """Black's layout of one logical line, or None when it cannot be split."""
    suffix = f"  {comment}" if comment else ""
    whole = indent + content + suffix
    toks = _tokens(content)
    if toks is None:
        return None
    if _fits(whole, limit) and not _magic_comma(toks):
        return [whole]
    pairs = _top_pairs(toks)
    if not pairs:
        return [whole]
    chosen: tuple[int, int] | None = None
    fallback: tuple[int, int] | None = None
    if toks[0].text == "def" or toks[0].text == "async" and toks[1].text == "def":
        chosen = pairs[0]  # black's left-hand split: at the parameters
    elif (wrapped := _optional_parens(indent, content, toks, comment, limit)) is not None:
        return wrapped
    for start, end in [] if chosen else reversed(pairs):
        if end == start + 1:  # empty brackets: part of the tail
            continue
        head = content[: toks[start].end]
        tail = content[toks[end].start :]
        if not _trailer(toks[end + 1 :]):
            break
        if fallback is None:
            fallback = (start, end)
        if _fits(indent + head, limit):
            chosen = (start, end)
            break
    chosen = chosen or fallback
    if chosen is None:
        return [whole]
    start, end = chosen
    head = content[: toks[start].end].rstrip()
    body = content[toks[start].end : toks[end].start].strip()
    tail = content[toks[end].start :]
    inner = indent + "    "
    body_lines = _split_body(inner, body, toks[start], toks[start - 1] if start else None, limit)
    if body_lines is None:
        return None
    head_lines = (
        split_line(indent, head, "", limit) if not _fits(indent + head, limit) else [indent + head]
    )
    tail_lines = [indent + tail + suffix]
    if head_lines is None:
        return None
    return [*head_lines, *body_lines, *tail_lines]


def _optional_parens(
    indent: str, content: str, toks: Sequence[_Tok], comment: str, limit: int
) -> list[str] | None:
    """A right-hand side, return value or condition with delimiters, split in black's
    invisible parentheses (``x = (\n    a + b\n)``) when black would not omit them;
    a with statement of several items, in parentheses one item per line."""
    depth = 0
    at = None
    stop = len(toks)
    keyword_ = toks[0].text
    if keyword_ in ("if", "elif", "while") and toks[-1].text == ":":
        at, stop = 0, len(toks) - 1
    elif keyword_ == "with" or keyword_ == "async" and len(toks) > 1 and toks[1].text == "with":
        return _with_items(indent, content, toks, comment, limit)
    elif keyword_ == "return":
        at = 0
    else:
        for i, tok in enumerate(toks):
            if tok.kind == "open":
                depth += 1
            elif tok.kind == "close":
                depth -= 1
            elif (
                depth == 0
                and tok.kind == "op"
                and tok.text.endswith("=")
                and tok.text
                not in (
                    "==",
                    "<=",
                    ">=",
                    "!=",
                )
            ):
                at = i
    if at is None or at + 1 >= stop:
        return None
    if toks[at + 1].kind == "open" and _closes_at(toks, at + 1) == stop - 1:
        return None  # already in real brackets
    expr_end = toks[stop].start if stop < len(toks) else len(content)
    rhs = content[toks[at + 1].start : expr_end].rstrip()
    suffix = content[expr_end:]
    rtoks = _tokens(rhs)
    if rtoks is None:
        return None
    pieces, kind = _delimit(rhs, rtoks)
    if kind is None or len(pieces) < 2:
        return None
    if len(pieces) == 2 and rtoks[-1].kind == "close":
        pairs = _top_pairs(rtoks)
        if pairs and pairs[-1][1] == len(rtoks) - 1:
            head = indent + content[: toks[at + 1].start] + rhs[: rtoks[pairs[-1][0]].end]
            if _fits(head, limit):
                return None  # black omits the parentheses: split at the last bracket
    head = indent + content[: toks[at + 1].start] + "("
    body = _split_body(indent + "    ", rhs, _Tok("open", "(", 0, 1), None, limit)
    if body is None:
        return None
    return [head, *body, indent + ")" + suffix + (f"  {comment}" if comment else "")]


def _with_items(
    indent: str, content: str, toks: Sequence[_Tok], comment: str, limit: int
) -> list[str] | None:
    """``with a as x, b as y:`` too long: ``with (\n    a as x,\n    b as y,\n):``."""
    start = 2 if toks[0].text == "async" else 1
    if (
        toks[-1].text != ":"
        or toks[start].kind == "open"
        and _closes_at(toks, start) == len(toks) - 2
    ):
        return None
    items = content[toks[start].start : toks[-1].start].rstrip()
    itoks = _tokens(items)
    if itoks is None:
        return None
    pieces, kind = _delimit(items, itoks)
    if kind != "comma" or len(pieces) < 2:
        return None
    lines = [indent + content[: toks[start].start] + "("]
    for piece in pieces:
        got = _split_inside(indent + "    ", piece + ",", limit)
        if got is None:
            return None
        lines.extend(got)
    return [*lines, indent + "):" + (f"  {comment}" if comment else "")]


def _closes_at(toks: Sequence[_Tok], start: int) -> int:
    depth = 0
    for i in range(start, len(toks)):
        if toks[i].kind == "open":
            depth += 1
        elif toks[i].kind == "close":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _trailer(toks: Sequence[_Tok]) -> bool:
    """Whether what follows a bracket is trailers only (``.attr``, ``(...)``, ``[...]``) and
    a final ``:`` or ``,``, or ``as name:`` of a with statement."""
    depth = 0
    for i, tok in enumerate(toks):
        if tok.kind == "open":
            depth += 1
        elif tok.kind == "close":
            depth -= 1
        elif depth == 0:
            if tok.text in (".", ":", ",") or (
                tok.kind == "name" and i and toks[i - 1].text == "."
            ):
                continue
            if tok.text == "as" or (tok.kind == "name" and i and toks[i - 1].text == "as"):
                continue
            return False
    return True


def _magic_comma(toks: Sequence[_Tok]) -> bool:
    return any(
        a.kind == "comma" and b.kind == "close" and not _single_subscript(toks, i + 1)
        for i, (a, b) in enumerate(zip(toks, toks[1:], strict=False))
    )


def _single_subscript(toks: Sequence[_Tok], close: int) -> bool:
    """``t[x,]`` (a one-element tuple subscript) and ``(x,)``: a trailing comma that is
    not magic."""
    depth = 0
    commas = 0
    for i in range(close - 1, -1, -1):
        tok = toks[i]
        if tok.kind == "close":
            depth += 1
        elif tok.kind == "open":
            if depth == 0:
                if tok.text == "(":
                    return commas == 1 and not (i and toks[i - 1].kind in ("name", "close"))
                return (
                    tok.text == "["
                    and commas == 1
                    and i > 0
                    and toks[i - 1].kind in ("name", "close")
                )
            depth -= 1
        elif tok.kind == "comma" and depth == 0:
            commas += 1
    return False


# Delimiters by priority, as black's brackets.py ranks them (highest first).
_PRIORITIES: list[tuple[str, frozenset[str]]] = [
    ("comprehension", frozenset()),
    ("comma", frozenset({","})),
    ("ternary", frozenset({"if", "else"})),
    ("logic", frozenset({"and", "or"})),
    ("string", frozenset()),
    ("compare", frozenset({"<", ">", "==", "!=", "<=", ">=", "in", "is"})),
    ("arith", frozenset({"+", "-"})),
    ("term", frozenset({"*", "/", "//", "%", "@"})),
]


def _split_body(
    indent: str, body: str, opening: _Tok, before: _Tok | None, limit: int
) -> list[str] | None:
    toks = _tokens(body)
    if toks is None:
        return None
    trailer = _trailer_open(before)
    subscript = opening.text == "[" and trailer
    tuple_ = opening.text == "(" and not trailer
    pieces, kind = _delimit(body, toks)
    one = kind != "comma" or len(pieces) == 1
    magic = bool(toks) and toks[-1].kind == "comma" and not (one and (subscript or tuple_))
    # black explodes a split display (tuple, list, dict, set) one element per line
    display = not trailer and (kind == "comma" or magic)
    if _fits(indent + body, limit) and not magic and not _magic_comma(toks) and not display:
        return [indent + body]
    lines: list[str] = []
    if kind == "comma":
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            comma = "," if not (last and one and subscript and not magic) else ""
            got = _split_inside(indent, piece + comma, limit)
            if got is None:
                return None
            lines.extend(got)
        return lines
    if kind is not None and len(pieces) > 1:
        for piece in pieces:
            got = _split_inside(indent, piece, limit)
            if got is None:
                return None
            lines.extend(got)
        return lines
    return split_line(indent, body, "", limit)


def _trailer_open(before: _Tok | None) -> bool:
    """Whether a bracket after ``before`` is a call or subscript, not a display."""
    if before is None:
        return False
    if before.kind == "name":
        return not keyword.iskeyword(before.text)
    return before.kind in ("close", "string")


def _split_inside(indent: str, line: str, limit: int) -> list[str] | None:
    """A line inside brackets: split at its delimiters first, then at its brackets."""
    toks = _tokens(line)
    if toks is None:
        return None
    if _fits(indent + line, limit) and not _magic_comma(toks):
        return [indent + line]
    pieces, kind = _delimit(line, toks)
    if kind is not None and kind != "comma" and len(pieces) > 1:
        lines: list[str] = []
        for piece in pieces:
            got = _split_inside(indent, piece, limit)
            if got is None:
                return None
            lines.extend(got)
        return lines
    return split_line(indent, line, "", limit)


def _delimit(body: str, toks: Sequence[_Tok]) -> tuple[list[str], str | None]:
    """``body`` cut at its highest-priority delimiters at depth 0 (commas: after, dropped;
    operators: before, kept)."""
    depth = 0
    in_for = False
    found: dict[str, list[int]] = {}
    for i, tok in enumerate(toks):
        if tok.kind == "open":
            depth += 1
            continue
        if tok.kind == "close":
            depth -= 1
            continue
        if depth:
            continue
        if tok.text == "for" and tok.kind == "name":
            in_for = True
        if not i:
            continue
        if tok.text == "for" and tok.kind == "name":
            in_for = True
            at = i - 1 if i and toks[i - 1].text == "async" else i
            found.setdefault("comprehension", []).append(at)
        elif in_for and tok.text == "if" and tok.kind == "name":
            found.setdefault("comprehension", []).append(i)
        elif in_for and tok.text in ("in", "async"):
            continue
        elif tok.kind == "comma":
            if i < len(toks) - 1:  # a trailing comma is not a delimiter (black excludes it)
                found.setdefault("comma", []).append(i)
        elif tok.kind == "string" and i and toks[i - 1].kind == "string":
            found.setdefault("string", []).append(i)
        elif tok.kind in ("op", "name"):
            for name, words in _PRIORITIES:
                if tok.text in words and name not in ("comma", "comprehension"):
                    if name == "arith" and (not i or toks[i - 1].kind in ("op", "comma", "open")):
                        break  # unary minus
                    if tok.text in ("if", "else") and any(t.text == "lambda" for t in toks):
                        break
                    found.setdefault(name, []).append(i)
                    break
    for name, _ in _PRIORITIES:
        cuts = found.get(name)
        if not cuts:
            continue
        pieces: list[str] = []
        start = 0
        for i in cuts:
            if name == "comma":
                pieces.append(body[start : toks[i].start].strip())
                start = toks[i].end
            else:
                if toks[i].text == "in" and i and toks[i - 1].text == "not":
                    i -= 1
                pieces.append(body[start : toks[i].start].strip())
                start = toks[i].start
        rest = body[start:].strip()
        if name == "comma" and toks[-1].kind == "comma":
            rest = rest[:-1].rstrip()
        if rest:
            pieces.append(rest)
        return [p for p in pieces if p], name
    return [body], None
