"""``docex audit checkpoint`` and ``docex audit verify`` against the latest checkpoint.

The development TSA is served on loopback; the chain is edited behind docex's back, as an
intruder with database access would, and each edit must end ``verify`` with exit status 1
and one line naming what happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from docex.cli.exit_codes import ExitCode
from docex.db.engine import create_engine_from_settings, session_factory
from tests.audit.conftest import append
from tests.audit.tamper import tamper
from tests.cli.conftest import CliEnv, Docex, one_line_error
from tests.devtsa import DevTsa, serving_dev_tsa

REPO = Path(__file__).resolve().parents[2]
DEV_KEY = REPO / "certs-dev" / "audit" / "checkpoint.key.pem"


@pytest.fixture(scope="module")
def dev_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTsa]:
    with serving_dev_tsa(tmp_path_factory.mktemp("dev-tsa")) as served:
        yield served


@pytest.fixture
def anchored(
    docex: Docex, cli_env: CliEnv, dev_tsa: DevTsa, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """43 entries in a migrated database of one chain, with checkpointing configured;
    their ids. (tests/audit/test_shards.py checks several chains against checkpoints.)"""
    monkeypatch.setenv("DOCEX_AUDIT_CHAINS", "1")
    monkeypatch.setenv("DOCEX_AUDIT_CHECKPOINT_KEY", str(DEV_KEY))
    monkeypatch.setenv("DOCEX_AUDIT_CHECKPOINT_TSA_URL", dev_tsa.url)
    monkeypatch.setenv("DOCEX_TRUST", str(dev_tsa.trust_folder))
    assert docex("db", "upgrade").exit_code == ExitCode.OK
    engine = create_engine_from_settings(cli_env.settings())
    try:
        return append(session_factory(engine, audit_chains=1), 43)
    finally:
        engine.dispose()


def run_sql(cli_env: CliEnv, statement: str, **params: object) -> int:
    engine = create_engine_from_settings(cli_env.settings())
    try:
        return tamper(engine, statement, **params)
    finally:
        engine.dispose()


def take(docex: Docex) -> str:
    result = docex("audit", "checkpoint")
    assert result.exit_code == ExitCode.OK, result.output
    match = re.fullmatch(
        r"checkpoint (checkpoints/audit/\S+\.json): 43 entries in 1 chain; "
        r"Merkle root [0-9a-f]{64}\n",
        result.stdout,
    )
    assert match, result.stdout
    return match.group(1)


def test_verify_agrees_with_the_checkpoint(docex: Docex, anchored: list[int]) -> None:
    key = take(docex)
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("audit chain intact: 43 entries in 1 chain; head hash ")
    assert lines[1].startswith(
        f"agrees with checkpoint {key}: 43 entries in 1 chain, time-stamped 20"
    )
    assert result.stderr == ""


def test_verify_reports_truncation(docex: Docex, cli_env: CliEnv, anchored: list[int]) -> None:
    take(docex)
    assert run_sql(cli_env, "DELETE FROM audit_entries WHERE id > :id", id=anchored[32]) == 10
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.FAILED.value == 1
    assert result.stdout == ""
    assert result.stderr == (
        "docex audit verify: audit chain 0 truncated: the chain has 33 entries, the "
        "checkpoint counted 43: entries were removed from its end\n"
    )


def test_verify_reports_total_deletion(docex: Docex, cli_env: CliEnv, anchored: list[int]) -> None:
    take(docex)
    assert run_sql(cli_env, "DELETE FROM audit_entries") == 43
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.FAILED
    assert result.stderr == (
        "docex audit verify: audit chain 0 all deleted: the chain has 0 entries, the "
        "checkpoint counted 43: entries were removed from its end\n"
    )


def test_verify_reports_a_rewrite(docex: Docex, cli_env: CliEnv, anchored: list[int]) -> None:
    take(docex)
    run_sql(cli_env, "DELETE FROM audit_entries")
    engine = create_engine_from_settings(cli_env.settings())
    try:
        new_ids = append(session_factory(engine, audit_chains=1), 43, action="forged.event")
    finally:
        engine.dispose()
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.FAILED
    assert result.stderr.startswith(
        f"docex audit verify: audit chain 0 rewritten: entry {new_ids[42]}, number 43 in the "
        "chain, has hash "
    )
    assert result.stderr.endswith("there: the chain was rewritten\n")


def test_checkpoint_needs_a_tsa(
    docex: Docex, anchored: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCEX_AUDIT_CHECKPOINT_TSA_URL")
    result = docex("audit", "checkpoint")
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result) == (
        "no time-stamping authority: set DOCEX_AUDIT_CHECKPOINT_TSA_URL"
    )


def test_an_unreadable_latest_checkpoint_is_a_finding(
    docex: Docex, cli_env: CliEnv, anchored: list[int]
) -> None:
    take(docex)
    # Sorted after every real key, so it is what verification takes for the latest.
    junk = cli_env.root / "var" / "objects" / "checkpoints" / "audit" / "99999999T000000.json"
    junk.write_bytes(b"{}")
    result = docex("audit", "verify")
    assert result.exit_code == ExitCode.FAILED
    assert result.stderr == (
        "docex audit verify: the latest checkpoint cannot be relied on: checkpoint "
        "checkpoints/audit/99999999T000000.json is unreadable: not a docex audit checkpoint\n"
    )


def test_require_checkpoint(docex: Docex, anchored: list[int]) -> None:
    missing = docex("audit", "verify", "--require-checkpoint")
    assert missing.exit_code == ExitCode.FAILED
    assert missing.stderr == "docex audit verify: no checkpoint under checkpoints/audit/\n"
    take(docex)
    assert docex("audit", "verify", "--require-checkpoint").exit_code == ExitCode.OK


def test_require_checkpoint_needs_a_key(
    docex: Docex, anchored: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCEX_AUDIT_CHECKPOINT_KEY")
    result = docex("audit", "verify", "--require-checkpoint")
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result) == (
        "--require-checkpoint needs DOCEX_AUDIT_CHECKPOINT_PUBLIC_KEY or DOCEX_AUDIT_CHECKPOINT_KEY"
    )
