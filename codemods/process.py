"""``subprocess.run``/``call``/``check_call``/``check_output`` → asyncio subprocesses.

https://docs.python.org/3/library/asyncio-subprocess.html, with subprocess.run's contract
(https://docs.python.org/3/library/subprocess.html#subprocess.run, CPython's
Lib/subprocess.py). asyncio's processes take none of subprocess.run's conveniences (no
``check``, ``timeout``, ``text``, ``input``, ``capture_output``; a string is not a
program), so each call becomes an awaited module-level helper that asyncify adds once per
module, written after the stdlib function it replaces:

* ``_subprocess_run`` returns a real ``subprocess.CompletedProcess`` and raises the real
  ``CalledProcessError`` / ``TimeoutExpired`` (killing the child, with the bytes read so
  far), so ``except subprocess.CalledProcessError`` and ``result.stdout`` keep working.
  Text mode decodes with the same default encoding and turns ``"\\r\\n"`` and ``"\\r"``
  into ``"\\n"``, as ``Popen._translate_newlines`` does.
* ``_subprocess_call`` / ``_subprocess_check_call`` wait without reading pipes, as
  ``call`` does; ``_subprocess_check_output`` is ``run(..., stdout=PIPE, check=True)``.

A call whose arguments the helpers cannot reproduce (``preexec_fn``, ``bufsize``,
Windows-only arguments, ``*args``/``**kwargs`` they cannot see) keeps running in a worker
thread with AFY704. The APIs are *weak*, as in :mod:`blocking`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asyncify.codemod import Api, Codemod, add_helpers
from asyncify.findings import Code
from asyncify.libcst_command import command_for

from .blocking import in_thread

if TYPE_CHECKING:
    from asyncify.rewrite import RewriteState

HELPER_OF = {
    "subprocess.run": "_subprocess_run",
    "subprocess.call": "_subprocess_call",
    "subprocess.check_call": "_subprocess_check_call",
    "subprocess.check_output": "_subprocess_check_output",
}
# Popen keywords that asyncio hands to subprocess.Popen unchanged.
PASSED_ON = frozenset(
    {
        "args", "stdin", "stdout", "stderr", "shell", "cwd", "env", "executable",
        "close_fds", "pass_fds", "start_new_session", "restore_signals", "user", "group",
        "extra_groups", "umask", "pipesize", "process_group",
        "text", "universal_newlines", "encoding", "errors",
    }
)  # fmt: skip
KEYWORDS = {
    "subprocess.run": PASSED_ON | {"input", "capture_output", "timeout", "check"},
    "subprocess.call": PASSED_ON | {"timeout"},
    "subprocess.check_call": PASSED_ON | {"timeout"},
    "subprocess.check_output": PASSED_ON - {"stdout"} | {"input", "capture_output", "timeout"},
}
WHY_NOT = {
    "preexec_fn": "runs between fork and exec, unsafe with the threads asyncio's child "
    "watcher may start",
    "bufsize": "asyncio's pipes are unbuffered (bufsize=0 only)",
    "startupinfo": "Windows-only",
    "creationflags": "Windows-only",
}

START = """
async def _subprocess_start(
    args, shell=False, text=None, universal_newlines=None, encoding=None, errors=None, **kwargs
):
    # Start a process as subprocess.Popen does (added by asyncify): a string or path is the
    # program, or the command line with shell=True. Text mode is the caller's business.
    if text is not None and universal_newlines is not None and bool(text) != bool(
        universal_newlines
    ):
        raise subprocess.SubprocessError(
            "Cannot disambiguate when both text and universal_newlines are supplied but "
            "different. Pass one or the other."
        )
    if shell and isinstance(args, (str, bytes)):
        return await asyncio.create_subprocess_shell(args, **kwargs)
    if shell:
        shell_program = kwargs.pop("executable", None) or "/bin/sh"
        return await asyncio.create_subprocess_exec(shell_program, "-c", *args, **kwargs)
    program, *rest = [args] if isinstance(args, (str, bytes, os.PathLike)) else args
    return await asyncio.create_subprocess_exec(program, *rest, **kwargs)
