"""The ``docex`` command: a Click group; each command or command group lives in its own
module, imported only when it runs (issue 12: a one-file ``docex verify`` starts fast)."""

from __future__ import annotations

import gc
import importlib
from typing import Any, NamedTuple

import click

from docex import __version__
from docex.cli.exit_codes import ExitCode
from docex.cli.help import CONTEXT_SETTINGS, HelpGroup, write_commands


class Entry(NamedTuple):
    """Where a command of the root group is defined, and its line in ``docex --help``."""

    module: str
    attribute: str
    """The ``click.Command`` (or ``click.Group``) in ``module``."""
    summary: str
    """The command's one-line help, listed without importing ``module``;
    tests/cli/test_lazy_commands.py checks it against the command's own."""


COMMANDS: dict[str, Entry] = {
    "verify": Entry(
        "docex.cli.verify",
        "verify_command",
        "Verify CAdES (.p7s) and PAdES (.pdf) signatures and print a verdict per file.",
    ),
    "serve": Entry(
        "docex.cli.serve", "serve", "Serve the HTTP API; the OpenAPI documentation is at /docs."
    ),
    "demo-seed": Entry(
        "docex.cli.demo",
        "demo_seed",
        "[development only] Seed the dev PKI's facilities, doctors and demo API tokens.",
    ),
    "dev-pki": Entry(
        "docex.cli.devpki",
        "dev_pki",
        "[development only] Regenerate the development PKI, trusted lists and samples.",
    ),
    "facility": Entry("docex.cli.facility", "app", "Register, list and deactivate facilities."),
    "employee": Entry(
        "docex.cli.employee", "app", "Register, list and deactivate the employees of facilities."
    ),
    "token": Entry("docex.cli.token", "app", "Issue, rotate, list and revoke API tokens."),
    "db": Entry("docex.cli.db", "app", "Migrate the configured database."),
    "sign": Entry(
        "docex.cli.sign",
        "app",
        "[development only] Sign a referral, result, recall, cancel, receipt, manifest or "
        "any FILE with a dev PKI key.",
    ),
    "storage": Entry("docex.cli.storage", "app", "Object store maintenance."),
    "referrals": Entry("docex.cli.referrals", "app", "Referral housekeeping."),
    "webhooks": Entry("docex.cli.webhooks", "app", "Send webhook events to facilities."),
    "audit": Entry("docex.cli.audit", "app", "Check and export the tamper-evident audit trail."),
}
"""Every command and command group by name, in the order ``docex --help`` lists them."""


class DocexGroup(HelpGroup):
    """The root group: commands load lazily; usage errors exit with ``ExitCode.USAGE``.

    Click's "lazy group": :meth:`list_commands` and :meth:`get_command` read
    :data:`COMMANDS`, so only the command that runs is imported and built, and
    ``docex --help`` lists every command from the table without importing one.

    Click exits 2 on a usage error, which for ``docex verify`` means INDETERMINATE; a
    script must not mistake a typo for a verdict.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, in :data:`COMMANDS`' order, without loading one."""
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, imported and built the first time it is asked for."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(_load(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command ``args`` name; a mistyped name is refused with suggestions."""
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            # Click suggests from the commands built so far, which here is none of them.
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with the summaries of :data:`COMMANDS`; none is imported."""
        rows = [(name, entry.summary) for name, entry in COMMANDS.items()]
        write_commands(formatter, rows)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse the root's own arguments; a usage error exits with ``ExitCode.USAGE``."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            _exit_as_usage(exc)
            raise

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a usage error in it or its subcommands exits with
        ``ExitCode.USAGE``."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            _exit_as_usage(exc)
            raise


def _exit_as_usage(exc: click.UsageError) -> None:
    # exit_code is a class variable of Click's exceptions; shadow it on this instance.
    vars(exc)["exit_code"] = int(ExitCode.USAGE)


def _load(name: str) -> click.Command:
    entry = COMMANDS[name]
    command = getattr(importlib.import_module(entry.module), entry.attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{entry.module}.{entry.attribute} is not a Click command")
    return command


@click.group(
    "docex",
    cls=DocexGroup,
    help="Qualified-signature gate and document exchange.",
    no_args_is_help=True,
    context_settings=CONTEXT_SETTINGS,
)
@click.version_option(
    __version__,
    "--version",
    prog_name="docex",
    message="%(prog)s %(version)s",
    help="Show the version and exit.",
)
def app() -> None:
    """docex: verify qualified electronic signatures and exchange signed documents."""


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    finally:
        # The process ends here. Python's finalization would run the cyclic garbage
        # collector over everything still alive, which after a verify is the libraries'
        # whole heap: 50-60 ms of CPU, a tenth of a one-file verify (issue 12). Frozen,
        # those objects are left to the exit; only cyclic garbage made before it goes
        # uncollected, whose finalizers Python does not promise to run at exit anyway.
        # Every command closes what it opens itself (files, databases, workers).
        gc.freeze()
