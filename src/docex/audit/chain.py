"""How audit entries are chained: the exact recipe, so that anyone can re-check it.

The log is several chains (:mod:`docex.audit.shards`); every entry belongs to one,
its ``chain``. Every entry carries ``prev_hash``, the ``hash`` of the entry before it in
its chain in ``id`` order (for the first, the chain's genesis hash: ``GENESIS_HASH``, 64
``"0"`` characters, for chain 0), and its own ``hash``::

    hash = lowercase_hex( SHA-256( ascii(prev_hash) || canonical_json(fields) ) )

where ``prev_hash`` is its 64 lowercase hexadecimal characters, and ``fields`` is the JSON
object of exactly these members of the entry::

    created_at             "2026-11-23T14:34:31.123456+00:00": UTC, ISO 8601, always
                           with six fractional digits and the "+00:00" offset
    actor_kind             "facility" | "auditor" | "system" | "anonymous"
    actor_facility_id      integer or null
    actor_token_id         integer or null
    actor_employee_rnokpp  string or null
    action                 string, e.g. "document.submit"
    target_type            string or null
    target_id              string or null
    outcome                "ok" | "refused" | "error"
    details                object: strings, integers, booleans, null, arrays, objects
                           (no floating-point numbers, whose text form databases change)

``canonical_json`` is UTF-8 JSON with object keys sorted (by code point) at every level,
no whitespace (``","`` and ``":"`` as separators) and non-ASCII characters written as
themselves rather than ``\\u`` escapes — Python's
``json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.

The ``id`` and the ``chain`` are not hashed: the id is assigned by the database and only
orders storage, and the chain is bound by the genesis hash its first link starts from.
The chain order is the ``prev_hash`` linkage, which is why deleting, inserting or reordering
entries breaks a link even where ids skip (a rolled-back transaction consumes an id).

What the chain cannot show by itself is the removal of the newest entries: the shorter
chain is still consistent. Keep the head hash that ``docex audit verify`` prints somewhere
else (a ticket, an e-mail, a signed export) and pass it back as an anchor later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry."""

HASHED_FIELDS = (
    "created_at",
    "actor_kind",
    "actor_facility_id",
    "actor_token_id",
    "actor_employee_rnokpp",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "details",
)
"""The members of an entry its hash covers."""

ENTRY_FIELDS = ("id", *HASHED_FIELDS, "chain", "prev_hash", "hash")
"""Every column of an entry, as exported and as :func:`docex.audit.log.entry_fields` reads."""

# Details describe an event in a few lines; large blobs belong in the tables they describe.
MAX_DETAILS_BYTES = 8192


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 JSON of ``value``: sorted keys, no whitespace, no ``\\u`` escapes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_time(moment: datetime) -> str:
    """``created_at`` as hashed: UTC, microseconds, ``+00:00``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r} in the audit log")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def check_details(details: Any, *, path: str = "details") -> None:
    """Refuse values that would not survive a round trip through the database unchanged.

    Floats are refused because PostgreSQL's JSONB and SQLite's JSON write some of them
    back differently (``1e+20`` returns as ``100000000000000000000``) and the hash would
    no longer match.
    """
    if details is None or isinstance(details, str | bool | int):
        return
    if isinstance(details, list | tuple):
        for index, item in enumerate(details):
            check_details(item, path=f"{path}[{index}]")
        return
    if isinstance(details, Mapping):
        for key, item in details.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} has a non-string key {key!r}")
            check_details(item, path=f"{path}.{key}")
        return
    raise TypeError(
        f"{path} is a {type(details).__name__}; audit details hold strings, integers, "
        "booleans, null, lists and objects"
    )


def hashed_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The members of ``entry`` the hash covers, as JSON values.

    ``entry`` is a mapping with at least :data:`HASHED_FIELDS`; ``created_at`` may be a
    datetime or its already formatted string (as in an export line).
    """
    fields = {name: entry[name] for name in HASHED_FIELDS}
    created_at = fields["created_at"]
    if isinstance(created_at, datetime):
        fields["created_at"] = format_time(created_at)
    for name in ("actor_kind", "outcome"):
        # StrEnum members are str; store their plain value so json never sees a subclass.
        fields[name] = str(fields[name])
    return fields


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """The ``hash`` of an entry whose predecessor's hash is ``prev_hash``."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_json(hashed_fields(entry)))
    return digest.hexdigest()
