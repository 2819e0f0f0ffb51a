"""Behaviour of the files codemod: the original and the converted program write the same
bytes and print the same lines (text/binary, encodings, newline modes, append, lines,
json/csv/print, os and pathlib calls, and handles that must stay synchronous)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.behaviour.harness import run_both

PROGRAM = """
import csv
import io
import json
import os
import os.path
import pickle
import shutil
import time
from pathlib import Path


def encodings():
    for enc in ("utf-8", "latin-1", "utf-16"):
        name = "text-" + enc + ".txt"
        with open(name, "w", encoding=enc) as f:
            f.write("caf\\u00e9\\nline two\\r\\nthree")
            print(enc, f.name, f.mode, f.encoding, f.closed)
        with open(name, encoding=enc) as f:
            print(repr(f.read()), f.newlines)
        with open(name, "rb") as f:
            print(f.read())


def newlines():
    for mode in (None, "", "\\n", "\\r\\n", "\\r"):
        name = "nl-" + repr(mode).strip("'").replace("\\\\", "") + ".txt"
        with open(name, "w", newline=mode) as f:
            f.writelines(["a\\n", "b\\r\\n", "c\\rd"])
        for read_mode in (None, ""):
            with open(name, newline=read_mode) as f:
                print(repr(mode), repr(read_mode), f.readlines())


def binary():
    with open("data.bin", "wb") as f:
        f.write(bytes(range(256)))
        f.seek(10)
        f.write(b"XY")
        print(f.tell())
        f.truncate(100)
    with open("data.bin", "rb") as f:
        head = f.read(4)
        f.seek(-4, 2)
        print(head, f.read(), f.tell())


def append():
    for i in range(3):
        out = open("log.txt", "a", encoding="utf-8")
        out.write("entry %d\\n" % i)
        out.flush()
        out.close()
        print(out.closed)
    print(open("log.txt").read())


def lines():
    with open("log.txt") as f:
        first = next(f)
        second = next(f, "none")
        rest = [line.rstrip() for line in f]
        print(repr(first), repr(second), rest, repr(next(f, "eof")))
    n = 0
    for line in open("log.txt"):
        n += len(line)
    with open("log.txt") as f:
        for number, line in enumerate(f):
            print(number, line, end="")
    print(n)


def json_print(config):
    with open(config, encoding="utf-8") as f:
        settings = json.load(f)
    with open("out.json", "w", encoding="utf-8") as f:
        json.dump(settings, f, indent=2, sort_keys=True, ensure_ascii=False)
    with open("printed.txt", "w") as f:
        print("a", 1, 2.5, None, file=f)
        print("x", "y", file=f, sep="|", end="!\\n")
        print(file=f)
        print(*settings, file=f, sep=", ")
        print(settings, file=f, end="")
    print(settings)


