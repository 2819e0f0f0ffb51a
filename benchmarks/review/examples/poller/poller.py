"""Poll a few simulated services with back-off, then print a report.

A small synchronous program: `python poller.py` prints the same before and after
`asyncify run`.
"""

import asyncio
import sys

SERVICES = {"db": 2, "cache": 1, "queue": 3}


class Poller:
    def __init__(self, delay):
        self.delay = delay
        self.log = []

    async def probe(self, name, attempts_needed):
        for attempt in range(1, attempts_needed + 1):
            await asyncio.sleep(self.delay * attempt)  # back off a little more each time
            self.log.append(f"{name}: attempt {attempt}")
        return attempts_needed

    async def poll_all(self):
        return {name: await self.probe(name, n) for name, n in sorted(SERVICES.items())}


async def ticks(n, delay):
    for i in range(n):
        await asyncio.sleep(delay)
        yield i


async def report(poller):
    attempts = await poller.poll_all()
    total = sum([await poller.probe(name, 1) for name in attempts])
    async for tick in ticks(2, poller.delay):
        print("tick", tick)
    print("attempts:", attempts, "extra:", total)
    print("\n".join(poller.log))
    return 0 if total == len(attempts) else 1


async def main(argv):
    delay = float(argv[1]) if len(argv) > 1 else 0.001
    return await report(Poller(delay))


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv)))
