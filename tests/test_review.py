"""``asyncify run --interactive``: hunk-by-hunk review, as a user drives it (answers on stdin).

Every accepted result must still be one consistent program: it parses, and it prints what
the original printed.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from asyncify.review import function_spans, hunks, owners
from tests.test_cli import asyncify_command, project, snapshot

APP = """\
import time


def slow(x):
    time.sleep(0.01)
    return x * 2


def helper(x):
    return slow(x) + 1


def other(x):
    time.sleep(0.01)
    return x


def main():
    print(helper(1), other(2))


if __name__ == "__main__":
    main()
"""

# Two modules: `lib.fetch` is awaited from `cli.py` once it becomes async.
LIB = """\
import time


def fetch(n):
    time.sleep(0.01)
    return n + 1
"""
CLI = """\
import time

import lib


def pause():
    time.sleep(0.01)
    return "ok"


def run():
    return lib.fetch(1) * 10


def main():
    print(run(), pause())


if __name__ == "__main__":
    main()
"""
ALREADY_ASYNC = """\
import asyncio
import time


def wait():
    time.sleep(0.01)
    return 5


async def main():
    print(wait())


if __name__ == "__main__":
    asyncio.run(main())
"""


def review(root: Path, answers: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [*asyncify_command(), "run", "--interactive", *args, "."],
        cwd=root,
        input=answers,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def drive(root: Path, decide: Callable[[str], str]) -> tuple[int, str, str]:
    """Answer each prompt the way a reviewer would: by reading the hunk shown before it."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.Popen(
        [*asyncify_command(), "run", "--interactive", "."],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    seen, shown = "", ""
    while char := proc.stdout.read(1):
        seen += char
        shown += char
        if shown.endswith("[y,n,a,q,?]? "):
            proc.stdin.write(decide(shown) + "\n")
            proc.stdin.flush()
            shown = ""
    code = proc.wait(timeout=120)
    return code, seen, proc.stderr.read()


