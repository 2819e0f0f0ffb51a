import asyncio


class Worker:
    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def step(self, n: int) -> int:
        await asyncio.sleep(self.delay)
        return n + 1

    def name(self) -> str:
        return "worker"
