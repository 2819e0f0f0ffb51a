"""A pytest plugin that records which project functions are on the stack when I/O runs.

Used by ``benchmarks/testsuites.py`` on the *original* test suite of a project, so that
the set of functions that perform HTTP or database I/O is defined by running the code,
independently of asyncify's own analysis. ``benchmarks/testsuites.py`` copies this file
into a folder of its own and loads it with ``-p asyncify_io_trace``; it is configured by
environment variables:

* ``ASYNCIFY_IO_TRACE``: the JSON file to write at the end of the session;
* ``ASYNCIFY_IO_TRACE_ROOTS``: the project's package folders (``os.pathsep``-separated);
  a function is a *project function* when its code lives in one of them.

With ``sys.setprofile`` (and ``threading.setprofile``) it records one *event* each time

* an I/O entry point of a library runs: requests' ``Session.request``, ``Session.send``
  and ``HTTPAdapter.send``; psycopg2's ``connect`` and the C methods of its connections
  and cursors that talk to the server (``execute``, ``fetchall``, ``commit``, ...);
* a ``unittest.mock`` (or ``mock``) object is called, with the names it can stand for: the
  name the calling code used (``self._client.request(...)`` gives ``request``, read from
  the call's source position), the attribute a ``patch`` replaced, and the mock's own name.

An event holds its kind (``lib`` or ``mock``), those names, and the project functions on
the stack, innermost first, each as ``(path relative to its root's parent, qualified name,
first line)``. Lambdas, comprehensions and module bodies are left out: they cannot become
``async def``. Which mock events count as I/O is decided afterwards (see
``testsuites.io_functions``), once the functions that reach real I/O are known.
"""

from __future__ import annotations

import ast
import json
import linecache
import os
import sys
import threading
from types import CodeType, FrameType
from typing import Any

PSYCOPG2_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "callproc",
        "fetchone",
        "fetchmany",
        "fetchall",
        "copy_expert",
        "copy_from",
        "copy_to",
        "commit",
        "rollback",
    }
)
_NOT_FUNCTIONS = ("<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<module>")

Key = tuple[str, str, int]
Event = tuple[str, tuple[str, ...], tuple[Key, ...]]


