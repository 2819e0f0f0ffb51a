"""A cache of per-file work, keyed by content, so unchanged trees are checked quickly.

Stored where black and ruff keep theirs: ``$ASYNCIFY_CACHE_DIR``, else
``$XDG_CACHE_HOME/asyncify``, else ``~/.cache/asyncify``; one folder per build of
asyncify (a fingerprint of its own source files, so a development checkout never reads
results of other code). Entries are pickles named by the SHA-256 of a canonical form of
everything the result depends on (source text, module name, flags, and for rewrites the
module's plan and the options), so a stale entry is never used, and the folder is safe to
delete at any time. Set ``ASYNCIFY_CACHE_DIR=off`` to disable it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncify


def cache_root() -> Path | None:
    configured = os.environ.get("ASYNCIFY_CACHE_DIR")
    if configured == "off":
        return None
    if configured:
        base = Path(configured)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) / "asyncify" if xdg else Path.home() / ".cache" / "asyncify"
    return base / _fingerprint()


@functools.cache
def _fingerprint() -> str:
    """asyncify's version and a hash of its code (engine and codemods), LibCST and Python."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"{sys.version}\0{version('libcst')}".encode())
    package = Path(asyncify.__file__).parent
    for path in sorted([*package.glob("*.py"), *package.glob("codemods/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{asyncify.__version__}-{digest.hexdigest()[:16]}"


def canonical(value: Any) -> Any:
    """A form of ``value`` whose pickle does not depend on set order or hash seeds."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (type(value).__name__, tuple(canonical(getattr(value, f.name)) for f in fields))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((canonical(v) for v in value), key=repr)))
    if isinstance(value, dict) or hasattr(value, "items") and not isinstance(value, (str, bytes)):
        items = [(canonical(k), canonical(v)) for k, v in value.items()]
        return ("dict", tuple(sorted(items, key=repr)))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    return value


def _path(kind: str, key: Any) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    data = pickle.dumps(canonical(key), protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(data).hexdigest()
    return root / kind / digest[:2] / digest


def get(kind: str, key: Any) -> Any | None:
    path = _path(kind, key)
    if path is None:
        return None
    try:
        with path.open("rb") as stream:
            return pickle.load(stream)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        return None  # missing, unreadable, or written by another layout: recompute


def put(kind: str, key: Any, value: Any) -> None:
    path = _path(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or full cache folder only costs speed
