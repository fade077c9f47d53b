"""The signed webhook channel: a POST signed per Standard Webhooks (the receiver verifies it with
its secret; webhook-id is the delivery's, so a retry is recognisable), a refusal falls back.
SSRF: a URL notify must not reach is refused where it is registered (422 naming the field) and
again at send time (the name may resolve elsewhere since), and the connection is pinned to the
address checked, so a DNS answer that changes between check and connect is refused too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from ipaddress import ip_address

import httpx
import pytest
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.principal import Role
from notify.channels.base import ChannelFailed, Contact, OutgoingMessage
from notify.channels.webhook import WebhookChannel
from notify.channels.webhook_guard import WebhookGuard
from notify.domain import signing
from notify.domain.webhook_targets import AllowList, IPAddress, WebhookRefused
from notify.tables import AttemptRow
from notify.testing import DEVICES, Notify, admin, notify_settings, offline_envelope, running_notify

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
PUBLIC = "93.184.216.34"


class FakeDns:
    """Answers like a resolver, without the network; a test changes an answer (rebinding)."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    async def __call__(self, host: str, _port: int) -> list[IPAddress]:
        if host not in self.answers:
            raise WebhookRefused(f"{host} does not resolve")
        return [ip_address(a) for a in self.answers[host]]


def guard(dns: FakeDns, allow: str = "", *, https_only: bool = False) -> WebhookGuard:
    return WebhookGuard(allow=AllowList.parse(allow), https_only=https_only, resolve=dns)


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns({"dispatch.example.cn": [PUBLIC, "2606:4700::1111"]})


@pytest.fixture
async def hooked(
    sqlite_url: str, clock: ManualClock, dns: FakeDns
) -> AsyncIterator[tuple[Notify, list[httpx.Request], list[int]]]:
    received: list[httpx.Request] = []
    answers = [204]

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(answers[0])

    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    checks = guard(dns)
    channel = WebhookChannel(client, guard=checks, unix_now=lambda: int(clock().timestamp()))
    async with running_notify(
        notify_settings(sqlite_url),
        clock=clock,
        channels={"webhook": channel},
        webhook_guard=checks,
    ) as notify:
        yield notify, received, answers
    await client.aclose()


def team(url: str) -> dict[str, object]:
    return {
        "kind": "duty_manager",
        "display_name": "调度系统",
        "roles": ["duty_manager"],
        "channels": ["webhook", "in_app"],
        "webhook_url": url,
        "webhook_secret": SECRET,
    }


async def test_signed_post_and_fallback(
    hooked: tuple[Notify, list[httpx.Request], list[int]], clock: ManualClock
) -> None:
    notify, received, answers = hooked
    await notify.put_recipient("team-1", team("https://dispatch.example.cn/hooks/homebed"))
    await notify.feed(DEVICES, offline_envelope("dev-1", bed_id="bed-1", at=clock()))
    await notify.dispatch()
    [request] = received
    assert str(request.url) == "https://dispatch.example.cn/hooks/homebed"
    assert signing.verify(
        SECRET, received=dict(request.headers), body=request.content, now=int(clock().timestamp())
    )
    assert request.headers["webhook-id"].startswith("ntf_")
    answers[0] = 500  # the receiver is down: the next channel takes it
    await notify.feed(DEVICES, offline_envelope("dev-2", bed_id="bed-2", at=clock()))
    await notify.dispatch()
    assert len(received) == 2
    assert (await notify.inbox("team-1", Role.PROVIDER_ADMIN))["total"] == 1
    listed = await notify.client.get("/v1/recipients/team-1", headers=admin())
    assert SECRET not in listed.text


async def test_registration_refuses_internal_targets(
    hooked: tuple[Notify, list[httpx.Request], list[int]], dns: FakeDns
) -> None:
    notify, _, _ = hooked
    dns.answers |= {
        "intranet.example.cn": ["10.0.0.7"],
        "mixed.example.cn": [PUBLIC, "192.168.3.4"],  # any private answer refuses
        "mapped.example.cn": ["::ffff:127.0.0.1"],
    }
    cases = {
        "https://127.0.0.1/x": "loopback",
        "https://[::1]/x": "loopback",
        "https://169.254.169.254/latest/meta-data": "link-local",
        "https://[fe80::1]/x": "link-local",
        "https://224.0.0.251/x": "multicast",
        "https://[ff02::1]/x": "multicast",
        "https://240.0.0.1/x": "reserved",
        "https://0.0.0.0/x": "unspecified",
        "https://[::ffff:10.0.0.1]/x": "private address (inside the IPv6",
        "https://intranet.example.cn/x": "intranet.example.cn resolves to 10.0.0.7 is a private",
        "https://mixed.example.cn/x": "192.168.3.4 is a private",
        "https://mapped.example.cn/x": "loopback address (inside",
        "https://nowhere.example.cn/x": "does not resolve",
        "https://user:pw@dispatch.example.cn/x": "credentials",
    }
    for url, why in cases.items():
        answer = await notify.client.put("/v1/recipients/team-x", json=team(url), headers=admin())
        assert answer.status_code == 422, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        [error] = answer.json()["errors"]
        assert error["field"] == "webhook_url", answer.json()
        assert why in error["message"], (url, error)


