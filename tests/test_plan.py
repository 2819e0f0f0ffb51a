"""The plan as data: which functions become async, and why (sets of qualified names)."""

from __future__ import annotations

import textwrap

from asyncify.engine import all_codemods, plan_for
from asyncify.index import index_module
from asyncify.options import Options
from asyncify.plan import AsyncPlan


def plan(modules: dict[str, str]) -> AsyncPlan:
    indexes = []
    for name, source in modules.items():
        is_package = name.endswith(".__init__")
        module = name.removesuffix(".__init__")
        path = name.replace(".", "/") + ".py"
        indexes.append(index_module(module, path, textwrap.dedent(source), is_package, False))
    return plan_for(indexes, all_codemods(), Options())


def test_propagates_across_modules_and_reexports() -> None:
    p = plan(
        {
            "app.__init__": "from .low import wait as pause\n",
            "app.low": "import time\ndef wait():\n    time.sleep(1)\ndef pure():\n    return 1\n",
            "app.mid": "from app import pause\nimport app.low as low\n"
            "def a():\n    pause()\ndef b():\n    return low.pure()\n",
            "app.top": "from .mid import a, b\ndef main():\n    a()\n    b()\n",
        }
    )
    assert p.async_functions == {"app.low.wait", "app.mid.a", "app.top.main"}
    assert p.chains["app.top.main"][1:] == (
        "app.mid.a",
        "app.low.wait",
        "time.sleep @ app/low.py:3",
    )


def test_methods_through_attributes_and_annotations() -> None:
    p = plan(
        {
            "svc": """
            import time
            class Repo:
                def save(self):
                    time.sleep(0)
            class Service:
                def __init__(self, repo: Repo):
                    self.repo = repo
                    self.other = Repo()
                def place(self):
                    self.repo.save()
                def again(self):
                    self.other.save()
            def run(service: Service):
                service.place()
            def untyped(thing):
                return thing.save
            """
        }
    )
    assert p.async_functions == {
        "svc.Repo.save",
        "svc.Service.place",
        "svc.Service.again",
        "svc.run",
    }


def test_parameter_types_from_call_sites() -> None:
    p = plan(
        {
            "m": """
            import time
            class A:
                def go(self):
                    time.sleep(0)
            class B:
                def go(self):
                    return 1
            def use(x):
                x.go()
            def main():
                use(A())
            """
        }
    )
    assert p.async_functions == {"m.A.go", "m.use", "m.main"}


def test_a_method_called_on_a_value_that_may_be_something_else_is_awaited_adaptively() -> None:
    p = plan(
        {
            "m": """
            import time
            class A:
                def run(self):
                    time.sleep(0)
                def get(self):
                    time.sleep(0)
            def use_mixed(x):
                x.run()
                x.get()
            def main():
                use_mixed(A())
                use_mixed(object())
            """
        }
    )
    # x may be an A or not (issue 15: adapt, do not pin): A's methods become async and
    # both calls are awaited only if what they return is awaitable, each with a finding.
    assert p.async_functions == {"m.A.get", "m.A.run", "m.use_mixed", "m.main"}
    assert sorted(f.code for f in p.findings()) == ["AFY113", "AFY113"]
    sites = p.modules["m"].awaits.values()
    assert sorted(site.context for site in sites) == ["adaptive", "adaptive", "await", "await"]


def test_a_name_only_project_classes_define_is_taken_to_call_them() -> None:
    p = plan(
        {
            "m": """
            import time
            class Store:
                def save_all(self):
                    time.sleep(0)
            class Memory:
                def save_all(self):
                    return None
            def use(x):
                x.save_all()
            def main(x):
                use(x)
            """
        }
    )
    # Only Store and Memory define save_all: the unknown x is one of them, and the two
    # methods become async together (a call cannot await one and not the other).
    assert p.async_functions == {"m.Store.save_all", "m.Memory.save_all", "m.use", "m.main"}
    assert [f.code for f in p.findings()] == ["AFY111"]
    assert "or one of 1 more method" in p.findings()[0].message


def test_pinned_functions_and_their_callees_stay_sync() -> None:
    p = plan(
        {
            "m": """
            import time
            def deep():
                time.sleep(0)
            def helper():
                deep()
            class C:
                def __repr__(self):
                    return str(helper())
            def other():
                deep()
            """
        }
    )
    assert p.async_functions == set()
    assert {f.code for f in p.findings()} == {"AFY102"}


