"""Replay memory: a signature is accepted once until its window ends, on every replica."""

from __future__ import annotations

from pathlib import Path

import pytest

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from gateway.auth.errors import AuthenticationFailed, FailureReason
from gateway.auth.hmac_partner import PartnerKey, PartnerRequestVerifier, authorization_header
from gateway.auth.partner_keys import MIGRATIONS
from gateway.auth.replay import DatabaseReplayGuard, MemoryReplayGuard, ReplayMemoryFull

NOW = 1_763_800_000
SECRET = b"hbs_partner-secret"
KEY = PartnerKey(key_id="pk_live", partner_id="H-1", secret=SECRET)


class Keys:
    async def find(self, key_id: str) -> PartnerKey | None:
        return KEY if key_id == KEY.key_id else None


def signed(timestamp: int, body: bytes = b"{}") -> tuple[str, bytes]:
    header = authorization_header(
        key_id=KEY.key_id,
        secret=SECRET,
        method="POST",
        path="/v1/referrals",
        query="",
        body=body,
        timestamp=timestamp,
    )
    return header, body


async def verify(verifier: PartnerRequestVerifier, header: str, body: bytes) -> str:
    try:
        principal = await verifier.verify(
            authorization=header, method="POST", path="/v1/referrals", query="", body=body
        )
    except AuthenticationFailed as failure:
        return failure.reason.value
    return principal.sub


async def test_memory_keeps_live_signatures_however_many_arrive() -> None:
    guard = MemoryReplayGuard(max_live=1000)
    assert await guard.first_use("victim", expires_at=NOW + 300, now=NOW)
    # many other signatures later, all still live: the victim must not be forgotten
    for index in range(900):
        assert await guard.first_use(f"sig-{index}", expires_at=NOW + 300, now=NOW + 1)
    assert not await guard.first_use("victim", expires_at=NOW + 300, now=NOW + 2)
    assert len(guard) == 901


async def test_memory_forgets_only_what_has_expired_and_refuses_when_full_of_live() -> None:
    guard = MemoryReplayGuard(max_live=3)
    assert await guard.first_use("a", expires_at=NOW + 10, now=NOW)
    assert await guard.first_use("b", expires_at=NOW + 20, now=NOW)
    assert await guard.first_use("c", expires_at=NOW + 30, now=NOW)
    with pytest.raises(ReplayMemoryFull):
        await guard.first_use("d", expires_at=NOW + 40, now=NOW + 5)
    # "a" has expired at NOW + 10: its place frees up, the live ones stay
    assert await guard.first_use("d", expires_at=NOW + 40, now=NOW + 10)
    assert len(guard) == 3
    assert not await guard.first_use("b", expires_at=NOW + 20, now=NOW + 11)


async def test_a_full_memory_fails_closed() -> None:
    clock = [float(NOW)]
    verifier = PartnerRequestVerifier(
        Keys(), replay_guard=MemoryReplayGuard(max_live=1), clock=lambda: clock[0]
    )
    assert await verify(verifier, *signed(NOW)) == "H-1"
    assert await verify(verifier, *signed(NOW, b'{"x":1}')) == FailureReason.REPLAY_MEMORY_FULL


async def test_replicas_sharing_a_database_refuse_each_others_replays(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade_to_head(engine, MIGRATIONS)
    clock = [float(NOW)]
    replica_a = PartnerRequestVerifier(
        Keys(), replay_guard=DatabaseReplayGuard(engine), clock=lambda: clock[0]
    )
    replica_b = PartnerRequestVerifier(
        Keys(), replay_guard=DatabaseReplayGuard(engine), clock=lambda: clock[0]
    )
    header, body = signed(NOW)
    assert await verify(replica_a, header, body) == "H-1"
    assert await verify(replica_b, header, body) == FailureReason.REPLAYED
    assert await verify(replica_a, header, body) == FailureReason.REPLAYED
    # a fresh request is accepted by either replica
    assert await verify(replica_b, *signed(NOW + 1)) == "H-1"
    await engine.dispose()


async def test_database_rows_leave_when_their_window_ends(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
    await upgrade_to_head(engine, MIGRATIONS)
    guard = DatabaseReplayGuard(engine, purge_every=1_000_000)
    assert await guard.first_use("old", expires_at=NOW + 300, now=NOW)
    assert await guard.first_use("new", expires_at=NOW + 600, now=NOW + 300)
    assert await guard.purge(NOW + 300) == 1  # "old" only: "new" is still live
    assert not await guard.first_use("new", expires_at=NOW + 600, now=NOW + 301)
    await engine.dispose()
