"""Soak: the production shape under a steady load, for minutes, and what it leaves behind.

Starts a throwaway PostgreSQL and SeaweedFS (``tests/servers.py``), migrates and seeds the
database through the CLI (``docex db upgrade``, ``facility add``, ``employee add``,
``token issue``), then runs

* the API as ``uvicorn --workers N`` (``bench/app_factory.py``, configured from
  ``DOCEX_*`` as a deployment is) with ``DOCEX_WEBHOOKS_ENABLED=false``, so that the API
  workers only write the outbox;
* the webhook dispatcher alone, as ``docex webhooks dispatch`` in its own process;
* one webhook receiver per facility on 127.0.0.1 (allowed by
  ``DOCEX_OUTBOUND_ALLOWED_HOSTS``), each registered through ``PUT /api/v1/webhook``;

and submits referrals and examination results between the facilities
(``bench/exchange.py``: referrals by one facility's doctor to the other, results back)
at a steady rate, open loop: document ``i`` is sent at ``i / rate`` seconds whatever the
answers before it. Everything is on loopback and bounded by ``--minutes``.

At the end it reports the errors (must be 0), latency percentiles, the resident memory
of every server process after the warm-up and at the end (growth must stay within 10 %;
SeaweedFS, whose resident memory follows Go's collector, is judged on the live heap its
runtime traces after each collection, ``go_heap.py``),
the CPU each component used per document, the webhook deliveries, ``docex audit verify``
and ``docex storage reconcile --dry-run --grace-minutes 0`` (no orphan, no missing
object). It reports; it asserts nothing but exits 1 when a criterion is missed.

    PYTHONPATH=src:. python bench/soak.py [--minutes 10] [--rate 6] [--workers 3]

This module starts and stops; the parts are beside it: ``soak_deployment`` (settings,
seeding through the CLI, the API server, the dispatcher), ``soak_webhooks`` (the
receivers and the outbox drain), ``soak_load`` (the steady load and the run around it),
``soak_processes`` (process trees and memory from ``/proc``) and ``soak_report``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests.servers, when not run with PYTHONPATH=src:.
    sys.path.insert(0, str(ROOT))

from tests.servers import start_servers  # noqa: E402

import go_heap  # noqa: E402
from docex.devpki.pki import DevPki  # noqa: E402
from exchange import PERFORMER, REFERRER, Exchanged  # noqa: E402
from resign import make_many  # noqa: E402
from soak_deployment import api_server, cli, dispatcher_process, seed, settings_for  # noqa: E402
from soak_load import run  # noqa: E402
from soak_processes import weed_pid  # noqa: E402
from soak_report import print_report  # noqa: E402
from soak_webhooks import drain, receiving  # noqa: E402
from submit import encode, postmaster_pid, server_environment  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="load duration (default 10)")
    parser.add_argument("--rate", type=float, default=6.0, help="documents per second (default 6)")
    parser.add_argument("--workers", type=int, default=3, help="API worker processes (default 3)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="signing processes")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.rate <= 0 or args.workers < 1:
        parser.error("--minutes and --rate must be positive, --workers at least 1")
    console = Console() if sys.stdout.isatty() else Console(width=132)
    seconds = 60 * args.minutes
    count = int(seconds * args.rate) + 1

    documents: list[Exchanged] = make_many(count, jobs=args.jobs, console=console)
    pki = DevPki.load()
    console.print(f"{len(documents)} distinct documents signed; starting PostgreSQL and SeaweedFS")
    # The Go runtime traces each collection into SeaweedFS's log: its live heap (go_heap).
    postgres, s3 = start_servers(weed_environment={"GODEBUG": "gctrace=1"})
    workdir = Path(tempfile.mkdtemp(prefix="docex-soak-"))
    try:
        settings = settings_for(postgres, s3)
        with receiving() as to_referrer, receiving() as to_performer:
            env = server_environment(
                settings,
                DOCEX_WEBHOOKS_ENABLED="false",
                DOCEX_OUTBOUND_ALLOWED_HOSTS="127.0.0.1",
                DOCEX_WEBHOOK_POLL_INTERVAL_SECONDS="0.5",
            )
            tokens = seed(env, pki)
            with api_server(
                settings,
                workers=args.workers,
                log=workdir / "api.log",
                DOCEX_WEBHOOKS_ENABLED="false",
                DOCEX_OUTBOUND_ALLOWED_HOSTS="127.0.0.1",
            ) as api:
                for edrpou, receiver in ((REFERRER[1], to_referrer), (PERFORMER[1], to_performer)):
                    answer = httpx.put(
                        f"{api.url}/api/v1/webhook",
                        json={"url": receiver.url},
                        headers={"Authorization": f"Bearer {tokens[edrpou]}"},
                        timeout=30,
                    )
                    answer.raise_for_status()
                requests = [encode(d, tokens) for d in documents]
                with dispatcher_process(env, workdir / "dispatcher.log") as dispatcher:
                    roots = {
                        "api": api.process.pid,
                        "dispatcher": dispatcher.pid,
                        "postgres": postmaster_pid(postgres),
                        "weed": weed_pid(s3),
                    }
                    report = run(console, api.url, requests, roots, args, seconds)
                    weed_heap = go_heap.trend(
                        s3.log, since_seconds=report.weed_ages[0], until_seconds=report.weed_ages[1]
                    )
                    delivered = drain(settings, (to_referrer, to_performer))
                audit = cli(env, "audit", "verify")
                reconcile = cli(env, "storage", "reconcile", "--dry-run", "--grace-minutes", "0")
        return print_report(console, report, weed_heap, delivered, audit, reconcile, args)
    finally:
        postgres.destroy()
        s3.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
