"""Submission load benchmark: concurrent clients submitting signed documents over HTTP.

N concurrent clients submit the signed formats, detached CAdES B-LT, to the docex API:
referrals from facility 38291045 to 40123457 and examination results back, each facility
with its own token (``exchange.py``). The API is served
by uvicorn in its own processes (``--workers 2``, like production) and backed by a real
PostgreSQL and a SeaweedFS S3 server, all on this machine. Prints accepted documents per
second, client-side latency percentiles and where the CPU went. The target (from the
issue): at least 300 documents/s with p99 under 150 ms at 32 concurrent clients on 2 cores.

    PYTHONPATH=src:. python bench/submit.py [--clients 1,8,32] [--docs 3000] [--workers 2]
        [--seconds 20] [--floor-docs 400] [--profile TOP]

The load generator runs on the same cores as the servers; the CPU table shows the split.
Before the API starts, a bare S3 client stores documents' objects on the same SeaweedFS
server, to show how many documents/s its CPU cost alone leaves room for (the storage
floor). See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import importlib.util
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import urllib3
from minio import Minio
from minio.error import MinioException
from minio.helpers import DictType
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:  # tests.servers, when not run with PYTHONPATH=src:.
    sys.path.insert(0, str(ROOT))

from tests.servers import PostgresServer, SeaweedS3Server, free_ports, start_servers  # noqa: E402

from corpus import SIGNED_AT, Sample, revocation_values_digest  # noqa: E402
from docex.db import create_engine_from_url, session_factory, unit_of_work, upgrade  # noqa: E402
from docex.devpki.pki import DevPki  # noqa: E402
from docex.domain import EmployeeRole, TokenRole  # noqa: E402
from docex.registry.employees import add_employee  # noqa: E402
from docex.registry.facilities import add_facility  # noqa: E402
from docex.registry.tokens import TokenPolicy, issue_token  # noqa: E402
from docex.services.submission import SIGNATURE_CONTENT_TYPES  # noqa: E402
from docex.settings import Settings  # noqa: E402
from docex.signatures.identity import signer_identity  # noqa: E402
from docex.signatures.report import Indication, Qualification  # noqa: E402
from docex.signatures.trust import load_trust_store  # noqa: E402
from docex.signatures.verifier import Verifier  # noqa: E402
from docex.storage import open_object_store  # noqa: E402
from docex.storage.base import DEFAULT_CONTENT_TYPE, content_key  # noqa: E402
from docex.storage.s3 import make_http_client  # noqa: E402
from exchange import PERFORMER, REFERRER, Exchanged  # noqa: E402
from profiles import profile_table  # noqa: E402
from resign import make_many  # noqa: E402

TRUST = ROOT / "certs-dev" / "trust"
FACILITY = "38291045"
SUBMIT_PATH = "/api/v1/documents"
WARMUP_DOCS_PER_WORKER = 24
WARMUP_CLIENTS = 8
BASELINE_DOCS = 300
PROFILE_DOCS = 400
PROFILE_CLIENTS = 8
FLOOR_DOCS = 400
FLOOR_THREADS = 8
FLOOR_WARMUP_DOCS = 16
REQUEST_TIMEOUT_SECONDS = 60.0
START_TIMEOUT_SECONDS = 60.0

# What the profile's stage table sums: (file name ending, function) -> cumulative time.
PROFILE_STAGES = {
    "event loop: HTTP, routing, form (ASGI app)": ("fastapi/applications.py", "__call__"),
    "  of which reading the multipart form": ("docex/api/submission_body.py", "_from_multipart"),
    "thread pool: authenticate the token (DB)": (
        "docex/services/authentication.py",
        "authenticate_request",
    ),
    "thread pool: submit_document": ("docex/services/submission.py", "submit_document"),
    "  verify the signature": ("docex/signatures/verifier.py", "verify"),
    "  check the signer (DB)": ("docex/services/submission.py", "_check_signers"),
    "  store signature + content (S3)": ("docex/storage/s3.py", "put"),
    "  report to JSON": ("docex/signatures/report.py", "to_dict"),
    "  insert + commit the row (DB)": ("sqlalchemy/orm/session.py", "commit"),
    "worker start-up (lifespan)": ("docex/services/runtime.py", "build_runtime"),
}

TARGET_CLIENTS = 32
TARGET_RATE = 300.0
TARGET_P99_MS = 150.0

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None
T = TypeVar("T")


# --- the deployment --------------------------------------------------------------------


@dataclass
class Deployment:
    """The servers, the database and bucket, and each facility's token (by EDRPOU)."""

    postgres: PostgresServer
    s3: SeaweedS3Server
    settings: Settings
    tokens: dict[str, str]


