"""``docex audit verify|export`` on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docex.audit.export import verify_export
from docex.audit.shards import DEFAULT_AUDIT_CHAINS, chain_for
from docex.cli.exit_codes import ExitCode
from docex.db.engine import create_engine_from_settings, create_engine_from_url, session_factory
from tests.audit.conftest import append
from tests.audit.tamper import tamper
from tests.cli.conftest import CliEnv, Docex, one_line_error


@pytest.fixture
def seeded(docex: Docex, cli_env: CliEnv) -> list[int]:
    """A migrated embedded database with five audit entries; their ids."""
    assert docex("db", "upgrade").exit_code == ExitCode.OK
    engine = create_engine_from_settings(cli_env.settings())
    try:
        return append(session_factory(engine), 5)
    finally:
        engine.dispose()


def edit_entry(cli_env: CliEnv, entry_id: int) -> None:
    engine = create_engine_from_settings(cli_env.settings())
    try:
        statement = "UPDATE audit_entries SET target_id = 'elsewhere' WHERE id = :id"
        assert tamper(engine, statement, id=entry_id) == 1
    finally:
        engine.dispose()


def test_verify_intact_chain(docex: Docex, seeded: list[int]) -> None:
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.OK, result.output
    # Five entries by four actors: four chains of the default sixteen.
    assert result.stdout.startswith("audit chain intact: 5 entries in 4 chains; head hash ")
    assert result.stderr == ""


def test_verify_empty_log(docex: Docex) -> None:
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == f"audit chain intact: 0 entries in 0 chains; head hash {'0' * 64}\n"


def test_verify_reports_the_first_broken_link(
    docex: Docex, cli_env: CliEnv, seeded: list[int]
) -> None:
    edit_entry(cli_env, seeded[2])
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.FAILED.value == 1
    assert result.stdout == ""
    # seeded[2] is docex's own entry (tests.audit.conftest.append cycles the actors).
    chain = chain_for("system", DEFAULT_AUDIT_CHAINS)
    assert result.stderr == (
        f"docex audit verify: chain {chain}: first broken link: entry {seeded[2]}: "
        "its content does not match its hash: it was changed\n"
    )


def test_verify_with_an_anchor(docex: Docex, seeded: list[int]) -> None:
    head = docex("audit", "verify").stdout.rsplit(" ", 1)[1].strip()
    assert docex("audit", "verify", "--anchor", head).exit_code == ExitCode.OK
    missing = docex("audit", "verify", "--anchor", "f" * 64)
    assert missing.exit_code == ExitCode.FAILED
    assert missing.stderr.startswith(
        f"docex audit verify: audit chain broken: the anchor {'f' * 64}"
    )


def test_export_to_stdout_verifies(docex: Docex, seeded: list[int]) -> None:
    result = docex("audit", "export")
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == seeded
    assert verify_export(lines).ok
    assert result.stderr == ""


def test_export_to_a_file_and_verify_it_offline(
    docex: Docex, cli_env: CliEnv, seeded: list[int]
) -> None:
    result = docex("audit", "export", "--output", "audit.jsonl")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == ""
    assert result.stderr == "docex: exported 5 audit entries to audit.jsonl\n"
    exported = cli_env.root / "audit.jsonl"
    assert docex("audit", "verify", "--file", str(exported)).stdout.startswith(
        "audit chain intact: 5 entries"
    )

    lines = exported.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[3])
    entry["outcome"] = "ok" if entry["outcome"] == "refused" else "refused"
    lines[3] = json.dumps(entry)
    exported.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edited = docex("audit", "verify", "--file", str(exported))
    assert edited.exit_code == ExitCode.FAILED
    chain = chain_for("anonymous", DEFAULT_AUDIT_CHAINS)
    assert edited.stderr.startswith(
        f"docex audit verify: chain {chain}: first broken link: entry {seeded[3]}: "
    )


def test_partial_export(docex: Docex, cli_env: CliEnv, seeded: list[int]) -> None:
    first = json.loads(docex("audit", "export").stdout.splitlines()[2])
    result = docex("audit", "export", "--since", first["created_at"], "-o", "tail.jsonl")
    assert result.exit_code == ExitCode.OK, result.output
    tail = cli_env.root / "tail.jsonl"
    assert [json.loads(line)["id"] for line in tail.read_text().splitlines()] == seeded[2:]
    assert docex("audit", "verify", "--file", str(tail)).exit_code == ExitCode.FAILED
    partial = docex("audit", "verify", "--file", str(tail), "--partial")
    assert partial.exit_code == ExitCode.OK, partial.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("audit", "export", "--since", "yesterday"), "--since 'yesterday' is not an ISO 8601"),
        (("audit", "verify", "--partial"), "--partial applies to --file only"),
        (("audit", "verify", "--file", "missing.jsonl"), "cannot read missing.jsonl"),
    ],
)
def test_usage_errors(docex: Docex, args: tuple[str, ...], message: str) -> None:
    result = docex(*args)
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result).startswith(message)


def test_not_an_export(docex: Docex, tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"id": 1}\n')
    result = docex("audit", "verify", "--file", str(tmp_path / "x.jsonl"))
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result).startswith("line 1 is not an audit entry")


def test_verify_and_export_on_postgres(docex: Docex, postgres_url: str, cli_env: CliEnv) -> None:
    assert docex("db", "upgrade").exit_code == ExitCode.OK
    engine = create_engine_from_url(postgres_url)
    try:
        ids = append(session_factory(engine), 8)
        assert docex("audit", "verify").stdout.startswith("audit chain intact: 8 entries")
        exported = docex("audit", "export")
        assert verify_export(exported.stdout.splitlines()).ok
        # The facility's first entry: its second, ids[4], no longer links.
        tamper(engine, "DELETE FROM audit_entries WHERE id = :id", id=ids[0])
    finally:
        engine.dispose()
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.FAILED
    chain = chain_for("facility:7", DEFAULT_AUDIT_CHAINS)
    assert result.stderr.startswith(
        f"docex audit verify: chain {chain}: first broken link: entry {ids[4]}: "
    )
