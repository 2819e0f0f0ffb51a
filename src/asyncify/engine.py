"""The pipeline: read → index → plan → rewrite → verify (DESIGN.md).

:func:`convert` is the library API the CLI is a thin layer over. It never writes files:
it returns, per file, the new bytes (or why there are none) and the findings.
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import libcst as cst

from asyncify import cache, compat, pytest_config
from asyncify.codemod import Codemod
from asyncify.findings import NOT_AWAITED, SYNTAX_ERROR, UNSTABLE_OUTPUT, Finding
from asyncify.index import ModuleIndex, index_module
from asyncify.options import Options
from asyncify.plan import AsyncPlan, ModulePlan, build_plan, merge_plans
from asyncify.rewrite import rewrite_module
from asyncify.source import Source, SourceError, encode, read_source
from asyncify.sourcefile import SourceFile
from asyncify.style import Style, format_like_project, style_of_folder
from asyncify.todo import add_todo_comments
from asyncify.wrap import wrap_changed

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class FileResult:
    file: SourceFile
    original: bytes
    new: bytes | None  # None: unchanged, or an error
    findings: list[Finding] = field(default_factory=list)
    error: Finding | None = None
    async_functions: int = 0
    # Files of one program call into each other: they are written all or none.
    program: int = 0
    created: bool = False  # a new file (the program's compatibility module)


@dataclass
class ConvertResult:
    plan: AsyncPlan
    files: list[FileResult]


@functools.cache
def all_codemods() -> tuple[type[Codemod], ...]:
    """Every codemod module in ``asyncify.codemods``, in name order (pyupgrade-style)."""
    import asyncify.codemods as package

    found: list[type[Codemod]] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"asyncify.codemods.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Codemod)
                and value.NAME
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return tuple(found)


def codemod_table() -> list[tuple[str, str]]:
    return [(c.NAME, c.DESCRIPTION) for c in all_codemods()]


def enabled_codemods(options: Options) -> tuple[type[Codemod], ...]:
    return tuple(c for c in all_codemods() if options.codemod_enabled(c.NAME))


def _codemods_by_name(names: tuple[str, ...]) -> tuple[type[Codemod], ...]:
    return tuple(c for c in all_codemods() if c.NAME in names)


def plan_for(
    indexes: Sequence[ModuleIndex],
    codemods: Sequence[type[Codemod]],
    options: Options,
    frozen: Iterable[str] = (),
    module_aliases: Mapping[str, str] | None = None,
) -> AsyncPlan:
    apis = [api for c in codemods for api in c.apis_for(options)]
    aliases = {k: v for c in codemods for k, v in c.ALIASES.items()}
    iterates = {k: v for c in codemods for k, v in c.ITERATES.items()}
    fixtures = {k: v for c in codemods for k, v in c.FIXTURES.items()}
    strong = [
        api.name
        for c in codemods
        if options.explicitly_selected(c.NAME)
        for api in c.apis_for(options)
    ]
    plan = build_plan(
        indexes,
        apis,
        aliases,
        iterates,
        strong,
        set(frozen) | options.keep_files,
        audit=options.blocking_audit,
        declined=options.declined,
        keep_sync_api=options.keep_sync_api,
        fixtures=fixtures,
        entry_points=options.entry_points,
        module_aliases=module_aliases,
    )
    owner = {api.name: c.NAME for c in codemods for api in c.apis_for(options)}
    idle = tuple(replace(call, codemod=owner.get(call.api, "")) for call in plan.idle)
    return replace(plan, idle=idle)


# -- per-file work (runs in worker processes with --jobs) -----------------------------
def _index_one(item: tuple[SourceFile, str, str]) -> ModuleIndex | Finding:
    file, path, text = item
    key = (file.module, path, file.is_package, file.is_main, file.local_names, text)
    cached = cache.get("index", key)
    if isinstance(cached, (ModuleIndex, Finding)):
        return cached
    result = _index_uncached(file, path, text)
    cache.put("index", key, result)
    return result


def _index_uncached(file: SourceFile, path: str, text: str) -> ModuleIndex | Finding:
    try:
        return index_module(
            file.module, path, text, file.is_package, file.is_main, dict(file.local_names)
        )
    except SyntaxError as exc:
        line = exc.lineno or 1
        return SYNTAX_ERROR.at(path, line, max((exc.offset or 1) - 1, 0), str(exc.msg))
    except (RecursionError, ValueError) as exc:
        return SYNTAX_ERROR.at(path, 1, 0, type(exc).__name__)


def _rewrite_one(
    item: tuple[str, ModulePlan, tuple[str, ...], str, Options, Style, str],
) -> tuple[str, list[Finding]] | Finding:
    text, plan, names, path, options, style, compat_module = item
    key = (text, plan, names, path, options, style, compat_module)
    cached = cache.get("rewrite", key)
    if not (
        isinstance(cached, Finding)
        or (
            isinstance(cached, tuple)
            and len(cached) == 2
            and isinstance(cached[0], str)
            and isinstance(cached[1], list)
            and all(isinstance(f, Finding) for f in cached[1])
        )
    ):
        cached = _rewrite_uncached(text, plan, names, path, options, style, compat_module)
        cache.put("rewrite", key, cached)
    if style.formatter is not None and not isinstance(cached, Finding) and cached[0] != text:
        # The project's own formatter: run each time (its version and settings are not
        # part of the cache key), on the changed lines only.
        return format_like_project(text, cached[0], path, style), cached[1]
    return cached


def _rewrite_uncached(
    text: str,
    plan: ModulePlan,
    names: tuple[str, ...],
    path: str,
    options: Options,
    style: Style,
    compat_module: str = "",
) -> tuple[str, list[Finding]] | Finding:
    # LibCST recurses several frames per nesting level of code that Python itself (and so
    # the index) accepts at the default limit.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        result = rewrite_module(
            text, plan, _codemods_by_name(names), path, options, style.first_party, compat_module
        )
        if isinstance(result, tuple) and text.endswith(("\r", "\n")):
            # LibCST drops a file's last line ending when it is a lone CR (old Mac style)
            ending = "\r\n" if text.endswith("\r\n") else text[-1]
            if not result[0].endswith(("\r", "\n")):
                result = result[0] + ending, result[1]
        if style.formatter is None and result[0] != text:
            result = wrap_changed(text, result[0], style.line_length), result[1]
        return result
    except cst.ParserSyntaxError as exc:
        return SYNTAX_ERROR.at(path, exc.raw_line, exc.raw_column, exc.message)
    except RecursionError:
        return UNSTABLE_OUTPUT.at(path, 1, 0, "expression nesting too deep")
    except Exception as exc:  # a codemod bug must cost this file, not the whole run
        detail = f"internal error ({type(exc).__name__})"  # str(exc) may be a huge tree
        return UNSTABLE_OUTPUT.at(path, 1, 0, detail)
    finally:
        sys.setrecursionlimit(limit)


class Progress(Protocol):
    """Told how far a long run has got (the CLI draws a bar on a terminal)."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self) -> None: ...


