"""`/docs` works without the internet: Swagger UI's assets come from the service itself."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import MetaData

from chassis.app import create_service_app
from chassis.db import chassis_tables
from chassis.runtime import ServiceRuntime
from chassis.settings import ServiceSettings


async def test_docs_page_loads_its_assets_from_the_service(tmp_path: object) -> None:
    settings = ServiceSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/d.db", kafka_enabled=False
    )
    runtime = ServiceRuntime(
        settings=settings, tables=chassis_tables(MetaData()), migrations=None, topic_handlers={}
    )
    app = create_service_app(runtime=runtime, title="docs test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        page = await c.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assert assets, "the page references its script and style"
        for asset in assets:
            assert asset.startswith("/docs/assets/"), f"{asset} is not served locally"
            served = await c.get(asset)
            assert served.status_code == 200, asset
            assert served.content, asset
