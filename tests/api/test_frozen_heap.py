"""A server process freezes its start-up heap (issue 14): the garbage collector's full
collections no longer walk the modules, schema, trust store and caches every worker keeps
for its whole life. A test's app, sharing the test process, leaves the collector alone."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from docex.asgi import app_factory
from docex.settings import Settings
from tests.api.conftest import REPO, runtime_for, serve, serve_app
from tests.conftest import Backend


class _Node:
    next: _Node | None = None


@pytest.fixture
def thawed() -> Iterator[None]:
    """Each test starts and must end with nothing frozen."""
    assert gc.get_freeze_count() == 0
    yield
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("thawed")
def test_a_server_freezes_what_start_up_left_and_thaws_at_shutdown(
    backend: Backend, api_settings: Settings
) -> None:
    runtime = runtime_for(backend, api_settings)
    with runtime.verifier, serve(api_settings, runtime, freeze_heap=True) as url:
        # Frozen: the start-up objects (at least every module object and the app itself).
        assert gc.get_freeze_count() > 10_000
        assert httpx.get(f"{url}/readyz").status_code == 200
        # Collections still run, over what came after the freeze: a cycle made now goes.
        cycle = _Node()
        cycle.next = cycle
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None
        assert gc.get_freeze_count() > 10_000
    # uvicorn's shutdown ran the lifespan's exit: nothing is left frozen.
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("thawed")
def test_an_app_built_without_freezing_leaves_the_collector_alone(
    backend: Backend, api_settings: Settings
) -> None:
    runtime = runtime_for(backend, api_settings)
    with runtime.verifier, serve(api_settings, runtime) as url:
        assert httpx.get(f"{url}/readyz").status_code == 200
        assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("thawed")
def test_the_process_managers_entry_point_freezes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCEX_DATABASE_URL", f"sqlite:///{tmp_path / 'docex.db'}")
    monkeypatch.setenv("DOCEX_OBJECT_STORE", f"local:{tmp_path / 'objects'}")
    monkeypatch.setenv("DOCEX_TRUST", str(REPO / "certs-dev" / "trust"))
    # `uvicorn --factory docex.asgi:app_factory` (docex serve --workers N) calls this in
    # every worker; the lifespan runs when the worker starts serving.
    with serve_app(app_factory()) as url:
        assert httpx.get(f"{url}/readyz").status_code == 200
        assert gc.get_freeze_count() > 10_000
