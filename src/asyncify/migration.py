"""Migration figures: how much of the program becomes async, and what keeps the rest sync.

Computed once from the plan's call graph (:class:`asyncify.plangraph.PlanGraph`) and put
in the JSON report (``asyncify report --format json``, key ``migration``); the HTML report
shows these same figures, and ``--baseline`` compares them with an earlier JSON report's.

* ``functions``: every function and method of the project;
* ``async``: those that become ``async def`` (``asyncify plan`` lists each);
* ``reaching_blocking``: those that reach blocking I/O (become async, or would if nothing
  kept them synchronous); ``kept_sync`` = ``reaching_blocking`` - ``async``;
* ``coverage`` = ``async`` / ``reaching_blocking`` (1.0 when nothing reaches blocking I/O),
  to 4 places, and ``coverage_percent``, to one (as the page shows it);
* ``kept_sync_by_code``: the kept functions by the finding code of their blocker
  (``skip``: ``# asyncify: skip`` or rejected in review; ``frozen``: in a file left
  unchanged);
* ``blockers``: each cause that keeps functions synchronous, with its ``weight`` (how many
  functions it keeps synchronous), heaviest first: fix the top ones first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from asyncify.findings import Finding
from asyncify.plangraph import Blame, PlanGraph


def migration(graph: PlanGraph, findings: Sequence[Finding]) -> dict[str, Any]:
    """The figures of the module docstring, as JSON data."""
    reaching = graph.reaching
    async_count = len(graph.hops)
    groups: dict[tuple[str, str, int, int], list[str]] = {}
    first: dict[tuple[str, str, int, int], Blame] = {}
    for name, blame in sorted(graph.kept.items()):
        place = (blame.code, blame.path, blame.line, blame.col)
        groups.setdefault(place, []).append(name)
        first.setdefault(place, blame)
    by_place = {(f.code, f.path, f.line, f.col): f for f in findings}
    blockers: list[dict[str, Any]] = []
    for place, names in groups.items():
        blame = first[place]
        finding = by_place.get(place)
        blockers.append(
            {
                "code": blame.code,
                "path": blame.path,
                "line": blame.line,
                "col": blame.col,
                "detail": blame.detail,
                "message": finding.message if finding is not None else blame.detail,
                "weight": len(names),
                "functions": sorted(graph.nodes[n].label for n in names if n in graph.nodes),
            }
        )
    blockers.sort(key=lambda b: (-b["weight"], b["path"], b["line"], b["col"], b["code"]))
    by_code = Counter(blame.code for blame in graph.kept.values())
    return {
        "functions": len(graph.nodes),
        "async": async_count,
        "reaching_blocking": len(reaching),
        "kept_sync": len(reaching) - async_count,
        "coverage": round(async_count / len(reaching), 4) if reaching else 1.0,
        "coverage_percent": round(100 * async_count / len(reaching), 1) if reaching else 100.0,
        "kept_sync_by_code": dict(sorted(by_code.items())),
        "blockers": blockers,
    }


FIGURES = ("functions", "async", "reaching_blocking", "coverage", "coverage_percent")


def compare(now: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """Progress since ``then`` (a ``migration`` section of an earlier JSON report)."""

    def key(b: dict[str, Any]) -> tuple[str, str, str]:  # lines move; messages name things
        return (b["code"], b["path"], b["message"])

    earlier = {key(b): b for b in then.get("blockers", [])}
    current = {key(b): b for b in now.get("blockers", [])}
    gone = [(k, b) for k, b in earlier.items() if k not in current]
    return {
        "then": {k: then.get(k) for k in FIGURES},
        "now": {k: now.get(k) for k in FIGURES},
        "blockers": [
            {
                "code": b["code"],
                "path": b["path"],
                "line": b["line"],
                "message": b["message"],
                "then": earlier[k]["weight"] if k in earlier else 0,
                "now": current[k]["weight"] if k in current else 0,
            }
            for k, b in [*current.items(), *gone]
        ],
    }
