"""subprocess → asyncio subprocesses: the converted programs print the same.

Each program runs before (subprocess) and after (``_subprocess_run`` and friends, converted
by the installed ``asyncify run``); stdout, exit code and written files must match.
Children are this Python (``sys.executable -c``), ``sleep`` and ``/bin/sh``.
"""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.harness import run_both

PROGRAM = r'''
import os
import subprocess
import sys

PY = sys.executable


def child(code):
    return [PY, "-c", code]


def results():
    done = subprocess.run(child("print('out'); import sys; print('err', file=sys.stderr)"))
    print("plain", done.args[1:], done.returncode, done.stdout, done.stderr)
    try:
        failing = child("import sys; print('so far'); sys.exit(2)")
        subprocess.run(failing, capture_output=True, check=True)
    except subprocess.CalledProcessError as error:
        print("check", error.returncode, error.cmd[1:], error.output, error.stderr)
        print(" ", str(error)[-30:])
    crlf = "import sys; sys.stdout.buffer.write(b'a\\r\\nb\\rc\\n')"
    crlf += "; sys.stderr.buffer.write(b'e\\r\\n')"
    text = subprocess.run(child(crlf), capture_output=True, text=True)
    raw = subprocess.run(child(crlf), capture_output=True)
    print("newlines", repr(text.stdout), repr(text.stderr), raw.stdout, raw.stderr)
    latin = subprocess.run(
        child("import sys; sys.stdout.buffer.write(b'caf\\xe9\\r\\n')"),
        stdout=subprocess.PIPE, encoding="latin-1",
    )
    bad = subprocess.run(
        child("import sys; sys.stdout.buffer.write(b'caf\\xe9')"),
        stdout=subprocess.PIPE, universal_newlines=True, errors="replace",
    )
    print("encodings", repr(latin.stdout), repr(bad.stdout), latin.stderr)
    upper = "import sys; sys.stdout.write(sys.stdin.read().upper())"
    print("input", subprocess.run(child(upper), input=b"abc", stdout=subprocess.PIPE).stdout)
    text = subprocess.run(child(upper), input="d\r\ne", capture_output=True, text=True)
    print("input text", text)
    echo = child("import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())")
    big = subprocess.run(echo, input=b"x" * 300000, capture_output=True)
    print("big", len(big.stdout), big.stdout == b"x" * 300000)
    empty = subprocess.run(child(upper), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    print("devnull", empty.stdout)
    both = child("import sys; print(1); sys.stdout.flush(); print(2, file=sys.stderr)")
    merged = subprocess.run(both, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    print("merged", merged.stdout, merged.stderr)


def timeouts():
    slow = child("import sys, time; print('started'); sys.stdout.flush(); time.sleep(5)")
    try:
        subprocess.run(slow, capture_output=True, timeout=1, text=True)
    except subprocess.TimeoutExpired as error:
        print("timeout", error.cmd[1:], error.timeout, error.output, error.stderr, str(error)[-25:])
    try:
        subprocess.call(["sleep", "5"], timeout=0.3)
    except subprocess.TimeoutExpired as error:
        print("call timeout", error.cmd, error.timeout, error.output)
    try:
        subprocess.check_output(["sleep", "5"], timeout=0.3)
    except subprocess.TimeoutExpired as error:
        print("check_output timeout", error.cmd, error.output, error.stdout)


def places():
    os.mkdir("sub")
    here = child("import os; print(os.path.basename(os.getcwd()), os.environ.get('FLAVOUR'))")
    env = {**os.environ, "FLAVOUR": "oat"}
    print("cwd env", subprocess.run(here, cwd="sub", env=env, capture_output=True).stdout)
    line = "echo $FLAVOUR; exit 4"
    shell = subprocess.run(line, shell=True, env=env, capture_output=True, text=True)
    print("shell", shell.args, shell.returncode, repr(shell.stdout))
    print("shell list", subprocess.run(["echo shell-list"], shell=True, capture_output=True).stdout)
    print("string program", subprocess.run("true").returncode)
    with open("log.txt", "wb") as log:
        subprocess.run(child("print('to a file')"), stdout=log)


def others():
    print("call", subprocess.call(child("import sys; sys.exit(5)")))
    print("call shell", subprocess.call("exit 6", shell=True))
    print("check_call", subprocess.check_call(child("pass")))
    try:
        subprocess.check_call(child("import sys; sys.exit(7)"))
    except subprocess.CalledProcessError as error:
        print("check_call failed", error.returncode, error.cmd[1:], error.output)
    print("check_output", subprocess.check_output(child("print('bytes')")))
    print("check_output text", repr(subprocess.check_output(child("print('t')"), text=True)))
    stdin = child("import sys; print(repr(sys.stdin.read()))")
    print("check_output input", subprocess.check_output(stdin, input=None))
    try:
        partial = child("print('partial'); import sys; sys.exit(3)")
        subprocess.check_output(partial, stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError as error:
        print("check_output failed", error.returncode, error.output)
    try:
        subprocess.run(["true"], input=b"x", stdin=subprocess.PIPE)
    except ValueError as error:
        print("value error", error)
    try:
        subprocess.run(["/nonexistent/program"])
    except FileNotFoundError as error:
        print("missing", error.errno, error.filename)


def main():
    results()
    timeouts()
    places()
    others()


if __name__ == "__main__":
    main()
'''


def test_subprocess_calls_behave_the_same(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": PROGRAM}, convert_args=("--select", "subprocess"))
    both.assert_same()
    converted = both.converted["main.py"]
    assert "asyncio.to_thread" not in converted
    for helper in ("_subprocess_run", "_subprocess_call", "_subprocess_check_output"):
        assert f"await {helper}(" in converted
    assert "async def main():" in converted
    # What the checks are about: the output read before the timeout, newline translation.
    assert " 1 b'started\\n' None timed out after 1 seconds" in both.before.stdout
    assert "'a\\nb\\nc\\n' 'e\\n' b'a\\r\\nb\\rc\\n'" in both.before.stdout
    assert both.after.files["log.txt"] == b"to a file\n"
