"""``docex token issue|list|revoke``: shown once, on stdout alone, and it authenticates."""

from __future__ import annotations

import json

import pytest

from docex.cli.exit_codes import ExitCode
from docex.domain import TokenRole
from docex.errors import AuthenticationError
from docex.registry.tokens import authenticate
from tests.cli.conftest import CliEnv, Docex, one_line_error

FACILITY = "38291045"


@pytest.fixture
def facility(docex: Docex) -> str:
    assert docex("facility", "add", "--edrpou", FACILITY, "--name", "КНП №1").exit_code == 0
    return FACILITY


def test_facility_token_is_alone_on_stdout_and_authenticates(
    docex: Docex, facility: str, cli_env: CliEnv
) -> None:
    result = docex("token", "issue", "--facility", facility, "--label", "система лікарні")
    assert result.exit_code == ExitCode.OK, result.output
    token = result.stdout.removesuffix("\n")
    assert "\n" not in token
    assert token.startswith("dxt_")
    assert "shown only this once" in result.stderr
    assert token not in result.stderr

    with cli_env.session() as session:
        principal = authenticate(session, policy=cli_env.policy(), token=token)
    assert principal.role is TokenRole.FACILITY
    assert principal.facility_edrpou == facility


def test_auditor_token_authenticates_as_auditor(docex: Docex, cli_env: CliEnv) -> None:
    result = docex("token", "issue", "--auditor")
    assert result.exit_code == ExitCode.OK
    with cli_env.session() as session:
        principal = authenticate(session, policy=cli_env.policy(), token=result.stdout.strip())
    assert principal.is_auditor
    assert principal.facility_id is None


def test_each_issue_makes_a_new_token(docex: Docex, facility: str) -> None:
    first = docex("token", "issue", "--facility", facility).stdout
    second = docex("token", "issue", "--facility", facility).stdout
    assert first != second


@pytest.mark.parametrize(
    "args", [(), ("--facility", FACILITY, "--auditor")], ids=["neither", "both"]
)
def test_exactly_one_holder_is_required(docex: Docex, facility: str, args: tuple[str, ...]) -> None:
    result = docex("token", "issue", *args)
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result) == "give exactly one of --facility EDRPOU and --auditor"


def test_unknown_facility_gets_no_token(docex: Docex) -> None:
    result = docex("token", "issue", "--facility", "99999999")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert one_line_error(result) == "no facility with EDRPOU 99999999"


def test_inactive_facility_gets_no_token(docex: Docex, facility: str) -> None:
    docex("facility", "deactivate", facility)
    result = docex("token", "issue", "--facility", facility)
    assert result.exit_code == ExitCode.CONFLICT
    assert one_line_error(result) == f"facility {facility} is inactive"


def test_list_never_shows_the_secret(docex: Docex, facility: str) -> None:
    token = docex("token", "issue", "--facility", facility, "--label", "mis").stdout.strip()
    docex("token", "issue", "--auditor")
    listed = docex("token", "list")
    assert listed.exit_code == ExitCode.OK
    assert token.split("_", 2)[2] not in listed.stdout
    rows = json.loads(docex("token", "list", "--format", "json").stdout)
    assert [(r["id"], r["role"], r["facility"], r["label"]) for r in rows] == [
        (1, "facility", facility, "mis"),
        (2, "auditor", None, None),
    ]
    only_facility = json.loads(
        docex("token", "list", "--facility", facility, "--format", "json").stdout
    )
    assert [r["id"] for r in only_facility] == [1]


def test_revoked_token_stops_authenticating(docex: Docex, facility: str, cli_env: CliEnv) -> None:
    token = docex("token", "issue", "--facility", facility).stdout.strip()
    result = docex("token", "revoke", "1")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.startswith("token 1 is revoked since ")
    with cli_env.session() as session, pytest.raises(AuthenticationError):
        authenticate(session, policy=cli_env.policy(), token=token)

    assert json.loads(docex("token", "list", "--format", "json").stdout) == []
    everything = json.loads(docex("token", "list", "--all", "--format", "json").stdout)
    assert everything[0]["revoked_at"] is not None


def test_revoking_an_unknown_token_is_not_found(docex: Docex) -> None:
    result = docex("token", "revoke", "42")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert one_line_error(result) == "no API token with id 42"


def test_token_id_must_be_a_number(docex: Docex) -> None:
    assert docex("token", "revoke", "first").exit_code == ExitCode.USAGE
