"""Where a webhook may point (pure): a public https URL without credentials, whose host
resolves only to globally reachable addresses, unless the operators' allow-list names the host or
its network. A provider admin registers the URL, so without this rule they could make notify
POST to an internal host (SSRF): its metadata service, the database, another service's port."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, RFC 8215)
_NAT64 = (IPv6Network("64:ff9b::/96"), IPv6Network("64:ff9b:1::/48"))


class WebhookRefused(Exception):
    """The URL, or an address its host resolves to, is not a place notify may POST to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, 6to4, NAT64), or None."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in prefix for prefix in _NAT64):
        return IPv4Address(address.packed[-4:])
    return None


def refusal_of(address: IPAddress) -> str | None:
    """Why notify must not connect to this address, or None when it is public."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = refusal_of(inner)
        return f"{reason} (inside the IPv6 address {address})" if reason else None
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a globally reachable address"),
    )
    for refused, what in checks:
        if refused:
            return f"{address} is {what}"
    return None


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks the operators allow although they are not public (the local stub
    receiver of `make run` and the tests): HOMEBED_NOTIFY_WEBHOOK_ALLOWED_HOSTS."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """`hooks.local,127.0.0.1,10.8.0.0/16` → names and networks (an address is a /32)."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in text.split(","):
            item = raw.strip().lower()
            if not item:
                continue
            try:
                networks.append(ip_network(item.strip("[]"), strict=False))
            except ValueError:
                hosts.add(item.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class WebhookTarget:
    host: str  # lower case, IPv6 without brackets
    port: int
    literal: IPAddress | None  # the host when it is an address


def parse_target(url: str, *, https_only: bool) -> WebhookTarget:
    """The URL's host and port, or WebhookRefused: the scheme (https outside development),
    credentials in the URL, no host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookRefused(f"the scheme {scheme or '(none)'} is not http(s)")
    if https_only and scheme != "https":
        raise WebhookRefused("a webhook must use https")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("credentials in the URL are refused (sign with the secret instead)")
    try:
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused("the port is not a number between 0 and 65535") from exc
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise WebhookRefused("the URL has no host")
    try:
        literal: IPAddress | None = ip_address(host)
    except ValueError:
        literal = None
    return WebhookTarget(
        host=host, port=port or (443 if scheme == "https" else 80), literal=literal
    )


def check_address(host: str, address: IPAddress, allow: AllowList) -> None:
    """Refuse an address the host resolved to, unless the allow-list names the host or network."""
    if allow.allows_host(host) or allow.allows_address(address):
        return
    reason = refusal_of(address)
    if reason is not None:
        raise WebhookRefused(f"{host} resolves to {reason}" if host != str(address) else reason)
