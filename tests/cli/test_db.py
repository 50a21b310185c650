"""``docex db upgrade|current``, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest

from docex.cli.exit_codes import ExitCode
from docex.db.migrate import current_revision, head_revision
from tests.cli.conftest import PASSWORD, CliEnv, Docex, one_line_error


def test_upgrade_migrates_then_reports_up_to_date(docex: Docex, cli_env: CliEnv) -> None:
    head = head_revision()
    before = docex("db", "current")
    assert before.exit_code == ExitCode.OK
    assert before.stdout.startswith(f"(empty; head is {head}: run `docex db upgrade`)")

    upgraded = docex("db", "upgrade")
    assert upgraded.exit_code == ExitCode.OK, upgraded.output
    assert upgraded.stdout.endswith(f"upgraded from revision (empty) to {head}\n")
    assert current_revision(cli_env.database_url) == head

    again = docex("db", "upgrade")
    assert again.stdout.endswith(f"is up to date at revision {head}\n")
    assert docex("db", "current").stdout.startswith(f"{head} (head) ")


def test_unusable_configuration_is_one_line(docex: Docex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEX_DATABASE_URL", "mysql://db/docex")
    result = docex("db", "upgrade")
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result) == (
        "invalid configuration: DOCEX_DATABASE_URL=mysql://db/docex: "
        "only sqlite:// and postgresql:// databases are supported"
    )


def test_postgres_is_never_migrated_as_a_side_effect(docex: Docex, postgres_url: str) -> None:
    result = docex("facility", "list")
    assert result.exit_code == ExitCode.ERROR
    assert one_line_error(result) == (
        f"the database has never been migrated; this docex needs revision {head_revision()}: "
        "run `docex db upgrade`"
    )
    assert current_revision(postgres_url) is None


def test_upgrade_on_postgres_then_admin_commands_work(docex: Docex, postgres_url: str) -> None:
    upgraded = docex("db", "upgrade")
    assert upgraded.exit_code == ExitCode.OK, upgraded.output
    assert current_revision(postgres_url) == head_revision()
    assert upgraded.stdout.startswith("postgresql+psycopg://docex:***@")
    assert PASSWORD not in upgraded.stdout

    assert docex("facility", "add", "--edrpou", "12345678", "--name", "A").exit_code == 0
    assert docex("facility", "list").stdout.splitlines()[1].startswith("12345678  active  A")
