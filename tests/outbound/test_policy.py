"""The outbound policy on URL text and on resolved addresses."""

from __future__ import annotations

import ipaddress

import pytest

from docex.outbound.policy import (
    IPAddress,
    OutboundPolicy,
    OutboundRefusedError,
    check_url,
    is_globally_routable,
    resolve,
)
from docex.settings import Settings

PRODUCTION = OutboundPolicy()


def _answering(*addresses: str) -> OutboundPolicy:
    """The production policy, with a DNS that answers ``addresses`` for every name."""

    def resolver(_host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in addresses]

    return OutboundPolicy(resolver=resolver)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        # Every spelling of 127.0.0.1 the security review found accepted.
        ("https://2130706433/", "the URL's host must be a fully qualified public name"),
        ("https://2130706433:18443/hook", "the URL's host must be a fully qualified public name"),
        ("https://0x7f000001/", "the URL's host must be a fully qualified public name"),
        ("https://127.1/", "the URL's host is not a canonical host name"),
        ("https://0177.0.0.1/", "the URL's host is not a canonical host name"),
        ("https://0x7f.0.0.1/", "the URL's host is not a canonical host name"),
        # Address literals, global or not: names only.
        ("https://100.64.0.1/", "the URL's host must be a name, not an address"),
        ("https://127.0.0.1/", "the URL's host must be a name, not an address"),
        ("https://8.8.8.8/", "the URL's host must be a name, not an address"),
        ("https://[::1]/", "the URL's host must be a name, not an address"),
        ("https://[::ffff:127.0.0.1]/", "the URL's host must be a name, not an address"),
        # Internal service names and special-use names.
        ("https://minio:9000/", "the URL's host must be a fully qualified public name"),
        ("https://localhost/", "the URL's host must be a fully qualified public name"),
        ("https://db.localhost/", "the URL's host must be a fully qualified public name"),
        (
            "https://xn--80ak6aa92e.com\u0430/",
            "the URL's host must be an ASCII (IDNA A-label) name",
        ),
        ("https://exa_mple.com/", "the URL's host is not a canonical host name"),
        # Shape of the URL.
        ("http://receiver.example.org/", "the URL must start with https://"),
        ("ftp://receiver.example.org/", "the URL must start with https://"),
        ("https://user:pw@receiver.example.org/", "the URL must not carry credentials"),
        ("https://receiver.example.org/#x", "the URL must not have a #fragment"),
        ("https://receiver.example.org:99999/", "the URL is malformed: Port out of range 0-65535"),
    ],
)
def test_production_policy_refuses(url: str, message: str) -> None:
    with pytest.raises(OutboundRefusedError) as caught:
        check_url(url, policy=PRODUCTION)
    assert str(caught.value) == message


def test_canonical_public_names_pass() -> None:
    checked = check_url("https://Hooks.Clinic-7.example.ORG./in?x=1", policy=PRODUCTION)
    assert (checked.host, checked.port, checked.target) == (
        "hooks.clinic-7.example.org",
        443,
        "/in?x=1",
    )


def test_plain_http_only_where_the_caller_allows_it() -> None:
    checked = check_url(
        "http://crl.example.ua/ca.crl", policy=PRODUCTION, schemes=frozenset({"http", "https"})
    )
    assert (checked.scheme, checked.port) == ("http", 80)


def test_allow_list_admits_named_hosts_over_http() -> None:
    policy = OutboundPolicy(allowed_hosts=frozenset({"minio", "127.0.0.1"}), allow_plain_http=True)
    assert check_url("http://minio:9000/x", policy=policy).host == "minio"
    assert check_url("http://127.0.0.1:8080/", policy=policy).port == 8080
    with pytest.raises(
        OutboundRefusedError, match=r"^the URL's host must be a fully qualified public name$"
    ):
        check_url("http://other:9000/", policy=policy)


@pytest.mark.parametrize(
    "answer",
    [
        ("127.0.0.1",),
        ("100.64.0.1",),  # shared address space (carrier-grade NAT), not private, not global
        ("10.1.2.3",),
        ("169.254.169.254",),  # cloud metadata
        ("0.0.0.0",),  # noqa: S104  # an answer to refuse, not an address to bind
        ("224.0.0.1",),
        ("::1",),
        ("fd00::1",),
        ("fe80::1",),
        ("::ffff:10.0.0.1",),  # IPv4-mapped
        ("2002:7f00:1::1",),  # 6to4 around 127.0.0.1
        ("93.184.215.14", "127.0.0.1"),  # one bad answer among good ones is enough
    ],
)
def test_names_resolving_to_non_global_addresses_are_refused(answer: tuple[str, ...]) -> None:
    policy = _answering(*answer)
    checked = check_url("https://hooks.example.org/", policy=policy)
    with pytest.raises(
        OutboundRefusedError,
        match=r"^hooks\.example\.org resolves to an address that is not globally routable",
    ):
        resolve(checked, policy=policy, timeout=1)


def test_global_addresses_resolve() -> None:
    policy = _answering("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    checked = check_url("https://hooks.example.org/", policy=policy)
    assert [str(a) for a in resolve(checked, policy=policy, timeout=1)] == [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    ]


def test_allowed_networks_admit_private_receivers() -> None:
    policy = OutboundPolicy(
        allowed_networks=(ipaddress.ip_network("10.20.0.0/16"),),
        resolver=lambda _h, _p: [ipaddress.ip_address("10.20.3.4")],
    )
    checked = check_url("https://receiver.dev.example/", policy=policy)
    assert resolve(checked, policy=policy, timeout=1) == [ipaddress.ip_address("10.20.3.4")]
    assert not policy.permits_address(ipaddress.ip_address("10.21.0.1"))


def test_is_globally_routable() -> None:
    assert is_globally_routable(ipaddress.ip_address("1.1.1.1"))
    assert not is_globally_routable(ipaddress.ip_address("100.127.255.255"))
    assert not is_globally_routable(ipaddress.ip_address("::ffff:127.0.0.1"))


def test_from_settings_development_admits_loopback_only() -> None:
    policy = OutboundPolicy.from_settings(Settings(outbound_allowed_hosts="receiver"))
    assert policy.allowed_hosts == frozenset({"receiver", "localhost", "127.0.0.1", "::1"})
    assert policy.permits_address(ipaddress.ip_address("127.0.0.1"))
    assert not policy.permits_address(ipaddress.ip_address("10.0.0.1"))


def test_settings_refuse_a_malformed_network() -> None:
    from docex.errors import SettingsError
    from docex.settings import load_settings

    with pytest.raises(SettingsError, match=r"'10\.0\.0\.0/33' is not a network in CIDR notation"):
        load_settings(outbound_allowed_networks="10.0.0.0/33")
