"""Speed of converted code: the original and the asyncify-converted version of the same
programs, on the same workloads, in one run.

    python benchmarks/runtime.py [--repeat N] [--only NAME,...] [--json FILE]

The programs are ``benchmarks/workloads/*.py``. Each is copied twice into a temporary
folder; one copy is converted with the installed ``asyncify run`` (``--select files,sleep``
for the file jobs, see docs/files.md "When it runs"). Both are then run as subprocesses,
interleaved (original first in even rounds, converted first in odd ones), ``--repeat``
rounds (default 3); each side's best round counts. Every run must print the same stdout as
the original's first run, and the file jobs must write byte-identical output trees, so the
timing compares equivalent work.

Workloads:

* ``http-one-shot``: 1,000 one-shot ``requests.get`` calls to a loopback threaded
  ``http.server`` started here (``tests/behaviour/http_support.Handler``);
* ``http-session``: 1,000 calls on one ``requests.Session``;
* ``files-json``: 2,000 small JSON files: read, transform, write one output each and a TSV
  report;
* ``files-lines``: 2,000 small text files read line by line, a TSV and a JSON report;
* ``db``: 5,000 psycopg2 queries (2,500 inserts committed in batches of 100, 2,500
  selects) on a fresh table, converted to asyncpg (``$ASYNCIFY_TEST_PG_DSN``).

Reported per workload: the whole process (interpreter start, imports, the work) and the
loop alone (each program writes ``loop-seconds`` to stderr), converted ÷ original.
``--uvloop`` runs the converted programs under uvloop's event loop instead of asyncio's
(the programs themselves are unchanged).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = Path(__file__).resolve().parent / "workloads"
sys.path.insert(0, str(ROOT))

from tests.behaviour.http_support import Handler, Server  # noqa: E402

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
TARGET = 1.2
SIDES = ("original", "converted")


@dataclass
class Context:
    base_url: str
    work: Path
    table: str


@dataclass
class Workload:
    name: str
    script: str
    what: str  # the operations counted, for the table
    ops: int
    args: Callable[[Context], list[str]]
    convert: tuple[str, ...] = ()
    output_dir: bool = False  # the program writes into <work>/<side>-out (compared)


@dataclass
class Run:
    seconds: float
    loop: float


@dataclass
class Result:
    workload: Workload
    runs: dict[str, list[Run]] = field(default_factory=lambda: {s: [] for s in SIDES})

    def best(self, side: str) -> Run:
        runs = self.runs[side]
        return Run(min(r.seconds for r in runs), min(r.loop for r in runs))

    def ratio(self) -> float:
        return self.best("converted").seconds / self.best("original").seconds

    def loop_ratio(self) -> float:
        return self.best("converted").loop / self.best("original").loop


HTTP_CALLS = 1000
FILES = 2000
QUERIES = 5000


def workloads() -> list[Workload]:
    return [
        Workload(
            "http-one-shot",
            "http_oneshot.py",
            "GETs",
            HTTP_CALLS,
            lambda c: [c.base_url, str(HTTP_CALLS)],
        ),
        Workload(
            "http-session",
            "http_session.py",
            "GETs",
            HTTP_CALLS,
            lambda c: [c.base_url, str(HTTP_CALLS)],
        ),
        Workload(
            "files-json",
            "files_json.py",
            "files",
            FILES,
            lambda c: [str(c.work / "inputs-json"), "{out}"],
            ("--select", "files,sleep"),
            output_dir=True,
        ),
        Workload(
            "files-lines",
            "files_lines.py",
            "files",
            FILES,
            lambda c: [str(c.work / "inputs-lines"), "{out}"],
            ("--select", "files,sleep"),
            output_dir=True,
        ),
        Workload("db", "db_queries.py", "queries", QUERIES, lambda c: [str(QUERIES), c.table]),
    ]


WORDS = "async await loop task future event socket file query thread sleep client".split()


def make_inputs(work: Path) -> None:
    """2,000 small JSON records and 2,000 small text files, deterministic."""
    rng = random.Random(8)
    json_dir, lines_dir = work / "inputs-json", work / "inputs-lines"
    json_dir.mkdir()
    lines_dir.mkdir()
    for i in range(FILES):
        record = {
            "id": i,
            "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))),
            "values": [rng.randint(0, 1000) for _ in range(rng.randint(5, 30))],
            "tags": [rng.choice(WORDS) for _ in range(5)],
        }
        (json_dir / f"rec{i:05d}.json").write_text(json.dumps(record), encoding="utf-8")
        text = "\n".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            for _ in range(rng.randint(10, 40))
        )
        (lines_dir / f"doc{i:05d}.txt").write_text(text + "\n", encoding="utf-8")


class BenchHandler(Handler):
    """The behaviour tests' handler, answering each response in one TCP segment.

    ``BaseHTTPRequestHandler`` writes the headers and the body in two unbuffered writes; on
    a keep-alive connection Nagle's algorithm then holds the body until the client's
    delayed ACK (~40 ms per request on Linux), which would swamp the session workload for
    both sides. A buffered ``wfile`` (flushed by ``handle_one_request``) and TCP_NODELAY
    remove that artefact of the server.
    """

    wbufsize = -1
    disable_nagle_algorithm = True


@contextmanager
def http_server() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), BenchHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def asyncify() -> list[str]:
    exe = shutil.which("asyncify", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "asyncify"]


def convert(workload: Workload, folder: Path) -> None:
    target = folder / workload.script
    before = target.read_text()
    done = subprocess.run(
        [*asyncify(), "run", "-q", *workload.convert, str(target)],
        capture_output=True,
        text=True,
        env={**os.environ, "ASYNCIFY_CACHE_DIR": "off"},
    )
    after = target.read_text()
    if done.returncode != 0 or after == before or "async def main" not in after:
        raise SystemExit(f"{workload.name}: conversion failed ({done.returncode}):\n{done.stderr}")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# Runs a converted program under uvloop's event loop (``--uvloop``), unchanged otherwise.
UVLOOP = """
import asyncio, runpy, sys
import uvloop
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
USE_UVLOOP = False

