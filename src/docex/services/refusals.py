"""Refused API tokens, counted in memory and audited as one entry per window.

A refusal of a token docex has never issued (malformed, unknown lookup id) says nothing
about any token; one audit entry each would let anyone grow the permanent, hash-chained
audit log at the rate they can send requests, each append under the chain's lock. So
these refusals are counted per (window, client address, reason) and written as one
``token.refused.aggregate`` entry per key when the window is over: how many, when, from
where, and a bounded sample of the lookup ids presented. Refusals of a token that exists
(revoked, wrong secret, inactive facility) stay individual ``token.refused`` entries;
the rate limits bound them.

:class:`RefusalCounter` holds the counts; :class:`RefusalFlushing` writes them on a timer
and :meth:`RefusalCounter.flush` at shutdown. Counts still in memory when a worker is
killed are lost; that is the price of not writing each one, and the rate limits still
applied.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import ANONYMOUS, record
from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from docex.errors import DocexError

log = logging.getLogger("docex.refusals")

TOKEN_REFUSED_AGGREGATE = "token.refused.aggregate"  # noqa: S105  # an action name
"""Refusals of tokens docex never issued, from one client address in one window."""

RATE_LIMITED = "rate-limited"
"""The reason counted for requests refused by a rate limit before any token lookup."""

MAX_LOOKUP_IDS = 20
"""Lookup ids kept per entry: enough to see what a client tried, bounded whatever it sends."""

MAX_KEYS = 1000
"""Distinct (client, reason) keys counted per window. Past it, further clients are counted
together under :data:`OTHER_CLIENTS`, so that a flood from many addresses (IPv6 gives an
attacker plenty) cannot grow memory or the audit log without bound either."""

OTHER_CLIENTS = "*"


@dataclass
class _Tally:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    lookup_ids: list[str] = field(default_factory=list)
    lookup_ids_dropped: int = 0
    paths: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class RefusalWindow:
    """One written aggregate: the key it counted and how many."""

    window_start: datetime
    client: str
    reason: str
    count: int


class RefusalCounter:
    """Counts of refused tokens per (window, client address, reason); thread-safe.

    ``window`` is the window's length in seconds; windows are aligned to the epoch, so
    every worker's windows start at the same instants and their entries line up.
    """

    def __init__(self, *, window: int) -> None:
        if window < 1:
            raise ValueError("window must be at least one second")
        self._window = window
        self._lock = threading.Lock()
        self._tallies: dict[tuple[datetime, str, str], _Tally] = {}

    @property
    def window(self) -> int:
        """The window's length in seconds."""
        return self._window

    def count(
        self,
        *,
        client: str,
        reason: str,
        lookup_id: str | None,
        path: str,
        at: datetime | None = None,
    ) -> None:
        """Count one refusal from ``client`` for ``reason`` (``at``: default now)."""
        when = at or utcnow()
        start = self._window_start(when)
        with self._lock:
            key = (start, client, reason)
            tally = self._tallies.get(key)
            if tally is None:
                keys_in_window = sum(1 for k in self._tallies if k[0] == start)
                if keys_in_window >= MAX_KEYS:
                    key = (start, OTHER_CLIENTS, reason)
                    tally = self._tallies.get(key)
                if tally is None:
                    tally = self._tallies[key] = _Tally()
            tally.count += 1
            tally.first = tally.first or when
            tally.last = when
            if lookup_id is not None and lookup_id not in tally.lookup_ids:
                if len(tally.lookup_ids) < MAX_LOOKUP_IDS:
                    tally.lookup_ids.append(lookup_id[:64])
                else:
                    tally.lookup_ids_dropped += 1
            # Paths are few (the API's routes), but a prober can invent them: bounded too.
            if len(tally.paths) < MAX_LOOKUP_IDS:
                tally.paths.add(path[:200])

    def pending(self) -> int:
        """How many refusals are counted and not yet written."""
        with self._lock:
            return sum(t.count for t in self._tallies.values())

    def flush(
        self, *, sessions: sessionmaker[Session], now: datetime | None = None, final: bool = False
    ) -> list[RefusalWindow]:
        """Write one audit entry per key whose window is over at ``now`` (every key if
        ``final``, at shutdown), and forget those counts.

        If the database refuses, the counts are put back, to be written next time.
        """
        cutoff = now or utcnow()
        with self._lock:
            due = {
                key: tally
                for key, tally in self._tallies.items()
                if final or key[0] + timedelta(seconds=self._window) <= cutoff
            }
            for key in due:
                del self._tallies[key]
        if not due:
            return []
        try:
            with unit_of_work(sessions) as session:
                for (start, client, reason), tally in sorted(due.items()):
                    self._record(session, start, client, reason, tally)
        except DocexError:
            with self._lock:
                for key, tally in due.items():
                    self._merge_back(key, tally)
            raise
        written = [
            RefusalWindow(window_start=start, client=client, reason=reason, count=tally.count)
            for (start, client, reason), tally in sorted(due.items())
        ]
        log.info(
            "audited %d refused-token aggregate(s) of %d refusal(s)",
            len(written),
            sum(w.count for w in written),
        )
        return written

    def _record(
        self, session: Session, start: datetime, client: str, reason: str, tally: _Tally
    ) -> None:
        end = start + timedelta(seconds=self._window)
        record(
            session,
            actor=ANONYMOUS,
            action=TOKEN_REFUSED_AGGREGATE,
            outcome=Outcome.REFUSED,
            target_type=actions.API_TOKEN,
            target_id=None,
            details={
                "count": tally.count,
                "reason": reason,
                "client": client,
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "first_at": None if tally.first is None else tally.first.isoformat(),
                "last_at": None if tally.last is None else tally.last.isoformat(),
                "lookup_ids": tally.lookup_ids,
                "lookup_ids_dropped": tally.lookup_ids_dropped,
                "paths": sorted(tally.paths),
            },
        )

    def _merge_back(self, key: tuple[datetime, str, str], tally: _Tally) -> None:
        held = self._tallies.get(key)
        if held is None:
            self._tallies[key] = tally
            return
        held.count += tally.count
        held.first = min(d for d in (held.first, tally.first) if d is not None)
        held.last = max(d for d in (held.last, tally.last) if d is not None)
        for lookup_id in tally.lookup_ids:
            if lookup_id not in held.lookup_ids and len(held.lookup_ids) < MAX_LOOKUP_IDS:
                held.lookup_ids.append(lookup_id)
        held.lookup_ids_dropped += tally.lookup_ids_dropped
        held.paths |= tally.paths

    def _window_start(self, when: datetime) -> datetime:
        seconds = int(when.timestamp()) // self._window * self._window
        return datetime.fromtimestamp(seconds, tz=UTC)


class RefusalFlushing:
    """Calls :meth:`RefusalCounter.flush` every window until stopped, then once more for
    everything still counted."""

    def __init__(self, *, counter: RefusalCounter, sessions: sessionmaker[Session]) -> None:
        self._counter = counter
        self._sessions = sessions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="refusal-flush", daemon=True)

    def start(self) -> None:
        """Start flushing in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is still counted."""
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self._counter.flush(sessions=self._sessions, final=True)
        except DocexError as exc:
            log.warning("refused-token aggregates not written at shutdown: %s", exc)

    def _run(self) -> None:
        while not self._stop.wait(self._counter.window):
            try:
                self._counter.flush(sessions=self._sessions)
            except DocexError as exc:  # the database may be down; the counts wait
                log.warning("refused-token aggregates not written: %s", exc)
