"""The plan as a call graph: what the HTML report draws and ``plan --format dot|mermaid`` prints.

:func:`asyncify.plan.build_plan` fills a :class:`PlanGraph` from the data it plans with:
every project function, the project functions each calls (also the implicit calls of
``with``/``for`` protocols and ``list(map(f, xs))``), the blocking API each calls itself,
and for every function that reaches blocking I/O the next hop towards it. A function that
reaches blocking I/O but stays synchronous is *kept*: it is blamed on the first pinned
function of its chain, whose :class:`Blame` (the pin's finding code and place) says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GraphNode:
    label: str  # "module:qualname", as `asyncify plan` prints it
    module: str
    path: str
    line: int
    is_async: bool = False  # already `async def` in the source


@dataclass(frozen=True)
class Blame:
    """Why a function that reaches blocking I/O stays synchronous: a pin at a place."""

    code: str  # the finding code (AFY1xx/AFY5xx), or "skip" / "frozen"
    path: str
    line: int
    col: int
    detail: str


@dataclass(frozen=True)
class PlanGraph:
    nodes: Mapping[str, GraphNode] = field(default_factory=dict)  # by dotted name
    calls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # caller -> callees
    blocking: Mapping[str, str] = field(default_factory=dict)  # fn -> "api @ path:line"
    # fn -> next hop towards blocking I/O (a function, or "api @ path:line"): `hops` for
    # the functions that become async, `wanted` for those that would if nothing were pinned
    hops: Mapping[str, str] = field(default_factory=dict)
    wanted: Mapping[str, str] = field(default_factory=dict)
    kept: Mapping[str, Blame] = field(default_factory=dict)  # wanted, stays sync: why

    def via(self, name: str) -> str | None:
        """The next hop of ``name`` towards its blocking call (None: it reaches none)."""
        return self.hops.get(name) if name in self.hops else self.wanted.get(name)

    def chain(self, name: str) -> list[str]:
        """``name``, the functions it goes through, and the blocking call it reaches."""
        chain = [name]
        seen = {name}
        cur = self.via(name)
        while cur is not None and cur not in seen and len(chain) < 100:
            chain.append(cur)
            seen.add(cur)
            cur = self.via(cur) if cur in self.nodes else None
        return chain if len(chain) > 1 else []

    @property
    def reaching(self) -> frozenset[str]:
        """Functions that reach blocking I/O: those that become async, and the kept ones."""
        return frozenset(self.hops) | frozenset(self.wanted)


def blame_kept(
    wanted: Mapping[str, str],
    hops: Mapping[str, str],
    pinned: Mapping[str, Blame],
) -> dict[str, Blame]:
    """For each function in ``wanted`` but not ``hops``: the blame of the first pinned
    function on its chain (itself first)."""
    kept: dict[str, Blame] = {}
    for name in wanted:
        if name in hops:
            continue
        cur: str | None = name
        for _ in range(100):
            if cur is None or cur in pinned:
                break
            cur = wanted.get(cur)
        if cur is not None and cur in pinned:
            kept[name] = pinned[cur]
    return kept


def merge_graphs(graphs: Iterable[PlanGraph]) -> PlanGraph:
    """One graph of separately planned programs; a name two programs share (each has a
    ``main.main``) is told apart by its file, as :func:`asyncify.plan.merge_plans` does."""
    nodes: dict[str, GraphNode] = {}
    calls: dict[str, tuple[str, ...]] = {}
    blocking: dict[str, str] = {}
    hops: dict[str, str] = {}
    wanted: dict[str, str] = {}
    kept: dict[str, Blame] = {}
    for graph in graphs:
        names = {
            name: name if name not in nodes else f"{node.path}::{name}"
            for name, node in graph.nodes.items()
        }

        def new(name: str, names: dict[str, str] = names) -> str:
            return names.get(name, name)

        for name, node in graph.nodes.items():
            label = node.label if names[name] == name else f"{node.label} ({node.path})"
            nodes[names[name]] = GraphNode(label, node.module, node.path, node.line, node.is_async)
        calls.update({new(k): tuple(new(c) for c in v) for k, v in graph.calls.items()})
        blocking.update({new(k): v for k, v in graph.blocking.items()})
        hops.update({new(k): new(v) for k, v in graph.hops.items()})
        wanted.update({new(k): new(v) for k, v in graph.wanted.items()})
        kept.update({new(k): v for k, v in graph.kept.items()})
    return PlanGraph(nodes, calls, blocking, hops, wanted, kept)
