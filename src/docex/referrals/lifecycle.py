"""The referral lifecycle, enforced by the server.

Modelled on FHIR ServiceRequest / Task and Ukraine's eHealth service requests::

    active ──take──▶ in_progress ──result──▶ completed
      ▲  │              │                       │
      │  └──release─────┘                       │
      │                                          ▼
    active ──recall / expiry──▶ recalled    entered_in_error ◀── cancel (active|completed)

Any other transition is refused with a reason, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from docex.domain import ReferralStatus
from docex.errors import TransitionError

LOCAL_TIME = ZoneInfo("Europe/Kyiv")
DEFAULT_VALIDITY_DAYS = 7


class Action(StrEnum):
    """What can happen to a referral."""

    TAKE = "take"
    RELEASE = "release"
    COMPLETE = "complete"
    RECALL = "recall"
    EXPIRE = "expire"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Rule:
    """Who may do an action, from which statuses, to which status."""

    from_statuses: frozenset[ReferralStatus]
    to_status: ReferralStatus
    actor: str
    """``issuer``, ``performer`` or ``system``."""


RULES: dict[Action, Rule] = {
    Action.TAKE: Rule(frozenset({ReferralStatus.ACTIVE}), ReferralStatus.IN_PROGRESS, "performer"),
    Action.RELEASE: Rule(
        frozenset({ReferralStatus.IN_PROGRESS}), ReferralStatus.ACTIVE, "performer"
    ),
    Action.COMPLETE: Rule(
        frozenset({ReferralStatus.IN_PROGRESS}), ReferralStatus.COMPLETED, "performer"
    ),
    Action.RECALL: Rule(frozenset({ReferralStatus.ACTIVE}), ReferralStatus.RECALLED, "issuer"),
    Action.EXPIRE: Rule(frozenset({ReferralStatus.ACTIVE}), ReferralStatus.RECALLED, "system"),
    Action.CANCEL: Rule(
        frozenset({ReferralStatus.ACTIVE, ReferralStatus.COMPLETED}),
        ReferralStatus.ENTERED_IN_ERROR,
        "issuer",
    ),
}


def next_status(action: Action, current: ReferralStatus) -> ReferralStatus:
    """The status ``action`` leads to from ``current``; ``TransitionError`` if it may not."""
    rule = RULES[action]
    if current not in rule.from_statuses:
        allowed = ", ".join(sorted(s.value for s in rule.from_statuses))
        raise TransitionError(
            f"cannot {action.value} a referral that is {current.value} (only from: {allowed})"
        )
    return rule.to_status


def default_valid_until(created: datetime) -> datetime:
    """Seven days after the referral, to 23:59:59 local (Kyiv) time, as eHealth does."""
    local_day = created.astimezone(LOCAL_TIME).date() + timedelta(days=DEFAULT_VALIDITY_DAYS)
    return datetime.combine(local_day, time(23, 59, 59), tzinfo=LOCAL_TIME)


def is_expired(valid_until: datetime, now: datetime) -> bool:
    """Whether a referral's validity period is over."""
    return now > valid_until
