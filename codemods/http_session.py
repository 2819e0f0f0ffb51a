"""A ``requests.Session`` configured by attributes after construction, for ``http.py``.

MAPPING.md §A1/§A2, with requests' ``sessions.py`` / ``adapters.py`` and httpx's
``_client.py``: ``headers``, ``auth``, ``cookies`` and ``max_redirects`` are settable on an
``httpx.AsyncClient`` with the same meaning and stay as they are; ``verify``, ``cert``,
``proxies``, ``trust_env`` and mounted transports are constructor arguments in httpx, so
settings made right after ``requests.Session()`` (before the session is used) are folded
into the ``AsyncClient(...)`` call and anything else is reported (AFY218).
``session.timeout`` is an attribute requests never reads (a request without ``timeout=``
waits forever) but httpx applies it to every request (AFY219); ``session.params`` merge
with a URL's own query in requests and replace it in httpx (AFY208).
``HTTPAdapter(max_retries=n)`` mounted for ``http://``/``https://`` becomes
``AsyncHTTPTransport(retries=n)``, which retries connection failures only (AFY205).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from asyncify.codemod import dotted, keyword_arg
from asyncify.findings import Code

# Settable on httpx.AsyncClient with requests' meaning (httpx _client.py properties).
SETTABLE = frozenset({"headers", "auth", "cookies", "max_redirects"})
# httpx takes these only in the constructor (no attribute, or a read-only property).
CONSTRUCTOR_ONLY = frozenset({"verify", "cert", "proxies", "trust_env"})
# Other Session attributes with no httpx counterpart to set.
NO_COUNTERPART = frozenset({"stream", "adapters"})
ADAPTER = "requests.adapters.HTTPAdapter"
SCHEMES = ("http", "https")
PROXY_KEYS = frozenset({*SCHEMES, "all"})

CONSTRUCTOR_SETTING = Code(
    "AFY218",
    "session setting the async client takes only in its constructor (or not at all), set or "
    "read where asyncify cannot move it",
    "set it right after `requests.Session()` (before the session is used), or pass it to "
    "the AsyncClient(...) yourself",
    doc="""
    A session's `verify`, `cert`, `proxies`, `trust_env` (or `stream`, `adapters`) is set
    or read somewhere asyncify cannot turn into an `httpx.AsyncClient(...)` argument. httpx
    takes these only when the client is built: `client.verify = False` on an AsyncClient
    just creates an unused attribute (TLS is still verified), `client.trust_env = False`
    raises, and there is no `client.verify` / `client.cert` to read back.

    Settings made right after `requests.Session()`, before the session is used, are moved
    into the constructor by asyncify; this finding is for the others: set later (in
    another method, after requests were made), on a session that may be the caller's
    (`session or requests.Session()`), with a value computed from the session, or read
    back. Move the setting next to the construction, or pass it to the client. With
    `--http-client aiohttp`, every setting but `headers` is reported: a `ClientSession`
    takes `auth`, `cookies`, TLS and proxy settings in its constructor or per request.

    Before:

    ```python
    class Api:
        def __init__(self):
            self.session = requests.Session()

        def insecure(self):
            self.session.verify = False
    ```

    After:

    ```python
    class Api:
        def __init__(self, verify=True):
            self.session = httpx.AsyncClient(verify=verify)
    ```
    """,
)
SESSION_TIMEOUT = Code(
    "AFY219",
    "session.timeout: requests ignores it, httpx applies it to every request",
    "pass timeout= per request (or to httpx.AsyncClient) if the requests should time out",
    "note",
    doc="""
    `session.timeout = 5` sets an attribute that requests never reads: a request made
    without `timeout=` waits as long as the server takes. On an `httpx.AsyncClient` the same
    assignment is the client's timeout for every request, so keeping it would make requests
    fail that used to succeed.

    If nothing reads `session.timeout` back, asyncify removes the assignment (the converted
    program waits, as before). If the program reads it (`timeout=self.session.timeout`),
    the assignment stays and now also applies to the requests that do not pass it: check
    them.

    Before:

    ```python
    session = requests.Session()
    session.timeout = 5          # no effect in requests
    session.get(url)             # waits forever
    ```

    After:

    ```python
    session = httpx.AsyncClient(timeout=None, ...)
    await session.get(url)       # still waits; pass timeout=5 if that was meant
    ```
    """,
)


@dataclass
class Setting:
    """One statement configuring a session: ``s.verify = x``, ``s.headers["k"] = v``,
    ``s.proxies.update({...})``, ``s.mount("https://", HTTPAdapter(...))``."""

    statement: cst.SimpleStatementLine
    receiver: str  # as ``http._spelled`` names it
    attr: str
    kind: str  # "assign", "item", "method" (s.attr.m(...)), "mount"
    value: cst.BaseExpression | None = None  # assigned value; the item key's value
    key: cst.BaseExpression | None = None  # "item": the subscript
    call: cst.Call | None = None  # "method", "mount"
    target: cst.Attribute | None = None  # ``s.attr`` as written

    @property
    def session(self) -> cst.BaseExpression | None:
        """The session expression (``s``, ``self.session``)."""
        if self.target is not None:
            return self.target.value
        if self.call is not None and isinstance(self.call.func, cst.Attribute):
            return self.call.func.value
        return None


def setting_of(
    statement: cst.BaseStatement, spelled: Callable[[cst.BaseExpression], str]
) -> Setting | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Attribute) and (receiver := spelled(target.value)):
            return Setting(
                statement, receiver, target.attr.value, "assign", small.value, None, None, target
            )
        if (
            isinstance(target, cst.Subscript)
            and isinstance(target.value, cst.Attribute)
            and len(target.slice) == 1
            and isinstance(target.slice[0].slice, cst.Index)
            and (receiver := spelled(target.value.value))
        ):
            key = target.slice[0].slice.value
            attr = target.value.attr.value
            return Setting(statement, receiver, attr, "item", small.value, key, None, target.value)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        if func.attr.value == "mount" and (receiver := spelled(func.value)):
            return Setting(statement, receiver, "mount", "mount", None, None, call)
        if isinstance(func.value, cst.Attribute) and (receiver := spelled(func.value.value)):
            attr = func.value.attr.value
            return Setting(statement, receiver, attr, "method", None, None, call, func.value)
    return None


@dataclass
class Folded:
    """What moves into one ``AsyncClient(...)`` call."""

    values: dict[str, cst.BaseExpression] = field(default_factory=dict)  # verify, cert, trust_env
    proxies: dict[str, cst.BaseExpression] = field(default_factory=dict)  # http/https/all -> url
    retries: dict[str, cst.BaseExpression] = field(default_factory=dict)  # http/https -> n
    statements: list[Setting] = field(default_factory=list)  # removed from the program
    left: dict[int, str] = field(default_factory=dict)  # id(statement) -> why it stays
    # HTTPAdapter(...) calls folded, with their retries
    adapters: list[tuple[cst.Call, cst.BaseExpression]] = field(default_factory=list)

    def transports(self) -> dict[str, tuple[cst.BaseExpression | None, cst.BaseExpression | None]]:
        """Scheme -> (proxy, retries) of each transport to mount; {} when one ``proxy=``
        serves every scheme (or there is nothing to mount)."""
        per_scheme: dict[str, tuple[cst.BaseExpression | None, cst.BaseExpression | None]] = {}
        for scheme in SCHEMES:
            proxy = self.proxies.get(scheme, self.proxies.get("all"))
            retries = self.retries.get(scheme)
            if proxy is not None or retries is not None:
                per_scheme[scheme] = (proxy, retries)
        proxies = {_code(p) for p, _ in per_scheme.values()}
        if len(per_scheme) == len(SCHEMES) and not self.retries and "" not in proxies:
            if len(proxies) == 1:
                return {}
        return per_scheme

    def transport_settings(self) -> list[Setting]:
        return [s for s in self.statements if s.attr == "proxies" or s.kind == "mount"]

    def without_transports(self) -> None:
        """Leave proxies and mounts where they are (reported there)."""
        moved = {id(s) for s in self.transport_settings()}
        self.statements = [s for s in self.statements if id(s) not in moved]
        self.proxies, self.retries, self.adapters = {}, {}, []

    def arguments(self) -> list[cst.Arg]:
        """``verify=``, ``cert=``, ``trust_env=``, then ``proxy=`` (one proxy for every
        scheme, no retries) or ``mounts=`` with one transport per scheme: a mounted transport
        does not inherit the client's verify/cert/trust_env, so it gets them too."""
        args = [keyword_arg(k, v) for k, v in self.values.items()]
        per_scheme = self.transports()
        proxy = self.proxies.get(SCHEMES[0], self.proxies.get("all"))
        if not per_scheme and proxy is not None:
            return [*args, keyword_arg("proxy", proxy)]
        if not per_scheme:
            return args
        elements = []
        for scheme, (proxy, retries) in per_scheme.items():
            options = [keyword_arg(k, v) for k, v in self.values.items()]
            if proxy is not None:
                options.append(keyword_arg("proxy", proxy))
            if retries is not None:
                options.append(keyword_arg("retries", retries))
            transport = cst.Call(func=dotted("httpx.AsyncHTTPTransport"), args=_commas(options))
            elements.append(cst.DictElement(cst.SimpleString(f'"{scheme}://"'), transport))
        return [*args, keyword_arg("mounts", cst.Dict(elements))]


