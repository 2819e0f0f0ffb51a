from valueflow.services.weather_service import DefaultAdapter


class Users:
    def __init__(self, adapter):
        self._adapter = adapter

    async def create(self, name):
        return await self._adapter.post("/users", {"name": name})


class Client:
    def __init__(self, base, adapter=DefaultAdapter):
        self._adapter = adapter(base)
        self.users = Users(self._adapter)
