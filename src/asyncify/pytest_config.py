"""Tests converted to pytest-asyncio get its one setting, once, in the project's pytest config.

pytest-asyncio (0.24 to at least 1.5) warns on every run while
``asyncio_default_fixture_loop_scope`` is unset. When asyncify makes tests or fixtures async,
it adds ``asyncio_default_fixture_loop_scope = function`` (each async fixture gets the
test's event loop, the only scope that works without other settings) to the file pytest
reads its configuration from, found as pytest finds it
(https://docs.pytest.org/en/stable/reference/customize.html): from the folder holding the
converted tests upwards, the first ``pytest.ini`` / ``.pytest.ini``, ``pyproject.toml`` with
``[tool.pytest.ini_options]``, ``tox.ini`` with ``[pytest]`` or ``setup.cfg`` with
``[tool:pytest]``. With none of these, a ``pyproject.toml`` found the same way gets a
``[tool.pytest.ini_options]`` table; with no ``pyproject.toml`` either, nothing is written
and AFY906 says what to add. The edit is text only: the rest of the file stays byte-identical.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from asyncify.findings import Code, Finding
from asyncify.source import display_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KEY = "asyncio_default_fixture_loop_scope"

NO_PYTEST_CONFIG = Code(
    "AFY906",
    "tests became async, but the project has no pytest configuration file for "
    "pytest-asyncio's setting",
    f'add `{KEY} = "function"` under [tool.pytest.ini_options] in pyproject.toml',
    "note",
    doc=f"""
    Tests or fixtures were converted to pytest-asyncio (`@pytest.mark.asyncio`,
    `@pytest_asyncio.fixture`). pytest-asyncio warns on every run while its setting
    `{KEY}` is unset, so asyncify adds it to the
    project's pytest configuration, but found none: no `pytest.ini`, `pyproject.toml`,
    `tox.ini` or `setup.cfg` in the folder of the tests or above it. Creating one would
    change where pytest puts its root folder, so asyncify leaves that to you. The
    converted tests run as they are; only the warning remains.

    Before (`pyproject.toml`):

    ```toml
    [project]
    name = "shop"
    ```

    After:

    ```toml
    [project]
    name = "shop"

    [tool.pytest.ini_options]
    {KEY} = "function"
    ```
    """,
)

# (file name, section, whether the file counts without the section, TOML?) in pytest's order.
_CANDIDATES = (
    ("pytest.ini", "pytest", True, False),
    (".pytest.ini", "pytest", True, False),
    ("pyproject.toml", "tool.pytest.ini_options", False, True),
    ("tox.ini", "pytest", False, False),
    ("setup.cfg", "tool:pytest", False, False),
)


@dataclass(frozen=True)
class ConfigEdit:
    path: Path
    original: bytes
    new: bytes


def plan_edit(
    test_files: Sequence[Path], roots: Sequence[Path] | None = None
) -> ConfigEdit | Finding | None:
    """The edit that sets the key for these converted test files; a finding when there is
    no file to put it in; None when it is set already (or cannot be read).

    The lookup stops at the repository root (the folder with ``.git``), and with ``roots``
    (the paths given on the command line) the file must be inside one of them or that
    repository: asyncify never writes elsewhere.
    """
    if not test_files:
        return None
    start = _common_folder(test_files)
    folders = [start, *start.parents]
    repo = next((i for i, d in enumerate(folders) if (d / ".git").exists()), None)
    if repo is not None:
        folders = folders[: repo + 1]
    found = _pytest_config(folders)
    if found is None:
        candidates = [d / "pyproject.toml" for d in folders]
        pyproject = next((p for p in candidates if p.is_file()), None)
        if pyproject is not None:
            found = (pyproject, "tool.pytest.ini_options", True)
    if found is not None and roots is not None:
        allowed = [Path(r).resolve() for r in roots]
        allowed = [r if r.is_dir() else r.parent for r in allowed]
        if repo is not None:
            allowed.append(folders[-1])
        folder = found[0].parent
        if not any(folder == r or r in folder.parents for r in allowed):
            found = None
    if found is None:
        first = sorted(test_files)[0]
        return NO_PYTEST_CONFIG.at(display_path(first), 1, 0)
    path, section, is_toml = found
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    new_text = add_key(text, section, is_toml)
    if new_text is None:
        return None
    return ConfigEdit(path, data, new_text.encode("utf-8"))


def add_key(text: str, section: str, is_toml: bool) -> str | None:
    """``text`` with the key in ``section`` (added at the end when the section is missing);
    None when the key is there already or the result would not read back as intended."""
    if _value(text, section, is_toml) is not None:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    line = f'{KEY} = "function"' if is_toml else f"{KEY} = function"
    lines = text.splitlines(keepends=True)
    header = re.compile(r"^\s*\[\s*" + re.escape(section) + r"\s*\]\s*(#.*)?$")
    at = next((i for i, raw in enumerate(lines) if header.match(raw.rstrip("\r\n"))), None)
    if at is None:
        body = text if not text or text.endswith(("\n", "\r")) else text + newline
        gap = newline if body.strip() else ""
        new = f"{body}{gap}[{section}]{newline}{line}{newline}"
    else:
        # After the section's last line with content (before blank lines and the next table).
        end = at + 1
        for i in range(at + 1, len(lines)):
            stripped = lines[i].strip()
            if stripped.startswith("["):
                break
            if stripped and not stripped.startswith(("#", ";")):
                end = i + 1
        if end > 0 and not lines[end - 1].endswith(("\n", "\r")):
            lines[end - 1] += newline
        lines.insert(end, line + newline)
        new = "".join(lines)
    return new if _value(new, section, is_toml) == "function" else None


def _value(text: str, section: str, is_toml: bool) -> str | None:
    try:
        table = _section(text, section, is_toml)
    except ValueError:
        return "unreadable"  # leave a file we cannot read alone
    value = table.get(KEY) if table is not None else None
    return value if isinstance(value, str) else None


def _section(text: str, section: str, is_toml: bool) -> dict[str, object] | None:
    """``section`` of a TOML or INI text as a mapping, None when it is missing; ValueError
    when the text does not parse."""
    try:
        if is_toml:
            table: object = tomllib.loads(text)
            for part in section.split("."):
                if not isinstance(table, dict) or part not in table:
                    return None
                table = table[part]
            return table if isinstance(table, dict) else None
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text)
        return dict(parser[section]) if parser.has_section(section) else None
    except (tomllib.TOMLDecodeError, configparser.Error) as error:
        raise ValueError(str(error)) from error


def _pytest_config(folders: Sequence[Path]) -> tuple[Path, str, bool] | None:
    for folder in folders:
        for name, section, always, is_toml in _CANDIDATES:
            path = folder / name
            if not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            try:
                found = always or _section(text, section, is_toml) is not None
            except ValueError:
                found = False
            if found:
                return path, section, is_toml
    return None


def _common_folder(paths: Sequence[Path]) -> Path:
    folders = [p.resolve().parent for p in paths]
    common = folders[0]
    for folder in folders[1:]:
        while common != folder and common not in folder.parents:
            common = common.parent
    return common