LOOP = re.compile(r"^loop-seconds (\S+)$", re.M)


def run_once(
    workload: Workload, side: str, ctx: Context, scale: bool = True
) -> tuple[Run, str, dict[str, bytes]]:
    out = ctx.work / f"{side}-out"
    shutil.rmtree(out, ignore_errors=True)
    args = [a.replace("{out}", str(out)) for a in workload.args(ctx)]
    if not scale:  # warm-up: a few operations only (imports, .pyc files, connections)
        args = [a if a != str(workload.ops) else "10" for a in args]
    os.sync()  # no writeback of the previous run's files during this one (untimed)
    command = [sys.executable, str(ctx.work / side / workload.script), *args]
    if USE_UVLOOP and side == "converted":
        command[1:1] = ["-c", UVLOOP]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ctx.work, timeout=900)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or "was never awaited" in done.stderr:
        raise SystemExit(f"{workload.name} ({side}) failed:\n{done.stderr[-3000:]}")
    found = LOOP.search(done.stderr)
    if found is None:
        raise SystemExit(f"{workload.name} ({side}): no loop-seconds line:\n{done.stderr}")
    files = snapshot(out) if workload.output_dir else {}
    return Run(seconds, float(found.group(1))), done.stdout, files


def versions() -> str:
    names = ("requests", "httpx", "aiofiles", "psycopg2-binary", "asyncpg")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return f"Python {platform.python_version()}; " + ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per side (best counts)")
    parser.add_argument("--only", help="comma-separated workload names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="run the converted programs under uvloop's event loop (uvloop must be importable)",
    )
    args = parser.parse_args(argv)
    global USE_UVLOOP
    USE_UVLOOP = args.uvloop
    if args.uvloop and importlib.util.find_spec("uvloop") is None:
        parser.error("--uvloop: uvloop is not importable")
    chosen = workloads()
    if args.only:
        names = args.only.split(",")
        unknown = set(names) - {w.name for w in chosen}
        if unknown:
            parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
        chosen = [w for w in chosen if w.name in names]
    os.environ.setdefault("ASYNCIFY_TEST_PG_DSN", DEFAULT_DSN)
    work = Path(tempfile.mkdtemp(prefix="asyncify-runtime-"))
    try:
        for side in SIDES:
            (work / side).mkdir()
            for w in chosen:
                shutil.copy(WORKLOADS / w.script, work / side / w.script)
        for w in chosen:
            convert(w, work / "converted")
        make_inputs(work)
        print(versions())
        if importlib.util.find_spec("sniffio") is None:
            print(
                "sniffio is not installed: httpcore retries `import sniffio` at every lock it"
                " creates (several per request; encode/httpcore#1103). `pip install sniffio`"
                " (or PYTHONPATH) removes that cost from the converted HTTP programs."
            )
        else:
            print("sniffio is installed")
        if args.uvloop:
            print("converted programs run under uvloop's event loop (--uvloop)")
        print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
        with http_server() as base_url:
            ctx = Context(base_url, work, f"asyncify_bench_{os.getpid()}")
            results = [Result(w) for w in chosen]
            expected: dict[str, tuple[str, dict[str, bytes]]] = {}
            for result in results:  # warm-up, untimed
                for side in SIDES:
                    run_once(result.workload, side, ctx, scale=False)
            for round_ in range(args.repeat):
                order = SIDES if round_ % 2 == 0 else SIDES[::-1]
                for result in results:
                    w = result.workload
                    for side in order:
                        run, stdout, files = run_once(w, side, ctx)
                        if w.name not in expected:
                            expected[w.name] = (stdout, files)
                        elif (stdout, files) != expected[w.name]:
                            raise SystemExit(
                                f"{w.name}: {side} output differs from the first run:\n"
                                f"{stdout!r}\nexpected {expected[w.name][0]!r}"
                            )
                        result.runs[side].append(run)
                        print(
                            f"  round {round_ + 1} {w.name:14} {side:9} {run.seconds:7.3f} s"
                            f" (loop {run.loop:7.3f} s)",
                            file=sys.stderr,
                        )
        print(f"load average at end: {os.getloadavg()[0]:.2f}; best of {args.repeat} rounds")
        print_table(results)
        if args.json:
            args.json.write_text(json.dumps(to_json(results), indent=2))
        return 0
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def print_table(results: list[Result]) -> None:
    head = (
        f"{'workload':14} {'work':<14} {'orig s':>7} {'conv s':>7} {'ratio':>6}"
        f" {'loop orig':>9} {'loop conv':>9} {'loop ratio':>10} {'per op orig/conv':>18}  ≤1.2×"
    )
    print(head)
    for r in results:
        w, o, c = r.workload, r.best("original"), r.best("converted")
        per_op = f"{o.loop / w.ops * 1e3:.3f}/{c.loop / w.ops * 1e3:.3f} ms"
        ok = "yes" if r.ratio() <= TARGET else "no"
        print(
            f"{w.name:14} {w.ops:>6} {w.what:<7} {o.seconds:7.3f} {c.seconds:7.3f}"
            f" {r.ratio():6.2f} {o.loop:9.3f} {c.loop:9.3f} {r.loop_ratio():10.2f}"
            f" {per_op:>18}  {ok}"
        )


def to_json(results: list[Result]) -> list[dict[str, object]]:
    return [
        {
            "workload": r.workload.name,
            "ops": r.workload.ops,
            "runs": {s: [run.__dict__ for run in r.runs[s]] for s in SIDES},
            "ratio": r.ratio(),
            "loop_ratio": r.loop_ratio(),
        }
        for r in results
    ]


if __name__ == "__main__":
    raise SystemExit(main())
