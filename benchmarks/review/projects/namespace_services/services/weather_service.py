import asyncio

from services import units


async def get_forecast(city):
    await asyncio.sleep(0.001)
    return f"{city}: {units.celsius(21)}"


async def get_wind(city):
    await asyncio.sleep(0.001)
    return f"{city}: 3 m/s"


def describe(city):
    return "no I/O here, stays sync: " + city
