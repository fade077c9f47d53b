"""Bearer JWTs of people (H5 apps, officers, ops): verified against the identity provider's JWKS.

Only asymmetric algorithms are accepted, and the token's `alg` must fit the key's type: this
refuses `alg=none` and the classic HS256-signed-with-the-RSA-public-key confusion before PyJWT is
even asked. `iss`, `aud`, `exp` are required and checked; `nbf` is checked when present.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import jwt
from pydantic import ValidationError

from chassis.principal import Principal, Role
from gateway.auth.errors import AuthenticationFailed, FailureReason
from gateway.auth.jwks import KeySource, KeysUnavailable, VerificationKey

SCHEME = "jwt"

# Which JWK key type each accepted algorithm needs (RFC 7518 / RFC 8037).
KEY_TYPE_OF_ALG: Mapping[str, str] = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "EdDSA": "OKP",
}
DEFAULT_ALGORITHMS = ("RS256", "EdDSA")
PEOPLE_ROLES = frozenset(Role) - {Role.HOSPITAL}

_PYJWT_REASONS: tuple[tuple[type[jwt.PyJWTError], FailureReason], ...] = (
    (jwt.ExpiredSignatureError, FailureReason.EXPIRED),
    (jwt.ImmatureSignatureError, FailureReason.NOT_YET_VALID),
    (jwt.InvalidAudienceError, FailureReason.WRONG_AUDIENCE),
    (jwt.InvalidIssuerError, FailureReason.WRONG_ISSUER),
    (jwt.MissingRequiredClaimError, FailureReason.MISSING_CLAIM),
    (jwt.InvalidSignatureError, FailureReason.BAD_SIGNATURE),
    (jwt.InvalidAlgorithmError, FailureReason.UNSUPPORTED_ALG),
)


def _fail(reason: FailureReason, detail: str = "") -> AuthenticationFailed:
    return AuthenticationFailed(SCHEME, reason, detail)


class VerifiedTokens:
    """Tokens already verified, so a caller's next requests skip the signature check.

    A verified token stays valid until its `exp`: signature, issuer, audience and claims cannot
    change. An entry lives at most `max_age` seconds, so a key withdrawn from the JWKS stops
    being honoured within that time. Bounded: the oldest entries go first.
    """

    def __init__(
        self, max_age: float, max_entries: int, clock: Callable[[], float], leeway: int
    ) -> None:
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._max_age = max_age
        self._max_entries = max_entries
        self._clock = clock
        self._leeway = leeway

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, valid_until = entry
        if self._clock() >= valid_until:
            del self._entries[token]
            return None
        return principal

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        if self._max_age <= 0:
            return
        if len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        valid_until = min(expires_at + self._leeway, self._clock() + self._max_age)
        self._entries[token] = (principal, valid_until)


class PeopleTokenVerifier:
    """Turns a people bearer token into a Principal, or raises AuthenticationFailed."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        leeway_seconds: int = 30,
        allowed_roles: Collection[Role] = PEOPLE_ROLES,
        cache_seconds: float = 60.0,
        cache_size: int = 50_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        unknown = set(algorithms) - set(KEY_TYPE_OF_ALG)
        if unknown:
            raise ValueError(f"not an accepted asymmetric JWT algorithm: {sorted(unknown)}")
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._algorithms = frozenset(algorithms)
        self._leeway = leeway_seconds
        self._allowed_roles = frozenset(allowed_roles)
        self._clock = clock
        self._cache = VerifiedTokens(cache_seconds, cache_size, clock, leeway_seconds)

    async def verify(self, token: str, *, request_id: str | None = None) -> Principal:
        cached = self._cache.get(token)
        if cached is not None:
            return cached.model_copy(update={"request_id": request_id})
        principal = await self._verify_fully(token)
        return principal.model_copy(update={"request_id": request_id})

    async def _verify_fully(self, token: str) -> Principal:
        header = self._header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise _fail(FailureReason.UNSUPPORTED_ALG, str(alg))
        kid = header.get("kid", "")
        if not isinstance(kid, str):
            raise _fail(FailureReason.MALFORMED, "kid")
        try:
            key = await self._keys.get(kid)
        except KeysUnavailable as exc:
            raise _fail(FailureReason.KEYS_UNAVAILABLE) from exc
        if key is None:
            raise _fail(FailureReason.UNKNOWN_KID)
        if key.key_type != KEY_TYPE_OF_ALG[alg] or key.declared_alg not in (None, alg):
            raise _fail(FailureReason.ALG_KEY_MISMATCH, f"{alg} with {key.key_type}")
        claims = self._decode(token, key, alg)
        principal = self._principal(claims)
        self._cache.put(token, principal, float(claims["exp"]))
        return principal

    @staticmethod
    def _header(token: str) -> dict[str, Any]:
        try:
            return jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _fail(FailureReason.MALFORMED) from exc

    def _decode(self, token: str, key: VerificationKey, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public_key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": ["exp", "iss", "aud", "sub"],
                    "verify_signature": True,
                    # times are checked below against the injected clock, not PyJWT's own
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            for error_type, reason in _PYJWT_REASONS:
                if isinstance(exc, error_type):
                    raise _fail(reason) from exc
            raise _fail(FailureReason.MALFORMED) from exc
        self._check_times(claims)
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        """exp and nbf against the verifier's clock, with the configured leeway."""
        now = self._clock()
        try:
            expires = float(claims["exp"])
            not_before = float(claims["nbf"]) if "nbf" in claims else None
        except (TypeError, ValueError) as exc:
            raise _fail(FailureReason.MALFORMED, "exp/nbf") from exc
        if expires <= now - self._leeway:
            raise _fail(FailureReason.EXPIRED)
        if not_before is not None and not_before > now + self._leeway:
            raise _fail(FailureReason.NOT_YET_VALID)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        scopes = claims.get("scopes", claims.get("scope", ()))
        if isinstance(scopes, str):
            scopes = scopes.split()
        try:
            principal = Principal(
                sub=claims["sub"],
                role=claims.get("role"),
                provider_id=claims.get("provider_id"),
                region_codes=tuple(claims.get("region_codes") or ()),
                scopes=tuple(scopes),
            )
        except (ValidationError, TypeError) as exc:
            raise _fail(FailureReason.BAD_CLAIMS) from exc
        if principal.role not in self._allowed_roles:
            raise _fail(FailureReason.BAD_CLAIMS, "role")
        return principal
