"""The ``asyncify`` command: a thin Typer layer over :func:`asyncify.engine.convert`.

Exit codes: 0 success; 1 ``check`` found pending changes or findings; 2 usage error, or
some file could not be processed (every other file still is; ``run`` writes the files of a
program all or none, so the other programs).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from asyncify import __version__
from asyncify.config import ConfigError, load_config, merge, split_names
from asyncify.discover import PatternError, discover
from asyncify.findings import CODES, READ_ERROR, Finding
from asyncify.options import TARGET_OPTIONS, Options
from asyncify.report import Command, Format, Report, render_list
from asyncify.scripts import entry_points
from asyncify.source import WriteRefused, finish_writes, remove_stale_temps, write_files
from asyncify.sourcefile import SourceFile

if TYPE_CHECKING:
    from asyncify.engine import ConvertResult, FileResult

app = typer.Typer(
    name="asyncify",
    help="Rewrite synchronous Python (requests, open(), psycopg2, time.sleep) into asyncio code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Paths = Annotated[list[Path], typer.Argument(help="Python files and folders.", show_default=False)]
Select = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        metavar="CODEMOD",
        help="Run only these codemods (repeatable, or comma-separated).",
        show_default=False,
    ),
]
Ignore = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        metavar="CODEMOD",
        help="Do not run these codemods (repeatable, or comma-separated).",
        show_default=False,
    ),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        metavar="GLOB",
        help="Skip paths matching this gitignore-style pattern (repeatable).",
        show_default=False,
    ),
]
OutputFormat = Annotated[
    Format,
    typer.Option(
        "--format",
        help="Output format (html: the migration report page; dot, mermaid: `plan` only).",
    ),
]
Baseline = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="FILE",
        help="An earlier `asyncify report --format json` output: show progress since then.",
        show_default=False,
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", min=0, help="Worker processes (0: one per core).", show_default=False
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Read [tool.asyncify] from FILE instead of the nearest pyproject.toml.",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
NoColor = Annotated[bool, typer.Option("--no-color", help="Never color the output.")]
TodoComments = Annotated[
    bool | None,
    typer.Option(
        "--todo-comments/--no-todo-comments",
        help="Put a '# TODO(asyncify AFYnnn): ...' comment at each finding.",
        show_default=False,
    ),
]


OutputFile = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the diff, plan, JSON or SARIF to FILE instead of stdout.",
        show_default=False,
    ),
]
ExitZero = Annotated[
    bool,
    typer.Option("--exit-zero", help="Exit 0 even if `check` finds work (errors still exit 2)."),
]


ToThread = Annotated[
    bool | None,
    typer.Option(
        "--to-thread/--no-to-thread",
        help="Run blocking calls that have no async library in asyncio.to_thread "
        "(default), or leave them blocking with a finding.",
        show_default=False,
    ),
]
KeepSyncApi = Annotated[
    bool | None,
    typer.Option(
        "--keep-sync-api/--no-keep-sync-api",
        help="Keep every public function that becomes async callable synchronously under "
        "its old name (a wrapper); the async version is named <name>_async.",
        show_default=False,
    ),
]
BlockingAudit = Annotated[
    bool,
    typer.Option(
        "--blocking",
        help="Also report every blocking call reachable from async code (AFY120), "
        "across modules and through helpers, methods and attributes.",
    ),
]


class HttpClientChoice(str, Enum):
    """What requests code becomes (the ``http`` codemod's target library)."""

    HTTPX = "httpx"
    AIOHTTP = "aiohttp"
    THREAD = "thread"
    HTTPX2 = "httpx2"


HttpClient = Annotated[
    HttpClientChoice | None,
    typer.Option(
        "--http-client",
        help="What requests code becomes: httpx.AsyncClient (default), aiohttp.ClientSession, "
        "thread (requests stays; its calls run in asyncio.to_thread) or httpx2.AsyncClient.",
        show_default=False,
    ),
]


class DbClientChoice(str, Enum):
    """What psycopg2 code becomes (the ``db`` codemod's target library)."""

    ASYNCPG = "asyncpg"
    PSYCOPG = "psycopg"


DbClient = Annotated[
    DbClientChoice | None,
    typer.Option(
        "--db-client",
        help="What psycopg2 code becomes: asyncpg (default) or psycopg (psycopg 3's "
        "AsyncConnection, same placeholders, cursors and transactions).",
        show_default=False,
    ),
]


class SqliteClientChoice(str, Enum):
    """What sqlite3 code becomes (a target of the ``blocking`` codemod)."""

    THREAD = "thread"
    AIOSQLITE = "aiosqlite"


SqliteClient = Annotated[
    SqliteClientChoice | None,
    typer.Option(
        "--sqlite-client",
        help="What sqlite3 code becomes: thread (default; each call in asyncio.to_thread) or "
        "aiosqlite (for connections made and used within one function).",
        show_default=False,
    ),
]


class UsageError(Exception):
    """A bad option or configuration: exit 2 with a one-line message."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"asyncify {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Turn synchronous Python into asyncio code that behaves the same."""


@app.command()
def run(
    paths: Paths,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write nothing; print the diff (same as `diff`).")
    ] = False,
    select: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    format: OutputFormat = Format.TEXT,
    jobs: Jobs = None,
    config: ConfigFile = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
    todo_comments: TodoComments = None,
    output: OutputFile = None,
    exit_zero: ExitZero = False,
    to_thread: ToThread = None,
    keep_sync_api: KeepSyncApi = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Review each hunk and apply only the accepted ones; a rejected change keeps "
            "its functions (and the callers that only awaited them) synchronous.",
        ),
    ] = False,
    http_client: HttpClient = None,
    db_client: DbClient = None,
    sqlite_client: SqliteClient = None,
) -> None:
    """Rewrite files in place."""
    arguments = dict(locals())
    _execute(Command.DIFF if arguments.pop("dry_run") else Command.RUN, **arguments)


