"""Which webhook URLs a deployment accepts at registration (the outbound policy's text rules)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from docex.errors import InputError
from docex.outbound.policy import OutboundPolicy
from docex.settings import Environment, Settings
from docex.webhooks.url_policy import WebhookUrlPolicy, check_webhook_url
from tests.webhooks.conftest import DEV_URLS

STRICT = WebhookUrlPolicy()


@pytest.mark.parametrize(
    "url", ["https://mis.example.ua/hooks/docex", "https://hooks.clinic.example.com:8443/h?x=1"]
)
def test_public_https_urls_are_accepted(url: str) -> None:
    assert check_webhook_url(url, policy=STRICT) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mis.example.ua/hooks", "the webhook URL must start with https://"),
        ("ftp://mis.example.ua/hooks", "the webhook URL must start with https://"),
        ("mis.example.ua/hooks", "the webhook URL must start with https://"),
        ("https://user:pw@mis.example.ua/hooks", "the webhook URL must not carry credentials"),
        ("https://token@mis.example.ua/hooks", "the webhook URL must not carry credentials"),
        ("https:///hooks", "the webhook URL has no host"),
        ("https://mis.example.ua/hooks#frag", "the webhook URL must not have a #fragment"),
        ("https://mis.example.ua/ho oks", "the webhook URL contains spaces or control characters"),
        ("https://mis.example.ua/\nhooks", "the webhook URL contains spaces or control characters"),
        ("https://mis.example.ua/" + "a" * 2048, "the webhook URL is longer than 2048 characters"),
        # The forms of the security review (issue 13), every one refused.
        ("https://2130706433/", "the webhook URL's host must be a fully qualified public name"),
        (
            "https://2130706433:18443/h",
            "the webhook URL's host must be a fully qualified public name",
        ),
        ("https://0x7f000001/", "the webhook URL's host must be a fully qualified public name"),
        ("https://127.1/", "the webhook URL's host is not a canonical host name"),
        ("https://0177.0.0.1/", "the webhook URL's host is not a canonical host name"),
        ("https://100.64.0.1/", "the webhook URL's host must be a name, not an address"),
        ("https://minio:9000/", "the webhook URL's host must be a fully qualified public name"),
        ("https://127.0.0.1/hooks", "the webhook URL's host must be a name, not an address"),
        ("https://localhost/hooks", "the webhook URL's host must be a fully qualified public name"),
        ("https://10.0.0.7/hooks", "the webhook URL's host must be a name, not an address"),
        ("https://169.254.169.254/latest", "the webhook URL's host must be a name, not an address"),
        ("https://[::1]/hooks", "the webhook URL's host must be a name, not an address"),
        ("http://127.0.0.1:8080/hooks", "the webhook URL must start with https://"),
    ],
)
def test_strict_policy_refuses(url: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        check_webhook_url(url, policy=STRICT)
    assert str(caught.value) == message


def test_the_length_bound_is_the_column_width() -> None:
    with pytest.raises(InputError, match=r"^the webhook URL is longer than \d+ characters$"):
        check_webhook_url("https://mis.example.ua/" + "a" * 4096, policy=STRICT)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hooks", "http://localhost:8080/h", "http://[::1]:9/h"]
)
def test_development_allows_plain_http_to_loopback_only(url: str) -> None:
    assert check_webhook_url(url, policy=DEV_URLS) == url
    with pytest.raises(InputError, match=r"^the webhook URL's host must be a name"):
        check_webhook_url("http://192.168.1.10/hooks", policy=DEV_URLS)
    with pytest.raises(InputError, match=r"^the webhook URL must start with https://$"):
        check_webhook_url("http://mis.example.ua/hooks", policy=DEV_URLS)


def test_policy_follows_the_environment() -> None:
    development = WebhookUrlPolicy.from_settings(Settings())
    assert "127.0.0.1" in development.outbound.allowed_hosts
    production = WebhookUrlPolicy.from_settings(
        Settings(
            environment=Environment.PRODUCTION,
            token_pepper=SecretStr("x" * 40),
            trust=[Path("/etc/docex/trust")],
            webhook_timeout_seconds=4,
        )
    )
    assert production == WebhookUrlPolicy(outbound=OutboundPolicy(timeout=4))
