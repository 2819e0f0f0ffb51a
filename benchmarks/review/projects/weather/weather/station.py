import asyncio


class Station:
    def __init__(self, name):
        self.name = name
        self.readings = {"mon": 12, "tue": 15}

    async def read(self, day):
        await asyncio.sleep(0.001)  # the sensor bus is slow
        return self.readings[day]

    async def average(self):
        return sum([await self.read(day) for day in sorted(self.readings)]) / len(self.readings)
