"""``docex verify`` gives every input a verdict or a clean input error, never a traceback.

These run the installed ``docex`` command in a child process: what matters is what a
user's terminal shows, with the logging setup of a real run (and of worker processes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from docex.cli.exit_codes import ExitCode
from docex.devpki.pki import DevPki
from tests.signatures.timestamp_only import make_timestamp_only_pdf

REPO = Path(__file__).resolve().parents[2]
TRUST = str(REPO / "certs-dev" / "trust")
DSS = REPO / "tests" / "data" / "dss"
DOCEX = str(Path(sys.executable).with_name("docex"))
# A PDF made by another tool, whose reading makes the libraries log (pyHanko, asyncio).
NOISY_PDF = DSS / "validation__AD-RB.pdf"


def docex_verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCEX, "verify", "--trust", TRUST, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_library_tracebacks_stay_off_the_terminal() -> None:
    result = docex_verify("--format", "json", str(NOISY_PDF))
    assert "Traceback" not in result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout.splitlines()[0])
    assert report["indication"] in ("TOTAL_FAILED", "INDETERMINATE")
    assert result.returncode in (ExitCode.FAILED, ExitCode.INDETERMINATE)


def test_debug_shows_the_details() -> None:
    result = docex_verify("--debug", "--format", "json", str(NOISY_PDF))
    # Library log records, kept off the terminal without --debug, are shown with it.
    assert "DEBUG " in result.stderr
    # The verdict is the same with or without --debug.
    quiet = docex_verify("--format", "json", str(NOISY_PDF))
    assert json.loads(result.stdout)["indication"] == json.loads(quiet.stdout)["indication"]


# The one DSS sample that is not a signature at all (its PDF header is destroyed).
NOT_A_SIGNATURE = {"validation__malformed-pades.pdf"}


def test_every_dss_sample_gets_a_verdict_in_worker_processes() -> None:
    files = sorted(str(p) for p in DSS.iterdir() if p.suffix != ".md")
    assert len(files) >= 8  # enough to keep two worker processes busy
    result = docex_verify("--format", "json", "--jobs", "2", *files)
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(files)
    errors = {Path(line["file"]).name for line in lines if "error" in line}
    assert errors == NOT_A_SIGNATURE
    assert all(line["indication"] for line in lines if "error" not in line)


def test_timestamp_only_pdf_is_indeterminate_not_a_usage_error(
    tmp_path: Path,
) -> None:
    pdf = tmp_path / "timestamped.pdf"
    pdf.write_bytes(make_timestamp_only_pdf(DevPki.load()))
    result = docex_verify("--format", "json", str(pdf))
    assert result.returncode == ExitCode.INDETERMINATE
    report = json.loads(result.stdout)
    assert (report["indication"], report["sub_indication"]) == (
        "INDETERMINATE",
        "SIGNED_DATA_NOT_FOUND",
    )
    assert report["signatures"][0]["format"] == "PAdES-DOCUMENT-TIMESTAMP"
    assert result.stderr == ""


def test_not_a_signature_is_still_a_clean_input_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    result = docex_verify("--format", "json", str(junk))
    assert result.returncode == ExitCode.USAGE
    assert json.loads(result.stdout)["error"].startswith("the PDF cannot be read")
    assert "Traceback" not in result.stderr
