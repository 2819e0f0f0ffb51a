"""A ``run`` killed by SIGINT or SIGTERM at a random moment leaves every file either
byte-identical to the original or byte-identical to its fully converted version: never a
partial file, never a temporary file left behind.

The installed ``asyncify`` runs on a generated tree of a few hundred files. The fully
converted bytes come from a separate, uninterrupted run on a copy. Trials are seeded; half
of them send the signal at a uniformly random moment of the run, half while files are being
written (right after the first file changed on disk, plus a random delay).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

FILES = 200
TRIALS = 6
SEED = 20240607

ASYNCIFY = shutil.which("asyncify", path=str(Path(sys.executable).parent)) or shutil.which(
    "asyncify"
)
pytestmark = [
    pytest.mark.skipif(ASYNCIFY is None, reason="asyncify is not installed"),
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals"),
]

# Chains of CHAIN modules (mod_k awaits mod_{k-1} within a chain), so that plans cross
# files; every third file has CRLF line endings, every fifth uses requests and open().
CHAIN = 5

MODULE = """\
import time
{imports}

def step_{i}(n):
    time.sleep(0.01)
{body}    return {tail}
"""


def module_text(i: int) -> str:
    imports, body = "", ""
    if i % 5 == 0:
        imports = "\nimport requests\n"
        body = (
            '    with open("data.txt") as f:\n'
            "        n += len(f.read())\n"
            '    n += len(requests.get("https://example.com/{i}").content)\n'
        ).replace("{i}", str(i))
    if i % CHAIN:
        imports += f"\nfrom gen import mod_{i - 1}\n"
        tail = f"mod_{i - 1}.step_{i - 1}(n)"
    else:
        tail = "n"
    return MODULE.format(i=i, imports=imports, body=body, tail=tail)


MAIN = """\
from gen import mod_{last}


def main():
    print(mod_{last}.step_{last}(3))


if __name__ == "__main__":
    main()
