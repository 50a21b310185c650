"""Work the API does on a timer, in a background thread: expiring referrals.

Every worker runs it; the expiry takes row locks with SKIP LOCKED (on PostgreSQL), so
several workers never recall the same referral twice.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from docex.errors import DocexError
from docex.services.events import Events
from docex.services.referrals import expire_referrals

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
