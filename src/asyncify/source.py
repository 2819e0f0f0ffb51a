"""Reading and writing Python source files without changing a byte we did not mean to.

The encoding is found the way the interpreter finds it (:func:`tokenize.detect_encoding`:
a UTF-8 BOM, a PEP 263 cookie, else UTF-8), and the bytes are decoded *without* newline
translation, so CRLF line endings survive in :attr:`Source.text` and :func:`encode` gives
back the original bytes for an unchanged text. Writes are atomic: a reader sees the old
file or the new one, never half of it.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
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
        data = Path(path).read_bytes()
    except OSError as error:
        raise SourceError(READ_ERROR.at(shown, 1, 0, error.strerror or str(error))) from error
    return decode_source(data, shown)


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


def atomic_write(path: Path, data: bytes) -> None:
    """Replace the file at ``path`` by ``data`` atomically, keeping its permission bits.

    The bytes go to a temporary file in the same folder, which is flushed to disk and then
    renamed over the target (``os.replace``), so the target is never half-written. A
    symlink is written through: its target is replaced and the link stays.
    """
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is None:  # a new file gets the default permissions, as open() would give
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


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