def test_no_over_conversion() -> None:
    p = plan(
        {
            "m": """
            import time
            def pure(x):
                return x * 2
            def slow():
                time.sleep(0)
            def main():
                slow()
                return pure(2)
            """
        }
    )
    assert p.async_functions == {"m.slow", "m.main"}


def test_plan_json_lists_chains() -> None:
    p = plan({"m": "import time\ndef f():\n    time.sleep(0)\ndef g():\n    f()\n"})
    data = p.to_json()
    assert data["async_functions"] == [
        {"name": "m:f", "chain": ["m:f", "time.sleep @ m.py:3"]},
        {"name": "m:g", "chain": ["m:g", "m:f", "time.sleep @ m.py:3"]},
    ]


def test_overrides_become_async_together() -> None:
    p = plan(
        {
            "m": """
            import time
            class Base:
                def fetch(self):
                    return 0
                def run(self):
                    return self.fetch()
            class Slow(Base):
                def fetch(self):
                    time.sleep(0)
                    return 1
            class Other(Base):
                pass
            def main(b: Base):
                return b.run()
            """
        }
    )
    assert p.async_functions == {"m.Base.fetch", "m.Slow.fetch", "m.Base.run", "m.main"}


def test_class_level_annotations_type_attributes() -> None:
    p = plan(
        {
            "m": """
            import time
            from dataclasses import dataclass
            class Repo:
                def save(self):
                    time.sleep(0)
            @dataclass
            class Service:
                repo: Repo
                def place(self):
                    self.repo.save()
            """
        }
    )
    assert p.async_functions == {"m.Repo.save", "m.Service.place"}


def test_blocking_init_becomes_an_async_factory_when_constructed_in_the_project() -> None:
    p = plan(
        {
            "m": """
            import time
            class Store:
                def __init__(self):
                    time.sleep(0)
            class Unused:
                def __init__(self):
                    time.sleep(0)
            def main():
                return Store()
            """
        }
    )
    assert p.async_functions == {"m.Store.__init__", "m.main"}
    assert p.modules["m"].factories == {"Store": "create"}
    assert {f.code for f in p.findings()} == {"AFY102"}  # Unused keeps its sync API


def test_already_async_functions_are_not_seeds() -> None:
    p = plan(
        {
            "m": """
            import time
            async def already():
                time.sleep(0)
            def caller():
                return already()
            """
        }
    )
    assert p.async_functions == set()


def test_blocking_audit_follows_helpers_and_methods_from_async_code() -> None:
    modules = {
        "app.helpers": """
        import requests
        class Client:
            def __init__(self):
                self.session = requests.Session()
            def fetch(self, url):
                return self.session.get(url)
        def load(url):
            return requests.get(url)
        class Cache:
            def __repr__(self):
                return str(load("http://x/"))
        def unused():
            return requests.get("http://y/")
        """,
        "app.server": """
        from app.helpers import Cache, Client, load
        async def handler(url, client: Client):
            print(repr(Cache()))
            client.fetch(url)
            return load(url)
        """,
    }
    indexes = [
        index_module(name, name.replace(".", "/") + ".py", textwrap.dedent(src), False, False)
        for name, src in modules.items()
    ]
    audited = plan_for(indexes, all_codemods(), Options(blocking_audit=True))
    found = {(f.code, f.line) for f in audited.findings() if f.code == "AFY120"}
    # load() is pinned by __repr__ and called from handler; Client.fetch is converted by run.
    assert found == {("AFY120", 9)}  # `return requests.get(url)` in load
    assert "app.helpers.Client.fetch" in audited.async_functions
    plain = plan_for(indexes, all_codemods(), Options())
    assert not [f for f in plain.findings() if f.code == "AFY120"]


def test_type_annotated_factory_parameters_build_instances() -> None:
    p = plan(
        {
            "m": """
            import time
            from typing import Type
            class Backend:
                def request(self):
                    time.sleep(0)
            class Client:
                def __init__(self, backend_cls: Type[Backend] = Backend):
                    self.backend = backend_cls()
                def get(self):
                    return self.backend.request()
            """
        }
    )
    assert p.async_functions == {"m.Backend.request", "m.Client.get"}
    assert not p.findings()


