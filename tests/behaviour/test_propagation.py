"""time.sleep and in-module propagation: the converted program does the same thing.

Each program runs before and after `asyncify run` (the installed command); stdout, exit
code and written files must match, and no coroutine may be left unawaited.
"""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.harness import run_both

EXAMPLES = Path(__file__).parents[2] / "examples"

PROGRAM = """\
import sys
import time
from time import sleep as nap


class Client:
    def get(self, x):
        nap(0)
        return x * 10

    @classmethod
    def make(cls):
        cls.wait()
        return cls()

    @staticmethod
    def wait():
        time.sleep(0)

    def pair(self):
        return [self.get(1), self.get(2)]


class Sub(Client):
    def pair(self):
        return super().pair() + [self.get(3)]


def numbers(n):
    for i in range(n):
        time.sleep(0)
        yield i


def cost(x):
    time.sleep(0)
    return x + 1


def report(client):
    print("pair", client.pair(), Sub().pair())
    print("sum", sum(cost(x) for x in range(4)), max(cost(x) for x in range(3) if x))
    print("map", list(map(cost, [1, 2])), {x: cost(x) for x in range(2)})
    for n in numbers(3):
        print("n", n, f"cost={cost(n)}")
    print("gens", list(numbers(2)), [x * 2 for x in numbers(3)], sorted(numbers(2)))
    print("chained", str(cost(1)).zfill(3), cost(2).bit_length())
    return 3 if cost(1) == 2 else 0


def main():
    client = Client.make()
    return report(client)


if __name__ == "__main__":
    sys.exit(main())
"""


def test_propagation_program_behaves_the_same(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": PROGRAM})
    both.assert_same()
    assert both.before.returncode == 3
    converted = both.converted["main.py"]
    assert "async def report(client):" in converted
    assert "sys.exit(asyncio.run(main()))" in converted
    assert "time.sleep" not in converted and "nap(" not in converted


def test_poller_example_behaves_the_same(tmp_path: Path) -> None:
    source = (EXAMPLES / "poller" / "poller.py").read_text()
    both = run_both(tmp_path, {"poller.py": source}, entry="poller.py", args=["0.001"])
    both.assert_same()
    assert "async def main(argv):" in both.converted["poller.py"]


def test_pinned_function_keeps_working(tmp_path: Path) -> None:
    program = """\
import time


def slow(x):
    time.sleep(0)
    return x


class Box:
    def __init__(self):
        self.v = slow(1)

    def __str__(self):
        return f"Box({slow(self.v)})"


def main():
    print(str(Box()), sorted([3, 1, 2], key=lambda x: slow(-x)))


if __name__ == "__main__":
    main()
"""
    both = run_both(tmp_path, {"main.py": program})
    both.assert_same()
    assert "AFY102" in both.convert_output and "AFY101" in both.convert_output


NAMESPACE_SERVICE = """\
import time


def get_forecast(city):
    time.sleep(0)
    return f"sunny in {city}"
"""
NAMESPACE_APP = """\
import api.models
import services.weather_service
from services import weather_service
from services.weather_service import get_forecast


def main():
    print(weather_service.get_forecast("Oslo"))
    print(services.weather_service.get_forecast("Rome"))
    print(get_forecast("Lima"), api.models.NAME)


if __name__ == "__main__":
    main()
"""


def test_modules_in_folders_without_init_are_resolved(tmp_path: Path) -> None:
    """services/ has no __init__.py (a namespace package) and a module name that another
    folder has too (models.py): every import form reaches the function that became async."""
    files = {
        "app.py": NAMESPACE_APP,
        "services/weather_service.py": NAMESPACE_SERVICE,
        "services/models.py": NAMESPACE_SERVICE,
        "api/models.py": 'NAME = "api"\n',
    }
    both = run_both(tmp_path, files, entry="app.py")
    both.assert_same()
    assert both.before.stdout.count("sunny") == 3
    assert "async def get_forecast" in both.converted["services/weather_service.py"]
    assert "await weather_service.get_forecast" in both.converted["app.py"]
    assert "await services.weather_service.get_forecast" in both.converted["app.py"]
    assert 'await get_forecast("Lima")' in both.converted["app.py"]


def test_scripts_import_the_modules_beside_them(tmp_path: Path) -> None:
    """a/helpers.py and b/helpers.py: `import helpers` in a/main.py means the one beside
    it (the script's folder is sys.path[0]); both folders are converted as one program."""
    script = (
        "import helpers\n\n\ndef main():\n    print(helpers.get_forecast('x'))\n\n\n"
        'if __name__ == "__main__":\n    main()\n'
    )
    files = {
        "a/main.py": script,
        "a/helpers.py": NAMESPACE_SERVICE,
        "b/main.py": script.replace("'x'", "'y'"),
        "b/helpers.py": NAMESPACE_SERVICE.replace("sunny", "rainy"),
    }
    for entry, expected in (("a/main.py", "sunny in x\n"), ("b/main.py", "rainy in y\n")):
        both = run_both(tmp_path / entry.replace("/", "_"), files, entry=entry)
        both.assert_same()
        assert both.before.stdout == expected
        assert "await helpers.get_forecast" in both.converted[entry]
        assert "async def get_forecast" in both.converted[entry.replace("main", "helpers")]


def test_an_unresolvable_project_import_keeps_its_functions_sync(tmp_path: Path) -> None:
    """app.py puts a/ on sys.path itself and imports `helpers`, which could be a/helpers.py
    or b/helpers.py: asyncify cannot tell, so functions of that name stay sync (AFY112)."""
    app = (
        "import os\nimport sys\n\n"
        'sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "a"))\n'
        "import helpers  # noqa: E402\n\n\ndef main():\n"
        "    print(helpers.get_forecast('x'))\n\n\n"
        'if __name__ == "__main__":\n    main()\n'
    )
    files = {
        "app.py": app,
        "a/helpers.py": NAMESPACE_SERVICE,
        "b/helpers.py": NAMESPACE_SERVICE,
    }
    both = run_both(tmp_path, files, entry="app.py")
    both.assert_same()
    assert both.before.stdout == "sunny in x\n"
    assert "AFY112" in both.convert_output
    assert "async def" not in both.converted["a/helpers.py"]


def test_adaptive_iteration_behaves_the_same(tmp_path: Path) -> None:
    """A value that is a project iterator (now async) or a list: `_aiter_adaptive`."""
    fixture = Path(__file__).parents[1] / "fixtures" / "propagation" / "adaptive_iteration.py"
    source = fixture.read_text().partition("\n# output\n")[0]
    both = run_both(tmp_path, {"main.py": source})
    assert "async for x in _aiter_adaptive(found)" in both.converted["main.py"]
    assert "[10, 20]" in both.before.stdout, both.before.stderr
    both.assert_same()
