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
