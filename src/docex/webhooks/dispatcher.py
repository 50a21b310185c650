"""The dispatcher: sends what the outbox holds, until acknowledged or out of time.

One pass (:meth:`Dispatcher.dispatch_due`) claims due events, commits the claim, POSTs
each one outside any transaction, and records the outcome. A claim is a lease
(``locked_until``): while it runs no other dispatcher takes the event, so any number of
API workers may dispatch from one database without sending an event twice. PostgreSQL
claims with ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent dispatchers pass each
other by instead of queueing; SQLite, which has one writer anyway, claims with an UPDATE
guarded by the lease it read (compare-and-set).

Delivery is at least once, not exactly once: a dispatcher that crashes after the
receiver accepted a POST and before recording it leaves a lease that expires, and the
event is sent again with the same ``Docex-Event-Id``. Receivers de-duplicate on it, which
makes the effect exactly once.

Receivers are served concurrently and independently. The events of one receiver (one
URL origin: scheme, host and port) are sent by at most ``per_receiver`` workers at a
time, out of ``concurrency`` in all, and each POST has a total deadline
(``request_timeout``, enforced by :mod:`docex.outbound.client`), so a receiver that
trickles its answer holds at most its own workers for at most that long. The background
loop (:meth:`Dispatcher.run_forever`) does not wait for a pass to finish before claiming
more: it claims whenever a worker is free, at most ``per_receiver`` events of a facility at
a time, and never for a facility whose events it still holds, so a slow receiver's backlog
stays in the database rather than in the workers' queue.

A failed attempt (anything but 2xx, including refused connections, timeouts and
redirects) is retried after ``base * 2**(failures - 1)``, capped, times a random factor in
[0.5, 1.5) so that a receiver coming back up is not hit by every dispatcher at once. An
event still failing ``retry_window`` after its creation (or replay) is marked dead.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from docex.clock import utcnow
from docex.db.engine import autocommit_sessions, unit_of_work
from docex.db.webhooks import OutboxEvent, WebhookSubscription
from docex.domain import OutboxStatus
from docex.errors import DocexError
from docex.settings import Settings
from docex.webhooks.signing import delivery_headers, event_body
from docex.webhooks.transport import DeliveryOutcome, WebhookTransport

log = logging.getLogger("docex.webhooks")

JITTER = (0.5, 1.5)
"""The random factor every retry delay is multiplied by: [low, high)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """When to try again, for how long, and how a dispatcher paces itself."""

    base_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(hours=1)
    retry_window: timedelta = timedelta(hours=24)
    request_timeout: float = 10.0
    """Seconds one POST may take."""
    poll_interval: float = 1.0
    """Seconds an idle dispatcher waits before looking again."""
    batch_size: int = 10
    """Events claimed at once by one pass."""
    concurrency: int = 8
    """POSTs in flight at once, over all receivers."""
    per_receiver: int = 1
    """POSTs in flight at once to one receiver (URL origin). With 1, a receiver gets its
    events' first attempts in the order they were recorded."""
    lease_margin: timedelta = timedelta(seconds=60)
    """Added to the worst-case time of a batch to make its lease."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy the deployment configured (``webhook_*`` settings)."""
        return cls(
            base_delay=timedelta(seconds=settings.webhook_base_delay_seconds),
            max_delay=timedelta(seconds=settings.webhook_max_delay_seconds),
            retry_window=timedelta(seconds=settings.webhook_retry_window_seconds),
            request_timeout=settings.webhook_timeout_seconds,
            poll_interval=settings.webhook_poll_interval_seconds,
            concurrency=settings.webhook_concurrency,
            per_receiver=settings.webhook_concurrency_per_receiver,
        )

    def lease(self, events: int) -> timedelta:
        """How long a claim of ``events`` events is held: long enough to send them all,
        even should they all go to one receiver, one after the other."""
        return self.lease_margin + timedelta(seconds=self.request_timeout * events)


def retry_delay(failures: int, *, policy: RetryPolicy, rng: random.Random) -> timedelta:
    """The wait after the ``failures``-th failed attempt (1 for the first), with jitter."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    # In float seconds: timedelta overflows long before an event stops failing, and
    # capping the exponent keeps the float finite.
    doublings = min(failures - 1, 64)
    ideal = min(
        policy.max_delay.total_seconds(), policy.base_delay.total_seconds() * 2.0**doublings
    )
    return timedelta(seconds=ideal * rng.uniform(*JITTER))


@dataclass(frozen=True, slots=True)
class DispatchStats:
    """What one pass did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    """Attempts that failed and will be retried."""
    dead: int = 0
    """Events given up on in this pass."""


