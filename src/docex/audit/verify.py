"""Checking the audit chains: every entry's hash, and every link to the entry before it.

The log is several chains (:mod:`docex.audit.shards`), each checked on its own, from its
own genesis hash, in ``id`` order. The verdict is a value, not an exception: a
:class:`ChainVerdict` per chain, with the first entry where that chain's history stops
adding up, gathered in a :class:`LogVerdict`. A broken chain does not stop the others
being checked, so that every damaged chain is named.

- An entry whose content was changed no longer matches its own ``hash``: it is reported.
- If its ``hash`` was recomputed as well, the next entry's ``prev_hash`` no longer
  matches: the next entry is reported.
- An entry removed, inserted or moved breaks the ``prev_hash`` link of the entry that
  now follows it: that entry is reported. Gaps in ids alone prove nothing (a rolled-back
  transaction consumes an id), so only the links are trusted.
- Entries removed from the end leave a consistent shorter chain; only an ``anchor`` (a
  head hash noted earlier) or a checkpoint (:mod:`docex.audit.checkpoints`) exposes that.
  Against a checkpoint holding ``count`` entries for a chain, the chain with fewer is
  TRUNCATED (ALL_DELETED if it has none), and one whose entry number ``count`` has another
  hash was REWRITTEN (recomputed consistently from some entry on).
- An entry whose ``chain`` was changed no longer follows its new chain's head (or, as a
  first entry, its genesis): the link is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.audit.chain import GENESIS_HASH, entry_hash
from docex.audit.shards import chain_genesis
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
    """What checking one chain found."""

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
    chain: int = 0
    """Which chain of the log this is."""


class _Checker:
    """Walks one chain's entries in chain order and remembers the first inconsistency."""

    def __init__(self, *, chain: int, start_hash: str | None, checkpoint: ChainHead | None) -> None:
        self.chain = chain
        self.expected_prev = start_hash
        self.checkpoint = checkpoint
        self.checked = 0
        self.previous_id: int | None = None
        self.verdict: ChainVerdict | None = None

    def check(self, entry: Mapping[str, Any]) -> None:
        """Take the chain's next entry, unless the chain is already broken."""
        if self.verdict is not None:
            return
        self.checked += 1
        ident = entry["id"]
        if self.expected_prev is not None and entry["prev_hash"] != self.expected_prev:
            if self.previous_id is None:
                reason = (
                    "its prev_hash is not the genesis hash of its chain: entries before it "
                    "are missing, or it was moved from another chain"
                )
            else:
                reason = (
                    f"its prev_hash does not match the hash of entry {self.previous_id}: "
                    "an entry between them was removed, inserted or moved, or that entry's "
                    "hash was rewritten"
                )
            self._broken(ident, reason)
            return
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            self._broken(ident, "its content does not match its hash: it was changed")
            return
        self.expected_prev = entry["hash"]
        self.previous_id = ident
        if (
            self.checkpoint is not None
            and self.checked == self.checkpoint.count
            and entry["hash"] != self.checkpoint.head_hash
        ):
            self.verdict = ChainVerdict(
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
                chain=self.chain,
            )

    def _broken(self, ident: int, reason: str) -> None:
        self.verdict = ChainVerdict(
            ok=False,
            entries_checked=self.checked,
            first_broken_id=ident,
            reason=reason,
            head_hash=self.expected_prev or GENESIS_HASH,
            chain=self.chain,
        )

    def finish(self) -> ChainVerdict:
        if self.verdict is not None:
            return self.verdict
        head = self.expected_prev or chain_genesis(self.chain)
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
                chain=self.chain,
            )
        return ChainVerdict(
            ok=True,
            entries_checked=self.checked,
            first_broken_id=None,
            reason=None,
            head_hash=head,
            chain=self.chain,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LogVerdict:
    """What checking every chain of the log found.

    ``first_broken_id``, ``reason`` and ``finding`` are those of the first broken chain
    (by chain number), so that a caller reporting one problem reports a real one; the
    full picture is ``chains``.
    """

    chains: tuple[ChainVerdict, ...]
    """One verdict per chain that has entries or a checkpointed position, by chain."""
    head_hash: str
    """The hash of the newest entry (highest id) that fitted its chain, ``GENESIS_HASH``
    for an empty log: note it to pass as ``anchor`` to a later check."""
    anchor_problem: str | None = None
    """Why the anchor given could not be found, if it could not."""
    broken: tuple[ChainVerdict, ...] = field(init=False)
    """The chains that do not verify, by chain."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "broken", tuple(v for v in self.chains if not v.ok))

    @property
    def ok(self) -> bool:
        """Every chain verifies (against the checkpoint, if given) and the anchor is there."""
        return not self.broken and self.anchor_problem is None

    @property
    def entries_checked(self) -> int:
        """Entries read, over every chain (each up to and including its first broken one)."""
        return sum(verdict.entries_checked for verdict in self.chains)

    @property
    def first_broken_id(self) -> int | None:
        """The first entry that does not fit in the first broken chain, if any."""
        return self.broken[0].first_broken_id if self.broken else None

    @property
    def reason(self) -> str | None:
        """The first broken chain's reason, naming the chain; or why the anchor is missing."""
        if self.broken:
            first = self.broken[0]
            return f"chain {first.chain}: {first.reason}"
        return self.anchor_problem

    @property
    def finding(self) -> CheckpointFinding | None:
        """How the first chain that departs from the checkpoint does so."""
        return next((v.finding for v in self.broken if v.finding is not None), None)


def check_entries(
    entries: Iterable[Mapping[str, Any]],
    *,
    start_hash: str | None = GENESIS_HASH,
    anchor: str | None = None,
    checkpoint: Mapping[int, ChainHead] | ChainHead | None = None,
) -> LogVerdict:
    """Check entries given in ``id`` order, as mappings with every column.

    ``start_hash`` is :data:`GENESIS_HASH` (the default) for a whole log, whose every chain
    must start from its genesis hash (:func:`docex.audit.shards.chain_genesis`), or
    ``None`` to accept whatever each chain's first entry says (a partial export). An entry
    without a ``chain`` member (an export made before the log had several) is chain 0.
    ``anchor``, if given, is a hash that must occur in the log; ``checkpoint``, if given,
    each chain's position in a checkpoint (a bare :class:`ChainHead` is chain 0's):
    the count of entries that chain must reach and the hash its entry at that count
    carries.
    """
    if start_hash not in (None, GENESIS_HASH):
        raise ValueError("start_hash is GENESIS_HASH (from each chain's genesis) or None")
    heads: Mapping[int, ChainHead] = (
        {0: checkpoint} if isinstance(checkpoint, ChainHead) else dict(checkpoint or {})
    )
    checkers: dict[int, _Checker] = {}

    def checker(chain: int) -> _Checker:
        if chain not in checkers:
            start = None if start_hash is None else chain_genesis(chain)
            checkers[chain] = _Checker(chain=chain, start_hash=start, checkpoint=heads.get(chain))
        return checkers[chain]

    anchor_seen = anchor is None
    newest = GENESIS_HASH
    for entry in entries:
        chain = entry.get("chain", 0)
        if not isinstance(chain, int) or isinstance(chain, bool) or chain < 0:
            raise ValueError(f"entry {entry['id']} has no usable chain number: {chain!r}")
        walker = checker(chain)
        walker.check(entry)
        if walker.expected_prev == entry["hash"]:  # the entry fitted its chain
            newest = entry["hash"]
        if entry["hash"] == anchor:
            anchor_seen = True
    for chain, head in heads.items():
        if head.count > 0:
            checker(chain)
    problem = None
    if not anchor_seen:
        problem = (
            f"the anchor {anchor} is not in the log: entries were removed from the end of "
            "its chain, or the anchor is from another log"
        )
    return LogVerdict(
        chains=tuple(checkers[chain].finish() for chain in sorted(checkers)),
        head_hash=newest,
        anchor_problem=problem,
    )


def verify_chain(
    session: Session,
    *,
    batch: int = 1000,
    anchor: str | None = None,
    checkpoint: Mapping[int, ChainHead] | ChainHead | None = None,
) -> LogVerdict:
    """Check every chain of the audit log in ``session``'s database, streaming in id order.

    Entries appended while the check runs are checked too; nothing is held in memory
    beyond one batch and each chain's last hash.
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
