"""Checking the audit chain: every entry's hash, and every link to the entry before it.

The verdict is a value (:class:`ChainVerdict`), not an exception: a broken chain is a
finding to report, with the first entry where the history stops adding up.

- An entry whose content was changed no longer matches its own ``hash``: it is reported.
- If its ``hash`` was recomputed as well, the next entry's ``prev_hash`` no longer
  matches: the next entry is reported.
- An entry removed, inserted or moved breaks the ``prev_hash`` link of the entry that
  now follows it: that entry is reported. Gaps in ids alone prove nothing (a rolled-back
  transaction consumes an id), so only the links are trusted.
- Entries removed from the end leave a consistent shorter chain; only an ``anchor`` (a
  head hash noted earlier) or a checkpoint (:mod:`docex.audit.checkpoints`) exposes that.
  Against a checkpoint of ``count`` entries, a chain with fewer is TRUNCATED (ALL_DELETED
  if it has none), and one whose entry number ``count`` has another hash was REWRITTEN
  (recomputed consistently from some entry on).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.audit.chain import GENESIS_HASH, entry_hash
from docex.db.audit import AuditEntry


class CheckpointFinding(StrEnum):
    """How the chain departs from a checkpoint taken earlier."""

    TRUNCATED = "truncated"
    """Fewer entries than the checkpoint counted: the newest were removed."""
    ALL_DELETED = "all deleted"
    """No entries at all, where the checkpoint counted some."""
    REWRITTEN = "rewritten"
    """The entry at the checkpointed position has another hash: history was recomputed."""


@dataclass(frozen=True, slots=True)
class ChainHead:
    """A position in the chain and the hash it must carry (from a checkpoint)."""

    count: int
    head_hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainVerdict:
    """What checking the chain found."""

    ok: bool
    entries_checked: int
    """Entries read up to and including the first broken one."""
    first_broken_id: int | None
    """The id of the first entry that does not fit; ``None`` if none (or only the anchor
    is missing)."""
    reason: str | None
    """Why the chain is broken, in a sentence; ``None`` if it is not."""
    head_hash: str
    """The hash of the last entry checked (``GENESIS_HASH`` for an empty log): note it to
    pass as ``anchor`` to a later check."""
    finding: CheckpointFinding | None = None
    """How the chain departs from the checkpoint it was checked against, if it does."""


class _Checker:
    """Walks entries in chain order and remembers the first inconsistency."""

    def __init__(
        self, *, start_hash: str | None, anchor: str | None, checkpoint: ChainHead | None = None
    ) -> None:
        self.expected_prev = start_hash
        self.anchor = anchor
        self.checkpoint = checkpoint
        self.anchor_seen = anchor is None
        self.checked = 0
        self.previous_id: int | None = None

    def check(self, entry: Mapping[str, Any]) -> ChainVerdict | None:
        """``None`` if ``entry`` fits after the entries before it, else the verdict."""
        self.checked += 1
        ident = entry["id"]
        if self.expected_prev is not None and entry["prev_hash"] != self.expected_prev:
            if self.previous_id is None:
                reason = "its prev_hash is not the genesis hash: entries before it are missing"
            else:
                reason = (
                    f"its prev_hash does not match the hash of entry {self.previous_id}: "
                    "an entry between them was removed, inserted or moved, or that entry's "
                    "hash was rewritten"
                )
            return self._broken(ident, reason)
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            return self._broken(ident, "its content does not match its hash: it was changed")
        self.expected_prev = entry["hash"]
        self.previous_id = ident
        if entry["hash"] == self.anchor:
            self.anchor_seen = True
        if (
            self.checkpoint is not None
            and self.checked == self.checkpoint.count
            and entry["hash"] != self.checkpoint.head_hash
        ):
            return ChainVerdict(
                ok=False,
                entries_checked=self.checked,
                first_broken_id=ident,
                reason=(
                    f"entry {ident}, number {self.checked} in the chain, has hash "
                    f"{entry['hash']}, but the checkpoint recorded {self.checkpoint.head_hash} "
                    "there: the chain was rewritten"
                ),
                head_hash=entry["hash"],
                finding=CheckpointFinding.REWRITTEN,
            )
        return None

    def _broken(self, ident: int, reason: str) -> ChainVerdict:
        return ChainVerdict(
            ok=False,
            entries_checked=self.checked,
            first_broken_id=ident,
            reason=reason,
            head_hash=self.expected_prev or GENESIS_HASH,
        )

    def finish(self) -> ChainVerdict:
        head = self.expected_prev or GENESIS_HASH
        if self.checkpoint is not None and self.checked < self.checkpoint.count:
            finding = (
                CheckpointFinding.ALL_DELETED if self.checked == 0 else CheckpointFinding.TRUNCATED
            )
            return ChainVerdict(
                ok=False,
                entries_checked=self.checked,
                first_broken_id=None,
                reason=(
                    f"the chain has {self.checked} entries, the checkpoint counted "
                    f"{self.checkpoint.count}: entries were removed from its end"
                ),
                head_hash=head,
                finding=finding,
            )
        if not self.anchor_seen:
            return ChainVerdict(
                ok=False,
                entries_checked=self.checked,
                first_broken_id=None,
                reason=(
                    f"the anchor {self.anchor} is not in the chain: entries were removed "
                    "from its end, or the anchor is from another log"
                ),
                head_hash=head,
            )
        return ChainVerdict(
            ok=True,
            entries_checked=self.checked,
            first_broken_id=None,
            reason=None,
            head_hash=head,
        )


def check_entries(
    entries: Iterable[Mapping[str, Any]],
    *,
    start_hash: str | None = GENESIS_HASH,
    anchor: str | None = None,
    checkpoint: ChainHead | None = None,
) -> ChainVerdict:
    """Check entries given in chain order, as mappings with every column.

    ``start_hash`` is the ``prev_hash`` the first entry must carry: the genesis hash for
    a whole log, ``None`` to accept whatever the first entry says (a partial export).
    ``anchor``, if given, is a hash that must occur in the chain; ``checkpoint``, if given,
    a count of entries the chain must reach and the hash its entry at that count carries.
    """
    checker = _Checker(start_hash=start_hash, anchor=anchor, checkpoint=checkpoint)
    for entry in entries:
        verdict = checker.check(entry)
        if verdict is not None:
            return verdict
    return checker.finish()


def verify_chain(
    session: Session,
    *,
    batch: int = 1000,
    anchor: str | None = None,
    checkpoint: ChainHead | None = None,
) -> ChainVerdict:
    """Check the whole audit log in ``session``'s database, streaming in id order.

    Entries appended while the check runs are checked too; nothing is held in memory
    beyond one batch.
    """
    return check_entries(iter_entries(session, batch=batch), anchor=anchor, checkpoint=checkpoint)


def iter_entries(
    session: Session,
    *,
    batch: int = 1000,
    after_id: int = 0,
    since: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Entries with an id above ``after_id`` (and ``created_at >= since``), in id order.

    Read a batch per query as plain rows, so that memory stays flat however long the log.
    """
    if batch < 1:
        raise ValueError("batch must be positive")
    table = AuditEntry.__table__
    last = after_id
    while True:
        query = select(table).where(table.c.id > last)
        if since is not None:
            query = query.where(table.c.created_at >= since)
        rows = [
            dict(row) for row in session.execute(query.order_by(table.c.id).limit(batch)).mappings()
        ]
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1]["id"]