@dataclass(frozen=True, slots=True)
class _Claim:
    id: int
    event_id: str
    event_type: str
    created_at: datetime
    payload: dict[str, Any]
    url: str
    secret: str
    lease: datetime
    facility_id: int

    @property
    def receiver(self) -> str:
        """The URL's origin: what "one receiver" means for the concurrency bound."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"


class Dispatcher:
    """Sends due outbox events through ``transport``; safe to run in many processes.

    ``clock`` is where "now" comes from when a pass is not given one; tests pass a clock
    they move forward instead of waiting a day.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        transport: WebhookTransport,
        policy: RetryPolicy,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self._transport = transport
        self._policy = policy
        self._clock = clock
        # Jitter needs no cryptographic quality, only independence between processes.
        self._rng = rng or random.Random()  # noqa: S311
        self._rng_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        # What the background loop holds: events waiting per receiver, workers per
        # receiver, and the facilities with events held (not claimed again meanwhile).
        self._held_lock = threading.Lock()
        self._queued: dict[str, deque[_Claim]] = {}
        self._lanes: Counter[str] = Counter()
        self._held: Counter[int] = Counter()
        self._freed = threading.Event()

    @property
    def policy(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._policy

    def dispatch_due(
        self, *, now: datetime | None = None, limit: int | None = None
    ) -> DispatchStats:
        """Claim up to ``limit`` due events, send them, and record the outcomes.

        Receivers are served concurrently (``per_receiver`` at a time each); the pass
        returns when every claimed event has an outcome.
        """
        moment = now or self._clock()
        size = limit if limit is not None else self._policy.batch_size
        claims, unsendable = self._claim(moment, size)
        by_receiver: dict[str, deque[_Claim]] = {}
        for claim in claims:
            by_receiver.setdefault(claim.receiver, deque()).append(claim)
        results: list[OutboxStatus | None] = []
        results_lock = threading.Lock()

        def lane(queue: deque[_Claim]) -> None:
            while True:
                try:
                    claim = queue.popleft()
                except IndexError:
                    return
                result = self._deliver(claim, now)
                with results_lock:
                    results.append(result)

        executor = self._pool()
        futures = [
            executor.submit(lane, queue)
            for queue in by_receiver.values()
            for _ in range(min(self._policy.per_receiver, len(queue)))
        ]
        for future in futures:
            future.result()
        return DispatchStats(
            claimed=len(claims) + unsendable,
            delivered=results.count(OutboxStatus.DELIVERED),
            failed=results.count(OutboxStatus.PENDING),
            dead=unsendable + results.count(OutboxStatus.DEAD),
        )

    def _deliver(self, claim: _Claim, now: datetime | None) -> OutboxStatus | None:
        try:
            outcome = self._send(claim)
        except Exception:
            # A bug in sending must not lose the event: it is retried when the lease ends.
            log.exception("unexpected error sending webhook event %s", claim.event_id)
            return None
        return self._record(claim, outcome, now or self._clock())

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._policy.concurrency, thread_name_prefix="docex-webhook"
            )
        return self._executor

    def close(self) -> None:
        """Wait for the POSTs in flight (each at most ``request_timeout``) and stop the workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def drain(self, *, now: datetime | None = None) -> DispatchStats:
        """Pass after pass until nothing is due; the totals."""
        total = DispatchStats()
        while True:
            stats = self.dispatch_due(now=now)
            total = DispatchStats(
                claimed=total.claimed + stats.claimed,
                delivered=total.delivered + stats.delivered,
                failed=total.failed + stats.failed,
                dead=total.dead + stats.dead,
            )
            if stats.claimed == 0:
                return total

    def run_forever(self, stop: threading.Event) -> None:
        """Dispatch until ``stop`` is set: claim whenever a worker is free, send without
        waiting for other receivers, pause ``poll_interval`` whenever nothing is due."""
        log.info("webhook dispatcher started")
        try:
            while not stop.is_set():
                claimed = 0
                try:
                    claimed = self._pump()
                except DocexError as exc:
                    log.warning("webhook dispatch failed, will retry: %s", exc)
                except Exception:
                    # A dispatcher thread that dies stops every webhook without a sound;
                    # log the bug and keep going.
                    log.exception("unexpected error in the webhook dispatcher")
                if claimed == 0:
                    # Woken early when a worker finishes: its slot can take the next event.
                    self._freed.wait(self._policy.poll_interval)
                    self._freed.clear()
        finally:
            self.close()
            log.info("webhook dispatcher stopped")

    def _pump(self) -> int:
        """Claim as many due events as there are free slots and start sending them."""
        with self._held_lock:
            free = self._policy.concurrency - sum(self._held.values())
            busy = set(self._held)
        if free <= 0:
            return 0
        claims, unsendable = self._claim(
            self._clock(), free, per_facility=self._policy.per_receiver, exclude=busy
        )
        executor = self._pool()
        with self._held_lock:
            for claim in claims:
                self._held[claim.facility_id] += 1
                self._queued.setdefault(claim.receiver, deque()).append(claim)
            for receiver, queue in self._queued.items():
                # Held events never outnumber the workers, so a lane never waits for one.
                for _ in range(min(self._policy.per_receiver - self._lanes[receiver], len(queue))):
                    self._lanes[receiver] += 1
                    executor.submit(self._background_lane, receiver)
        return len(claims) + unsendable

    def _background_lane(self, receiver: str) -> None:
        while True:
            with self._held_lock:
                queue = self._queued.get(receiver)
                if not queue:
                    self._lanes[receiver] -= 1
                    if self._lanes[receiver] <= 0:
                        del self._lanes[receiver]
                        self._queued.pop(receiver, None)
                    return
                claim = queue.popleft()
            try:
                self._deliver(claim, None)
            finally:
                with self._held_lock:
                    self._held[claim.facility_id] -= 1
                    if self._held[claim.facility_id] <= 0:
                        del self._held[claim.facility_id]
                self._freed.set()

    def _due(self, moment: datetime) -> Any:
        return (
            (OutboxEvent.status == OutboxStatus.PENDING)
            & (OutboxEvent.next_attempt_at <= moment)
            & or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until <= moment)
        )

    def _candidates(
        self, moment: datetime, size: int, per_facility: int | None, exclude: set[int]
    ) -> Any:
        """The ids of the due events to claim, oldest first, at most ``per_facility`` each."""
        due = self._due(moment)
        if exclude:
            due = due & OutboxEvent.facility_id.not_in(exclude)
        if per_facility is None:
            return (
                select(OutboxEvent.id)
                .where(due)
                .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
                .limit(size)
            )
        rank = (
            func.row_number()
            .over(
                partition_by=OutboxEvent.facility_id,
                order_by=(OutboxEvent.next_attempt_at, OutboxEvent.id),
            )
            .label("rank")
        )
        ranked = select(OutboxEvent.id, rank).where(due).subquery()
        return select(ranked.c.id).where(ranked.c.rank <= per_facility)

    def _claim(
        self,
        moment: datetime,
        size: int,
        *,
        per_facility: int | None = None,
        exclude: set[int] | None = None,
    ) -> tuple[list[_Claim], int]:
        """Lease due events and commit the lease; events with no webhook die here."""
        if not self._anything_due(moment):
            return [], 0
        candidates = self._candidates(moment, size, per_facility, exclude or set())
        with unit_of_work(self._sessions) as session:
            if session.get_bind().dialect.name == "postgresql":
                ids = self._lock_postgres(session, moment, size, candidates)
            else:
                ids = self._lock_sqlite(session, moment, size, candidates)
            if not ids:
                return [], 0
            lease = moment + self._policy.lease(len(ids))
            session.execute(
                update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(locked_until=lease)
            )
            rows = session.execute(
                select(OutboxEvent, WebhookSubscription)
                .outerjoin(
                    WebhookSubscription,
                    (WebhookSubscription.facility_id == OutboxEvent.facility_id)
                    & WebhookSubscription.active,
                )
                .where(OutboxEvent.id.in_(ids))
                .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
            ).all()
            claims: list[_Claim] = []
            dead = 0
            for event, joined in rows:
                # An outer join: None when the facility has no active webhook.
                subscription: WebhookSubscription | None = joined
                if subscription is None:
                    event.status = OutboxStatus.DEAD
                    event.locked_until = None
                    event.last_error = "no active webhook for the facility"
                    dead += 1
                    continue
                claims.append(
                    _Claim(
                        id=event.id,
                        event_id=str(event.event_id),
                        event_type=event.event_type,
                        created_at=event.created_at,
                        payload=event.payload,
                        url=subscription.url,
                        secret=subscription.secret,
                        lease=lease,
                        facility_id=event.facility_id,
                    )
                )
        return claims, dead

    def _anything_due(self, moment: datetime) -> bool:
        """Whether any event is due at ``moment``: one indexed statement, no transaction.

        What an idle dispatcher asks every ``poll_interval``, in every API worker. The
        claim that follows a yes asks again under its locks, so an event claimed by
        another dispatcher in between is not taken twice; one due right after a no is
        claimed by the next poll, as it would have been after an empty claim.
        """
        with unit_of_work(autocommit_sessions(self._sessions)) as session:
            return session.scalar(_due_check(), {"now": moment}) is not None

    def _lock_postgres(
        self, session: Session, moment: datetime, size: int, candidates: Any
    ) -> list[int]:
        # Rows another dispatcher is claiming right now are skipped, not waited for. The
        # candidates are a subquery: FOR UPDATE cannot apply to a window function's rows.
        query = (
            select(OutboxEvent.id)
            .where(OutboxEvent.id.in_(candidates), self._due(moment))
            .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        return list(session.scalars(query))

    def _lock_sqlite(
        self, session: Session, moment: datetime, size: int, candidates: Any
    ) -> list[int]:
        rows = session.execute(
            select(OutboxEvent.id, OutboxEvent.locked_until)
            .where(OutboxEvent.id.in_(candidates))
            .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
            .limit(size)
        ).all()
        claimed: list[int] = []
        for event_id, old_lease in rows:
            # Compare-and-set: if another dispatcher leased the row since we read it, its
            # lease differs from the one we saw and nothing is updated.
            unchanged = (
                OutboxEvent.locked_until.is_(None)
                if old_lease is None
                else OutboxEvent.locked_until == old_lease
            )
            result = session.execute(
                update(OutboxEvent)
                .where(
                    OutboxEvent.id == event_id,
                    OutboxEvent.status == OutboxStatus.PENDING,
                    unchanged,
                )
                .values(locked_until=moment + self._policy.lease(size))
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(event_id)
        return claimed

    def _send(self, claim: _Claim) -> DeliveryOutcome:
        body = event_body(
            event_id=claim.event_id,
            event_type=claim.event_type,
            created_at=claim.created_at,
            data=claim.payload,
        )
        # Signed with the wall clock, whatever clock schedules: receivers compare the
        # signing time with their own clock.
        headers = delivery_headers(
            secret=claim.secret, event_id=claim.event_id, event_type=claim.event_type, body=body
        )
        return self._transport.post(
            claim.url, body=body, headers=headers, timeout=self._policy.request_timeout
        )

    def _record(self, claim: _Claim, outcome: DeliveryOutcome, at: datetime) -> OutboxStatus | None:
        """Store the outcome; ``None`` if the lease was lost meanwhile (nothing stored)."""
        with unit_of_work(self._sessions) as session:
            event = session.get(OutboxEvent, claim.id, with_for_update=True)
            if event is None or event.status is not OutboxStatus.PENDING:
                return None
            if not outcome.delivered and event.locked_until != claim.lease:
                # Our lease ran out and another dispatcher holds the event now; its
                # outcome is the one to keep. (A success is kept whoever holds it.)
                return None
            event.attempts += 1
            event.last_attempt_at = at
            event.locked_until = None
            if outcome.delivered:
                event.status = OutboxStatus.DELIVERED
                event.delivered_at = at
                event.last_error = None
                # Not the URL: its query string may hold the receiver's own access key.
                log.info("webhook event %s delivered", claim.event_id)
                return OutboxStatus.DELIVERED
            event.last_error = outcome.describe()
            if at - event.retry_window_start >= self._policy.retry_window:
                event.status = OutboxStatus.DEAD
                log.warning(
                    "webhook event %s is dead after %d attempts: %s",
                    claim.event_id,
                    event.attempts,
                    event.last_error,
                )
                return OutboxStatus.DEAD
            with self._rng_lock:
                delay = retry_delay(event.attempts, policy=self._policy, rng=self._rng)
            event.next_attempt_at = at + delay
            log.info(
                "webhook event %s failed (%s); attempt %d in %s",
                claim.event_id,
                event.last_error,
                event.attempts + 1,
                delay,
            )
            return OutboxStatus.PENDING


@cache
def _due_check() -> Select[int]:
    # Built once: the idle poll runs it every second in every worker. The
    # (status, next_attempt_at) index finds the first due event, if any.
    now = bindparam("now", type_=OutboxEvent.__table__.c.next_attempt_at.type)
    return (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.status == OutboxStatus.PENDING,
            OutboxEvent.next_attempt_at <= now,
            or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until <= now),
        )
        .limit(1)
    )


@contextmanager
def dispatching_in_background(dispatcher: Dispatcher) -> Iterator[threading.Thread]:
    """Run ``dispatcher`` in a daemon thread for the duration of the block."""
    stop = threading.Event()
    thread = threading.Thread(
        target=dispatcher.run_forever, args=(stop,), name="docex-webhooks", daemon=True
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        # Wake the loop if it is idle: otherwise stopping waits out the poll interval,
        # which every API worker's shutdown (and every test's server) would pay.
        dispatcher._freed.set()
        # The POSTs in flight finish (at most request_timeout each) or their leases expire.
        thread.join(timeout=dispatcher.policy.request_timeout + 5)