@app.command()
def diff(
    paths: Paths,
    select: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    format: OutputFormat = Format.TEXT,
    jobs: Jobs = None,
    config: ConfigFile = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
    todo_comments: TodoComments = None,
    output: OutputFile = None,
    exit_zero: ExitZero = False,
    to_thread: ToThread = None,
    keep_sync_api: KeepSyncApi = None,
    http_client: HttpClient = None,
    db_client: DbClient = None,
    sqlite_client: SqliteClient = None,
) -> None:
    """Print a unified diff of the conversion; write nothing."""
    _execute(Command.DIFF, **locals())


@app.command()
def check(
    paths: Paths,
    select: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    format: OutputFormat = Format.TEXT,
    jobs: Jobs = None,
    config: ConfigFile = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
    todo_comments: TodoComments = None,
    output: OutputFile = None,
    exit_zero: ExitZero = False,
    to_thread: ToThread = None,
    keep_sync_api: KeepSyncApi = None,
    http_client: HttpClient = None,
    db_client: DbClient = None,
    sqlite_client: SqliteClient = None,
    blocking: BlockingAudit = False,
) -> None:
    """Write nothing; exit 1 if anything would change or needs review."""
    _execute(Command.CHECK, **locals())


@app.command()
def plan(
    paths: Paths,
    select: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    format: OutputFormat = Format.TEXT,
    jobs: Jobs = None,
    config: ConfigFile = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
    todo_comments: TodoComments = None,
    output: OutputFile = None,
    exit_zero: ExitZero = False,
    to_thread: ToThread = None,
    keep_sync_api: KeepSyncApi = None,
    http_client: HttpClient = None,
    db_client: DbClient = None,
    sqlite_client: SqliteClient = None,
) -> None:
    """Show which functions become async, and the call chain that forces each."""
    _execute(Command.PLAN, **locals())


@app.command()
def report(
    paths: Paths,
    select: Select = None,
    ignore: Ignore = None,
    exclude: Exclude = None,
    format: OutputFormat = Format.HTML,
    jobs: Jobs = None,
    config: ConfigFile = None,
    quiet: Quiet = False,
    no_color: NoColor = False,
    todo_comments: TodoComments = None,
    output: OutputFile = None,
    exit_zero: ExitZero = False,
    to_thread: ToThread = None,
    keep_sync_api: KeepSyncApi = None,
    http_client: HttpClient = None,
    db_client: DbClient = None,
    sqlite_client: SqliteClient = None,
    baseline: Baseline = None,
) -> None:
    """The migration report: one HTML page (or --format json) with the summary, the
    blockers by weight, the call graph and the diffs; write nothing."""
    _execute(Command.REPORT, **locals())


