import asyncio

import services.weather_service
from services import weather_service
from services.weather_service import describe, get_wind


async def report(city):
    return [
        await weather_service.get_forecast(city),
        await services.weather_service.get_forecast(city.upper()),
        await get_wind(city),
        describe(city),
    ]


async def main():
    for line in await report("Oslo"):
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
