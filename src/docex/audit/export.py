"""The audit log as JSON Lines, re-checkable offline.

Each line is one entry, every column included (``id``, the hashed fields, ``chain``,
``prev_hash``, ``hash``), written as canonical JSON
(:func:`docex.audit.chain.canonical_json`), in ``id`` order, which is each chain's order.
Exports made before the log had several chains have no ``chain`` member; their entries
are chain 0. An auditor handed the file can re-check it with :func:`verify_export` (or
``docex audit verify --file``) or with a few lines in any language following
:mod:`docex.audit.chain`, without access to the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session

from docex.audit.chain import ENTRY_FIELDS, GENESIS_HASH, canonical_json, format_time
from docex.audit.verify import LogVerdict, check_entries, iter_entries
from docex.errors import InputError

EXPORTED_FIELDS = ENTRY_FIELDS
"""The members of every exported line."""


def export_line(entry: Mapping[str, Any]) -> str:
    """One entry (a mapping with every column) as a line of JSON, without the newline."""
    out = {name: entry[name] for name in EXPORTED_FIELDS}
    if isinstance(out["created_at"], datetime):
        out["created_at"] = format_time(out["created_at"])
    out["actor_kind"] = str(out["actor_kind"])
    out["outcome"] = str(out["outcome"])
    return canonical_json(out).decode("utf-8")


def write_export(
    session: Session,
    out: IO[str],
    *,
    since: datetime | None = None,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write entries (those created at or after ``since``, or all) to ``out``.

    Returns how many were written; ``progress``, if given, is called with the number
    written after each one.
    """
    written = 0
    for entry in iter_entries(session, batch=batch, since=since):
        out.write(export_line(entry))
        out.write("\n")
        written += 1
        if progress is not None:
            progress(written)
    return written


def verify_export(
    lines: Iterable[str | bytes],
    *,
    start_hash: str | None = GENESIS_HASH,
    anchor: str | None = None,
) -> LogVerdict:
    """Check an export's lines as :func:`docex.audit.verify.verify_chain` checks the log.

    ``start_hash=None`` accepts a partial export (``--since``) whose first entry follows
    entries not in the file; the default requires the export to start at the beginning.
    A line that is not an entry at all is an ``InputError``.
    """
    return check_entries(_parse(lines), start_hash=start_hash, anchor=anchor)


def _parse(lines: Iterable[str | bytes]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise InputError(f"line {number} is not JSON: {exc}") from exc
        if not isinstance(entry, dict):
            raise InputError(f"line {number} is not a JSON object")
        missing = [name for name in _REQUIRED_FIELDS if name not in entry]
        if missing:
            raise InputError(f"line {number} is not an audit entry: no {', '.join(missing)}")
        chain = entry.get("chain", 0)
        if not isinstance(chain, int) or isinstance(chain, bool) or chain < 0:
            raise InputError(f"line {number} has a chain that is not a non-negative integer")
        if not all(isinstance(entry[name], str) and entry[name].isascii() for name in _HASHES):
            raise InputError(f"line {number} has a prev_hash or hash that is not hexadecimal")
        yield entry


_HASHES = ("prev_hash", "hash")
# Every member but ``chain``, which exports from the single-chain log lack.
_REQUIRED_FIELDS = tuple(name for name in EXPORTED_FIELDS if name != "chain")