@app.command("list")
def list_() -> None:
    """List the codemods and the diagnostic codes, one line each."""
    from asyncify.engine import codemod_table

    targets = [
        (
            f"--{target.key}={value}",
            f"{target.codemod}: {becomes} ({why}){' [default]' if i == 0 else ''}",
        )
        for target in TARGET_OPTIONS
        for i, (value, becomes, why) in enumerate(target.choices)
    ]
    for line in render_list(codemod_table(), targets):
        typer.echo(line)


@app.command()
def explain(
    code: Annotated[
        str,
        typer.Argument(metavar="AFYnnn", help="A finding code, e.g. AFY101.", show_default=False),
    ],
) -> None:
    """Explain a finding code: what it means, why, and a before/after of the fix."""
    from asyncify.engine import codemod_table

    codemod_table()  # importing every codemod declares its codes
    found = CODES.get(code.strip().upper())
    if found is None:
        typer.echo(f"Error: unknown finding code {code!r} (see `asyncify list`)", err=True)
        raise typer.Exit(2)
    typer.echo(found.explain(), nl=False)


def _execute(
    command: Command,
    *,
    paths: list[Path],
    select: list[str] | None,
    ignore: list[str] | None,
    exclude: list[str] | None,
    format: Format,
    jobs: int | None,
    config: Path | None,
    quiet: bool,
    no_color: bool,
    todo_comments: bool | None,
    output: Path | None,
    exit_zero: bool,
    to_thread: bool | None,
    keep_sync_api: bool | None,
    http_client: HttpClientChoice | None,
    db_client: DbClientChoice | None,
    sqlite_client: SqliteClientChoice | None,
    blocking: bool = False,
    interactive: bool = False,
    baseline: Path | None = None,
) -> None:
    try:
        if interactive and (command is not Command.RUN or format is not Format.TEXT):
            raise UsageError("--interactive works with `run` and --format text only")
        if format in (Format.DOT, Format.MERMAID) and command is not Command.PLAN:
            raise UsageError(f"--format {format.value} works with `plan` only")
        if command is Command.REPORT and format not in (Format.HTML, Format.JSON):
            raise UsageError("`report` writes --format html (default) or json")
        earlier = _load_baseline(baseline) if baseline is not None else None
        settings = load_config(paths, config)
        options = merge(
            settings,
            select=split_names(select),
            ignore=split_names(ignore),
            exclude=exclude or None,
            jobs=jobs,
            todo_comments=todo_comments,
            to_thread=to_thread,
            keep_sync_api=keep_sync_api,
            http_client=http_client.value if http_client is not None else None,
            db_client=db_client.value if db_client is not None else None,
            sqlite_client=sqlite_client.value if sqlite_client is not None else None,
        )
        options = replace(options, blocking_audit=blocking, entry_points=entry_points(paths))
        _check_codemods(options)
    except (ConfigError, UsageError) as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None

    from asyncify.engine import convert  # the engine loads LibCST: not needed for --help

    try:
        files, problems = discover(paths, options.exclude, base=settings.root)
    except PatternError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None
    _check_output(output, [file.path for file in files])
    if command is Command.RUN:  # a run killed while writing is finished first
        folders = {file.path.resolve().parent for file in files}
        with _signals_deferred():
            finished = finish_writes(folders, [file.path for file in files])
            remove_stale_temps(folders)
        if finished:
            typer.echo(
                f"asyncify: finished writing {len(finished)} file(s) that a killed run left "
                "half done",
                err=True,
            )
    bar = _Bar(len(files)) if format is Format.TEXT and not quiet and sys.stderr.isatty() else None
    try:
        if interactive:
            # Hunks are accepted one by one: each module keeps its own helpers, so no hunk
            # depends on a compatibility module that might be rejected.
            options = replace(options, compat_module="")
            reviewed = _review(files, options, color=not no_color and sys.stdout.isatty())
            if reviewed is None:
                typer.echo("asyncify: review stopped; nothing was written", err=True)
                raise typer.Exit(0)
            result = reviewed
        else:
            result = convert(files, options, progress=bar, roots=paths)
    except typer.Exit:
        raise
    except Exception as error:  # a bug: say so, and do not exit 1 ("changes pending")
        traceback.print_exc(limit=20)
        typer.echo(
            f"asyncify {__version__}: internal error: {type(error).__name__}: "
            f"{str(error)[:300]}; "
            "no file was written. Please report this with the traceback above.",
            err=True,
        )
        raise typer.Exit(2) from None
    finally:
        if bar is not None:
            bar.close()
    _check_output(output, [outcome.file.path for outcome in result.files])
    color = format is Format.TEXT and not no_color and output is None and sys.stdout.isatty()
    report = Report(
        command,
        format,
        quiet=quiet,
        color=color,
        plan=result.plan,
        paths=tuple(str(path) for path in paths),
        pre_commit=os.environ.get("PRE_COMMIT") == "1",
        baseline=earlier,
    )
    report.title = "asyncify migration report: " + " ".join(str(p) for p in paths)
    for problem in problems:
        report.add_error(problem)
    # Files call into each other: an interrupt while writing would leave callers awaiting
    # functions whose file was not written yet. SIGINT/SIGTERM wait until all are written,
    # and the files of one program are written all or none.
    failures: dict[int, Finding] = {}
    with _signals_deferred() as interrupted:
        if command is Command.RUN:
            failures = _write_programs(result.files)
        written = [
            o.file.display
            for i, o in enumerate(result.files)
            if command is Command.RUN and o.error is None and o.new is not None
            and i not in failures
        ]
        if interrupted():
            typer.echo(
                f"asyncify: interrupted while writing; the write finished first: "
                f"{len(written)} file{'s' if len(written) != 1 else ''} written"
                + (f" ({', '.join(written[:10])}" if written else "")
                + (f" and {len(written) - 10} more" if len(written) > 10 else "")
                + (")" if written else ""),
                err=True,
            )
    for number, outcome in enumerate(result.files):
        if command is Command.RUN and outcome.error is None and outcome.new is not None:
            failure = failures.get(number)
            report.add(outcome, written=failure is None, error=failure)
        else:
            report.add(outcome)
    if output is None:
        try:
            report.emit()
            sys.stdout.flush()
        except OSError as error:
            _stdout_failed(error)
    else:
        try:
            with output.open("w", encoding="utf-8", newline="") as stream:
                report.emit(stdout=stream)
        except OSError as error:
            typer.echo(f"Error: cannot write {output}: {error.strerror or error}", err=True)
            raise typer.Exit(2) from None
    code = report.exit_code
    raise typer.Exit(0 if exit_zero and code == 1 else code)


