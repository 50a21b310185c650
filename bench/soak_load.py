"""The soak's load: documents sent open loop at a steady rate, and the run around it that
reads memory after the warm-up and CPU from then to the end."""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from rich.console import Console

import go_heap
from soak_processes import Memory, memory_of, snapshot
from submit import Request, tree_cpu

WARMUP_SECONDS = 30.0
"""Load before the first memory snapshot: caches fill and pools open during it."""
REQUEST_TIMEOUT_SECONDS = 60.0
MAX_IN_FLIGHT = 64


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
