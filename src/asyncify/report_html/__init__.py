"""``asyncify report``: the migration report as one self-contained HTML page.

The page holds everything it shows (CSS, JavaScript, the data as JSON): it opens from a
file with no network. Its figures are the JSON report's ``migration`` section
(:mod:`asyncify.migration`), computed once and embedded as they are. The call graph is
drawn by Cytoscape.js (MIT, no dependencies), bundled unmodified in ``vendor/`` with its
licence; see docs/report.md for why.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from asyncify import __version__
from asyncify.findings import CODES, Finding
from asyncify.plangraph import PlanGraph
from asyncify.sarif import help_uri

# Above this many functions the graph opens with every module collapsed to one node.
COLLAPSE_ABOVE = 250


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def graph_data(graph: PlanGraph) -> dict[str, Any]:
    """Nodes (functions, then the blocking APIs they call) and edges, by index."""
    names = sorted(graph.nodes, key=lambda n: (graph.nodes[n].module, graph.nodes[n].label))
    index = {name: i for i, name in enumerate(names)}
    apis: dict[str, int] = {}

    def api_node(hop: str) -> int:
        api = hop.partition(" @ ")[0]
        if api not in apis:
            apis[api] = len(names) + len(apis)
        return apis[api]

    modules = sorted({graph.nodes[n].module for n in names})
    module_index = {m: i for i, m in enumerate(modules)}
    nodes: list[dict[str, Any]] = []
    for name in names:
        node = graph.nodes[name]
        status = (
            "async" if name in graph.hops
            else "kept" if name in graph.kept or name in graph.wanted
            else "native" if node.is_async
            else "sync"
        )
        via = graph.via(name)
        blame = graph.kept.get(name)
        nodes.append(
            {
                "label": node.label,
                "m": module_index[node.module],
                "path": node.path,
                "line": node.line,
                "status": status,
                "via": None if via is None else index[via] if via in index else api_node(via),
                "at": via if via is not None and via not in index else None,
                "code": blame.code if blame is not None else None,
            }
        )
    edges = sorted(
        {(index[a], index[b]) for a, callees in graph.calls.items() for b in callees if a != b}
        | {(index[f], api_node(hop)) for f, hop in graph.blocking.items()}
    )
    for api in apis:
        nodes.append({"label": api, "m": None, "status": "api", "via": None})
    return {"modules": modules, "nodes": nodes, "edges": edges}


def _diff_rows(diff: str, findings: Sequence[Finding]) -> tuple[list[str], list[Finding]]:
    """A unified diff as table rows, each finding after the line it is at (original line
    numbers); the findings at lines the diff does not show are returned."""
    at: dict[int, list[Finding]] = {}
    for finding in findings:
        at.setdefault(finding.line, []).append(finding)
    rows: list[str] = []
    old = new = 0
    shown: set[int] = set()
    for line in diff.splitlines():
        if line.startswith(("--- ", "+++ ")):
            continue
        if line.startswith("@@"):
            head = line.split()
            old = int(head[1][1:].split(",")[0])
            new = int(head[2][1:].split(",")[0])
            rows.append(f'<tr class="hunk"><td></td><td></td><td>{html.escape(line)}</td></tr>')
            continue
        kind = {"+": "add", "-": "del", "\\": "note"}.get(line[:1], "ctx")
        left = str(old) if kind in ("del", "ctx") else ""
        right = str(new) if kind in ("add", "ctx") else ""
        rows.append(
            f'<tr class="{kind}"><td class="ln">{left}</td><td class="ln">{right}</td>'
            f"<td><code>{html.escape(line)}</code></td></tr>"
        )
        if kind in ("del", "ctx"):
            for finding in at.get(old, ()):
                rows.append(_finding_row(finding))
                shown.add(id(finding))
            old += 1
        if kind in ("add", "ctx"):
            new += 1
    return rows, [f for f in findings if id(f) not in shown]


def _finding_row(finding: Finding) -> str:
    return (
        f'<tr class="finding"><td></td><td></td><td>{_finding_html(finding)}</td></tr>'
    )


def _finding_html(finding: Finding) -> str:
    code = CODES.get(finding.code)
    level = code.level if code is not None else "warning"
    return (
        f'<div class="finding-box {level}" data-code="{finding.code}" data-line="{finding.line}">'
        f'<span class="code">{finding.code}</span> {html.escape(finding.message)}'
        f'<div class="hint">hint: {html.escape(finding.hint)}</div></div>'
    )


def files_html(
    entries: Sequence[tuple[str, str | None, str, Sequence[Finding]]],
) -> str:
    """One collapsible block per file that changes or has findings: (path, diff or None,
    source text, findings)."""
    blocks: list[str] = []
    for path, diff, source, findings in entries:
        rows, rest = _diff_rows(diff, findings) if diff else ([], list(findings))
        lines = source.splitlines()
        outside = "".join(
            f'<div class="outside"><span class="ln">line {f.line}</span> '
            f"<code>{html.escape(lines[f.line - 1] if 0 < f.line <= len(lines) else '')}</code>"
            f"{_finding_html(f)}</div>"
            for f in sorted(rest, key=lambda f: (f.line, f.col, f.code))
        )
        added = sum(1 for r in rows if r.startswith('<tr class="add"'))
        removed = sum(1 for r in rows if r.startswith('<tr class="del"'))
        table = f'<table class="diff">{"".join(rows)}</table>' if rows else ""
        plural = "s" if len(findings) != 1 else ""
        badge = f'<span class="badge">{len(findings)} finding{plural}</span>'
        blocks.append(
            f'<details class="file" data-path="{html.escape(path)}"'
            f'{" open" if len(entries) <= 8 else ""}>'
            f'<summary><span class="path">{html.escape(path)}</span> '
            f'<span class="plus">+{added}</span> <span class="minus">−{removed}</span> '
            f'{badge if findings else ""}</summary>{outside}{table}</details>'
        )
    return "".join(blocks) or '<p class="empty">No file changes and no findings.</p>'


def render(
    summary: Mapping[str, Any],
    migration: Mapping[str, Any],
    graph: PlanGraph,
    files: str,
    title: str,
    progress: Mapping[str, Any] | None = None,
) -> str:
    """The whole page."""
    data = {
        "version": __version__,
        "summary": dict(summary),
        "migration": dict(migration),
        "graph": graph_data(graph),
        "progress": dict(progress) if progress is not None else None,
        "collapseAbove": COLLAPSE_ABOVE,
        "docs": {code: help_uri(code) for code in CODES},
    }
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    payload = payload.replace("</", "<\\/").replace("<!--", "<\\!--")
    values = {
        "TITLE": html.escape(title),
        "CSS": _asset("report.css"),
        "FILES": files,
        "DATA": payload,
        "CYTOSCAPE": _asset("vendor/cytoscape.min.js").replace("</script", "<\\/script"),
        "JS": _asset("report.js"),
        "VERSION": __version__,
    }
    # one pass: nothing inserted (a file's source, say) is read for markers again
    return re.sub(r"@@([A-Z]+)@@", lambda m: values[m.group(1)], _asset("template.html"))
