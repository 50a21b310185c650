"""Rotating and expiring tokens through the use cases: one audit entry per change, a
refusal recorded as refused, an expired token refused with reason ``expired``."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import SYSTEM
from docex.domain import ActorKind, Outcome, TokenRole
from docex.errors import AuthenticationError, ConflictError
from docex.services.admin_audit import Operator
from docex.services.authentication import authenticate_request
from docex.services.facilities import add_facility
from docex.services.tokens import issue_token, list_tokens, revoke_token, rotate_token
from tests.services.conftest import POLICY, audit_entries

OPERATOR = Operator(name="cli:registrar")


@pytest.fixture
def clinic_token_id(sessions: sessionmaker[Session]) -> int:
    add_facility(sessions=sessions, actor=SYSTEM, edrpou="11111111", name="Clinic")
    issued = issue_token(
        sessions=sessions,
        policy=POLICY,
        actor=OPERATOR,
        role=TokenRole.FACILITY,
        facility_edrpou="11111111",
        lifetime=timedelta(days=30),
    )
    return issued.record.id


def test_issue_names_the_operator_and_the_expiry(
    sessions: sessionmaker[Session], clinic_token_id: int
) -> None:
    (entry,) = audit_entries(sessions, actions.TOKEN_ISSUE)
    assert (entry.actor_kind, entry.target_id) == (ActorKind.SYSTEM, str(clinic_token_id))
    issued_at = entry.created_at
    expires_at = datetime.fromisoformat(entry.details["expires_at"])
    assert timedelta(days=30) - timedelta(seconds=5) < expires_at - issued_at <= timedelta(days=30)
    assert (entry.details["operator"], entry.details["role"]) == ("cli:registrar", "facility")


def test_rotation_is_one_entry_naming_the_successor(
    sessions: sessionmaker[Session], clinic_token_id: int
) -> None:
    rotated = rotate_token(
        sessions=sessions, policy=POLICY, actor=OPERATOR, token_id=clinic_token_id
    )
    (entry,) = audit_entries(sessions, actions.TOKEN_ROTATE)
    assert (entry.outcome, entry.target_id) == (Outcome.OK, str(clinic_token_id))
    assert entry.details == {
        "operator": "cli:registrar",
        "role": "facility",
        "facility_edrpou": "11111111",
        "successor_id": str(rotated.successor.record.id),
        "expires_at": rotated.previous.expires_at.isoformat(),
        "successor_expires_at": rotated.successor.record.expires_at.isoformat(),
    }
    # The successor's issue is part of the rotation, not a second entry.
    assert len(audit_entries(sessions, actions.TOKEN_ISSUE)) == 1
    assert rotated.successor.token not in str(entry.details)


def test_a_revoked_token_is_not_rotated_and_the_refusal_is_recorded(
    sessions: sessionmaker[Session], clinic_token_id: int
) -> None:
    revoke_token(sessions=sessions, actor=OPERATOR, token_id=clinic_token_id)
    with pytest.raises(ConflictError, match=rf"^API token {clinic_token_id} is revoked;"):
        rotate_token(sessions=sessions, policy=POLICY, actor=OPERATOR, token_id=clinic_token_id)
    (refused,) = audit_entries(sessions, actions.TOKEN_ROTATE)
    assert (refused.outcome, refused.target_id) == (Outcome.REFUSED, str(clinic_token_id))
    assert refused.details == {
        "operator": "cli:registrar",
        "code": "conflict",
        "reason": f"API token {clinic_token_id} is revoked; issue a new one instead",
    }
    # Nothing else was written: no successor, no second revocation.
    assert [e.action for e in audit_entries(sessions)] == [
        actions.FACILITY_ADD,
        actions.TOKEN_ISSUE,
        actions.TOKEN_REVOKE,
        actions.TOKEN_ROTATE,
    ]


def test_an_expired_token_is_refused_and_recorded_as_expired(
    sessions: sessionmaker[Session],
) -> None:
    # With no overlap the rotated token expires at the moment of its rotation.
    policy = dataclasses.replace(POLICY, rotation_overlap=timedelta(0))
    issued = issue_token(sessions=sessions, policy=policy, actor=SYSTEM, role=TokenRole.AUDITOR)
    rotated = rotate_token(
        sessions=sessions, policy=policy, actor=OPERATOR, token_id=issued.record.id
    )
    with pytest.raises(AuthenticationError, match=r"^invalid or revoked API token$"):
        authenticate_request(
            sessions=sessions, policy=policy, token=issued.token, method="GET", path="/v1/audit"
        )
    (refused,) = audit_entries(sessions, actions.TOKEN_REFUSED)
    assert (refused.outcome, refused.target_id) == (Outcome.REFUSED, str(issued.record.id))
    assert refused.details["reason"] == "expired"
    principal = authenticate_request(
        sessions=sessions,
        policy=policy,
        token=rotated.successor.token,
        method="GET",
        path="/v1/audit",
    )
    assert principal.token_id == rotated.successor.record.id


def test_a_second_rotation_is_refused_naming_the_successor_and_recorded(
    sessions: sessionmaker[Session], clinic_token_id: int
) -> None:
    rotated = rotate_token(
        sessions=sessions, policy=POLICY, actor=OPERATOR, token_id=clinic_token_id
    )
    successor_id = rotated.successor.record.id
    reason = (
        f"API token {clinic_token_id} was already rotated to token {successor_id}; "
        "rotate or revoke that one instead"
    )
    with pytest.raises(ConflictError, match=rf"^{reason}$"):
        rotate_token(sessions=sessions, policy=POLICY, actor=OPERATOR, token_id=clinic_token_id)
    ok, refused = audit_entries(sessions, actions.TOKEN_ROTATE)
    assert (ok.outcome, ok.details["successor_id"]) == (Outcome.OK, str(successor_id))
    assert (refused.outcome, refused.target_id, refused.details) == (
        Outcome.REFUSED,
        str(clinic_token_id),
        {"operator": "cli:registrar", "code": "conflict", "reason": reason},
    )
    # The refused rotation issued nothing: one token issued, one successor, no more.
    assert len(audit_entries(sessions, actions.TOKEN_ISSUE)) == 1
    assert [(t.token.id, t.token.successor_id) for t in list_tokens(sessions=sessions)] == [
        (clinic_token_id, successor_id),
        (successor_id, None),
    ]
