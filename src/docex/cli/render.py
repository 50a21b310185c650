"""How ``docex`` shows results: coloured text for people, JSON lines for programs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

if TYPE_CHECKING:
    from docex.cli.verify import FileResult


def stdout_console() -> Console:
    # Colour only on a terminal; highlight=False keeps numbers in reasons uncoloured.
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


_STYLE = {
    "TOTAL_PASSED": "bold green",
    "INDETERMINATE": "bold yellow",
    "TOTAL_FAILED": "bold red",
}


def render_text(result: FileResult) -> None:
    """One verdict line per file, then the reasons."""
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
    console = stderr_console()
    if not enabled or not console.is_terminal:
        yield lambda: None
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("verify", total=total)
        yield lambda: progress.advance(task)
