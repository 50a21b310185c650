"""Row locks: ``FOR NO KEY UPDATE``, not ``FOR UPDATE``.

A row that another row points at is locked ``FOR KEY SHARE`` by every transaction that
inserts the pointing row: PostgreSQL's foreign-key check does it. ``FOR UPDATE`` conflicts
with that lock, so two transactions that each insert a row pointing at X (two results
answering one referral) and then lock X to change its state wait for each other: a
deadlock, broken by failing one of them (``tests/api/test_concurrent_results.py``).
``FOR NO KEY UPDATE`` conflicts with itself, so changes of one row still go one at a
time, but not with ``FOR KEY SHARE``; it is the lock PostgreSQL's own ``UPDATE`` takes
when no key column changes, and docex's locked rows change state, never keys. SQLite
ignores row locks (it writes one transaction at a time).
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

from sqlalchemy import Select

_Query = TypeVar("_Query", bound=Select[Any])

ROW_LOCK: Final[dict[str, Any]] = {"key_share": True}
"""``FOR NO KEY UPDATE`` for ``session.get(..., with_for_update=ROW_LOCK)``."""


def locking(query: _Query, *, skip_locked: bool = False) -> _Query:
    """``query`` locking the rows it reads ``FOR NO KEY UPDATE``."""
    return query.with_for_update(key_share=True, skip_locked=skip_locked)