def test_subclasses_of_library_classes_keep_their_methods_sync() -> None:
    p = plan(
        {
            "m": """
            import threading
            import time
            import requests
            class Client(requests.Session):
                def request(self, method, url, **kwargs):
                    return super().request(method, "http://x" + url, **kwargs)
                def version(self):
                    return self.get("/version").json()
            class Worker(threading.Thread):
                def run(self):
                    time.sleep(0)
                def other(self):
                    time.sleep(0)
            """
        }
    )
    # requests calls Session.request on its own (from get); `version` is the project's.
    assert p.async_functions == {"m.Worker.other", "m.Client.version"}
    assert sorted((f.code, f.line) for f in p.findings()) == [("AFY110", 11)]


def test_a_blocking_iter_that_returns_an_iterator_stays_sync() -> None:
    p = plan(
        {
            "m": """
            import time
            class Lines:
                def __iter__(self):
                    time.sleep(0)
                    return iter([1])
            def main():
                return [x for x in Lines()]
            """
        }
    )
    assert p.async_functions == set()
    assert [f.code for f in p.findings()] == ["AFY102"]


def test_module_level_class_aliases_and_type_checking_bases() -> None:
    """`Default = Backend` names the class; so does the `TYPE_CHECKING` branch of an if/else
    that gives a mixin its typing base (python-gitlab's `_RestManagerBase`)."""
    p = plan(
        {
            "lib.backends.__init__": "from .impl import Backend\n\nDefault = Backend\n",
            "lib.backends.impl": """
            import time
            class Backend:
                def request(self, n):
                    time.sleep(0)
                    return n
            """,
            "lib.base": """
            from lib.backends import Default
            class Manager:
                def __init__(self, backend_class: type[Default]):
                    self.backend = backend_class()
            """,
            "lib.mixins": """
            from typing import TYPE_CHECKING
            from lib import base
            if TYPE_CHECKING:
                _Base = base.Manager
            else:
                _Base = object
            class GetMixin(_Base):
                def get(self, n):
                    return self.backend.request(n)
            Twice = base.Manager
            Twice = object  # assigned twice: not an alias
            """,
        }
    )
    assert p.async_functions == {"lib.backends.impl.Backend.request", "lib.mixins.GetMixin.get"}
    assert not p.findings()


def test_mock_patch_targets_resolve_through_imports_and_classes() -> None:
    p = plan(
        {
            "shop.api": """
            import time
            import requests
            def fetch(sku):
                return requests.get(sku).json()
            def lines():
                time.sleep(1)
                yield 1
            class Client:
                def get(self, sku):
                    return fetch(sku)
                def size(self):
                    return 1
            """,
            "shop.cart": "from shop.api import fetch\ndef total(skus):\n"
            "    return [fetch(s) for s in skus]\n",
            "tests.test_cart": """
            import time
            from unittest import mock
            from shop.api import Client
            from shop.cart import total
            @mock.patch("shop.cart.fetch")
            def test_a(fetch):
                total([])
            def test_b(mocker):
                mocker.patch.object(Client, "get")
                mocker.patch.object(Client, "size")
                mock.patch("shop.api.lines")
                mock.patch("requests.get")
                mock.patch("os.getcwd")
                mock.patch("shop.api.Client")
                with mock.patch.object(time, "sleep"):
                    total([])
            """,
        }
    )
    tests = p.modules["tests.test_cart"]
    assert sorted(tests.patches.values()) == [
        "async",  # shop.cart.fetch is shop.api.fetch
        "async",  # Client.get
        "async-generator",
        "class:get",
        "replaced:requests.get",
        "retarget:time.sleep:asyncio.sleep",
    ]
    assert tests.reaches == {"test_a": {"requests"}, "test_b": {"requests"}}
    assert p.modules["shop.api"].reaches["lines"] == {"time"}


