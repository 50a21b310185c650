"""API tokens expire and rotate, on SQLite and PostgreSQL alike; migration 0007 gives the
tokens issued before it an end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime, column, insert, inspect, select, table
from sqlalchemy.orm import Session, sessionmaker

from docex.db import create_engine_from_settings, unit_of_work, upgrade
from docex.db.registry import ApiToken
from docex.domain import TokenRole
from docex.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from docex.registry import (
    FacilityRecord,
    TokenPolicy,
    add_facility,
    authenticate,
    issue_token,
    list_tokens,
    revoke_token,
    rotate_token,
)
from docex.settings import Settings
from tests.registry.token_policy import POLICY, START


@pytest.fixture
def clinic(sessions: sessionmaker[Session]) -> FacilityRecord:
    with unit_of_work(sessions) as session:
        return add_facility(session, edrpou="11111111", name="Clinic")


def _refusal(sessions: sessionmaker[Session], token: str, moment: datetime) -> str | None:
    with unit_of_work(sessions) as session, pytest.raises(AuthenticationError) as raised:
        authenticate(session, policy=POLICY, token=token, now=moment)
    return raised.value.reason


def test_a_token_lives_the_default_lifetime_then_is_refused_as_expired(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR, now=START)
    assert (issued.record.created_at, issued.record.expires_at) == (
        START,
        START + timedelta(days=90),
    )
    last_moment = START + timedelta(days=90) - timedelta(seconds=1)
    with unit_of_work(sessions) as session:
        principal = authenticate(session, policy=POLICY, token=issued.token, now=last_moment)
    assert principal.token_id == issued.record.id
    assert _refusal(sessions, issued.token, START + timedelta(days=90)) == "expired"
    with unit_of_work(sessions) as session:
        (listed,) = list_tokens(session)
    # The refused attempt did not count as a use.
    assert listed.last_used_at == last_moment
    assert listed.status_at(START + timedelta(days=90)) == "expired"
    assert listed.status_at(last_moment) == "active"


def test_an_explicit_lifetime_and_its_bounds(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(
            session,
            policy=POLICY,
            role=TokenRole.AUDITOR,
            lifetime=timedelta(days=7),
            now=START,
        )
    assert issued.record.expires_at == START + timedelta(days=7)
    for wrong in (timedelta(0), timedelta(days=-1), timedelta(days=3651)):
        with unit_of_work(sessions) as session, pytest.raises(InputError, match=r"^a token lives"):
            issue_token(session, policy=POLICY, role=TokenRole.AUDITOR, lifetime=wrong)


def test_revocation_wins_over_expiry(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR, now=START)
        revoke_token(session, token_id=issued.record.id, now=START + timedelta(hours=1))
    assert _refusal(sessions, issued.token, START + timedelta(days=91)) == "revoked"


def test_rotation_hands_the_grants_over_and_cuts_the_old_life_to_the_overlap(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    with unit_of_work(sessions) as session:
        old = issue_token(
            session,
            policy=POLICY,
            role=TokenRole.FACILITY,
            facility_id=clinic.id,
            label="MIS",
            now=START,
        )
    rotated_at = START + timedelta(days=10)
    with unit_of_work(sessions) as session:
        successor, previous = rotate_token(
            session, policy=POLICY, token_id=old.record.id, now=rotated_at
        )
    assert (successor.record.role, successor.record.facility_id, successor.record.label) == (
        TokenRole.FACILITY,
        clinic.id,
        "MIS",
    )
    assert successor.record.id != old.record.id
    assert successor.token != old.token
    assert successor.record.expires_at == rotated_at + timedelta(days=90)
    assert previous.expires_at == rotated_at + timedelta(hours=24)
    assert previous.revoked_at is None

    within = rotated_at + timedelta(hours=23)
    with unit_of_work(sessions) as session:
        both = [
            authenticate(session, policy=POLICY, token=t, now=within).facility_id
            for t in (old.token, successor.token)
        ]
    assert both == [clinic.id, clinic.id]
    assert _refusal(sessions, old.token, rotated_at + timedelta(hours=24)) == "expired"
    with unit_of_work(sessions) as session:
        principal = authenticate(
            session, policy=POLICY, token=successor.token, now=rotated_at + timedelta(days=30)
        )
    assert principal.token_id == successor.record.id


def test_rotation_never_lengthens_a_token_about_to_expire(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        old = issue_token(
            session, policy=POLICY, role=TokenRole.AUDITOR, lifetime=timedelta(hours=2), now=START
        )
        _, previous = rotate_token(
            session, policy=POLICY, token_id=old.record.id, now=START + timedelta(hours=1)
        )
    assert previous.expires_at == START + timedelta(hours=2)


def test_rotation_refuses_revoked_expired_and_unknown_tokens(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        revoked = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR, now=START)
        revoke_token(session, token_id=revoked.record.id, now=START)
        expiring = issue_token(
            session, policy=POLICY, role=TokenRole.AUDITOR, lifetime=timedelta(days=1), now=START
        )
    later = START + timedelta(days=2)
    cases = [
        (revoked.record.id, ConflictError, rf"^API token {revoked.record.id} is revoked;"),
        (expiring.record.id, ConflictError, rf"^API token {expiring.record.id} has expired;"),
        (4242, NotFoundError, r"^no API token with id 4242$"),
    ]
    for token_id, error, message in cases:
        with unit_of_work(sessions) as session, pytest.raises(error, match=message):
            rotate_token(session, policy=POLICY, token_id=token_id, now=later)
    with unit_of_work(sessions) as session:
        assert len(list_tokens(session, include_revoked=True)) == 2


def test_policy_reads_lifetime_and_overlap_from_settings() -> None:
    settings = Settings(
        token_pepper="x" * 40, token_lifetime_days=30, token_rotation_overlap_hours=2
    )
    policy = TokenPolicy.from_settings(settings)
    assert (policy.lifetime, policy.rotation_overlap) == (timedelta(days=30), timedelta(hours=2))
    assert (Settings().token_lifetime_days, Settings().token_rotation_overlap_hours) == (90, 24)


def test_migration_0007_gives_earlier_tokens_the_default_lifetime(
    backend_settings: Settings,
) -> None:
    engine = create_engine_from_settings(backend_settings)
    try:
        upgrade(engine, "0006")
        assert "expires_at" not in {c["name"] for c in inspect(engine).get_columns("api_tokens")}
        # The table as revision 0006 has it: the model already has the new column.
        before_0007 = table(
            "api_tokens",
            column("lookup_id"),
            column("secret_hash"),
            column("role"),
            column("created_at", DateTime(timezone=True)),
        )
        with engine.begin() as connection:
            connection.execute(
                insert(before_0007).values(
                    lookup_id="0123456789abcdef",
                    secret_hash="0" * 64,
                    role="auditor",
                    created_at=START,
                )
            )
        before = datetime.now(UTC)
        upgrade(engine)
        after = datetime.now(UTC)
        with engine.connect() as connection:
            expires_at = connection.execute(select(ApiToken.expires_at)).scalar_one()
        columns = {c["name"]: c for c in inspect(engine).get_columns("api_tokens")}
    finally:
        engine.dispose()
    assert before + timedelta(days=90) <= expires_at <= after + timedelta(days=90)
    assert columns["expires_at"]["nullable"] is False
