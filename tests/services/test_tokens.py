"""Issuing and revoking API tokens through the use cases, each change audited with the
token's role and never its secret."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.chain import canonical_json
from docex.audit.log import SYSTEM
from docex.db.engine import unit_of_work
from docex.domain import ActorKind, Outcome, TokenRole
from docex.errors import ConflictError, InputError, NotFoundError
from docex.registry.records import FacilityRecord
from docex.registry.tokens import authenticate
from docex.services.facilities import add_facility, deactivate_facility
from docex.services.tokens import issue_token, list_tokens, revoke_token
from tests.services.conftest import POLICY, audit_entries


@pytest.fixture
def clinic(sessions: sessionmaker[Session]) -> FacilityRecord:
    return add_facility(sessions=sessions, actor=SYSTEM, edrpou="11111111", name="Clinic")


def test_issue_records_role_and_facility(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    issued = issue_token(
        sessions=sessions,
        policy=POLICY,
        actor=SYSTEM,
        role=TokenRole.FACILITY,
        facility_edrpou="11111111",
        label="Петренко, кабінет 3",
    )
    (entry,) = audit_entries(sessions, actions.TOKEN_ISSUE)
    assert (entry.actor_kind, entry.target_type, entry.target_id) == (
        ActorKind.SYSTEM,
        "api_token",
        str(issued.record.id),
    )
    assert entry.details == {
        "role": "facility",
        "facility_edrpou": clinic.edrpou,
        "expires_at": issued.record.expires_at.isoformat(),
    }
    assert issued.record.expires_at - issued.record.created_at == POLICY.lifetime
    logged = canonical_json(entry.details).decode()
    assert issued.token not in logged
    assert "Петренко" not in logged
    with unit_of_work(sessions) as session:
        principal = authenticate(session, policy=POLICY, token=issued.token)
    assert principal.facility_id == clinic.id


def test_auditor_token(sessions: sessionmaker[Session]) -> None:
    issued = issue_token(sessions=sessions, policy=POLICY, actor=SYSTEM, role=TokenRole.AUDITOR)
    (entry,) = audit_entries(sessions, actions.TOKEN_ISSUE)
    assert entry.details == {
        "role": "auditor",
        "facility_edrpou": None,
        "expires_at": issued.record.expires_at.isoformat(),
    }
    assert [(t.facility_edrpou, t.token.id) for t in list_tokens(sessions=sessions)] == [
        (None, issued.record.id)
    ]


@pytest.mark.parametrize(
    ("role", "edrpou"), [(TokenRole.FACILITY, None), (TokenRole.AUDITOR, "11111111")]
)
def test_role_and_facility_must_agree(
    sessions: sessionmaker[Session], role: TokenRole, edrpou: str | None
) -> None:
    with pytest.raises(InputError, match=r"^a facility token needs a facility; an auditor"):
        issue_token(
            sessions=sessions, policy=POLICY, actor=SYSTEM, role=role, facility_edrpou=edrpou
        )
    (refused,) = audit_entries(sessions)
    assert (refused.action, refused.outcome, refused.target_id) == (
        actions.TOKEN_ISSUE,
        Outcome.REFUSED,
        None,
    )
    assert refused.details == {
        "role": role.value,
        "facility_edrpou": edrpou,
        "code": "input",
        "reason": "a facility token needs a facility; an auditor token has none",
    }


def test_inactive_facility_is_refused(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    deactivate_facility(sessions=sessions, actor=SYSTEM, edrpou="11111111")
    with pytest.raises(ConflictError, match=r"^facility 11111111 is inactive$"):
        issue_token(
            sessions=sessions,
            policy=POLICY,
            actor=SYSTEM,
            role=TokenRole.FACILITY,
            facility_edrpou="11111111",
        )
    (refused,) = audit_entries(sessions, actions.TOKEN_ISSUE)
    assert (refused.outcome, refused.details) == (
        Outcome.REFUSED,
        {
            "role": "facility",
            "facility_edrpou": "11111111",
            "code": "conflict",
            "reason": "facility 11111111 is inactive",
        },
    )


def test_revoke_records_once_with_role(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    issued = issue_token(
        sessions=sessions,
        policy=POLICY,
        actor=SYSTEM,
        role=TokenRole.FACILITY,
        facility_edrpou="11111111",
    )
    first = revoke_token(sessions=sessions, actor=SYSTEM, token_id=issued.record.id)
    again = revoke_token(sessions=sessions, actor=SYSTEM, token_id=issued.record.id)
    assert first.revoked
    assert again.revoked_at == first.revoked_at
    (entry,) = audit_entries(sessions, actions.TOKEN_REVOKE)
    assert (entry.actor_kind, entry.target_id, entry.details) == (
        ActorKind.SYSTEM,
        str(issued.record.id),
        {"role": "facility", "facility_edrpou": clinic.edrpou},
    )
    assert list_tokens(sessions=sessions) == []
    (listed,) = list_tokens(sessions=sessions, facility_edrpou="11111111", include_revoked=True)
    assert (listed.facility_edrpou, listed.token) == ("11111111", first)


def test_revoking_an_unknown_token_is_not_found(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NotFoundError, match=r"^no API token with id 42$"):
        revoke_token(sessions=sessions, actor=SYSTEM, token_id=42)
    (refused,) = audit_entries(sessions)
    assert (refused.action, refused.outcome, refused.target_id, refused.details) == (
        actions.TOKEN_REVOKE,
        Outcome.REFUSED,
        "42",
        {"code": "not-found", "reason": "no API token with id 42"},
    )