def deploy(postgres: PostgresServer, s3: SeaweedS3Server, pki: DevPki) -> Deployment:
    """A migrated schema, a bucket, the two facilities with their doctor, and their tokens."""
    settings = Settings(
        database_url=postgres.create_schema(),
        object_store=f"s3://bench-{uuid.uuid4().hex[:16]}",
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_secure=False,
        s3_region=s3.region,
        trust=[TRUST],
    )
    open_object_store(settings)  # creates the bucket
    engine = create_engine_from_url(settings.database_url)
    tokens: dict[str, str] = {}
    try:
        upgrade(engine)
        with unit_of_work(session_factory(engine)) as session:
            for signer, edrpou, rnokpp in (REFERRER, PERFORMER):
                # The contents name the author as exchange.py says; the certificate must agree.
                who = signer_identity(pki.cert(signer))
                assert (who.rnokpp, who.edrpou) == (rnokpp, edrpou), signer
                facility = add_facility(session, edrpou=edrpou, name=f"Bench facility {edrpou}")
                add_employee(
                    session,
                    facility_id=facility.id,
                    rnokpp=rnokpp,
                    full_name=who.common_name or signer,
                    role=EmployeeRole.DOCTOR,
                )
                tokens[edrpou] = issue_token(
                    session,
                    policy=TokenPolicy.from_settings(settings),
                    role=TokenRole.FACILITY,
                    facility_id=facility.id,
                ).token
    finally:
        engine.dispose()
    return Deployment(postgres=postgres, s3=s3, settings=settings, tokens=tokens)


def server_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of the API processes: ``DOCEX_*`` as a deployment would set it."""
    assert settings.s3_secret_key is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCEX_")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)]),
            "DOCEX_DATABASE_URL": settings.database_url,
            "DOCEX_OBJECT_STORE": settings.object_store,
            "DOCEX_S3_ENDPOINT": str(settings.s3_endpoint),
            "DOCEX_S3_ACCESS_KEY": str(settings.s3_access_key),
            "DOCEX_S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
            "DOCEX_S3_SECURE": "false",
            "DOCEX_S3_REGION": str(settings.s3_region),
            "DOCEX_TRUST": str(TRUST),
            # Every client of the load is one address with one of two tokens, thousands of
            # requests a minute: above the per-address and per-token defaults, which are
            # sized for one facility. The limits are still counted, so their cost is in
            # the numbers.
            "DOCEX_RATE_LIMIT_IP": "1000000/minute",
            "DOCEX_RATE_LIMIT_TOKEN": "1000000/minute",
            **extra,
        }
    )
    return env


class ApiServer:
    """``uvicorn --factory app_factory:make_app --workers N`` in its own process group.

    ``factory`` names another application in ``bench/`` (the floor server's).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int,
        log: Path,
        factory: str = "app_factory:make_app",
        **env: str,
    ) -> None:
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [
            sys.executable, "-m", "uvicorn",
            "--factory", factory,
            "--app-dir", str(BENCH),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", str(workers),
            "--log-level", "warning",
            "--no-access-log",
        ]  # fmt: skip
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=server_environment(settings, **env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited during start-up:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn not healthy after {START_TIMEOUT_SECONDS}s")
            time.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts its workers down gracefully), SIGKILL after 20 s."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@contextlib.contextmanager
def api_server(
    settings: Settings,
    *,
    workers: int,
    log: Path,
    factory: str = "app_factory:make_app",
    **env: str,
) -> Iterator[ApiServer]:
    server = ApiServer(settings, workers=workers, log=log, factory=factory, **env)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


# --- CPU accounting from /proc ----------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used) of every process on the machine."""
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is the state (field 3 of proc_pid_stat(5)): ppid is field 4, utime,
        # stime, cutime, cstime 14 to 17. The children's times count what exited children
        # used (PostgreSQL backends of closed pool connections, reaped by the postmaster).
        cpu = sum(int(f) for f in fields[11:15]) / _TICK
        table[int(entry.name)] = (int(fields[1]), cpu)
    return table


def tree_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and its descendants, live or reaped."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    totals: dict[str, float] = {}
    for name, root in roots.items():
        total, stack = 0.0, [root]
        while stack:
            pid = stack.pop()
            if pid in table:
                total += table[pid][1]
            stack.extend(children.get(pid, ()))
        totals[name] = total
    return totals


