"""``docex audit``: check the audit chain, export it as JSON Lines.

``verify`` checks the database (or, with ``--file``, an export someone handed you) and
exits 0 if the chain is intact, 1 with ``first broken link: entry N: reason`` on stderr
if not. ``export`` writes one canonical JSON entry per line, hashes included, so that the
file can be re-checked offline. Both only read: neither adds to the log.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from docex.cli.context import admin_context, reporting_errors
from docex.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from docex.audit.verify import ChainVerdict

app = typer.Typer(
    name="audit", help="Check and export the tamper-evident audit trail.", no_args_is_help=True
)

# Counting the entries first costs a query; below this a bar would only flicker.
PROGRESS_THRESHOLD = 10_000


@app.command("verify")
def verify(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            dir_okay=False,
            help="Check this JSON Lines export instead of the database.",
        ),
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="With --file: the export starts mid-chain (made with --since).",
        ),
    ] = False,
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="A head hash printed by an earlier check; it must still be in the chain.",
        ),
    ] = None,
) -> None:
    """Check every entry's hash and its link to the entry before it.

    Exit status 0 if the chain is intact, 1 if it is broken (the first broken link is
    reported on stderr); other errors as for every command.
    """
    from docex.audit.chain import GENESIS_HASH
    from docex.audit.export import verify_export
    from docex.audit.verify import verify_chain
    from docex.errors import InputError

    if partial and file is None:
        with reporting_errors():
            raise InputError("--partial applies to --file only")
    if file is not None:
        with reporting_errors():
            try:
                with file.open(encoding="utf-8") as lines:
                    start = None if partial else GENESIS_HASH
                    verdict = verify_export(lines, start_hash=start, anchor=anchor)
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read {file}: {exc}") from exc
    else:
        with admin_context() as admin, admin.unit_of_work() as session:
            verdict = verify_chain(session, anchor=anchor)
    _report(verdict)


def _report(verdict: ChainVerdict) -> None:
    if verdict.ok:
        typer.echo(
            f"audit chain intact: {verdict.entries_checked} entries; head hash {verdict.head_hash}"
        )
        return
    if verdict.first_broken_id is not None:
        message = f"first broken link: entry {verdict.first_broken_id}: {verdict.reason}"
    else:
        message = f"audit chain broken: {verdict.reason}"
    typer.echo(f"docex audit verify: {message}", err=True)
    raise typer.Exit(int(ExitCode.FAILED))


@app.command("export")
def export(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", dir_okay=False, help="Write to this file instead of stdout."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only entries from this moment (ISO 8601; without an offset, UTC).",
        ),
    ] = None,
) -> None:
    """Write the audit trail as JSON Lines, oldest first, hashes included."""
    from sqlalchemy import func, select

    from docex.audit.export import write_export
    from docex.cli.render import progress_bar
    from docex.db.audit import AuditEntry
    from docex.errors import InputError

    with reporting_errors():
        start = _parse_since(since) if since is not None else None
    with admin_context() as admin, admin.unit_of_work() as session, ExitStack() as stack:
        out: TextIO = sys.stdout
        if output is not None:
            try:
                out = stack.enter_context(output.open("w", encoding="utf-8", newline="\n"))
            except OSError as exc:
                raise InputError(f"cannot write {output}: {exc}") from exc
        counting = select(func.count()).select_from(AuditEntry)
        if start is not None:
            counting = counting.where(AuditEntry.created_at >= start)
        total = session.scalar(counting) or 0
        with progress_bar(
            total=total, enabled=total >= PROGRESS_THRESHOLD, label="exporting"
        ) as advance:
            written = write_export(session, out, since=start, progress=lambda _: advance())
    if output is not None:
        typer.echo(f"docex: exported {written} audit entries to {output}", err=True)


def _parse_since(value: str) -> datetime:
    from docex.errors import InputError

    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"--since {value!r} is not an ISO 8601 date or time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
