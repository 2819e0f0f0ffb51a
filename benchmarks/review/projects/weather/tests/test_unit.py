import unittest

from weather.station import Station


class StationTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.station = Station("unit")
        self.first = await self.station.read("mon")

    def test_first(self):
        self.assertEqual(self.first, 12)

    async def test_average(self):
        self.assertEqual(await self.station.average(), 13.5)