def tree_cpu_by_depth(root: int) -> dict[int, float]:
    """CPU seconds used so far by ``root``'s process tree, by depth below it: 0 the root
    itself, 1 its children (uvicorn's workers), 2 theirs (docex's verification processes),
    and so on. A reaped process's time counts at its parent's depth."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    totals: dict[int, float] = {}
    stack = [(root, 0)]
    while stack:
        pid, depth = stack.pop()
        if pid in table:
            totals[depth] = totals.get(depth, 0.0) + table[pid][1]
        stack.extend((child, depth + 1) for child in children.get(pid, ()))
    return totals


def postmaster_pid(postgres: PostgresServer) -> int:
    return int((postgres.data / "postmaster.pid").read_text().split()[0])


# --- the load --------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A submission, encoded before the clock starts so the load generator stays light."""

    body: bytes
    content_type: str
    authorization: str
    """The submitting facility's ``Authorization`` header."""

    async def post(self, http: httpx.AsyncClient) -> httpx.Response:
        """Submit it on ``http`` (whose base URL is the server's)."""
        return await http.post(
            SUBMIT_PATH,
            content=self.body,
            headers={"Content-Type": self.content_type, "Authorization": self.authorization},
        )


def encode(document: Exchanged, tokens: dict[str, str]) -> Request:
    """The multipart form a facility sends: the signature, its detached content, the kind.

    Everything else the exchange records (patient, author, recipient, service) is read from
    the signed content, so the form repeats none of it.
    """
    name = document.kind.value
    request = httpx.Request(
        "POST",
        "http://bench" + SUBMIT_PATH,
        files={
            "file": (f"{name}.json.p7s", document.signature, "application/pkcs7-signature"),
            "content": (f"{name}.json", document.content, "application/fhir+json"),
        },
        data={"kind": document.kind.value},
    )
    return Request(
        body=request.read(),
        content_type=request.headers["content-type"],
        authorization=f"Bearer {tokens[document.edrpou]}",
    )


@dataclass
class Level:
    """The outcome of one load level."""

    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    """Seconds of each accepted (201) submission."""
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str = ""
    client_cpu: float = 0.0
    server_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the accepted submissions' latencies, in ms."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
        return 1000 * ordered[rank]


async def submit_all(
    url: str, requests: Sequence[Request], *, clients: int, max_seconds: float
) -> Level:
    """``clients`` concurrent clients, each with its own connection, share ``requests``.

    Each client sends one submission at a time and the next as soon as the answer is
    in (closed loop). Stops when every request is sent or after ``max_seconds``.
    """
    level = Level(clients=clients)
    pending = iter(requests)
    deadline = time.perf_counter() + max_seconds

    async def client() -> None:
        async with httpx.AsyncClient(
            base_url=url,
            timeout=REQUEST_TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=1),
        ) as http:
            for request in pending:
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                try:
                    response = await request.post(http)
                except httpx.HTTPError as exc:
                    level.errors[type(exc).__name__] += 1
                    level.first_error = level.first_error or repr(exc)
                    continue
                if response.status_code == 201:
                    level.latencies.append(time.perf_counter() - started)
                else:
                    level.errors[str(response.status_code)] += 1
                    level.first_error = level.first_error or response.text[:500]

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    level.seconds = time.perf_counter() - started
    return level


