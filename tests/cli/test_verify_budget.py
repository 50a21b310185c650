"""``docex verify`` within the verification budget and bounds of the DOCEX_ settings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from docex.cli.exit_codes import ExitCode
from docex.cli.main import app

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "certs-dev" / "samples" / "referral.txt.p7s"
TRUST = str(REPO / "certs-dev" / "trust")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("DOCEX_"):
            monkeypatch.delenv(name)


def _verify(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, dict[str, object]]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["verify", "--trust", TRUST, "--format", "json", str(SAMPLE)])
    return result.exit_code, json.loads(result.stdout.splitlines()[0])


def test_the_time_budget_applies_to_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # A budget far below what any verification takes (a cold one costs tens of ms).
    code, report = _verify(monkeypatch, DOCEX_VERIFY_TIMEOUT_SECONDS="0.001")
    assert code == ExitCode.INDETERMINATE
    assert (report["indication"], report["sub_indication"]) == (
        "INDETERMINATE",
        "SIG_CONSTRAINTS_FAILURE",
    )
    assert report["message"] == "verification exceeded its time budget of 0.001 s"


def test_the_bounds_apply_to_the_cli_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = _verify(
        monkeypatch, DOCEX_VERIFY_WORKERS="0", DOCEX_MAX_EMBEDDED_OCSP_RESPONSES="1"
    )
    assert code == ExitCode.INDETERMINATE
    assert "max_ocsp_responses = 1" in str(report["message"])


def test_production_checks_do_not_stop_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # Production refuses the built-in token pepper; the verify command has no use for it.
    code, report = _verify(monkeypatch, DOCEX_ENVIRONMENT="production")
    assert code == ExitCode.OK
    assert report["indication"] == "TOTAL_PASSED"
