"""The docex API for ``uvicorn --factory app_factory:make_app``, configured like production.

Settings come from the ``DOCEX_*`` environment variables (``load_settings()``), as in a
deployment. With ``BENCH_PROFILE_OUT=<file>`` set (the benchmark's ``--profile`` run, one
worker), the process profiles itself: the event-loop thread and every thread started
later (the thread pool that verifies and writes) each get a ``cProfile`` profiler that
counts thread CPU time, not wall time, so a thread waiting on a socket costs nothing. At
shutdown the profiles are merged into ``<file>`` (``pstats`` format).
"""

from __future__ import annotations

import cProfile
import inspect
import os
import pstats
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from fastapi import FastAPI

from docex.api.app import create_app
from docex.settings import load_settings

PROFILE_ENV = "BENCH_PROFILE_OUT"


def make_app() -> FastAPI:
    """The application for this worker process."""
    # --before serves an older src/, whose create_app may not freeze its heap yet.
    freezes = "freeze_heap" in inspect.signature(create_app).parameters
    options: dict[str, Any] = {"freeze_heap": True} if freezes else {}
    app = create_app(load_settings(), **options)
    if out := os.environ.get(PROFILE_ENV):
        dump = _profile_every_thread(out)
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[Any]:
            async with inner(app) as state:
                yield state
            # Here rather than at exit: uvicorn re-raises SIGTERM once it has shut down,
            # and the process dies of it without running atexit handlers.
            dump()

        app.router.lifespan_context = lifespan
    return app


def _profile_every_thread(out: str) -> Callable[[], None]:
    profilers: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start() -> None:
        profiler = cProfile.Profile(time.thread_time)
        with lock:
            profilers.append(profiler)
        profiler.enable()

    def in_new_thread(_frame: FrameType, _event: str, _arg: Any) -> None:
        # Called once in each new thread; cProfile then replaces this hook there.
        sys.setprofile(None)
        start()

    def dump() -> None:
        merged: pstats.Stats | None = None
        with lock:
            for profiler in profilers:
                try:
                    stats = pstats.Stats(profiler)
                except TypeError:  # a thread that never ran Python code
                    continue
                merged = stats if merged is None else merged.add(stats)
        if merged is not None:
            merged.dump_stats(out)

    threading.setprofile(in_new_thread)
    start()  # this thread: uvicorn builds the app in the event loop's thread
    return dump
