"""docex against its floor: the same requests, the same servers, one after the other.

Starts PostgreSQL and SeaweedFS once, then serves the same multipart submissions at
``--clients`` closed-loop clients (32, the issue's level) first by docex
(``app_factory:make_app``) and then by the floor server (``floor_server:make_app``: parse,
one warm verification, the two conditional PUTs, one INSERT and COMMIT, the JSON answer),
each with ``uvicorn --workers 2``. The floor writes to a bucket and a table of its own, so
both get every body as a new document. Prints, for each, accepted documents/s, p50 and
p99 latency and the CPU its process tree (uvicorn, its workers and their children, such as
docex's verification processes) used per accepted document, from ``/proc``; then the
ratios and PASS/MISS for the issue's three targets:

* docex accepts >= 60 % of the floor's documents/s;
* docex's p99 <= 3 x its p50;
* docex's CPU per document <= 1.7 x the floor's.

    PYTHONPATH=src:. python bench/throughput.py [--clients 32] [--docs 1500] [--workers 2]

The ratios are measured in one run on one machine; the load generator shares its cores
(see ``bench/README.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers import start_servers  # noqa: E402

from docex.devpki.pki import DevPki  # noqa: E402
from docex.storage import open_object_store  # noqa: E402
from floor_server import create_floor_table  # noqa: E402
from resign import make_many  # noqa: E402
from submit import (  # noqa: E402
    WARMUP_CLIENTS,
    WARMUP_DOCS_PER_WORKER,
    Deployment,
    Level,
    Request,
    api_server,
    deploy,
    encode,
    postmaster_pid,
    run_async,
    run_level,
    submit_all,
    tree_cpu_by_depth,
)

TARGET_RATE_SHARE = 0.60
TARGET_TAIL = 3.0
TARGET_CPU_RATIO = 1.7


@dataclass(frozen=True)
class Served:
    """One server's level, and its process tree's CPU per accepted document."""

    name: str
    level: Level
    by_depth: dict[int, float]
    """CPU seconds over the timed level by depth in the server's tree (tree_cpu_by_depth)."""

    @property
    def cpu_ms_per_doc(self) -> float:
        return self._per_doc(self.level.server_cpu["server"])

    def depth_ms_per_doc(self, depth: int) -> float:
        """0 uvicorn's supervisor, 1 its workers, 2 their children (verification) and below."""
        if depth < 2:
            return self._per_doc(self.by_depth.get(depth, 0.0))
        return self._per_doc(sum(cpu for d, cpu in self.by_depth.items() if d >= depth))

    def _per_doc(self, seconds: float) -> float:
        if not self.level.accepted:
            return float("nan")
        return 1000 * seconds / self.level.accepted


def serve(
    name: str,
    factory: str,
    deployment: Deployment,
    requests: Sequence[Request],
    *,
    warmup: int,
    clients: int,
    workers: int,
    seconds: float,
    work: Path,
    settings_override: dict[str, str] | None = None,
    src: Path | None = None,
    py_spy: Path | None = None,
    gil: bool = False,
) -> Served:
    """Start ``factory``, warm it with the first ``warmup`` requests, time the rest.

    With ``src``, the server imports docex from that folder instead of this checkout's.
    """
    settings = deployment.settings
    if settings_override:
        settings = settings.model_copy(update=settings_override)
    env = {"PYTHONPATH": os.pathsep.join([str(src), str(BENCH)])} if src is not None else {}
    with api_server(
        settings, workers=workers, log=work / f"{name}.log", factory=factory, **env
    ) as srv:
        warm = run_async(
            submit_all(srv.url, requests[:warmup], clients=WARMUP_CLIENTS, max_seconds=60)
        )
        if warm.errors:
            raise SystemExit(f"{name}: warm-up failed {dict(warm.errors)}: {warm.first_error}")
        roots = {"server": srv.process.pid, "postgres": postmaster_pid(deployment.postgres)}
        with sampled(srv.process.pid, py_spy, gil=gil):
            depth_before = tree_cpu_by_depth(srv.process.pid)
            level = run_level(
                srv.url, requests[warmup:], clients=clients, max_seconds=seconds, cpu_roots=roots
            )
            depth_after = tree_cpu_by_depth(srv.process.pid)
    if level.errors:
        raise SystemExit(f"{name}: {dict(level.errors)} failed; first: {level.first_error}")
    by_depth = {d: cpu - depth_before.get(d, 0.0) for d, cpu in depth_after.items()}
    return Served(name, level, by_depth)


