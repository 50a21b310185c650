"""``docex token issue --expires-in``, ``docex token rotate`` and the expiry and last use
that ``docex token list`` shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from docex.cli.exit_codes import ExitCode
from docex.errors import AuthenticationError
from docex.registry.tokens import authenticate
from tests.cli.conftest import CliEnv, Docex, one_line_error

FACILITY = "38291045"
SLACK = timedelta(minutes=1)


@pytest.fixture
def facility(docex: Docex) -> str:
    assert docex("facility", "add", "--edrpou", FACILITY, "--name", "КНП №1").exit_code == 0
    return FACILITY


def _listed(docex: Docex) -> list[dict[str, object]]:
    result = docex("token", "list", "--all", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def _when(value: object) -> datetime:
    assert isinstance(value, str)
    return datetime.fromisoformat(value)


def test_expiry_defaults_to_the_setting_and_can_be_given(
    docex: Docex, facility: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCEX_TOKEN_LIFETIME_DAYS", "5")
    assert docex("token", "issue", "--facility", facility).exit_code == ExitCode.OK
    explicit = docex("token", "issue", "--auditor", "--expires-in", "7")
    assert explicit.exit_code == ExitCode.OK, explicit.output
    assert "valid until " in explicit.stderr
    now = datetime.now(UTC)
    first, second = _listed(docex)
    assert abs(_when(first["expires_at"]) - (now + timedelta(days=5))) < SLACK
    assert abs(_when(second["expires_at"]) - (now + timedelta(days=7))) < SLACK
    assert (first["status"], second["status"]) == ("active", "active")
    assert first["last_used_at"] is None


def test_expires_in_must_be_a_positive_number_of_days(docex: Docex, facility: str) -> None:
    for days in ("0", "-3", "3651", "soon"):
        result = docex("token", "issue", "--facility", facility, "--expires-in", days)
        assert result.exit_code == ExitCode.USAGE, days
    assert _listed(docex) == []


def test_rotate_prints_a_successor_and_lets_the_old_token_work_for_the_overlap(
    docex: Docex, facility: str, cli_env: CliEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCEX_TOKEN_ROTATION_OVERLAP_HOURS", "2")
    old = docex("token", "issue", "--facility", facility, "--label", "mis").stdout.strip()
    with cli_env.session() as session:
        authenticate(session, policy=cli_env.policy(), token=old)
    result = docex("token", "rotate", "1")
    assert result.exit_code == ExitCode.OK, result.output
    new = result.stdout.removesuffix("\n")
    assert new.startswith("dxt_")
    assert "\n" not in new
    assert new not in result.stderr
    assert result.stderr.startswith("docex: token 1 is replaced by token 2, valid until ")

    with cli_env.session() as session:
        principals = [authenticate(session, policy=cli_env.policy(), token=t) for t in (old, new)]
    assert [p.token_id for p in principals] == [1, 2]
    assert {p.facility_edrpou for p in principals} == {facility}

    now = datetime.now(UTC)
    rotated, successor = _listed(docex)
    assert abs(_when(rotated["expires_at"]) - (now + timedelta(hours=2))) < SLACK
    assert abs(_when(successor["expires_at"]) - (now + timedelta(days=90))) < SLACK
    assert (successor["facility"], successor["label"]) == (facility, "mis")
    # Both were used just now; the list says so.
    assert abs(_when(rotated["last_used_at"]) - now) < SLACK
    assert abs(_when(successor["last_used_at"]) - now) < SLACK

    # Past the overlap the old token is refused as expired.
    later = now + timedelta(hours=2, seconds=1)
    with cli_env.session() as session, pytest.raises(AuthenticationError) as raised:
        authenticate(session, policy=cli_env.policy(), token=old, now=later)
    assert raised.value.reason == "expired"


def test_a_revoked_token_cannot_be_rotated(docex: Docex, facility: str) -> None:
    docex("token", "issue", "--facility", facility)
    assert docex("token", "revoke", "1").exit_code == ExitCode.OK
    result = docex("token", "rotate", "1")
    assert result.exit_code == ExitCode.CONFLICT
    assert one_line_error(result) == "API token 1 is revoked; issue a new one instead"
    assert len(_listed(docex)) == 1


def test_rotating_an_unknown_token_is_not_found(docex: Docex) -> None:
    result = docex("token", "rotate", "9")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert one_line_error(result) == "no API token with id 9"


def test_a_rotated_token_is_not_rotated_again_and_the_list_shows_its_successor(
    docex: Docex, facility: str
) -> None:
    docex("token", "issue", "--facility", facility)
    assert docex("token", "rotate", "1").exit_code == ExitCode.OK
    again = docex("token", "rotate", "1")
    assert again.exit_code == ExitCode.CONFLICT
    assert again.stdout == ""
    assert one_line_error(again) == (
        "API token 1 was already rotated to token 2; rotate or revoke that one instead"
    )
    rows = _listed(docex)
    assert [(r["id"], r["status"], r["successor"]) for r in rows] == [
        (1, "active", 2),
        (2, "active", None),
    ]
    text_list = docex("token", "list").stdout
    header = text_list.splitlines()[0].split()
    assert header[:5] == ["id", "role", "facility", "status", "successor"]
    # The successor is the token to rotate next.
    assert docex("token", "rotate", "2").exit_code == ExitCode.OK
    assert [r["successor"] for r in _listed(docex)] == [2, 3, None]
