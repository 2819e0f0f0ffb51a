"""Regenerate ``src/asyncify/stdlib_table.py``: the attribute names of standard library classes.

asyncify needs to know which methods a standard library base class has (a subclass's method
of that name may be called by the library) and which method names builtin and standard
library types have. It must never import a module on behalf of the analysed code (a
project file named ``ftplib.py`` would run), so the facts are collected here, at development
time, in a separate interpreter started with ``-I -S`` (no working folder, no site-packages
on ``sys.path``: only the standard library is importable), and shipped as data.

    python scripts/gen_stdlib_table.py           # rewrite the table
    python scripts/gen_stdlib_table.py --check   # exit 1 if it differs for this Python
    python scripts/gen_stdlib_table.py --print   # print the table's data as JSON

``tests/test_reliability.py`` compares the shipped table with a fresh one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "src" / "asyncify" / "stdlib_table.py"

# Runs in `python -I -S`: collects {"version", "classes", "aliases", "method_names"}.
COLLECT = r'''
import contextlib, io, json, pkgutil, sys, importlib, warnings, os

# Modules with effects on import (a browser, the Zen of Python, a GUI) or that are tests.
SKIP = {"antigravity", "this", "idlelib", "turtledemo", "turtle", "tkinter", "test",
        "lib2to3", "pydoc_data", "ensurepip", "venv", "__phello__", "__hello__", "msilib",
        "winreg", "winsound", "_winapi", "msvcrt", "nt", "curses", "readline", "xxlimited",
        "xxlimited_35", "xxsubtype"}

def load(name):
    if any(part.startswith("_") or part in SKIP for part in name.split(".")):
        return None
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return importlib.import_module(name)
    except BaseException:
        return None

modules = {}
for top in sorted(sys.stdlib_module_names):
    module = load(top)
    if module is None:
        continue
    modules[top] = module
    for info in pkgutil.walk_packages(getattr(module, "__path__", []) or [], top + ".",
                                      onerror=lambda name: None):
        sub = load(info.name)
        if sub is not None:
            modules[info.name] = sub
import builtins
modules["builtins"] = builtins

classes = {}
def define(cls):
    key = f"{cls.__module__}.{cls.__qualname__}"
    if key not in classes:
        classes[key] = None
        bases = [define(b) for b in cls.__bases__]
        classes[key] = [bases, sorted(str(n) for n in vars(cls))]
    return key

aliases = {}
for name in sorted(modules):
    for attr, value in sorted(vars(modules[name]).items()):
        if isinstance(value, type) and not attr.startswith("_"):
            canonical = define(value)
            public = f"{name}.{attr}"
            if public != canonical:
                aliases[public] = canonical

TYPES = """
builtins.str builtins.bytes builtins.bytearray builtins.list builtins.dict builtins.set
builtins.frozenset builtins.tuple builtins.int builtins.float builtins.complex
builtins.memoryview io.IOBase io.TextIOWrapper io.BufferedReader io.BufferedWriter io.StringIO
io.BytesIO io.FileIO socket.socket ssl.SSLContext ssl.SSLSocket threading.Thread
threading.Event threading.Condition threading.Semaphore threading.Timer threading.Lock
threading.RLock queue.Queue subprocess.Popen collections.deque collections.OrderedDict
collections.Counter collections.defaultdict logging.Logger logging.Handler
argparse.ArgumentParser argparse.Namespace pathlib.Path re.Pattern re.Match
datetime.datetime datetime.date datetime.timedelta concurrent.futures.Executor
concurrent.futures.Future multiprocessing.pool.Pool sqlite3.Connection sqlite3.Cursor
configparser.ConfigParser http.client.HTTPConnection http.client.HTTPResponse zipfile.ZipFile
tarfile.TarFile contextlib.ExitStack unittest.mock.Mock xml.etree.ElementTree.Element
xml.etree.ElementTree.ElementTree hashlib.sha256 random.Random csv.writer csv.reader
csv.DictWriter csv.DictReader string.Template string.Formatter struct.Struct decimal.Decimal
fractions.Fraction array.array logging.LoggerAdapter email.message.Message json.JSONEncoder
json.JSONDecoder selectors.DefaultSelector shelve.Shelf tempfile.SpooledTemporaryFile
uuid.UUID weakref.WeakValueDictionary smtplib.SMTP ftplib.FTP
""".split()
INSTANCES = {  # factories rather than classes: the type of what they return
    "threading.Lock": lambda m: m.Lock(), "threading.RLock": lambda m: m.RLock(),
    "hashlib.sha256": lambda m: m.sha256(), "csv.writer": lambda m: m.writer(io.StringIO()),
    "csv.reader": lambda m: m.reader(io.StringIO()),
}
method_names = set()
for qualified in TYPES:
    module, _, attr = qualified.rpartition(".")
    loaded = load(module) if module != "builtins" else builtins
    if loaded is None:  # an optional module this build lacks (sqlite3, ssl)
        continue
    value = getattr(loaded, attr)
    if qualified in INSTANCES:
        value = type(INSTANCES[qualified](loaded))
    method_names.update(n for n in dir(value) if not n.startswith("_"))

json.dump({"version": list(sys.version_info[:2]), "classes": classes, "aliases": aliases,
           "method_names": sorted(method_names)}, sys.stdout, sort_keys=True)
'''

HEADER = '''\
"""Attribute names of standard library classes, for Python {major}.{minor}.

Generated by ``scripts/gen_stdlib_table.py`` (do not edit): asyncify never imports a module
to learn about it, so these facts are shipped as data. ``CLASSES`` maps a class, as
``module.QualName`` where it is defined, to its bases and the names in its own namespace;
``ALIASES`` maps a public name (``collections.abc.Mapping``) to where the class is defined;
``METHOD_NAMES`` holds the public method names of common builtin and stdlib types.
"""

from __future__ import annotations

VERSION = ({major}, {minor})
'''


def collect() -> dict[str, object]:
    """The table's data, from a separate interpreter that sees only the standard library."""
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", COLLECT],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        timeout=600,
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


def render(data: dict[str, object]) -> str:
    major, minor = data["version"]  # type: ignore[misc]
    classes: dict[str, list[object]] = data["classes"]  # type: ignore[assignment]
    aliases: dict[str, str] = data["aliases"]  # type: ignore[assignment]
    names: list[str] = data["method_names"]  # type: ignore[assignment]
    lines = [HEADER.format(major=major, minor=minor)]
    lines.append("# class: (bases, space-separated names of its own namespace)")
    lines.append("CLASSES: dict[str, tuple[tuple[str, ...], str]] = {")
    for key in sorted(classes):
        bases, own = classes[key]
        base_text = "".join(f"{b!r}, " for b in bases)  # type: ignore[attr-defined]
        lines.append(f"    {key!r}: (({base_text}), {' '.join(own)!r}),")  # type: ignore[arg-type]
    lines.append("}")
    lines.append("ALIASES: dict[str, str] = {")
    lines.extend(f"    {k!r}: {aliases[k]!r}," for k in sorted(aliases))
    lines.append("}")
    lines.append(f"METHOD_NAMES = frozenset({' '.join(names)!r}.split())")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    data = collect()
    if "--print" in argv:
        print(json.dumps(data, sort_keys=True))
        return 0
    text = render(data)
    if "--check" in argv:
        if TABLE.read_text(encoding="utf-8") != text:
            print(f"{TABLE} is out of date: run python scripts/gen_stdlib_table.py")
            return 1
        return 0
    TABLE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
