"""The soak's processes as ``/proc`` shows them: their tree, their names, their memory."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from tests.servers import SeaweedS3Server


@dataclass(frozen=True)
class Memory:
    """A process's resident memory in KiB: all of it, and its anonymous (private) part."""

    rss: int
    anon: int


def memory_of(pid: int) -> Memory | None:
    """``VmRSS`` and ``RssAnon`` of ``pid`` (``/proc/PID/status``), or None if it is gone.

    The criterion is on ``RssAnon``, the heap and stacks a leak would grow: ``VmRSS``
    also counts file pages and shared memory as they are touched, which for PostgreSQL
    backends is the shared buffer pool they read, not memory they hold.
    """
    fields: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                fields[name] = int(value.split()[0])
    except OSError:
        return None
    if "VmRSS" not in fields:
        return None
    return Memory(rss=fields["VmRSS"], anon=fields.get("RssAnon", fields["VmRSS"]))


def descendants(root: int) -> list[int]:
    """``root`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def describe(pid: int) -> str:
    """A short name for a process: its command line, shortened."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    raw = raw.strip()
    for pattern, name in (
        (r"postgres: .*?(\w[\w ]*process|\S+ \S+ 127\.0\.0\.1)", None),
        (r"uvicorn", "uvicorn"),
        (r"multiprocessing.spawn|multiprocessing.forkserver|from multiprocessing", "worker"),
        (r"webhooks dispatch", "dispatcher"),
        (r"weed", "weed"),
    ):
        match = re.search(pattern, raw)
        if match:
            return name or match.group(0)[:48]
    return raw[:48]


def weed_pid(s3: SeaweedS3Server) -> int:
    """The SeaweedFS process: the one whose command line names this server's folder."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(s3.base) in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    return int(entry.name)
    raise RuntimeError("the SeaweedFS process was not found")


def snapshot(roots: dict[str, int]) -> dict[int, tuple[str, Memory]]:
    """Every live process under each root, named, with its memory."""
    found: dict[int, tuple[str, Memory]] = {}
    for component, root in roots.items():
        for pid in descendants(root):
            memory = memory_of(pid)
            if memory is not None:
                found[pid] = (f"{component}: {describe(pid)}", memory)
    return found
