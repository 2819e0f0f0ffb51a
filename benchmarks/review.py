"""Diff size against hand conversions: what a reviewer has to read.

    python benchmarks/review.py [--markdown] [--show FILE]

Converts the bundled examples (``examples/*``) and the fixture projects
(``tests/fixtures/projects/*/before``) with asyncify (the library, in place: nothing is
written, settings come from the nearest ``pyproject.toml`` as for ``asyncify diff``) and
counts, per file, the lines asyncify adds and removes next to those of a hand-written
conversion kept in ``benchmarks/review/<program>/<file>``: the conversion a careful human
would write, doing the same I/O asynchronously with the same behaviour. A file without a
hand conversion there is one the human leaves unchanged.

The figure is asyncify's changed lines (added + removed) over the hand conversion's,
summed over all files; the target (issue 17) is at most 1.3.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

from asyncify.config import load_config, merge
from asyncify.discover import discover
from asyncify.engine import convert

ROOT = Path(__file__).resolve().parent.parent
HAND = Path(__file__).resolve().parent / "review"
TARGET = 1.3


@dataclass
class Row:
    program: str
    path: str
    tool: tuple[int, int]  # lines added, removed
    hand: tuple[int, int]

    @property
    def tool_changed(self) -> int:
        return sum(self.tool)

    @property
    def hand_changed(self) -> int:
        return sum(self.hand)


def changed(before: str, after: str) -> tuple[int, int]:
    """(lines added, lines removed) of a unified diff of two texts."""
    added = removed = 0
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
    return added, removed


def programs() -> list[tuple[str, Path]]:
    found = [(f"examples/{p.name}", p) for p in sorted((ROOT / "examples").iterdir()) if p.is_dir()]
    for case in sorted((ROOT / "tests/fixtures/projects").iterdir()):
        if (case / "before").is_dir():
            found.append((f"projects/{case.name}", case / "before"))
    return found


def measure(name: str, root: Path) -> list[Row]:
    files, problems = discover([root], base=root)
    if problems:
        raise SystemExit(f"{name}: {problems[0]}")
    config = load_config([root])
    result = convert(files, merge(config))
    rows = []
    for outcome in result.files:
        if outcome.error is not None:
            raise SystemExit(f"{name}: {outcome.error}")
        rel = outcome.file.path.resolve().relative_to(root.resolve()).as_posix()
        original = outcome.original.decode("utf-8")
        converted = outcome.new.decode("utf-8") if outcome.new is not None else original
        hand_file = HAND / name / rel
        hand = hand_file.read_text(encoding="utf-8") if hand_file.is_file() else original
        tool, by_hand = changed(original, converted), changed(original, hand)
        if tool != (0, 0) or by_hand != (0, 0):
            rows.append(Row(name, rel, tool, by_hand))
    known = {r.path for r in rows} | {
        o.file.path.resolve().relative_to(root.resolve()).as_posix() for o in result.files
    }
    for extra in sorted((HAND / name).rglob("*.py")) if (HAND / name).is_dir() else []:
        rel = extra.relative_to(HAND / name).as_posix()
        if rel not in known:  # a module the human adds (a shared helper)
            rows.append(Row(name, rel, (0, 0), changed("", extra.read_text(encoding="utf-8"))))
    return rows


def table(rows: list[Row], markdown: bool) -> str:
    lines = []
    if markdown:
        lines.append("| file | asyncify +/− | hand +/− | ratio |")
        lines.append("|---|---|---|---|")
    else:
        lines.append(f"{'file':55} {'asyncify +/-':>13} {'hand +/-':>10} {'ratio':>6}")
    for row in rows:
        ratio = f"{row.tool_changed / row.hand_changed:.2f}" if row.hand_changed else "-"
        name = f"{row.program}/{row.path}"
        tool = f"+{row.tool[0]}/-{row.tool[1]}"
        hand = f"+{row.hand[0]}/-{row.hand[1]}"
        if markdown:
            lines.append(f"| `{name}` | {tool} | {hand} | {ratio} |")
        else:
            lines.append(f"{name:55} {tool:>13} {hand:>10} {ratio:>6}")
    tool_total = sum(r.tool_changed for r in rows)
    hand_total = sum(r.hand_changed for r in rows)
    ratio = tool_total / hand_total if hand_total else float("inf")
    verdict = "meets" if ratio <= TARGET else "misses"
    summary = (
        f"total: asyncify {tool_total} changed lines, hand {hand_total}: "
        f"{ratio:.2f}× ({verdict} the ≤{TARGET}× target)"
    )
    if markdown:
        lines.append(f"| **total** | {tool_total} | {hand_total} | **{ratio:.2f}** |")
        lines.append("")
    lines.append(summary)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name, root in programs():
        rows.extend(measure(name, root))
    print(table(rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
