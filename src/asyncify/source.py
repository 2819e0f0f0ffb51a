"""Reading and writing Python source files without changing a byte we did not mean to.

The encoding is found the way the interpreter finds it (:func:`tokenize.detect_encoding`:
a UTF-8 BOM, a PEP 263 cookie, else UTF-8), and the bytes are decoded *without* newline
translation, so CRLF line endings survive in :attr:`Source.text` and :func:`encode` gives
back the original bytes for an unchanged text. Writes are atomic: a reader sees the old
file or the new one, never half of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import tempfile
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from asyncify.findings import DECODE_ERROR, READ_ERROR, Finding


@dataclass(frozen=True)
class Source:
    """A file's bytes and its decoded text (line endings as in the file)."""

    data: bytes
    text: str
    encoding: str  # as tokenize names it: "utf-8", "utf-8-sig" (BOM), "iso-8859-1", ...


class SourceError(Exception):
    """The file cannot be read or decoded; ``finding`` says why (AFY002 or AFY004)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding


def display_path(path: Path) -> str:
    """``path`` as reports show it: relative to the working folder when inside it."""
    # Resolve the folder, not the file: a symlink is shown under its own name, as given.
    try:
        absolute = path.parent.resolve() / path.name
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def read_source(path: Path, display: str | None = None) -> Source:
    """Read and decode ``path``; raise :class:`SourceError` if that is not possible."""
    shown = display if display is not None else display_path(path)
    try:
        data = _read_regular(path)
    except OSError as error:
        raise SourceError(READ_ERROR.at(shown, 1, 0, error.strerror or str(error))) from error
    except ValueError as error:
        raise SourceError(READ_ERROR.at(shown, 1, 0, str(error))) from error
    return decode_source(data, shown)


# No Python file is this large; a larger one is a mistake (or /dev/zero) and is not read.
MAX_SOURCE_BYTES = 16 * 1024 * 1024


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file (a FIFO or device named on the command line is refused:
    opened without blocking, never read), at most MAX_SOURCE_BYTES."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > MAX_SOURCE_BYTES:
            raise ValueError(f"file too large ({info.st_size} bytes; the limit is 16 MiB)")
        data = stream.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise ValueError("file too large (the limit is 16 MiB)")
    return data


def decode_source(data: bytes, display: str) -> Source:
    """Decode a Python file's bytes; raise :class:`SourceError` (AFY002) if they are not text."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, col = _position(data, nul)
        raise SourceError(DECODE_ERROR.at(display, line, col, "the file contains a NUL byte"))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # unknown cookie, or a cookie that contradicts the BOM
        raise SourceError(DECODE_ERROR.at(display, error.lineno or 1, 0, str(error.msg))) from error
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        # Positions count from the start of the decoded bytes; a BOM is part of them.
        line, col = _position(data, error.start)
        detail = f"invalid {encoding} byte {data[error.start : error.start + 1]!r}"
        raise SourceError(DECODE_ERROR.at(display, line, col, detail)) from error
    except LookupError as error:  # pragma: no cover - detect_encoding validates the codec
        raise SourceError(DECODE_ERROR.at(display, 1, 0, str(error))) from error
    return Source(data, text, encoding)


def encode(text: str, like: Source) -> bytes:
    """``text`` in the encoding of ``like`` (a BOM is written again for "utf-8-sig")."""
    return text.encode(like.encoding)


# Temporary files: short fixed names (any legal file name can be written: the name of a
# temp file must not grow with the target's), recognisable so that a later run can remove
# one a killed run left behind (its process id is in the name).
TEMP_PREFIX = ".asyncify-"
TEMP_SUFFIX = ".tmp"


