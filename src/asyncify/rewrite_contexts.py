"""Rewrites of sync contexts that have an async counterpart (tables in
:mod:`asyncify.contexts`), used by :class:`asyncify.rewrite.Propagate`: the async copy of a
decorator's wrapper, ``lru_cache`` → ``alru_cache``, and the call forms of
``assertRaises`` / ``pytest.raises`` → their ``with`` form. Pure functions of LibCST nodes;
the qualified names come from the caller (``Codemod.imported_name``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import libcst as cst
import libcst.matchers as m

from asyncify.contexts import ASYNC_CACHES, RAISES_FUNCTIONS, RAISES_METHODS

Qualified = Callable[[cst.BaseExpression], str]


def parenthesize(expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, cst.Await) and not expr.lpar:
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expr


class AwaitCallsOf(cst.CSTTransformer):
    """``name(...)`` → ``await name(...)``, parenthesised where it is the primary of an
    attribute, subscript or call; and each call of a blocking API that has an awaitable
    twin with the same arguments (``replacements``, by qualified name: ``time.sleep`` →
    ``asyncio.sleep``) → ``await twin(...)``."""

    def __init__(
        self,
        name: str,
        replacements: Mapping[str, str] = MappingProxyType({}),
        qualified: Callable[[cst.BaseExpression], str] = lambda _: "",
    ) -> None:
        super().__init__()
        self.name = name
        self.replacements = replacements
        self.qualified = qualified
        self.used: set[str] = set()  # modules of the twins written
        self.lazy = 0  # inside a generator expression: an await would make it async

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.lazy += 1

    def leave_GeneratorExp(
        self, original_node: cst.GeneratorExp, updated_node: cst.GeneratorExp
    ) -> cst.BaseExpression:
        self.lazy -= 1
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if isinstance(updated_node.func, cst.Name) and updated_node.func.value == self.name:
            return cst.Await(expression=updated_node)
        if isinstance(updated_node.func, cst.Await):
            return updated_node.with_changes(func=parenthesize(updated_node.func))
        twin = self.replacements.get(self.qualified(updated_node.func), "")
        if twin and not self.lazy:
            self.used.add(twin.rpartition(".")[0])
            return cst.Await(expression=updated_node.with_changes(func=cst.parse_expression(twin)))
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        return updated_node.with_changes(value=parenthesize(updated_node.value))

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        return updated_node.with_changes(value=parenthesize(updated_node.value))


def async_cache(
    decorator: cst.Decorator, qualified: Qualified
) -> tuple[cst.Decorator, tuple[str, str, str], cst.BaseExpression] | None:
    """``@functools.lru_cache(...)`` / ``@lru_cache`` / ``@cache`` → ``@alru_cache(...)``:
    the new decorator, the replacement's (module, name, bare arguments) and the old
    callee expression (whose import may go); None for any other decorator."""
    expr = decorator.decorator
    target = expr.func if isinstance(expr, cst.Call) else expr
    replacement = ASYNC_CACHES.get(qualified(target))
    if replacement is None:
        return None
    _, name, bare_args = replacement
    if isinstance(expr, cst.Call):
        new_expr: cst.BaseExpression = expr.with_changes(func=cst.Name(name))
    elif bare_args:
        new_expr = cst.parse_expression(f"{name}({bare_args})")
    else:
        new_expr = cst.Name(name)
    return decorator.with_changes(decorator=new_expr), replacement, target


def raises_form(
    line: cst.SimpleStatementLine, qualified: Qualified
) -> tuple[cst.Call, int] | None:
    """The call and the callable's position of a statement ``pytest.raises(E, f, x)`` /
    ``self.assertRaises(E, lambda: f(x))`` / ``info = pytest.raises(E, f, x)``
    (asyncify.contexts.raises_callable, as the index sees it)."""
    if len(line.body) != 1:
        return None
    statement = line.body[0]
    kept = (
        isinstance(statement, cst.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0].target, cst.Name)
    )
    if not (isinstance(statement, cst.Expr) or kept):
        return None
    assert isinstance(statement, (cst.Expr, cst.Assign))
    call = statement.value
    if not isinstance(call, cst.Call):
        return None
    func = call.func
    at = RAISES_FUNCTIONS.get(qualified(func))
    if (
        at is None
        and not kept
        and isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == "self"
    ):
        at = RAISES_METHODS.get(func.attr.value)
    positional = [a for a in call.args if a.keyword is None and a.star != "**"]
    if at is None or len(positional) <= at or positional[at] is not call.args[at]:
        return None
    if any(a.star == "*" for a in positional[: at + 1]):
        return None
    target = positional[at].value
    if isinstance(target, cst.Lambda):
        if cst.Module([]).code_for_node(target.params).strip():
            return None
    elif not isinstance(target, (cst.Name, cst.Attribute)):
        return None
    return call, at


def raises_with(line: cst.SimpleStatementLine, at: int, awaited: bool) -> cst.With | None:
    """``self.assertRaises(E, f, x, k=v)`` → ``with self.assertRaises(E): await f(x,
    k=v)`` when that call became awaited (``awaited``: the plan awaits the callable's
    call); ``pytest.raises(E, lambda: f(x))`` → ``with pytest.raises(E): await f(x)`` when
    the lambda's body now awaits something (``info = pytest.raises(...)``: ``with ... as
    info``). ``line`` is the statement as rewritten so far
    (the index indexed those calls as calls of the statement itself)."""
    statement = line.body[0]
    if not isinstance(statement, (cst.Expr, cst.Assign)):
        return None
    call = statement.value
    if not isinstance(call, cst.Call):
        return None
    asname = None
    if isinstance(statement, cst.Assign):  # `info = pytest.raises(...)`: `as info`
        name = statement.targets[0].target
        if not isinstance(name, cst.Name):
            return None
        asname = cst.AsName(name=name)
    target = call.args[at].value
    body: cst.BaseExpression
    if isinstance(target, cst.Lambda):
        if not m.findall(target.body, m.Await()):
            return None
        body = target.body
    else:
        if not awaited:
            return None
        rest = list(call.args[at + 1 :])
        if rest:
            rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        body = cst.Await(expression=cst.Call(func=target, args=rest))
    # On one line: `with pytest.raises(E):` however the call was laid out.
    head = [
        arg.with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        for arg in call.args[:at]
    ]
    head[-1] = head[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    call = call.with_changes(whitespace_before_args=cst.SimpleWhitespace(""), args=head)
    inner = cst.SimpleStatementLine([cst.Expr(body)], trailing_whitespace=line.trailing_whitespace)
    return cst.With(
        items=[cst.WithItem(item=call, asname=asname)],
        body=cst.IndentedBlock(body=[inner]),
        leading_lines=line.leading_lines,
    )
