"""Each codemod as a LibCST codemod command, for ``python -m libcst.tool codemod``.

Teams that already drive LibCST's runner can add ``asyncify.codemods`` to the ``modules``
list of their ``.libcst.codemod.yaml`` and run, for example::

    python -m libcst.tool codemod sleep.Command src/

Each file is converted on its own (LibCST's runner gives a command one file at a time):
the codemod's blocking calls, propagation within the module, entry points and imports.
Findings are printed as LibCST warnings. For whole-program propagation across modules use
``asyncify run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import libcst as cst
from libcst.codemod import CodemodCommand

from asyncify.codemod import Codemod


class AsyncifyCommand(CodemodCommand):
    """Runs one asyncify codemod (and propagation) on the module LibCST hands over."""

    CODEMOD: ClassVar[type[Codemod]]

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        from asyncify.engine import plan_for
        from asyncify.index import index_module
        from asyncify.options import Options
        from asyncify.rewrite import rewrite_module

        path = self.context.filename or "<module>"
        module = self.context.full_module_name or Path(path).stem
        is_package = Path(path).name == "__init__.py"
        source = tree.code
        index = index_module(module, path, source, is_package, Path(path).name == "__main__.py")
        # Running one codemod by name selects it (weak APIs such as open() then seed too).
        plan = plan_for([index], [self.CODEMOD], Options(select=frozenset({self.CODEMOD.NAME})))
        new, findings = rewrite_module(source, plan.modules[module], [self.CODEMOD], path)
        for finding in findings:
            self.warn(str(finding))
        return tree if new == source else cst.parse_module(new)


def command_for(codemod: type[Codemod]) -> type[AsyncifyCommand]:
    """The LibCST command class of a codemod (each codemod module exports it as ``Command``)."""
    return type(
        "Command",
        (AsyncifyCommand,),
        {"CODEMOD": codemod, "DESCRIPTION": codemod.DESCRIPTION, "__module__": codemod.__module__},
    )
