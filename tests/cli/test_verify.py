"""``docex verify`` end to end: verdict lines, JSON lines, exit statuses, usage errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from docex.cli.exit_codes import ExitCode
from docex.cli.main import app

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "certs-dev" / "samples"
TRUST = str(REPO / "certs-dev" / "trust")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["verify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_qualified_sample_exits_zero_with_a_verdict_line() -> None:
    code, out, err = run("--trust", TRUST, str(SAMPLES / "referral.txt.p7s"))
    assert code == ExitCode.OK
    assert out.splitlines()[0] == f"TOTAL_PASSED QESig {SAMPLES / 'referral.txt.p7s'}"
    assert "RNOKPP" in out
    assert err == ""


def test_default_trust_is_announced() -> None:
    code, out, err = run(str(SAMPLES / "examination-result.pdf"))
    assert code == ExitCode.OK, out
    assert "DEVELOPMENT trust anchors" in err


@pytest.mark.parametrize(
    ("sample", "code", "verdict"),
    [
        ("referral-tampered.p7s", ExitCode.FAILED, "TOTAL_FAILED/HASH_FAILURE N/A"),
        ("referral-tampered.txt.p7s", ExitCode.FAILED, "TOTAL_FAILED/HASH_FAILURE N/A"),
        ("referral-attached-bb.p7s", ExitCode.INDETERMINATE, "INDETERMINATE/TRY_LATER N/A"),
        ("referral-nonqualified.p7s", ExitCode.INDETERMINATE, "TOTAL_PASSED AdESig"),
    ],
)
def test_exit_status_follows_the_verdict(sample: str, code: ExitCode, verdict: str) -> None:
    exit_code, out, _ = run("--trust", TRUST, str(SAMPLES / sample))
    assert exit_code == code
    assert out.startswith(verdict)


def test_json_is_one_report_per_line_and_the_worst_status_wins() -> None:
    files = [SAMPLES / "referral.txt.p7s", SAMPLES / "referral-tampered.p7s"]
    code, out, _ = run("--trust", TRUST, "--format", "json", *map(str, files))
    assert code == ExitCode.FAILED
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in lines] == [str(f) for f in files]
    assert [(r["indication"], r["qualification"]) for r in lines] == [
        ("TOTAL_PASSED", "QESig"),
        ("TOTAL_FAILED", "N/A"),
    ]
    assert lines[0]["report_version"] == "1"
    assert lines[0]["signatures"][0]["signer"]["rnokpp"]


def test_explicit_content_and_sibling_content(tmp_path: Path) -> None:
    sig = tmp_path / "copy.p7s"
    shutil.copy(SAMPLES / "referral.txt.p7s", sig)
    code, out, _ = run("--trust", TRUST, str(sig))
    assert code == ExitCode.INDETERMINATE
    assert out.startswith("INDETERMINATE/SIGNED_DATA_NOT_FOUND")
    code, _, _ = run("--trust", TRUST, "--content", str(SAMPLES / "referral.txt"), str(sig))
    assert code == ExitCode.OK
    code, out, _ = run(
        "--trust", TRUST, "--content", str(SAMPLES / "referral-tampered.txt"), str(sig)
    )
    assert code == ExitCode.FAILED


def test_many_files_run_in_parallel_and_keep_their_order(tmp_path: Path) -> None:
    files = []
    for i in range(9):
        name = "referral.txt.p7s" if i % 3 else "referral-tampered.p7s"
        target = tmp_path / f"{i:02d}-{name}"
        shutil.copy(SAMPLES / name, target)
        if name == "referral.txt.p7s":
            shutil.copy(SAMPLES / "referral.txt", target.with_suffix(""))
        files.append(str(target))
    code, out, _ = run("--trust", TRUST, "--format", "json", "--jobs", "2", *files)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in lines] == files
    assert [r["indication"] for r in lines] == [
        "TOTAL_FAILED" if i % 3 == 0 else "TOTAL_PASSED" for i in range(9)
    ]
    assert code == ExitCode.FAILED


def test_not_a_signature_exits_three_with_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.p7s"
    junk.write_bytes(b"hello, this is not a signature")
    code, out, _ = run("--trust", TRUST, str(junk))
    assert code == ExitCode.USAGE
    assert out.startswith(f"ERROR {junk}")
    assert "Traceback" not in out
    code, out, _ = run("--trust", TRUST, "--format", "json", str(junk))
    assert json.loads(out)["error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "yesterday", "x.p7s"], "not an ISO 8601 time"),
        (["--at", "2026-01-01T00:00:00", "x.p7s"], "needs a time zone"),
        (["--format", "yaml", "x.p7s"], "--format must be"),
        (["--content", "a", "x.p7s", "y.p7s"], "exactly one"),
        (["--trust", "/nonexistent/anchors", "x.p7s"], "does not exist"),
        (["--trust", TRUST, "/nonexistent/file.p7s"], "cannot read"),
    ],
)
def test_usage_errors_exit_three(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == ExitCode.USAGE
    assert message in out + err
    assert "Traceback" not in out + err


def test_validation_time_in_json() -> None:
    code, out, _ = run(
        "--trust",
        TRUST,
        "--format",
        "json",
        "--at",
        "2027-01-01T00:00:00Z",
        str(SAMPLES / "referral.txt.p7s"),
    )
    assert code == ExitCode.OK
    assert json.loads(out)["validation_time"] == "2027-01-01T00:00:00+00:00"
