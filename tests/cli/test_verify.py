"""``docex verify`` end to end: verdict lines, JSON lines, exit statuses, usage errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from docex.cli.exit_codes import ExitCode
from docex.cli.main import app
from docex.cli.verify import _verify_bytes, _VerifySettings
from docex.signatures.guarded import GuardedVerifier, VerifierConfig
from docex.signatures.report import Indication, SubIndication, ValidationReport

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


def test_an_attached_signature_beside_a_file_of_its_name_keeps_its_own_content(
    tmp_path: Path,
) -> None:
    alone = json.loads(run("--trust", TRUST, "--format", "json", str(SAMPLES / "referral.p7s"))[1])
    sig = tmp_path / "referral.p7s"
    shutil.copy(SAMPLES / "referral.p7s", sig)
    # A file named as its content would be, holding something else: nothing changes.
    (tmp_path / "referral").write_bytes((SAMPLES / "referral-tampered.txt").read_bytes())
    code, out, _ = run("--trust", TRUST, "--format", "json", str(sig))
    beside = json.loads(out)
    assert code == ExitCode.OK
    assert (beside["indication"], beside["document"]["detached"]) == ("TOTAL_PASSED", False)
    for key in ("indication", "sub_indication", "qualification", "signatures"):
        assert _without_times(beside[key]) == _without_times(alone[key])


def _without_times(value: object) -> object:
    # The validation time (now) and what is measured from it differ between two runs.
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if "time" not in k}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


class _Counting:
    """A real verifier, counting how often the command asks it."""

    def __init__(self, inner: GuardedVerifier) -> None:
        self.inner = inner
        self.calls: list[dict[str, object]] = []

    def verify(self, data: bytes, **kwargs: object) -> ValidationReport:
        self.calls.append(kwargs)
        return self.inner.verify(data, **kwargs)  # type: ignore[arg-type]


def test_a_detached_signature_with_its_sibling_is_verified_once(tmp_path: Path) -> None:
    sig = tmp_path / "referral.txt.p7s"
    shutil.copy(SAMPLES / "referral.txt.p7s", sig)
    shutil.copy(SAMPLES / "referral.txt", tmp_path / "referral.txt")
    settings = _VerifySettings(trust=(TRUST,), online=False, at=None)
    with GuardedVerifier(VerifierConfig(trust=(TRUST,))) as inner:
        counting = _Counting(inner)
        result = _verify_bytes(counting, settings, str(sig), sig.read_bytes(), None)  # type: ignore[arg-type]
        assert result.report is not None
        assert result.report.indication is Indication.TOTAL_PASSED
        assert result.report.document.detached
        assert len(counting.calls) == 1
        # Without the sibling: as before, one verification, and no content to be found.
        (tmp_path / "referral.txt").unlink()
        counting.calls.clear()
        result = _verify_bytes(counting, settings, str(sig), sig.read_bytes(), None)  # type: ignore[arg-type]
        assert result.report is not None
        assert result.report.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
        assert counting.calls == [{"content": None, "at": None, "content_if_detached": None}]


def test_a_folder_where_the_content_would_be_is_no_sibling(tmp_path: Path) -> None:
    for name in ("referral.txt.p7s", "referral.p7s"):
        shutil.copy(SAMPLES / name, tmp_path / name)
        # A folder where the content would be is not a file: as good as no sibling.
    (tmp_path / "referral").mkdir()
    code, out, _ = run("--trust", TRUST, str(tmp_path / "referral.p7s"))
    assert code == ExitCode.OK
    code, out, _ = run("--trust", TRUST, str(tmp_path / "referral.txt.p7s"))
    assert code == ExitCode.INDETERMINATE
    assert out.startswith("INDETERMINATE/SIGNED_DATA_NOT_FOUND")