@contextlib.contextmanager
def sampled(pid: int, out: Path | None, *, gil: bool = False) -> Iterator[None]:
    """With ``out``, py-spy samples ``pid`` and its children meanwhile (collapsed stacks)."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    command = [spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    command += ["--rate", "250", "--format", "raw", "--output", str(out)]
    if gil:
        command.append("--gil")  # only the thread holding the GIL: Python CPU time
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        process.wait(timeout=60)


def verdict(ok: bool) -> str:
    return "[green]PASS[/]" if ok else "[red]MISS[/]"


def report(docex: Served, floor: Served, console: Console, *, before: Served | None) -> None:
    table = Table(title=f"docex and its floor at {docex.level.clients} clients")
    for column in ("server", "docs", "docs/s", "p50 ms", "p99 ms", "p99/p50", "ms CPU/doc"):
        table.add_column(column, justify="right")
    # The server's CPU split by process: uvicorn's workers, and their children (docex's
    # verification processes; the floor verifies in its workers and has none).
    table.add_column("of it workers", justify="right")
    table.add_column("of it children", justify="right")
    table.add_column("postgres ms CPU/doc", justify="right")
    for served in (*((before,) if before else ()), docex, floor):
        lv = served.level
        p50, p99 = lv.percentile_ms(50), lv.percentile_ms(99)
        table.add_row(
            served.name,
            str(lv.accepted),
            f"{lv.rate:,.1f}",
            f"{p50:.0f}",
            f"{p99:.0f}",
            f"{p99 / p50:.2f}",
            f"{served.cpu_ms_per_doc:.2f}",
            f"{served.depth_ms_per_doc(1):.2f}",
            f"{served.depth_ms_per_doc(2):.2f}",
            f"{1000 * lv.server_cpu['postgres'] / max(lv.accepted, 1):.2f}",
        )
    console.print(table)
    share = docex.level.rate / floor.level.rate
    tail = docex.level.percentile_ms(99) / docex.level.percentile_ms(50)
    cpu = docex.cpu_ms_per_doc / floor.cpu_ms_per_doc
    targets = Table(title="Targets (issue 14, item 1)")
    for column in ("measure", "value", "target", ""):
        targets.add_column(column, justify="right")
    targets.add_row(
        "docex docs/s / floor docs/s",
        f"{share:.2f}",
        f">= {TARGET_RATE_SHARE:.2f}",
        verdict(share >= TARGET_RATE_SHARE),
    )
    targets.add_row("docex p99 / p50", f"{tail:.2f}", f"<= {TARGET_TAIL:.1f}", verdict(tail <= 3))
    targets.add_row(
        "docex CPU/doc / floor CPU/doc",
        f"{cpu:.2f}",
        f"<= {TARGET_CPU_RATIO:.1f}",
        verdict(cpu <= TARGET_CPU_RATIO),
    )
    console.print(targets)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="closed-loop clients (32)")
    parser.add_argument("--docs", type=int, default=1500, help="timed documents (1500)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument("--seconds", type=float, default=60.0, help="cap per server (60 s)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="signing jobs")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="SRC",
        help="also serve docex imported from SRC (another checkout's src/, for before/after), "
        "first, on its own schema and bucket",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="OUT",
        help="sample docex's process tree with py-spy over its timed level into OUT "
        "(collapsed stacks; py-spy from PyPI)",
    )
    parser.add_argument(
        "--gil",
        action="store_true",
        help="with --py-spy, sample only the thread holding the GIL (Python CPU, not waits)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the uvicorn logs")
    args = parser.parse_args(argv)
    console = Console() if Console().is_terminal else Console(width=132)
    work = Path(tempfile.mkdtemp(prefix="docex-bench-throughput-"))
    started = time.perf_counter()
    warmup = WARMUP_DOCS_PER_WORKER * args.workers
    postgres, s3 = start_servers()
    try:
        deployment = deploy(postgres, s3, DevPki.load())
        samples = make_many(warmup + args.docs, jobs=args.jobs, console=console)
        requests = [encode(s, deployment.tokens) for s in samples]
        before: Served | None = None
        if args.before is not None:
            # Its own deployment (schema, bucket, tokens): every body is new to it too.
            other = deploy(postgres, s3, DevPki.load())
            before = serve(
                "docex before",
                "app_factory:make_app",
                other,
                [encode(s, other.tokens) for s in samples],
                warmup=warmup,
                clients=args.clients,
                workers=args.workers,
                seconds=args.seconds,
                work=work,
                src=args.before.resolve(),
            )
            console.print(f"docex before: {before.level.rate:,.1f} docs/s")
        docex = serve(
            "docex",
            "app_factory:make_app",
            deployment,
            requests,
            warmup=warmup,
            clients=args.clients,
            workers=args.workers,
            seconds=args.seconds,
            work=work,
            py_spy=args.py_spy,
            gil=args.gil,
        )
        console.print(f"docex: {docex.level.rate:,.1f} docs/s")
        floor_store = f"s3://bench-floor-{uuid.uuid4().hex[:16]}"
        open_object_store(deployment.settings.model_copy(update={"object_store": floor_store}))
        create_floor_table(deployment.settings.database_url)
        floor = serve(
            "floor",
            "floor_server:make_app",
            deployment,
            requests,
            warmup=warmup,
            clients=args.clients,
            workers=args.workers,
            seconds=args.seconds,
            work=work,
            settings_override={"object_store": floor_store},
        )
        console.print(f"floor: {floor.level.rate:,.1f} docs/s")
    finally:
        postgres.destroy()
        s3.destroy()
        if args.keep:
            console.print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(docex, floor, console, before=before)
    console.print(
        f"same {len(requests) - warmup} bodies to each after {warmup} untimed; uvicorn "
        f"--workers {args.workers}; CPU is each server's process tree from /proc; the load "
        f"generator shares the cores. Whole run {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
