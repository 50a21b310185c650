"""``docex verify`` prints the gate's acceptance decision apart from the ETSI verdict."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from docex.cli.exit_codes import ExitCode
from docex.cli.main import app

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "certs-dev" / "samples"
TRUST = str(REPO / "certs-dev" / "trust")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["verify", "--trust", TRUST, *args])
    return result.exit_code, result.stdout, result.stderr


def test_accepted_document_has_a_policy_line_after_the_verdict() -> None:
    code, out, _ = run(str(SAMPLES / "referral.txt.p7s"))
    assert code == ExitCode.OK
    lines = out.splitlines()
    assert lines[0].startswith("TOTAL_PASSED QESig ")
    assert lines[-1] == "  policy docex-gate-2026: accepted as referral"


def test_passed_but_unqualified_is_refused_by_the_policy_with_its_reason() -> None:
    code, out, _ = run("--kind", "examination_result", str(SAMPLES / "referral-nonqualified.p7s"))
    # The exit status follows the ETSI verdict (passed, not qualified), not the policy.
    assert code == ExitCode.INDETERMINATE
    lines = out.splitlines()
    assert lines[0].startswith("TOTAL_PASSED AdESig ")
    policy = lines.index("  policy docex-gate-2026: refused as examination_result")
    assert lines[policy + 1].startswith("    S1: the signature is AdESig, not QESeal or QESig: ")


def test_validation_time_before_the_signature_is_refused() -> None:
    code, out, _ = run("--at", "2020-01-01T00:00:00Z", str(SAMPLES / "referral.txt.p7s"))
    assert code == ExitCode.INDETERMINATE
    lines = out.splitlines()
    assert lines[0].startswith("INDETERMINATE/NO_POE N/A ")
    assert "dated after the validation time 2020-01-01T00:00:00+00:00" in lines[2]
    assert "  policy docex-gate-2026: refused as referral" in lines


def test_json_carries_the_decision_beside_the_report() -> None:
    code, out, _ = run(
        "--format", "json", "--kind", "medical_document", str(SAMPLES / "referral.txt.p7s")
    )
    assert code == ExitCode.OK
    (line,) = out.splitlines()
    payload = json.loads(line)
    assert payload["acceptance"] == {
        "kind": "medical_document",
        "policy": "docex-gate-2026",
        "accepted": True,
        "reasons": [],
    }
    assert payload["report_version"] == "1"
    assert "acceptance" not in payload["signatures"][0]


def test_unknown_kind_is_a_usage_error() -> None:
    code, _, err = run("--kind", "prescription", str(SAMPLES / "referral.txt.p7s"))
    assert code == ExitCode.USAGE
    assert "--kind must be one of referral, examination_result, medical_document" in err