_progress: Progress | None = None
# One pool of worker processes for a whole convert(): started (forked) at the first stage
# that uses it, while this process is still small, and reused by the later stages.
# False: forking failed in this run; the rest of it runs in this process.
_pool: ProcessPoolExecutor | Literal[False] | None = None


def _map(fn: Callable[[T], R], items: Sequence[T], jobs: int, stage: str) -> list[R]:
    global _pool
    if _progress is not None:
        _progress.start(stage, len(items))
    cores = os.cpu_count() or 1
    # More workers than cores, or than a few files each, only costs forks (and memory).
    workers = min(jobs if jobs > 0 else cores, 4 * cores, max(1, len(items) // 4))
    if workers <= 1 or len(items) < 8 or _pool is False:
        return _serial(fn, items)
    results: list[R] = []
    try:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=workers, initializer=_watch_parent, initargs=(os.getpid(),)
            )
        chunk = max(1, len(items) // (workers * 8))
        for result in _pool.map(fn, items, chunksize=chunk):
            results.append(result)
            if _progress is not None:
                _progress.advance()
    except (OSError, BrokenProcessPool):  # a fork failed, or a worker died: go on in here
        _close_pool(wait=False)
        _pool = False
        if _progress is not None:
            _progress.start(stage, len(items))
        return _serial(fn, items)
    return results


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the main process is gone (killed with SIGKILL, it
    cannot shut its workers down), rather than wait for work forever as an orphan."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _serial(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    results: list[R] = []
    for item in items:
        results.append(fn(item))
        if _progress is not None:
            _progress.advance()
    return results


def _close_pool(wait: bool = True) -> None:
    global _pool
    if _pool is not None and _pool is not False:
        _pool.shutdown(wait=wait, cancel_futures=True)
    _pool = None


Outcome = tuple[str, list[Finding]] | Finding


def import_root(file: SourceFile) -> Path:
    """The folder Python would import ``file`` from (its ``sys.path`` entry)."""
    root = file.path.parent
    for _ in range(file.module.count(".") + (1 if file.is_package else 0)):
        root = root.parent
    return root


def module_aliases(files: Iterable[SourceFile]) -> dict[str, str]:
    """Alias -> module name, for the other names files of one program can be imported as
    (namespace packages, see discover.py). A name that is some file's own module name, or
    that two files could be imported as, maps to "": which file it means depends on
    ``sys.path`` at run time, so its calls are reported rather than resolved (AFY112)."""
    files = list(files)
    modules = {file.module for file in files}
    claims: dict[str, set[str]] = {}
    for file in files:
        for alias in file.aliases:
            claims.setdefault(alias, set()).add(file.module)
    return {
        alias: next(iter(owners)) if len(owners) == 1 and not _shadowed(alias, modules) else ""
        for alias, owners in claims.items()
    }


def _shadowed(alias: str, modules: set[str]) -> bool:
    """A module of the program has the alias's name or one of its parents' names (a
    regular module or package wins over a namespace package)."""
    parts = alias.split(".")
    return any(".".join(parts[:i]) in modules for i in range(1, len(parts) + 1))


def programs(
    sources: Sequence[tuple[SourceFile, str, str]],
) -> list[list[tuple[SourceFile, str, str]]]:
    """Split the files into separately planned programs when module names collide.

    Two folders of scripts that each have a ``main.py``: ``main`` means a different module
    in each. If their names from the project root (``a.main``, ``b.main``, namespace
    packages) are distinct, they are one program under those names; otherwise files are
    grouped by import root. Without collisions all files form one program, so that a
    package and the tests or scripts beside it are planned together.
    """
    names = [file.module for file, _, _ in sources]
    if len(set(names)) == len(names):
        return [list(sources)] if sources else []
    # Named from the project root through namespace packages (`a.main`, `b.main`), the
    # files may all be distinct: one program, where each short name is ambiguous (AFY112).
    full = [(f.aliases[-1] if f.aliases else f.module, f, path, text) for f, path, text in sources]
    if len({name for name, *_ in full}) == len(full):
        # A script imports the modules beside it by their short names (sys.path[0]).
        provided: dict[Path, dict[str, str]] = {}
        for name, f, _, _ in full:
            top = f.module.partition(".")[0]
            prefix = name[: len(name) - len(f.module)]
            provided.setdefault(import_root(f), {})[top] = prefix + top
        return [
            [
                (
                    replace(
                        f,
                        module=name,
                        aliases=(f.module, *f.aliases[:-1]),
                        local_names=tuple(sorted(provided[import_root(f)].items())),
                    ),
                    path,
                    text,
                )
                for name, f, path, text in full
            ]
        ]
    groups: dict[Path, list[tuple[SourceFile, str, str]]] = {}
    for item in sources:
        groups.setdefault(import_root(item[0]), []).append(item)
    return [groups[root] for root in sorted(groups)]


def convert_texts(
    sources: Sequence[tuple[SourceFile, str, str]], options: Options
) -> tuple[AsyncPlan, dict[str, Outcome]]:
    """Convert (file, display path, text) triples; returns the plan and per-path outcomes."""
    try:
        plans: list[AsyncPlan] = []
        outcomes: dict[str, Outcome] = {}
        for program in programs(sources):
            plan, done = _convert_program(program, options)
            plans.append(plan)
            outcomes.update(done)
        return merge_plans(plans), outcomes
    finally:
        _close_pool()  # its workers are forked copies of this process as it was then


def _convert_program(
    sources: Sequence[tuple[SourceFile, str, str]], options: Options
) -> tuple[AsyncPlan, dict[str, Outcome]]:
    """Convert one program; if a requests session must stay requests (AFY215), the whole
    program keeps requests and runs its calls in worker threads (``--http-client thread``):
    requests and httpx objects must not meet."""
    where = _compat_location(sources, options)
    compat = where.module if where is not None else ""
    if options.http_client == "thread" or not options.codemod_enabled("http"):
        plan, outcomes = _convert_once(sources, options, compat=compat)
        return plan, _with_compat_module(outcomes, where, sources, options)
    kept: dict[str, list[Finding]] = {}
    plan, outcomes = _convert_once(sources, options, kept, compat)
    if not kept:
        return plan, _with_compat_module(outcomes, where, sources, options)
    options = replace(options, http_client="thread")
    plan, outcomes = _convert_once(sources, options, compat=compat)
    outcomes = _with_compat_module(outcomes, where, sources, options)
    for path, findings in kept.items():
        outcome = outcomes.get(path)
        if findings and outcome is not None and not isinstance(outcome, Finding):
            outcomes[path] = (outcome[0], sorted({*outcome[1], *findings}))
        elif findings and outcome is None:  # a file the second run leaves unchanged
            text = next(t for _, p, t in sources if p == path)
            outcomes[path] = (text, findings)
    return plan, outcomes


def _compat_location(
    sources: Sequence[tuple[SourceFile, str, str]], options: Options
) -> compat.Location | None:
    """Where the program's compatibility module goes (compat.py); None: none is used."""
    # httpx2: the compatibility module's HTTP helpers are written for httpx; inline ones
    # follow the target.
    if not options.compat_module or options.http_client == "httpx2" or not sources:
        return None
    files = [file for file, _, _ in sources]
    roots = {import_root(file) for file in files}
    root = min(roots, key=lambda p: len(p.parts))
    where = compat.location(
        ((f.module, f.path, f.is_package) for f in files), root, options.compat_module
    )
    ours = {f.path for f in files if f.module == where.module}
    if ours:  # the program has a module of that name: only asyncify's own may be reused
        path = next(iter(ours))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if compat.MARKER not in text.split("\n", 1)[0]:
            return None
    return where


def _with_compat_module(
    outcomes: dict[str, Outcome],
    where: compat.Location | None,
    sources: Sequence[tuple[SourceFile, str, str]],
    options: Options,
) -> dict[str, Outcome]:
    """``outcomes`` and, when the converted files import helpers from it, the program's
    compatibility module (new, or given the helpers it lacks)."""
    if where is None:
        return outcomes
    names: set[str] = set()
    for outcome in outcomes.values():
        if not isinstance(outcome, Finding):
            names |= compat.needed(outcome[0], where.module)
    if not names:
        return outcomes
    display = SourceFile(where.path, where.module).display
    existing = next((t for f, p, t in sources if f.module == where.module), None)
    if existing is None and where.path.exists():
        return outcomes  # a file the run was not given: never overwritten
    text = compat.module_text(existing, names, compat.helper_table(options))
    if text is None:
        return outcomes
    style = _styles([(SourceFile(where.path, where.module), display, text)])[display]
    text = format_like_project(existing or "", text, display, style)
    previous = outcomes.get(display)
    findings = list(previous[1]) if isinstance(previous, tuple) else []
    return {**outcomes, display: (text, findings)}


# Findings of the http codemod that keep a requests session (and so the program's requests),
# reported with the run that keeps requests everywhere.
# A test's requests mock (responses, requests_mock) that has no respx counterpart (AFY904)
# would stop mocking converted code: the program keeps requests, where the mock applies.
KEEPS_REQUESTS = frozenset({"AFY215", "AFY236", "AFY240", "AFY904"})


def _convert_once(
    sources: Sequence[tuple[SourceFile, str, str]],
    options: Options,
    kept: dict[str, list[Finding]] | None = None,
    compat: str = "",
) -> tuple[AsyncPlan, dict[str, Outcome]]:
    """Convert one program.

    A file whose output does not parse, or changes again on a second run, is left as it
    was and reported; its module is then *frozen* (kept synchronous) and the plan redone,
    so that no other file awaits a function that stayed synchronous.

    With ``kept``: if the first rewrite keeps a requests session (KEEPS_REQUESTS), those
    findings go there by path and the conversion stops (the caller converts again).
    """
    codemods = enabled_codemods(options)
    names = tuple(c.NAME for c in codemods)
    outcomes: dict[str, tuple[str, list[Finding]] | Finding] = {}
    indexed = _map(_index_one, list(sources), options.jobs, "analysing")
    indexes: list[ModuleIndex] = []
    for (_, path, _), result in zip(sources, indexed, strict=True):
        if isinstance(result, Finding):
            outcomes[path] = result
        else:
            indexes.append(result)
    texts = {path: text for _, path, text in sources}
    frozen = {path for path in options.keep_files if path in texts}
    aliases = module_aliases(file for file, _, _ in sources)
    local_names = {path: dict(file.local_names) for file, path, _ in sources if file.local_names}
    styles = _styles(sources)
    for _ in range(5):
        plan = plan_for(indexes, codemods, options, frozen, aliases)
        todo = [
            i
            for i in indexes
            if i.path not in frozen
            and (plan.modules[i.module].changes_anything or plan.modules[i.module].findings)
        ]
        if kept is not None:
            # Files that use requests first: if one keeps a session, the rest is not needed.
            todo.sort(key=lambda i: "requests" not in texts[i.path])
        work = [
            (texts[i.path], plan.modules[i.module], names, i.path, options, styles[i.path], compat)
            for i in todo
        ]
        first = sum("requests" in texts[i.path] for i in todo) if kept is not None else 0
        rewritten = _map(_rewrite_one, work[:first], options.jobs, "rewriting")
        if kept is not None:
            for index, outcome in zip(todo[:first], rewritten, strict=True):
                found = [] if isinstance(outcome, Finding) else outcome[1]
                if any(f.code in KEEPS_REQUESTS for f in found):
                    kept[index.path] = [f for f in found if f.code in KEEPS_REQUESTS]
            if kept:
                return plan, outcomes
            kept = None
        rewritten += _map(_rewrite_one, work[first:], options.jobs, "rewriting")
        failed = _verify(
            todo,
            rewritten,
            indexes,
            codemods,
            options,
            texts,
            names,
            frozen,
            aliases,
            local_names,
            plan,
            styles,
            compat,
        )
        for index, outcome in zip(todo, rewritten, strict=True):
            outcomes[index.path] = failed.get(index.path, outcome)
        if not failed:
            return plan, outcomes
        frozen.update(failed)
        for path in failed:
            outcomes[path] = failed[path]
        outcomes = {p: o for p, o in outcomes.items() if isinstance(o, Finding)}
    return plan, outcomes


def _styles(sources: Sequence[tuple[SourceFile, str, str]]) -> dict[str, Style]:
    """Each file's formatting (style.py), with the program's top-level module names as
    isort's first-party section."""
    first_party = frozenset(
        name.split(".")[0]
        for file, _, _ in sources
        for name in (file.module, *file.aliases, *(m for _, m in file.local_names))
        if name
    )
    out: dict[str, Style] = {}
    for file, path, _ in sources:
        try:
            folder = file.path.resolve().parent
        except OSError:
            folder = Path(file.path).parent
        out[path] = replace(style_of_folder(folder), first_party=first_party)
    return out


def _verify(
    todo: Sequence[ModuleIndex],
    rewritten: Sequence[tuple[str, list[Finding]] | Finding],
    indexes: Sequence[ModuleIndex],
    codemods: Sequence[type[Codemod]],
    options: Options,
    texts: dict[str, str],
    names: tuple[str, ...],
    frozen: set[str],
    aliases: Mapping[str, str],
    local_names: Mapping[str, Mapping[str, str]],
    first: AsyncPlan,
    styles: Mapping[str, Style],
    compat: str = "",
) -> dict[str, Finding]:
    """Outputs must parse, a second run over the converted program must change nothing,
    and no function this run made async may be called there without `await` (the file
    defining it is then left unchanged: AFY140)."""
    failed: dict[str, Finding] = {}
    new_texts: dict[str, str] = {}
    for index, result in zip(todo, rewritten, strict=True):
        if isinstance(result, Finding):
            failed[index.path] = result
            continue
        new_text = result[0]
        if new_text == texts[index.path]:
            continue
        problem = _compile_error(new_text, index.path)
        if problem is not None and _compile_error(texts[index.path], index.path) is None:
            failed[index.path] = UNSTABLE_OUTPUT.at(
                index.path, problem[0], 0, f"output does not compile: {problem[1]}"
            )
            continue
        new_texts[index.path] = new_text
    if not new_texts:
        return failed
    by_path = {i.path: i for i in indexes}
    second: list[ModuleIndex] = []
    for index in indexes:
        if index.path in failed:
            continue
        if index.path in new_texts:
            second.append(
                index_module(
                    index.module,
                    index.path,
                    new_texts[index.path],
                    index.is_package,
                    index.is_main,
                    local_names.get(index.path),
                )
            )
        else:
            second.append(by_path[index.path])
    plan = plan_for(second, codemods, options, frozen | set(failed), aliases)
    became = first.async_functions
    for path, line, col, callee, callee_path in plan.unawaited:
        if callee in became and callee_path not in failed:
            failed[callee_path] = NOT_AWAITED.at(
                path, line, col, f"`{first.label(callee)}` ({callee_path} left unchanged)"
            )
    for index in second:
        if index.path not in new_texts:
            continue
        mplan = plan.modules[index.module]
        if not mplan.changes_anything:
            continue
        again = _rewrite_one(
            (new_texts[index.path], mplan, names, index.path, options, styles[index.path], compat)
        )
        if isinstance(again, Finding) or again[0] != new_texts[index.path]:
            failed[index.path] = UNSTABLE_OUTPUT.at(
                index.path, 1, 0, "a second run would change it again"
            )
    return failed


def _compile_error(text: str, path: str) -> tuple[int, str] | None:
    """(line, message) if Python would not compile ``text``; compiling, not just parsing,
    also rejects `await` outside an async function, `yield` in an async comprehension..."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escapes the input had already
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg
    except ValueError as exc:  # e.g. a NUL byte
        return 1, str(exc)
    return None


def convert(
    files: Sequence[SourceFile],
    options: Options,
    progress: Progress | None = None,
    roots: Sequence[Path] | None = None,
) -> ConvertResult:
    """Convert files; never writes. Unreadable files become errors, the rest go on.

    ``roots``: the paths the user gave; a file other than those found in them (the pytest
    configuration) is changed only inside them or their repository.
    """
    global _progress
    _progress = progress
    try:
        return _convert(files, options, roots)
    finally:
        _progress = None
        _close_pool()


def _convert(
    files: Sequence[SourceFile], options: Options, roots: Sequence[Path] | None = None
) -> ConvertResult:
    read: list[tuple[SourceFile, Source]] = []
    results: dict[SourceFile, FileResult] = {}
    for file in files:
        try:
            source = read_source(file.path)
        except SourceError as exc:
            results[file] = FileResult(file, b"", None, error=exc.finding)
            continue
        read.append((file, source))
    texts = {f.display: s.text for f, s in read}
    plan, outcomes = convert_texts([(f, f.display, texts[f.display]) for f, _ in read], options)
    if options.todo_comments:
        # Put the TODOs into the sources, then convert those (positions stay right).
        encodings = {f.display: s.encoding for f, s in read}
        for path, done in outcomes.items():
            if not isinstance(done, Finding):
                texts[path] = add_todo_comments(texts[path], done[1], encodings[path])
        plan, outcomes = convert_texts([(f, f.display, texts[f.display]) for f, _ in read], options)
    program_of = {
        path: number
        for number, group in enumerate(programs([(f, f.display, "") for f, _ in read]))
        for _, path, _ in group
    }
    unencodable: set[int] = set()
    for file, source in read:
        outcome = outcomes.get(file.display)
        result = FileResult(file, source.data, None, program=program_of.get(file.display, 0))
        if isinstance(outcome, Finding):
            result.error = outcome
        elif outcome is not None:
            new_text, findings = outcome
            result.findings = sorted(set(findings))
            if new_text != source.text:  # converted, or only TODO comments added
                try:
                    result.new = encode(new_text, source)
                except UnicodeEncodeError:
                    result.error = UNSTABLE_OUTPUT.at(
                        file.display, 1, 0, f"the output cannot be encoded as {source.encoding}"
                    )
                    unencodable.add(result.program)
            mplan = plan.by_path.get(file.display)
            result.async_functions = len(mplan.async_functions) if mplan and result.new else 0
        results[file] = result
    ordered = [results[f] for f in files]
    ordered += _created(outcomes, texts, ordered)
    for result in ordered:  # the program's other files await what that file defines
        if result.program in unencodable and result.error is None and result.new is not None:
            result.error = UNSTABLE_OUTPUT.at(
                result.file.display, 1, 0, "another file of its program cannot be encoded"
            )
            result.new = None
    return ConvertResult(plan, ordered + _pytest_setting(ordered, plan, options, roots))


def _created(
    outcomes: Mapping[str, Outcome], texts: Mapping[str, str], results: Sequence[FileResult]
) -> list[FileResult]:
    """Files the conversion creates (a program's compatibility module), in the program
    of the files nearest to them."""
    out = []
    for display, outcome in outcomes.items():
        if display in texts or isinstance(outcome, Finding):
            continue
        path = Path(display)
        here = path.resolve().parent
        nearest = max(
            results,
            key=lambda r: len(os.path.commonpath([str(here), str(r.file.path.resolve().parent)])),
            default=None,
        )
        result = FileResult(
            SourceFile(path, path.stem),
            b"",
            outcome[0].encode("utf-8"),
            findings=sorted(set(outcome[1])),
            program=nearest.program if nearest is not None else 0,
            created=True,
        )
        out.append(result)
    return out


def _pytest_setting(
    results: Sequence[FileResult],
    plan: AsyncPlan,
    options: Options,
    roots: Sequence[Path] | None = None,
) -> list[FileResult]:
    """Tests made async for pytest-asyncio: its setting in the project's pytest config
    (:mod:`asyncify.pytest_config`), as one more changed file, or a note on a test file."""
    tests = []
    for result in results:
        mplan = plan.by_path.get(result.file.display)
        if result.new is not None and mplan and (mplan.pytest_tests or mplan.async_fixtures):
            tests.append(result)
    edit = pytest_config.plan_edit([r.file.path for r in tests], roots)
    if isinstance(edit, Finding):
        tests[0].findings = sorted({*tests[0].findings, edit})
        return []
    if edit is None:
        return []
    config = SourceFile(edit.path, "")
    if config.display in options.keep_files:
        return []
    return [FileResult(config, edit.original, edit.new, program=tests[0].program)]


def iter_findings(results: Iterable[FileResult]) -> list[Finding]:
    return sorted(f for r in results for f in r.findings)
