"""No route's dependency is a plain ``def``: FastAPI runs one of those in its thread pool,
a hop to another thread and back on every request for what needs no I/O (issue 14). The
blocking work (the token check, the submission) is handed to the pool explicitly."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from docex.api.app import create_app
from docex.settings import Settings


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _runs_on_the_event_loop(call: Callable[..., Any]) -> bool:
    # A security scheme (HTTPBearer) is an instance with an async __call__.
    function = call if inspect.isfunction(call) else type(call).__call__
    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


def test_every_dependency_of_every_route_runs_on_the_event_loop() -> None:
    app = create_app(Settings())
    seen: dict[str, Callable[..., Any]] = {}
    for context in iter_route_contexts(list(app.routes)):
        route = context.original_route
        if isinstance(route, APIRoute):
            for call in _calls(route.dependant):
                seen[getattr(call, "__qualname__", type(call).__qualname__)] = call
    # The walk found the dependencies (the contract's, the runtime, the token check, the
    # pages' parameters, the workbench's session): a broken walk would pass vacuously.
    assert {"get_runtime", "get_token_use", "check_request_contract", "_page"} <= set(seen)
    assert any(name.startswith("page_parameters.") for name in seen)
    plain = sorted(name for name, call in seen.items() if not _runs_on_the_event_loop(call))
    assert plain == []
