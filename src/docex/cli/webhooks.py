"""``docex webhooks``: send the outbox's webhook events from the command line.

The API's workers dispatch on their own (``DOCEX_WEBHOOKS_ENABLED``, on by default);
``docex webhooks dispatch`` is for deployments that turn that off and run a dispatcher
beside them, and ``--once`` for a cron job or a person flushing the queue by hand. Any
number of dispatchers may run at once: each event is leased to one of them at a time.
"""

from __future__ import annotations

import click

from docex.cli.context import admin_context
from docex.cli.help import HelpGroup

app = HelpGroup(name="webhooks", help="Send webhook events to facilities.", no_args_is_help=True)


@app.command("dispatch")
@click.option("--once", is_flag=True, help="Send what is due now, print the totals and exit.")
def dispatch(once: bool) -> None:
    """Send due webhook events; without --once, keep doing so until interrupted."""
    import signal
    import threading

    from docex.composition import webhook_dispatcher

    with admin_context() as admin, webhook_dispatcher(admin.sessions, admin.settings) as dispatcher:
        if once:
            stats = dispatcher.drain()
            click.echo(
                f"webhooks: {stats.delivered} delivered, {stats.failed} to retry, {stats.dead} dead"
            )
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        click.echo("docex: dispatching webhook events; Ctrl-C stops", err=True)
        dispatcher.run_forever(stop)
