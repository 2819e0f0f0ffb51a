"""Unused-import removal after a rewrite: only scheduled imports, only when truly unused."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from asyncify.imports import remove_unused_imports


def removed(source: str, *removals: tuple[str, str | None, str | None]) -> str:
    return remove_unused_imports(cst.parse_module(textwrap.dedent(source)), removals).code


@pytest.mark.parametrize(
    ("source", "removal", "expected"),
    [
        ("import time\nx = 1\n", ("time", None, None), "x = 1\n"),
        ("import time\nx = time.time()\n", ("time", None, None), "import time\nx = time.time()\n"),
        ("import time as t\nx = 1\n", ("time", None, "t"), "x = 1\n"),
        (
            "from time import sleep, time\nx = time()\n",
            ("time", "sleep", None),
            "from time import time\nx = time()\n",
        ),
        # `asyncio.sleep` does not use a name `sleep`; a keyword `timeout=` uses no `timeout`.
        (
            "from time import sleep\nasyncio.sleep(timeout=1)\n",
            ("time", "sleep", None),
            "asyncio.sleep(timeout=1)\n",
        ),
        (
            "from time import sleep\nf(timeout=1)\n",
            ("time", "timeout", None),
            "from time import sleep\nf(timeout=1)\n",
        ),
        # Names in annotations written as strings and in __all__ count; prose does not.
        (
            "import requests\ndef f(r: 'requests.Response'): pass\n",
            ("requests", None, None),
            "import requests\ndef f(r: 'requests.Response'): pass\n",
        ),
        (
            "from m import x\n__all__ = ['x']\n",
            ("m", "x", None),
            "from m import x\n__all__ = ['x']\n",
        ),
        (
            'import requests\n"""Decode as requests does."""\n',
            ("requests", None, None),
            '"""Decode as requests does."""\n',
        ),
        # Not scheduled: kept even when unused.
        ("import os\nimport time\n", ("time", None, None), "import os\n"),
        ("import a.b\nx = a.c\n", ("a.b", None, None), "import a.b\nx = a.c\n"),
    ],
)
def test_remove_unused_imports(
    source: str, removal: tuple[str, str | None, str | None], expected: str
) -> None:
    assert removed(source, removal) == expected
