"""The live heap of a Go server (SeaweedFS), read from its runtime's GC trace.

A Go process's resident memory says little about leaks: the collector lets the heap grow
to ``GOGC`` percent above what the last collection found live before it collects again,
and SeaweedFS reserves large buffers at start (its filer's LevelDB memtable, its metadata
log buffers; some 180 MiB) that count as live, so that goal is hundreds of MiB and the
garbage between collections fills it page by page. What a leak grows is the heap that is
still live after a collection. With ``GODEBUG=gctrace=1`` the runtime prints one line
per collection on stderr,

    gc 12 @41.503s 1%: 0.031+2.1+0.005 ms clock, …, 315->316->231 MB, 360 MB goal, …

where the third number of ``A->B->C MB`` is the live heap it marked. This module reads
those lines from the server's log; no profiling port is opened (SeaweedFS's ``-debug``
listens on every interface).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_GC_LINE = re.compile(r"^gc (\d+) @([\d.]+)s .*?(\d+)->(\d+)->(\d+) MB", re.MULTILINE)


@dataclass(frozen=True)
class Collection:
    """One garbage collection: its number, seconds since the process started, live MB."""

    number: int
    at_seconds: float
    live_mb: int


def collections(log: Path) -> list[Collection]:
    """Every collection the runtime traced into ``log`` so far, in order."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [
        Collection(int(m.group(1)), float(m.group(2)), int(m.group(5)))
        for m in _GC_LINE.finditer(text)
    ]


@dataclass(frozen=True)
class LiveHeapTrend:
    """The live heap after the warm-up: the largest in its first half against its second."""

    first_half_mb: int | None
    second_half_mb: int | None
    collections: int

    @property
    def growth(self) -> float | None:
        """Relative growth of the peak live heap, or None without a collection in each half."""
        if not self.first_half_mb or self.second_half_mb is None:
            return None
        return (self.second_half_mb - self.first_half_mb) / self.first_half_mb


def trend(log: Path, *, since_seconds: float, until_seconds: float) -> LiveHeapTrend:
    """The live heap's peaks in the two halves of ``[since, until]`` (process seconds).

    Peaks, not single values: between collections the filer's log buffers fill and are
    flushed once a minute, so one collection can land on a full buffer and the next on an
    empty one. A leak raises the peak; that buffer's cycle does not. Go collects at least
    every two minutes, so a ten-minute soak has collections in both halves.
    """
    middle = (since_seconds + until_seconds) / 2
    seen = [c for c in collections(log) if since_seconds <= c.at_seconds <= until_seconds]
    first = [c.live_mb for c in seen if c.at_seconds < middle]
    second = [c.live_mb for c in seen if c.at_seconds >= middle]
    return LiveHeapTrend(
        first_half_mb=max(first) if first else None,
        second_half_mb=max(second) if second else None,
        collections=len(seen),
    )


def age_seconds(pid: int) -> float:
    """How long process ``pid`` has run, in the clock of its GC trace's ``@…s``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    started_ticks = int(stat[stat.rindex(")") + 2 :].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started_ticks / _CLOCK_TICKS


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
