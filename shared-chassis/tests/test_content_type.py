"""A body that is not JSON answers 415 naming what was sent; JSON and empty bodies pass."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import MetaData

from chassis.app import create_service_app
from chassis.content_type import is_json_media_type
from chassis.db import chassis_tables
from chassis.runtime import ServiceRuntime
from chassis.settings import ServiceSettings

router = APIRouter()


@router.post("/v1/echo")
async def echo(body: dict[str, int] | None = None) -> dict[str, int]:
    return body or {}


def client(tmp_path: Path) -> httpx.AsyncClient:
    settings = ServiceSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db", kafka_enabled=False
    )
    runtime = ServiceRuntime(
        settings=settings, tables=chassis_tables(MetaData()), migrations=None, topic_handlers={}
    )
    app = create_service_app(runtime=runtime, title="t", routers=[router])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s")


@pytest.mark.parametrize(
    ("value", "json"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("", False),
    ],
)
def test_json_media_types(value: str, json: bool) -> None:
    assert is_json_media_type(value) is json


async def test_form_body_is_415_and_json_passes(tmp_path: Path) -> None:
    async with client(tmp_path) as http:
        refused = await http.post(
            "/v1/echo", content=b"a=1", headers={"content-type": "text/plain"}
        )
        assert refused.status_code == 415
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"] == "urn:homebed:problem:unsupported-media-type"
        assert "text/plain" in problem["detail"]
        passed = await http.post("/v1/echo", json={"a": 1})
        assert passed.status_code == 200
        assert passed.json() == {"a": 1}
        empty = await http.post("/v1/echo")
        assert empty.status_code == 200
