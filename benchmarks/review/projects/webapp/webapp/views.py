from webapp.app import app, router
from webapp.store import load


@app.route("/")
async def index():
    return await load("index")


@app.get("/items/<int:n>")
async def item(n):
    return await load(f"item{n}")


@router.get("/users/{uid}")
async def user(uid: int):
    return await load(f"user{uid}")