def _code(node: cst.CSTNode | None) -> str:
    return "" if node is None else cst.Module([]).code_for_node(node)


def _commas(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    out = list(args)
    for i, arg in enumerate(out[:-1]):
        out[i] = arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    if out:
        out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return out


class _Reads(cst.CSTVisitor):
    """Names read, whether a call (or await, yield, walrus) is evaluated, and whether the
    receiver is mentioned, in one expression or statement."""

    def __init__(self, receiver: str, spelled: Callable[[cst.BaseExpression], str]) -> None:
        super().__init__()
        self.receiver = receiver
        self.spelled = spelled
        self.names: set[str] = set()
        self.effects = False
        self.mentions = False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)
        if node.value == self.receiver:
            self.mentions = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.spelled(node) == self.receiver:
            self.mentions = True

    def visit_Call(self, node: cst.Call) -> None:
        self.effects = True

    def visit_Await(self, node: cst.Await) -> None:
        self.effects = True

    def visit_Yield(self, node: cst.Yield) -> None:
        self.effects = True

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.effects = True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False  # not evaluated here


def _reads(
    node: cst.CSTNode, receiver: str, spelled: Callable[[cst.BaseExpression], str]
) -> _Reads:
    found = _Reads(receiver, spelled)
    node.visit(found)
    return found


