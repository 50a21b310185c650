"""The ASGI entry point for process managers: ``uvicorn --factory docex.asgi:app_factory``.

``docex serve --workers N`` hands this to uvicorn, which calls it once in every worker
process; nothing is built when the module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def app_factory() -> FastAPI:
    """The API, configured from the environment (``DOCEX_*``) of the calling process."""
    from docex.api.app import create_app
    from docex.settings import load_settings

    return create_app(load_settings())
