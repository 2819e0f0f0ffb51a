"""``asyncify plan --format dot|mermaid``: the plan's call graph for Graphviz or Mermaid.

The graph holds every function that reaches blocking I/O (it becomes async, or stays
synchronous because something pins it: *kept*), the calls between them, and the blocking
calls they reach; one cluster (subgraph) per module. Functions that reach no blocking call
are left out: the plan has nothing to say about them.
"""

from __future__ import annotations

from asyncify.plangraph import PlanGraph

COLORS = {"async": "#2a9d8f", "kept": "#e76f51", "api": "#f4a261"}


def _parts(graph: PlanGraph) -> tuple[
    dict[str, list[str]], dict[str, str], list[tuple[str, str]]
]:
    """Functions by module, the blocking APIs (id -> name) and the edges between ids."""
    reaching = graph.reaching
    modules: dict[str, list[str]] = {}
    for name in sorted(reaching, key=lambda n: graph.nodes[n].label):
        modules.setdefault(graph.nodes[name].module, []).append(name)
    apis: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()
    for name in reaching:
        edges.update((name, callee) for callee in graph.calls.get(name, ()) if callee in reaching)
        if name in graph.blocking:
            api = graph.blocking[name].partition(" @ ")[0]
            apis[f"api:{api}"] = api
            edges.add((name, f"api:{api}"))
    return modules, apis, sorted(edges)


def _status(graph: PlanGraph, name: str) -> str:
    return "async" if name in graph.hops else "kept"


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(graph: PlanGraph) -> str:
    modules, apis, edges = _parts(graph)
    lines = [
        "digraph asyncify_plan {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        "  edge [color=\"#8c959f\"];",
    ]
    for number, (module, names) in enumerate(sorted(modules.items())):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f"    label={_dot_id(module)}; style=rounded; color=\"#c5ccd6\";")
        for name in names:
            node = graph.nodes[name]
            status = _status(graph, name)
            label = node.label.partition(":")[2] or node.label
            tooltip = f"{node.label} ({status}) {node.path}:{node.line}"
            if name in graph.kept:
                tooltip += f"; kept by {graph.kept[name].code}"
            lines.append(
                f"    {_dot_id(name)} [label={_dot_id(label)}, fillcolor=\"{COLORS[status]}\","
                f" class={status}, tooltip={_dot_id(tooltip)}];"
            )
        lines.append("  }")
    for node_id, api in sorted(apis.items()):
        lines.append(
            f"  {_dot_id(node_id)} [label={_dot_id(api)}, shape=ellipse,"
            f" fillcolor=\"{COLORS['api']}\", class=api];"
        )
    lines.extend(f"  {_dot_id(a)} -> {_dot_id(b)};" for a, b in edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") + '"'


def mermaid(graph: PlanGraph) -> str:
    modules, apis, edges = _parts(graph)
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    for number, (module, names) in enumerate(sorted(modules.items())):
        lines.append(f"  subgraph m{number}[{_mermaid_text(module)}]")
        for name in names:
            ids[name] = f"f{len(ids)}"
            label = graph.nodes[name].label.partition(":")[2] or graph.nodes[name].label
            lines.append(f"    {ids[name]}[{_mermaid_text(label)}]:::{_status(graph, name)}")
        lines.append("  end")
    for node_id, api in sorted(apis.items()):
        ids[node_id] = f"a{len(ids)}"
        lines.append(f"  {ids[node_id]}([{_mermaid_text(api)}]):::api")
    lines.extend(f"  {ids[a]} --> {ids[b]}" for a, b in edges)
    for status, color in COLORS.items():
        lines.append(f"  classDef {status} fill:{color},color:#fff,stroke:#555")
    return "\n".join(lines) + "\n"