def run_level(
    url: str,
    requests: Sequence[Request],
    *,
    clients: int,
    max_seconds: float,
    cpu_roots: dict[str, int],
) -> Level:
    """One level, with the CPU time of this process and of each server over it."""
    gc.collect()
    cpu_before = tree_cpu(cpu_roots)
    client_before = time.process_time()
    level = run_async(submit_all(url, requests, clients=clients, max_seconds=max_seconds))
    level.client_cpu = time.process_time() - client_before
    cpu_after = tree_cpu(cpu_roots)
    level.server_cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_roots}
    return level


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (it costs the load generator less CPU)."""
    if HAVE_UVLOOP:
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


# --- baselines and profile -------------------------------------------------------------


def verify_baseline(samples: Sequence[Sample], warmup: Sequence[Sample]) -> float:
    """Signatures per second of one warm ``Verifier`` in this process: one core, no HTTP."""
    with Verifier(load_trust_store([TRUST])) as verifier:
        for sample in warmup:
            verifier.verify(sample.signature, content=sample.content)
        gc.collect()
        started = time.perf_counter()
        reports = [verifier.verify(s.signature, content=s.content) for s in samples]
        seconds = time.perf_counter() - started
    for report in reports:
        if (
            report.indication is not Indication.TOTAL_PASSED
            or report.qualification is not Qualification.QESIG
        ):
            raise SystemExit(
                f"docex does not accept a benchmark signature: {report.indication} "
                f"{report.sub_indication} / {report.qualification}"
            )
    return len(samples) / seconds


@dataclass
class Floor:
    """The storage floor: what the S3 server alone spends on accepted documents' objects.

    A bare minio client in this process, from ``threads`` threads sharing one client as a
    docex worker's thread pool does, stores each document's signature and detached content
    with one conditional ``PUT`` each, the requests docex makes for an accepted document.
    """

    docs: int
    """Documents timed (two new objects each), after the warm-up ones."""
    threads: int
    seconds: float
    """Wall time of the timed documents."""
    weed_cpu: float
    """CPU seconds of the SeaweedFS process tree over them, from ``/proc``."""
    client_cpu: float
    """CPU seconds of this process (the bare client) over them."""
    signature_bytes: float
    """Mean size of the signatures stored."""
    content_bytes: float
    """Mean size of the signed contents stored."""

    @property
    def rate(self) -> float:
        """Documents stored per second of wall time (this machine's cores shared by both)."""
        return self.docs / self.seconds if self.seconds else 0.0

    @property
    def weed_ms_per_doc(self) -> float:
        """SeaweedFS CPU per document: two conditional PUTs of the corpus's sizes."""
        return 1000 * self.weed_cpu / self.docs

    @property
    def client_ms_per_doc(self) -> float:
        """The bare client's CPU per document (minio: signing, HTTP); docex pays it too."""
        return 1000 * self.client_cpu / self.docs

    def ceiling(self, cores: int) -> float:
        """Documents/s ``cores`` could accept if SeaweedFS were the only thing using them.

        An upper bound on the whole deployment: docex, PostgreSQL and the load generator
        would have to cost nothing.
        """
        return cores * self.docs / self.weed_cpu if self.weed_cpu else float("inf")


def storage_floor(
    s3: SeaweedS3Server, samples: Sequence[Sample], *, threads: int, warmup: int
) -> Floor:
    """Store ``samples`` (after ``warmup`` of them untimed) as docex stores a document.

    Each document is two conditional PUTs (``If-None-Match: *``, so the server checks the
    key is free) by minio's ``_put_object``, with docex's headers and HTTP pool: the
    signature under ``sha256/..`` as ``application/pkcs7-signature``, then the content,
    in a new bucket of their own. Keys and digests are computed before the clock starts,
    so the client's CPU is the requests' alone. The warm-up grows the bucket's first
    volume and opens the connections.
    """
    client = Minio(
        s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        secure=False,
        region=s3.region,
        http_client=make_http_client(),
    )
    bucket = f"bench-floor-{uuid.uuid4().hex[:16]}"
    client.make_bucket(bucket)

    def request(data: bytes, content_type: str) -> tuple[str, bytes, DictType]:
        sha256 = hashlib.sha256(data).hexdigest()
        headers: DictType = {
            "Content-Type": content_type,
            "If-None-Match": "*",
            "x-amz-meta-sha256": sha256,
        }
        return content_key(sha256), data, headers

    documents = [
        [
            request(s.signature, SIGNATURE_CONTENT_TYPES["cades"]),
            request(s.content, DEFAULT_CONTENT_TYPE),
        ]
        for s in samples
    ]

    def store(document: list[tuple[str, bytes, DictType]]) -> None:
        for key, data, headers in document:
            client._put_object(bucket, key, data, headers=headers)

    roots = {"seaweedfs": s3._process.pid if s3._process else -1}
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(store, documents[:warmup]))
            gc.collect()
            weed_before = tree_cpu(roots)["seaweedfs"]
            client_before = time.process_time()
            started = time.perf_counter()
            list(pool.map(store, documents[warmup:]))
            seconds = time.perf_counter() - started
            client_cpu = time.process_time() - client_before
            weed_cpu = tree_cpu(roots)["seaweedfs"] - weed_before
    except (MinioException, urllib3.exceptions.HTTPError) as exc:
        raise SystemExit(f"the storage floor could not store an object: {exc}") from exc
    return Floor(
        docs=len(documents) - warmup,
        threads=threads,
        seconds=seconds,
        weed_cpu=weed_cpu,
        client_cpu=client_cpu,
        signature_bytes=sum(len(s.signature) for s in samples) / len(samples),
        content_bytes=sum(len(s.content) for s in samples) / len(samples),
    )


