"""How ``docex`` shows results: coloured text for people, JSON lines for programs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

# rich is imported where text is drawn: JSON and XML output, and a run without a progress
# bar, never need it (issue 12: a fast start).
if TYPE_CHECKING:
    from rich.console import Console

    from docex.cli.verify import FileResult
    from docex.signatures.report import SignatureReport


def stdout_console() -> Console:
    from rich.console import Console

    # Colour only on a terminal; highlight=False keeps numbers in reasons uncoloured.
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


_STYLE = {
    "TOTAL_PASSED": "bold green",
    "INDETERMINATE": "bold yellow",
    "TOTAL_FAILED": "bold red",
}


_OUTCOME = {"passed": "[green]passed[/]", "failed": "[red]FAILED[/]"}
_OUTCOME_DEFAULT = "[yellow]indeterminate[/]"
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


def render_text(result: FileResult, *, verbose: bool = False) -> None:
    """One verdict line per file, then the reasons; ``verbose`` adds the detailed sections."""
    from rich.markup import escape

    out = stdout_console()
    path = escape(result.path)
    if result.report is None:
        out.print(f"[bold red]ERROR[/] {path}: {escape(result.error or 'unknown error')}")
        return
    report = result.report
    verdict = report.indication.value
    if report.sub_indication is not None:
        verdict += f"/{report.sub_indication.value}"
    style = _STYLE[report.indication.value]
    if report.indication.value == "TOTAL_PASSED" and not report.qualification.is_qualified:
        style = "bold yellow"
    out.print(f"[{style}]{verdict}[/] [bold]{report.qualification.value}[/] {path}")
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
        out.print(f"  {escape(sig.id)} {sig.format}: {escape(who)}{when_text}{proof}")
        out.print(f"    {escape(sig.message)}")
        if verbose:
            _render_details(out, sig)
    decision = result.acceptance
    if decision is not None:
        # The gate's decision is not the ETSI verdict: a line of its own, after it.
        as_kind = f" as {result.kind}" if result.kind else ""
        if decision.accepted:
            out.print(f"  policy {decision.policy}: [green]accepted[/]{as_kind}")
        else:
            out.print(f"  policy {decision.policy}: [red]refused[/]{as_kind}")
            for reason in decision.reasons:
                out.print(f"    {escape(reason)}")


def _render_details(out: Console, sig: SignatureReport) -> None:
    """The sections ``pyhanko sign validate --pretty-print`` users look for, from the report."""
    from rich.markup import escape

    out.print("    [bold]Signer[/]")
    if sig.signer is not None:
        out.print(f"      subject: {escape(sig.signer.subject)}")
    for position, cert in enumerate(sig.certificate_chain):
        role = "signer" if position == 0 else "issuer"
        if position == len(sig.certificate_chain) - 1 and position > 0:
            role = "trust anchor"
        out.print(
            f"      {role}: {escape(cert.subject)}\n"
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
            out.print("    [bold]Time[/]")
            claimed = sig.claimed_signing_time
            out.print(f"      claimed signing time: {claimed.isoformat() if claimed else 'none'}")
            for stamp in sig.timestamps:
                out.print(
                    f"      {stamp.kind} time-stamp {stamp.time.isoformat()} by "
                    f"{escape(stamp.tsa)}: {stamp.indication.value}"
                )
            out.print(f"      best signature time: {sig.best_signature_time.isoformat()}")
        elif picked or (title == "Certificate and revocation" and sig.revocation):
            out.print(f"    [bold]{title}[/]")
        if title == "Certificate and revocation":
            for evidence in sig.revocation:
                source = f"{evidence.kind.upper()} ({evidence.source})"
                out.print(
                    f"      {source} by {escape(evidence.issuer)}, issued "
                    f"{evidence.issued_at.isoformat()}, SHA-256 {evidence.sha256}"
                )
        for index, check in picked:
            shown.add(index)
            outcome = _OUTCOME.get(check.outcome.value, _OUTCOME_DEFAULT)
            out.print(f"      {check.name}: {outcome}: {escape(check.message)}")
    rest = [c for i, c in enumerate(checks) if i not in shown]
    if rest:
        out.print("    [bold]Bottom line[/]")
        for check in rest:
            outcome = _OUTCOME.get(check.outcome.value, _OUTCOME_DEFAULT)
            out.print(f"      {check.name}: {outcome}: {escape(check.message)}")
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
