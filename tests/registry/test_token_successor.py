"""A rotated token records its one successor and is not rotated again, on SQLite and
PostgreSQL alike: otherwise one token could spawn any number of live successors, and a
leaked token being rotated away could mint fresh ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.domain import TokenRole
from docex.errors import ConflictError
from docex.registry import authenticate, issue_token, list_tokens, revoke_token, rotate_token
from tests.registry.token_policy import POLICY, START


def _already_rotated(token_id: int, successor_id: int) -> str:
    return (
        rf"^API token {token_id} was already rotated to token {successor_id}; "
        r"rotate or revoke that one instead$"
    )


def test_a_rotated_token_has_one_successor_and_is_not_rotated_again(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        old = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR, now=START)
    rotated_at = START + timedelta(days=10)
    with unit_of_work(sessions) as session:
        successor, previous = rotate_token(
            session, policy=POLICY, token_id=old.record.id, now=rotated_at
        )
    assert previous.successor_id == successor.record.id
    assert successor.record.successor_id is None

    # Again within the overlap, where the old token still authenticates: refused.
    again_at = rotated_at + timedelta(hours=1)
    with (
        unit_of_work(sessions) as session,
        pytest.raises(ConflictError, match=_already_rotated(old.record.id, successor.record.id)),
    ):
        rotate_token(session, policy=POLICY, token_id=old.record.id, now=again_at)
    with unit_of_work(sessions) as session:
        listed = list_tokens(session, include_revoked=True)
        assert authenticate(session, policy=POLICY, token=old.token, now=again_at).token_id == (
            old.record.id
        )
    # No second successor, and the old token's expiry is the one the rotation gave it.
    assert [(t.id, t.successor_id, t.expires_at) for t in listed] == [
        (old.record.id, successor.record.id, rotated_at + timedelta(hours=24)),
        (successor.record.id, None, rotated_at + timedelta(days=90)),
    ]

    # The successor is the one to rotate next, and it names its own successor.
    with unit_of_work(sessions) as session:
        third, second = rotate_token(
            session, policy=POLICY, token_id=successor.record.id, now=again_at
        )
    assert (second.id, second.successor_id) == (successor.record.id, third.record.id)
    assert third.record.successor_id is None


def test_a_rotated_token_names_its_successor_after_the_overlap_and_its_revocation(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        old = issue_token(session, policy=POLICY, role=TokenRole.AUDITOR, now=START)
        successor, _ = rotate_token(session, policy=POLICY, token_id=old.record.id, now=START)
    past_overlap = START + timedelta(days=2)
    with (
        unit_of_work(sessions) as session,
        pytest.raises(ConflictError, match=_already_rotated(old.record.id, successor.record.id)),
    ):
        rotate_token(session, policy=POLICY, token_id=old.record.id, now=past_overlap)
    with unit_of_work(sessions) as session:
        revoked = revoke_token(session, token_id=old.record.id, now=past_overlap)
    assert revoked.successor_id == successor.record.id
    with (
        unit_of_work(sessions) as session,
        pytest.raises(ConflictError, match=_already_rotated(old.record.id, successor.record.id)),
    ):
        rotate_token(session, policy=POLICY, token_id=old.record.id, now=past_overlap)
    with unit_of_work(sessions) as session:
        assert len(list_tokens(session, include_revoked=True)) == 2
