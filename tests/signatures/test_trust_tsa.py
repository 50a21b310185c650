"""Time-stamping services in the trust configuration (``docex.signatures.trust``)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from docex.devpki.pki import ISSUING_CA, ROOT_CA, TSA, DevPki
from docex.devpki.trusted_list import STATUS_WITHDRAWN, trusted_list_xml
from docex.errors import TrustConfigError
from docex.signatures.trust import load_trust_store
from tests.signatures.conftest import REPO
from tests.signatures.ua_pki import make_root, sign_trusted_list
from tests.signatures.ua_samples import UAPKI

DEV_TRUST = REPO / "certs-dev" / "trust"
DEV_TL = REPO / "certs-dev" / "tl" / "dev-trusted-list.xml"
_QTST = "<tsl:ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"


def _history_list(pki: DevPki) -> str:
    """The development list with its QTST withdrawn since 2026-06-01, granted before.

    TS 119 612 §5.6: the current status sits in ServiceInformation, earlier ones in
    ServiceHistory, each with its starting time.
    """
    xml = trusted_list_xml(root_ca=pki.cert(ROOT_CA), tsa=pki.cert(TSA))
    head, service = xml.split(_QTST)
    service = service.replace(
        "<tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
        "</tsl:ServiceStatus>\n            <tsl:StatusStartingTime>2024-01-01T00:00:00Z",
        f"<tsl:ServiceStatus>{STATUS_WITHDRAWN}</tsl:ServiceStatus>\n"
        "            <tsl:StatusStartingTime>2026-06-01T00:00:00Z",
        1,
    )
    history = f"""          <tsl:ServiceHistory>
            <tsl:ServiceHistoryInstance>
              {_QTST}</tsl:ServiceTypeIdentifier>
              <tsl:ServiceName><tsl:Name xml:lang="en">DEV TSA</tsl:Name></tsl:ServiceName>
              <tsl:ServiceDigitalIdentity><tsl:DigitalId><tsl:X509Certificate>{
        service.split("<tsl:X509Certificate>")[1].split("</tsl:X509Certificate>")[0]
    }</tsl:X509Certificate></tsl:DigitalId></tsl:ServiceDigitalIdentity>
              <tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted\
</tsl:ServiceStatus>
              <tsl:StatusStartingTime>2024-01-01T00:00:00Z</tsl:StatusStartingTime>
            </tsl:ServiceHistoryInstance>
          </tsl:ServiceHistory>
        </tsl:TSPService>"""
    service = service.replace(
        "</tsl:ServiceInformation>\n        </tsl:TSPService>",
        ("</tsl:ServiceInformation>\n" + history),
        1,
    )
    return head + _QTST + service


def test_trusted_list_status_history_bounds_the_service(pki: DevPki, tmp_path: Path) -> None:
    tl = tmp_path / "tl.xml"
    tl.write_text(_history_list(pki))
    store = load_trust_store([tl], allow_unsigned_trusted_list=True)
    path = [pki.cert(TSA), pki.cert(ISSUING_CA), pki.cert(ROOT_CA)]
    granted = store.tsa_service_at(path, datetime(2025, 3, 1, tzinfo=UTC))
    assert granted is not None
    assert granted.qualified is True
    assert store.tsa_service_at(path, datetime(2026, 7, 1, tzinfo=UTC)) is None
    # Still the service that names this TSA: the report can say it was withdrawn then.
    assert [s.name for s in store.tsa_services_for(path)] == [granted.service.name]


def test_a_signed_list_names_its_tsa_from_the_verified_xml(tmp_path: Path, pki: DevPki) -> None:
    signer = make_root("Оператор довірчого списку (TEST ONLY)")
    tl = tmp_path / "signed.xml"
    tl.write_bytes(sign_trusted_list(DEV_TL.read_bytes(), signer))
    signer_pem = tmp_path / "signer.pem"
    signer_pem.write_bytes(signer.pem())
    store = load_trust_store([tl], trusted_list_signers=[signer_pem])
    path = [pki.cert(TSA), pki.cert(ISSUING_CA), pki.cert(ROOT_CA)]
    match = store.tsa_service_at(path, datetime(2026, 11, 2, tzinfo=UTC))
    assert match is not None
    assert match.qualified is True
    assert match.service.source == f"trusted list {tl}"


def test_ukrainian_folder_names_the_tsp_certificate_only() -> None:
    store = load_trust_store([UAPKI])
    (service,) = store.tsa_services
    (identity,) = service.identities
    assert "TSP-сервер" in identity.subject.human_friendly
    assert service.source == "configured TSA certificate"
    assert [p.qualified for p in service.periods] == [True]


def test_the_only_tsa_is_the_configured_one(pki: DevPki) -> None:
    store = load_trust_store([DEV_TRUST])
    (service,) = store.tsa_services
    assert [c.sha256 for c in service.identities] == [pki.cert(TSA).sha256]
    assert service.source == f"TSA anchor {DEV_TRUST / 'tsa' / 'tsa.pem'}"
    # A TSA anchor is neither a trust anchor nor a CA that qualifies.
    assert [a.sha256 for a in store.anchors] == [pki.cert(ROOT_CA).sha256]


def test_tsa_anchors_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    without = tmp_path / "without"
    without.mkdir()
    shutil.copy(DEV_TRUST / "root-ca.pem", without / "root-ca.pem")
    assert load_trust_store([without]).fingerprint != load_trust_store([DEV_TRUST]).fingerprint


def test_empty_tsa_folder_is_refused(tmp_path: Path) -> None:
    shutil.copytree(DEV_TRUST, tmp_path / "trust")
    shutil.rmtree(tmp_path / "trust" / "tsa")
    (tmp_path / "trust" / "tsa").mkdir()
    (tmp_path / "trust" / "tsa" / "notes.xml").write_text("<a/>")
    with pytest.raises(TrustConfigError, match=r"tsa holds no certificate$"):
        load_trust_store([tmp_path / "trust"])
