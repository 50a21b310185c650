"""JSON Lines export: complete, canonical, and re-checkable without the database."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.chain import canonical_json
from docex.audit.export import EXPORTED_FIELDS, verify_export, write_export
from docex.audit.verify import verify_chain
from docex.db.engine import session_factory, unit_of_work
from docex.errors import InputError
from tests.audit.conftest import all_entries, append
from tests.conftest import Backend


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """One chain (``DOCEX_AUDIT_CHAINS=1``): these tests are about the links within a
    chain; ``test_shards.py`` spreads entries over several."""
    return session_factory(engine, audit_chains=1)


def export(backend: Backend, **kwargs: object) -> list[str]:
    out = io.StringIO()
    seen: list[int] = []
    with unit_of_work(backend.sessions) as session:
        written = write_export(session, out, batch=2, progress=seen.append, **kwargs)  # type: ignore[arg-type]
    lines = out.getvalue().splitlines()
    assert written == len(lines) == len(seen)
    assert seen == list(range(1, written + 1))
    return lines


def test_export_holds_every_entry_and_verifies_offline(backend: Backend) -> None:
    ids = append(backend.sessions, 5)
    lines = export(backend)
    assert [json.loads(line)["id"] for line in lines] == ids
    for line, entry in zip(lines, all_entries(backend.sessions), strict=True):
        parsed = json.loads(line)
        assert tuple(sorted(parsed)) == tuple(sorted(EXPORTED_FIELDS))
        assert canonical_json(parsed).decode() == line  # each line is itself canonical
        assert (parsed["hash"], parsed["prev_hash"]) == (entry.hash, entry.prev_hash)
    verdict = verify_export(lines)
    with unit_of_work(backend.sessions) as session:
        assert verdict == verify_chain(session)
    assert verdict.ok
    assert verdict.entries_checked == 5
    assert verify_export(line.encode() + b"\n" for line in lines).ok


def test_edited_export_line_fails(backend: Backend) -> None:
    ids = append(backend.sessions, 4)
    lines = export(backend)
    entry = json.loads(lines[2])
    entry["actor_token_id"] = 42
    lines[2] = json.dumps(entry)
    verdict = verify_export(lines)
    assert not verdict.ok
    assert verdict.first_broken_id == ids[2]
    assert verdict.reason == "chain 0: its content does not match its hash: it was changed"


def test_dropped_export_line_fails_at_the_next(backend: Backend) -> None:
    ids = append(backend.sessions, 4)
    lines = export(backend)
    del lines[1]
    assert verify_export(lines).first_broken_id == ids[2]


def test_partial_export_since(backend: Backend) -> None:
    append(backend.sessions, 3)
    cut = all_entries(backend.sessions)[-1].created_at + timedelta(microseconds=1)
    later = append(backend.sessions, 2)
    lines = export(backend, since=cut)
    assert [json.loads(line)["id"] for line in lines] == later
    assert not verify_export(lines).ok  # it does not start at the genesis
    assert verify_export(lines, start_hash=None).ok


def test_export_of_an_empty_log(backend: Backend) -> None:
    assert export(backend) == []
    assert verify_export([]).ok


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1 is not JSON"),
        ("[1, 2]", "line 1 is not a JSON object"),
        ('{"id": 1}', "line 1 is not an audit entry: no created_at"),
    ],
)
def test_lines_that_are_not_entries(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        verify_export([line])


def test_non_hex_hashes_are_refused() -> None:
    entry = dict.fromkeys(EXPORTED_FIELDS, None) | {"chain": 0, "prev_hash": 7, "hash": "x"}
    with pytest.raises(InputError, match="not hexadecimal"):
        verify_export([json.dumps(entry)])


def test_an_export_line_with_a_bad_chain_number_is_refused(backend: Backend) -> None:
    append(backend.sessions, 2)
    out = io.StringIO()
    with unit_of_work(backend.sessions) as session:
        write_export(session, out)
    first, second = out.getvalue().splitlines()
    entry = json.loads(second)
    entry["chain"] = -1
    with pytest.raises(InputError, match="line 2 has a chain that is not a non-negative"):
        verify_export([first, json.dumps(entry)])
    # An export from before the log had several chains has no chain member: chain 0.
    old = [
        json.dumps({k: v for k, v in json.loads(line).items() if k != "chain"})
        for line in (first, second)
    ]
    assert verify_export(old).ok
