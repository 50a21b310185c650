"""``docex serve``: run the HTTP API under uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from docex.cli.context import reporting_errors
from docex.cli.exit_codes import ExitCode
from docex.errors import ConfigurationError

# Shown instead of a wildcard address, which is where the server listens, not where a
# browser can reach it.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}  # noqa: S104  # names, not a bind


@contextmanager
def reporting_configuration_errors() -> Iterator[None]:
    """End the start on a ``ConfigurationError`` with one line naming each bad setting
    (``docex: configuration error: DOCEX_TRUST=/nope: no such file or directory``) and
    the usage exit status; no traceback."""
    try:
        yield
    except ConfigurationError as exc:
        click.echo(configuration_error_line(exc), err=True)
        raise click.exceptions.Exit(int(ExitCode.USAGE)) from None


def configuration_error_line(exc: ConfigurationError) -> str:
    """The one line a start-up prints for a bad configuration."""
    return "docex: configuration error: " + "; ".join(exc.problems)


def base_url(host: str, port: int) -> str:
    """The URL a person on this machine opens to reach a server bound to host:port."""
    shown = _WILDCARDS.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@click.command("serve")
@click.option("--host", help="Address to listen on [default: DOCEX_HOST].")
@click.option("--port", type=int, help="Port to listen on [default: DOCEX_PORT].")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    help="Worker processes (stateless; share nothing).",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the HTTP API; the OpenAPI documentation is at /docs.

    Configuration comes from DOCEX_* environment variables. The embedded SQLite database
    is migrated on start; any other must have been migrated with `docex db upgrade`.
    """
    import uvicorn

    from docex.api.app import check_configuration
    from docex.composition import open_database
    from docex.settings import load_settings

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    with reporting_errors(), reporting_configuration_errors():
        settings = load_settings(**overrides)
        check_configuration(settings)
        # Migrating here, once, keeps several SQLite workers from racing to migrate in
        # their lifespans; elsewhere a stale schema stops the start with a clear message
        # rather than failing requests.
        open_database(settings).dispose()
    url = base_url(settings.host, settings.port)
    click.echo(f"docex: serving {url} with {workers} worker(s); OpenAPI docs at {url}/docs")
    if workers == 1:
        from docex.api.app import create_app

        uvicorn.run(create_app(settings, freeze_heap=True), host=settings.host, port=settings.port)
    else:
        # Each worker process builds its own app from the environment it inherits; the
        # --host and --port given here are uvicorn's business, not the app's.
        uvicorn.run(
            "docex.asgi:app_factory",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
        )
