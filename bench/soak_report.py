"""The soak's report: its criteria, each PASS or MISS, the memory and the CPU tables."""

from __future__ import annotations

import argparse
import re
import subprocess
from collections import Counter

from rich.console import Console
from rich.table import Table

import go_heap
from soak_load import Run
from soak_processes import Memory

MAX_RSS_GROWTH = 0.10
MIN_GROWTH_KIB = 1024
"""Growth below this is never a miss: a 4 MiB PostgreSQL backend filling its catalog
cache grows by more than 10 % without holding anything that accumulates."""


def memory_table(
    start: dict[int, tuple[str, Memory]],
    end: dict[int, Memory | None],
    *,
    garbage_collected: frozenset[int] = frozenset(),
) -> tuple[Table, bool]:
    """Memory after the warm-up and at the end, per process; whether all stayed in bounds.

    Processes in ``garbage_collected`` (SeaweedFS) are shown but judged on their live heap
    instead (``go_heap``): their resident memory follows the collector's pacing.
    """
    table = Table(title="Resident memory, MiB (after the warm-up -> at the end)")
    table.add_column("pid", justify="right")
    table.add_column("process")
    table.add_column("RSS start", justify="right")
    table.add_column("RSS end", justify="right")
    table.add_column("RSS growth", justify="right")
    table.add_column("anon start", justify="right")
    table.add_column("anon end", justify="right")
    table.add_column("anon growth", justify="right")
    ok = True
    for pid, (name, before) in sorted(start.items(), key=lambda i: i[1][0]):
        after = end.get(pid)
        if after is None:
            table.add_row(str(pid), name, f"{before.rss / 1024:.1f}", "gone")
            continue
        rss_growth = (after.rss - before.rss) / before.rss if before.rss else 0.0
        anon_growth = (after.anon - before.anon) / before.anon if before.anon else 0.0
        within = anon_growth <= MAX_RSS_GROWTH or after.anon - before.anon < MIN_GROWTH_KIB
        colour = "green" if within else "red"
        if pid in garbage_collected:
            colour = "yellow"  # shown, judged on the live heap
        else:
            ok = ok and within
        table.add_row(
            str(pid),
            name,
            f"{before.rss / 1024:.1f}",
            f"{after.rss / 1024:.1f}",
            f"{100 * rss_growth:+.1f}%",
            f"{before.anon / 1024:.1f}",
            f"{after.anon / 1024:.1f}",
            f"[{colour}]{100 * anon_growth:+.1f}%[/]",
        )
    return table, ok


def print_report(
    console: Console,
    report: Run,
    weed_heap: go_heap.LiveHeapTrend,
    delivered: tuple[Counter[str], Counter[str]],
    audit: subprocess.CompletedProcess[str],
    reconcile: subprocess.CompletedProcess[str],
    args: argparse.Namespace,
) -> int:
    outcome = report.outcome
    accepted = len(outcome.latencies)
    errors = sum(outcome.errors.values())
    table = Table(title=f"Soak: {args.minutes:g} min at {args.rate:g} documents/s")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_column("")
    verdicts: list[bool] = []

    def row(what: str, value: str, ok: bool | None = None) -> None:
        if ok is not None:
            verdicts.append(ok)
        table.add_row(
            what, value, "" if ok is None else ("[green]PASS[/]" if ok else "[red]MISS[/]")
        )

    row("documents sent / accepted (201)", f"{outcome.sent} / {accepted}")
    row("errors", f"{errors} {dict(outcome.errors) or ''}", errors == 0)
    row("sent more than 1 s late", str(outcome.late))
    for q in (50, 95, 99):
        row(f"latency p{q}", f"{outcome.percentile_ms(q):.0f} ms")
    row("max latency", f"{1000 * max(outcome.latencies, default=float('nan')):.0f} ms")
    outbox, received = delivered
    row(
        "outbox events: delivered / pending / dead",
        f"{outbox['delivered']} / {outbox['pending']} / {outbox['dead']}",
        outbox["pending"] == 0 and outbox["dead"] == 0,
    )
    row(
        "webhooks received (at least once)",
        f"{sum(received.values())} {dict(received)}",
        sum(received.values()) >= outbox["delivered"],
    )
    row(
        "docex audit verify",
        f"exit {audit.returncode}: {(audit.stdout + audit.stderr).strip()[:80]}",
        audit.returncode == 0,
    )
    reconciled = (reconcile.stdout + reconcile.stderr).strip().splitlines()
    clean = reconcile.returncode == 0 and bool(
        reconciled and re.search(r"; 0 unreferenced;.*; 0 missing", reconciled[0])
    )
    row(
        "docex storage reconcile --dry-run",
        f"exit {reconcile.returncode}: {reconciled[0] if reconciled else ''}",
        clean,
    )
    growth = weed_heap.growth
    row(
        "SeaweedFS live heap after GC, peak 1st -> 2nd half",
        f"{weed_heap.first_half_mb} -> {weed_heap.second_half_mb} MB "
        f"({weed_heap.collections} collections"
        + (f", {100 * growth:+.1f}%)" if growth is not None else "; too few to judge, run longer)"),
        growth is not None and growth <= MAX_RSS_GROWTH,
    )
    console.print(table)
    memory, memory_ok = memory_table(
        report.start_rss, report.end_rss, garbage_collected=frozenset({report.weed_pid})
    )
    verdicts.append(memory_ok)
    console.print(memory)
    cpu = Table(title=f"CPU after the warm-up ({report.seconds:.0f} s)")
    cpu.add_column("component")
    cpu.add_column("CPU s", justify="right")
    cpu.add_column("cores busy", justify="right")
    cpu.add_column("ms per document", justify="right")
    documents_after_warmup = max(1, report.documents)
    for name, used in report.cpu.items():
        cpu.add_row(
            name,
            f"{used:.1f}",
            f"{used / report.seconds:.2f}",
            f"{1000 * used / documents_after_warmup:.1f}",
        )
    console.print(cpu)
    if outcome.first_error:
        console.print(f"first error: {outcome.first_error}")
    console.print(
        "[green]all criteria met[/]" if all(verdicts) else "[red]a criterion was missed[/]"
    )
    return 0 if all(verdicts) else 1
