"""The table both benchmarks print from a cProfile run: top functions by cumulative time."""

from __future__ import annotations

from typing import Any

from rich.table import Table

# Paths are shown from these markers on; anything else (the interpreter, the benchmark
# scripts themselves) is left out.
MARKERS = ("/src/", "/site-packages/", "/lib/python3")


def short_path(file: str) -> str | None:
    """A path relative to ``src``, ``site-packages`` or the standard library; else None."""
    for marker in MARKERS:
        if marker in file:
            return file.rsplit(marker, 1)[1]
    return None


def profile_table(
    stats: dict[Any, Any], *, title: str, per: int, unit: str, top: int, total: float
) -> Table:
    """The ``top`` functions by cumulative time, in milliseconds per ``unit``."""
    table = Table(title=title)
    table.add_column("function")
    table.add_column("calls", justify="right")
    table.add_column(f"own ms/{unit}", justify="right")
    table.add_column(f"cum ms/{unit}", justify="right")
    table.add_column("cum %", justify="right")
    rows = sorted(stats.items(), key=lambda item: item[1][3], reverse=True)
    for (file, line, function), (_, calls, own, cumulative, _) in rows:
        where = short_path(file)
        if where is None:
            continue
        table.add_row(
            f"{where}:{line}({function})",
            str(calls),
            f"{1000 * own / per:.3f}",
            f"{1000 * cumulative / per:.3f}",
            f"{100 * cumulative / total:.0f}",
        )
        if table.row_count >= top:
            break
    return table