def csv_files():
    with open("table.csv", newline="") as f:
        rows = list(csv.reader(f))
    with open("table.csv") as f:
        records = [dict(r) for r in csv.DictReader(f)]
    with open("copy.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerows(rows)
    print(rows, records)


def os_calls():
    os.makedirs("sub/inner", exist_ok=True)
    with open("sub/a.txt", "w") as f:
        f.write("hello")
    os.rename("sub/a.txt", "sub/b.txt")
    shutil.copy("sub/b.txt", "sub/c.txt")
    os.replace("sub/c.txt", "sub/d.txt")
    print(sorted(os.listdir("sub")), os.path.exists("sub/a.txt"), os.path.isfile("sub/b.txt"))
    print(os.path.isdir("sub/inner"), os.path.getsize("sub/b.txt"), os.stat("sub/d.txt").st_size)
    os.remove("sub/d.txt")
    os.rmdir("sub/inner")
    os.chmod("sub/b.txt", 0o644)
    print(sorted(os.listdir("sub")))


def paths():
    p = Path("path.txt")
    p.write_text("one\\ntwo\\n", encoding="utf-16", newline="\\r\\n")
    print(repr(p.read_text(encoding="utf-16")), p.read_bytes()[:6], p.exists())
    q = Path("path.bin")
    q.write_bytes(b"\\x00\\x01")
    with q.open("ab") as f:
        f.write(b"\\x02")
    print(q.read_bytes())


def kept_sync():
    with open("state.pickle", "wb") as f:
        pickle.dump({"k": [1, 2]}, f)
    with open("state.pickle", "rb") as f:
        print(pickle.load(f))


def main():
    time.sleep(0)
    encodings()
    newlines()
    binary()
    append()
    lines()
    json_print("config.json")
    csv_files()
    os_calls()
    paths()
    kept_sync()


if __name__ == "__main__":
    main()
"""

SETUP = {
    "config.json": b'{"name": "caf\xc3\xa9", "b": [1, 2.5, null], "a": true}',
    "table.csv": b'id,text\r\n1,"multi\r\nline"\r\n2,plain\r\n',
}


def _count(output: str, code: str) -> int:
    return len(re.findall(rf":\d+:\d+: {code} ", output))


def test_files_program(tmp_path: Path) -> None:
    both = run_both(
        tmp_path, {"main.py": PROGRAM}, setup=SETUP, convert_args=("--select", "files,sleep")
    )
    both.assert_same()
    assert both.before.returncode == 0, both.before.stderr
    new = both.converted["main.py"]
    # The conversion really happened: each feature is async in the output.
    for expected in (
        'async with aiofiles.open(name, "w", encoding=enc) as f:',
        "await f.seek(-4, 2)",
        'out = await aiofiles.open("log.txt", "a", encoding="utf-8")',
        "await out.close()",
        "first = await anext(f)",
        "[line.rstrip() async for line in f]",
        'async for line in await aiofiles.open("log.txt")',
        "settings = json.loads(await f.read())",
        "await f.write(json.dumps(settings, indent=2, sort_keys=True, ensure_ascii=False))",
        'csv.reader(io.StringIO(await f.read(), newline=""))',
        'await aiofiles.os.rename("sub/a.txt", "sub/b.txt")',
        'await asyncio.to_thread(shutil.copy, "sub/b.txt", "sub/c.txt")',
        'await aiofiles.os.path.isdir("sub/inner")',
        "await asyncio.to_thread(p.write_text,",
        'async with aiofiles.open(q, "ab") as f:',
        "asyncio.run(main())",
    ):
        assert expected in new, expected
    # Handles that aiofiles cannot serve stay synchronous, with a finding each.
    assert new.count('with open("state.pickle"') == 2
    assert 'with open("copy.csv", "w", newline="") as f:' in new
    assert _count(both.convert_output, "AFY301") == 3, both.convert_output  # pickle x2, enumerate
    assert _count(both.convert_output, "AFY304") == 1
    assert _count(both.convert_output, "AFY303") == 2
    assert len(both.before.files) >= 19 and len(both.before.stdout.splitlines()) > 40


WEAK = """
import json
import time

with open("config.json") as f:  # import time: stays synchronous
    CONFIG = json.load(f)


def helper_only_sync():
    with open("sync.txt", "w") as f:
        f.write("sync")


def report(name):
    with open(name, "w") as f:
        print(CONFIG["a"], file=f)


def main():
    time.sleep(0)
    report("report.txt")


if __name__ == "__main__":
    helper_only_sync()  # called only from sync code: stays synchronous
    main()
"""


def test_weak_open_converts_only_on_async_path(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": WEAK}, setup={"config.json": b'{"a": [1, "x"]}'})
    both.assert_same()
    new = both.converted["main.py"]
    assert "async def report(name):" in new
    assert 'with open("config.json") as f:' in new
    assert 'def helper_only_sync():\n    with open("sync.txt", "w") as f:' in new
    assert both.after.files["report.txt"] == b"[1, 'x']\n"


EXAMPLE = Path(__file__).parents[2] / "examples" / "file_report"


def test_file_report_example(tmp_path: Path) -> None:
    inputs = {
        p.relative_to(EXAMPLE).as_posix(): p.read_bytes()
        for p in EXAMPLE.rglob("*")
        if p.is_file() and p.name != "report.py"
    }
    program = {"report.py": (EXAMPLE / "report.py").read_text()}
    both = run_both(
        tmp_path, program, entry="report.py", setup=inputs, convert_args=("--select", "files")
    )
    both.assert_same()
    assert both.before.stdout == "2 files, 2 hits\n"
    assert "async for line in f:" in both.converted["report.py"]
    assert both.after.files["out/report.tsv"].startswith(b"file\tlines\twords\thits\n")
