"""The ASGI entry point for process managers: ``uvicorn --factory docex.asgi:app_factory``.

``docex serve --workers N`` hands this to uvicorn, which calls it once in every worker
process; nothing is built when the module is imported.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def app_factory() -> FastAPI:
    """The API, configured from the environment (``DOCEX_*``) of the calling process.

    A bad configuration ends the process with one line on stderr naming the setting
    (``docex: configuration error: DOCEX_TRUST=/nope: no such file or directory``) and
    the usage exit status (3), rather than a traceback from inside the server.
    """
    from docex.api.app import check_configuration, create_app
    from docex.cli.exit_codes import ExitCode
    from docex.cli.serve import configuration_error_line
    from docex.errors import ConfigurationError
    from docex.settings import load_settings

    try:
        settings = load_settings()
        check_configuration(settings)
    except ConfigurationError as exc:
        print(configuration_error_line(exc), file=sys.stderr)
        raise SystemExit(int(ExitCode.USAGE)) from None
    return create_app(settings, freeze_heap=True)