def run_program(root: Path, script: str) -> str:
    done = subprocess.run(
        [sys.executable, script], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def prompts(out: str) -> int:
    return out.count("[y,n,a,q,?]")


def test_hunks_one_per_change_with_context_and_owner() -> None:
    after = APP.replace("def helper", "async def helper").replace(
        "return slow(x)", "return await slow(x)"
    )
    (hunk,) = hunks("app.py", APP, after)
    assert hunk.lines[0] == "@@ -6,8 +6,8 @@\n"
    assert [line for line in hunk.lines if line[0] in "+-"] == [
        "-def helper(x):\n",
        "-    return slow(x) + 1\n",
        "+async def helper(x):\n",
        "+    return await slow(x) + 1\n",
    ]
    assert owners(hunk, function_spans(APP)) == {"helper"}


def test_owner_of_an_inserted_decorator_is_the_function_below() -> None:
    before = "import pytest\n\n\nclass T:\n    def test_a(self):\n        pass\n"
    after = before.replace("    def test_a", "    @pytest.mark.asyncio\n    def test_a")
    (hunk,) = hunks("t.py", before, after)
    assert owners(hunk, function_spans(before)) == {"T.test_a"}


def test_nested_function_is_its_own_owner() -> None:
    text = "def outer():\n    def inner():\n        return 1\n    return inner\n"
    spans = function_spans(text)
    assert ("outer.<locals>.inner" in {s[2] for s in spans}) and len(spans) == 2
    (hunk,) = hunks("n.py", text, text.replace("return 1", "return 2"))
    assert owners(hunk, spans) == {"outer.<locals>.inner"}


def test_accept_everything_gives_the_plain_run(tmp_path: Path) -> None:
    plain = project(tmp_path / "plain", {"app.py": APP})
    reviewed = project(tmp_path / "reviewed", {"app.py": APP})
    assert subprocess.run([*asyncify_command(), "run", "."], cwd=plain).returncode == 0
    done = review(reviewed, "y\n" * 20)
    assert done.returncode == 0, done.stderr
    assert prompts(done.stdout) == 6  # import, slow, helper, other, main, entry point
    assert snapshot(reviewed) == snapshot(plain)


def test_a_accepts_the_rest(tmp_path: Path) -> None:
    plain = project(tmp_path / "plain", {"app.py": APP})
    reviewed = project(tmp_path / "reviewed", {"app.py": APP})
    subprocess.run([*asyncify_command(), "run", "."], cwd=plain, check=True)
    done = review(reviewed, "y\na\n")
    assert done.returncode == 0, done.stderr
    assert prompts(done.stdout) == 2
    assert snapshot(reviewed) == snapshot(plain)


def test_rejecting_a_function_keeps_it_and_its_callees_sync(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": APP})
    # import: y, slow: y, helper: n -> re-plan; then accept the rest.
    done = review(root, "y\ny\nn\n" + "y\n" * 10)
    assert done.returncode == 0, done.stderr
    assert "keeping app:helper synchronous" in done.stdout
    assert "so these stay synchronous too: app:slow" in done.stdout
    text = (root / "app.py").read_text()
    ast.parse(text)
    assert "\ndef helper(x):\n    return slow(x) + 1" in text
    assert "\ndef slow(x):\n    time.sleep(0.01)" in text
    assert "async def other" in text and "print(helper(1), await other(2))" in text
    assert run_program(root, "app.py") == "3 2\n"


def test_rejection_across_modules_keeps_the_caller_sync(tmp_path: Path) -> None:
    root = project(tmp_path, {"lib.py": LIB, "cli.py": CLI})
    original = run_program(root, "cli.py")
    asked: list[str] = []

    def decide(hunk: str) -> str:
        asked.append(hunk)
        return "n" if "+async def fetch" in hunk else "y"

    # Rejecting lib.fetch redoes the plan: cli.run no longer awaits and stays sync, and
    # cli.main's hunk, which changed, is asked again.
    code, out, err = drive(root, decide)
    assert code == 0, err
    assert "keeping lib:fetch synchronous" in out
    assert "so these stay synchronous too: cli:run" in out
    assert sum("print(await run(), await pause())" in h for h in asked) == 1
    assert sum("print(run(), await pause())" in h for h in asked) == 1
    assert (root / "lib.py").read_text() == LIB
    text = (root / "cli.py").read_text()
    assert "\ndef run():\n    return lib.fetch(1) * 10" in text
    assert "print(run(), await pause())" in text
    assert run_program(root, "cli.py") == original == "20 ok\n"


def test_rejecting_a_module_level_hunk_keeps_the_file(tmp_path: Path) -> None:
    root = project(tmp_path, {"lib.py": LIB, "cli.py": CLI})

    def decide(hunk: str) -> str:
        return "n" if "+++ b/lib.py" in hunk and "+import asyncio" in hunk else "y"

    code, out, err = drive(root, decide)
    assert code == 0, err
    assert "lib.py: this change cannot be left out alone" in out
    assert "lib.py is left unchanged" in out
    assert (root / "lib.py").read_text() == LIB
    text = (root / "cli.py").read_text()
    assert "await lib.fetch" not in text and "await pause()" in text
    assert run_program(root, "cli.py") == "20 ok\n"


def test_rejecting_an_await_in_code_that_was_already_async_keeps_the_file(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": ALREADY_ASYNC})
    original = run_program(root, "app.py")
    code, out, err = drive(root, lambda hunk: "n" if "print(await wait())" in hunk else "y")
    assert code == 0, err
    assert "does not come from making its function async" in out
    assert (root / "app.py").read_text() == ALREADY_ASYNC
    assert run_program(root, "app.py") == original


def test_quit_and_end_of_input_write_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": APP})
    for answers in ("y\nq\n", "y\n"):
        done = review(root, answers)
        assert done.returncode == 0, done.stderr
        assert "nothing was written" in done.stderr
        assert (root / "app.py").read_text() == APP


def test_help_then_answer(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": APP})
    done = review(root, "?\nq\n")
    assert "a - apply this change and every remaining one" in done.stdout
    assert (root / "app.py").read_text() == APP


def test_interactive_needs_run_and_text(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": APP})
    for extra in (["--dry-run"], ["--format", "json"]):
        done = review(root, "a\n", *extra)
        assert done.returncode == 2
        assert "--interactive" in done.stderr
        assert (root / "app.py").read_text() == APP


def test_rejecting_the_pytest_setting_keeps_only_the_config_file(tmp_path: Path) -> None:
    lib = "import time\n\n\ndef fetch():\n    time.sleep(0)\n    return 1\n"
    test = "import lib\n\n\ndef test_fetch():\n    assert lib.fetch() == 1\n"
    config = '[project]\nname = "lib"\n'
    root = project(
        tmp_path, {"pyproject.toml": config, "lib/__init__.py": lib, "tests/test_lib.py": test}
    )
    code, out, err = drive(root, lambda hunk: "n" if "+++ b/pyproject.toml" in hunk else "y")
    assert code == 0, err
    assert "pyproject.toml is left unchanged" in out
    assert (root / "pyproject.toml").read_text() == config
    assert "async def test_fetch" in (root / "tests" / "test_lib.py").read_text()
