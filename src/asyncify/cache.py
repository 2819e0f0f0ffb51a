"""A cache of per-file work, keyed by content, so unchanged trees are checked quickly.

Stored where black and ruff keep theirs: ``$ASYNCIFY_CACHE_DIR``, else
``$XDG_CACHE_HOME/asyncify``, else ``~/.cache/asyncify``; one folder per build of
asyncify (a fingerprint of its own source files, so a development checkout never reads
results of other code). Entries are named by the SHA-256 of a canonical form of
everything the result depends on (source text, module name, flags, and for rewrites the
module's plan and the options), so a stale entry is never used, and the folder is safe to
delete at any time. Set ``ASYNCIFY_CACHE_DIR=off`` to disable it.

Anyone who can write the cache folder (a shared folder, a CI cache restored from another
branch) must not be able to run code or change a conversion through it, so an entry is
plain JSON data (:func:`encode`: strings, numbers, lists, and a fixed list of asyncify's
own dataclasses, rebuilt field by field: loading it never runs code) and is authenticated:
it holds an HMAC-SHA256, under a per-user secret key kept outside the cache folder
(``$XDG_CONFIG_HOME/asyncify/cache-key``, else ``~/.config/asyncify/cache-key``, mode
0600), of its own name and its content. An entry that fails the check, does not decode or
holds another entry's name is ignored and replaced; without a usable key there is no cache.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncify
from asyncify.findings import Finding
from asyncify.index import (
    BlockSite,
    CallSite,
    ClassInfo,
    FunctionInfo,
    FunctionRef,
    ModuleIndex,
    PatchSite,
    ValueSite,
)

# The only classes an entry can hold (by name): plain records of asyncify's own.
RECORDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        Finding,
        ModuleIndex,
        FunctionInfo,
        ClassInfo,
        CallSite,
        PatchSite,
        BlockSite,
        ValueSite,
        FunctionRef,
    )
}


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
    digest = hashlib.sha256(repr(canonical(key)).encode()).hexdigest()
    return root / kind / digest[:2] / digest


def key_path() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "asyncify" / "cache-key"


@functools.cache
def _secret() -> bytes | None:
    """This user's key for the entries' HMAC: made once, readable by this user only."""
    path = key_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as stream:
                stream.write(secrets.token_hex(32).encode())
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as stream:
            info = os.fstat(stream.fileno())
            key = stream.read(1024)
    except OSError:
        return None
    owner_ok = not hasattr(os, "geteuid") or info.st_uid == os.geteuid()
    if not owner_ok or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode) or len(key) < 32:
        return None  # someone else could know or have chosen the key: no cache
    return key


def _mac(key: bytes, name: str, payload: bytes) -> str:
    return hmac.new(key, name.encode() + b"\0" + payload, hashlib.sha256).hexdigest()


def get(kind: str, key: Any) -> Any | None:
    path = _path(kind, key)
    secret = _secret()
    if path is None or secret is None:
        return None
    try:
        with path.open("rb") as stream:
            data = stream.read()
    except OSError:
        return None
    mac, _, payload = data.partition(b"\n")
    if not hmac.compare_digest(mac, _mac(secret, f"{kind}/{path.name}", payload).encode()):
        return None  # damaged, forged, or written with another key: recompute
    try:
        return decode(json.loads(payload))
    except Exception:  # a record that does not build: recompute
        return None


def put(kind: str, key: Any, value: Any) -> None:
    path = _path(kind, key)
    secret = _secret()
    if path is None or secret is None:
        return
    try:
        payload = json.dumps(encode(value), separators=(",", ":")).encode()
    except (TypeError, ValueError, RecursionError):
        return  # not plain data: not cached
    data = _mac(secret, f"{kind}/{path.name}", payload).encode() + b"\n" + payload
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or full cache folder only costs speed
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def encode(value: Any) -> Any:
    """``value`` as JSON data: a JSON object is always a tagged container or record."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"frozenset": [encode(v) for v in value]}
    if isinstance(value, set):
        return {"set": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    name = type(value).__name__
    if RECORDS.get(name) is type(value):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"record": name, "fields": fields}
    raise TypeError(f"not plain data: {type(value).__name__}")


def decode(data: Any) -> Any:
    """The inverse of :func:`encode`; anything else raises ValueError."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        raise ValueError("not an entry")
    if set(data) == {"record", "fields"}:
        cls = RECORDS[data["record"]]
        fields = data["fields"]
        if not isinstance(fields, dict) or set(fields) != {f.name for f in dataclasses.fields(cls)}:
            raise ValueError("not a record")
        return cls(**{k: decode(v) for k, v in fields.items()})
    if len(data) != 1:
        raise ValueError("not an entry")
    ((tag, items),) = data.items()
    if not isinstance(items, list):
        raise ValueError("not an entry")
    if tag == "tuple":
        return tuple(decode(v) for v in items)
    if tag == "frozenset":
        return frozenset(decode(v) for v in items)
    if tag == "set":
        return {decode(v) for v in items}
    if tag == "dict":
        return {decode(k): decode(v) for k, v in items}
    raise ValueError("not an entry")
