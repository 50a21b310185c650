"""``docex verify`` text: coloured on request, plain in a pipe, the same words either way."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from docex.cli.exit_codes import ExitCode
from docex.cli.main import app

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "certs-dev" / "samples"
TRUST = str(REPO / "certs-dev" / "trust")
FILES = [str(SAMPLES / "referral.txt.p7s"), str(SAMPLES / "referral-tampered.txt.p7s")]


def _verify(env: dict[str, str | None]) -> str:
    result = CliRunner().invoke(
        app,
        ["verify", "--trust", TRUST, "--jobs", "1", "--at", "2026-12-01T00:00:00Z", *FILES],
        env={"NO_COLOR": None, "FORCE_COLOR": None, **env},
    )
    assert result.exit_code == ExitCode.FAILED, result.output
    return result.stdout


@pytest.fixture(scope="module")
def plain() -> str:
    return _verify({})


def test_a_pipe_gets_no_escape_codes(plain: str) -> None:
    assert "\x1b[" not in plain
    lines = plain.splitlines()
    assert lines[0] == f"TOTAL_PASSED QESig {FILES[0]}"
    assert f"TOTAL_FAILED/HASH_FAILURE N/A {FILES[1]}" in lines
    assert "  policy docex-gate-2026: refused as referral" in lines


def test_force_color_colours_the_verdicts_and_changes_no_word(plain: str) -> None:
    coloured = _verify({"FORCE_COLOR": "1"})
    assert click.unstyle(coloured) == plain
    lines = coloured.splitlines()
    assert lines[0].startswith(click.style("TOTAL_PASSED", fg="green", bold=True))
    failed = click.style("TOTAL_FAILED/HASH_FAILURE", fg="red", bold=True)
    assert f"{failed} {click.style('N/A', bold=True)} {FILES[1]}" in lines
    assert f"  policy docex-gate-2026: {click.style('refused', fg='red')} as referral" in lines


def test_no_color_wins_over_force_color(plain: str) -> None:
    assert _verify({"FORCE_COLOR": "1", "NO_COLOR": "1"}) == plain
