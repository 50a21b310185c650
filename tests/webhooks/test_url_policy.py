"""The outbound URL policy: which webhook URLs a deployment accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from docex.errors import InputError
from docex.settings import Environment, Settings
from docex.webhooks.url_policy import WebhookUrlPolicy, check_webhook_url
from tests.webhooks.conftest import DEV_URLS

STRICT = WebhookUrlPolicy()


@pytest.mark.parametrize(
    "url",
    ["https://mis.example.ua/hooks/docex", "https://93.184.216.34:8443/h?x=1"],
)
def test_public_https_urls_are_accepted(url: str) -> None:
    assert check_webhook_url(url, policy=STRICT) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://mis.example.ua/hooks", "https://"),
        ("ftp://mis.example.ua/hooks", "https://"),
        ("mis.example.ua/hooks", "https://"),
        ("https://user:pw@mis.example.ua/hooks", "credentials"),
        ("https://token@mis.example.ua/hooks", "credentials"),
        ("https:///hooks", "no host"),
        ("https://mis.example.ua/hooks#frag", "fragment"),
        ("https://mis.example.ua:99999/hooks", "malformed"),
        ("https://mis.example.ua/ho oks", "spaces"),
        ("https://mis.example.ua/\nhooks", "control"),
        ("https://mis.example.ua/" + "a" * 2048, "longer"),
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://localhost/hooks", "loopback"),
        ("https://10.0.0.7/hooks", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/hooks", "loopback"),
        ("http://127.0.0.1:8080/hooks", "https://"),
    ],
)
def test_strict_policy_refuses(url: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        check_webhook_url(url, policy=STRICT)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hooks", "http://localhost:8080/h", "http://[::1]:9/h"]
)
def test_development_allows_plain_http_to_loopback_only(url: str) -> None:
    assert check_webhook_url(url, policy=DEV_URLS) == url
    with pytest.raises(InputError):
        check_webhook_url("http://192.168.1.10/hooks", policy=DEV_URLS)
    with pytest.raises(InputError):
        check_webhook_url("http://mis.example.ua/hooks", policy=DEV_URLS)


def test_policy_follows_the_environment() -> None:
    development = WebhookUrlPolicy.from_settings(Settings())
    assert development.allow_loopback_http
    production = WebhookUrlPolicy.from_settings(
        Settings(
            environment=Environment.PRODUCTION,
            token_pepper=SecretStr("x" * 40),
            trust=[Path("/etc/docex/trust")],
        )
    )
    assert production == STRICT
