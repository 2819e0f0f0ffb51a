"""Engine guarantees: verification, freezing, bad input, newline and encoding styles."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from asyncify import engine
from asyncify.codemod import Api, Codemod
from asyncify.engine import convert, convert_texts
from asyncify.findings import Finding
from asyncify.options import Options
from asyncify.sourcefile import SourceFile


class Unstable(Codemod):
    """Adds a comment on every run, so a second run always changes the file again."""

    NAME = "unstable"
    APIS = (Api("bogus.block", anywhere=True),)  # so a second run rewrites the file again

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(
            footer=[*updated_node.footer, cst.EmptyLine(comment=cst.Comment("# again"))]
        )


def sources(files: dict[str, str]) -> list[tuple[SourceFile, str, str]]:
    return [
        (SourceFile(Path(name), name.removesuffix(".py")), name, text)
        for name, text in files.items()
    ]


def test_unstable_output_is_left_untouched_and_callers_stay_sync(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codemods = (*engine.all_codemods(), Unstable)
    monkeypatch.setattr(engine, "all_codemods", lambda: codemods)
    files = {
        "low.py": "import time\nimport bogus\n\n"
        "def wait():\n    time.sleep(0)\n    bogus.block()\n",
        "high.py": "from low import wait\n\ndef main():\n    wait()\n",
    }
    plan, outcomes = convert_texts(sources(files), Options())
    low = outcomes["low.py"]
    assert isinstance(low, Finding) and low.code == "AFY003"
    # low.py stays as it was, so nothing may await its functions.
    assert "high.py" not in outcomes or outcomes["high.py"][0] == files["high.py"]  # type: ignore[index]
    assert plan.async_functions == frozenset()


class AwaitAtTop(Codemod):
    """Writes code that parses but does not compile (`await` in a plain function)."""

    NAME = "await_at_top"
    APIS = (Api("bogus.block", anywhere=True),)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        bad = cst.parse_statement("def broken():\n    await bogus.block()\n")
        return updated_node.with_changes(body=[*updated_node.body, bad])


def test_output_that_parses_but_does_not_compile_is_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codemods = (*engine.all_codemods(), AwaitAtTop)
    monkeypatch.setattr(engine, "all_codemods", lambda: codemods)
    files = {"low.py": "import bogus\n\ndef wait():\n    bogus.block()\n"}
    _, outcomes = convert_texts(sources(files), Options())
    low = outcomes["low.py"]
    assert isinstance(low, Finding) and low.code == "AFY003"
    assert "does not compile" in low.message and "outside async function" in low.message


def test_a_call_left_without_await_freezes_the_callee(monkeypatch: pytest.MonkeyPatch) -> None:
    """The invariant, checked on the converted program: a function that became async is
    never called without await. A violation is not shipped: the callee's file stays as it
    was (AFY140, at the call site) and the plan is redone with it synchronous."""
    rewrite = engine._rewrite_one

    def drops_an_await(item):  # type: ignore[no-untyped-def]
        """Simulates a propagation bug: in high.py the await on `wait()` goes missing."""
        result = rewrite(item)
        if item[3] == "high.py" and not isinstance(result, Finding):
            return result[0].replace("await wait()", "wait()"), result[1]
        return result

    monkeypatch.setattr(engine, "_rewrite_one", drops_an_await)
    files = {
        "low.py": "import time\n\ndef wait():\n    time.sleep(0)\n",
        "high.py": "from low import wait\n\ndef main():\n    wait()\n    return 1\n",
    }
    plan, outcomes = convert_texts(sources(files), Options())
    low = outcomes["low.py"]
    assert isinstance(low, Finding) and low.code == "AFY140", low
    assert (low.path, low.line, low.col) == ("high.py", 4, 4)
    assert "low:wait" in low.message
    assert "high.py" not in outcomes or outcomes["high.py"][0] == files["high.py"]  # type: ignore[index]
    assert plan.async_functions == frozenset()


def test_awaited_and_run_coroutines_are_not_violations() -> None:
    """`await f()`, `asyncio.run(f())`, `asyncio.gather(f(), g())` and a task group's
    `create_task(f())` all run the coroutine: the converted program has no violation."""
    files = {
        "app.py": "import time\n\ndef f():\n    time.sleep(0)\n    return 1\n\n"
        "def main():\n    return f() + f()\n\nif __name__ == '__main__':\n    print(main())\n",
        "runner.py": "import asyncio\nfrom app import f\n\nasync def both():\n"
        "    return await asyncio.gather(f(), f())\n\nasync def grouped():\n"
        "    async with asyncio.TaskGroup() as tg:\n        tg.create_task(f())\n",
    }
    plan, outcomes = convert_texts(sources(files), Options())
    assert not any(isinstance(o, Finding) for o in outcomes.values()), outcomes
    assert "app.f" in plan.async_functions
    assert "await f()" in outcomes["app.py"][0]  # type: ignore[index]


def test_input_that_does_not_compile_is_still_converted() -> None:
    """A script with `await` at top level (a notebook export) parses; it is not our error."""
    files = {"nb.py": "import time\n\ndef f():\n    time.sleep(0)\n\nawait g()\n"}
    _, outcomes = convert_texts(sources(files), Options())
    out = outcomes["nb.py"]
    assert not isinstance(out, Finding) and "async def f" in out[0]


def test_syntax_error_file_is_reported_and_others_still_convert() -> None:
    files = {
        "bad.py": "def broken(:\n    pass\n",
        "good.py": "import time\n\ndef f():\n    time.sleep(0)\n",
    }
    _, outcomes = convert_texts(sources(files), Options())
    bad = outcomes["bad.py"]
    assert isinstance(bad, Finding) and bad.code == "AFY001" and bad.line == 1
    good = outcomes["good.py"]
    assert not isinstance(good, Finding) and "await asyncio.sleep(0)" in good[0]


@pytest.mark.parametrize(
    "data",
    [
        b"import time\r\n\r\ndef f():\r\n    time.sleep(0)  # crlf\r\n",
        "\ufeffimport time\n\ndef f():\n    time.sleep(0)  # bom: é\n".encode("utf-8"),
        "# -*- coding: latin-1 -*-\nimport time\n\ndef f():\n    time.sleep(0)  # é\n".encode(
            "latin-1"
        ),
    ],
    ids=["crlf", "bom", "latin-1-cookie"],
)
def test_newlines_bom_and_encoding_are_kept(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(data)
    result = convert([SourceFile(path, "m")], Options()).files[0]
    assert result.error is None and result.new is not None
    new = result.new
    if b"\r\n" in data:
        assert new.count(b"\r\n") == new.count(b"\n")
    if data.startswith(b"\xef\xbb\xbf"):
        assert new.startswith(b"\xef\xbb\xbf")
    if b"latin-1" in data:
        assert "# é".encode("latin-1") in new
    assert b"await asyncio.sleep(0)" in new


def test_nul_byte_and_undecodable_files_are_errors(tmp_path: Path) -> None:
    nul = tmp_path / "nul.py"
    nul.write_bytes(b"x = 1\x00\n")
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff\xfe'\n")
    results = convert([SourceFile(nul, "nul"), SourceFile(bad, "bad")], Options()).files
    assert [r.error.code if r.error else None for r in results] == ["AFY002", "AFY002"]
    assert all(r.new is None for r in results)


def test_decorator_from_another_module_gets_its_async_branch() -> None:
    """The decorated function's module is not the decorator's: both must be rewritten."""
    files = {
        "deco.py": "import functools\n\n\ndef translate(func):\n"
        "    @functools.wraps(func)\n    def wrapper(*a, **k):\n"
        "        try:\n            return func(*a, **k)\n"
        "        except KeyError as e:\n            raise LookupError(e) from e\n\n"
        "    return wrapper\n",
        "app.py": "import time\n\nfrom deco import translate\n\n\n@translate\n"
        "def lookup(key):\n    time.sleep(0)\n    return {}[key]\n",
    }
    _, outcomes = convert_texts(sources(files), Options())
    deco, app = outcomes["deco.py"], outcomes["app.py"]
    assert not isinstance(deco, Finding) and not isinstance(app, Finding)
    assert "async def lookup" in app[0]
    assert "if inspect.iscoroutinefunction(func):" in deco[0]
    assert "return await func(*a, **k)" in deco[0]


def test_except_in_a_module_without_requests_calls_catches_both() -> None:
    """The error comes from another module's converted call: httpx's error is caught, and
    requests' still is (another module might keep a requests call)."""
    files = {
        "w.py": "import requests\n\n\ndef fetch(url):\n    r = requests.get(url)\n"
        "    r.raise_for_status()\n    return r.json()\n",
        "main.py": "import requests\n\nimport w\n\n\ndef main():\n    try:\n"
        "        return w.fetch('http://x')\n    except requests.HTTPError as e:\n"
        "        return e.response.status_code\n",
    }
    _, outcomes = convert_texts(sources(files), Options())
    main = outcomes["main.py"]
    assert not isinstance(main, Finding)
    assert "except (requests.HTTPError, httpx.HTTPStatusError) as e:" in main[0]
    assert "await w.fetch(" in main[0]
