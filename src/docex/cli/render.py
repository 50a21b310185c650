"""How ``docex`` shows results: coloured text for people, JSON lines for programs."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

# rich is imported only to draw a progress bar: the text is coloured with Click's ANSI
# styles, and JSON and XML output need neither (issue 12: a fast start).
if TYPE_CHECKING:
    from rich.console import Console

    from docex.cli.verify import FileResult
    from docex.signatures.report import SignatureReport


def stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def _bold(text: str, colour: str | None = None) -> str:
    return click.style(text, fg=colour, bold=True)


def _coloured(text: str, colour: str) -> str:
    return click.style(text, fg=colour)


_VERDICT_COLOUR = {
    "TOTAL_PASSED": "green",
    "INDETERMINATE": "yellow",
    "TOTAL_FAILED": "red",
}


_OUTCOME = {"passed": _coloured("passed", "green"), "failed": _coloured("FAILED", "red")}
_OUTCOME_DEFAULT = _coloured("indeterminate", "yellow")
# The detailed sections, and which checks each one shows (in the order they ran).
_SECTIONS = (
    (
        "Integrity",
        (
            "format",
            "byte_range",
            "signing_certificate",
            "message_digest",
            "signature_value",
            "byte_range_digest",
            "algorithms",
        ),
    ),
    ("Time", ("timestamps", "signing_time")),
    ("Modifications", ("modifications",)),
    ("Certificate and revocation", ("certificate_path", "revocation", "key_usage")),
    ("Qualification", ("qualification",)),
)


class _Text:
    """Lines for stdout, in colour only where colour is wanted.

    ``click.echo`` drops the styles when stdout is not a terminal; NO_COLOR (any value)
    turns them off and FORCE_COLOR on, the conventions rich followed here before.
    """

    def __init__(self) -> None:
        self._colour: bool | None = None
        if os.environ.get("NO_COLOR"):
            self._colour = False
        elif os.environ.get("FORCE_COLOR"):
            self._colour = True

    def print(self, line: str) -> None:
        click.echo(line, color=self._colour)


def render_text(result: FileResult, *, verbose: bool = False) -> None:
    """One verdict line per file, then the reasons; ``verbose`` adds the detailed sections."""
    out = _Text()
    path = result.path
    if result.report is None:
        out.print(f"{_bold('ERROR', 'red')} {path}: {result.error or 'unknown error'}")
        return
    report = result.report
    verdict = report.indication.value
    if report.sub_indication is not None:
        verdict += f"/{report.sub_indication.value}"
    colour = _VERDICT_COLOUR[report.indication.value]
    if report.indication.value == "TOTAL_PASSED" and not report.qualification.is_qualified:
        colour = "yellow"
    out.print(f"{_bold(verdict, colour)} {_bold(report.qualification.value)} {path}")
    for sig in report.signatures:
        who = "unknown signer"
        if sig.signer is not None:
            who = sig.signer.common_name or sig.signer.subject
            ids = [
                f"RNOKPP {sig.signer.rnokpp}" if sig.signer.rnokpp else "",
                f"EDRPOU {sig.signer.edrpou}" if sig.signer.edrpou else "",
            ]
            extra = ", ".join(i for i in ids if i)
            if extra:
                who += f" ({extra})"
        when = sig.timestamp_time or sig.claimed_signing_time
        when_text = f", signed {when.isoformat()}" if when else ""
        proof = " (time-stamped)" if sig.timestamp_time else ""
        out.print(f"  {sig.id} {sig.format}: {who}{when_text}{proof}")
        out.print(f"    {sig.message}")
        if verbose:
            _render_details(out, sig)
    decision = result.acceptance
    if decision is not None:
        # The gate's decision is not the ETSI verdict: a line of its own, after it.
        as_kind = f" as {result.kind}" if result.kind else ""
        if decision.accepted:
            out.print(f"  policy {decision.policy}: {_coloured('accepted', 'green')}{as_kind}")
        else:
            out.print(f"  policy {decision.policy}: {_coloured('refused', 'red')}{as_kind}")
            for reason in decision.reasons:
                out.print(f"    {reason}")


def _render_details(out: _Text, sig: SignatureReport) -> None:
    """The sections ``pyhanko sign validate --pretty-print`` users look for, from the report."""
    out.print(f"    {_bold('Signer')}")
    if sig.signer is not None:
        out.print(f"      subject: {sig.signer.subject}")
    for position, cert in enumerate(sig.certificate_chain):
        role = "signer" if position == 0 else "issuer"
        if position == len(sig.certificate_chain) - 1 and position > 0:
            role = "trust anchor"
        out.print(
            f"      {role}: {cert.subject}\n"
            f"        SHA-256 {cert.sha256}, serial {cert.serial_number}, valid "
            f"{cert.not_before.isoformat()} to {cert.not_after.isoformat()}"
        )
    if not sig.certificate_chain:
        out.print("      no certificate path to a trust anchor was found")
    checks = list(sig.checks)
    shown: set[int] = set()
    for title, names in _SECTIONS:
        picked = [(i, c) for i, c in enumerate(checks) if c.name in names]
        if title == "Time":
            out.print(f"    {_bold('Time')}")
            claimed = sig.claimed_signing_time
            out.print(f"      claimed signing time: {claimed.isoformat() if claimed else 'none'}")
            for stamp in sig.timestamps:
                out.print(
                    f"      {stamp.kind} time-stamp {stamp.time.isoformat()} by "
                    f"{stamp.tsa}: {stamp.indication.value}"
                )
            out.print(f"      best signature time: {sig.best_signature_time.isoformat()}")
        elif picked or (title == "Certificate and revocation" and sig.revocation):
            out.print(f"    {_bold(title)}")
        if title == "Certificate and revocation":
            for evidence in sig.revocation:
                source = f"{evidence.kind.upper()} ({evidence.source})"
                out.print(
                    f"      {source} by {evidence.issuer}, issued "
                    f"{evidence.issued_at.isoformat()}, SHA-256 {evidence.sha256}"
                )
        for index, check in picked:
            shown.add(index)
            outcome = _OUTCOME.get(check.outcome.value, _OUTCOME_DEFAULT)
            out.print(f"      {check.name}: {outcome}: {check.message}")
    rest = [c for i, c in enumerate(checks) if i not in shown]
    if rest:
        out.print(f"    {_bold('Bottom line')}")
        for check in rest:
            outcome = _OUTCOME.get(check.outcome.value, _OUTCOME_DEFAULT)
            out.print(f"      {check.name}: {outcome}: {check.message}")
    verdict = sig.indication.value + (f"/{sig.sub_indication.value}" if sig.sub_indication else "")
    out.print(f"    => {verdict}, {sig.qualification.value}")


def render_json(result: FileResult) -> None:
    """One JSON object per file, on one line."""
    payload: dict[str, Any]
    if result.report is None:
        payload = {"file": result.path, "error": result.error}
    else:
        payload = {"file": result.path, **result.report.to_dict()}
        if result.acceptance is not None:
            # Beside the report, not in it: the report is the neutral ETSI verdict.
            payload["acceptance"] = {"kind": result.kind, **result.acceptance.to_dict()}
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(
    *, total: int, enabled: bool, label: str = "verifying"
) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr (only when stderr is a terminal); yields the step function."""
    if not enabled:
        yield lambda: None
        return
    console = stderr_console()
    if not console.is_terminal:
        yield lambda: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("verify", total=total)
        yield lambda: progress.advance(task)
