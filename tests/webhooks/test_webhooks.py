"""Webhook registration, the URL policy, and the signature receivers verify."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.webhooks import WebhookSubscription
from docex.errors import ConflictError, InputError, NotFoundError, WebhookSignatureError
from docex.registry import deactivate_facility
from docex.settings import Environment, Settings
from docex.webhooks.signing import SIGNATURE_HEADER, delivery_headers, sign, verify_signature
from docex.webhooks.subscriptions import delete_webhook, get_webhook, register_webhook
from docex.webhooks.url_policy import WebhookUrlPolicy, check_webhook_url
from tests.webhooks.conftest import DEV_URLS

STRICT = WebhookUrlPolicy()
SECRET = "whsec_test-secret"
BODY = b'{"event_id":"e1","type":"delivery.created"}'
T = 1_795_000_000
AT_T = datetime.fromtimestamp(T, UTC)


# ------------------------------------------------------------------------ URL policy


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


# ------------------------------------------------------------------------- signatures


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(secret=SECRET, body=BODY, timestamp=T) == f"t={T},v1={expected}"


def test_signed_headers_verify() -> None:
    headers = delivery_headers(
        secret=SECRET, event_id="e1", event_type="delivery.created", body=BODY
    )
    assert headers["Content-Type"] == "application/json"
    assert headers["Docex-Event-Id"] == "e1"
    verify_signature(secret=SECRET, body=BODY, header=headers[SIGNATURE_HEADER])


@pytest.mark.parametrize(
    ("secret", "body", "header", "message"),
    [
        (SECRET, BODY + b" ", None, "does not match"),
        ("whsec_other", BODY, None, "does not match"),
        (SECRET, BODY, "", "no Docex-Signature"),
        (SECRET, BODY, "garbage", "malformed"),
        (SECRET, BODY, f"t={T}", "needs t= and v1="),
        (SECRET, BODY, "v1=abcd", "needs t= and v1="),
        (SECRET, BODY, "t=-5,v1=abcd", "timestamp"),
        (SECRET, BODY, f"t={T},t={T},v1=ab", "timestamp"),
    ],
)
def test_bad_signatures_raise(secret: str, body: bytes, header: str | None, message: str) -> None:
    signed = sign(secret=SECRET, body=BODY, timestamp=T)
    with pytest.raises(WebhookSignatureError, match=message):
        verify_signature(
            secret=secret, body=body, header=signed if header is None else header, now=AT_T
        )


def test_stale_or_future_signatures_raise() -> None:
    signed = sign(secret=SECRET, body=BODY, timestamp=T)
    verify_signature(secret=SECRET, body=BODY, header=signed, now=AT_T + timedelta(minutes=4))
    for skew in (timedelta(minutes=6), -timedelta(minutes=6)):
        with pytest.raises(WebhookSignatureError, match="tolerance"):
            verify_signature(secret=SECRET, body=BODY, header=signed, now=AT_T + skew)


def test_any_of_several_v1_signatures_verifies() -> None:
    good = sign(secret=SECRET, body=BODY, timestamp=T).split(",")[1]
    header = f"t={T},v1={'0' * 64},{good}"
    verify_signature(secret=SECRET, body=BODY, header=header, now=AT_T)


# ----------------------------------------------------------------------- registration


def test_register_shows_the_secret_once_and_stores_it(
    sessions: sessionmaker[Session], facility_id: int
) -> None:
    url = "https://mis.example.ua/hooks"
    with unit_of_work(sessions) as session:
        registered = register_webhook(session, facility_id=facility_id, url=url, policy=STRICT)
    assert registered.secret.startswith("whsec_")
    assert registered.secret not in repr(registered)
    with unit_of_work(sessions) as session:
        record = get_webhook(session, facility_id=facility_id)
        stored = session.scalar(select(WebhookSubscription.secret))
    assert record.url == url
    assert record.active
    assert not hasattr(record, "secret")
    assert stored == registered.secret


def test_registering_again_replaces_url_and_secret(
    sessions: sessionmaker[Session], facility_id: int
) -> None:
    with unit_of_work(sessions) as session:
        first = register_webhook(
            session, facility_id=facility_id, url="https://a.example.ua/h", policy=STRICT
        )
    with unit_of_work(sessions) as session:
        second = register_webhook(
            session, facility_id=facility_id, url="https://b.example.ua/h", policy=STRICT
        )
    assert second.secret != first.secret
    assert second.record.id == first.record.id
    with unit_of_work(sessions) as session:
        assert get_webhook(session, facility_id=facility_id).url == "https://b.example.ua/h"


def test_delete_then_get_is_not_found(sessions: sessionmaker[Session], facility_id: int) -> None:
    with unit_of_work(sessions) as session:
        register_webhook(
            session, facility_id=facility_id, url="https://a.example.ua/h", policy=STRICT
        )
    with unit_of_work(sessions) as session:
        delete_webhook(session, facility_id=facility_id)
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        get_webhook(session, facility_id=facility_id)
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        delete_webhook(session, facility_id=facility_id)


def test_refused_for_unknown_or_inactive_facility_or_bad_url(
    sessions: sessionmaker[Session], facility_id: int
) -> None:
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        register_webhook(session, facility_id=999_999, url="https://a.example.ua/h", policy=STRICT)
    with unit_of_work(sessions) as session, pytest.raises(InputError):
        register_webhook(session, facility_id=facility_id, url="http://a.example.ua", policy=STRICT)
    with unit_of_work(sessions) as session:
        deactivate_facility(session, facility_id=facility_id)
    with unit_of_work(sessions) as session, pytest.raises(ConflictError, match="inactive"):
        register_webhook(
            session, facility_id=facility_id, url="https://a.example.ua/h", policy=STRICT
        )