def test_a_sleep_patch_is_retargeted_only_when_it_intercepts_the_same_calls() -> None:
    app = "import time\ndef pause():\n    time.sleep(1)\n"
    test = (
        "from unittest.mock import patch\nfrom app import pause\n"
        "def test_p():\n    with patch('time.sleep'):\n        pause()\n"
    )

    def change(extra: str) -> list[str]:
        return list(
            plan({"app": app + extra, "tests.test_p": test})
            .modules["tests.test_p"]
            .patches.values()
        )

    assert change("") == ["retarget:time.sleep:asyncio.sleep"]
    # `from time import sleep`: the original patch never intercepted those calls.
    assert change("from time import sleep\ndef nap():\n    sleep(1)\n") == ["replaced:time.sleep"]
    # asyncio.sleep was called before: the retargeted patch would intercept it too.
    assert change("import asyncio\nasync def tick():\n    await asyncio.sleep(0)\n") == [
        "replaced:time.sleep"
    ]
    # A special method keeps its time.sleep: the patch still intercepts that one.
    slow = "class Slow:\n    def __len__(self):\n        time.sleep(1)\n        return 0\n"
    assert change(slow) == ["partial:time.sleep"]


def test_names_from_star_imports_resolve() -> None:
    p = plan(
        {
            "pkg.__init__": "",
            "pkg.objects.__init__": "from .projects import *\nfrom .users import *\n",
            "pkg.objects.projects": """
            import time
            __all__ = ["ProjectManager"]
            class ProjectManager:
                def fetch(self):
                    time.sleep(0)
            class Hidden:
                def fetch(self):
                    time.sleep(0)
            """,
            "pkg.objects.users": "class UserManager:\n    def fetch(self):\n        return 1\n",
            "pkg.client": """
            from pkg import objects
            class Client:
                def __init__(self):
                    self.projects = objects.ProjectManager()
                    self.users = objects.UserManager()
                def run(self):
                    self.projects.fetch()
                    self.users.fetch()
            """,
        }
    )
    assert "pkg.client.Client.run" in p.async_functions
    assert "pkg.objects.users.UserManager.fetch" not in p.async_functions
    assert not p.findings()


def test_a_module_kept_in_an_attribute_resolves_its_classes() -> None:
    p = plan(
        {
            "app.__init__": "",
            "app.objects": """
            import time
            class CurrentUser:
                def get(self):
                    time.sleep(0)
            """,
            "app.client": """
            class Client:
                def __init__(self):
                    from app import objects
                    self._objects = objects
                def auth(self):
                    self.user = self._objects.CurrentUser().get()
            """,
        }
    )
    # Without the module's type `.get()` is a dict's as likely: not awaited (AFY109).
    assert p.async_functions == {"app.objects.CurrentUser.get", "app.client.Client.auth"}
    assert not p.findings()


def test_classes_tested_with_isinstance_are_not_used_as_values() -> None:
    p = plan(
        {
            "m": """
            import time
            class Page:
                def __init__(self, url):
                    time.sleep(0)
                    self.url = url
            def load(url):
                page = Page(url)
                assert isinstance(page, Page)
                return page
            """
        }
    )
    # isinstance's class argument is no factory passed around: Page gets an async factory.
    assert p.async_functions == {"m.Page.__init__", "m.load"}
    assert not p.findings()


def test_a_pin_finding_shows_the_chain_to_the_blocking_call() -> None:
    p = plan(
        {
            "app": """
            import time
            class Thing:
                def __repr__(self):
                    return describe(self)
            def describe(thing):
                return slow()
            def slow():
                time.sleep(0)
                return "x"
            class Other:
                def __len__(self):
                    time.sleep(0)
                    return 1
            """
        }
    )
    by_line = {f.line: f.message for f in p.findings()}
    assert by_line[4].endswith(
        "it reaches `time.sleep @ app.py:9` "
        "(app:Thing.__repr__ → app:describe → app:slow → time.sleep @ app.py:9)"
    )
    # the blocking call is its own: the leaf alone says it
    assert by_line[12].endswith("it reaches `time.sleep @ app.py:13`")
    assert p.async_functions == frozenset()
    assert {(i.api, i.why) for i in p.idle} == {("time.sleep", "pinned")}


def test_a_long_chain_is_shortened_in_the_middle() -> None:
    hops = "".join(f"def f{i}():\n    f{i + 1}()\n" for i in range(12))
    p = plan({"deep": "import time\n" + hops + "def f12():\n    time.sleep(0)\n"
              "class C:\n    def __hash__(self):\n        f0()\n        return 1\n"})
    [finding] = p.findings()
    assert finding.message.endswith(
        "(deep:C.__hash__ → deep:f0 → deep:f1 → deep:f2 → … 8 more … → deep:f11 → deep:f12 → "
        "time.sleep @ deep.py:27)"
    )
