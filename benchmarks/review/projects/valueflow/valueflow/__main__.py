import asyncio

from valueflow import adapters, bound, defaults, handed, pages, server, template, unit


async def main():
    base = server.start()
    print(await defaults.BranchClient(base).user("ann"))
    print(await defaults.OrClient(base).user("bob"))
    print(await defaults.LocalClient(base).token())
    api = handed.Api(base)
    print(await api.users(), await api.groups())
    print(await template.Real(base).fetch("/real"))
    print(await template.Orders(base).count())
    print(await adapters.Client(base).users.create("cy"))
    rest = bound.Api(base)
    print(await rest.get("/a"), await rest.post("/b", {"x": 1}), await rest.remove("/c"))
    lister = pages.Lister()
    print(await lister.get_all(), lister.fetched)
    repo = unit.Repo()
    with repo.unit_of_work() as uow:
        await uow.add(1)
        await uow.add(2)


if __name__ == "__main__":
    asyncio.run(main())