"""


def generate(root: Path, count: int) -> None:
    package = root / "gen"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for i in range(count):
        text = module_text(i)
        if i % 3 == 0:
            text = text.replace("\n", "\r\n")  # CRLF files must stay CRLF
        (package / f"mod_{i}.py").write_text(text, newline="")
    (package / "__main__.py").write_text(MAIN.format(last=count - 1))


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@dataclass
class Run:
    """One ``asyncify run`` in its own process group, stderr to a file (not a pipe: worker
    processes that outlive the parent would hold a pipe open)."""

    proc: subprocess.Popen[bytes]
    log: Path
    code: int = 0
    stderr: str = ""
    orphans: bool = False  # a worker process was alive 10 s after the parent ended

    @classmethod
    def start(cls, root: Path) -> Run:
        assert ASYNCIFY is not None
        log = root.parent / f"{root.name}.stderr"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [ASYNCIFY, "run", "--quiet", "gen"],
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        return cls(proc, log)

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is not None:
            return
        if sig == signal.SIGINT:  # as a terminal sends it: to the whole process group
            os.killpg(self.proc.pid, sig)
        else:  # as `kill PID` sends it: to the process
            os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 60) -> Run:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            pytest.fail(f"asyncify did not stop within {timeout}s")
        deadline = time.monotonic() + 10
        while _group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.orphans = _group_alive(self.proc.pid)
        if self.orphans:  # our own process group: end what is left of it
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.code = self.proc.returncode
        self.stderr = self.log.read_text(errors="replace")
        return self


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


Trees = tuple[Path, dict[str, bytes], dict[str, bytes], float]
COMPAT = "gen/_async_compat.py"


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    base = tmp_path_factory.mktemp("interrupts")
    original = base / "original"
    generate(original, FILES)
    converted = base / "converted"
    shutil.copytree(original, converted)
    began = time.monotonic()
    run = Run.start(converted).wait(timeout=600)
    duration = time.monotonic() - began
    assert run.code == 0, run.stderr
    before, after = snapshot(original), snapshot(converted)
    changed = [name for name in before if before[name] != after[name]]
    assert len(changed) >= FILES - 2, "the reference run converted too little"
    # the one file the run adds: the program's compatibility module (asyncify/compat.py)
    assert set(after) - set(before) == {COMPAT} and set(before) < set(after)
    return original, before, after, duration


def first_write(root: Path, before: dict[str, bytes], run: Run) -> None:
    """Return as soon as a file in ``root`` differs from ``before`` (or the run ended)."""
    names = [n for n in before if n.endswith(".py")]
    while run.proc.poll() is None:
        for name in names[-20:]:  # written in order; any of the last is fine, check a few
            try:
                if (root / name).read_bytes() != before[name]:
                    return
            except OSError:
                return
        for name in names[:20]:
            try:
                if (root / name).read_bytes() != before[name]:
                    return
            except OSError:
                return
        time.sleep(0.002)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_interrupted_run_leaves_whole_files(trial: int, trees: Trees, tmp_path: Path) -> None:
    original, before, after, duration = trees
    rng = random.Random(SEED + trial)
    sig = signal.SIGINT if trial % 2 == 0 else signal.SIGTERM
    root = tmp_path / "tree"
    shutil.copytree(original, root)
    run = Run.start(root)
    if trial % 4 >= 2:
        first_write(root, before, run)
        delay = rng.uniform(0, 0.3)
        time.sleep(delay)
        moment = f"{delay:.2f}s after the first file was written"
    else:
        delay = rng.uniform(0.05, duration)
        time.sleep(delay)
        moment = f"after {delay:.2f}s of a {duration:.2f}s run"
    run.signal(sig)
    run.wait()

    now = snapshot(root)
    context = f"trial {trial}: {sig.name} {moment}, exit {run.code}"
    extra = sorted(set(now) - set(after))
    assert not extra, f"{context}: files left behind: {extra[:10]}"
    if COMPAT in now:  # written with the program's files, all or none
        assert {n: now[n] for n in before} == {n: after[n] for n in before}, context
    missing = sorted(set(before) - set(now))
    assert not missing, f"{context}: files lost: {missing[:10]}"
    partial = [n for n in before if now[n] not in (before[n], after[n])]
    assert not partial, f"{context}: files neither original nor converted: {partial[:10]}"
    if run.code == 0:  # it finished before the signal: everything converted
        assert now == after, context
    assert not run.orphans, f"{context}: worker processes outlived the interrupted run"


def test_rerun_after_interrupt_completes(trees: Trees, tmp_path: Path) -> None:
    """A run interrupted while writing, then run again, ends where one full run ends."""
    original, before, after, _ = trees
    root = tmp_path / "tree"
    shutil.copytree(original, root)
    run = Run.start(root)
    first_write(root, before, run)
    run.signal(signal.SIGINT)
    run.wait()
    again = Run.start(root).wait(timeout=600)
    assert again.code == 0, again.stderr
    now = snapshot(root)
    differ = sorted(n for n in after if now.get(n) != after[n])
    assert not differ, f"differs from one full run: {differ[:10]}"


KILL_TRIALS = 4


@pytest.mark.parametrize("trial", range(KILL_TRIALS))
def test_sigkill_leaves_no_process_and_a_rerun_completes(
    trial: int, trees: Trees, tmp_path: Path
) -> None:
    """SIGKILL of the main process (it cannot clean up) at a random moment: its worker
    processes end by themselves, every file is original or converted, and a re-run ends
    exactly where one full run ends, with no temporary file or journal left in the tree.
    Half of the trials kill while files are being written (a journal is then in play)."""
    original, before, after, duration = trees
    rng = random.Random(SEED + 100 + trial)
    root = tmp_path / "tree"
    shutil.copytree(original, root)
    run = Run.start(root)
    if trial % 2:
        first_write(root, before, run)
        delay = rng.uniform(0, 0.05)
        moment = f"{delay:.3f}s after the first file was written"
    else:
        delay = rng.uniform(0.05, duration)
        moment = f"after {delay:.2f}s of a {duration:.2f}s run"
    time.sleep(delay)
    run.signal(signal.SIGKILL)
    run.wait()
    context = f"trial {trial}: SIGKILL {moment}, exit {run.code}"
    assert not run.orphans, f"{context}: worker processes outlived the killed run"
    now = snapshot(root)
    partial = [n for n in before if now.get(n) not in (before[n], after[n])]
    assert not partial, f"{context}: files neither original nor converted: {partial[:10]}"
    again = Run.start(root).wait(timeout=600)
    assert again.code == 0, f"{context}: {again.stderr}"
    assert snapshot(root) == after, f"{context}: the re-run does not end as one full run"
