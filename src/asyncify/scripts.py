"""Console-script entry points a project declares: their functions must stay callable.

An installed command (``[project.scripts] mytool = "mytool.cli:main"``, or setup.cfg's
``console_scripts``) calls its function synchronously and ignores what it returns: were
``main`` to become ``async def``, the command would build a coroutine and exit at once,
doing nothing. Such a function keeps its name as a synchronous wrapper around
``<name>_async`` (the ``--keep-sync-api`` form, asyncify.syncapi), for this one function.

The declarations are read from the nearest ``pyproject.toml`` or ``setup.cfg`` at or
above the converted paths (not above the repository root), as packaging tools read them.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from asyncify.config import common_parent

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

_TARGET = re.compile(r"^\s*([\w.]+)\s*:\s*([\w.]+)\s*(?:\[.*\])?\s*$")


def entry_points(paths: Sequence[Path]) -> frozenset[str]:
    """Dotted names (``pkg.cli.main``) of the project's console and GUI script functions."""
    start = common_parent(paths)
    for folder in (start, *start.parents):
        found: set[str] = set()
        pyproject, setup_cfg = folder / "pyproject.toml", folder / "setup.cfg"
        if pyproject.is_file():
            found |= _from_pyproject(pyproject)
        if setup_cfg.is_file():
            found |= _from_setup_cfg(setup_cfg)
        if pyproject.is_file() or setup_cfg.is_file() or (folder / ".git").exists():
            return frozenset(found)
    return frozenset()


def _from_pyproject(path: Path) -> set[str]:
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return set()  # not ours to report: packaging tools will
    if not isinstance(project, dict):
        return set()
    tables = [project.get("scripts"), project.get("gui-scripts")]
    return _targets(
        value for table in tables if isinstance(table, dict) for value in table.values()
    )


def _from_setup_cfg(path: Path) -> set[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return set()
    if not parser.has_section("options.entry_points"):
        return set()
    lines: list[str] = []
    for key in ("console_scripts", "gui_scripts"):
        text = parser.get("options.entry_points", key, fallback="")
        lines.extend(line.partition("=")[2] for line in text.splitlines() if "=" in line)
    return _targets(lines)


def _targets(values: Iterable[object]) -> set[str]:
    found = set()
    for value in values:
        match = _TARGET.match(value) if isinstance(value, str) else None
        if match:
            found.add(f"{match.group(1)}.{match.group(2)}")
    return found
