"""Where the people-token verification keys come from: a JWKS document in a file or at a URL.

Unknown `kid`s trigger one reload (key rotation), at most once per `min_reload_interval`, so a
flood of garbage tokens cannot turn into a flood of fetches.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

logger = logging.getLogger(__name__)


class KeysUnavailable(Exception):
    """The key set could not be loaded (missing file, unreachable URL, bad document)."""


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """One public key of the JWKS: its type (`kty`), declared `alg` if any, and the key object."""

    kid: str
    key_type: str
    declared_alg: str | None
    public_key: Any


def parse_jwks(document: dict[str, Any]) -> dict[str, VerificationKey]:
    """Signature keys by `kid` (keys marked for encryption or without a usable type are skipped)."""
    keys: dict[str, VerificationKey] = {}
    for index, data in enumerate(document.get("keys", [])):
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        try:
            parsed = jwt.PyJWK(data)
        except jwt.PyJWTError:
            logger.warning("skipping unusable JWK", extra={"index": index})
            continue
        kid = str(data.get("kid", ""))
        alg = data.get("alg")
        keys[kid] = VerificationKey(
            kid=kid,
            key_type=str(data.get("kty")),
            declared_alg=alg if isinstance(alg, str) else None,
            public_key=parsed.key,
        )
    if not keys:
        raise KeysUnavailable("the JWKS holds no usable signature key")
    return keys


class KeySource(Protocol):
    async def get(self, kid: str) -> VerificationKey | None:
        """The key with this id, reloading once if it is unknown; None if still unknown."""
        ...


class _ReloadingSource:
    def __init__(self, min_reload_interval: float, clock: Callable[[], float]) -> None:
        self._keys: dict[str, VerificationKey] | None = None
        self._loaded_at = float("-inf")
        self._min_reload_interval = min_reload_interval
        self._clock = clock

    async def _load(self) -> dict[str, VerificationKey]:
        raise NotImplementedError

    def _stale(self) -> bool:
        return False

    async def get(self, kid: str) -> VerificationKey | None:
        if self._keys is None or self._stale():
            await self._reload()
        assert self._keys is not None
        key = self._keys.get(kid)
        if key is None and self._clock() - self._loaded_at >= self._min_reload_interval:
            await self._reload()
            key = self._keys.get(kid)
        return key

    async def _reload(self) -> None:
        try:
            self._keys = await self._load()
        except KeysUnavailable:
            if self._keys is None:
                raise
            logger.warning("JWKS reload failed; keeping the previous key set")
        self._loaded_at = self._clock()


class StaticKeySource(_ReloadingSource):
    """A JWKS held in memory (tests, or keys given inline in settings)."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(float("inf"), time.monotonic)
        self._document = document

    async def _load(self) -> dict[str, VerificationKey]:
        return parse_jwks(self._document)


class FileKeySource(_ReloadingSource):
    """A JWKS file; reloaded when its modification time changes."""

    def __init__(
        self,
        path: Path,
        *,
        min_reload_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(min_reload_interval, clock)
        self._path = path
        self._mtime: float | None = None

    def _stale(self) -> bool:
        try:
            return self._path.stat().st_mtime != self._mtime
        except OSError:
            return False

    async def _load(self) -> dict[str, VerificationKey]:
        try:
            self._mtime = self._path.stat().st_mtime
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeysUnavailable(f"cannot read JWKS file {self._path}") from exc
        return parse_jwks(document)


class UrlKeySource(_ReloadingSource):
    """A JWKS URL (the identity provider's), cached for `ttl` seconds, fetched without blocking."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        ttl: float = 300.0,
        min_reload_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(min_reload_interval, clock)
        self._url = url
        self._client = client
        self._ttl = ttl

    def _stale(self) -> bool:
        return self._clock() - self._loaded_at >= self._ttl

    async def _load(self) -> dict[str, VerificationKey]:
        try:
            response = await self._client.get(self._url, timeout=5.0)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise KeysUnavailable(f"cannot fetch JWKS from {self._url}") from exc
        return parse_jwks(document)
