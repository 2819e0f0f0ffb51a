"""Speed and memory of asyncify against the floor of its own technology, in one run.

    python benchmarks/bench.py [--cache DIR] [--projects a,b] [--no-peer]

On the pinned corpus of ``benchmarks/corpus.py`` plus larger pinned projects (to pass
100k lines), all measured in this one run on this machine state (report ratios, not
seconds alone; the machine may be shared):

* **floor**: LibCST ``parse_module`` + ``.code`` of every file, one process;
* ``asyncify run --jobs 1`` and ``--jobs 2`` on fresh copies;
* ``asyncify check`` on the already converted tree, cold (empty cache) and warm;
* the peer tool ``asyncify-codemod`` 0.5.0 in its own venv, on a fresh copy (crashes noted).

Each command runs as a subprocess; its peak memory is the largest resident set of it and
its workers (``RUSAGE_CHILDREN`` of a wrapper process).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import (  # noqa: E402
    DEFAULT_CACHE,
    PROJECTS,
    Project,
    download,
    find_package,
    unpack,
)

# Larger pinned projects, so that the tree passes 100k lines.
EXTRA = {
    p.name: p
    for p in [
        Project("SQLAlchemy", "2.0.36", ("sqlalchemy",)),
    ]
}
PEER = "asyncify-codemod==0.5.0"

FLOOR = """
import sys, libcst
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("*.py")):
    libcst.parse_module(path.read_bytes()).code
"""
# Runs a command and prints the peak RSS (KiB) of it and its children on the last line.
WRAP = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.buffer.write(done.stderr[-4000:])
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mb: float
    returncode: int
    note: str = ""


def measure(name: str, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Measure:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", WRAP, *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=3600,
    )
    seconds = time.perf_counter() - start
    code, rss = proc.stdout.split()[-2:]
    crashed = "Traceback (most recent call last)" in proc.stderr
    note = "crashed: " + proc.stderr.strip().splitlines()[-1][:120] if crashed else ""
    return Measure(name, seconds, int(rss) / 1024, int(code), note)


def build_tree(projects: list[Project], cache: Path, target: Path) -> tuple[int, int]:
    """Copy the projects' packages under ``target``; return (files, lines)."""
    for project in projects:
        unpacked = unpack(download(project, cache), cache)
        for package in project.packages:
            shutil.copytree(find_package(unpacked, package), target / project.name / package)
    files = sorted(target.rglob("*.py"))
    lines = sum(len(p.read_bytes().splitlines()) for p in files)
    return len(files), lines


def peer_venv(cache: Path) -> Path | None:
    venv = cache / "peer-venv"
    exe = venv / "bin" / "asyncify-codemod"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", PEER],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"peer tool not installed: {done.stderr.strip()[-200:]}", file=sys.stderr)
            return None
    return exe


def asyncify() -> list[str]:
    exe = shutil.which("asyncify", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "asyncify"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE.expanduser())
    parser.add_argument("--projects", help="comma-separated names (default: all)")
    parser.add_argument("--no-peer", action="store_true", help="skip asyncify-codemod")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    every = {**PROJECTS, **EXTRA}
    names = args.projects.split(",") if args.projects else list(every)
    work = Path(tempfile.mkdtemp(prefix="asyncify-bench-"))
    try:
        base = work / "base"
        files, lines = build_tree([every[n] for n in names], args.cache, base)
        print(f"tree: {len(names)} projects, {files} files, {lines} lines")
        copies = {name: work / name for name in ("jobs1", "jobs2", "peer")}
        for copy in copies.values():
            shutil.copytree(base, copy)
        cold_cache = {"ASYNCIFY_CACHE_DIR": str(work / "cache")}
        off = {"ASYNCIFY_CACHE_DIR": "off"}
        results = [
            measure(
                "floor: LibCST parse + codegen", [sys.executable, "-c", FLOOR, str(base)], work
            ),
            measure(
                "asyncify run --jobs 1",
                [*asyncify(), "run", "-q", "--jobs", "1", "."],
                copies["jobs1"],
                off,
            ),
            measure(
                "asyncify run --jobs 2",
                [*asyncify(), "run", "-q", "--jobs", "2", "."],
                copies["jobs2"],
                off,
            ),
            measure(
                "asyncify check, converted tree, cold cache",
                [*asyncify(), "check", "-q", "--jobs", "1", "."],
                copies["jobs1"],
                cold_cache,
            ),
            measure(
                "asyncify check, converted tree, warm cache",
                [*asyncify(), "check", "-q", "--jobs", "1", "."],
                copies["jobs1"],
                cold_cache,
            ),
        ]
        exe = None if args.no_peer else peer_venv(args.cache)
        if exe is not None:
            results.append(
                measure("asyncify-codemod 0.5.0 (peer)", [str(exe), "."], copies["peer"])
            )
        floor = results[0].seconds
        print(f"{'what':46} {'seconds':>8} {'× floor':>8} {'lines/s':>9} {'peak MB':>8}  exit")
        for r in results:
            print(
                f"{r.name:46} {r.seconds:8.2f} {r.seconds / floor:8.2f} {lines / r.seconds:9.0f}"
                f" {r.peak_mb:8.0f}  {r.returncode} {r.note}"
            )
        by = {r.name: r for r in results}
        speedup = by["asyncify run --jobs 1"].seconds / by["asyncify run --jobs 2"].seconds
        print(f"--jobs 2 speed-up over --jobs 1: {speedup:.2f}×")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"lines": lines, "files": files, "results": [r.__dict__ for r in results]},
                    indent=2,
                )
            )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
