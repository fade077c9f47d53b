"""List queries refuse what they do not understand (422 naming the parameter), and the state
machine answers before the one-officer-per-level rule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from chassis.principal import Role

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/v1/applications", "status=bogus", "query.status"),
        ("/v1/applications", "name=%E5%BC%A0", "query.name"),
        ("/v1/beds", "status=draft", "query.status"),
        ("/v1/beds", "sort=created_at", "query.sort"),
    ],
)
async def test_unknown_filters_and_values_are_refused(
    client: httpx.AsyncClient, auth: Auth, path: str, query: str, field: str
) -> None:
    officer = auth(Role.OFFICER, "o1", regions=("341800",))
    response = await client.get(f"{path}?{query}", headers=officer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_known_filters_still_work(client: httpx.AsyncClient, auth: Auth) -> None:
    officer = auth(Role.OFFICER, "o1", regions=("341800",))
    response = await client.get(
        "/v1/applications?status=submitted&region_code=3418&limit=5&offset=0", headers=officer
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_second_review_of_an_approved_application_is_a_state_conflict(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    submit_assess: Callable[..., Awaitable[httpx.Response]],
) -> None:
    family = auth(Role.FAMILY, "family-1")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    body = new_application(make_id("341802", "19400303"))
    app_id = (await client.post("/v1/applications", json=body, headers=family)).json()["id"]
    await submit_assess(client, app_id, applicant=family, officer=officer)
    review = {"level": "district"}
    approved = await client.post(f"/v1/applications/{app_id}/review", json=review, headers=officer)
    assert approved.json()["status"] == "approved", approved.text
    again = await client.post(f"/v1/applications/{app_id}/review", json=review, headers=officer)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:homebed:problem:illegal-transition"
    assert (again.json()["state"], again.json()["action"]) == ("approved", "approve")
