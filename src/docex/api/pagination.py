"""The page parameters every listing route takes: ``cursor`` and ``limit``.

One dependency (:func:`page_parameters`) declares them, so every listing documents and
bounds them the same way; each listing gives its own default and largest page.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the parameters'
# annotations at runtime, and they refer to the closure's ``default`` and ``maximum``,
# which a string annotation evaluated in the module's globals could not see.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Query

from docex.db.pagination import PageRequest

CURSOR_MAX_LENGTH = 500
"""Longer than any cursor docex makes; a longer one is refused before it is decoded."""


def page_parameters(*, default: int, maximum: int) -> Callable[..., Awaitable[PageRequest]]:
    """A FastAPI dependency reading ``cursor`` and ``limit`` (1 to ``maximum``, ``default``).

    ``async`` as every dependency that does no I/O: FastAPI runs a plain ``def`` one in its
    thread pool, a hop to another thread and back for two assignments.
    """

    async def page(
        cursor: Annotated[
            str | None,
            Query(
                max_length=CURSOR_MAX_LENGTH,
                description="The previous page's `next_cursor`; the first page without one.",
            ),
        ] = None,
        limit: Annotated[
            int, Query(ge=1, le=maximum, description="How many items a page holds at most.")
        ] = default,
    ) -> PageRequest:
        return PageRequest(cursor=cursor, limit=limit)

    return page
