from pathlib import Path

import pytest
from asn1crypto import cms
from click.testing import CliRunner

from docex.cli.main import app
from docex.devpki import minimal_pdf

REPO_CERTS_DEV = Path(__file__).resolve().parents[2] / "certs-dev"

# Everything except the samples is byte-identical on regeneration.
DETERMINISTIC_DIRS = ("trust", "certs", "keys", "crl", "untrusted", "tl")

EXPECTED_SAMPLES = {
    "referral.txt",
    "referral.txt.p7s",
    "referral-attached-bb.p7s",
    "referral-nonqualified.p7s",
    "referral-tampered.p7s",
    "referral-tampered.txt",
    "referral-tampered.txt.p7s",
    "examination-result.pdf",
    # The signed formats (docex.devpki.format_samples).
    "referral.p7s",
    "referral.json",
    "referral.json.p7s",
    "result.p7s",
    "examination-result.pdf.manifest.p7s",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "certs-dev"
    result = CliRunner().invoke(app, ["dev-pki", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "DEVELOPMENT ONLY" in result.output
    return out


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_dev_pki_writes_the_promised_layout(generated: Path) -> None:
    # The root is the only anchor; tsa/ names the TSA whose time-stamps are accepted.
    assert _files(generated / "trust") == {"root-ca.pem", "tsa/tsa.pem"}
    assert _files(generated / "trust-dstu") == {"root-ca-dstu.pem", "tsa/tsa-dstu.pem"}
    assert _files(generated / "untrusted") == {"untrusted-root.pem"}
    assert _files(generated / "samples") == EXPECTED_SAMPLES
    assert {"doctor-ecdsa.pem", "revoked.pem", "tsa.pem"} <= _files(generated / "certs")
    assert "doctor-ecdsa.key.pem" in _files(generated / "keys")
    assert _files(generated / "crl") == {"issuing-ca.crl", "root-ca.crl"}
    assert _files(generated / "tl") == {"dev-trusted-list.xml", "dev-trusted-list-withdrawn.xml"}
    assert "DEVELOPMENT ONLY" in (generated / "README.md").read_text(encoding="utf-8")
    for p7s in (generated / "samples").glob("*.p7s"):
        assert cms.ContentInfo.load(p7s.read_bytes())["content_type"].native == "signed_data"
        if p7s.name in ("referral.txt.p7s", "referral-tampered.txt.p7s", "referral.json.p7s"):
            # Detached: the content sits next to the signature.
            assert p7s.with_suffix("").exists()


def test_committed_certs_dev_is_up_to_date(generated: Path) -> None:
    for directory in DETERMINISTIC_DIRS:
        fresh = generated / directory
        for name in _files(fresh):
            committed = REPO_CERTS_DEV / directory / name
            assert committed.read_bytes() == (fresh / name).read_bytes(), (
                f"certs-dev/{directory}/{name} is stale; run `make certs`"
            )


def test_sign_help_says_development_only() -> None:
    result = CliRunner().invoke(app, ["sign", "--help"])
    assert result.exit_code == 0
    assert "[development only]" in result.output


def test_sign_text_detached_then_attached(tmp_path: Path) -> None:
    content = tmp_path / "note.txt"
    content.write_bytes(b"hello")
    result = CliRunner().invoke(app, ["sign", str(content), "--signer", "doctor-ecdsa"])
    assert result.exit_code == 0, result.output
    detached = cms.ContentInfo.load((tmp_path / "note.txt.p7s").read_bytes())
    assert detached["content"]["encap_content_info"]["content"].native is None

    out = tmp_path / "attached.p7s"
    args = ["sign", str(content), "--signer", "doctor-rsa", "--attached", "--level", "B-T"]
    result = CliRunner().invoke(app, [*args, "--digest", "sha1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    attached = cms.ContentInfo.load(out.read_bytes())["content"]
    assert attached["encap_content_info"]["content"].native == b"hello"
    assert attached["digest_algorithms"][0]["algorithm"].native == "sha1"


def test_sign_pdf_makes_pades(tmp_path: Path) -> None:
    pdf = tmp_path / "result.pdf"
    pdf.write_bytes(minimal_pdf())
    args = ["sign", str(pdf), "--signer", "doctor-rsa", "--level", "B-LTA"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    signed = (tmp_path / "result-signed.pdf").read_bytes()
    assert signed.startswith(pdf.read_bytes())  # an incremental update
    assert b"/ETSI.RFC3161" in signed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signer", "nobody"], "unknown signer 'nobody'"),
        (["--signer", "doctor-ecdsa", "--level", "B-LTA"], "PAdES only"),
        (["--signer", "doctor-ecdsa", "--digest", "md5"], "unsupported digest"),
    ],
)
def test_sign_usage_errors_exit_3_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    content = tmp_path / "note.txt"
    content.write_bytes(b"hello")
    result = CliRunner().invoke(app, ["sign", str(content), *args])
    assert result.exit_code == 3
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "note.txt.p7s").exists()


def test_sign_unreadable_file_exits_3(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = CliRunner().invoke(app, ["sign", str(missing), "--signer", "doctor-ecdsa"])
    assert result.exit_code == 3
    assert result.stderr.strip() == f"docex: error: {missing}: No such file or directory"
