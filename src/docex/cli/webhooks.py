"""``docex webhooks``: send the outbox's webhook events from the command line.

The API's workers dispatch on their own (``DOCEX_WEBHOOKS_ENABLED``, on by default);
``docex webhooks dispatch`` is for deployments that turn that off and run a dispatcher
beside them, and ``--once`` for a cron job or a person flushing the queue by hand. Any
number of dispatchers may run at once: each event is leased to one of them at a time.
"""

from __future__ import annotations

from typing import Annotated

import typer

from docex.cli.context import admin_context

app = typer.Typer(name="webhooks", help="Send webhook events to facilities.", no_args_is_help=True)


@app.command("dispatch")
def dispatch(
    once: Annotated[
        bool,
        typer.Option("--once", help="Send what is due now, print the totals and exit."),
    ] = False,
) -> None:
    """Send due webhook events; without --once, keep doing so until interrupted."""
    import signal
    import threading

    from docex.db.engine import session_factory
    from docex.webhooks.dispatcher import Dispatcher, RetryPolicy
    from docex.webhooks.transport import HttpxTransport

    with admin_context() as admin:
        transport = HttpxTransport()
        try:
            dispatcher = Dispatcher(
                session_factory(admin.engine),
                transport=transport,
                policy=RetryPolicy.from_settings(admin.settings),
            )
            if once:
                stats = dispatcher.drain()
                typer.echo(
                    f"webhooks: {stats.delivered} delivered, {stats.failed} to retry, "
                    f"{stats.dead} dead"
                )
                return
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            typer.echo("docex: dispatching webhook events; Ctrl-C stops", err=True)
            dispatcher.run_forever(stop)
        finally:
            transport.close()
