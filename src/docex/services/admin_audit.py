"""The audit entries of changes to who may do what, and of refused changes.

Every use case that changes the registry (facilities, employees, API tokens, webhook
subscriptions) records one entry through :func:`record_change` in the transaction that makes
the change, so the entry exists if and only if the change was committed. A refused change
(an unknown facility, a duplicate code, a revoked token to rotate, a webhook URL the policy
forbids, a transition the lifecycle does not allow) rolls its transaction back; the
refusal is then recorded on its own by :func:`audited_refusals`, under the same action name
with ``outcome=refused``, the error's code and a reason, and, when the request carried
bytes, their SHA-256.

An operator at the command line is docex's ``SYSTEM`` actor in the entry's actor columns:
the log has no column for a login, and adding one would change what every entry hashes.
The operator is named instead in the details (``operator: "cli:<os user>"``), which the
chain covers like any other field.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from docex.audit.log import SYSTEM, Actor, record
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from docex.errors import ConflictError, DocexError, InputError, NotFoundError, PermissionDeniedError

# A refusal's message may quote what was refused; it is cut short so that the log stays
# small whatever the caller sent.
MAX_REASON_LENGTH = 300
_MAX_OPERATOR_LENGTH = 64

REFUSALS: tuple[type[DocexError], ...] = (
    InputError,
    NotFoundError,
    ConflictError,
    PermissionDeniedError,
)
"""The errors that mean "refused by a rule". Storage and database failures are not
refusals: nothing decided against the caller, and the log may be unreachable too."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Operator:
    """A person running an administrative command, named as ``cli:<os user>``."""

    name: str

    @classmethod
    def at_command_line(cls) -> Operator:
        """The operator of this process, by the login the operating system reports."""
        try:
            user = getpass.getuser()
        except (OSError, KeyError):
            # No login name (a container without a passwd entry): still say it was the CLI.
            user = "unknown"
        return cls(name=f"cli:{user}"[:_MAX_OPERATOR_LENGTH])


AdminActor = Actor | Operator
"""Who changes the registry: an authenticated principal's actor, docex, or an operator."""


def actor_columns(actor: AdminActor) -> tuple[Actor, dict[str, Any]]:
    """The :class:`Actor` an entry records and the details that name an operator."""
    if isinstance(actor, Operator):
        return SYSTEM, {"operator": actor.name}
    return actor, {}


def record_change(
    session: Session,
    *,
    actor: AdminActor,
    action: str,
    target_type: str,
    target_id: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a committed-with-the-session change of the registry as ``outcome=ok``."""
    who, named = actor_columns(actor)
    record(
        session,
        actor=who,
        action=action,
        outcome=Outcome.OK,
        target_type=target_type,
        target_id=target_id,
        details={**named, **(details or {})},
    )


def refusal_reason(error: DocexError, *, hide: Iterable[str] = ()) -> str:
    """The error's message, each of ``hide`` (personal data, URLs) blanked out, cut short."""
    reason = str(error)
    for secret in hide:
        if secret:
            reason = reason.replace(secret, "…")
    return reason[:MAX_REASON_LENGTH]


@contextmanager
def audited_refusals(
    sessions: sessionmaker[Session],
    *,
    actor: AdminActor,
    action: str,
    target_type: str,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
    sha256: str | None = None,
    hide: Iterable[str] = (),
) -> Iterator[None]:
    """Record a refusal raised in the block as ``action`` with ``outcome=refused``.

    Wrap the whole unit of work: its transaction has rolled back by the time the refusal
    reaches here, and the entry is written in a unit of work of its own. ``details`` are
    what the request said (never a secret nor an RNOKPP); ``sha256`` is the digest of the
    bytes the request carried, if any; ``hide`` lists strings the error message may quote
    that must not reach the log. The error is raised again, unchanged.
    """
    hidden = tuple(hide)
    try:
        yield
    except REFUSALS as exc:
        who, named = actor_columns(actor)
        entry: dict[str, Any] = {
            **named,
            **(details or {}),
            "code": exc.code,
            "reason": refusal_reason(exc, hide=hidden),
        }
        if sha256 is not None:
            entry["sha256"] = sha256
        with unit_of_work(sessions) as session:
            record(
                session,
                actor=who,
                action=action,
                outcome=Outcome.REFUSED,
                target_type=target_type,
                target_id=target_id,
                details=entry,
            )
        raise
