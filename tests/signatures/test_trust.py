"""Trust configuration: certificate files and folders, ETSI TS 119 612 trusted lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import TrustConfigError
from docex.signatures.report import Indication, Qualification
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, REPO

TL = REPO / "certs-dev" / "tl"


def test_folder_file_and_der_anchors_agree(pki: DevPki, tmp_path: Path) -> None:
    der = tmp_path / "root.der"
    der.write_bytes(pki.cert("root-ca").dump())
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "root-ca.pem").write_bytes(
        (REPO / "certs-dev" / "trust" / "root-ca.pem").read_bytes()
    )
    stores = [
        load_trust_store([folder]),
        load_trust_store([REPO / "certs-dev" / "trust" / "root-ca.pem"]),
        load_trust_store([der]),
    ]
    assert {s.anchors[0].sha256 for s in stores} == {pki.cert("root-ca").sha256}
    assert len({s.fingerprint for s in stores}) == 2  # same bytes, same fingerprint
    # certs-dev/trust also names its TSA (tsa/): another configuration.
    assert load_trust_store([REPO / "certs-dev" / "trust"]).fingerprint not in {
        s.fingerprint for s in stores
    }


@pytest.mark.parametrize(
    ("signer", "qualification"),
    [("doctor-ecdsa", Qualification.QESIG), ("facility-seal", Qualification.QESEAL)],
)
def test_trusted_list_grants_qualification(
    pki: DevPki, signer: str, qualification: Qualification
) -> None:
    # The development list is unsigned: reading it needs the explicit development switch.
    store = load_trust_store([TL / "dev-trusted-list.xml"], allow_unsigned_trusted_list=True)
    with Verifier(store) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer=signer, level="B-LT"), content=CONTENT
        )
    assert (report.indication, report.qualification) == (Indication.TOTAL_PASSED, qualification)


def test_trusted_list_with_only_withdrawn_services_has_no_anchor() -> None:
    with pytest.raises(TrustConfigError, match="no trust anchor"):
        load_trust_store([TL / "dev-trusted-list-withdrawn.xml"], allow_unsigned_trusted_list=True)


def test_untrusted_root_as_only_anchor_rejects_the_qualified_chain(pki: DevPki) -> None:
    store = load_trust_store([REPO / "certs-dev" / "untrusted" / "untrusted-root.pem"])
    with Verifier(store) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT"), content=CONTENT
        )
    assert report.indication is Indication.INDETERMINATE


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("missing.pem", None, "does not exist"),
        ("garbage.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a"),
        ("garbage.der", b"\x30\x03\x02\x01\x01", "not a certificate"),
        ("list.xml", b"<TrustServiceStatusList><broken", "cannot be parsed"),
    ],
)
def test_bad_trust_sources_are_clear_errors(
    tmp_path: Path, name: str, data: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(TrustConfigError, match=message):
        load_trust_store([path])


def test_empty_folder_and_no_source_are_errors(tmp_path: Path) -> None:
    with pytest.raises(TrustConfigError, match="holds no certificate"):
        load_trust_store([tmp_path])
    with pytest.raises(TrustConfigError, match="no trust source"):
        load_trust_store([])
