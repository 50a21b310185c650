"""The referral lifecycle table and requisition numbers, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from docex.domain import ReferralStatus
from docex.errors import TransitionError
from docex.referrals.lifecycle import LOCAL_TIME, Action, default_valid_until, next_status
from docex.referrals.requisition import new_requisition_number, normalise


@pytest.mark.parametrize(
    ("action", "current", "expected"),
    [
        (Action.TAKE, ReferralStatus.ACTIVE, ReferralStatus.IN_PROGRESS),
        (Action.RELEASE, ReferralStatus.IN_PROGRESS, ReferralStatus.ACTIVE),
        (Action.COMPLETE, ReferralStatus.IN_PROGRESS, ReferralStatus.COMPLETED),
        (Action.RECALL, ReferralStatus.ACTIVE, ReferralStatus.RECALLED),
        (Action.EXPIRE, ReferralStatus.ACTIVE, ReferralStatus.RECALLED),
        (Action.CANCEL, ReferralStatus.COMPLETED, ReferralStatus.ENTERED_IN_ERROR),
    ],
)
def test_allowed_transitions(
    action: Action, current: ReferralStatus, expected: ReferralStatus
) -> None:
    assert next_status(action, current) is expected


def test_refused_transition_says_from_where_it_is_allowed() -> None:
    with pytest.raises(
        TransitionError, match=r"^cannot take a referral that is completed \(only from: active\)$"
    ):
        next_status(Action.TAKE, ReferralStatus.COMPLETED)


def test_default_validity_ends_a_week_later_at_kyiv_midnight() -> None:
    # 22:30 UTC on 1 March is already 2 March in Kyiv (UTC+2 in winter).
    until = default_valid_until(datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    assert until == datetime(2026, 3, 9, 23, 59, 59, tzinfo=LOCAL_TIME)


def test_requisition_numbers_survive_being_typed_by_hand() -> None:
    number = new_requisition_number()
    assert normalise(number) == number
    assert normalise(" 7k3q m2xd 9pfa ") == "7K3Q-M2XD-9PFA"
    # O, I and L are read as 0, 1 and 1; U is not in the alphabet at all.
    assert normalise("OIL0-0000-0000") == "0110-0000-0000"
    assert normalise("UUUU-0000-0000") is None
    assert normalise("0000-0000") is None
