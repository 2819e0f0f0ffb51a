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


# `thread-blocks = false`: the aiofiles forms, one thread hop per file operation (with the
# default, most blocks of these programs run whole in one `asyncio.to_thread`).
AIOFILES_ONLY = {"pyproject.toml": "[tool.asyncify]\nthread-blocks = false\n"}


def test_files_program_in_threads(tmp_path: Path) -> None:
    """The same program with the default settings: blocks run whole in one thread each."""
    both = run_both(
        tmp_path, {"main.py": PROGRAM}, setup=SETUP, convert_args=("--select", "files,sleep")
    )
    both.assert_same()
    assert both.before.returncode == 0, both.before.stderr
    new = both.converted["main.py"]
    assert new.count("await asyncio.to_thread(_file_block") >= 12, new
    assert 'out = await aiofiles.open("log.txt", "a", encoding="utf-8")' in new  # no `with`
    assert "first = await anext(f)" in new  # next(f) without default: kept aiofiles
    assert len(both.before.files) >= 19 and len(both.before.stdout.splitlines()) > 40


def test_files_program(tmp_path: Path) -> None:
    both = run_both(
        tmp_path,
        {"main.py": PROGRAM, **AIOFILES_ONLY},
        setup=SETUP,
        convert_args=("--select", "files,sleep"),
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
    assert 'async with aiofiles.open("copy.csv", "w", newline="") as f:' in new
    assert _count(both.convert_output, "AFY301") == 3, both.convert_output  # pickle x2, enumerate
    assert _count(both.convert_output, "AFY304") == 0
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


MORE = """
import csv
import glob
import os
import tempfile
import time
from pathlib import Path

ROWS = [["id", "text"], [1, "multi\\nline"], [2, 'quote " here'], [3, "comma, semi;"], [4, ""],
        [5, None], [6, 2.5], [7, "crlf\\r\\nend"]]


def csv_writers():
    for number, newline in enumerate(("", None, "\\r\\n")):
        name = "w-" + str(number) + ".csv"
        with open(name, "w", newline=newline) as f:
            w = csv.writer(f)
            w.writerow(ROWS[0])  # header
            w.writerows(ROWS[1:])
            print(w.writerow(["end"]), repr(w.dialect.lineterminator))
    with open("semi.csv", "w", newline="", encoding="utf-16") as f:
        w = csv.writer(f, delimiter=";", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\\n")
        w.writerows(r for r in ROWS if r[0] != "id")
    csv.register_dialect("pipes", delimiter="|", quoting=csv.QUOTE_ALL)
    with open("dict.csv", "w", newline="") as f:
        d = csv.DictWriter(f, fieldnames=["a", "b"], dialect="pipes", extrasaction="ignore")
        d.writeheader()
        print(d.writerow({"a": 1, "b": "x|y", "c": 3}), d.fieldnames)
        d.writerows([{"a": i} for i in range(3)])
        strict = csv.DictWriter(f, ["a"])
        try:
            strict.writerows([{"a": "partial"}, {"zzz": 1}, {"a": "never"}])
        except ValueError as e:
            print("error", e)
    with open("tab.csv", "w") as f:
        csv.writer(f, dialect="excel-tab").writerow(["t", 1, "tab\\there"])


def temps():
    with tempfile.NamedTemporaryFile("w+", suffix=".txt", dir=".", delete=False) as f:
        f.write("hello\\n")
        f.seek(0)
        print(repr(f.read()), f.name.endswith(".txt"), f.mode)
        kept = f.name
    print(os.path.exists(kept))
    os.rename(kept, "kept.txt")
    with tempfile.NamedTemporaryFile(dir=".") as g:
        g.write(b"bytes")
        g.seek(0)
        print(g.read(), os.path.exists(g.name), g.mode)
        gone = g.name
    print(os.path.exists(gone))
    with tempfile.TemporaryFile("w+", encoding="utf-16") as t:
        t.write("x\\ny")
        t.seek(0)
        print(t.readlines())
    with tempfile.TemporaryDirectory(dir=".", prefix="tmpd") as d:
        with open(os.path.join(d, "inner.txt"), "w") as out:
            out.write("in")
        print(os.listdir(d), os.path.basename(d).startswith("tmpd"))
        saved = d
    print(os.path.exists(saved))


def listings():
    for name in ("tree/a/b", "tree/.hidden"):
        os.makedirs(name, exist_ok=True)
    for name in ("tree/x.txt", "tree/a/y.txt", "tree/a/b/z.py", "tree/.hidden/h.txt"):
        with open(name, "w") as f:
            f.write(name)
    walked = []
    for root, dirs, files in os.walk("tree"):
        walked.append((root, sorted(dirs), sorted(files), len(dirs)))
    print(sorted(walked))
    visible = []
    for root, dirs, files in os.walk("tree"):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        visible.append(root)
    print(sorted(visible))
    root, subdirs, files = next(os.walk("tree"))
    print(root, sorted(subdirs), files, len(list(os.walk("tree/a"))))
    print(sorted(p.name for p in Path("tree").iterdir()))
    print(sorted(Path("tree").glob("**/*.txt")), sorted(glob.iglob("tree/**", recursive=True)))
    print([str(p) for p in sorted(Path("tree").rglob("*.py"))])
    print({p.suffix for p in Path("tree").rglob("*")})


def stop():
    with open("short.txt", "w") as f:
        f.write("only\\n")
    with open("short.txt") as f:
        print(next(f))
        try:
            next(f)
        except StopIteration:
            print("caught the end")


def main():
    time.sleep(0)
    csv_writers()
    temps()
    listings()
    stop()


if __name__ == "__main__":
    main()
"""


def test_writers_temps_listings_in_threads(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": MORE}, convert_args=("--select", "files,sleep"))
    both.assert_same()
    assert both.before.returncode == 0, both.before.stderr
    assert "await asyncio.to_thread(_file_block" in both.converted["main.py"]
    assert "caught the end" in both.after.stdout


def test_writers_temps_listings(tmp_path: Path) -> None:
    both = run_both(
        tmp_path, {"main.py": MORE, **AIOFILES_ONLY}, convert_args=("--select", "files,sleep")
    )
    both.assert_same()
    assert both.before.returncode == 0, both.before.stderr
    new = both.converted["main.py"]
    for expected in (
        "w = csv.writer(types.SimpleNamespace(write=str))",
        "await f.write(w.writerow(ROWS[0]))  # header",
        "await f.write(w.writerow(row))",
        "await f.write(d.writeheader())",
        "async with aiofiles.tempfile.NamedTemporaryFile(",
        "async with aiofiles.tempfile.TemporaryFile(",
        'async with aiofiles.tempfile.TemporaryDirectory(dir=".", prefix="tmpd") as d:',
        'for root, dirs, files in await asyncio.to_thread(list, os.walk("tree")):',
        'await asyncio.to_thread(next, os.walk("tree"))',
        'await asyncio.to_thread(list, Path("tree").iterdir())',
        "except (StopIteration, StopAsyncIteration):",
    ):
        assert expected in new, expected
    assert new.count("with open(") == 0, new
    assert _count(both.convert_output, "AFY305") == 1, both.convert_output  # the pruned walk
    files = both.after.files
    assert files["w-0.csv"].count(b"\r\n") == 10 and b'"multi\nline"' in files["w-0.csv"]
    assert files["w-2.csv"].count(b"\r\r\n") == 10  # newline="\r\n" translates csv's \n
    assert files["dict.csv"].endswith(b'"2"|""\r\npartial\r\n'), files["dict.csv"]
    assert "kept.txt" in files and "semi.csv" in files
    assert "caught the end" in both.after.stdout


NO_THREAD = """
import os
import shutil
import time
from pathlib import Path


def main():
    time.sleep(0)
    with open("a.txt", "w") as f:
        f.write("a")
    shutil.copy("a.txt", "b.txt")
    print(sorted(n for _, _, ns in os.walk(".") for n in ns), Path("b.txt").read_text())


if __name__ == "__main__":
    main()
"""


def test_to_thread_false_keeps_blocking_calls_with_findings(tmp_path: Path) -> None:
    config = "[tool.asyncify]\nto-thread = false\n"
    both = run_both(
        tmp_path,
        {"main.py": NO_THREAD, "pyproject.toml": config},
        convert_args=("--select", "files,sleep"),
    )
    both.assert_same()
    new = both.converted["main.py"]
    assert "async with aiofiles.open(" in new and "to_thread" not in new, new
    assert _count(both.convert_output, "AFY306") == 3, both.convert_output


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
    new = both.converted["report.py"]
    assert "nonlocal hits, lines, words" in new and "async for" not in new, new
    assert new.count("await asyncio.to_thread(_file_block") == 4, new
    assert both.after.files["out/report.tsv"].startswith(b"file\tlines\twords\thits\n")
    aiofiles = run_both(
        tmp_path / "aiofiles",
        {**program, **AIOFILES_ONLY},
        entry="report.py",
        setup=inputs,
        convert_args=("--select", "files"),
    )
    aiofiles.assert_same()
    assert "async for line in f:" in aiofiles.converted["report.py"]
    assert both.after.files["out/report.tsv"].startswith(b"file\tlines\twords\thits\n")


THREADS = """
import json
import os
import time

COUNT = 0


def load(path):
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        return json.load(f)


def summarise(path, keyword):
    lines = words = hits = 0
    with open(path, encoding="latin-1") as f:
        for line in f:
            if not line.strip():
                continue
            lines += 1
            words += len(line.split())
            hits += line.lower().count(keyword)
    return lines, words, hits


def newlines():
    for i, mode in enumerate((None, "", "\\n", "\\r\\n", "\\r")):
        name = "nl-%d.txt" % i
        with open(name, "w", newline=mode, encoding="utf-16") as f:
            f.write("a\\nb\\r\\nc\\rd")
            f.writelines(["e\\n", "f"])
        with open(name, newline=mode, encoding="utf-16") as f:
            got = f.readlines()
            seen = f.newlines
        print(i, got, seen)


def binary():
    with open("data.bin", "wb") as f:
        f.write(bytes(range(256)))
        f.seek(10)
        f.write(b"XY")
        pos = f.tell()
        f.truncate(100)
    with open("data.bin", "rb") as f, open("copy.bin", "wb") as out:
        head = f.read(4)
        f.seek(-4, 2)
        tail = f.read()
        out.write(head + tail)
    print(pos, head, tail, os.path.getsize("copy.bin"))


def first_comment(path):
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                return line.strip()
            print("skip", line.strip())


def write_numbers(path, values):
    written = 0
    with open(path, "w") as out:
        for v in values:
            out.write("%d\\n" % int(v))
            written += 1
    return written


def read_text(path):
    with open(path, encoding="ascii") as f:
        text = f.read()
    return text.upper()


def partial(path):
    count = 0
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                count += 1
    except UnicodeDecodeError as e:
        print("decode error", e.reason, e.start, count)
    return count


def missing():
    try:
        with open("missing.txt") as f:
            text = f.read()
    except FileNotFoundError as e:
        text = "missing %d %s" % (e.errno, e.filename)
    print(text)


def counted(path):
    global COUNT
    with open(path) as f:
        COUNT += len(f.readlines())


def first_lines(paths):
    found = []
    for path in paths:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                found.append(line.rstrip())
                break
    return found


def copy_sorted(src, dst):
    with open(src) as f:
        lines = sorted(f, key=len)
    with open(dst, "w", encoding="utf-8", newline="\\r\\n") as f:
        f.writelines(lines)
        print(len(lines), "lines", file=f)
    return len(lines)


def reuse(a, b):
    with open(a) as f:
        text = f.read()
    with open(b) as f:
        text = text + f.read()
    return text


def main():
    time.sleep(0)
    config = load("config.json")
    print(config)
    print(summarise("latin.txt", "caf"))
    newlines()
    binary()
    with open("comments.txt", "w") as f:
        f.write("one\\ntwo\\n# three\\nfour\\n")
    print(first_comment("comments.txt"), first_comment("nums-in.txt"))
    try:
        write_numbers("nums.txt", ["1", "2", "x", "4"])
    except ValueError as e:
        print("ValueError", e)
    print(repr(open("nums.txt").read()), write_numbers("nums2.txt", "123"))
    for name in ("comments.txt", "latin.txt", "nope.txt"):
        try:
            print(read_text(name)[:20])
        except UnicodeDecodeError as e:
            print("UnicodeDecodeError", e.encoding, e.start, e.reason)
        except OSError as e:
            print(type(e).__name__, e.errno, e.filename)
    print(partial("big.txt"))
    missing()
    counted("comments.txt")
    counted("nums-in.txt")
    print(COUNT)
    print(first_lines(["nums-in.txt", "comments.txt"]))
    print(copy_sorted("comments.txt", "sorted.txt"))
    print(repr(reuse("nums-in.txt", "comments.txt")))


if __name__ == "__main__":
    main()
"""

THREAD_SETUP = {
    "config.json": b'{"name": "caf\\u00e9", "n": [1, 2.5, null]}',
    "latin.txt": "\n caf\xe9 CAF\xc9\ncaf\xe9 au lait\n\nthe end\n".encode("latin-1"),
    "nums-in.txt": b"1\n2\n",
    # The undecodable byte comes after the first 8 KiB: some lines are read before it.
    "big.txt": b"line\n" * 3000 + b"bad \xff byte\n" + b"after\n",
}


def test_blocks_run_in_one_thread(tmp_path: Path) -> None:
    """Each `with open(...)` block becomes one `await asyncio.to_thread(...)`: same output,
    files, exceptions (and when they happen), encodings and newline translation."""
    both = run_both(
        tmp_path,
        {"main.py": THREADS},
        setup=THREAD_SETUP,
        convert_args=("--select", "files,sleep"),
    )
    both.assert_same()
    assert both.before.returncode == 0, both.before.stderr
    out = both.before.stdout
    for seen in ("ValueError invalid literal", "UnicodeDecodeError ascii", "FileNotFoundError 2"):
        assert seen in out, out
    assert "decode error invalid start byte" in out and "missing 2 missing.txt" in out, out
    new = both.converted["main.py"]
    assert "async with" not in new and "async for" not in new, new
    for expected in (
        "return await asyncio.to_thread(_file_block)",  # load: tail return
        "        nonlocal hits, lines, words\n",  # summarise
        "got, seen = await asyncio.to_thread(_file_block_1)",  # newlines: exported
        "        global COUNT\n",  # counted
        "            nonlocal count\n",  # partial: assigned before the error, read after
        "text = await asyncio.to_thread(_file_block)",  # read_text
        "            nonlocal text\n",  # missing: also bound in `except`
    ):
        assert expected in new, expected
    assert "        nonlocal text\n        with open(b) as f:" in new  # reuse
    assert new.count("await asyncio.to_thread(_file_block") == 18, new
    assert both.after.files["sorted.txt"].endswith(b"4 lines\r\n")
