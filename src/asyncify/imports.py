"""Removing imports that a rewrite left unused.

Codemods schedule removals the LibCST way (``RemoveImportsVisitor.remove_unused_import``:
module, imported object, alias); this applies them without LibCST's scope analysis,
which costs several times a parse per file. A scheduled import is removed only if the name
it binds appears nowhere else in the module: not as a name, not as the start of a dotted
name, and not inside a string where strings name things (annotations, ``__all__``). That
check is conservative: a removal it misses leaves an unused import, never a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import libcst as cst

Removal = tuple[str, str | None, str | None]  # (module, object or None, asname or None)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Uses(cst.CSTVisitor):
    """Every identifier used outside import statements (and every word in strings)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.in_names = 0  # inside an annotation or `__all__ = [...]`

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.sleep` uses x, not a name `sleep`
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # `f(timeout=1)` uses no name `timeout`
        return False

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self.in_names += 1  # "requests.Response" in an annotation names something

    def leave_Annotation(self, original_node: cst.Annotation) -> None:
        self.in_names -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(
            isinstance(t.target, cst.Name) and t.target.value == "__all__" for t in node.targets
        ):
            self.in_names += 1

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if any(
            isinstance(t.target, cst.Name) and t.target.value == "__all__"
            for t in original_node.targets
        ):
            self.in_names -= 1

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.in_names:  # not prose: docstrings and messages name nothing
            self.names.update(_WORD.findall(node.value))


def _bound(alias: cst.ImportAlias, from_import: bool) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    full = cst.helpers.get_full_name_for_node(alias.name) or ""
    return full if from_import else full.split(".")[0]


class _Remove(cst.CSTTransformer):
    def __init__(self, removals: set[Removal], used: set[str]) -> None:
        super().__init__()
        self.removals = removals
        self.used = used

    def _keep(
        self, aliases: Sequence[cst.ImportAlias], module: str | None
    ) -> list[cst.ImportAlias]:
        kept = []
        for alias in aliases:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            asname = (
                alias.asname.name.value
                if alias.asname and isinstance(alias.asname.name, cst.Name)
                else None
            )
            key: Removal = (module, name, asname) if module is not None else (name, None, asname)
            if key in self.removals and _bound(alias, module is not None) not in self.used:
                continue
            kept.append(alias)
        if kept and len(kept) < len(aliases) and aliases[-1].comma is cst.MaybeSentinel.DEFAULT:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return kept

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.Import | cst.RemovalSentinel:
        kept = self._keep(updated_node.names, None)
        if not kept:
            return cst.RemoveFromParent()
        return updated_node.with_changes(names=kept)

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        if isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        module = (
            cst.helpers.get_full_name_for_node(updated_node.module) if updated_node.module else None
        )
        if updated_node.relative:  # scheduled as ".mod" (--keep-sync-api renames)
            module = "." * len(updated_node.relative) + (module or "")
        if module is None:
            return updated_node
        kept = self._keep(updated_node.names, module)
        if not kept:
            return cst.RemoveFromParent()
        return updated_node.with_changes(names=kept)


def remove_unused_imports(module: cst.Module, removals: Iterable[Removal]) -> cst.Module:
    wanted = set(removals)
    if not wanted:
        return module
    uses = _Uses()
    module.visit(uses)
    return module.visit(_Remove(wanted, uses.names))
