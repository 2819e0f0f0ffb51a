from sleepy import Worker
from . import worker as w


async def run_jobs(count):
    worker = Worker(0)
    done = [await worker.step(i) for i in range(count)]
    return done, worker.name()


async def one():
    return await w.Worker(0).step(1)
