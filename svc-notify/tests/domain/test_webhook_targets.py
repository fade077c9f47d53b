"""Where a webhook may point: every refusal class (IPv4, IPv6, IPv4 inside IPv6), the URL's
form (scheme, credentials), and the operators' allow-list."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from notify.domain.webhook_targets import (
    AllowList,
    WebhookRefused,
    check_address,
    parse_target,
    refusal_of,
)

REFUSED = {
    "127.0.0.1": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.9": "private",
    "192.168.1.1": "private",
    "fc00::1": "private",
    "169.254.169.254": "link-local",  # a cloud's metadata service
    "fe80::1": "link-local",
    "224.0.1.1": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "100.64.0.1": "not a globally reachable",  # carrier-grade NAT
    "::ffff:10.0.0.1": "private address (inside the IPv6 address",  # IPv4-mapped
    "::ffff:127.0.0.1": "loopback address (inside",
    "2002:a9fe:a9fe::1": "link-local address (inside",  # 6to4 of 169.254.169.254
    "64:ff9b::a00:1": "private address (inside",  # NAT64 of 10.0.0.1
}


@pytest.mark.parametrize(("address", "why"), REFUSED.items())
def test_each_refusal_class(address: str, why: str) -> None:
    reason = refusal_of(ip_address(address))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_of(ip_address(address)) is None


def test_the_urls_form() -> None:
    target = parse_target("https://Hooks.Example.cn./x?y=1", https_only=True)
    assert (target.host, target.port, target.literal) == ("hooks.example.cn", 443, None)
    assert parse_target("https://[::1]:8443/", https_only=True).literal == ip_address("::1")
    assert parse_target("http://hooks.example.cn/", https_only=False).port == 80
    cases = {
        "http://hooks.example.cn/": "https",
        "https://user:pw@hooks.example.cn/": "credentials",
        "https://token@hooks.example.cn/": "credentials",
        "ftp://hooks.example.cn/": "scheme",
        "https:///path": "no host",
        "https://hooks.example.cn:99999/": "port",
    }
    for url, why in cases.items():
        with pytest.raises(WebhookRefused, match=why):
            parse_target(url, https_only=True)


def test_the_allow_list_names_hosts_and_networks() -> None:
    allow = AllowList.parse(" Stub.Local , 127.0.0.1,10.8.0.0/16,[::1],")
    assert allow.hosts == frozenset({"stub.local"})
    check_address("stub.local", ip_address("192.168.0.5"), allow)  # by name
    check_address("x.example.cn", ip_address("127.0.0.1"), allow)  # by address
    check_address("x.example.cn", ip_address("10.8.3.4"), allow)  # by network
    check_address("x.example.cn", ip_address("::1"), allow)
    with pytest.raises(WebhookRefused, match=r"x.example.cn resolves to 10.9.0.1 is a private"):
        check_address("x.example.cn", ip_address("10.9.0.1"), allow)
    with pytest.raises(WebhookRefused, match="loopback"):
        check_address("127.0.0.2", ip_address("127.0.0.2"), AllowList())
