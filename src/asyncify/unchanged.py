"""Why a run that found blocking calls changed nothing, in one or two sentences.

The plan records every blocking call that made no function async (:class:`IdleCall`);
when no file changes, the report says which kind they are and the one option or finding
that changes it: file I/O (and the other *weak* APIs) alone does not make a function
async unless its codemod is selected; a function that must stay synchronous (AFY1xx)
keeps what it calls; code at module level runs at import time, outside any event loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asyncify.findings import Finding

# IdleCall.why
WEAK = "weak"  # an API that converts only on an async path (file I/O, subprocess, ...)
PINNED = "pinned"  # its function must stay synchronous (a finding says why)
MODULE = "module"  # module-level code: runs at import time

# What a weak codemod's calls are, as the sentence names them.
KINDS = {
    "files": "file I/O",
    "subprocess": "subprocess calls",
    "urllib": "urllib.request.urlopen calls",
    "blocking": "calls with no async library (input(), sockets, waits)",
}
# Findings of the http codemod that keep a requests session (engine.KEEPS_REQUESTS).
KEPT_SESSIONS = frozenset({"AFY215", "AFY236", "AFY240"})


@dataclass(frozen=True, order=True)
class IdleCall:
    """A blocking call that made no function async, and why (WEAK, PINNED or MODULE)."""

    path: str
    line: int
    api: str
    why: str
    codemod: str = ""  # the codemod that maps ``api`` (filled in by the engine)

    @property
    def place(self) -> str:
        api = self.api.removeprefix("builtins.")
        return f"`{api}` @ {self.path}:{self.line}"


def _calls(calls: Sequence[IdleCall]) -> str:
    """``3 blocking calls (`open` @ a.py:4, `os.listdir` @ a.py:9 and 1 more)``."""
    shown = ", ".join(c.place for c in calls[:2])
    more = f" and {len(calls) - 2} more" if len(calls) > 2 else ""
    noun = "blocking call" if len(calls) == 1 else "blocking calls"
    return f"{len(calls)} {noun} ({shown}{more})"


def why_unchanged(idle: Iterable[IdleCall], findings: Iterable[Finding]) -> list[str]:
    """The sentences that say why nothing converted (empty when nothing blocks).

    ``findings``: the run's findings (the pins' AFY1xx, kept sessions). A weak call is
    idle only when its codemod runs but was not named in ``--select`` (naming it makes its
    calls a reason to become async), so the option to suggest is ``--select`` with it.
    """
    calls = sorted(set(idle))
    found = list(findings)
    lines: list[str] = []
    weak = [c for c in calls if c.why == WEAK]
    if weak:
        codemods = sorted({c.codemod for c in weak if c.codemod})
        kinds = " and ".join(dict.fromkeys(KINDS.get(c, f"`{c}` calls") for c in codemods))
        option = ",".join(codemods)
        lines.append(
            f"Nothing converted: {_calls(weak)} {'is' if len(weak) == 1 else 'are'} "
            f"{kinds or 'blocking calls that convert only in async code'}, which alone "
            "does not make a function async; "
            + (f"`--select {option}` converts {'it' if len(weak) == 1 else 'them'}." if option
               else "select its codemod to convert it.")
        )
    pinned = [c for c in calls if c.why == PINNED]
    if pinned:
        codes = sorted({f.code for f in found if f.code.startswith(("AFY1", "AFY5"))})
        kept = sorted({f.code for f in found if f.code in KEPT_SESSIONS})
        because = ", ".join(codes + kept)
        lines.append(
            f"Nothing converted: {_calls(pinned)} "
            + ("is in a function that" if len(pinned) == 1 else "are in functions that")
            + " must stay synchronous"
            + (f" ({because}, listed above; `asyncify explain {(codes + kept)[0]}` says what "
               "to change)." if because else ".")
        )
    module = [c for c in calls if c.why == MODULE]
    if module:
        lines.append(
            f"Nothing converted: {_calls(module)} {'runs' if len(module) == 1 else 'run'} at "
            "module level, outside any function: asyncify converts functions; move the code "
            "into a function (e.g. `main()`, called under `if __name__ == \"__main__\":`)."
        )
    return lines
