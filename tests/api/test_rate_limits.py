"""Rate limits over real HTTP: a flood of bad tokens grows the audit log by a few aggregate
entries, not one entry each, and is answered with 429 and ``Retry-After`` past its limit,
while a good token from another address still works."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from docex.api.problems import PROBLEM_JSON
from docex.api.rate_limits import RateLimits
from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.db.registry import ApiToken
from docex.devpki.pki import DevPki
from docex.errors import ConfigurationError, RateLimitedError
from docex.registry.tokens import revoke_token
from docex.settings import Settings, load_settings
from tests.api.conftest import Api, replace_settings, running_api
from tests.conftest import Backend

RATE_LIMITED = "urn:docex:problem:rate-limited"
AUTHENTICATION = "urn:docex:problem:authentication"
FLOOD = 2000
REFUSALS_ALLOWED = 20


def _entries(api: Api, since: int = 0) -> list[AuditEntry]:
    with unit_of_work(api.backend.sessions) as session:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.id > since)))
        session.expunge_all()
    return rows


def _last_id(api: Api) -> int:
    with unit_of_work(api.backend.sessions) as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def _bogus_token(number: int) -> str:
    # Alternate unknown lookup ids (well-formed) and malformed tokens: two reasons.
    if number % 2:
        return f"dxt_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
    return f"not-a-token-{number}"


def _from(api: Api, address: str, token: str) -> httpx.Client:
    # Linux answers on every 127/8 address: a connection from 127.0.0.2 is another client.
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(
        base_url=api.url,
        headers={"Authorization": f"Bearer {token}"},
        transport=transport,
        timeout=30,
    )


def _rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == RATE_LIMITED
    assert body["status"] == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["detail"] == f"too many requests; retry after {retry_after} s"
    return retry_after


def test_a_flood_of_bad_tokens_is_aggregated_and_refused_with_429(
    backend: Backend, api_settings: Settings, pki: DevPki
) -> None:
    settings = replace_settings(
        api_settings,
        rate_limit_refusals_ip=f"{REFUSALS_ALLOWED}/minute",
        # One window for the whole test: everything is written at shutdown.
        refusal_aggregate_window_seconds=3600,
    )
    statuses: Counter[int] = Counter()
    with running_api(backend, settings, pki) as api:
        before = _last_id(api)
        tokens = api.tokens
        with httpx.Client(base_url=api.url, timeout=30) as flood:
            for number in range(FLOOD):
                response = flood.get(
                    "/api/v1/documents",
                    headers={"Authorization": f"Bearer {_bogus_token(number)}"},
                )
                statuses[response.status_code] += 1
                if number < REFUSALS_ALLOWED:
                    assert response.status_code == 401, (number, response.text)
                    assert response.json()["type"] == AUTHENTICATION
                else:
                    _rate_limited(response)
        # The address is blocked whatever token it sends next, even a good one; another
        # address with a good token is not.
        with _from(api, "127.0.0.1", tokens["a"]) as same:
            _rate_limited(same.get("/api/v1/documents"))
        with _from(api, "127.0.0.2", tokens["a"]) as other:
            listed = other.get("/api/v1/documents")
            assert listed.status_code == 200, listed.text
        # Nothing was written for the refusals while the server ran.
        during = _entries(api, before)
        assert [e.action for e in during] == ["token.use", "document.list"]
    assert statuses == {401: REFUSALS_ALLOWED, 429: FLOOD - REFUSALS_ALLOWED}

    written = _entries(api, before)
    # 2,000 refusals: three entries, one per reason, besides the good request's two.
    assert Counter(e.action for e in written) == {
        "token.use": 1,
        "document.list": 1,
        "token.refused.aggregate": 3,
    }
    aggregates = {e.details["reason"]: e for e in written if e.action == "token.refused.aggregate"}
    assert set(aggregates) == {"malformed", "unknown", "rate-limited"}
    assert aggregates["malformed"].details["count"] == REFUSALS_ALLOWED // 2
    assert aggregates["unknown"].details["count"] == REFUSALS_ALLOWED // 2
    # The flood past the limit, and the good token refused from the blocked address.
    assert aggregates["rate-limited"].details["count"] == FLOOD - REFUSALS_ALLOWED + 1
    for entry in aggregates.values():
        assert entry.details["client"] == "127.0.0.1"
        assert entry.details["paths"] == ["/api/v1/documents"]
        assert entry.target_id is None
        assert entry.outcome.value == "refused"
    unknown = aggregates["unknown"].details
    assert len(unknown["lookup_ids"]) == len(set(unknown["lookup_ids"])) == 10
    assert unknown["lookup_ids_dropped"] == 0
    # Windows line up with the clock, an hour long here.
    assert unknown["window_start"].endswith(":00:00+00:00")


@pytest.fixture
def limited_settings(api_settings: Settings) -> Settings:
    return replace_settings(api_settings, rate_limit_token="5/minute")


@pytest.fixture
def limited(backend: Backend, limited_settings: Settings, pki: DevPki) -> Iterator[Api]:
    with running_api(backend, limited_settings, pki) as api:
        yield api


def test_a_token_over_its_limit_gets_429_and_leaves_no_audit_entry(limited: Api) -> None:
    before = _last_id(limited)
    with limited.client("a") as a:
        for _ in range(5):
            assert a.get("/api/v1/documents").status_code == 200
        _rate_limited(a.get("/api/v1/documents"))
        _rate_limited(a.get("/api/v1/documents"))
    # Another token from the same address has its own allowance.
    with limited.client("b") as b:
        assert b.get("/api/v1/documents").status_code == 200
    actions = Counter(e.action for e in _entries(limited, before))
    # One use per admitted request; the refused ones are only counted in memory.
    assert actions == {"token.use": 6, "document.list": 6}


def test_a_revoked_token_is_refused_individually_then_rate_limited(
    backend: Backend, api_settings: Settings, pki: DevPki
) -> None:
    settings = replace_settings(api_settings, rate_limit_refusals_ip="3/minute")
    with running_api(backend, settings, pki) as api:
        lookup = api.tokens["b"].split("_")[1]
        with unit_of_work(backend.sessions) as session:
            token_id = session.scalar(select(ApiToken.id).where(ApiToken.lookup_id == lookup))
            assert token_id is not None
            revoke_token(session, token_id=token_id)
        before = _last_id(api)
        with api.client("b") as b:
            for _ in range(3):
                refused = b.get("/api/v1/documents")
                assert refused.status_code == 401
            _rate_limited(b.get("/api/v1/documents"))
    refusals = [e for e in _entries(api, before) if e.action.startswith("token.refused")]
    # A token that exists is worth an entry each (who attacks which token), within limits.
    assert [e.action for e in refusals] == ["token.refused"] * 3 + ["token.refused.aggregate"]
    assert {e.details.get("reason") for e in refusals[:3]} == {"revoked"}
    assert refusals[3].details["reason"] == "rate-limited"
    assert refusals[3].details["count"] == 1


def test_a_limit_that_does_not_parse_stops_the_start_naming_its_variable() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings(rate_limit_refusals_ip="lots")
    assert str(raised.value) == (
        "invalid configuration: DOCEX_RATE_LIMIT_REFUSALS_IP=lots: not a rate limit such as "
        "\"600/minute\": couldn't parse rate limit string 'lots'"
    )


def test_limits_count_each_key_apart_and_can_be_switched_off() -> None:
    limits = RateLimits(
        storage_uri="memory://",
        ip="2/minute",
        refusals="1/minute",
        token="1/minute",
        revalidation="1/minute",
    )
    limits.check_client("192.0.2.1")
    limits.check_client("192.0.2.1")
    with pytest.raises(RateLimitedError) as raised:
        limits.check_client("192.0.2.1")
    assert raised.value.scope == "ip"
    limits.check_client("192.0.2.2")
    limits.count_refusal("192.0.2.2")
    with pytest.raises(RateLimitedError) as raised:
        limits.check_client("192.0.2.2")
    assert raised.value.scope == "refusals"
    limits.check_token(1)
    limits.check_revalidation(1)
    with pytest.raises(RateLimitedError) as raised:
        limits.check_token(1)
    assert raised.value.scope == "token"
    off = RateLimits(
        storage_uri="memory://",
        ip="1/minute",
        refusals="1/minute",
        token="1/minute",
        revalidation="1/minute",
        enabled=False,
    )
    for _ in range(3):
        off.count_refusal("192.0.2.1")
        off.check_client("192.0.2.1")
        off.check_token(1)


def test_an_unusable_limits_storage_stops_the_start_without_showing_its_uri() -> None:
    settings = load_settings(rate_limit_storage_uri="nope://:hunter2@cache:6379")
    with pytest.raises(ConfigurationError) as raised:
        RateLimits.from_settings(settings)
    assert str(raised.value) == (
        "invalid configuration: DOCEX_RATE_LIMIT_STORAGE_URI: unusable nope:// storage: "
        "unknown storage scheme : nope://…"
    )
