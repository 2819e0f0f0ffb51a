import asyncio

from weather import Station

station = Station("roof")


async def main():
    print(station.name, await station.read("mon"), await station.average())


asyncio.run(main())
