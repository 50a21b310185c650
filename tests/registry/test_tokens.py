"""API tokens: stored hashed, authenticate, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.registry import ApiToken
from docex.domain import TokenRole
from docex.errors import AuthenticationError, ConflictError, InputError
from docex.registry import (
    FacilityRecord,
    TokenPolicy,
    add_facility,
    authenticate,
    deactivate_facility,
    issue_token,
    list_tokens,
    revoke_token,
)
from docex.settings import Settings

POLICY = TokenPolicy(pepper=b"p" * 32, touch_interval=timedelta(minutes=1))


@pytest.fixture
def clinic(sessions: sessionmaker[Session]) -> FacilityRecord:
    with unit_of_work(sessions) as session:
        return add_facility(session, edrpou="11111111", name="Clinic")


def test_token_is_stored_only_as_a_hash(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(
            session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id, label="MIS"
        )
    assert issued.token.startswith(f"dxt_{issued.record.lookup_id}_")
    assert len(issued.token) > 50
    assert issued.token not in repr(issued)
    with unit_of_work(sessions) as session:
        row = session.scalars(select(ApiToken)).one()
        stored = [str(value) for value in vars(row).values()]
    # The secret part may itself contain "_": cut the known prefix, not at underscores.
    secret = issued.token.removeprefix(f"dxt_{issued.record.lookup_id}_")
    assert not any(issued.token in value or secret in value for value in stored)
    assert row.secret_hash == POLICY.digest(issued.token)
    assert row.secret_hash != TokenPolicy(pepper=b"q" * 32).digest(issued.token)


def test_authenticate_facility_and_auditor(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    with unit_of_work(sessions) as session:
        facility_token = issue_token(
            session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id
        )
        auditor_token = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR)
    with unit_of_work(sessions) as session:
        facility = authenticate(session, policy=POLICY, token=facility_token.token)
        auditor = authenticate(session, policy=POLICY, token=auditor_token.token)
    assert (facility.role, facility.facility_id, facility.facility_edrpou) == (
        TokenRole.FACILITY,
        clinic.id,
        "11111111",
    )
    assert facility.token_id == facility_token.record.id
    assert not facility.is_auditor
    assert auditor.is_auditor
    assert auditor.facility_id is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: "dxt_0000000000000000_" + t.split("_", 2)[2],  # unknown lookup id
        lambda t: "",
        lambda t: "Bearer " + t,
        lambda t: t + "x" * 200,
        lambda t: t.replace("dxt_", "abc_"),
    ],
)
def test_bad_tokens_are_refused(
    sessions: sessionmaker[Session], clinic: FacilityRecord, mangle: object
) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id)
    assert callable(mangle)
    with unit_of_work(sessions) as session, pytest.raises(AuthenticationError):
        authenticate(session, policy=POLICY, token=mangle(issued.token))


def test_other_pepper_refuses_token(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR)
    other = TokenPolicy(pepper=b"another pepper of thirty-two bytes")
    with unit_of_work(sessions) as session, pytest.raises(AuthenticationError):
        authenticate(session, policy=other, token=issued.token)


def test_revoked_token_is_refused(sessions: sessionmaker[Session], clinic: FacilityRecord) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id)
        keep = issue_token(session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id)
    with unit_of_work(sessions) as session:
        revoked = revoke_token(session, token_id=issued.record.id)
        again = revoke_token(session, token_id=issued.record.id)
    assert revoked.revoked
    assert again.revoked_at == revoked.revoked_at
    with unit_of_work(sessions) as session, pytest.raises(AuthenticationError):
        authenticate(session, policy=POLICY, token=issued.token)
    with unit_of_work(sessions) as session:
        assert authenticate(session, policy=POLICY, token=keep.token).token_id == keep.record.id
        assert [t.id for t in list_tokens(session, facility_id=clinic.id)] == [keep.record.id]
        assert len(list_tokens(session, include_revoked=True)) == 2


def test_deactivated_facility_token_is_refused(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id)
        deactivate_facility(session, facility_id=clinic.id)
    with unit_of_work(sessions) as session, pytest.raises(AuthenticationError):
        authenticate(session, policy=POLICY, token=issued.token)
    with unit_of_work(sessions) as session, pytest.raises(ConflictError):
        issue_token(session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id)


def test_role_and_facility_must_agree(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    with unit_of_work(sessions) as session:
        with pytest.raises(InputError):
            issue_token(session, policy=POLICY, role=TokenRole.FACILITY)
        with pytest.raises(InputError):
            issue_token(session, policy=POLICY, role=TokenRole.AUDITOR, facility_id=clinic.id)


def test_last_used_is_throttled(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        issued = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR)
    assert issued.record.last_used_at is None
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def use_at(moment: datetime) -> datetime | None:
        with unit_of_work(sessions) as session:
            authenticate(session, policy=POLICY, token=issued.token, now=moment)
        with unit_of_work(sessions) as session:
            return list_tokens(session)[0].last_used_at

    assert use_at(start) == start
    assert use_at(start + timedelta(seconds=30)) == start  # within the interval: no write
    assert use_at(start + timedelta(minutes=2)) == start + timedelta(minutes=2)


def test_policy_from_settings() -> None:
    settings = Settings(token_pepper="x" * 40, token_touch_interval_seconds=5)
    policy = TokenPolicy.from_settings(settings)
    assert policy.pepper == b"x" * 40
    assert policy.touch_interval == timedelta(seconds=5)
    assert "x" * 40 not in repr(policy)
