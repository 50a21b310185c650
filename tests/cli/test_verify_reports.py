"""``docex verify --format xml`` (ETSI TS 119 102-2) and ``--report FILE.pdf``."""

from __future__ import annotations

import subprocess
import sys
from io import BytesIO
from pathlib import Path

import xmlschema
from lxml import etree
from pypdf import PdfReader

from docex.cli.exit_codes import ExitCode
from docex.reports import etsi_xml

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "certs-dev" / "samples"
TRUST = str(REPO / "certs-dev" / "trust")
VR = "{http://uri.etsi.org/19102/v1.2.1#}"


def docex(*args: str) -> subprocess.CompletedProcess[bytes]:
    # A real process: the XML goes to stdout as bytes, exactly as a shell pipe gets it.
    command = [sys.executable, "-c", "from docex.cli.main import run; run()", "verify"]
    return subprocess.run([*command, *args], capture_output=True, timeout=120, check=False)


def _indications(xml: bytes) -> list[tuple[str, str | None]]:
    root = etree.fromstring(xml)
    found = []
    for status in root.iter(f"{VR}SignatureValidationStatus"):
        main = status.find(f"{VR}MainIndication")
        sub = status.find(f"{VR}SubIndication")
        assert main is not None
        found.append((str(main.text), None if sub is None else str(sub.text)))
    return found


def test_format_xml_prints_a_report_the_schema_accepts() -> None:
    done = docex("--trust", TRUST, "--format", "xml", str(SAMPLES / "referral-tampered.p7s"))
    assert done.returncode == ExitCode.FAILED
    schema = xmlschema.XMLSchema11(str(etsi_xml.SCHEMA), locations=etsi_xml.SCHEMA_LOCATIONS)
    schema.validate(done.stdout)
    assert _indications(done.stdout)[0] == (
        "urn:etsi:019102:mainindication:total-failed",
        "urn:etsi:019102:subindication:HASH_FAILURE",
    )


def test_report_writes_the_pdf_and_keeps_the_text_output(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    done = docex("--trust", TRUST, "--report", str(target), str(SAMPLES / "examination-result.pdf"))
    assert done.returncode == ExitCode.OK
    assert done.stdout.decode().startswith("TOTAL_PASSED QESig ")
    assert f"PDF report written to {target}" in done.stderr.decode()
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(target.read_bytes())).pages)
    assert "Коваленко Андрій Миколайович" in text
    assert f"trust sources: {TRUST}" in text.replace("\n", " ")
    assert not list(tmp_path.glob(".*.partial"))


def test_one_file_only_and_no_half_written_report(tmp_path: Path) -> None:
    two = [str(SAMPLES / "referral.txt.p7s"), str(SAMPLES / "examination-result.pdf")]
    done = docex("--trust", TRUST, "--format", "xml", *two)
    assert done.returncode == ExitCode.USAGE
    assert b"--format xml writes one report: give exactly one FILE" in done.stderr
    done = docex("--trust", TRUST, "--report", str(tmp_path / "r.pdf"), *two)
    assert done.returncode == ExitCode.USAGE
    assert b"--report writes one PDF report: give exactly one FILE" in done.stderr
    missing_dir = tmp_path / "no" / "such" / "r.pdf"
    done = docex("--trust", TRUST, "--report", str(missing_dir), two[0])
    assert done.returncode == ExitCode.USAGE
    assert f"cannot write the PDF report {missing_dir}".encode() in done.stderr
    assert b"Traceback" not in done.stderr


def test_not_a_signature_gives_no_report(tmp_path: Path) -> None:
    junk = tmp_path / "junk.p7s"
    junk.write_bytes(b"not a signature")
    target = tmp_path / "r.pdf"
    done = docex("--trust", TRUST, "--format", "xml", "--report", str(target), str(junk))
    assert done.returncode == ExitCode.USAGE
    assert done.stdout == b""
    assert b"no PDF report:" in done.stderr
    assert not target.exists()
