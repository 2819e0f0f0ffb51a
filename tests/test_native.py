"""The native subprocess and urlopen mappings with ``--no-to-thread``: no thread anywhere.

The fixtures run with the default options; here the fallbacks must stay blocking (AFY702)
and the urlopen helper's run-time fallback must call urllib directly, on a skipped line so
that converting the output again changes nothing.
"""

from __future__ import annotations

from asyncify.options import Options
from tests.behaviour.harness import flat
from tests.test_fixtures import run

SOURCE = """\
import subprocess
import time
import urllib.request


async def fetch(cmd, url, **options):
    time.sleep(0)
    subprocess.run(cmd, **options)
    done = subprocess.run(cmd, capture_output=True)
    return done, urllib.request.urlopen(url).read()
"""


def test_no_to_thread_leaves_fallbacks_blocking() -> None:
    options = Options(to_thread=False, compat_module="")  # the helpers in the module
    output, findings = run(SOURCE, "fetch", options)
    assert "to_thread" not in output
    assert "    subprocess.run(cmd, **options)\n" in output  # AFY702: left as it was
    assert "    done = await _subprocess_run(cmd, capture_output=True)\n" in output
    assert "(await _urlopen(url)).read()" in output
    fallback = "return urllib.request.urlopen(request, timeout=seconds, context=context)"
    assert f"{fallback}  # asyncify: skip\n" in output
    assert [(f.code, f.line) for f in sorted(findings)] == [("AFY702", 8), ("AFY706", 10)]
    again, _ = run(output, "fetch", options)
    assert again == output


def test_to_thread_fallbacks_are_reported_with_their_reason() -> None:
    output, findings = run(SOURCE, "fetch", Options(compat_module=""))
    assert "    await asyncio.to_thread(subprocess.run, cmd, **options)\n" in output
    # (the helper's long line is wrapped: compared without line breaks)
    assert "return await asyncio.to_thread(urllib.request.urlopen, request," in flat(output)
    kept = [f for f in findings if f.code == "AFY704"]
    assert len(kept) == 1 and "`**` arguments" in kept[0].message
