"""Demo seeding audits what it adds, as the administrative commands do, and nothing when
it adds nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import SYSTEM
from docex.domain import ActorKind
from docex.services.demo import DEMO_FACILITIES, read_demo_people, seed_demo
from tests.services.conftest import POLICY, audit_entries

CERTS = Path(__file__).resolve().parents[2] / "certs-dev" / "certs"


def test_seeding_is_audited_once(sessions: sessionmaker[Session]) -> None:
    people = read_demo_people(CERTS)
    seed = seed_demo(sessions=sessions, policy=POLICY, actor=SYSTEM, people=people)
    entries = audit_entries(sessions)
    assert Counter(e.action for e in entries) == {
        actions.FACILITY_ADD: len(DEMO_FACILITIES),
        actions.EMPLOYEE_ADD: len(people),
        actions.TOKEN_ISSUE: len(DEMO_FACILITIES) + 1,
    }
    assert {e.actor_kind for e in entries} == {ActorKind.SYSTEM}
    issued = {e.target_id for e in entries if e.action == actions.TOKEN_ISSUE}
    assert issued == {str(t.token_id) for t in seed.tokens}

    again = seed_demo(sessions=sessions, policy=POLICY, actor=SYSTEM, people=people)
    assert not again.changed
    assert len(audit_entries(sessions)) == len(entries)
