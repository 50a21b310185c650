"""``docex audit``: check the audit chain, checkpoint it, export it as JSON Lines.

``verify`` checks the database (or, with ``--file``, an export someone handed you) and
exits 0 if every chain of the log is intact, 1 with ``chain C: first broken link: entry N:
reason`` on stderr for each broken chain if not. With a checkpoint key configured it also
compares every chain with its position in the latest checkpoint in the object store, after
checking the checkpoint's signature and time-stamp, and exits 1 with ``audit chain C
truncated``, ``audit chain C all deleted`` or ``audit chain C rewritten`` for each chain
that is shorter or different. ``checkpoint`` takes such a checkpoint.
``export`` writes one canonical JSON entry per line, hashes included, so that the
file can be re-checked offline. None of them adds to the log.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from docex.cli.context import AdminContext, admin_context, reporting_errors
from docex.cli.exit_codes import ExitCode
from docex.cli.help import HelpGroup

if TYPE_CHECKING:
    from docex.audit.checkpoints import PublicKey
    from docex.audit.verify import LogVerdict
    from docex.services.audit_checkpoint import AnchoredVerdict

app = HelpGroup(
    name="audit", help="Check and export the tamper-evident audit trail.", no_args_is_help=True
)

# Counting the entries first costs a query; below this a bar would only flicker.
PROGRESS_THRESHOLD = 10_000


@app.command("verify")
@click.option(
    "--file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check this JSON Lines export instead of the database.",
)
@click.option(
    "--partial",
    is_flag=True,
    help="With --file: the export starts mid-chain (made with --since).",
)
@click.option(
    "--anchor",
    help="A head hash printed by an earlier check; it must still be in the chain.",
)
@click.option(
    "--require-checkpoint",
    is_flag=True,
    help=(
        "Fail if no checkpoint is stored (once checkpoints are taken, their "
        "absence means they were deleted)."
    ),
)
def verify(file: Path | None, partial: bool, anchor: str | None, require_checkpoint: bool) -> None:
    """Check every entry's hash and its link to the entry before it.

    Exit status 0 if the chain is intact, 1 if it is broken (the first broken link is
    reported on stderr); other errors as for every command.
    """
    from docex.audit.chain import GENESIS_HASH
    from docex.audit.export import verify_export
    from docex.errors import InputError, SettingsError
    from docex.services.audit_chain import verify_audit_chain

    if partial and file is None:
        with reporting_errors():
            raise InputError("--partial applies to --file only")
    if require_checkpoint and file is not None:
        with reporting_errors():
            raise InputError("--require-checkpoint applies to the database, not to --file")
    if file is not None:
        with reporting_errors():
            try:
                with file.open(encoding="utf-8") as lines:
                    start = None if partial else GENESIS_HASH
                    verdict = verify_export(lines, start_hash=start, anchor=anchor)
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read {file}: {exc}") from exc
    else:
        from docex.services.audit_checkpoint import checkpoint_public_key

        with admin_context() as admin:
            public_key = checkpoint_public_key(admin.settings)
            if public_key is not None:
                _report_anchored(
                    _verify_anchored(admin, public_key, anchor),
                    require_checkpoint=require_checkpoint,
                )
                return
            if require_checkpoint:
                raise SettingsError(
                    "--require-checkpoint needs DOCEX_AUDIT_CHECKPOINT_PUBLIC_KEY "
                    "or DOCEX_AUDIT_CHECKPOINT_KEY"
                )
            verdict = verify_audit_chain(sessions=admin.sessions, anchor=anchor)
    _report(verdict)


def _verify_anchored(
    admin: AdminContext, public_key: PublicKey, anchor: str | None
) -> AnchoredVerdict:
    from docex.outbound.policy import OutboundPolicy
    from docex.services.audit_checkpoint import verify_with_checkpoint
    from docex.signatures.trust import load_trust_store

    settings = admin.settings
    tsa_trust = load_trust_store(
        list(settings.trust),
        trusted_list_signers=settings.trusted_list_signer,
        allow_unsigned_trusted_list=settings.trusted_list_unsigned_dev_only,
    )
    return verify_with_checkpoint(
        sessions=admin.sessions,
        store=admin.store,
        public_key=public_key,
        tsa_trust=tsa_trust,
        anchor=anchor,
        outbound=OutboundPolicy.from_settings(settings),
    )


def _report_anchored(verdict: AnchoredVerdict, *, require_checkpoint: bool) -> None:
    if verdict.checkpoint_problem is not None:
        which = (
            "the latest checkpoint"
            if verdict.checkpoint_key is None
            else f"checkpoint {verdict.checkpoint_key}"
        )
        click.echo(
            f"docex audit verify: {which} cannot be relied on: {verdict.checkpoint_problem}",
            err=True,
        )
        raise click.exceptions.Exit(int(ExitCode.FAILED))
    chain = verdict.chain
    departed = [broken for broken in chain.broken if broken.finding is not None]
    for broken in departed:
        click.echo(
            f"docex audit verify: audit chain {broken.chain} {broken.finding}: {broken.reason}",
            err=True,
        )
    if departed:
        raise click.exceptions.Exit(int(ExitCode.FAILED))
    if verdict.checkpoint is None:
        if require_checkpoint:
            click.echo("docex audit verify: no checkpoint under checkpoints/audit/", err=True)
            raise click.exceptions.Exit(int(ExitCode.FAILED))
        click.echo(
            "docex audit verify: no checkpoint taken yet; checking the chain alone", err=True
        )
    _report(chain)
    if verdict.checkpoint is not None and verdict.timestamp_time is not None:
        click.echo(
            f"agrees with checkpoint {verdict.checkpoint_key}: {verdict.checkpoint.count} "
            f"entries in {_chains(len(verdict.checkpoint.chains))}, time-stamped "
            f"{verdict.timestamp_time.isoformat()}"
        )


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign and time-stamp every chain's head and store them under checkpoints/audit/.

    Needs DOCEX_AUDIT_CHECKPOINT_KEY and DOCEX_AUDIT_CHECKPOINT_TSA_URL. Prints the object
    key, the count, the number of chains and their Merkle root.
    """
    from docex.errors import SettingsError
    from docex.services.audit_checkpoint import checkpoint_signing_key, take_checkpoint

    with admin_context() as admin:
        settings = admin.settings
        if settings.audit_checkpoint_tsa_url is None:
            raise SettingsError("no time-stamping authority: set DOCEX_AUDIT_CHECKPOINT_TSA_URL")
        key, signed = take_checkpoint(
            sessions=admin.sessions,
            store=admin.store,
            key=checkpoint_signing_key(settings),
            tsa_url=settings.audit_checkpoint_tsa_url,
            tsa_timeout=settings.audit_checkpoint_tsa_timeout_seconds,
            retention_days=settings.audit_checkpoint_retention_days,
        )
    click.echo(
        f"checkpoint {key}: {signed.checkpoint.count} entries in "
        f"{_chains(len(signed.checkpoint.chains))}; Merkle root {signed.checkpoint.root}"
    )


