"""Poll a few simulated services with back-off, then print a report.

A small synchronous program: `python poller.py` prints the same before and after
`asyncify run`.
"""

import sys
import time
from time import sleep as pause

SERVICES = {"db": 2, "cache": 1, "queue": 3}


class Poller:
    def __init__(self, delay):
        self.delay = delay
        self.log = []

    def probe(self, name, attempts_needed):
        for attempt in range(1, attempts_needed + 1):
            pause(self.delay * attempt)  # back off a little more each time
            self.log.append(f"{name}: attempt {attempt}")
        return attempts_needed

    def poll_all(self):
        return {name: self.probe(name, n) for name, n in sorted(SERVICES.items())}


def ticks(n, delay):
    for i in range(n):
        time.sleep(delay)
        yield i


def report(poller):
    attempts = poller.poll_all()
    total = sum(poller.probe(name, 1) for name in attempts)
    for tick in ticks(2, poller.delay):
        print("tick", tick)
    print("attempts:", attempts, "extra:", total)
    print("\n".join(poller.log))
    return 0 if total == len(attempts) else 1


def main(argv):
    delay = float(argv[1]) if len(argv) > 1 else 0.001
    return report(Poller(delay))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
