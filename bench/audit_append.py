"""Audit append throughput on PostgreSQL: 1 writer against 32 concurrent writers.

Every audited request appends to the one hash chain, under one lock for the whole
deployment (``pg_advisory_xact_lock`` in the append function, migration 0005). This
measures what that costs: appends per second with one writer, and with ``--writers``
threads each on its own connection (as API workers are), every append its own
transaction. The ratio is what to read; absolute rates depend on the machine, and the
writers share its cores with the server. It is the baseline for sharded chains.

    PYTHONPATH=src .venv/bin/python bench/audit_append.py --writers 32 --appends 2000
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests.servers, when not run with PYTHONPATH=src:.
    sys.path.insert(0, str(ROOT))

from tests.servers import PostgresServer  # noqa: E402

from docex.audit.log import SYSTEM, record  # noqa: E402
from docex.audit.verify import verify_chain  # noqa: E402
from docex.db import create_engine_from_url, session_factory, unit_of_work, upgrade  # noqa: E402
from docex.domain import Outcome  # noqa: E402


def run(url: str, *, writers: int, appends: int) -> float:
    """Appends per second with ``writers`` threads sharing ``appends`` appends."""
    engine = create_engine_from_url(url, pool_size=writers, max_overflow=0)
    sessions = session_factory(engine)
    start = threading.Barrier(writers + 1)
    share = appends // writers

    def writer(number: int) -> None:
        start.wait()
        for index in range(share):
            with unit_of_work(sessions) as session:
                record(
                    session,
                    actor=SYSTEM,
                    action="bench.append",
                    outcome=Outcome.OK,
                    details={"writer": number, "index": index},
                )

    try:
        with ThreadPoolExecutor(writers) as pool:
            futures = [pool.submit(writer, n) for n in range(writers)]
            start.wait()
            began = time.perf_counter()
            for future in futures:
                future.result()
            elapsed = time.perf_counter() - began
        with unit_of_work(sessions) as session:
            verdict = verify_chain(session)
        if not verdict.ok:  # a throughput bought with a forked chain would be no result
            raise SystemExit(f"chain broken after the run: {verdict.reason}")
        return share * writers / elapsed
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=32, help="concurrent writers")
    parser.add_argument("--appends", type=int, default=2000, help="appends per measurement")
    args = parser.parse_args(argv)
    postgres = PostgresServer.create()
    try:
        single_url = postgres.create_schema()
        upgrade(single_url)
        many_url = postgres.create_schema()
        upgrade(many_url)
        one = run(single_url, writers=1, appends=args.appends)
        many = run(many_url, writers=args.writers, appends=args.appends)
    finally:
        postgres.destroy()
    print(f"audit appends/s, 1 writer:       {one:9.1f}")
    print(f"audit appends/s, {args.writers} writers:     {many:9.1f}")
    print(f"ratio {args.writers} writers / 1 writer: {many / one:9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