class WriteRefused(OSError):
    """A file asyncify must not or cannot replace: ``path`` and why (``reason``, one line)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass
class _Staged:
    target: Path  # resolved: a symlink is written through
    temp: Path
    original: bytes


def atomic_write(path: Path, data: bytes) -> None:
    """Replace the file at ``path`` by ``data`` atomically (see :func:`write_files`)."""
    write_files([(path, None, data)])


def write_files(items: Sequence[tuple[Path, bytes | None, bytes]]) -> None:
    """Replace each file by its new bytes, all or none: ``items`` are (path, the bytes it
    must still hold or None, new bytes).

    Every new content first goes to a temporary file in the target's folder, flushed to
    disk, with the target's permission bits, owner and group; only when all are staged are
    they renamed over their targets (``os.replace``: a reader sees the old file or the new
    one, never half of it). If a rename fails, the files already replaced get their
    original bytes back. Refused (:class:`WriteRefused`, nothing written): a file that is
    not a regular file, is read-only, has other hard links (a new file would split them),
    whose owner cannot be kept, or whose bytes changed since they were read.
    """
    staged: list[_Staged] = []
    journal: Path | None = None
    try:
        for path, expected, data in items:
            try:
                staged.append(_stage(path, expected, data))
            except WriteRefused:
                raise
            except OSError as error:
                raise WriteRefused(path, f"cannot write: {error.strerror or error}") from error
        for item, (path, expected, _) in zip(staged, items, strict=True):
            if expected is not None and item.original != expected:
                raise WriteRefused(path, "the file changed while it was being converted")
        if len(staged) > 1:
            journal = _write_journal(staged, [data for _, _, data in items])
        done: list[_Staged] = []
        try:
            for item, (path, _, _) in zip(staged, items, strict=True):
                try:
                    os.replace(item.temp, item.target)
                except OSError as error:
                    raise WriteRefused(path, f"cannot write: {error.strerror or error}") from error
                done.append(item)
        except BaseException:
            for item in done:  # put the originals back
                with contextlib.suppress(OSError):
                    atomic_write(item.target, item.original)
            raise
    finally:
        for item in staged:
            with contextlib.suppress(OSError):
                item.temp.unlink(missing_ok=True)
        if journal is not None:
            with contextlib.suppress(OSError):
                journal.unlink(missing_ok=True)
    for folder in {item.target.parent for item in staged}:
        _fsync_folder(folder)


# A journal lists the renames of a multi-file write while they happen, so that a run killed
# among them (SIGKILL, a power cut) is finished by the next ``run`` (:func:`finish_writes`):
# a program is never left half converted.
JOURNAL = "journal"


def _write_journal(staged: Sequence[_Staged], new: Sequence[bytes]) -> Path:
    entries = [
        {
            "target": str(item.target),
            "temp": item.temp.name,
            "old": hashlib.sha256(item.original).hexdigest(),
            "new": hashlib.sha256(data).hexdigest(),
        }
        for item, data in zip(staged, new, strict=True)
    ]
    folder = staged[0].target.parent
    path = folder / f"{TEMP_PREFIX}{os.getpid()}-{JOURNAL}{TEMP_SUFFIX}"
    with open(path, "w", encoding="utf-8") as stream:
        json.dump({"renames": entries}, stream)
        stream.flush()
        os.fsync(stream.fileno())
    _fsync_folder(folder)
    return path


def finish_writes(folders: Iterable[Path], targets: Iterable[Path]) -> list[Path]:
    """Complete the renames of runs that were killed while writing (their journal is in
    one of ``folders`` and their process is gone), for files among ``targets`` that still
    hold the bytes the run read; returns the files so written. Journals and temporary
    files of such runs are removed."""
    allowed = {os.path.realpath(t) for t in targets}
    finished: list[Path] = []
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            pid = _dead_owner(name)
            if pid is None or not name.endswith(f"-{JOURNAL}{TEMP_SUFFIX}"):
                continue
            journal = Path(folder) / name
            try:
                renames = json.loads(journal.read_text(encoding="utf-8"))["renames"]
                for entry in renames:
                    done = _roll_forward(entry, pid, allowed)
                    if done is not None:
                        finished.append(done)
            except (OSError, ValueError, KeyError, TypeError):
                pass  # a damaged journal: the temporary files go, the files stay
            with contextlib.suppress(OSError):
                journal.unlink()
    return finished


def _roll_forward(entry: dict[str, str], pid: int, allowed: set[str]) -> Path | None:
    target = Path(entry["target"])
    temp = target.parent / entry["temp"]
    if (
        str(target) not in allowed
        or Path(entry["temp"]).name != entry["temp"]
        or not entry["temp"].startswith(f"{TEMP_PREFIX}{pid}-")
        or not temp.is_file()
    ):
        return None
    if hashlib.sha256(_read(temp)).hexdigest() != entry["new"]:
        return None
    if hashlib.sha256(_read(target)).hexdigest() != entry["old"]:
        return None  # edited since: leave it (the temporary file is removed later)
    os.replace(temp, target)
    _fsync_folder(target.parent)
    return target


def _read(path: Path) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


def _stage(path: Path, expected: bytes | None, data: bytes) -> _Staged:
    target = Path(os.path.realpath(path))
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            raise WriteRefused(path, "not a regular file")
        if not info.st_mode & stat.S_IWUSR:
            raise WriteRefused(path, "the file is read-only")
        if info.st_nlink > 1:
            raise WriteRefused(
                path, f"the file has {info.st_nlink} hard links; a new file would split them"
            )
    original = _read(target) if info is not None else b""
    fd, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if info is None:  # a new file gets the default permissions, as open() would give
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        else:
            _keep_owner(temp, info, path)
            os.chmod(temp, stat.S_IMODE(info.st_mode))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return _Staged(target, temp, original)


def _keep_owner(temp: Path, info: os.stat_result, shown: Path) -> None:
    """Give the temporary file the target's owner and group, or refuse."""
    made = os.stat(temp)
    if (made.st_uid, made.st_gid) == (info.st_uid, info.st_gid) or not hasattr(os, "chown"):
        return
    try:
        os.chown(temp, info.st_uid, info.st_gid)
    except OSError:
        who = "owner" if made.st_uid != info.st_uid else "group"
        raise WriteRefused(shown, f"the file's {who} could not be kept") from None


def remove_stale_temps(folders: Iterable[Path]) -> None:
    """Remove temporary files that a killed run left in ``folders`` (their process is gone)."""
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if _dead_owner(name) is not None:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))


def _dead_owner(name: str) -> int | None:
    """The process id in a temporary file's name when that process is gone."""
    if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
        return None
    pid = name[len(TEMP_PREFIX) :].partition("-")[0]
    return int(pid) if pid.isdigit() and not _alive(int(pid)) else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; not every platform lets a folder be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and 0-based byte column of ``offset`` in ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start
