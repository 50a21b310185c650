"""Audit append throughput on PostgreSQL: 1 writer against 32, with 1 chain and with many.

Every audited request appends to a hash chain under that chain's lock
(``pg_advisory_xact_lock`` in the append function, migration 0008). With one chain that is
one lock for the whole deployment; with the default ``DOCEX_AUDIT_CHAINS`` the writers
for different facilities take different locks. This measures appends per second with one
writer and with ``--writers`` threads each on its own connection (as API workers are),
every append its own transaction, each writer acting for its own facility (so the shard
key spreads them as real traffic would; two facilities may share a chain). The ratios are
what to read; absolute rates depend on the machine, and the writers share its cores with
the server.

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

from docex.audit.log import Actor, record  # noqa: E402
from docex.audit.shards import DEFAULT_AUDIT_CHAINS  # noqa: E402
from docex.audit.verify import verify_chain  # noqa: E402
from docex.db import create_engine_from_url, session_factory, unit_of_work, upgrade  # noqa: E402
from docex.domain import ActorKind, Outcome  # noqa: E402


def run(url: str, *, writers: int, appends: int, chains: int) -> float:
    """Appends per second with ``writers`` threads sharing ``appends`` appends."""
    engine = create_engine_from_url(url, pool_size=writers, max_overflow=0)
    sessions = session_factory(engine, audit_chains=chains)
    start = threading.Barrier(writers + 1)
    share = appends // writers

    def writer(number: int) -> None:
        actor = Actor(kind=ActorKind.FACILITY, facility_id=number + 1)
        start.wait()
        for index in range(share):
            with unit_of_work(sessions) as session:
                record(
                    session,
                    actor=actor,
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
    parser.add_argument(
        "--chains", type=int, default=DEFAULT_AUDIT_CHAINS, help="chains of the sharded log"
    )
    args = parser.parse_args(argv)
    rates: dict[tuple[int, int], float] = {}
    postgres = PostgresServer.create()
    try:
        for chains in (1, args.chains):
            for writers in (1, args.writers):
                url = postgres.create_schema()  # a fresh log: the chain count is fixed
                upgrade(url)
                rates[chains, writers] = run(
                    url, writers=writers, appends=args.appends, chains=chains
                )
    finally:
        postgres.destroy()
    w = args.writers
    for chains in (1, args.chains):
        one, many = rates[chains, 1], rates[chains, w]
        print(f"{chains:2d} chain(s): appends/s, 1 writer:   {one:9.1f}")
        print(f"{chains:2d} chain(s): appends/s, {w} writers: {many:9.1f}")
        print(f"{chains:2d} chain(s): ratio {w} writers / 1 writer: {many / one:6.2f}")
    sharded, single = rates[args.chains, w], rates[1, w]
    print(f"{w} writers: {args.chains} chains / 1 chain: {sharded / single:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
