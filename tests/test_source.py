"""Reading, decoding, re-encoding and atomically writing source files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from asyncify.source import Source, SourceError, atomic_write, encode, read_source


def write(tmp_path: Path, data: bytes, name: str = "mod.py") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def roundtrip(source: Source) -> bytes:
    return encode(source.text, like=source)


def test_utf8_bom_is_detected_and_written_back(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfname = 'caf\xc3\xa9'\n"
    source = read_source(write(tmp_path, data))
    assert source.encoding == "utf-8-sig"
    assert source.text == "name = 'café'\n"  # the BOM is not part of the text
    assert roundtrip(source) == data


def test_pep263_cookie_latin1(tmp_path: Path) -> None:
    data = b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n"
    source = read_source(write(tmp_path, data))
    assert source.encoding == "iso-8859-1"
    assert "café" in source.text
    assert roundtrip(source) == data
    assert encode(source.text.replace("name", "other"), like=source) == data.replace(
        b"name", b"other"
    )


def test_default_is_utf8(tmp_path: Path) -> None:
    data = "x = '→'\n".encode()
    source = read_source(write(tmp_path, data))
    assert source.encoding == "utf-8"
    assert source.text == "x = '→'\n"


@pytest.mark.parametrize(
    "data",
    [
        b"import time\r\n\r\ndef f():\r\n    time.sleep(1)\r\n",
        b"a = 1\r\nb = 2\n",  # mixed endings stay mixed
        b"a = 1\nb = 2",  # no final newline
        b"a = 1\rb = 2\r",  # old Mac endings
    ],
    ids=["crlf", "mixed", "no-final-newline", "cr"],
)
def test_line_endings_survive_byte_for_byte(tmp_path: Path, data: bytes) -> None:
    source = read_source(write(tmp_path, data))
    assert source.data == data
    assert source.text.encode("utf-8") == data  # no newline translation
    assert roundtrip(source) == data


def test_nul_byte_is_a_decode_error(tmp_path: Path) -> None:
    path = write(tmp_path, b"x = 1\ny = '\x00'\n")
    with pytest.raises(SourceError) as caught:
        read_source(path, display="mod.py")
    finding = caught.value.finding
    assert finding.code == "AFY002"
    assert (finding.path, finding.line, finding.col) == ("mod.py", 2, 5)
    assert "NUL" in finding.message


def test_undecodable_bytes_are_a_decode_error(tmp_path: Path) -> None:
    path = write(tmp_path, b"x = 1\n\ny = '\xff\xfe'\n")
    with pytest.raises(SourceError) as caught:
        read_source(path, display="mod.py")
    finding = caught.value.finding
    assert finding.code == "AFY002"
    assert (finding.line, finding.col) == (3, 5)
    assert "mod.py:3:6: AFY002" in str(finding)


def test_unknown_encoding_cookie_is_a_decode_error(tmp_path: Path) -> None:
    path = write(tmp_path, b"# coding: no-such-codec\nx = 1\n")
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert caught.value.finding.code == "AFY002"


def test_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_source(tmp_path / "missing.py", display="missing.py")
    assert caught.value.finding.code == "AFY004"
    assert caught.value.finding.path == "missing.py"


def test_display_path_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, b"\x00", "pkg_mod.py")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError) as caught:
        read_source(tmp_path / "pkg_mod.py")
    assert caught.value.finding.path == "pkg_mod.py"


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o755, 0o640])
def test_atomic_write_keeps_permission_bits(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path, b"old\n")
    path.chmod(mode)
    atomic_write(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod.py"]  # no temp file left


def test_atomic_write_replaces_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"old\n")
    before = path.stat().st_ino
    atomic_write(path, b"new\n")
    assert path.stat().st_ino != before  # a rename, not an in-place rewrite


def test_atomic_write_failure_leaves_the_original_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, b"old\n")

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write(path, b"new\n")
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod.py"]


def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = write(tmp_path, b"old\n", "real.py")
    link = tmp_path / "link.py"
    link.symlink_to("real.py")
    atomic_write(link, b"new\n")
    assert link.is_symlink()
    assert target.read_bytes() == b"new\n"