def _assigned(statement: cst.SimpleStatementLine) -> set[str]:
    names: set[str] = set()
    for small in statement.body:
        targets: list[cst.BaseExpression] = []
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            targets = [small.target]
        for target in targets:
            for node in _names_in(target):
                names.add(node)
    return names


def _names_in(node: cst.CSTNode) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        return {n for el in node.elements for n in _names_in(el.value)}
    if isinstance(node, cst.StarredElement):
        return _names_in(node.value)
    return set()


def fold(
    following: Sequence[cst.BaseStatement],
    receiver: str,
    spelled: Callable[[cst.BaseExpression], str],
    name_of: Callable[[cst.BaseExpression], str],
) -> Folded:
    """The settings among the statements right after a construction that can move into the
    constructor: before anything uses the session, with values that do not read it, that
    no statement left in between reassigns, and that evaluate no call once a statement
    left in place has (the order of calls is kept)."""
    folded = Folded()
    assigned: set[str] = set()
    calls_before = False  # a statement left in place evaluated a call
    blocked: set[str] = set()  # attributes with a setting left in place

    def movable(value: cst.BaseExpression) -> bool:
        reads = _reads(value, receiver, spelled)
        if reads.mentions or reads.names & assigned:
            return False
        return not (reads.effects and calls_before)

    for statement in following:
        setting = setting_of(statement, spelled)
        if setting is None or setting.receiver != receiver:
            if not isinstance(statement, cst.SimpleStatementLine):
                break
            reads = _reads(statement, receiver, spelled)
            if reads.mentions or reads.effects:
                break  # the session may be used from here on
            assigned |= _assigned(statement)
            continue
        # Once a setting of an attribute stays, later ones stay too (their order counts).
        if setting.attr in blocked:
            why = "an earlier setting of it stays where it is"
        else:
            why = _fold_one(setting, folded, movable, name_of)
        if why != MOVED:
            folded.left[id(setting.statement)] = why
            blocked.add(setting.attr)
            calls_before = calls_before or _evaluates_calls(setting, receiver, spelled)
    # Each mounted transport repeats verify=/cert=/trust_env=: only values without calls.
    if folded.transports() and any(
        _reads(v, receiver, spelled).effects for v in folded.values.values()
    ):
        why = "each mounted transport would repeat verify=/cert=, which call code"
        folded.left.update((id(s.statement), why) for s in folded.transport_settings())
        folded.without_transports()
    return folded