"""
KILL = """
def _subprocess_kill(process):
    # Kill a process that may have ended already (added by asyncify).
    try:
        process.kill()
    except ProcessLookupError:
        pass
"""
RUN = """
async def _subprocess_run(
    args, *, input=None, capture_output=False, timeout: Any = None, check=False, **kwargs
):
    # subprocess.run on an asyncio process (added by asyncify): the same CompletedProcess,
    # CalledProcessError and TimeoutExpired (the child killed, with the bytes read so far);
    # text mode decodes as subprocess does and turns "\\r\\n" and "\\r" into "\\n".
    if input is not None:
        if kwargs.get("stdin") is not None:
            raise ValueError("stdin and input arguments may not both be used.")
        kwargs["stdin"] = subprocess.PIPE
    if capture_output:
        if kwargs.get("stdout") is not None or kwargs.get("stderr") is not None:
            raise ValueError("stdout and stderr arguments may not be used with capture_output.")
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    text_mode = (
        kwargs.get("encoding") or kwargs.get("errors") or kwargs.get("text")
        or kwargs.get("universal_newlines")
    )
    encoding = kwargs.get("encoding") or locale.getpreferredencoding(False)
    errors = kwargs.get("errors") or "strict"
    process: Any = await _subprocess_start(args, **kwargs)
    sent = {process.stdout: [], process.stderr: []}

    async def feed():
        if process.stdin is None:
            return
        if input:
            try:
                process.stdin.write(input.encode(encoding, errors) if text_mode else input)
                await process.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass
        process.stdin.close()

    async def read(stream):
        while stream is not None:
            chunk = await stream.read(32768)
            sent[stream].append(chunk)
            if not chunk:
                break

    async def exchange():
        await asyncio.gather(feed(), read(process.stdout), read(process.stderr))
        await process.wait()

    try:
        await asyncio.wait_for(exchange(), timeout)
    except asyncio.TimeoutError:
        _subprocess_kill(process)
        await process.wait()
        out = b"".join(sent[process.stdout]) if sent[process.stdout] else None
        err = b"".join(sent[process.stderr]) if sent[process.stderr] else None
        raise subprocess.TimeoutExpired(args, timeout, output=out, stderr=err) from None
    except BaseException:
        _subprocess_kill(process)
        raise
    def result_of(stream):
        if stream is None:
            return None
        data = b"".join(sent[stream])
        if not text_mode:
            return data
        return data.decode(encoding, errors).replace("\\r\\n", "\\n").replace("\\r", "\\n")

    stdout, stderr = result_of(process.stdout), result_of(process.stderr)
    if check and process.returncode:
        raise subprocess.CalledProcessError(process.returncode, args, output=stdout, stderr=stderr)
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
"""
CALL = """
async def _subprocess_call(args, *, timeout: Any = None, **kwargs):
    # subprocess.call on an asyncio process (added by asyncify): wait for the exit code; on
    # timeout kill the child and raise subprocess.TimeoutExpired.
    process: Any = await _subprocess_start(args, **kwargs)
    try:
        return await asyncio.wait_for(process.wait(), timeout)
    except asyncio.TimeoutError:
        _subprocess_kill(process)
        await process.wait()
        raise subprocess.TimeoutExpired(args, timeout) from None
    except BaseException:
        _subprocess_kill(process)
        raise
"""
CHECK_CALL = """
async def _subprocess_check_call(args, **kwargs):
    # subprocess.check_call on an asyncio process (added by asyncify).
    returncode = await _subprocess_call(args, **kwargs)
    if returncode:
        raise subprocess.CalledProcessError(returncode, args)
    return 0
"""
CHECK_OUTPUT = """
async def _subprocess_check_output(args, *, timeout=None, **kwargs):
    # subprocess.check_output on an asyncio process (added by asyncify).
    for keyword in ("stdout", "check"):
        if keyword in kwargs:
            raise ValueError(f"{keyword} argument not allowed, it will be overridden.")
    if "input" in kwargs and kwargs["input"] is None:
        keys = ("universal_newlines", "text", "encoding", "errors")
        kwargs["input"] = "" if any(kwargs.get(k) for k in keys) else b""
    done = await _subprocess_run(
        args, stdout=subprocess.PIPE, timeout=timeout, check=True, **kwargs
    )
    return done.stdout
