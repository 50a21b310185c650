"""Work the API does on a timer, in background threads: expiring referrals and
checkpointing the audit chain.

Every worker runs them; the expiry takes row locks with SKIP LOCKED (on PostgreSQL), so
several workers never recall the same referral twice. Checkpoints from several workers
are harmless: each is its own object, and the latest is what verification reads.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from docex.audit.checkpoints import PrivateKey
from docex.errors import DocexError
from docex.services.audit_checkpoint import take_checkpoint
from docex.services.events import Events
from docex.services.referrals import expire_referrals
from docex.storage.base import ObjectStore

log = logging.getLogger("docex.periodic")


class ReferralExpiry:
    """Calls :func:`expire_referrals` every ``interval`` seconds until stopped."""

    def __init__(self, *, sessions: sessionmaker[Session], events: Events, interval: float) -> None:
        self._sessions = sessions
        self._events = events
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="referral-expiry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                count = len(expire_referrals(sessions=self._sessions, events=self._events))
            except DocexError as exc:  # the database may be down; try again next time
                log.warning("referral expiry failed: %s", exc)
                continue
            if count:
                log.info("recalled %d expired referral(s)", count)


class AuditCheckpointing:
    """Calls :func:`take_checkpoint` every ``interval`` seconds until stopped.

    A failed run (TSA, database or store down) is logged and retried at the next tick:
    a missed checkpoint widens the window an intruder could shorten, it breaks nothing.
    """

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        store: ObjectStore,
        key: PrivateKey,
        tsa_url: str,
        tsa_timeout: float,
        interval: float,
        retention_days: int = 0,
    ) -> None:
        self._sessions = sessions
        self._retention_days = retention_days
        self._store = store
        self._key = key
        self._tsa_url = tsa_url
        self._tsa_timeout = tsa_timeout
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                key, signed = take_checkpoint(
                    sessions=self._sessions,
                    store=self._store,
                    key=self._key,
                    tsa_url=self._tsa_url,
                    tsa_timeout=self._tsa_timeout,
                    retention_days=self._retention_days,
                )
            except DocexError as exc:
                log.warning("audit checkpoint failed: %s", exc)
                continue
            log.info("audit checkpoint %s: %d entries", key, signed.checkpoint.count)
