import pytest
import pytest_asyncio

from weather.station import Station


@pytest.fixture
def station():
    return Station("test")


@pytest_asyncio.fixture
async def monday(station):
    return await station.read("mon")
