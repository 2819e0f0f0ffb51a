"""Converted code formatted like the project around it.

Read at run time from the project's own settings (the nearest ``pyproject.toml``,
``ruff.toml`` or ``.ruff.toml`` above a file, no higher than the repository root):

* the line length (``[tool.ruff] line-length``, ``[tool.black] line-length``; 88 when
  neither sets it, black's and ruff's default);
* whether the project formats with black (``[tool.black]``) or ruff
  (``[tool.ruff.format]``, a ``ruff.toml`` ``[format]`` table), or names either hook in
  ``.pre-commit-config.yaml``.

With a formatter configured, only the changed lines are formatted, with the formatter the
user has installed (black's ``--line-ranges``, ruff's ``format --range``, one per changed
region, last first); neither is a dependency of asyncify. Without one, or when it is not
installed or fails, changed statements with a changed line over the line length are
wrapped the way black would (``wrap.py``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncify.wrap import changed_lines, wrap_changed

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_LINE_LENGTH = 88
FORMATTERS = ("ruff", "black")


@dataclass(frozen=True)
class Style:
    line_length: int = DEFAULT_LINE_LENGTH
    formatter: str | None = None  # "ruff" or "black": what the project formats with
    root: str | None = None  # the folder of the settings (the formatter runs there)
    # Top-level names of the program's own modules: isort's first-party section.
    first_party: frozenset[str] = frozenset()


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _length(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@functools.lru_cache(maxsize=256)
def style_of_folder(folder: Path) -> Style:
    """The style of files in ``folder``: from the nearest settings above it."""
    for where in (folder, *folder.parents):
        found = _settings(where)
        if found is not None:
            return found
        if (where / ".git").exists():
            break
    return Style()


def _settings(folder: Path) -> Style | None:
    for name in ("ruff.toml", ".ruff.toml"):
        path = folder / name
        if path.is_file():
            table = _read(path)
            formatter = "ruff" if isinstance(table.get("format"), dict) else _hook(folder)
            length = _length(table.get("line-length")) or DEFAULT_LINE_LENGTH
            return Style(length, formatter, str(folder))
    path = folder / "pyproject.toml"
    if not path.is_file():
        return None
    tool = _read(path).get("tool")
    if not isinstance(tool, dict):
        return None
    ruff = tool.get("ruff") if isinstance(tool.get("ruff"), dict) else None
    black = tool.get("black") if isinstance(tool.get("black"), dict) else None
    if ruff is None and black is None:
        return None
    formatter = None
    if ruff is not None and isinstance(ruff.get("format"), dict):
        formatter = "ruff"
    elif black is not None:
        formatter = "black"
    else:
        formatter = _hook(folder)
    length = (
        (ruff is not None and _length(ruff.get("line-length")))
        or (black is not None and _length(black.get("line-length")))
        or DEFAULT_LINE_LENGTH
    )
    return Style(int(length), formatter, str(folder))


def _hook(folder: Path) -> str | None:
    """The formatter a ``.pre-commit-config.yaml`` beside the settings runs, if any."""
    try:
        text = (folder / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    ids = {
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.strip().startswith(("id:", "- id:"))
    }
    if "ruff-format" in ids:
        return "ruff"
    if "black" in ids:
        return "black"
    return None


@functools.lru_cache(maxsize=4)
def formatter_command(name: str) -> tuple[str, ...] | None:
    """How to run the user's installed ``name`` (beside this Python first, then PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return (str(beside),)
    found = shutil.which(name)
    return (found,) if found else None


def format_like_project(old: str, new: str, path: str, style: Style) -> str:
    """``new`` (the rewrite of ``old``) with its changed lines formatted as the project does."""
    if new == old:
        return new
    if style.formatter is not None:
        formatted = _run_formatter(old, new, path, style)
        if formatted is not None:
            return formatted
    return wrap_changed(old, new, style.line_length)


def _regions(old: str, new: str) -> list[tuple[int, int]]:
    lines = sorted(changed_lines(old, new))
    out: list[tuple[int, int]] = []
    for line in lines:
        if out and line == out[-1][1] + 1:
            out[-1] = (out[-1][0], line)
        else:
            out.append((line, line))
    return out


def _run_formatter(old: str, new: str, path: str, style: Style) -> str | None:
    assert style.formatter is not None
    command = formatter_command(style.formatter)
    if command is None:
        return None
    regions = _regions(old, new)
    if not regions:
        return new
    cwd = style.root or None
    name = os.path.abspath(path)
    try:
        if style.formatter == "black":
            ranges = [arg for a, b in regions for arg in ("--line-ranges", f"{a}-{b}")]
            return _pipe([*command, "-q", *ranges, "--stdin-filename", name, "-"], new, cwd)
        text = new
        for a, b in reversed(regions):  # last first: earlier line numbers stay valid
            got = _pipe(
                [
                    *command,
                    "format",
                    "--quiet",
                    f"--range={a}-{b + 1}",
                    "--stdin-filename",
                    name,
                    "-",
                ],
                text,
                cwd,
            )
            if got is None:
                return None
            text = got
        return text
    except (OSError, subprocess.SubprocessError):
        return None


def _pipe(command: list[str], text: str, cwd: str | None) -> str | None:
    done = subprocess.run(
        command,
        input=text.encode("utf-8"),
        capture_output=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8")
