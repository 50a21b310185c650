"""Verification with a time and memory budget it cannot escape: worker processes.

    verifier = IsolatedVerifier(VerifierConfig(trust=("certs-dev/trust",)), workers=2)
    report = verifier.verify(signature_bytes, content=detached_content)

The bounds of :mod:`docex.signatures.limits` cap the costs we know of; this module is the
backstop for the ones we do not. :class:`IsolatedVerifier` keeps a small pool of
long-lived worker processes, each holding its own :class:`~docex.signatures.verifier.Verifier`
(so the warm caches serve every verification that worker makes) and each started with an
address-space limit (``RLIMIT_AS``). A caller takes an idle worker, sends it the input and
waits with a deadline:

* the worker answers in time: its report (or its input error, raised again here);
* the deadline passes: the worker is killed and replaced, and the caller gets an
  INDETERMINATE report, "verification exceeded its time budget of 10 s";
* the worker runs out of memory (``MemoryError`` under its limit): it reports so and is
  replaced; the caller gets "verification exceeded its memory budget of 1 GiB". A worker
  that dies otherwise (killed by the kernel, for instance) gives a report saying so.

Other callers keep being served by the other workers meanwhile. Budget reports carry
``SIG_CONSTRAINTS_FAILURE``: the verifier's constraints on the resources one validation
may use were not met, which says nothing about the signature's validity.

Workers are started with ``spawn`` by default: a script that makes an
:class:`IsolatedVerifier` must do so under ``if __name__ == "__main__":``, as for any
``multiprocessing`` program. A spawned worker is a new interpreter that imports the
verifier again (about a second on a loaded machine), which a one-file ``docex verify``
feels. ``start_method="fork"`` imports the verifier in the calling process first and
forks the workers from it, so they start with it loaded; it is used only while the
calling process has a single thread (a child forked from a threaded process inherits
the other threads' locks in whatever state they were), and workers started later, when
threads are running, are spawned. Forked workers also inherit the trust store, loaded
once in the calling process rather than once per worker. The budget is the same either
way: the limit is set in the worker after it starts. With ``preload=False`` a forked
worker imports the verifier itself, and its parent imports none of it: for a caller with
one worker that never verifies in its own process.

``RLIMIT_AS`` needs the :mod:`resource` module (POSIX); where it is missing, workers run
without a memory limit, and the time budget still holds. The budget is what a worker may
map beyond what it maps when it starts (read from ``/proc``; absolute where that cannot
be read): a spawned worker then pays for importing the verifier within it, as before, and
a forked one is not refused its first allocation because its parent was large.

:class:`~docex.signatures.guarded.GuardedVerifier` is the in-process alternative
(``workers=0``): no process boundary and no budget, but a ``RecursionError`` or
``MemoryError`` still becomes a report. :func:`build_verifier` makes one or the other from
the settings; the names of :mod:`docex.signatures.guarded` are re-exported here.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import multiprocessing.context
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Literal

from docex.errors import InputError
from docex.outbound.policy import OutboundPolicy
from docex.signatures.guarded import (
    DEFAULT_MAX_INPUT_BYTES,
    RECURSION_MESSAGE,
    GiB,
    GuardedVerifier,
    SignatureVerifier,
    VerifierConfig,
    bounded_verifier,
    budget_report,
    memory_message,
    size_text,
    time_message,
    validation_time,
)
from docex.signatures.limits import Limits
from docex.signatures.report import ValidationReport

if TYPE_CHECKING:
    from docex.signatures.detached import ContentDigests
    from docex.signatures.trust import TrustStore
    from docex.verifier_settings import VerifierSettings

StartMethod = Literal["spawn", "fork"]
"""How worker processes are started (see the module docstring)."""

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MEMORY_BYTES = 1 * GiB
DEFAULT_WORKERS = 2
# A worker imports the verifier and loads the trust configuration before its first job;
# on a loaded machine that takes seconds. It is not part of any verification's budget.
START_TIMEOUT_SECONDS = 120.0


class WorkerStartError(RuntimeError):
    """A worker process could not build its verifier; the message says why."""


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(START_TIMEOUT_SECONDS):
            raise WorkerStartError("a verification worker did not start in time")
        try:
            kind, value = self.conn.recv()
        except EOFError as exc:
            raise WorkerStartError(
                f"a verification worker exited while starting (code {self.process.exitcode})"
            ) from exc
        if kind != "ready":
            raise _rebuilt(value)
        self.ready = True

    def stop(self, *, kill: bool) -> None:
        self.request_stop(kill=kill)
        self.wait_stopped()

    def request_stop(self, *, kill: bool) -> None:
        """Ask the worker to end (or kill it), without waiting for it to exit."""
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                self.process.kill()

    def wait_stopped(self) -> None:
        """Wait for the worker to exit (killing it after 5 s) and close the pipe."""
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class IsolatedVerifier:
    """Verifies in a pool of worker processes, each verification within a budget.

    Thread-safe: each call takes an idle worker (waiting for one if all are busy) and
    gives it back afterwards. The interface is :class:`Verifier`'s.

    :param config: what each worker's verifier is built from.
    :param workers: the number of worker processes (at least 1).
    :param timeout_seconds: the wall-clock budget of one verification, counted from the
        moment a worker has it (time spent waiting for a free worker is not counted).
    :param memory_bytes: each worker's address-space limit; ``None`` for none.
    :param start_method: ``"spawn"`` (the default, safe anywhere) or ``"fork"`` (faster
        to start: see the module docstring); ``"fork"`` falls back to spawning where the
        platform cannot fork and whenever this process runs more than one thread.
    :param preload: with ``"fork"``, import the verifier and load the trust store in this
        process first, so that every worker inherits them (several workers, or a caller
        that verifies in process too); without, each forked worker imports and loads them
        itself, as a spawned one does, and this process imports neither (one worker for
        a caller that never verifies itself: a one-file ``docex verify``). A bad trust
        configuration is raised by the constructor either way.
    :param wait: wait until every worker is ready (so that a worker's failure to start is
        raised here); without, the workers start in the background and the first
        verification given to each waits for it.
    :raises WorkerStartError: a worker could not start (its error, a bad trust
        configuration for instance, is raised again as itself where it can be).
    """

    def __init__(
        self,
        config: VerifierConfig,
        *,
        workers: int = DEFAULT_WORKERS,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        memory_bytes: int | None = DEFAULT_MEMORY_BYTES,
        wait: bool = True,
        initializer: Callable[[], None] | None = None,
        start_method: StartMethod = "spawn",
        preload: bool = True,
    ) -> None:
        if workers < 1:
            raise ValueError("an isolated verifier needs at least one worker")
        self.config = config
        self.online = config.online
        self.timeout_seconds = timeout_seconds
        self.memory_bytes = memory_bytes
        self.initializer = initializer
        # spawn by default: the parent may be a threaded server, and a forked child would
        # inherit its locks in whatever state they were.
        self._context = multiprocessing.get_context("spawn")
        self._fork: multiprocessing.context.ForkContext | None = None
        self._trust_store: TrustStore | None = None
        if start_method == "fork" and "fork" in multiprocessing.get_all_start_methods():
            self._fork = multiprocessing.get_context("fork")
            if preload:
                # What the worker would import first; in this process, so that forked
                # workers inherit it instead of importing it again.
                importlib.import_module("docex.signatures.verifier")
                # Loaded once here, not once per worker: forked workers inherit it (a
                # spawned one loads its own), and a bad trust configuration is raised
                # here as itself.
                self._trust_store = config.trust_store()
        # None, once closed: it wakes a caller waiting for a worker, who passes it on.
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.replaced = 0
        """Workers killed or lost and replaced, over this verifier's life."""
        started = [self._start() for _ in range(workers)]
        try:
            for worker in started if wait else ():
                worker.wait_ready()
        except BaseException:
            self.close()
            raise
        for worker in started:
            self._idle.put(worker)

    def _start(self) -> _Worker:
        context: multiprocessing.context.SpawnContext | multiprocessing.context.ForkContext
        context = self._context
        trust_store = None
        if self._fork is not None and threading.active_count() == 1:
            context = self._fork
            trust_store = self._trust_store
        parent, child = context.Pipe()
        process = context.Process(
            target=_worker_main,
            args=(
                child,
                self.config,
                self.memory_bytes,
                self.initializer,
                trust_store,
                context is not self._fork,
            ),
            name="docex-verify",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        with self._lock:
            self._all.discard(worker)
            closed = self._closed
        worker.stop(kill=kill)
        if not closed:
            with self._lock:
                self.replaced += 1
            self._idle.put(self._start())

    def verify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport:
        """As :meth:`Verifier.verify`, within the time and memory budget.

        :raises NotASignatureError: the bytes are not a signature at all.
        :raises InputTooLargeError: an input exceeds the configured input limit.
        """
        if self._closed:
            raise RuntimeError("the verifier is closed")
        moment = validation_time(at)
        worker = self._idle.get()
        if worker is None:
            self._idle.put(None)
            raise RuntimeError("the verifier is closed")
        keep = False
        try:
            worker.wait_ready()
            outcome = self._call(worker, (data, content, moment, content_if_detached))
            kind, value = outcome
            keep = kind in ("report", "error", "recursion")
        finally:
            if keep:
                self._idle.put(worker)
            else:
                self._retire(worker, kill=True)
        if kind == "report":
            report: ValidationReport = value
            return report
        if kind == "error":
            raise _rebuilt(value)
        message = {
            "timeout": time_message(self.timeout_seconds),
            "memory": memory_message(self.memory_bytes),
            "recursion": RECURSION_MESSAGE,
        }.get(kind)
        if message is None:
            message = (
                f"verification stopped: its worker process ended (exit code {value}), "
                f"perhaps beyond the memory budget of {size_text(self.memory_bytes)}"
                if self.memory_bytes is not None
                else f"verification stopped: its worker process ended (exit code {value})"
            )
        return budget_report(data, content=content, at=moment, message=message)

    def _call(self, worker: _Worker, request: tuple[Any, ...]) -> tuple[str, Any]:
        try:
            worker.conn.send(request)
            if not worker.conn.poll(self.timeout_seconds):
                return ("timeout", None)
            answer: tuple[str, Any] = worker.conn.recv()
            return answer
        except (EOFError, BrokenPipeError, ConnectionResetError):
            worker.process.join(5)
            return ("died", worker.process.exitcode)

    async def averify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport:
        """The coroutine form of :meth:`verify`: waits for the worker in a thread."""
        return await asyncio.to_thread(
            self.verify, data, content=content, at=at, content_if_detached=content_if_detached
        )

    def close(self) -> None:
        """Stop every worker; verifications still running get no answer."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, set()
        self._idle.put(None)
        # Every worker is asked first and waited for after, so that they exit together.
        for worker in workers:
            # A worker still starting would read the stop request only once it is ready.
            worker.request_stop(kill=not worker.ready)
        for worker in workers:
            worker.wait_stopped()

    def __enter__(self) -> IsolatedVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def verification_limits(settings: VerifierSettings) -> Limits:
    """The bounds on one verification's work that ``settings`` configure."""
    return Limits(
        max_certificates=settings.max_embedded_certificates,
        max_crls=settings.max_embedded_crls,
        max_ocsp_responses=settings.max_embedded_ocsp_responses,
        max_validation_data_bytes=settings.max_validation_data_bytes,
        max_path_length=settings.max_path_length,
        max_issuer_candidates_per_step=settings.max_issuer_candidates_per_step,
        max_issuer_candidates=settings.max_issuer_candidates,
        max_envelope_depth=settings.max_envelope_depth,
    )


def verifier_config(
    settings: VerifierSettings,
    *,
    trust: Sequence[str] | None = None,
    trusted_list_signers: Sequence[str] | None = None,
    allow_unsigned_trusted_list: bool | None = None,
    online: bool | None = None,
    max_input_bytes: int | None = None,
) -> VerifierConfig:
    """How to build the verifier ``settings`` describe; keyword arguments override them."""
    return VerifierConfig(
        trust=tuple(trust) if trust is not None else tuple(str(p) for p in settings.trust),
        trusted_list_signers=(
            tuple(trusted_list_signers)
            if trusted_list_signers is not None
            else tuple(str(p) for p in settings.trusted_list_signer)
        ),
        allow_unsigned_trusted_list=(
            settings.trusted_list_unsigned_dev_only
            if allow_unsigned_trusted_list is None
            else allow_unsigned_trusted_list
        ),
        online=settings.online_revocation if online is None else online,
        max_input_bytes=(
            max(settings.max_upload_bytes, settings.max_content_bytes)
            if max_input_bytes is None
            else max_input_bytes
        ),
        limits=verification_limits(settings),
        outbound=OutboundPolicy.from_settings(settings),
    )


def build_verifier(
    settings: VerifierSettings,
    *,
    trust: Sequence[str] | None = None,
    trusted_list_signers: Sequence[str] | None = None,
    allow_unsigned_trusted_list: bool | None = None,
    online: bool | None = None,
    max_input_bytes: int | None = None,
    workers: int | None = None,
    wait: bool = True,
    initializer: Callable[[], None] | None = None,
    start_method: StartMethod = "spawn",
    preload: bool = True,
) -> SignatureVerifier:
    """The verifier ``settings`` describe: worker processes within a budget, or in process.

    ``settings`` is ``Settings.verifier_settings`` in the service, or what
    :func:`docex.verifier_settings.read_verifier_settings` reads for the CLI (which
    does not import pydantic to read them).

    The keyword arguments override the settings of the same meaning (the CLI's flags);
    ``wait=False`` lets the worker processes start in the background; ``initializer``
    (picklable) runs first in each worker process, e.g. to set up its logging: a spawned
    worker does not inherit the parent's; ``start_method`` is :class:`IsolatedVerifier`'s.
    With ``verify_workers`` 0 the verifier runs in the calling process: no time or memory
    budget, but a recursion or memory error still gives a report (see
    :mod:`docex.signatures.isolation`).

    :raises TrustConfigError: the trust configuration cannot be loaded.
    """
    config = verifier_config(
        settings,
        trust=trust,
        trusted_list_signers=trusted_list_signers,
        allow_unsigned_trusted_list=allow_unsigned_trusted_list,
        online=online,
        max_input_bytes=max_input_bytes,
    )
    count = settings.verify_workers if workers is None else workers
    if count == 0:
        return GuardedVerifier(config)
    return IsolatedVerifier(
        config,
        workers=count,
        timeout_seconds=settings.verify_timeout_seconds,
        memory_bytes=settings.verify_memory_bytes or None,
        wait=wait,
        initializer=initializer,
        start_method=start_method,
        preload=preload,
    )


def _portable(exc: BaseException) -> tuple[type[BaseException], str, dict[str, Any]]:
    # Our exceptions take their own constructor arguments (InputTooLargeError(what,
    # limit)), which pickle cannot replay; send the class, message and attributes.
    return (type(exc), str(exc), dict(vars(exc)))


def _rebuilt(value: tuple[type[BaseException], str, dict[str, Any]]) -> BaseException:
    cls, message, attributes = value
    exc = cls.__new__(cls)
    BaseException.__init__(exc, message)
    vars(exc).update(attributes)
    return exc


def _limit_memory(memory_bytes: int | None) -> None:
    if memory_bytes is None:
        return
    try:
        import resource
    except ImportError:  # not POSIX: the time budget still holds (see the module docstring)
        return
    # On top of what the worker already maps: a worker forked from a large process (a
    # long test run, an application embedding docex) starts with its parent's address
    # space, and a limit below that would fail its first allocation.
    limit = memory_bytes + _address_space_bytes(resource.getpagesize())
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space_bytes(page_size: int) -> int:
    """This process's mapped address space (what ``RLIMIT_AS`` counts); 0 where
    ``/proc`` cannot say, which leaves the limit absolute."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * page_size
    except (OSError, ValueError, IndexError):
        return 0


def _worker_main(
    conn: Connection,
    config: VerifierConfig,
    memory_bytes: int | None,
    initializer: Callable[[], None] | None,
    trust_store: TrustStore | None = None,
    preload_pades: bool = False,
) -> None:
    """A worker's life: build the verifier once (from ``trust_store`` when its parent
    loaded it), then verify what the parent sends.

    With ``preload_pades`` (a spawned worker) the PDF side is imported at start as well.
    """
    try:
        if initializer is not None:
            initializer()
        _limit_memory(memory_bytes)
        verifier = config.build(trust_store)
        if preload_pades:
            # A spawned worker serves a long-lived pool (the API's): importing the PDF
            # side here, before "ready", keeps its ~0.2 s off the first PDF request it
            # serves. After the memory limit, as on a first PDF, so the budget counts it
            # the same. A forked worker has what its parent imported, and is the CLI's,
            # whose one-file .p7s verify never needs the PDF side (issue 12).
            importlib.import_module("docex.signatures.pades")
    except Exception as exc:
        conn.send(("failed", _portable(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            verifier.close()
            return
        data, content, at, content_if_detached = request
        try:
            report = verifier.verify(
                data, content=content, at=at, content_if_detached=content_if_detached
            )
            conn.send(("report", report))
        except MemoryError:
            # The failed allocation is gone, so this small message fits; the worker's heap
            # may be fragmented or half-updated, so it ends and the parent replaces it.
            del data, content, content_if_detached, request
            conn.send(("memory", None))
            return
        except RecursionError:
            conn.send(("recursion", None))
        except InputError as exc:
            conn.send(("error", _portable(exc)))
        except Exception as exc:
            # A bug, not a verdict: the caller gets it as an error, as it would in process.
            conn.send(("error", (RuntimeError, f"verification failed: {exc!r}", {})))


__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "DEFAULT_MEMORY_BYTES",
    "DEFAULT_TIMEOUT_SECONDS",
    "DEFAULT_WORKERS",
    "RECURSION_MESSAGE",
    "GuardedVerifier",
    "IsolatedVerifier",
    "SignatureVerifier",
    "StartMethod",
    "VerifierConfig",
    "WorkerStartError",
    "bounded_verifier",
    "budget_report",
    "build_verifier",
    "verification_limits",
    "verifier_config",
]
