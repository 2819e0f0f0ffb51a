"""asyncify never runs the code it analyses and writes only where it was asked to.

The converter runs in a fresh interpreter under a ``sys.addaudithook`` hook (PEP 578),
on a project whose modules are named like things worth importing (``requests``,
``ftplib``, ``this``, ``psycopg2``, a package of its own). The hook records every module
imported and every file opened for writing (and every rename, removal, permission change
and program started). The test fails if a module outside asyncify's own dependencies
(the standard library, asyncify, and the distributions it requires, found from package
metadata) is imported, if any module of the project is, or if anything outside the given
folder and the cache (its folder and its key file) is written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

PROJECT = {
    "app/__init__.py": "",
    "app/main.py": (
        "import ftplib\nimport this\nimport time\n\nimport requests\n\nfrom app import db\n\n\n"
        "class Client(ftplib.FTP):\n    def fetch(self):\n        time.sleep(1)\n"
        "        return requests.get('http://127.0.0.1:1/').text\n\n\n"
        "def main():\n    return db.query() + Client().fetch()\n\n\n"
        "if __name__ == '__main__':\n    main()\n"
    ),
    "app/db.py": (
        "import psycopg2\n\n\ndef query():\n    conn = psycopg2.connect('dbname=test')\n"
        "    cur = conn.cursor()\n    cur.execute('select 1')\n    return str(cur.fetchone())\n"
    ),
    # Named like modules asyncify or its dependencies might import: never imported.
    "requests.py": "raise SystemExit('the project was imported')\n",
    "ftplib.py": "raise SystemExit('the project was imported')\n",
    "this.py": "raise SystemExit('the project was imported')\n",
    "psycopg2.py": "raise SystemExit('the project was imported')\n",
}

HOOKED_RUN = r"""
import os, sys

log = []
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
CHANGES = {"os.rename", "os.replace", "os.remove", "os.unlink", "os.rmdir", "os.mkdir",
           "os.chmod", "os.chown", "os.link", "os.symlink", "os.truncate", "shutil.rmtree",
           "shutil.copyfile", "shutil.move"}
PROGRAMS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
            "os.startfile"}

def path_of(value):
    if isinstance(value, int):
        return None  # a file descriptor: already opened (and recorded) by path
    return os.fsdecode(value) if value is not None else None

def hook(event, args):
    if event == "import":
        log.append(("import", args[0]))
    elif event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags & WRITE)
        if writing and path_of(path) is not None:
            log.append(("write", os.path.abspath(path_of(path))))
    elif event in CHANGES:
        for value in args[:2]:
            if isinstance(value, (str, bytes, os.PathLike)):
                log.append(("write", os.path.abspath(path_of(value))))
    elif event in PROGRAMS:
        log.append(("program", repr(args)[:200]))

sys.addaudithook(hook)
code = 0
try:
    from asyncify.cli import main
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
modules = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
import json
sys.__stdout__.write(
    "\n@@AUDIT@@" + json.dumps({"code": code, "log": log, "modules": modules}) + "\n"
)
"""


def allowed_distributions() -> set[str]:
    """asyncify and the distributions it requires, transitively (extras left out)."""
    seen: set[str] = set()
    pending = ["asyncify"]
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            requirements = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        seen.add(key)
        for requirement in requirements:
            if "extra ==" in requirement:
                continue
            pending.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return seen


def test_conversion_imports_and_writes_only_what_it_may(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    cache, config = tmp_path / "cache", tmp_path / "config"
    env = {
        **os.environ,
        "ASYNCIFY_CACHE_DIR": str(cache),
        "XDG_CONFIG_HOME": str(config),
        "PYTHONPATH": str(project),  # the project is importable: it must still not be
    }
    done = subprocess.run(
        [sys.executable, "-B", "-c", HOOKED_RUN, "run", "--jobs", "1", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert "@@AUDIT@@" in done.stdout, done.stderr
    report = json.loads(done.stdout.split("@@AUDIT@@")[-1])
    assert report["code"] == 0, done.stderr
    assert "async def main" in (project / "app" / "main.py").read_text()  # it did convert
    log = [tuple(entry) for entry in report["log"]]

    # Every module loaded: from the standard library, or from a distribution asyncify needs.
    allowed = allowed_distributions()
    tops = {
        (file.parts[0].partition(".")[0] if len(file.parts) > 1 else file.stem)
        for name in allowed
        for file in (distribution(name).files or [])
    }
    stdlib = {Path(sysconfig.get_paths()[k]).resolve() for k in ("stdlib", "platstdlib")}
    foreign = set()
    for name, file in report["modules"].items():
        if name in ("__main__", "__mp_main__"):  # the script above
            continue
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top in sys.builtin_module_names or top in tops:
            continue
        if file is not None and any(root in Path(file).resolve().parents for root in stdlib):
            continue
        foreign.add(f"{name} ({file})")
    assert not foreign, f"modules outside asyncify's dependencies were imported: {foreign}"
    mine = {n for n, f in report["modules"].items() if f and project in Path(f).parents}
    assert not mine, f"modules of the analysed project were imported: {mine}"

    roots = [project.resolve(), cache.resolve(), config.resolve()]  # config: the cache key
    outside = sorted(
        {
            path
            for kind, path in log
            if kind == "write"
            and not any(
                Path(path).resolve() == r or r in Path(path).resolve().parents for r in roots
            )
        }
    )
    assert not outside, f"written outside the project and the cache: {outside}"
    assert [entry for entry in log if entry[0] == "program"] == []
    assert any(kind == "write" for kind, _ in log)  # the hook did see the writes


@pytest.mark.parametrize("module", ["requests", "ftplib", "this", "psycopg2", "json"])
def test_project_modules_named_like_libraries_are_never_imported(
    tmp_path: Path, module: str
) -> None:
    """The same through ``python -m asyncify`` (the working folder first on sys.path): a
    project module that raises on import would end the run if asyncify imported it.
    (What Python itself imports before asyncify's code starts, ``typing`` for one, only
    ``python -P`` can protect.)"""
    (tmp_path / f"{module}.py").write_text("raise SystemExit('the project was imported')\n")
    (tmp_path / "use.py").write_text(
        f"import {module}\nimport time\n\n\ndef f():\n    time.sleep(1)\n    return {module}\n"
    )
    done = subprocess.run(
        [sys.executable, "-B", "-m", "asyncify", "diff", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ASYNCIFY_CACHE_DIR": "off"},
    )
    assert "the project was imported" not in done.stderr + done.stdout
    assert done.returncode == 0, done.stderr
