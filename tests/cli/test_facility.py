"""``docex facility add|list|deactivate``."""

from __future__ import annotations

import json

from docex.cli.exit_codes import ExitCode
from tests.cli.conftest import Docex, one_line_error


def test_added_facility_is_listed(docex: Docex) -> None:
    added = docex("facility", "add", "--edrpou", "12345678", "--name", "КНП  Тестова лікарня ")
    assert added.exit_code == ExitCode.OK, added.output
    assert added.stdout == "added facility 12345678 КНП Тестова лікарня\n"

    listed = docex("facility", "list")
    assert listed.exit_code == ExitCode.OK
    header, row = listed.stdout.splitlines()
    assert header.split() == ["edrpou", "status", "name", "created_at", "deactivated_at"]
    assert row.startswith("12345678  active  КНП Тестова лікарня  ")


def test_json_listing_is_parseable(docex: Docex) -> None:
    docex("facility", "add", "--edrpou", "22222222", "--name", "B")
    docex("facility", "add", "--edrpou", "11111111", "--name", "A")
    listed = docex("facility", "list", "--format", "json")
    assert listed.exit_code == ExitCode.OK
    data = json.loads(listed.stdout)
    assert [(f["edrpou"], f["name"], f["status"]) for f in data] == [
        ("11111111", "A", "active"),
        ("22222222", "B", "active"),
    ]
    assert data[0]["deactivated_at"] is None


def test_duplicate_edrpou_is_a_conflict(docex: Docex) -> None:
    assert docex("facility", "add", "--edrpou", "12345678", "--name", "A").exit_code == 0
    again = docex("facility", "add", "--edrpou", "12345678", "--name", "B")
    assert again.exit_code == ExitCode.CONFLICT
    assert one_line_error(again) == "a facility with EDRPOU 12345678 is already registered"


def test_malformed_edrpou_is_a_usage_error(docex: Docex) -> None:
    result = docex("facility", "add", "--edrpou", "1234567", "--name", "A")
    assert result.exit_code == ExitCode.USAGE
    assert "EDRPOU code must be 8 digits" in one_line_error(result)


def test_missing_option_exits_with_usage_not_clicks_2(docex: Docex) -> None:
    result = docex("facility", "add", "--edrpou", "12345678")
    assert result.exit_code == ExitCode.USAGE
    assert "--name" in result.stderr


def test_unknown_command_exits_with_usage(docex: Docex) -> None:
    assert docex("facility", "remove", "12345678").exit_code == ExitCode.USAGE


def test_deactivated_facility_is_listed_only_with_all(docex: Docex) -> None:
    docex("facility", "add", "--edrpou", "12345678", "--name", "A")
    docex("facility", "add", "--edrpou", "87654321", "--name", "B")
    result = docex("facility", "deactivate", "12345678")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.startswith("facility 12345678 A is inactive since ")

    active = json.loads(docex("facility", "list", "--format", "json").stdout)
    assert [f["edrpou"] for f in active] == ["87654321"]
    everything = json.loads(docex("facility", "list", "--all", "--format", "json").stdout)
    assert [(f["edrpou"], f["status"]) for f in everything] == [
        ("12345678", "inactive"),
        ("87654321", "active"),
    ]
    assert everything[0]["deactivated_at"] is not None
    # Idempotent: the first deactivation time stays.
    assert docex("facility", "deactivate", "12345678").stdout == result.stdout


def test_deactivating_an_unknown_facility_is_not_found(docex: Docex) -> None:
    result = docex("facility", "deactivate", "12345678")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert one_line_error(result) == "no facility with EDRPOU 12345678"


def test_empty_registry_lists_only_the_header(docex: Docex) -> None:
    listed = docex("facility", "list")
    assert listed.exit_code == ExitCode.OK
    assert len(listed.stdout.splitlines()) == 1
    assert json.loads(docex("facility", "list", "--format", "json").stdout) == []
