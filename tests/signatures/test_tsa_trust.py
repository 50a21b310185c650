"""Time-stamp trust: only configured time-stamping services, under proof-of-existence rules.

The development TSA (timeStamping EKU, issued by the signer's own CA) is accepted only when
the trust configuration names it; its certificate is validated again at the time the
token's best proof of existence shows (``docex.signatures.timestamps.confirm_at_poe``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import pem

from docex.devpki.pki import ISSUING_CA, ROOT_CA, TSA, DevPki
from docex.devpki.signing import sign_cades
from docex.devpki.trusted_list import TSA_NOT_QUALIFIED, trusted_list_xml
from docex.signatures.report import (
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
    TimestampInfo,
)
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures import tsa_cases
from tests.signatures.conftest import CONTENT, REPO

DEV_ROOT = REPO / "certs-dev" / "trust" / f"{ROOT_CA}.pem"
UNCONFIGURED = "time-stamp authority is not a configured time-stamping service"


def _pem(pki: DevPki, label: str) -> bytes:
    armored: bytes = pem.armor("CERTIFICATE", pki.cert(label).dump())
    return armored


def _trust_folder(root: Path, pki: DevPki, *, tsa_anchors: tuple[str, ...] = ()) -> Path:
    """A trust folder with the root CA, and the given labels in its ``tsa/`` subfolder."""
    folder = root / "trust"
    folder.mkdir()
    shutil.copy(DEV_ROOT, folder / DEV_ROOT.name)
    if tsa_anchors:
        (folder / "tsa").mkdir()
        for label in tsa_anchors:
            (folder / "tsa" / f"{label}.pem").write_bytes(_pem(pki, label))
    return folder


def _only(report_signatures: tuple[SignatureReport, ...]) -> SignatureReport:
    (signature,) = report_signatures
    return signature


def _verify_cades(
    store_paths: list[Path], pki: DevPki, *, allow_unsigned_trusted_list: bool = False
) -> SignatureReport:
    signed = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    store = load_trust_store(store_paths, allow_unsigned_trusted_list=allow_unsigned_trusted_list)
    with Verifier(store) as verifier:
        report = verifier.verify(signed, content=CONTENT)
    signature = _only(report.signatures)
    # Without a proven time, the signature is judged at the validation time.
    assert signature.best_signature_time in (report.validation_time, signature.timestamp_time)
    return signature


def _signature_timestamp(signature: SignatureReport) -> TimestampInfo:
    (ts,) = (t for t in signature.timestamps if t.kind == "signature")
    return ts


@pytest.fixture(scope="module")
def revoked_tsa(tmp_path_factory: pytest.TempPathFactory) -> tsa_cases.RevokedTsaPki:
    return tsa_cases.load(tmp_path_factory.mktemp("revoked-tsa"))


@pytest.fixture(scope="module")
def revoked_tsa_verifier(revoked_tsa: tsa_cases.RevokedTsaPki) -> Iterator[Verifier]:
    with Verifier(load_trust_store([revoked_tsa.trust_folder])) as verifier:
        yield verifier


def test_tsa_under_the_signers_ca_but_not_configured_proves_nothing(pki: DevPki) -> None:
    # Only the root is configured: the TSA chains to it and has the timeStamping EKU,
    # which used to be enough.
    signature = _verify_cades([DEV_ROOT], pki)
    ts = _signature_timestamp(signature)
    assert (ts.indication, ts.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert ts.message.startswith(UNCONFIGURED)
    assert ts.qualified is None
    # Such a token proves no time and claims no level.
    assert signature.timestamp_time is None
    assert signature.format == "CAdES-BASELINE-B"


def test_unconfigured_tsa_document_timestamp_claims_no_lta() -> None:
    # The committed PAdES B-LTA sample, under a configuration that names no TSA.
    sample = (REPO / "certs-dev" / "samples" / "examination-result.pdf").read_bytes()
    with Verifier(load_trust_store([DEV_ROOT])) as verifier:
        signature = _only(verifier.verify(sample).signatures)
    assert [(t.kind, t.sub_indication) for t in signature.timestamps] == [
        ("signature", SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
        ("document", SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
    ]
    assert signature.format == "PAdES-BASELINE-B"


@pytest.mark.parametrize("anchor", [TSA, ISSUING_CA])
def test_tsa_anchor_in_the_tsa_subfolder_is_accepted(
    pki: DevPki, tmp_path: Path, anchor: str
) -> None:
    # The TSA's own certificate, or the CA that issued it, in trust/tsa/.
    folder = _trust_folder(tmp_path, pki, tsa_anchors=(anchor,))
    signature = _verify_cades([folder], pki)
    ts = _signature_timestamp(signature)
    assert (ts.indication, ts.qualified) == (Indication.TOTAL_PASSED, True)
    assert ts.message.startswith("qualified time-stamp by ")
    assert ts.tsa_service is not None
    assert "TSA anchor" in ts.tsa_service
    assert signature.format == "CAdES-BASELINE-LT"
    assert signature.timestamp_time == ts.time


def test_tsa_anchor_does_not_qualify_signers(pki: DevPki, tmp_path: Path) -> None:
    # trust/tsa/ marks TSAs only: the issuing CA there is no qualified CA, nor an anchor.
    folder = tmp_path / "trust"
    (folder / "tsa").mkdir(parents=True)
    (folder / "untrusted-root.pem").write_bytes(_pem(pki, "untrusted-root"))
    (folder / "tsa" / f"{ISSUING_CA}.pem").write_bytes(_pem(pki, ISSUING_CA))
    signature = _verify_cades([folder], pki)
    assert (signature.indication, signature.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )


def test_tsa_certificate_listed_with_the_cas_is_configured(pki: DevPki, tmp_path: Path) -> None:
    # Ukraine's bundle lists each provider's TSP certificate beside its CA certificates.
    folder = _trust_folder(tmp_path, pki)
    (folder / f"{TSA}.pem").write_bytes(_pem(pki, TSA))
    ts = _signature_timestamp(_verify_cades([folder], pki))
    assert (ts.indication, ts.qualified) == (Indication.TOTAL_PASSED, True)
    assert ts.tsa_service is not None
    assert "configured TSA certificate" in ts.tsa_service


def test_trusted_list_qtst_gives_a_qualified_timestamp(pki: DevPki) -> None:
    tl = REPO / "certs-dev" / "tl" / "dev-trusted-list.xml"
    signature = _verify_cades([tl], pki, allow_unsigned_trusted_list=True)
    ts = _signature_timestamp(signature)
    assert (ts.indication, ts.qualified) == (Indication.TOTAL_PASSED, True)
    assert ts.tsa_service is not None
    assert "trusted list" in ts.tsa_service
    assert (signature.indication, signature.qualification) == (
        Indication.TOTAL_PASSED,
        Qualification.QESIG,
    )


def test_trusted_list_non_qualified_tsa_is_accepted_as_not_qualified(
    pki: DevPki, tmp_path: Path
) -> None:
    tl = tmp_path / "tl.xml"
    tl.write_text(
        trusted_list_xml(root_ca=pki.cert(ROOT_CA), tsa=pki.cert(TSA), tsa_type=TSA_NOT_QUALIFIED)
    )
    signature = _verify_cades([tl], pki, allow_unsigned_trusted_list=True)
    ts = _signature_timestamp(signature)
    assert (ts.indication, ts.qualified) == (Indication.TOTAL_PASSED, False)
    assert ts.message.startswith("time-stamp (not qualified) by ")
    assert signature.format == "CAdES-BASELINE-LT"


def test_trusted_list_tsa_not_yet_granted_at_the_timestamp(pki: DevPki, tmp_path: Path) -> None:
    tl = tmp_path / "tl.xml"
    tl.write_text(
        trusted_list_xml(
            root_ca=pki.cert(ROOT_CA), tsa=pki.cert(TSA), tsa_since="2040-01-01T00:00:00Z"
        )
    )
    ts = _signature_timestamp(_verify_cades([tl], pki, allow_unsigned_trusted_list=True))
    assert (ts.indication, ts.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert ts.message.startswith(f"{UNCONFIGURED}: the service ")
    assert "was not granted at" in ts.message


def test_tsa_revoked_before_validation_time_without_later_poe_is_not_trusted(
    revoked_tsa: tsa_cases.RevokedTsaPki, revoked_tsa_verifier: Verifier
) -> None:
    signed = tsa_cases.cades_by_revoked_tsa(revoked_tsa, CONTENT, tsa_cases.VALIDATED_AT)
    report = revoked_tsa_verifier.verify(signed, content=CONTENT, at=tsa_cases.VALIDATED_AT)
    signature = _only(report.signatures)
    ts = _signature_timestamp(signature)
    assert (ts.indication, ts.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_NO_POE,
    )
    assert f"was revoked at {tsa_cases.TSA_REVOKED_AT.isoformat()}" in ts.message
    assert f"earliest proof of existence is {tsa_cases.VALIDATED_AT.isoformat()}" in ts.message
    # The token proved its time when made; what it cannot prove is that it was made then.
    assert signature.timestamp_time is None


def test_same_token_is_trusted_as_of_a_time_before_the_revocation(
    revoked_tsa: tsa_cases.RevokedTsaPki, revoked_tsa_verifier: Verifier
) -> None:
    before = tsa_cases.ARCHIVED_AT
    signed = tsa_cases.cades_by_revoked_tsa(revoked_tsa, CONTENT, before, tsa_cases.VALIDATED_AT)
    report = revoked_tsa_verifier.verify(signed, content=CONTENT, at=before)
    signature = _only(report.signatures)
    ts = _signature_timestamp(signature)
    assert (ts.indication, ts.qualified) == (Indication.TOTAL_PASSED, True)
    assert signature.timestamp_time == tsa_cases.SIGNED_AT


@pytest.mark.parametrize(
    ("archived", "indication", "sub_indication"),
    [
        (False, Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE),
        (True, Indication.TOTAL_PASSED, None),
    ],
)
def test_later_document_timestamp_is_the_poe_of_a_revoked_tsas_token(
    revoked_tsa: tsa_cases.RevokedTsaPki,
    revoked_tsa_verifier: Verifier,
    archived: bool,
    indication: Indication,
    sub_indication: SubIndication | None,
) -> None:
    signed = tsa_cases.pades_by_revoked_tsa(revoked_tsa, archived=archived)
    report = revoked_tsa_verifier.verify(signed, at=tsa_cases.VALIDATED_AT)
    signature = _only(report.signatures)
    ts = _signature_timestamp(signature)
    assert (ts.indication, ts.sub_indication) == (indication, sub_indication)
    if archived:
        # The document time-stamp (by the good TSA, before the revocation) proves the
        # token existed while the revoked TSA's certificate was still good.
        (document,) = (t for t in signature.timestamps if t.kind == "document")
        assert (document.indication, document.time) == (
            Indication.TOTAL_PASSED,
            tsa_cases.ARCHIVED_AT,
        )
        assert signature.timestamp_time == tsa_cases.SIGNED_AT
    else:
        assert signature.timestamp_time is None
