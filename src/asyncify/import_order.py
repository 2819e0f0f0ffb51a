"""Adding imports where isort (and ruff's ``I`` rules, default settings) would put them.

Codemods schedule imports the LibCST way (``AddImportsVisitor.add_needed_import``). LibCST
appends them after the module's leading imports, so ``import asyncio`` lands below
``from client import ...`` and every converted file fails ruff's I001. Here each new
import joins its section (future, standard library, third party, first party, relative:
https://docs.astral.sh/ruff/settings/#lint_isort_section-order), in sorted position
(``import x`` before ``from x import y``, module names compared case-insensitively, then
names by type: CONSTANTS, Classes, functions); a section the block lacks is started,
with blank lines, between its neighbours. A name from a module that the block already
imports from joins that statement. The module's own lines are never reordered: in a block
that was not sorted, new lines go before the first line of their section that sorts after
them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY, LOCAL = range(5)


@dataclass(frozen=True)
class NewImport:
    module: str  # dotted, with leading dots for a relative import
    obj: str | None = None  # `from module import obj`
    asname: str | None = None


def section(module: str, first_party: frozenset[str]) -> int:
    if module.startswith("."):
        return LOCAL
    top = module.split(".")[0]
    if top == "__future__":
        return FUTURE
    if top in first_party:
        return FIRST_PARTY
    if top in sys.stdlib_module_names:
        return STDLIB
    return THIRD_PARTY


def _module_key(module: str) -> tuple[int, str, str]:
    dots = len(module) - len(module.lstrip("."))
    return (-dots, module.lstrip(".").lower(), module)  # relative: furthest first


def statement_key(is_from: bool, module: str) -> tuple[int, tuple[int, str, str]]:
    return (int(is_from), _module_key(module))


def name_key(name: str) -> tuple[int, str, str]:
    """ruff's ``order-by-type``: CONSTANTS, then Classes, then the rest; then by name."""
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, name.lower(), name)


@dataclass
class _Line:
    statement: cst.SimpleStatementLine
    is_from: bool
    module: str
    section: int

    @property
    def key(self) -> tuple[int, tuple[int, str, str]]:
        return statement_key(self.is_from, self.module)


