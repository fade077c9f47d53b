"""Idempotency keys with Stripe's semantics, for every POST.

The key is claimed in the same transaction as the work: a concurrent request with the same key
waits on the key's primary key until the first commits, then fails to insert and replays the
stored answer, so 100 concurrent POSTs make one referral. Same key, same body → the first answer
(status and body); same key, another body → 422. A request that fails (4xx) rolls its claim back
with everything else, so the key stays free for a corrected retry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from chassis.db import UnitOfWork
from chassis.errors import Conflict, Unprocessable
from chassis.principal import Principal
from referral.repository import IdempotencyRepository
from referral.tables import IdempotencyRow

OutT = TypeVar("OutT", bound=BaseModel)
MAX_KEY = 255


@dataclass(frozen=True)
class Outcome(Generic[OutT]):
    answer: OutT
    status_code: int
    replayed: bool = False


@dataclass(frozen=True)
class IdempotentRequest:
    scope: str  # the caller and the route: one key space per caller and operation
    key: str
    request_hash: str


class KeyTaken(Exception):
    """The key was claimed before: replay the stored answer (outside the failed transaction)."""


def idempotent_request(
    principal: Principal, operation: str, key: str | None, body: dict[str, Any]
) -> IdempotentRequest | None:
    if key is None:
        return None
    if not key or len(key) > MAX_KEY:
        raise Unprocessable([("header.Idempotency-Key", f"1 to {MAX_KEY} characters")])
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    scope = f"{principal.role.value}:{principal.sub}:{operation}"[:200]
    return IdempotentRequest(scope=scope, key=key, request_hash=digest)


async def claim(uow: UnitOfWork, request: IdempotentRequest | None, *, now: datetime) -> None:
    """Claim the key inside the open transaction; `KeyTaken` when another request holds it."""
    if request is None:
        return
    keys = uow.repo(IdempotencyRepository)
    if await keys.get(request.scope, request.key) is not None:
        raise KeyTaken
    try:
        await keys.claim(
            IdempotencyRow(
                scope=request.scope,
                key=request.key,
                request_hash=request.request_hash,
                status_code=None,
                body=None,
                created_at=now,
            )
        )
    except IntegrityError:
        raise KeyTaken from None


async def remember(
    uow: UnitOfWork, request: IdempotentRequest | None, status_code: int, answer: BaseModel
) -> None:
    """Store the answer with the claimed key (same transaction as the work)."""
    if request is None:
        return
    row = await uow.repo(IdempotencyRepository).get(request.scope, request.key)
    assert row is not None  # claimed in this transaction
    row.status_code = status_code
    row.body = answer.model_dump(mode="json")


async def replay(uow: UnitOfWork, request: IdempotentRequest, model: type[OutT]) -> Outcome[OutT]:
    """The first answer to this key, or 422 when the body differs."""
    async with uow:
        row = await uow.repo(IdempotencyRepository).get(request.scope, request.key)
        if row is None or row.status_code is None or row.body is None:
            raise Conflict("a request with this Idempotency-Key is in progress; retry")
        if row.request_hash != request.request_hash:
            raise Unprocessable(
                [("header.Idempotency-Key", "already used with a different request body")]
            )
        return Outcome(model.model_validate(row.body), row.status_code, replayed=True)
