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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:  # tests.servers, when not run with PYTHONPATH=src:.
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from tests.servers import PostgresServer, SeaweedS3Server, free_ports, start_servers  # noqa: E402

import go_heap  # noqa: E402
from docex.db import create_engine_from_url  # noqa: E402
from docex.devpki.pki import DevPki  # noqa: E402
from docex.settings import Settings  # noqa: E402
from docex.signatures.identity import signer_identity  # noqa: E402
from docex.storage import open_object_store  # noqa: E402
from exchange import PERFORMER, REFERRER, Exchanged  # noqa: E402
from resign import make_many  # noqa: E402
from submit import (  # noqa: E402
    TRUST,
    ApiServer,
    Request,
    encode,
    postmaster_pid,
    server_environment,
    tree_cpu,
)

WARMUP_SECONDS = 30.0
"""Load before the first memory snapshot: caches fill and pools open during it."""
MAX_RSS_GROWTH = 0.10
MIN_GROWTH_KIB = 1024
"""Growth below this is never a miss: a 4 MiB PostgreSQL backend filling its catalog
cache grows by more than 10 % without holding anything that accumulates."""
DRAIN_SECONDS = 60.0
"""How long the dispatcher gets after the load to deliver what the outbox holds."""
REQUEST_TIMEOUT_SECONDS = 60.0
MAX_IN_FLIGHT = 64
START_TIMEOUT_SECONDS = 600.0
"""Three workers each load the verifier and the web stack: minutes on a busy 2-core VM."""
DOCEX = Path(sys.executable).with_name("docex")
"""The CLI installed beside this interpreter (``make install``)."""


# --- processes and /proc ------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """A process's resident memory in KiB: all of it, and its anonymous (private) part."""

    rss: int
    anon: int


def memory_of(pid: int) -> Memory | None:
    """``VmRSS`` and ``RssAnon`` of ``pid`` (``/proc/PID/status``), or None if it is gone.

    The criterion is on ``RssAnon``, the heap and stacks a leak would grow: ``VmRSS``
    also counts file pages and shared memory as they are touched, which for PostgreSQL
    backends is the shared buffer pool they read, not memory they hold.
    """
    fields: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                fields[name] = int(value.split()[0])
    except OSError:
        return None
    if "VmRSS" not in fields:
        return None
    return Memory(rss=fields["VmRSS"], anon=fields.get("RssAnon", fields["VmRSS"]))


def descendants(root: int) -> list[int]:
    """``root`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def describe(pid: int) -> str:
    """A short name for a process: its command line, shortened."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    raw = raw.strip()
    for pattern, name in (
        (r"postgres: .*?(\w[\w ]*process|\S+ \S+ 127\.0\.0\.1)", None),
        (r"uvicorn", "uvicorn"),
        (r"multiprocessing.spawn|multiprocessing.forkserver|from multiprocessing", "worker"),
        (r"webhooks dispatch", "dispatcher"),
        (r"weed", "weed"),
    ):
        match = re.search(pattern, raw)
        if match:
            return name or match.group(0)[:48]
    return raw[:48]


