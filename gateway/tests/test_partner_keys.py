"""The partner key store on a real SQLite database: create, list, revoke, find; sealed secrets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from chassis.db import create_engine
from gateway.auth.partner_keys import PartnerKeyStore, SecretSealer, fingerprint

PASSPHRASE = "a-long-key-encryption-passphrase-for-tests-0123456789"


@pytest.fixture
async def store(sqlite_url: str):  # type: ignore[no-untyped-def]
    store = PartnerKeyStore(create_engine(sqlite_url), SecretSealer.from_setting(PASSPHRASE))
    await store.create_schema()
    yield store
    await store.dispose()


async def test_created_key_is_found_with_its_secret(store: PartnerKeyStore) -> None:
    created = await store.create(partner_id="H-1", name="Shangcheng No.1", region_codes=("330102",))
    found = await store.find(created.info.key_id)
    assert found is not None
    assert found.secret == created.secret.encode()
    assert found.partner_id == "H-1"
    assert found.region_codes == ("330102",)
    assert not found.revoked
    assert created.info.fingerprint == fingerprint(created.secret.encode())


async def test_the_secret_is_not_stored_in_clear(store: PartnerKeyStore, sqlite_url: str) -> None:
    created = await store.create(partner_id="H-1", name="n")
    database = Path(sqlite_url.split(":///", 1)[1])
    with sqlite3.connect(database) as connection:
        (sealed,) = connection.execute("SELECT secret_ciphertext FROM partner_keys").fetchone()
    assert created.secret.encode() not in sealed
    for file in (database, database.with_name(database.name + "-wal")):
        if file.exists():
            assert created.secret.encode() not in file.read_bytes()


async def test_list_shows_keys_without_secrets_and_revocation(store: PartnerKeyStore) -> None:
    first = await store.create(partner_id="H-1", name="one")
    second = await store.create(partner_id="H-2", name="two")
    assert await store.revoke(first.info.key_id)
    listed = {info.key_id: info for info in await store.list()}
    assert set(listed) == {first.info.key_id, second.info.key_id}
    assert listed[first.info.key_id].revoked_at is not None
    assert listed[second.info.key_id].revoked_at is None
    assert listed[first.info.key_id].created_at.tzinfo is not None
    found = await store.find(first.info.key_id)
    assert found is not None
    assert found.revoked


async def test_revoking_twice_or_unknown_reports_false(store: PartnerKeyStore) -> None:
    created = await store.create(partner_id="H-1", name="one")
    assert await store.revoke(created.info.key_id)
    assert not await store.revoke(created.info.key_id)
    assert not await store.revoke("pk_nobody")


async def test_find_unknown_is_none(store: PartnerKeyStore) -> None:
    assert await store.find("pk_nobody") is None


async def test_a_store_with_another_encryption_key_cannot_use_the_keys(
    store: PartnerKeyStore, sqlite_url: str
) -> None:
    created = await store.create(partner_id="H-1", name="one")
    other = PartnerKeyStore(create_engine(sqlite_url), SecretSealer.from_setting(PASSPHRASE + "x"))
    try:
        assert await other.find(created.info.key_id) is None
    finally:
        await other.dispose()


def test_sealed_secret_is_bound_to_its_key_id() -> None:
    sealer = SecretSealer.from_setting(PASSPHRASE)
    sealed = sealer.seal("pk_a", b"secret")
    assert sealer.open("pk_a", sealed) == b"secret"
    with pytest.raises(InvalidTag):
        sealer.open("pk_b", sealed)