async def test_https_only_outside_development(sqlite_url: str, clock: ManualClock) -> None:
    dns = FakeDns({"dispatch.example.cn": [PUBLIC]})
    async with running_notify(
        notify_settings(sqlite_url), clock=clock, webhook_guard=guard(dns, https_only=True)
    ) as notify:
        answer = await notify.client.put(
            "/v1/recipients/team-1", json=team("http://dispatch.example.cn/x"), headers=admin()
        )
        assert answer.status_code == 422
        assert "https" in answer.json()["errors"][0]["message"]
        ok = await notify.client.put(
            "/v1/recipients/team-1", json=team("https://dispatch.example.cn/x"), headers=admin()
        )
        assert ok.status_code == 200, ok.text
    production = notify_settings(sqlite_url)
    assert production.webhook_guard().https_only is False  # dev: http allowed (make run)
    assert production.model_copy(update={"env": "prod"}).webhook_guard().https_only is True


async def test_the_allow_list_lets_the_local_receiver_in(
    sqlite_url: str, clock: ManualClock
) -> None:
    settings = notify_settings(sqlite_url, webhook_allowed_hosts="127.0.0.1,stub.local")
    async with running_notify(settings, clock=clock) as notify:
        for url in ("http://127.0.0.1:8016/hooks", "http://stub.local/hooks"):
            ok = await notify.client.put("/v1/recipients/team-1", json=team(url), headers=admin())
            assert ok.status_code == 200, ok.text
        refused = await notify.client.put(
            "/v1/recipients/team-1", json=team("http://127.0.0.2/hooks"), headers=admin()
        )
        assert refused.status_code == 422


async def test_send_time_refusal_is_a_failed_attempt_and_falls_back(
    hooked: tuple[Notify, list[httpx.Request], list[int]], clock: ManualClock, dns: FakeDns
) -> None:
    notify, received, _ = hooked
    await notify.put_recipient("team-1", team("https://dispatch.example.cn/hooks/homebed"))
    dns.answers["dispatch.example.cn"] = ["10.20.30.40"]  # the name moved inside since
    await notify.feed(DEVICES, offline_envelope("dev-1", bed_id="bed-1", at=clock()))
    await notify.dispatch()
    assert received == []
    assert (await notify.inbox("team-1", Role.PROVIDER_ADMIN))["total"] == 1  # the next channel
    async with notify.app.state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(AttemptRow.channel, AttemptRow.ok, AttemptRow.error).order_by(AttemptRow.id)
        )
        attempts = [tuple(r) for r in rows]
    assert [a[:2] for a in attempts] == [("webhook", False), ("in_app", True)]
    assert "webhook refused: dispatch.example.cn resolves to 10.20.30.40" in str(attempts[0][2])


class Receiver:
    """A plain HTTP server on 127.0.0.1 that records the requests it got."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.port = 0

    async def __aenter__(self) -> Receiver:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                return
            self.requests.append(head)
            writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
            writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.close()
        await self.server.wait_closed()


def message(url: str, clock: ManualClock) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=7,
        subject="alarm-1",
        title="t",
        body="b",
        safety=False,
        contact=Contact(owner="team-1", webhook_url=url, webhook_secret=SECRET),
        at=clock(),
    )


async def test_the_connection_is_pinned_to_a_checked_address(clock: ManualClock) -> None:
    """DNS rebinding: the check saw a public address, the connection's own resolution gives
    127.0.0.1 (`localhost`): refused at the connection, nothing sent. With the allow-list the
    same request goes through the guard's real client, the Host header the name."""
    rebinding = FakeDns({"localhost": [PUBLIC]})
    async with Receiver() as receiver:
        url = f"http://localhost:{receiver.port}/hooks"
        checks = guard(rebinding)
        client = checks.client(timeout=3.0)
        channel = WebhookChannel(client, guard=checks, unix_now=lambda: int(clock().timestamp()))
        with pytest.raises(ChannelFailed, match="webhook refused: localhost resolves to 127"):
            await channel.send(message(url, clock), uow=None)  # type: ignore[arg-type]
        await client.aclose()
        assert receiver.requests == []

        allowed = guard(rebinding, "127.0.0.0/8")
        client = allowed.client(timeout=3.0)
        channel = WebhookChannel(client, guard=allowed, unix_now=lambda: int(clock().timestamp()))
        await channel.send(message(url, clock), uow=None)  # type: ignore[arg-type]
        await client.aclose()
        [head] = receiver.requests
        assert head.startswith(b"POST /hooks ")
        assert f"host: localhost:{receiver.port}".encode() in head.lower()
