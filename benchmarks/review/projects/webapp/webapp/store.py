import asyncio

CALLS = []


async def load(name):
    await asyncio.sleep(0)
    CALLS.append(name)
    return {"name": name, "calls": len(CALLS)}
