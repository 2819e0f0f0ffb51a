"""``time.sleep(s)`` → ``await asyncio.sleep(s)``.

https://docs.python.org/3/library/asyncio-task.html#asyncio.sleep. One difference
(MAPPING.md §D): a negative delay raises ValueError in ``time.sleep`` and returns at once
in ``asyncio.sleep``; a literal negative delay is reported.
"""

from __future__ import annotations

import libcst as cst

from asyncify.codemod import Api, Codemod, dotted
from asyncify.findings import Code
from asyncify.libcst_command import command_for

NEGATIVE_DELAY = Code(
    "AFY601",
    "negative delay: time.sleep raises ValueError, asyncio.sleep returns at once",
    "check the delay before sleeping if the program relies on the error",
    doc="""
    `time.sleep()` gets a negative literal delay. `time.sleep(-1)` raises `ValueError`;
    `asyncio.sleep(-1)` returns at once. The call is converted; the program no longer fails
    there.

    If the program relies on the error, check the delay yourself.

    Before:

    ```python
    time.sleep(-1)
    ```

    After:

    ```python
    delay = -1
    if delay < 0:
        raise ValueError("sleep length must be non-negative")
    await asyncio.sleep(delay)
    ```
    """,
)


class Sleep(Codemod):
    NAME = "sleep"
    DESCRIPTION = "time.sleep(s) → await asyncio.sleep(s)"
    APIS = (Api("time.sleep", replaced_by="asyncio.sleep"),)

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Call) or not self.api_of(original_node):
            return updated_node
        if not self.should_convert(original_node):
            return updated_node
        args = original_node.args
        if (
            args
            and isinstance(args[0].value, cst.UnaryOperation)
            and isinstance(args[0].value.operator, cst.Minus)
        ):
            self.report(NEGATIVE_DELAY, original_node)
        self.add_import("asyncio")
        self.remove_import_of(original_node.func)
        return cst.Await(expression=updated_node.with_changes(func=dotted("asyncio.sleep")))


Command = command_for(Sleep)  # python -m libcst.tool codemod sleep.Command
