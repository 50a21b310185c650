"""``docex verify`` over stdin (``-``) and folders, with a summary line after a batch."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from docex.cli.exit_codes import ExitCode

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "certs-dev" / "samples"
TRUST = str(REPO / "certs-dev" / "trust")


def docex(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from docex.cli.main import run; run()", "verify"]
    done = subprocess.run(
        [*command, "--trust", TRUST, *args],
        input=stdin,
        capture_output=True,
        timeout=180,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_dash_reads_the_signature_from_stdin() -> None:
    signed = (SAMPLES / "referral-tampered.p7s").read_bytes()
    done = docex("-", stdin=signed)
    assert done.returncode == ExitCode.FAILED
    assert done.stdout.splitlines()[0] == "TOTAL_FAILED/HASH_FAILURE N/A -"


def test_dash_goes_alone() -> None:
    done = docex("-", str(SAMPLES / "referral.txt.p7s"))
    assert done.returncode == ExitCode.USAGE
    assert "- (stdin) is read alone: give no other FILE with it" in done.stderr


def test_a_folder_is_walked_pairing_detached_content(tmp_path: Path) -> None:
    nested = tmp_path / "inbox" / "2026"
    nested.mkdir(parents=True)
    for name in ("referral.txt", "referral.txt.p7s", "referral-tampered.p7s"):
        shutil.copy(SAMPLES / name, nested / name)
    shutil.copy(SAMPLES / "examination-result.pdf", tmp_path / "inbox" / "result.pdf")
    (tmp_path / "inbox" / "notes.txt").write_text("not a signature, not picked up")
    done = docex(str(tmp_path / "inbox"))
    verdicts = [line for line in done.stdout.splitlines() if not line.startswith(" ")]
    # referral.txt is the detached content of referral.txt.p7s: checked with it, not alone.
    assert verdicts == [
        f"TOTAL_FAILED/HASH_FAILURE N/A {nested / 'referral-tampered.p7s'}",
        f"TOTAL_PASSED QESig {nested / 'referral.txt.p7s'}",
        f"TOTAL_PASSED QESig {tmp_path / 'inbox' / 'result.pdf'}",
        "3 files: 2 passed and qualified, 1 failed, 0 indeterminate or not qualified, "
        "0 not checked",
    ]
    assert done.returncode == ExitCode.FAILED


def test_json_keeps_stdout_for_reports_and_an_empty_folder_is_a_usage_error(
    tmp_path: Path,
) -> None:
    shutil.copy(SAMPLES / "referral-tampered.p7s", tmp_path / "a.p7s")
    shutil.copy(SAMPLES / "referral-tampered.p7s", tmp_path / "b.p7s")
    done = docex("--format", "json", str(tmp_path))
    assert len(done.stdout.splitlines()) == 2  # one JSON report per file, nothing else
    assert "2 files: 0 passed and qualified, 2 failed" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    done = docex(str(empty))
    assert done.returncode == ExitCode.USAGE
    assert "no signature file found in the folder(s) given" in done.stderr


def test_verbose_shows_the_sections_and_the_bottom_line() -> None:
    done = docex("--verbose", str(SAMPLES / "referral-tampered.p7s"))
    assert done.returncode == ExitCode.FAILED
    lines = [line.strip() for line in done.stdout.splitlines()]
    sections = [line for line in lines if line in SECTION_TITLES]
    assert sections == ["Signer", "Integrity", "Time", "Certificate and revocation"]
    assert any(line.startswith("signer: ") for line in lines)
    assert any(line.startswith("SHA-256 ") for line in lines)
    assert (
        "message_digest: FAILED: the signed content does not match the message digest in "
        "the signature" in lines
    )
    assert "=> TOTAL_FAILED/HASH_FAILURE, N/A" in lines


SECTION_TITLES = {
    "Signer",
    "Integrity",
    "Time",
    "Modifications",
    "Certificate and revocation",
    "Qualification",
    "Bottom line",
}
