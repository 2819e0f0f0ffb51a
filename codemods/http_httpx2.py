"""The ``httpx2`` target of the ``http`` codemod (``--http-client httpx2``).

httpx2 (https://github.com/pydantic/httpx2, a maintained fork of httpx; flake8-async's
ASYNC127 recommends it over httpx, which has had no release since 0.28.1) keeps httpx's
API: ``AsyncClient``, the request and response methods, ``codes``, ``BasicAuth`` and the
exception classes have the same names (checked against httpx2 2.16.2's ``__all__``). The
conversion is therefore the httpx mapping of ``http.py`` with the module renamed.

One difference matters for behaviour: with the default ``verify=True`` httpx2 verifies TLS
against the operating system's trust store (httpcore2 ``default_ssl_context``: the system
CA files, ``truststore`` on Windows and macOS; ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when
set), where requests (and httpx) use certifi's bundle. AFY250 says so, with the
``verify=`` that keeps certifi's behaviour.
"""

from __future__ import annotations

import libcst as cst

from asyncify.codemods.http import Http
from asyncify.findings import Code

TRUST_STORE = Code(
    "AFY250",
    "httpx2 verifies TLS against the operating system's trust store, not certifi's bundle"
    " as requests does",
    "to keep requests' certificates pass verify=ssl.create_default_context("
    "cafile=certifi.where()) to the AsyncClient",
    level="note",
    doc="""
    requests verifies HTTPS servers against the certificates of the `certifi` package;
    httpx2 (with the default `verify=True`) uses the operating system's trust store: the
    system CA files on Linux, the platform verifier (`truststore`) on Windows and macOS, or
    `SSL_CERT_FILE`/`SSL_CERT_DIR` when set. A server signed by a CA that only one of them
    trusts (a company CA installed in the system store, a minimal container without CA
    files) is accepted by one and refused by the other. Usually that is what you want
    (TLS-inspecting proxies, private CAs); if the program must keep trusting exactly what
    requests trusted, give the client certifi's bundle.

    Before:

    ```python
    r = requests.get("https://example.com")
    ```

    After (converted), keeping certifi's CAs:

    ```python
    import ssl
    import certifi

    async with httpx2.AsyncClient(
        verify=ssl.create_default_context(cafile=certifi.where()), ...
    ) as client:
        r = await client.get("https://example.com")
    ```
    """,
)

KEEPS_HTTPX = Code(
    "AFY251",
    "module already uses httpx: the converted requests code uses httpx too, not httpx2",
    "switch the module's own httpx code to httpx2 (same API), then convert again",
    doc="""
    With `--http-client httpx2`, converted requests code uses `httpx2`. In a module that
    already refers to the name `httpx` (its own httpx code, or a variable of that name),
    asyncify cannot tell its httpx from the one it writes, so it writes httpx there.

    Before:

    ```python
    import httpx
    import requests
    ```

    After (by hand, then run asyncify again):

    ```python
    import httpx2 as httpx
    import requests
    ```
    """,
)

MODULE = "httpx2"


class HttpHttpx2(Http):
    """The ``http`` codemod with ``--http-client httpx2`` (:meth:`Http.variant` picks it)."""

    NAME = ""  # not a codemod of its own
    DESCRIPTION = "requests → httpx2.AsyncClient (the httpx mapping, httpx2's module)"

    def __init__(self, state: object) -> None:
        super().__init__(state)  # type: ignore[arg-type]
        self.keeps_httpx = False  # the module has its own `httpx`: write httpx there
        self.first_conversion: cst.Call | None = None

    def visit_Module(self, node: cst.Module) -> None:
        self.keeps_httpx = _mentions(node, "httpx")
        super().visit_Module(node)

    def add_import(self, module: str, obj: str | None = None, asname: str | None = None) -> None:
        if not self.keeps_httpx and (module == "httpx" or module.startswith("httpx.")):
            module = MODULE + module[len("httpx") :]
        super().add_import(module, obj, asname)

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        new = super().leave_Call(original_node, updated_node)
        if new is not updated_node and self.first_conversion is None:
            self.first_conversion = original_node
        return new

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        new = super().leave_Module(original_node, updated_node)
        if not _mentions(new, "httpx"):
            return new
        at = self.first_conversion or original_node
        if self.keeps_httpx:
            self.report(KEEPS_HTTPX, at)
            return new
        self.report(TRUST_STORE, at)
        return new.visit(_Rename("httpx", MODULE))


def _mentions(node: cst.CSTNode, name: str) -> bool:
    class Find(cst.CSTVisitor):
        found = False

        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                Find.found = True

    finder = Find()
    node.visit(finder)
    return Find.found


class _Rename(cst.CSTTransformer):
    """Every ``httpx`` name (the module asyncify wrote: the original had none) → ``httpx2``."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old, self.new = old, new

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return (
            updated_node.with_changes(value=self.new)
            if updated_node.value == self.old
            else updated_node
        )
