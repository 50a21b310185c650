"""The auditor's web workbench, served by the API process under ``/ui``.

:func:`install` adds the pages (:mod:`docex.api.ui.routes`), their static files, and the
API documentation pages (``/docs``, ``/redoc``) on locally served assets: nothing a page
loads comes from another host, so they work on a closed network.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from docex.api.ui import docs, routes

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the workbench and the offline API documentation on ``app``.

    ``app`` must be built with ``docs_url=None, redoc_url=None``: these pages replace
    FastAPI's, which load Swagger UI and ReDoc from a CDN.
    """
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(routes.router)
    routes.install_handlers(app)
    docs.install(app)
