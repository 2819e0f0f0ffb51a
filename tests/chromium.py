"""A headless Chromium driven over the DevTools protocol, for the HTML report's tests.

No new dependency: Chromium's ``--remote-debugging-pipe`` speaks the DevTools protocol as
NUL-terminated JSON messages over file descriptors 3 (commands in) and 4 (replies and events
out), so a pipe and a reader thread are the whole client. Debian's ``chromium`` package is
used as it is (``apt-get install chromium``); nothing is downloaded.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    """The browser: $ASYNCIFY_CHROMIUM, else Debian's chromium on PATH."""
    named = os.environ.get("ASYNCIFY_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One browser process with one page; ``call`` sends a command to that page."""

    def __init__(self, executable: str, width: int = 1400, height: int = 1000) -> None:
        self.profile = tempfile.mkdtemp(prefix="asyncify-chromium-")
        cmd_read, self._cmd_write = os.pipe()
        self._out_read, out_write = os.pipe()

        def child_fds() -> None:  # the protocol's fds: 3 (commands in), 4 (messages out)
            high_in, high_out = os.dup(cmd_read), os.dup(out_write)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_fds,
            pass_fds=(3, 4),
        )
        os.close(cmd_read)
        os.close(out_write)
        self._next = 0
        self._lock = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session: str | None = None
        target = self.call("Target.createTarget", {"url": "about:blank"}, page=False)
        attached = self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, page=False
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    # -- the protocol ------------------------------------------------------------------
    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._out_read, "rb", buffering=0) as stream:
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    message = json.loads(raw)
                    with self._lock:
                        if "id" in message:
                            self._replies[message["id"]] = message
                        else:
                            self.events.append(message)
                        self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    def call(
        self, method: str, params: dict[str, Any] | None = None, page: bool = True,
        timeout: float = 60,
    ) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            number = self._next
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if page and self.session is not None:
            message["sessionId"] = self.session
        os.write(self._cmd_write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._lock:
            while number not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    raise BrowserError(f"no reply to {method} (browser exited or hung)")
                self._lock.wait(min(left, 0.5))
            reply = self._replies.pop(number)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    # -- what the tests do -------------------------------------------------------------
    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, path: Path, ready: str = "document.body.dataset.ready === '1'",
             timeout: float = 30) -> float:
        """Load a file and wait until ``ready`` holds; the seconds that took."""
        began = time.monotonic()
        self.call("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for(ready, timeout)
        return time.monotonic() - began

    def wait_for(self, condition: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(f"!!({condition})"):
                    return
            except BrowserError:
                pass  # the page is still being replaced
            time.sleep(0.05)
        raise BrowserError(f"timed out waiting for {condition}; errors: {self.errors()}")

    def click(self, x: float, y: float) -> None:
        """A real left click at page (viewport) coordinates, as a user's mouse makes it."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            params: dict[str, Any] = {"type": kind, "x": x, "y": y}
            if kind != "mouseMoved":
                params.update(button="left", clickCount=1)
            self.call("Input.dispatchMouseEvent", params)

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions the page has reported so far."""
        with self._lock:
            events = list(self.events)
        found = []
        for event in events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(str(details.get("exception", {}).get("description") or details))
            elif event.get("method") == "Runtime.consoleAPICalled" and params.get("type") in (
                "error", "assert"
            ):
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in
                                      params.get("args", [])))
            elif event.get("method") == "Log.entryAdded" and params.get("entry", {}).get(
                "level"
            ) == "error":
                entry = params["entry"]
                found.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
        return found

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        """A PNG of the whole page (or of what the window shows)."""
        data = self.call(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full_page}
        )["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close", page=False, timeout=5)
        except BrowserError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._cmd_write)
        shutil.rmtree(self.profile, ignore_errors=True)
