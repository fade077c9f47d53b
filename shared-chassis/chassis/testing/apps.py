"""An app under test: its lifespan run, an httpx client speaking ASGI to it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp


@contextlib.asynccontextmanager
async def app_client(
    app: ASGIApp, *, startup_timeout: float = 60
) -> AsyncIterator[httpx.AsyncClient]:
    """Start `app` (migrations, runtime), yield a client for it, stop it afterwards."""
    async with LifespanManager(
        app, startup_timeout=startup_timeout, shutdown_timeout=60
    ) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client