def _chains(count: int) -> str:
    return "1 chain" if count == 1 else f"{count} chains"


def _report(verdict: LogVerdict) -> None:
    if verdict.ok:
        click.echo(
            f"audit chain intact: {verdict.entries_checked} entries in "
            f"{_chains(len(verdict.chains))}; head hash {verdict.head_hash}"
        )
        return
    for broken in verdict.broken:
        if broken.first_broken_id is not None:
            message = f"first broken link: entry {broken.first_broken_id}: {broken.reason}"
        else:
            message = f"audit chain broken: {broken.reason}"
        click.echo(f"docex audit verify: chain {broken.chain}: {message}", err=True)
    if verdict.anchor_problem is not None:
        click.echo(f"docex audit verify: audit chain broken: {verdict.anchor_problem}", err=True)
    raise click.exceptions.Exit(int(ExitCode.FAILED))


@app.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option("--since", help="Only entries from this moment (ISO 8601; without an offset, UTC).")
def export(output: Path | None, since: str | None) -> None:
    """Write the audit trail as JSON Lines, oldest first, hashes included."""
    from docex.cli.render import progress_bar
    from docex.errors import InputError
    from docex.services.audit_chain import export_audit_trail

    with reporting_errors():
        start = _parse_since(since) if since is not None else None
    with admin_context() as admin, ExitStack() as stack:
        # The database first: a stale schema is reported before an output file is made.
        sessions = admin.sessions
        out: TextIO = sys.stdout
        if output is not None:
            try:
                out = stack.enter_context(output.open("w", encoding="utf-8", newline="\n"))
            except OSError as exc:
                raise InputError(f"cannot write {output}: {exc}") from exc
        written = export_audit_trail(
            sessions=sessions,
            out=out,
            since=start,
            progress=lambda total: progress_bar(
                total=total, enabled=total >= PROGRESS_THRESHOLD, label="exporting"
            ),
        )
    if output is not None:
        click.echo(f"docex: exported {written} audit entries to {output}", err=True)


def _parse_since(value: str) -> datetime:
    from docex.errors import InputError

    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"--since {value!r} is not an ISO 8601 date or time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
