"""The ``docex`` Typer application; each command group lives in its own module."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from docex import __version__
from docex.cli import (
    audit,
    db,
    demo,
    devpki,
    employee,
    facility,
    referrals,
    serve,
    sign,
    storage,
    token,
    verify,
    webhooks,
)
from docex.cli.exit_codes import ExitCode
from docex.cli.help import readable_help

# Click's UsageError, the base of every parse error. Typer vendors Click in recent
# releases and used it directly before; BadParameter derives from UsageError in both.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]


class _DocexGroup(TyperGroup):
    """The root group: usage errors exit with ``ExitCode.USAGE``.

    Click exits 2 on a usage error, which for ``docex verify`` means INDETERMINATE; a
    script must not mistake a typo for a verdict.
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        # Before parsing: --help is printed while the arguments are parsed.
        readable_help(self, self.context_class(self, info_name=info_name, parent=parent))
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except _UsageError as exc:
            _set_usage_status(exc)
            raise
        return ctx

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _UsageError as exc:
            _set_usage_status(exc)
            raise


def _set_usage_status(exc: Exception) -> None:
    # exit_code is a class attribute of Click's exceptions; shadow it on this instance.
    vars(exc)["exit_code"] = int(ExitCode.USAGE)


app = typer.Typer(
    name="docex",
    cls=_DocexGroup,
    help="Qualified-signature gate and document exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"docex {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """docex: verify qualified electronic signatures and exchange signed documents."""


app.command("verify")(verify.verify_command)
app.command("serve")(serve.serve)
app.add_typer(facility.app)
app.add_typer(employee.app)
app.add_typer(token.app)
app.add_typer(db.app)
app.command("demo-seed")(demo.demo_seed)
app.command("dev-pki")(devpki.dev_pki)
app.add_typer(sign.app, name="sign")
app.add_typer(storage.app, name="storage")
app.add_typer(referrals.app)
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(audit.app)


def run() -> None:
    """Console-script entry point."""
    app()