def _describe(statement: cst.BaseStatement) -> tuple[bool, str] | None:
    """(is a from-import, module) of an import statement line; None for anything else."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    node = statement.body[0]
    if isinstance(node, cst.Import):
        return False, cst.helpers.get_full_name_for_node(node.names[0].name) or ""
    if isinstance(node, cst.ImportFrom):
        name = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
        return True, "." * len(node.relative) + (name or "")
    return None


def _bound(statement: cst.SimpleStatementLine) -> set[tuple[str, str | None, str | None]]:
    """The (module, obj, asname) triples a statement imports; obj "*" for a star import."""
    node = statement.body[0]
    out: set[tuple[str, str | None, str | None]] = set()
    if isinstance(node, cst.Import):
        for alias in node.names:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            asname = (
                alias.asname.name.value
                if alias.asname and isinstance(alias.asname.name, cst.Name)
                else None
            )
            out.add((name, None, asname))
    elif isinstance(node, cst.ImportFrom):
        described = _describe(statement)
        module = described[1] if described else ""
        if isinstance(node.names, cst.ImportStar):
            out.add((module, "*", None))
        else:
            for alias in node.names:
                name = cst.helpers.get_full_name_for_node(alias.name) or ""
                asname = (
                    alias.asname.name.value
                    if alias.asname and isinstance(alias.asname.name, cst.Name)
                    else None
                )
                out.add((module, name, asname))
    return out


def _alias(obj: str, asname: str | None) -> cst.ImportAlias:
    return cst.ImportAlias(
        name=cst.Name(obj), asname=cst.AsName(name=cst.Name(asname)) if asname else None
    )


def _alias_name(alias: cst.ImportAlias) -> str:
    return cst.helpers.get_full_name_for_node(alias.name) or ""


def _join_from(
    statement: cst.SimpleStatementLine, new: Sequence[NewImport]
) -> cst.SimpleStatementLine:
    """``from m import a`` with more names, each in sorted position."""
    node = statement.body[0]
    assert isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    last_comma = names[-1].comma
    if isinstance(last_comma, cst.MaybeSentinel):
        separator: cst.Comma | cst.MaybeSentinel = cst.Comma(
            whitespace_after=cst.SimpleWhitespace(" ")
        )
    else:  # a trailing comma: names one per line, or the file's own spacing
        separator = last_comma
    names[-1] = names[-1].with_changes(comma=separator)
    for item in sorted(new, key=lambda i: name_key(i.obj or "")):
        alias = _alias(item.obj or "", item.asname).with_changes(comma=separator)
        at = len(names)
        for i, old in enumerate(names):
            if name_key(item.obj or "") < name_key(_alias_name(old)):
                at = i
                break
        names.insert(at, alias)
    names[-1] = names[-1].with_changes(comma=last_comma)
    return statement.with_changes(body=[node.with_changes(names=names)])


def _new_statement(items: Sequence[NewImport]) -> tuple[cst.SimpleStatementLine, bool, str]:
    first = items[0]
    if first.obj is None:
        statement = cst.parse_statement(
            f"import {first.module}" + (f" as {first.asname}" if first.asname else "")
        )
        assert isinstance(statement, cst.SimpleStatementLine)
        return statement, False, first.module
    names = ", ".join(
        i.obj + (f" as {i.asname}" if i.asname else "")
        for i in sorted(items, key=lambda i: name_key(i.obj or ""))
        if i.obj
    )
    statement = cst.parse_statement(f"from {first.module} import {names}")
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement, True, first.module


def _skip_first(statement: cst.BaseStatement) -> bool:
    """A docstring or ``__strict__``: imports never go before it."""
    if not isinstance(statement, cst.SimpleStatementLine) or not statement.body:
        return False
    first = statement.body[0]
    if isinstance(first, cst.Expr):
        return isinstance(first.value, (cst.SimpleString, cst.ConcatenatedString))
    return (
        isinstance(first, cst.Assign)
        and isinstance(first.targets[0].target, cst.Name)
        and first.targets[0].target.value == "__strict__"
    )


_BLANK = cst.EmptyLine()


def add_imports(
    module: cst.Module, wanted: Iterable[NewImport], first_party: frozenset[str] = frozenset()
) -> cst.Module:
    body = list(module.body)
    start = 1 if body and _skip_first(body[0]) else 0
    end = start
    lines: list[_Line] = []
    while end < len(body) and (described := _describe(body[end])) is not None:
        statement = body[end]
        assert isinstance(statement, cst.SimpleStatementLine)
        lines.append(
            _Line(statement, described[0], described[1], section(described[1], first_party))
        )
        end += 1
    have: set[tuple[str, str | None, str | None]] = set()
    for line in lines:
        have |= _bound(line.statement)
    todo: dict[tuple[str, bool, str | None], list[NewImport]] = {}
    for item in wanted:
        if item.obj is None:
            if (item.module, None, item.asname) in have:
                continue
            todo.setdefault((item.module, False, item.asname or ""), []).append(item)
        else:
            if (item.module, item.obj, item.asname) in have or (item.module, "*", None) in have:
                continue
            have.add((item.module, item.obj, item.asname))
            todo.setdefault((item.module, True, None), []).append(item)
    if not todo:
        return module
    # Names from a module the block already imports from join its (first) statement.
    for (mod, is_from, _), items in list(todo.items()):
        if not is_from:
            continue
        for line in lines:
            node = line.statement.body[0]
            if (
                line.is_from
                and line.module == mod
                and isinstance(node, cst.ImportFrom)
                and not isinstance(node.names, cst.ImportStar)
            ):
                line.statement = _join_from(line.statement, items)
                del todo[(mod, True, None)]
                break
    new_lines = []
    for items in todo.values():
        statement, is_from, mod = _new_statement(items)
        new_lines.append(_Line(statement, is_from, mod, section(mod, first_party)))
    new_lines.sort(key=lambda line: (line.section, line.key))
    for new in new_lines:
        _place(lines, new)
    return _rebuild(module, body, start, end, lines, had_imports=end > start)


def _place(lines: list[_Line], new: _Line) -> None:
    """Insert ``new`` into ``lines`` (the block, in file order) where isort would."""
    same = [i for i, line in enumerate(lines) if line.section == new.section]
    if same:
        at = next((i for i in same if lines[i].key > new.key), None)
        if at is None:
            at = same[-1] + 1
            new.statement = new.statement.with_changes(leading_lines=[])
        else:  # it takes the place, and the comments and blank lines above, of that line
            old = lines[at]
            new.statement = new.statement.with_changes(leading_lines=old.statement.leading_lines)
            old.statement = old.statement.with_changes(leading_lines=[])
        lines.insert(at, new)
        return
    before = [i for i, line in enumerate(lines) if line.section < new.section]
    at = before[-1] + 1 if before else 0
    if at < len(lines):  # the line after it starts another section: a blank line between
        old = lines[at]
        if at == 0:
            new.statement = new.statement.with_changes(leading_lines=old.statement.leading_lines)
            old.statement = old.statement.with_changes(leading_lines=[_BLANK])
        elif not _has_blank(old.statement):
            old.statement = old.statement.with_changes(
                leading_lines=[_BLANK, *old.statement.leading_lines]
            )
    if at > 0:
        new.statement = new.statement.with_changes(leading_lines=[_BLANK])
    lines.insert(at, new)


def _has_blank(statement: cst.SimpleStatementLine) -> bool:
    return any(line.comment is None for line in statement.leading_lines)


def _rebuild(
    module: cst.Module,
    body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement],
    start: int,
    end: int,
    lines: list[_Line],
    had_imports: bool,
) -> cst.Module:
    block = [line.statement for line in lines]
    if not had_imports and block and start > 0:  # after a docstring: one blank line
        block[0] = block[0].with_changes(leading_lines=[_BLANK])
    rest = body[end:]
    if rest and block:
        # isort's blank lines after imports: two before a def or class, else one
        first_rest = rest[0]
        want = 2 if isinstance(first_rest, (cst.FunctionDef, cst.ClassDef)) else 1
        leading = list(first_rest.leading_lines)
        blanks = 0
        while blanks < len(leading) and leading[blanks].comment is None:
            blanks += 1
        if blanks < want:
            leading = [_BLANK] * (want - blanks) + leading
            rest[0] = first_rest.with_changes(leading_lines=leading)
    return module.with_changes(body=[*body[:start], *block, *rest])