def profile_server(
    deployment: Deployment,
    requests: Sequence[Request],
    *,
    work: Path,
    top: int,
    console: Console,
) -> None:
    """Serve ``requests`` by one profiled worker; print where its CPU time went."""
    out = work / "server.prof"
    with api_server(
        deployment.settings,
        workers=1,
        log=work / "uvicorn-profile.log",
        BENCH_PROFILE_OUT=str(out),
    ) as server:
        warm, timed = requests[:WARMUP_CLIENTS], requests[WARMUP_CLIENTS:]
        run_async(submit_all(server.url, warm, clients=WARMUP_CLIENTS, max_seconds=60))
        level = run_async(submit_all(server.url, timed, clients=PROFILE_CLIENTS, max_seconds=60))
    if not out.exists():
        console.print("[yellow]the profiled server wrote no profile[/]")
        return
    docs = level.accepted + len(warm)
    stats = {
        key: value
        for key, value in pstats.Stats(str(out)).stats.items()  # type: ignore[attr-defined]
        if not _is_wait(key)
    }
    total = sum(own for _, _, own, _, _ in stats.values())
    stages = Table(
        title=(
            f"Server CPU by stage: 1 profiled worker, {docs} documents ({len(warm)} warm-up), "
            f"{PROFILE_CLIENTS} clients"
        )
    )
    stages.add_column("stage")
    stages.add_column("function")
    stages.add_column("cum ms/doc", justify="right")
    stages.add_column("% of profiled CPU", justify="right")
    for stage, (suffix, function) in PROFILE_STAGES.items():
        cumulative = sum(
            value[3]
            for (file, _, name), value in stats.items()
            if file.endswith(suffix) and name == function
        )
        stages.add_row(
            stage,
            f"{suffix}({function})",
            f"{1000 * cumulative / docs:.2f}",
            f"{100 * cumulative / total:.0f}",
        )
    console.print(stages)
    table = profile_table(
        stats,
        title=(
            f"Server CPU by function: 1 profiled worker, {docs} documents "
            f"({len(warm)} warm-up), {PROFILE_CLIENTS} clients; "
            f"profiled CPU {1000 * total / docs:.2f} ms/doc"
        ),
        per=docs,
        unit="doc",
        top=top,
        total=total,
    )
    console.print(table)
    console.print(
        "cProfile counts thread CPU time in every thread of the worker (event loop and "
        "thread pool), lock and queue waits left out; it slows Python code more than C "
        "code, so read shares, not rates. "
        f"Full profile: python -m pstats {out} (deleted at exit; rerun with --keep)."
    )


def _is_wait(key: tuple[str, int, str]) -> bool:
    """Idle thread-pool workers and lock waits, which cProfile charges with CPU they do
    not use: idle threads block in ``queue.get`` below any frame the profiler saw enter."""
    file, _, function = key
    return file.endswith(("/threading.py", "/queue.py")) or "_thread.lock" in function


# --- the report ------------------------------------------------------------------------


