"""Concurrent appends from several connections keep one linear chain.

Without the append lock, two transactions read the same last hash and both append after
it: the chain forks, and ``verify_chain`` reports the second. These threads each use their
own connection, as several API workers would.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from docex.audit.log import SYSTEM, record
from docex.audit.verify import verify_chain
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from tests.audit.conftest import all_entries
from tests.conftest import Backend

THREADS = 6
PER_THREAD = 15


def test_concurrent_appends_stay_linear(backend: Backend) -> None:
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        start.wait()
        for index in range(PER_THREAD):
            with unit_of_work(backend.sessions) as session:
                # A read first, as a request does, so the transaction is already open
                # when the append comes.
                session.connection()
                record(
                    session,
                    actor=SYSTEM,
                    action="test.concurrent",
                    outcome=Outcome.OK,
                    details={"worker": number, "index": index},
                )

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker, n) for n in range(THREADS)]:
            future.result()

    entries = all_entries(backend.sessions)
    assert len(entries) == THREADS * PER_THREAD
    assert len({e.prev_hash for e in entries}) == len(entries)  # no two share a predecessor
    with unit_of_work(backend.sessions) as session:
        verdict = verify_chain(session)
    assert verdict.ok, verdict
    assert verdict.entries_checked == THREADS * PER_THREAD
    by_worker = {
        n: [e.details["index"] for e in entries if e.details["worker"] == n] for n in range(THREADS)
    }
    assert all(indexes == list(range(PER_THREAD)) for indexes in by_worker.values())
