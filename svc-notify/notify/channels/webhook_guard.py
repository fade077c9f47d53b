"""The webhook guard: checks a URL where it is registered and again before every send (DNS can
change in between), and pins each connection to an address it checked.

The pinning is `httpx-secure`'s (a maintained connection-level SSRF guard for httpx): the
client's network backend resolves the host, asks `admits` about the address it will connect to,
and connects to that address while the URL, the Host header and TLS's SNI keep the name. A DNS
answer that turns private between our check and the connection (rebinding) is refused at the
connection. Its one cost: to choose an address it may open and close a TCP connection to a
refused one, sending nothing (README, "Guarantees").
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from ipaddress import ip_address

import httpx
from httpx_secure import httpx_ssrf_protection

from chassis.http import outbound_client
from notify.domain.webhook_targets import (
    AllowList,
    IPAddress,
    WebhookRefused,
    check_address,
    parse_target,
)

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


RESOLVE_SECONDS = 3.0


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for the host (IPv4 and IPv6)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            answers = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise WebhookRefused(f"{host} does not resolve") from exc
    return [ip_address(str(sockaddr[0]).split("%", 1)[0]) for *_, sockaddr in answers]


class WebhookGuard:
    def __init__(
        self,
        *,
        allow: AllowList,
        https_only: bool,
        resolve: Resolver = resolve_host,
    ) -> None:
        self.allow, self.https_only, self.resolve = allow, https_only, resolve

    async def check(self, url: str) -> None:
        """WebhookRefused when the URL is malformed for a webhook or its host resolves to an
        address notify must not reach (every address counts: a client may pick any)."""
        target = parse_target(url, https_only=self.https_only)
        if self.allow.allows_host(target.host):
            return
        if target.literal is not None:
            addresses = [target.literal]
        else:
            addresses = await self.resolve(target.host, target.port)
            if not addresses:
                raise WebhookRefused(f"{target.host} does not resolve")
        for address in addresses:
            check_address(target.host, address, self.allow)

    def admits(self, hostname: str, address: IPAddress, _port: int) -> bool:
        """httpx-secure's validator, at the connection: raises WebhookRefused with the reason."""
        check_address(hostname.strip("[]"), address, self.allow)
        return True

    def client(self, *, timeout: float) -> httpx.AsyncClient:
        """An outbound client that connects only to addresses `admits` accepts. No proxies from
        the environment (a proxy would connect in our place, unchecked)."""
        return httpx_ssrf_protection(
            outbound_client(timeout=timeout, trust_env=False),
            check_globally_reachable=False,  # `admits` is the whole rule, allow-list included
            custom_validator=self.admits,
            dns_cache_ttl=60,
        )
