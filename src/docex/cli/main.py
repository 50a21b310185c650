"""The ``docex`` Typer application; each command group lives in its own module."""

from __future__ import annotations

import typer

from docex import __version__
from docex.cli import devpki, storage, verify

app = typer.Typer(
    name="docex",
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
app.command("dev-pki")(devpki.dev_pki)
app.command("sign")(devpki.sign)
app.add_typer(storage.app, name="storage")


def run() -> None:
    """Console-script entry point."""
    app()
