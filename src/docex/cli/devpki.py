"""``docex dev-pki``: regenerate the development PKI (``docex sign`` is in :mod:`.sign`).

Heavy libraries (pyHanko, certomancer) are imported inside the commands so that
``docex --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from docex.cli.exit_codes import ExitCode
from docex.errors import DocexError


@click.command("dev-pki")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("certs-dev"),
    help="Directory to write the development PKI into.",
)
def dev_pki(out: Path) -> None:
    """[development only] Regenerate the development PKI, trusted lists and samples.

    Writes certs-dev/ (or --out): trust anchors, certificates, keys, CRLs, trusted lists,
    signed samples and a README. Never trust any of it outside development.
    """
    from docex.devpki.generate import generate

    try:
        written = generate(out)
    except (DocexError, OSError) as exc:
        _fail(exc)
    click.echo(f"wrote {len(written)} files under {out} (DEVELOPMENT ONLY, never trust them)")


def _fail(exc: Exception) -> NoReturn:
    # One line, no traceback: these are usage problems, not bugs.
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = f"{exc.filename}: " if isinstance(exc, OSError) and exc.filename else ""
    click.echo(f"docex: error: {where}{detail}", err=True)
    raise click.exceptions.Exit(ExitCode.USAGE)
