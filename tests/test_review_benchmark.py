"""benchmarks/review.py: diff size against hand conversions (issue 17, item 6)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import review  # noqa: E402


def test_changed_counts_added_and_removed_lines() -> None:
    assert review.changed("a\nb\nc\n", "a\nB\nc\nd\n") == (2, 1)
    assert review.changed("same\n", "same\n") == (0, 0)


def test_every_hand_conversion_parses_and_belongs_to_a_program() -> None:
    names = {name for name, _ in review.programs()}
    hand = sorted(review.HAND.rglob("*.py"))
    assert hand
    for path in hand:
        ast.parse(path.read_text(encoding="utf-8"), str(path))
        program = "/".join(path.relative_to(review.HAND).parts[:2])
        assert program in names, path


def test_rows_compare_asyncify_with_the_hand_conversion() -> None:
    rows = review.measure("examples/poller", ROOT / "examples" / "poller")
    assert [r.path for r in rows] == ["poller.py"]
    assert rows[0].tool_changed > 0 and rows[0].hand_changed > 0
    assert "total: asyncify" in review.table(rows, markdown=False)
