"""Trust from Ukraine's sources: CA bundles (.p7b) and signed TS 119 612 trusted lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asn1crypto import pem
from click.testing import CliRunner
from pydantic import ValidationError
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.path import ValidationPath

from docex.cli.exit_codes import ExitCode
from docex.cli.main import app
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import TrustConfigError
from docex.settings import Settings
from docex.signatures.qualification import QualificationVerdict, assess
from docex.signatures.report import Indication, Qualification
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, REPO
from tests.signatures.ua_pki import (
    DATA,
    Issued,
    certs_only_bundle,
    load,
    make_root,
    sign_trusted_list,
)
from tests.signatures.ua_samples import NO_QSCD, UAPKI_SIGNED_AT

BUNDLE = DATA / "CACertificates-uapki-test.p7b"
CAO = "CAO-05E19E2CD92EA2990100000001000000C1000000.cer"
DIIA_CA = "diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer"
DIIA_OCSP = "diia-ocsp-3ED5083160DBC59B0200000001000000202B0F00.cer"
DIIA_TSP = "diia-2023-tsp-05E19E2CD92EA29902000000010000004A010000.cer"
DEV_TL = REPO / "certs-dev" / "tl" / "dev-trusted-list.xml"
NOT_VERIFIED = (
    "is refused: its XML signature does not verify with the configured trusted-list "
    "signer certificate"
)


# --- CA bundles ------------------------------------------------------------------------


def test_stored_bundle_is_the_uapki_certificates() -> None:
    expected = certs_only_bundle(load(n) for n in (CAO, DIIA_CA, DIIA_OCSP, DIIA_TSP))
    assert BUNDLE.read_bytes() == expected


def _anchor_names(paths: list[Path]) -> set[bytes]:
    return {a.sha256 for a in load_trust_store(paths).anchors}


def test_bundle_anchors_the_root_and_knows_the_rest(tmp_path: Path) -> None:
    # The QTSP CA is issued by the root in the same bundle: an intermediate, not an anchor.
    # The OCSP and TSP server certificates issue nothing: known, never anchors.
    others = {load(n).sha256 for n in (DIIA_CA, DIIA_OCSP, DIIA_TSP)}
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "CACertificates.p7b").write_bytes(BUNDLE.read_bytes())
    armored = tmp_path / "CACertificates.pem"
    armored.write_bytes(pem.armor("PKCS7", BUNDLE.read_bytes()))
    for source in (BUNDLE, folder, armored):
        store = load_trust_store([source])
        assert [a.sha256 for a in store.anchors] == [load(CAO).sha256]
        assert {c.sha256 for c in store.certificates} == others


def test_a_ca_whose_issuer_is_not_configured_is_an_anchor(tmp_path: Path) -> None:
    # Without the root, the QTSP CA is where paths end (as a trusted list would list it).
    (tmp_path / "ca.cer").write_bytes(load(DIIA_CA).dump())
    (tmp_path / "ocsp.cer").write_bytes(load(DIIA_OCSP).dump())
    store = load_trust_store([tmp_path])
    assert [a.sha256 for a in store.anchors] == [load(DIIA_CA).sha256]
    assert [c.sha256 for c in store.certificates] == [load(DIIA_OCSP).sha256]


def test_server_certificates_alone_are_no_trust(tmp_path: Path) -> None:
    (tmp_path / "ocsp.cer").write_bytes(load(DIIA_OCSP).dump())
    (tmp_path / "tsp.cer").write_bytes(load(DIIA_TSP).dump())
    with pytest.raises(TrustConfigError, match="none of its certificates is a CA"):
        load_trust_store([tmp_path])


def test_bundle_anchor_qualifies_the_diia_signer() -> None:
    # The path runs from the central root through the QTSP CA, which the bundle declares
    # a qualified CA although it is no anchor.
    store = load_trust_store([BUNDLE])
    root, ca, leaf = load(CAO), load(DIIA_CA), load("diia-test-sign-7775603.cer")
    verdict = assess(
        trust=store,
        path=ValidationPath(CertTrustAnchor(root), [ca], leaf),
        cert=leaf,
        at=UAPKI_SIGNED_AT,
    )
    assert verdict == QualificationVerdict(Qualification.ADESEAL_QC, NO_QSCD)


def test_bundle_without_a_ca_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "servers.p7b"
    path.write_bytes(certs_only_bundle([load(DIIA_OCSP), load(DIIA_TSP)]))
    with pytest.raises(TrustConfigError, match=r"servers\.p7b holds no CA certificate"):
        load_trust_store([path])


def test_garbage_bundle_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.p7b"
    path.write_bytes(b"\x30\x03\x02\x01\x01")
    with pytest.raises(TrustConfigError, match="is not a certificate or certificate bundle"):
        load_trust_store([path])


# --- signed trusted lists --------------------------------------------------------------


@pytest.fixture(scope="module")
def tl_signer() -> Issued:
    return make_root("Оператор довірчого списку (TEST ONLY)")


@pytest.fixture(scope="module")
def signed_tl(tl_signer: Issued, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tl") / "signed-trusted-list.xml"
    path.write_bytes(sign_trusted_list(DEV_TL.read_bytes(), tl_signer))
    return path


@pytest.fixture(scope="module")
def signer_pem(tl_signer: Issued, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("signer") / "tl-signer.pem"
    path.write_bytes(tl_signer.pem())
    return path


def test_signed_list_with_its_signer_grants_qualification(
    pki: DevPki, signed_tl: Path, signer_pem: Path
) -> None:
    store = load_trust_store([signed_tl], trusted_list_signers=[signer_pem])
    assert [a.sha256 for a in store.anchors] == [pki.cert("root-ca").sha256]
    with Verifier(store) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT"), content=CONTENT
        )
    assert (report.indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        Qualification.QESIG,
    )


def test_signed_list_with_another_signer_is_refused(signed_tl: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    other.write_bytes(make_root("Хтось інший").pem())
    with pytest.raises(TrustConfigError, match=NOT_VERIFIED):
        load_trust_store([signed_tl], trusted_list_signers=[other])


def test_tampered_signed_list_is_refused(signed_tl: Path, signer_pem: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.xml"
    data = signed_tl.read_bytes()
    assert data.count(b"granted") >= 1
    tampered.write_bytes(data.replace(b"granted", b"withdrawn", 1))
    with pytest.raises(TrustConfigError, match=NOT_VERIFIED):
        load_trust_store([tampered], trusted_list_signers=[signer_pem])


def test_unsigned_list_with_a_signer_configured_is_refused(signer_pem: Path) -> None:
    with pytest.raises(TrustConfigError, match=NOT_VERIFIED):
        load_trust_store([DEV_TL], trusted_list_signers=[signer_pem])


def test_list_without_any_signer_configured_is_refused(signed_tl: Path) -> None:
    for path in (DEV_TL, signed_tl):
        with pytest.raises(
            TrustConfigError,
            match="cannot be trusted: no trusted-list signer certificate is configured",
        ):
            load_trust_store([path])


def test_development_switch_reads_the_unsigned_list(pki: DevPki) -> None:
    store = load_trust_store([DEV_TL], allow_unsigned_trusted_list=True)
    assert [a.sha256 for a in store.anchors] == [pki.cert("root-ca").sha256]


def test_signer_configuration_is_part_of_the_fingerprint(
    signed_tl: Path, signer_pem: Path, tmp_path: Path
) -> None:
    checked = load_trust_store([signed_tl], trusted_list_signers=[signer_pem])
    unchecked = load_trust_store([signed_tl], allow_unsigned_trusted_list=True)
    assert checked.fingerprint != unchecked.fingerprint


def test_missing_signer_file_is_a_clear_error(signed_tl: Path, tmp_path: Path) -> None:
    with pytest.raises(TrustConfigError, match="trusted-list signer certificate .* does not exist"):  # noqa: RUF043
        load_trust_store([signed_tl], trusted_list_signers=[tmp_path / "absent.pem"])


# --- configuration ---------------------------------------------------------------------


def test_settings_read_the_signer_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEX_TRUSTED_LIST_SIGNER", "/etc/docex/tl-a.pem:/etc/docex/tl-b.pem")
    settings = Settings()
    assert settings.trusted_list_signer == [
        Path("/etc/docex/tl-a.pem"),
        Path("/etc/docex/tl-b.pem"),
    ]
    assert settings.trusted_list_unsigned_dev_only is False


def test_production_refuses_unsigned_lists() -> None:
    with pytest.raises(ValidationError, match="trusted_list_unsigned_dev_only is for development"):
        Settings(
            environment="production",
            token_pepper="k3Zr8v0mQf2Lx9sT1wYbN4cJ6hUeA7pD",
            trust=["/etc/docex/tl.xml"],
            trusted_list_unsigned_dev_only=True,
        )


def test_cli_refuses_an_unchecked_list_and_takes_the_switches(
    signed_tl: Path, signer_pem: Path
) -> None:
    sample = str(REPO / "certs-dev" / "samples" / "referral.txt.p7s")
    refused = CliRunner().invoke(app, ["verify", "--trust", str(signed_tl), sample])
    assert refused.exit_code == ExitCode.USAGE
    assert "no trusted-list signer certificate is configured" in refused.stderr
    checked = CliRunner().invoke(
        app,
        ["verify", "--trust", str(signed_tl), "--trusted-list-signer", str(signer_pem), sample],
    )
    assert checked.exit_code == ExitCode.OK, checked.stderr
    assert checked.stdout.splitlines()[0] == f"TOTAL_PASSED QESig {sample}"
    dev = CliRunner().invoke(
        app, ["verify", "--trust", str(DEV_TL), "--trusted-list-unsigned-dev-only", sample]
    )
    assert dev.exit_code == ExitCode.OK, dev.stderr


def test_runtime_passes_the_trusted_list_settings(
    signed_tl: Path, signer_pem: Path, tmp_path: Path
) -> None:
    from docex.composition import build_container

    base: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'docex.sqlite3'}",
        "object_store": f"local:{tmp_path / 'objects'}",
        "trust": [signed_tl],
    }
    with pytest.raises(TrustConfigError, match="no trusted-list signer certificate"):
        build_container(Settings(**base))
    runtime = build_container(Settings(**base, trusted_list_signer=[signer_pem]))
    try:
        # The workers build their trust store from the verifier's configuration.
        config = runtime.verifier.config
        assert config.trusted_list_signers == (str(signer_pem),)
        assert config.trust_store().describe().startswith("1 trust anchor(s)")
    finally:
        runtime.close()
