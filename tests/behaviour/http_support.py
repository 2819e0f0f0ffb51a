"""A real HTTP server on 127.0.0.1 for the requests → httpx behaviour tests.

Endpoints (all answers are deterministic so that both programs print the same):

* ``/json`` echoes a JSON body as ``{"got": body}``; ``/form`` echoes a form body;
  ``/raw`` echoes the raw body as hex; ``/echo`` echoes method, path, query and
  selected headers; ``/cookie`` sets a cookie; ``/cookies`` shows the cookies sent;
* ``/redirect/<n>`` redirects (302) n times to ``/echo``; ``/go/<code>?to=<location>``
  answers with that code and Location (none without ``to``); ``/headers`` echoes the
  request's headers in order;
* ``/status/<code>`` answers with that status; ``/slow`` waits 1.5 s; ``/stream`` sends
  3 chunks (no Content-Type);
* ``/bytes/<n>`` sends n deterministic bytes; ``/cafe/<latin-1|utf-8>/<plain|octet>``
  sends "café" in that encoding as text/plain or application/octet-stream without a
  charset; ``/lines`` sends chunked utf-8 text lines (CRLF, an empty line, no final newline).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        body = self._body()
        if parts[0] == "json":
            self._send(200, {"got": json.loads(body or b"null")})
        elif parts[0] == "form":
            self._send(200, {"form": sorted(parse_qsl(body.decode()))})
        elif parts[0] == "raw":
            self._send(200, {"raw": body.hex(), "type": self.headers.get("Content-Type")})
        elif parts[0] == "echo":
            self._send(
                200,
                {
                    "method": self.command,
                    "path": url.path,
                    "query": sorted(parse_qsl(url.query, keep_blank_values=True)),
                    "x-token": self.headers.get("X-Token"),
                    "auth": self.headers.get("Authorization"),
                    "body": body.hex(),
                },
            )
        elif parts[0] == "cookie":
            self._send(200, {"set": True}, {"Set-Cookie": "flavour=oat; Path=/"})
        elif parts[0] == "cookies":
            self._send(200, {"cookie": self.headers.get("Cookie")})
        elif parts[0] == "redirect":
            left = int(parts[1])
            target = f"/redirect/{left - 1}" if left > 1 else "/echo"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts[0] == "go":  # /go/<code>?to=<location>: a redirect of any code
            query = dict(parse_qsl(url.query))
            extra = {"Location": query["to"]} if "to" in query else {}
            self._send(int(parts[1]), {"moved": int(parts[1])}, extra)
        elif parts[0] == "headers":  # every request header, as received
            self._send(200, {"headers": [[k, v] for k, v in self.headers.items()]})
        elif parts[0] == "status":
            self._send(int(parts[1]), {"status": int(parts[1])})
        elif parts[0] == "slow":
            time.sleep(1.5)
            self._send(200, {"slow": True})
        elif parts[0] == "stream":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in (b"alpha\n", b"beta\n", b"gamma\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif parts[0] == "bytes":  # n deterministic bytes, Content-Length known
            data = bytes(i % 251 for i in range(int(parts[1])))
            self._send_raw(200, data, "application/octet-stream")
        elif parts[0] == "cafe":  # "café" in latin-1 or utf-8, no charset in Content-Type
            kind = {"plain": "text/plain", "octet": "application/octet-stream"}[parts[2]]
            self._send_raw(200, "café".encode(parts[1]), kind)
        elif parts[0] == "lines":  # chunked text lines, CRLF and an empty line, utf-8
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in ("un\r\ndeux\n", "\ntr", "ois café\nquatre"):
                data = chunk.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._send(404, {"missing": url.path})

    def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    """Base URL of a server running for the module's tests."""
    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