def results_table(levels: Sequence[Level], *, verify_rate: float) -> Table:
    table = Table(
        title="Submissions: detached CAdES B-LT referrals and results (FHIR), multipart over HTTP"
    )
    table.add_column("clients", justify="right")
    table.add_column("accepted", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("s", justify="right")
    table.add_column("docs/s", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p90 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("max ms", justify="right")
    table.add_column("/ verify 1 core", justify="right")
    for level in levels:
        table.add_row(
            str(level.clients),
            str(level.accepted),
            str(sum(level.errors.values())),
            f"{level.seconds:.1f}",
            f"{level.rate:,.0f}",
            f"{level.percentile_ms(50):.1f}",
            f"{level.percentile_ms(90):.1f}",
            f"{level.percentile_ms(99):.1f}",
            f"{level.percentile_ms(100):.1f}",
            f"{level.rate / verify_rate:.2f}",
        )
    return table


def cpu_table(levels: Sequence[Level], *, cores: int) -> Table:
    table = Table(title=f"CPU used during each level, in cores busy (this machine has {cores})")
    names = list(levels[0].server_cpu)
    table.add_column("clients", justify="right")
    table.add_column("load generator", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("total", justify="right")
    table.add_column("docex ms CPU/doc", justify="right")
    table.add_column("seaweedfs ms CPU/doc", justify="right")
    for level in levels:
        used = [level.client_cpu, *(level.server_cpu[n] for n in names)]
        table.add_row(
            str(level.clients),
            *(f"{u / level.seconds:.2f}" for u in used),
            f"{sum(used) / level.seconds:.2f}",
            _ms_per_doc(level, "docex"),
            _ms_per_doc(level, "seaweedfs"),
        )
    return table


def _ms_per_doc(level: Level, name: str) -> str:
    """CPU ms of one server per accepted document of a level."""
    if not level.accepted:
        return "-"
    return f"{1000 * level.server_cpu[name] / level.accepted:.2f}"


def floor_table(floor: Floor, *, cores: int) -> Table:
    """The storage floor's one row: rate, CPU per document, and the ceiling it implies."""
    table = Table(
        title=(
            f"Storage floor: a bare minio client, {floor.threads} threads, 2 conditional PUTs "
            f"per document (signature {floor.signature_bytes:,.0f} B + content "
            f"{floor.content_bytes:,.0f} B), same SeaweedFS, before the API started"
        )
    )
    table.add_column("documents", justify="right")
    table.add_column("s", justify="right")
    table.add_column("docs/s", justify="right")
    table.add_column("seaweedfs cores busy", justify="right")
    table.add_column("seaweedfs ms CPU/doc", justify="right")
    table.add_column("client ms CPU/doc", justify="right")
    table.add_column(f"ceiling on {cores} cores, docs/s", justify="right")
    table.add_column("/ target", justify="right")
    ceiling = floor.ceiling(cores)
    table.add_row(
        str(floor.docs),
        f"{floor.seconds:.1f}",
        f"{floor.rate:,.0f}",
        f"{floor.weed_cpu / floor.seconds:.2f}",
        f"{floor.weed_ms_per_doc:.2f}",
        f"{floor.client_ms_per_doc:.2f}",
        f"{ceiling:,.0f}",
        f"{ceiling / TARGET_RATE:.2f}",
    )
    return table


def floor_note(floor: Floor, *, cores: int, verify_rate: float) -> str:
    """What the floor leaves of the machine at the target rate, in words.

    Also the bound of the floor and the verification baseline together: SeaweedFS's CPU
    per document plus one core's verification time per document (``1 / verify_rate``).
    """
    ceiling = floor.ceiling(cores)
    verify_ms = 1000 / verify_rate
    with_verify = 1000 * cores / (floor.weed_ms_per_doc + verify_ms)
    storage = TARGET_RATE * floor.weed_ms_per_doc / 1000
    left = cores - storage
    verdict = (
        f"at {TARGET_RATE:.0f} docs/s SeaweedFS alone keeps {storage:.2f} of the {cores} "
        f"cores busy, leaving {left:.2f} cores = {1000 * left / TARGET_RATE:.2f} ms CPU per "
        f"document for docex (its S3 client alone: ~{floor.client_ms_per_doc:.2f} ms), "
        f"PostgreSQL and the load generator together"
        if left > 0
        else "[red]the target is out of reach on this machine whatever docex does[/]"
    )
    return (
        f"[bold]storage floor alone allows {ceiling:,.0f} docs/s = "
        f"{ceiling / TARGET_RATE:.2f} times the target[/] (SeaweedFS "
        f"{floor.weed_ms_per_doc:.2f} ms CPU per document on all {cores} cores, everything "
        f"else free); {verdict}.\n"
        f"With verification as measured above ({verify_ms:.2f} ms/doc on one core), storage "
        f"and verification alone allow [bold]{with_verify:,.0f} docs/s = "
        f"{with_verify / TARGET_RATE:.2f} times the target[/]."
    )


def targets_table(level: Level, *, floor: Floor | None, cores: int) -> Table:
    table = Table(title=f"Targets (at {level.clients} clients)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("")
    rate_ok = level.rate >= TARGET_RATE
    p99 = level.percentile_ms(99)
    p99_ok = p99 < TARGET_P99_MS
    table.add_row(
        "accepted docs/s",
        f"{level.rate:,.0f}",
        f">= {TARGET_RATE:.0f}",
        "[green]PASS[/]" if rate_ok else "[red]MISS[/]",
    )
    table.add_row(
        "p99 latency",
        f"{p99:.0f} ms",
        f"< {TARGET_P99_MS:.0f} ms",
        "[green]PASS[/]" if p99_ok else "[red]MISS[/]",
    )
    if floor is not None:
        ceiling = floor.ceiling(cores)
        table.add_row(
            "storage floor: docs/s SeaweedFS's CPU allows",
            f"{ceiling:,.0f}",
            f">= {TARGET_RATE:.0f}",
            "reachable" if ceiling >= TARGET_RATE else "[red]unreachable[/]",
        )
    return table


# --- main ------------------------------------------------------------------------------


def level_docs(clients: int, *, docs: int, most: int) -> int:
    """Documents a level submits: ``docs`` at the largest level, fewer for small ones."""
    return min(docs, max(200, docs * clients // max(most // 2, 1)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients",
        default="1,8,32",
        help="comma-separated concurrent clients of each level (default 1,8,32)",
    )
    parser.add_argument(
        "--docs",
        type=int,
        default=3000,
        help="documents submitted at the largest level (default 3000); smaller levels "
        "submit proportionally fewer, at least 200",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=20.0,
        help="stop a level after this many seconds even if documents are left (default 20)",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument(
        "--floor-docs",
        type=int,
        default=FLOOR_DOCS,
        help=f"documents the storage floor stores with a bare S3 client before the API "
        f"starts (default {FLOOR_DOCS}; 0 skips it)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that make the signatures (default: every CPU)",
    )
    parser.add_argument(
        "--max-errors",
        type=int,
        default=5,
        help="more failed submissions than this make the run broken: exit 1 (default 5)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="TOP",
        help=f"afterwards, profile one worker over {PROFILE_DOCS} submissions and print "
        "the TOP functions by cumulative CPU time",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and profile folder")
    args = parser.parse_args(argv)
    try:
        clients = sorted({int(c) for c in args.clients.split(",") if c.strip()})
    except ValueError:
        parser.error("--clients takes comma-separated numbers")
    if not clients or min(clients) < 1 or args.docs < 1 or args.workers < 1:
        parser.error("--clients, --docs and --workers must be positive")
    if args.floor_docs < 0:
        parser.error("--floor-docs must be 0 or more")

    console = Console()
    if not console.is_terminal:
        console = Console(width=132)
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="docex-bench-submit-"))
    try:
        return run(args, clients, console=console, work=work, cores=cores, started=started)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        return 130
    finally:
        if args.keep:
            console.print(f"logs and profile kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(
    args: argparse.Namespace,
    clients: list[int],
    *,
    console: Console,
    work: Path,
    cores: int,
    started: float,
) -> int:
    most = max(clients)
    counts = [level_docs(c, docs=args.docs, most=most) for c in clients]
    warmup_docs = WARMUP_DOCS_PER_WORKER * args.workers
    profile_docs = PROFILE_DOCS if args.profile else 0
    total = warmup_docs + sum(counts) + profile_docs
    floor_docs = FLOOR_WARMUP_DOCS + args.floor_docs if args.floor_docs else 0

    console.print("starting PostgreSQL and SeaweedFS …")
    postgres, s3 = start_servers()
    try:
        pki = DevPki.load()
        deployment = deploy(postgres, s3, pki)
        samples = make_many(total + floor_docs, jobs=args.jobs, console=console)
        revocation_sets = len({revocation_values_digest(s) for s in samples[:50]})
        assert len({s.signature for s in samples}) == len(samples)
        assert len({s.content for s in samples}) == len(samples)  # each recorded once
        kinds = Counter(f"{s.kind.value}s by {s.signer}" for s in samples)
        mean_content = sum(len(s.content) for s in samples) / len(samples)
        console.print(
            f"{len(samples)} distinct signed FHIR documents ("
            + ", ".join(f"{n} {what}" for what, n in sorted(kinds.items()))
            + f"), {mean_content:,.0f} B contents on average, "
            f"signed and time-stamped at {SIGNED_AT.isoformat()} (re-signed from one "
            f"pyHanko signature per signer, see resign.py); distinct revocation data in "
            f"the first 50: {revocation_sets}"
        )
        # The floor's documents are their own: the API never sees them.
        samples, floor_samples = samples[:total], samples[total:]
        baseline = samples[warmup_docs : warmup_docs + BASELINE_DOCS]
        verify_rate = verify_baseline(baseline, samples[:8])
        console.print(
            f"verification alone, one warm Verifier in this process (one core, no HTTP, "
            f"no storage): [bold]{verify_rate:,.0f} docs/s[/] "
            f"({1000 / verify_rate:.2f} ms/doc) over {len(baseline)} of the signatures"
        )
        floor: Floor | None = None
        if floor_samples:
            floor = storage_floor(
                s3, floor_samples, threads=FLOOR_THREADS, warmup=FLOOR_WARMUP_DOCS
            )
            console.print(
                f"storage floor, a bare S3 client storing 2 objects per document "
                f"({FLOOR_THREADS} threads, {floor.docs} documents): SeaweedFS "
                f"[bold]{floor.weed_ms_per_doc:.2f} ms CPU/doc[/], client "
                f"{floor.client_ms_per_doc:.2f} ms CPU/doc, {floor.rate:,.0f} docs/s; "
                f"ceiling on {cores} cores [bold]{floor.ceiling(cores):,.0f} docs/s[/]"
            )
        requests = [encode(s, deployment.tokens) for s in samples]
        levels = load(
            deployment,
            requests,
            clients=clients,
            counts=counts,
            warmup_docs=warmup_docs,
            args=args,
            work=work,
            console=console,
        )
        if args.profile:
            profile_server(
                deployment, requests[-profile_docs:], work=work, top=args.profile, console=console
            )
    finally:
        console.print("stopping PostgreSQL and SeaweedFS …")
        postgres.destroy()
        s3.destroy()

    if not levels:
        return 1
    console.print(results_table(levels, verify_rate=verify_rate))
    console.print(cpu_table(levels, cores=cores))
    if floor is not None:
        console.print(floor_table(floor, cores=cores))
    target_level = next((lv for lv in levels if lv.clients == TARGET_CLIENTS), levels[-1])
    console.print(targets_table(target_level, floor=floor, cores=cores))
    if target_level.clients != TARGET_CLIENTS:
        console.print(
            f"[yellow]no level with {TARGET_CLIENTS} clients; targets judged at "
            f"{target_level.clients}[/]"
        )
    if floor is not None:
        console.print(floor_note(floor, cores=cores, verify_rate=verify_rate))
    loop = "uvloop" if HAVE_UVLOOP else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    console.print(
        f"server: uvicorn --workers {args.workers} ({loop}, {http}), PostgreSQL "
        f"(fsync off) and SeaweedFS on 127.0.0.1; load generator: {most} httpx clients at "
        f"most, one connection each, closed loop, multipart bodies encoded beforehand.\n"
        f"[yellow]The load generator shares the {cores} cores with the servers[/]: see its "
        f"CPU above. Latency is client-side, from sending the request to the last byte of "
        f"the answer. Whole run {time.perf_counter() - started:.0f} s; "
        f"python {sys.version.split()[0]}."
    )
    errors = sum(sum(lv.errors.values()) for lv in levels)
    if errors:
        detail = Counter[str]()
        for lv in levels:
            detail.update(lv.errors)
        first = next(lv.first_error for lv in levels if lv.first_error)
        console.print(f"[red]{errors} failed submission(s): {dict(detail)}; first: {first}[/]")
    if errors > args.max_errors:
        console.print(f"[red]broken run: more than {args.max_errors} failed submissions[/]")
        return 1
    return 0


def load(
    deployment: Deployment,
    requests: Sequence[Request],
    *,
    clients: list[int],
    counts: list[int],
    warmup_docs: int,
    args: argparse.Namespace,
    work: Path,
    console: Console,
) -> list[Level]:
    """Start the API, warm it up, then run every level on fresh documents."""
    levels: list[Level] = []
    with api_server(deployment.settings, workers=args.workers, log=work / "uvicorn.log") as server:
        roots = {
            "docex": server.process.pid,
            "postgres": postmaster_pid(deployment.postgres),
            "seaweedfs": deployment.s3._process.pid if deployment.s3._process else -1,
        }
        warm = run_async(
            submit_all(
                server.url,
                requests[:warmup_docs],
                clients=WARMUP_CLIENTS,
                max_seconds=60,
            )
        )
        if warm.errors:
            console.print(f"[red]warm-up failed: {dict(warm.errors)}: {warm.first_error}[/]")
            console.print(server.log_tail())
            return []
        console.print(
            f"API up at {server.url} with {args.workers} worker(s); warm-up: "
            f"{warm.accepted} documents"
        )
        offset = warmup_docs
        for n_clients, count in zip(clients, counts, strict=True):
            level = run_level(
                server.url,
                requests[offset : offset + count],
                clients=n_clients,
                max_seconds=args.seconds,
                cpu_roots=roots,
            )
            offset += count
            levels.append(level)
            errors = sum(level.errors.values())
            console.print(
                f"{n_clients:>3} client(s): {level.accepted} accepted in {level.seconds:.1f} s"
                f" = {level.rate:,.0f} docs/s, p99 {level.percentile_ms(99):.0f} ms"
                + (f", [red]{errors} errors[/]" if errors else "")
            )
            if server.process.poll() is not None:
                console.print(f"[red]uvicorn died[/]\n{server.log_tail()}")
                break
    return levels


if __name__ == "__main__":
    sys.exit(main())
