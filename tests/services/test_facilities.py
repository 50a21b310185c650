"""Registering and deactivating facilities through the use cases, each change audited."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import SYSTEM, Actor
from docex.domain import ActorKind, FacilityStatus, Outcome
from docex.errors import ConflictError, InputError, NotFoundError
from docex.services.facilities import add_facility, deactivate_facility, list_facilities
from tests.services.conftest import audit_entries


def test_add_records_facility_add(sessions: sessionmaker[Session]) -> None:
    facility = add_facility(sessions=sessions, actor=SYSTEM, edrpou=" 12345678", name="КНП  A")
    assert (facility.edrpou, facility.name, facility.status) == (
        "12345678",
        "КНП A",
        FacilityStatus.ACTIVE,
    )
    (entry,) = audit_entries(sessions)
    assert (entry.action, entry.actor_kind, entry.outcome) == (
        actions.FACILITY_ADD,
        ActorKind.SYSTEM,
        Outcome.OK,
    )
    assert (entry.target_type, entry.target_id) == ("facility", str(facility.id))
    assert entry.details == {"edrpou": "12345678", "name": "КНП A"}
    assert entry.hash is not None  # chained when the use case committed


def test_the_actor_is_whoever_the_caller_names(sessions: sessionmaker[Session]) -> None:
    auditor = Actor(kind=ActorKind.AUDITOR, token_id=9)
    add_facility(sessions=sessions, actor=auditor, edrpou="12345678", name="A")
    (entry,) = audit_entries(sessions)
    assert (entry.actor_kind, entry.actor_token_id) == (ActorKind.AUDITOR, 9)


def test_duplicate_is_refused_and_audited_as_refused(sessions: sessionmaker[Session]) -> None:
    add_facility(sessions=sessions, actor=SYSTEM, edrpou="12345678", name="A")
    with pytest.raises(ConflictError, match=r"^a facility with EDRPOU 12345678 is already"):
        add_facility(sessions=sessions, actor=SYSTEM, edrpou="12345678", name="B")
    added, refused = audit_entries(sessions)
    assert [(e.action, e.outcome) for e in (added, refused)] == [
        (actions.FACILITY_ADD, Outcome.OK),
        (actions.FACILITY_ADD, Outcome.REFUSED),
    ]
    assert refused.target_id is None
    assert refused.details["code"] == "conflict"
    assert refused.details["edrpou"] == "12345678"
    assert refused.details["reason"].startswith("a facility with EDRPOU 12345678 is already")
    assert [f.name for f in list_facilities(sessions=sessions)] == ["A"]


def test_malformed_edrpou_is_an_input_error(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InputError, match=r"^EDRPOU code must be 8 digits, got '1234'$"):
        add_facility(sessions=sessions, actor=SYSTEM, edrpou="1234", name="A")
    (refused,) = audit_entries(sessions)
    assert (refused.action, refused.outcome, refused.details) == (
        actions.FACILITY_ADD,
        Outcome.REFUSED,
        {"edrpou": "1234", "code": "input", "reason": "EDRPOU code must be 8 digits, got '1234'"},
    )


def test_deactivate_records_once(sessions: sessionmaker[Session]) -> None:
    added = add_facility(sessions=sessions, actor=SYSTEM, edrpou="12345678", name="A")
    first = deactivate_facility(sessions=sessions, actor=SYSTEM, edrpou="12345678")
    again = deactivate_facility(sessions=sessions, actor=SYSTEM, edrpou="12345678")
    assert first.status is FacilityStatus.INACTIVE
    assert again.deactivated_at == first.deactivated_at
    entries = audit_entries(sessions, actions.FACILITY_DEACTIVATE)
    assert [(e.actor_kind, e.target_id, e.details) for e in entries] == [
        (ActorKind.SYSTEM, str(added.id), {"edrpou": "12345678"})
    ]
    assert list_facilities(sessions=sessions) == []
    assert list_facilities(sessions=sessions, include_inactive=True) == [first]


def test_deactivating_an_unknown_facility_is_not_found(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NotFoundError, match=r"^no facility with EDRPOU 87654321$"):
        deactivate_facility(sessions=sessions, actor=SYSTEM, edrpou="87654321")
    (refused,) = audit_entries(sessions)
    assert (refused.action, refused.outcome, refused.details) == (
        actions.FACILITY_DEACTIVATE,
        Outcome.REFUSED,
        {"edrpou": "87654321", "code": "not-found", "reason": "no facility with EDRPOU 87654321"},
    )