class Tracer:
    """Collects events; ``install`` starts it, ``dump`` writes them."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = [os.path.realpath(r) + os.sep for r in roots if r]
        self.events: set[Event] = set()
        self.sinks: dict[CodeType, str] = {}
        self.mock_calls: set[CodeType] = set()
        self.mock_files: set[str] = set()
        self.patched: dict[int, str] = {}  # id(mock) -> attribute a patch replaced
        self._project: dict[CodeType, Key | None] = {}
        self._callee: dict[tuple[CodeType, int], str | None] = {}

    # -- set-up ---------------------------------------------------------------------------
    def install(self) -> None:
        self.find_sinks()
        sys.setprofile(self.profile)
        threading.setprofile(self.profile)

    def find_sinks(self) -> None:
        try:
            import requests.adapters
            import requests.sessions
        except ImportError:
            pass
        else:
            for name, function in (
                ("request", requests.sessions.Session.request),
                ("send", requests.sessions.Session.send),
                ("send", requests.adapters.HTTPAdapter.send),
            ):
                self.sinks[function.__code__] = name
        try:
            import psycopg2  # type: ignore[import-untyped]
        except ImportError:
            pass
        else:
            self.sinks[psycopg2.connect.__code__] = "connect"
        for module_name in ("unittest.mock", "mock.mock"):
            try:
                module: Any = __import__(module_name, fromlist=["CallableMixin"])
            except ImportError:
                continue
            self.mock_calls.add(module.CallableMixin._mock_call.__code__)
            self.mock_files.add(os.path.realpath(module.__file__))
            self._wrap_patch(module)

    def _wrap_patch(self, module: Any) -> None:
        original = module._patch.__enter__
        patched = self.patched

        def __enter__(patch: Any) -> Any:
            new = original(patch)
            patched[id(new)] = str(patch.attribute)
            return new

        module._patch.__enter__ = __enter__

    # -- profiling ------------------------------------------------------------------------
    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            sink = self.sinks.get(code)
            if sink is not None:
                self.record(frame.f_back, "lib", (sink,))
            elif code in self.mock_calls:
                self.mock_event(frame)
        elif event == "c_call":
            owner = getattr(arg, "__self__", None)
            if (
                owner is not None
                and type(owner).__module__.startswith("psycopg2")
                and getattr(arg, "__name__", "") in PSYCOPG2_METHODS
            ):
                self.record(frame, "lib", (arg.__name__,))

    def mock_event(self, frame: FrameType) -> None:
        # ``self`` (unittest.mock) or ``_mock_self`` (older ``mock`` releases)
        mock = frame.f_locals.get(frame.f_code.co_varnames[0])
        names: set[str] = set()
        if id(mock) in self.patched:
            names.add(self.patched[id(mock)])
        for attribute in ("_mock_new_name", "_mock_name"):
            value = getattr(mock, "__dict__", {}).get(attribute)
            if isinstance(value, str) and value.isidentifier():
                names.add(value)
        caller = frame.f_back
        while caller is not None and os.path.realpath(caller.f_code.co_filename) in self.mock_files:
            caller = caller.f_back
        if caller is not None and self.key(caller.f_code) is not None:
            callee = self.callee_name(caller)
            if callee:
                names.add(callee)
        self.record(caller, "mock", tuple(sorted(names)))

    def callee_name(self, frame: FrameType) -> str | None:
        """The last name of the callee in the call expression ``frame`` is executing."""
        cache_key = (frame.f_code, frame.f_lasti)
        if cache_key in self._callee:
            return self._callee[cache_key]
        name = None
        positions = list(frame.f_code.co_positions())
        index = frame.f_lasti // 2
        if 0 <= index < len(positions):
            line, end_line, col, end_col = positions[index]
            if line and end_line and col is not None and end_col is not None:
                lines = [
                    linecache.getline(frame.f_code.co_filename, n)
                    for n in range(line, end_line + 1)
                ]
                if lines:
                    lines[-1] = lines[-1][:end_col]
                    lines[0] = lines[0][col:]
                    try:
                        node = ast.parse("(" + "".join(lines) + ")", mode="eval").body
                    except SyntaxError:
                        node = None
                    if isinstance(node, ast.Call):
                        func = node.func
                        if isinstance(func, ast.Attribute):
                            name = func.attr
                        elif isinstance(func, ast.Name):
                            name = func.id
        self._callee[cache_key] = name
        return name

    def key(self, code: CodeType) -> Key | None:
        if code in self._project:
            return self._project[code]
        found: Key | None = None
        path = os.path.realpath(code.co_filename)
        qualname = code.co_qualname
        if not any(part in qualname for part in _NOT_FUNCTIONS):
            for root in self.roots:
                if path.startswith(root):
                    relative = os.path.relpath(path, os.path.dirname(root.rstrip(os.sep)))
                    found = (relative.replace(os.sep, "/"), qualname, code.co_firstlineno)
                    break
        self._project[code] = found
        return found

    def record(self, frame: FrameType | None, kind: str, names: tuple[str, ...]) -> None:
        stack: list[Key] = []
        while frame is not None:
            key = self.key(frame.f_code)
            if key is not None and (not stack or stack[-1] != key):
                stack.append(key)
            frame = frame.f_back
        if stack:
            self.events.add((kind, names, tuple(stack)))

    def dump(self, path: str) -> None:
        sys.setprofile(None)
        threading.setprofile(None)
        data = [
            {"kind": kind, "names": list(names), "stack": [list(k) for k in stack]}
            for kind, names, stack in sorted(self.events)
        ]
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"roots": self.roots, "events": data}, out)


_TRACER: Tracer | None = None


def pytest_configure(config: Any) -> None:
    global _TRACER
    if os.environ.get("ASYNCIFY_IO_TRACE") and _TRACER is None:
        _TRACER = Tracer(os.environ.get("ASYNCIFY_IO_TRACE_ROOTS", "").split(os.pathsep))
        _TRACER.install()


def pytest_unconfigure(config: Any) -> None:
    global _TRACER
    if _TRACER is not None:
        _TRACER.dump(os.environ["ASYNCIFY_IO_TRACE"])
        _TRACER = None
