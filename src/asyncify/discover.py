"""Discovery: expand the PATHs a user gives into the Python files to convert.

Folders are walked in sorted order. ``.gitignore`` files are honoured with git's own
semantics (pathspec's ``gitwildmatch``): the ones from the enclosing repository root down
to each folder, the deepest deciding; ``exclude`` patterns (``--exclude``,
``[tool.asyncify] exclude``) are gitignore-style too, relative to ``base``. A file named on
the command line is always taken, as black and ruff do. Symlinks are followed only while
they stay inside the given roots, and a file reached twice is taken once.

Each file gets the dotted module name Python would import it as: packages are folders
with ``__init__.py``; under a ``src/`` folder every folder is a package (``src/pkg/mod.py``
is ``pkg.mod``); in a folder of scripts each file is a top-level module (``main.py`` is
``main``, as ``python main.py`` would see it). Folders without ``__init__.py`` between a
file and the project root are namespace packages (PEP 420), so the file gets those longer
names as aliases: ``services/weather_service.py`` is ``weather_service`` and also
``services.weather_service``, as ``app.py`` at the root imports it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from asyncify.findings import READ_ERROR, Finding
from asyncify.source import display_path
from asyncify.sourcefile import SourceFile

# Folders that never hold the project's own code.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "__pypackages__",
        "build",
        "dist",
        "node_modules",
        "site-packages",
    }
)
# Markers of a project root: where a src/ layout can start and where .gitignore lookup stops.
ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class _Ignore:
    """The patterns of one ignore file, relative to the folder ``base``."""

    base: Path  # resolved
    spec: pathspec.GitIgnoreSpec

    def verdict(self, path: Path, is_dir: bool) -> bool | None:
        """True: ignored, False: re-included by a ``!`` pattern, None: not mentioned."""
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        if rel == ".":
            return None
        if is_dir:
            rel += "/"
        for pattern in reversed(self.spec.patterns):  # the last matching pattern decides
            if pattern.include is not None and pattern.match_file(rel) is not None:
                return bool(pattern.include)
        return None


def _is_ignored(chain: Sequence[_Ignore], path: Path, is_dir: bool) -> bool:
    for ignore in reversed(chain):  # a deeper ignore file overrides a shallower one
        verdict = ignore.verdict(path, is_dir)
        if verdict is not None:
            return verdict
    return False


class PatternError(ValueError):
    """An ``--exclude`` / ``[tool.asyncify] exclude`` pattern that is not a valid pattern."""


def _spec(lines: Sequence[str], strict: bool) -> pathspec.GitIgnoreSpec:
    """The patterns of ``lines``. A line git cannot match (``build\\``: a trailing
    backslash) matches nothing, as in git; with ``strict`` it is a :class:`PatternError`."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception as error:  # pathspec raises several types for a bad pattern
        if strict:
            bad = next((line for line in lines if not _valid(line)), "")
            raise PatternError(f"invalid exclude pattern {bad!r}: {error}") from error
    return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid(line)])