def _review(files: Sequence[SourceFile], options: Options, color: bool) -> ConvertResult | None:
    """``run --interactive``: hunks go to stdout, answers come from stdin; None: quit."""
    from asyncify.engine import convert
    from asyncify.review import Quit, Review

    def ask(prompt: str) -> str:
        sys.stdout.write(prompt)
        sys.stdout.flush()
        return sys.stdin.readline()

    try:
        return Review(convert, ask, sys.stdout, color).run(files, options)
    except (Quit, KeyboardInterrupt):
        return None


class _Bar:
    """A transient progress bar on stderr, shown only once a run has taken a second.

    One bar for the whole run, which never goes back: each file is analysed and then
    rewritten (or found unchanged), so the run is ``2 * files`` steps; the stage's name is
    the label. Stages restart for each program of a folder of scripts, and a program may be
    planned again (a file left unchanged, requests kept): those steps count too, and the bar
    stops just short of the end until the run is done, rather than jump back to 0%.
    """

    def __init__(self, files: int) -> None:
        self.after = float(os.environ.get("ASYNCIFY_PROGRESS_AFTER", "1"))
        self.began = time.monotonic()
        self.stage = ""
        self.total = max(2 * files, 1)
        self.done = 0
        self.shown: list[int] = []  # what the bar showed, in order (tests)
        self.bar: Any = None
        self.task: Any = None

    def start(self, stage: str, total: int) -> None:
        self.stage = stage
        if self.bar is not None:
            self.bar.update(self.task, description=stage)

    def advance(self) -> None:
        self.done = min(self.done + 1, self.total - 1)
        if self.bar is None and time.monotonic() - self.began > self.after:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.stage, total=self.total)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)
            self.shown.append(self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[Callable[[], bool]]:
    """Hold SIGINT/SIGTERM back; yields a test of whether one arrived meanwhile."""
    signals = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield lambda: False
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield lambda: bool(signal.sigpending() & signals)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so worker processes are shut down, not orphaned."""
    raise SystemExit(128 + signum)


def _load_baseline(path: Path) -> dict[str, Any]:
    """``--baseline``: an earlier ``asyncify report --format json`` document."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read --baseline {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UsageError(f"--baseline {path} is not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("migration"), dict):
        raise UsageError(
            f"--baseline {path} is not an `asyncify report --format json` document "
            "(it has no `migration` section)"
        )
    return data


