"""Blocking calls on an async path: subprocess, urlopen (native), queues (threads) behave alike."""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.harness import run_both
from tests.behaviour.http_support import closed_port, http_server  # noqa: F401 - fixture

PROGRAM = """\
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from queue import Queue

BASE = os.environ["BASE_URL"]


def fetch(path):
    with urllib.request.urlopen(BASE + path, timeout=5) as r:
        return r.status, r.read()[:40]


def shell(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout.strip()


def main():
    time.sleep(0.001)
    print(shell("print(6 * 7)"), shell("import sys; sys.exit(3)"))
    try:
        subprocess.run([sys.executable, "-c", "import sys; sys.exit(2)"], check=True)
    except subprocess.CalledProcessError as error:
        print("failed with", error.returncode)
    print(subprocess.check_output([sys.executable, "-c", "print('out')"], text=True).strip())
    print(fetch("/echo?x=1"))
    try:
        fetch("/status/404")
    except urllib.error.HTTPError as error:
        print("http error", error.code)
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/" % os.environ["CLOSED_PORT"], timeout=5)
    except urllib.error.URLError as error:
        print("url error", type(error.reason).__name__)
    q = Queue()
    threading.Thread(target=q.put, args=("from a thread",)).start()
    print(q.get(timeout=5))


if __name__ == "__main__":
    main()
"""


def test_blocking_calls_in_threads_behave_the_same(tmp_path: Path, http_server: str) -> None:  # noqa: F811
    both = run_both(
        tmp_path,
        {"main.py": PROGRAM},
        env={"BASE_URL": http_server, "CLOSED_PORT": str(closed_port())},
    )
    both.assert_same()
    converted = both.converted["main.py"]
    # subprocess and urlopen are weak like the thread fallbacks: converted on the async path
    assert "await _subprocess_run(" in converted and "await _subprocess_check_output(" in converted
    assert "with await _urlopen(BASE + path, timeout=5) as r:" in converted
    assert "await asyncio.to_thread(q.get, timeout=5)" in converted
    assert "AFY701" in both.convert_output