def _valid(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except Exception:
        return False
    return True


def _load_gitignore(folder: Path) -> _Ignore | None:
    try:
        lines = (folder / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _Ignore(folder, _spec(lines, strict=False))


def _repo_root(folder: Path) -> Path | None:
    """The git work tree that contains ``folder`` (resolved), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _ancestor_ignores(folder: Path) -> list[_Ignore]:
    """The .gitignore files from the repository root down to ``folder`` (excluded)."""
    root = _repo_root(folder)
    if root is None or root == folder:
        return []
    chain = []
    for parent in reversed(folder.parents):
        if parent == root or root in parent.parents:
            ignore = _load_gitignore(parent)
            if ignore is not None:
                chain.append(ignore)
    return chain


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


class _Walker:
    def __init__(self, roots: Sequence[Path], excludes: _Ignore | None) -> None:
        self.roots = roots  # resolved
        self.excludes = excludes
        self.found: dict[Path, tuple[Path, bool]] = {}  # resolved -> (path shown, via a link)
        self.visited: set[Path] = set()  # resolved folders, against symlink loops
        # Symlinked folders are walked after every real one, so that a file is named by
        # its own path rather than through a link whenever both reach it.
        self.deferred: list[tuple[Path, Path, list[_Ignore]]] = []

    def add(self, path: Path, via_link: bool) -> None:
        real = path.resolve()
        known = self.found.get(real)
        if known is None or (known[1] and not via_link):
            self.found[real] = (path, via_link)

    def excluded(self, real: Path, is_dir: bool) -> bool:
        return self.excludes is not None and self.excludes.verdict(real, is_dir) is True

    def walk_deferred(self) -> None:
        while self.deferred:
            folder, real, chain = self.deferred.pop(0)
            self.walk(folder, real, chain, via_link=True)

    def walk(self, folder: Path, real: Path, chain: list[_Ignore], via_link: bool) -> None:
        if real in self.visited:
            return
        self.visited.add(real)
        own = _load_gitignore(real)
        if own is not None:
            chain = [*chain, own]
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return
        for entry in entries:
            path = folder / entry.name
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = entry.is_file()
            except OSError:
                continue
            entry_real = real / entry.name
            link = entry.is_symlink()
            if link:
                entry_real = path.resolve()
                if not _inside(entry_real, self.roots):
                    continue
            if is_dir:
                if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                    continue
                if (path / "pyvenv.cfg").exists():  # a virtual environment by another name
                    continue
                if _is_ignored(chain, real / entry.name, True) or self.excluded(entry_real, True):
                    continue
                if link:
                    self.deferred.append((path, entry_real, chain))
                else:
                    self.walk(path, entry_real, chain, via_link)
            elif is_file and entry.name.endswith(".py"):
                if _is_ignored(chain, real / entry.name, False) or self.excluded(entry_real, False):
                    continue
                self.add(path, via_link or link)


def discover(
    paths: Sequence[Path], exclude: Sequence[str] = (), base: Path | None = None
) -> tuple[list[SourceFile], list[Finding]]:
    """The Python files under ``paths`` (sorted), and a finding for each path that is missing.

    ``exclude`` holds gitignore-style patterns relative to ``base`` (the folder of the
    configuration file; the working folder by default).
    """
    folder_base = (base or Path.cwd()).resolve()
    excludes = _Ignore(folder_base, _spec(list(exclude), strict=True)) if exclude else None
    roots = [Path(path).resolve() for path in paths if Path(path).exists()]
    walker = _Walker(roots, excludes)
    problems: list[Finding] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            detail = "broken symlink" if path.is_symlink() else "no such file or folder"
            problems.append(READ_ERROR.at(display_path(path), 1, 0, detail))
        elif path.is_dir():
            real = path.resolve()
            chain = _ancestor_ignores(real)
            if _is_ignored(chain, real, True):  # asked for by name: its own ignores still count
                chain = []
            walker.walk(path, real, chain, via_link=False)
        else:
            walker.add(path, via_link=False)
    walker.walk_deferred()
    folders = [root if root.is_dir() else root.parent for root in roots]
    files = [_source_file(path, folders) for path, _ in walker.found.values()]
    files.sort(key=lambda file: (file.path.as_posix(), file.module))
    return files, sorted(problems)


def _source_file(path: Path, roots: Sequence[Path]) -> SourceFile:
    real = path.resolve()
    is_package = real.name == "__init__.py"
    parts = [] if is_package else [real.stem]
    folder = real.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.append(folder.name)
        folder = folder.parent
    # A src/ layout: every folder below src/ is (at least) a namespace package.
    src = _src_folder(folder, roots)
    if src is not None:
        parts.extend(reversed(folder.relative_to(src).parts))
    module = ".".join(reversed(parts))
    if src is None:
        aliases = _namespace_names(folder, parts, roots)
    else:
        aliases = ()
    aliases = (*aliases, *_script_names(real, is_package, module, roots))
    return SourceFile(path, module or real.stem, is_package, aliases)


def _script_names(
    real: Path, is_package: bool, module: str, roots: Sequence[Path]
) -> tuple[str, ...]:
    """A given folder that is itself a package, holding scripts (`python main.py` puts the
    folder on ``sys.path``): its files are also imported by their names from that folder
    (``nested.to_import``). A one-part name that is a standard library module is left out:
    the program's other imports of it mean the standard library."""
    names: list[str] = []
    for root in roots:
        if not (root / "__init__.py").is_file() or root not in real.parents:
            continue
        rel = list(real.relative_to(root).with_suffix("").parts)
        if is_package:
            rel = rel[:-1]
        name = ".".join(rel)
        if not rel or name == module or not all(part.isidentifier() for part in rel):
            continue
        if len(rel) == 1 and rel[0] in sys.stdlib_module_names:
            continue
        names.append(name)
    return tuple(names)


def _namespace_names(folder: Path, parts: list[str], roots: Sequence[Path]) -> tuple[str, ...]:
    """The names through the folders without ``__init__.py`` above ``folder`` (the first
    folder that is not a regular package), up to the nearest project root marker, or
    else within the given roots: each of them may be a ``sys.path`` entry."""
    names: list[str] = []
    parts = list(parts)
    while folder.parent != folder and not any((folder / m).exists() for m in ROOT_MARKERS):
        if not (_inside(folder.parent, roots) or folder.parent in roots):
            break
        if not folder.name.isidentifier():
            break
        parts.append(folder.name)
        names.append(".".join(reversed(parts)))
        folder = folder.parent
    return tuple(names)


def _src_folder(folder: Path, roots: Sequence[Path]) -> Path | None:
    """The ``src`` folder at or above ``folder``, if it belongs to the project.

    That is below the nearest project root (a folder with ``pyproject.toml``, ``.git``, ...)
    or, where there is none, inside the given roots: ``~/src/tools/x.py`` is not ``tools.x``.
    """
    candidates: list[Path] = []
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            break
        candidates.append(candidate)
    else:
        candidates = [candidate for candidate in candidates if _inside(candidate, roots)]
    for candidate in candidates:
        if candidate.name == "src":
            return candidate
    return None