def _check_codemods(options: Options) -> None:
    from asyncify.engine import codemod_table

    known = {name for name, _ in codemod_table()}
    unknown = sorted((options.select | options.ignore) - known)
    if unknown:
        raise UsageError(
            f"unknown codemod {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(known)) or 'none'} (see `asyncify list`)"
        )


def _stdout_failed(error: OSError) -> None:
    """stdout closed early (``asyncify diff . | head``) or its disk full: one line, exit 2."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail too
    os.close(devnull)
    if not isinstance(error, BrokenPipeError):
        typer.echo(f"Error: cannot write the output: {error.strerror or error}", err=True)
    raise typer.Exit(2)


def _check_output(output: Path | None, files: Sequence[Path]) -> None:
    """``--output`` must not name a file being converted (exit 2, nothing written)."""
    if output is None:
        return
    target = os.path.realpath(output)
    for path in files:
        same = os.path.realpath(path) == target
        with contextlib.suppress(OSError):  # another hard link to the same file
            same = same or os.path.samefile(path, output)
        if same:
            typer.echo(f"Error: --output {output} is one of the files being converted", err=True)
            raise typer.Exit(2)


def _write_programs(files: Sequence[FileResult]) -> dict[int, Finding]:
    """Write the converted files, each program's all or none; the failures by position."""
    groups: dict[int, list[int]] = {}
    for number, outcome in enumerate(files):
        if outcome.error is None and outcome.new is not None:
            groups.setdefault(outcome.program, []).append(number)
    remove_stale_temps({files[i].file.path.resolve().parent for g in groups.values() for i in g})
    failures: dict[int, Finding] = {}
    for numbers in groups.values():
        items = [(files[i].file.path, files[i].original, files[i].new or b"") for i in numbers]
        try:
            write_files(items)
        except WriteRefused as error:
            culprit = next(
                (i for i in numbers if files[i].file.path == error.path), numbers[0]
            )
            shown = files[culprit].file.display
            for i in numbers:
                detail = (
                    error.reason
                    if i == culprit
                    else f"not written: {shown} could not be written ({error.reason}), "
                    "and the files of a program are written all or none"
                )
                failures[i] = READ_ERROR.at(files[i].file.display, 1, 0, detail)
    return failures


def main(argv: Sequence[str] | None = None) -> None:
    """The console script ``asyncify``."""
    signal.signal(signal.SIGTERM, _terminate)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Plans and descriptions contain arrows; never crash on a narrow terminal encoding.
        sys.stdout.reconfigure(errors="backslashreplace")
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        code = app(args=args, prog_name="asyncify", standalone_mode=False)
    except Exception as error:
        # Click's exceptions (vendored by some Typer releases): known by what they carry.
        names = {cls.__name__ for cls in type(error).__mro__}
        if "ClickException" not in names:
            raise
        message = str(error.format_message())  # type: ignore[attr-defined]
        if "NoArgsIsHelpError" in names:  # `asyncify` alone: the help, as before
            typer.echo(message, err=True)
        elif "UsageError" in names:  # one line, not a box (exit 2 stays)
            ctx = getattr(error, "ctx", None)
            command = ctx.command_path if ctx is not None else "asyncify"
            typer.echo(f"Error: {message} (see '{command} --help')", err=True)
        else:
            typer.echo(f"Error: {message}", err=True)
        sys.exit(int(getattr(error, "exit_code", 2)))
    except typer.Abort:
        typer.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