def _evaluates_calls(
    setting: Setting, receiver: str, spelled: Callable[[cst.BaseExpression], str]
) -> bool:
    """Whether a setting left in place runs code of the program: ``headers.update({...})``
    calls only requests' own dict method, so only its arguments count."""
    if setting.kind == "method" and setting.attr in SETTABLE and setting.call is not None:
        return any(_reads(arg, receiver, spelled).effects for arg in setting.call.args)
    return _reads(setting.statement, receiver, spelled).effects


MOVED = ""  # _fold_one: the setting moved into the constructor
OUT_OF_ORDER = (
    "its value reads the session, a name set in between, or calls code that would then run "
    "before an earlier statement"
)


def _fold_one(
    setting: Setting,
    folded: Folded,
    movable: Callable[[cst.BaseExpression], bool],
    name_of: Callable[[cst.BaseExpression], str],
) -> str:
    """Move one setting into ``folded``: MOVED, or why it stays."""
    attr, value = setting.attr, setting.value
    if attr in ("verify", "cert", "trust_env") and setting.kind == "assign":
        assert value is not None
        if not movable(value):
            return OUT_OF_ORDER
        folded.values[attr] = value
    elif attr == "proxies":
        entries = _proxy_entries(setting)
        if entries is None:
            return 'not a literal {"http"/"https"/"all": url} mapping'
        if not all(movable(v) for v in entries.values()):
            return OUT_OF_ORDER
        if setting.kind == "assign":
            folded.proxies = {}
        folded.proxies.update(entries)
    elif setting.kind == "mount":
        found = _mounted_retries(setting, name_of)
        if found is None or not movable(found[1]):
            return "not HTTPAdapter(max_retries=<int>) on http:// or https://"
        scheme, retries, adapter = found
        folded.retries[scheme] = retries
        folded.adapters.append((adapter, retries))
    else:
        return "not a constructor setting"
    folded.statements.append(setting)
    return MOVED


def _proxy_entries(setting: Setting) -> dict[str, cst.BaseExpression] | None:
    """``{"https": url}`` from ``s.proxies = {...}``, ``s.proxies.update({...})`` or
    ``s.proxies["https"] = url`` with literal scheme keys; None otherwise."""
    if setting.kind == "item":
        key = _string(setting.key)
        return {key: setting.value} if key in PROXY_KEYS and setting.value is not None else None
    if setting.kind == "assign":
        mapping = setting.value
    elif setting.kind == "method" and setting.call is not None:
        func = setting.call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "update"):
            return None
        if len(setting.call.args) != 1 or setting.call.args[0].keyword or setting.call.args[0].star:
            return None
        mapping = setting.call.args[0].value
    else:
        return None
    if not isinstance(mapping, cst.Dict):
        return None
    entries: dict[str, cst.BaseExpression] = {}
    for element in mapping.elements:
        if not isinstance(element, cst.DictElement):
            return None
        key = _string(element.key)
        if key not in PROXY_KEYS:
            return None
        entries[key] = element.value
    return entries


def _mounted_retries(
    setting: Setting, name_of: Callable[[cst.BaseExpression], str]
) -> tuple[str, cst.BaseExpression, cst.Call] | None:
    """``s.mount("https://", HTTPAdapter(max_retries=3))``: ("https", 3, the adapter call)."""
    call = setting.call
    if call is None or len(call.args) != 2 or any(a.keyword or a.star for a in call.args):
        return None
    prefix, adapter = _string(call.args[0].value), call.args[1].value
    if prefix not in ("http://", "https://") or not isinstance(adapter, cst.Call):
        return None
    if name_of(adapter.func) != ADAPTER:
        return None
    retries: cst.BaseExpression = cst.Integer("0")
    for arg in adapter.args:
        if arg.keyword is None or arg.keyword.value != "max_retries":
            return None  # pool sizes, positional arguments: no transport equivalent
        if not isinstance(arg.value, cst.Integer):
            return None  # a urllib3 Retry (status_forcelist, backoff) has none either
        retries = arg.value
    return prefix.removesuffix("://"), retries, adapter


def _string(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else ""
    return ""