"""
# Each helper's source and the helpers it calls, in the order they are added.
HELPERS = {
    "_subprocess_start": (START, ()),
    "_subprocess_kill": (KILL, ()),
    "_subprocess_run": (RUN, ("_subprocess_start", "_subprocess_kill")),
    "_subprocess_call": (CALL, ("_subprocess_start", "_subprocess_kill")),
    "_subprocess_check_call": (CHECK_CALL, ("_subprocess_call",)),
    "_subprocess_check_output": (CHECK_OUTPUT, ("_subprocess_run",)),
}
IMPORTS = {
    "_subprocess_start": (("asyncio", None), ("os", None), ("subprocess", None)),
    "_subprocess_run": (("locale", None), ("typing", "Any")),
    "_subprocess_call": (("typing", "Any"),),
}

KEPT_IN_THREAD = Code(
    "AFY704",
    "subprocess call kept in a worker thread: an argument has no faithful asyncio form",
    "drop or replace the argument (preexec_fn → start_new_session=/process_group=, "
    "spell out *args/**kwargs) and run asyncify again",
    "note",
    doc="""
    `subprocess.run`, `call`, `check_call` and `check_output` become awaited helpers on
    asyncio's subprocesses (`_subprocess_run`, ... added to the module), except when the call
    has an argument the helpers cannot reproduce: `preexec_fn` (it runs between fork and
    exec, which is unsafe with the threads that asyncio's child watcher may start),
    `bufsize` (asyncio's pipes accept only `bufsize=0`), the Windows-only `startupinfo` and
    `creationflags`, positional arguments after `args`, a keyword the function does not
    take, or `*args`/`**kwargs` whose names asyncify cannot see. Such a call runs unchanged
    in a worker thread (`asyncio.to_thread`), like AFY701: the same behaviour, but it holds
    a thread and cannot be cancelled.

    Before:

    ```python
    async def build(opts):
        subprocess.run(["make"], **opts)
    ```

    After (spell the keywords out; asyncify then converts the call):

    ```python
    async def build(cwd):
        await _subprocess_run(["make"], cwd=cwd)
    ```
    """,
)


class Subprocess(Codemod):
    NAME = "subprocess"
    DESCRIPTION = "subprocess.run/call/check_call/check_output → await an asyncio subprocess helper"
    APIS = tuple(Api(name, weak=True) for name in HELPER_OF)

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        self.helpers: set[str] = set()

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        api = self.api_of(original_node)
        if not api or not isinstance(updated_node, cst.Call):
            return updated_node
        if not self.should_convert(original_node):
            return updated_node
        problem = unsupported(api, original_node)
        if problem:
            return in_thread(
                self, original_node, updated_node, KEPT_IN_THREAD, f"`{api}`: {problem}"
            )
        helper = HELPER_OF[api]
        self.use(helper)
        self.remove_import_of(original_node.func)
        return cst.Await(expression=updated_node.with_changes(func=cst.Name(helper)))

    def use(self, helper: str) -> None:
        if helper in self.helpers:
            return
        self.helpers.add(helper)
        for needed in HELPERS[helper][1]:
            self.use(needed)
        for module, name in IMPORTS.get(helper, ()):
            self.add_import(module, name)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        sources = [source for name, (source, _) in HELPERS.items() if name in self.helpers]
        return add_helpers(updated_node, sources)


def unsupported(api: str, call: cst.Call) -> str:
    """Why the helper of ``api`` cannot reproduce ``call`` ("" when it can)."""
    positional = 0
    for arg in call.args:
        if arg.star:
            return f"`{arg.star}` arguments (their names cannot be checked)"
        if arg.keyword is None:
            positional += 1
            if positional > 1:
                return "positional arguments after `args`"
            continue
        name = arg.keyword.value
        if name in WHY_NOT:
            return f"`{name}=`: {WHY_NOT[name]}"
        if name not in KEYWORDS[api]:
            return f"`{name}=` is not an argument asyncify maps"
    return ""


Command = command_for(Subprocess)  # python -m libcst.tool codemod process.Command
