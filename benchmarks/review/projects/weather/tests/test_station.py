import pytest

from weather.station import Station


@pytest.mark.asyncio
async def test_read(station):
    assert await station.read("tue") == 15


@pytest.mark.asyncio
@pytest.mark.parametrize("day, value", [("mon", 12), ("tue", 15)])
async def test_read_each(station, day, value):
    assert await station.read(day) == value


def test_monday_fixture(monday):
    assert monday == 12


def test_name_only():
    assert Station("x").name == "x"


class TestAverage:
    @pytest.mark.asyncio
    async def test_average(self, station):
        assert await station.average() == 13.5