def weed_pid(s3: SeaweedS3Server) -> int:
    """The SeaweedFS process: the one whose command line names this server's folder."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(s3.base) in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    return int(entry.name)
    raise RuntimeError("the SeaweedFS process was not found")


# --- the deployment -------------------------------------------------------------------------


def settings_for(postgres: PostgresServer, s3: SeaweedS3Server) -> Settings:
    """A schema of its own, a bucket of its own, the development trust."""
    settings = Settings(
        database_url=postgres.create_schema(),
        object_store=f"s3://soak-{os.urandom(8).hex()}",
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_secure=False,
        s3_region=s3.region,
        trust=[TRUST],
    )
    open_object_store(settings)  # creates the bucket
    return settings


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``docex ARGS`` in a process of its own, as an operator runs it."""
    return subprocess.run(
        [str(DOCEX), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def cli_ok(env: dict[str, str], *args: str) -> str:
    done = cli(env, *args)
    if done.returncode != 0:
        raise RuntimeError(f"docex {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


def seed(env: dict[str, str], pki: DevPki) -> dict[str, str]:
    """The schema, both facilities with their doctor, and each facility's token (by EDRPOU)."""
    cli_ok(env, "db", "upgrade")
    tokens = {}
    for signer, edrpou, rnokpp in (REFERRER, PERFORMER):
        who = signer_identity(pki.cert(signer))
        cli_ok(env, "facility", "add", "--edrpou", edrpou, "--name", f"Soak facility {edrpou}")
        cli_ok(
            env,
            "employee", "add",
            "--facility", edrpou,
            "--rnokpp", rnokpp,
            "--name", who.common_name or signer,
        )  # fmt: skip
        # The token alone is on stdout; what to do with it goes to stderr.
        tokens[edrpou] = cli_ok(env, "token", "issue", "--facility", edrpou).strip()
    return tokens


class Receiver(http.server.ThreadingHTTPServer):
    """A facility's webhook endpoint on loopback that counts what it is sent."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", free_ports(1)[0]), _ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _ReceiverHandler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # the name http.server dispatches to
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            kind = str(json.loads(body).get("type", "?"))
        except ValueError:
            kind = "unreadable"
        with self.server.lock:
            self.server.deliveries[kind] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the soak prints its own report


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


@contextlib.contextmanager
def api_server(settings: Settings, *, workers: int, log: Path, **env: str) -> Iterator[ApiServer]:
    """``submit.py``'s uvicorn server, given longer to start than the benchmark gives it."""
    server = ApiServer(settings, workers=workers, log=log, **env)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited during start-up:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn not healthy after {START_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.5)
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def dispatcher_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``docex webhooks dispatch`` in its own process until the block ends."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(DOCEX), "webhooks", "dispatch"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the load -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the steady load did."""

    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)
    """``perf_counter()`` when each accepted document's answer came."""
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str = ""
    late: int = 0
    """Documents sent more than a second after their slot (the load generator fell behind)."""

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
        return 1000 * ordered[rank]


async def steady_load(
    url: str,
    requests: Sequence[Request],
    *,
    rate: float,
    seconds: float,
    at_warm: threading.Event,
) -> Outcome:
    """Send ``requests[i]`` at ``i / rate`` seconds, for ``seconds``, open loop."""
    outcome = Outcome()
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    started = time.perf_counter()

    async def send(http: httpx.AsyncClient, request: Request) -> None:
        began = time.perf_counter()
        try:
            response = await request.post(http)
        except httpx.HTTPError as exc:
            outcome.errors[type(exc).__name__] += 1
            outcome.first_error = outcome.first_error or repr(exc)
            return
        finally:
            in_flight.release()
        if response.status_code == 201:
            now = time.perf_counter()
            outcome.latencies.append(now - began)
            outcome.finished.append(now)
        else:
            outcome.errors[str(response.status_code)] += 1
            outcome.first_error = outcome.first_error or response.text[:500]

    tasks: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(
        base_url=url,
        timeout=REQUEST_TIMEOUT_SECONDS,
        limits=httpx.Limits(max_connections=MAX_IN_FLIGHT),
    ) as http:
        for index, request in enumerate(requests):
            slot = started + index / rate
            if slot - started > seconds:
                break
            await asyncio.sleep(max(0.0, slot - time.perf_counter()))
            if time.perf_counter() - slot > 1.0:
                outcome.late += 1
            if not at_warm.is_set() and time.perf_counter() - started >= WARMUP_SECONDS:
                at_warm.set()
            await in_flight.acquire()
            outcome.sent += 1
            tasks.append(asyncio.create_task(send(http, request)))
        await asyncio.gather(*tasks)
    at_warm.set()
    return outcome


# --- the report ---------------------------------------------------------------------------


def memory_table(
    start: dict[int, tuple[str, Memory]],
    end: dict[int, Memory | None],
    *,
    garbage_collected: frozenset[int] = frozenset(),
) -> tuple[Table, bool]:
    """Memory after the warm-up and at the end, per process; whether all stayed in bounds.

    Processes in ``garbage_collected`` (SeaweedFS) are shown but judged on their live heap
    instead (``go_heap``): their resident memory follows the collector's pacing.
    """
    table = Table(title="Resident memory, MiB (after the warm-up -> at the end)")
    table.add_column("pid", justify="right")
    table.add_column("process")
    table.add_column("RSS start", justify="right")
    table.add_column("RSS end", justify="right")
    table.add_column("RSS growth", justify="right")
    table.add_column("anon start", justify="right")
    table.add_column("anon end", justify="right")
    table.add_column("anon growth", justify="right")
    ok = True
    for pid, (name, before) in sorted(start.items(), key=lambda i: i[1][0]):
        after = end.get(pid)
        if after is None:
            table.add_row(str(pid), name, f"{before.rss / 1024:.1f}", "gone")
            continue
        rss_growth = (after.rss - before.rss) / before.rss if before.rss else 0.0
        anon_growth = (after.anon - before.anon) / before.anon if before.anon else 0.0
        within = anon_growth <= MAX_RSS_GROWTH or after.anon - before.anon < MIN_GROWTH_KIB
        colour = "green" if within else "red"
        if pid in garbage_collected:
            colour = "yellow"  # shown, judged on the live heap
        else:
            ok = ok and within
        table.add_row(
            str(pid),
            name,
            f"{before.rss / 1024:.1f}",
            f"{after.rss / 1024:.1f}",
            f"{100 * rss_growth:+.1f}%",
            f"{before.anon / 1024:.1f}",
            f"{after.anon / 1024:.1f}",
            f"[{colour}]{100 * anon_growth:+.1f}%[/]",
        )
    return table, ok


def snapshot(roots: dict[str, int]) -> dict[int, tuple[str, Memory]]:
    """Every live process under each root, named, with its memory."""
    found: dict[int, tuple[str, Memory]] = {}
    for component, root in roots.items():
        for pid in descendants(root):
            memory = memory_of(pid)
            if memory is not None:
                found[pid] = (f"{component}: {describe(pid)}", memory)
    return found


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


@dataclass
class Run:
    outcome: Outcome
    seconds: float
    start_rss: dict[int, tuple[str, Memory]]
    end_rss: dict[int, Memory | None]
    cpu: dict[str, float]
    documents: int
    """Documents accepted between the two CPU readings."""
    weed_pid: int
    weed_ages: tuple[float, float]
    """SeaweedFS's age in seconds at the two readings, the clock of its GC trace."""


def run(
    console: Console,
    url: str,
    requests: Sequence[Request],
    roots: dict[str, int],
    args: argparse.Namespace,
    seconds: float,
) -> Run:
    """The load, with a memory snapshot after the warm-up and CPU from then to the end."""
    at_warm = threading.Event()
    marks: list[tuple[dict[int, tuple[str, Memory]], dict[str, float], float, float]] = []
    weed = roots["weed"]

    def watch() -> None:
        at_warm.wait()
        marks.append(
            (snapshot(roots), tree_cpu(roots), time.perf_counter(), go_heap.age_seconds(weed))
        )

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    console.print(
        f"steady load: {args.rate:g} documents/s for {seconds:.0f} s, {args.workers} API workers"
    )
    outcome = asyncio.run(
        steady_load(url, requests, rate=args.rate, seconds=seconds, at_warm=at_warm)
    )
    watcher.join()
    cpu_end = tree_cpu(roots)
    weed_age_end = go_heap.age_seconds(weed)
    ((start_rss, cpu_start, warm_at, weed_age_start),) = marks
    elapsed = time.perf_counter() - warm_at
    return Run(
        outcome=outcome,
        seconds=elapsed,
        start_rss=start_rss,
        end_rss={pid: memory_of(pid) for pid in start_rss},
        cpu={name: cpu_end[name] - cpu_start[name] for name in roots},
        documents=sum(1 for t in outcome.finished if t >= warm_at),
        weed_pid=weed,
        weed_ages=(weed_age_start, weed_age_end),
    )


def outbox_counts(settings: Settings) -> Counter[str]:
    """The outbox's events by status (pending, delivered, dead)."""
    engine = create_engine_from_url(settings.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, count(*) FROM outbox_events GROUP BY status")
            ).all()
    finally:
        engine.dispose()
    return Counter({str(status): int(n) for status, n in rows})


def drain(settings: Settings, receivers: Sequence[Receiver]) -> tuple[Counter[str], Counter[str]]:
    """Wait (up to ``DRAIN_SECONDS``) until no event is pending; the outbox and deliveries."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        outbox = outbox_counts(settings)
        if outbox["pending"] == 0 or time.monotonic() > deadline:
            received: Counter[str] = Counter()
            for receiver in receivers:
                with receiver.lock:
                    received.update(receiver.deliveries)
            return outbox, received
        time.sleep(1.0)


def print_report(
    console: Console,
    report: Run,
    weed_heap: go_heap.LiveHeapTrend,
    delivered: tuple[Counter[str], Counter[str]],
    audit: subprocess.CompletedProcess[str],
    reconcile: subprocess.CompletedProcess[str],
    args: argparse.Namespace,
) -> int:
    outcome = report.outcome
    accepted = len(outcome.latencies)
    errors = sum(outcome.errors.values())
    table = Table(title=f"Soak: {args.minutes:g} min at {args.rate:g} documents/s")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_column("")
    verdicts: list[bool] = []

    def row(what: str, value: str, ok: bool | None = None) -> None:
        if ok is not None:
            verdicts.append(ok)
        table.add_row(
            what, value, "" if ok is None else ("[green]PASS[/]" if ok else "[red]MISS[/]")
        )

    row("documents sent / accepted (201)", f"{outcome.sent} / {accepted}")
    row("errors", f"{errors} {dict(outcome.errors) or ''}", errors == 0)
    row("sent more than 1 s late", str(outcome.late))
    for q in (50, 95, 99):
        row(f"latency p{q}", f"{outcome.percentile_ms(q):.0f} ms")
    row("max latency", f"{1000 * max(outcome.latencies, default=float('nan')):.0f} ms")
    outbox, received = delivered
    row(
        "outbox events: delivered / pending / dead",
        f"{outbox['delivered']} / {outbox['pending']} / {outbox['dead']}",
        outbox["pending"] == 0 and outbox["dead"] == 0,
    )
    row(
        "webhooks received (at least once)",
        f"{sum(received.values())} {dict(received)}",
        sum(received.values()) >= outbox["delivered"],
    )
    row(
        "docex audit verify",
        f"exit {audit.returncode}: {(audit.stdout + audit.stderr).strip()[:80]}",
        audit.returncode == 0,
    )
    reconciled = (reconcile.stdout + reconcile.stderr).strip().splitlines()
    clean = reconcile.returncode == 0 and bool(
        reconciled and re.search(r"; 0 unreferenced;.*; 0 missing", reconciled[0])
    )
    row(
        "docex storage reconcile --dry-run",
        f"exit {reconcile.returncode}: {reconciled[0] if reconciled else ''}",
        clean,
    )
    growth = weed_heap.growth
    row(
        "SeaweedFS live heap after GC, peak 1st -> 2nd half",
        f"{weed_heap.first_half_mb} -> {weed_heap.second_half_mb} MB "
        f"({weed_heap.collections} collections"
        + (f", {100 * growth:+.1f}%)" if growth is not None else "; too few to judge, run longer)"),
        growth is not None and growth <= MAX_RSS_GROWTH,
    )
    console.print(table)
    memory, memory_ok = memory_table(
        report.start_rss, report.end_rss, garbage_collected=frozenset({report.weed_pid})
    )
    verdicts.append(memory_ok)
    console.print(memory)
    cpu = Table(title=f"CPU after the warm-up ({report.seconds:.0f} s)")
    cpu.add_column("component")
    cpu.add_column("CPU s", justify="right")
    cpu.add_column("cores busy", justify="right")
    cpu.add_column("ms per document", justify="right")
    documents_after_warmup = max(1, report.documents)
    for name, used in report.cpu.items():
        cpu.add_row(
            name,
            f"{used:.1f}",
            f"{used / report.seconds:.2f}",
            f"{1000 * used / documents_after_warmup:.1f}",
        )
    console.print(cpu)
    if outcome.first_error:
        console.print(f"first error: {outcome.first_error}")
    console.print(
        "[green]all criteria met[/]" if all(verdicts) else "[red]a criterion was missed[/]"
    )
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
