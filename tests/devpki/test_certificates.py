from datetime import UTC, datetime

import pytest
from asn1crypto import x509
from pyhanko.sign.ades.qualified_asn1 import get_qc_statements

from docex.devpki import END_ENTITY_LABELS, DevPki
from docex.devpki.pki import ALL_LABELS
from docex.errors import DevPkiError
from tests.devpki.conftest import AFTER_REVOCATION, BEFORE_REVOCATION

NATURAL_PERSONS = tuple(label for label in END_ENTITY_LABELS if label != "facility-seal")
QUALIFIED_ESIGN = ("doctor-ecdsa", "doctor-rsa", "doctor2-ecdsa", "no-nonrep", "revoked", "expired")


def _qc(cert: x509.Certificate) -> dict[str, object]:
    return {
        st["statement_id"].native: st["statement_info"].native for st in get_qc_statements(cert)
    }


def _subject(cert: x509.Certificate) -> dict[str, str]:
    native: dict[str, str] = cert.subject.native
    return native


def _utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


@pytest.mark.parametrize("label", NATURAL_PERSONS)
def test_natural_person_subject_has_ukrainian_identifiers(pki: DevPki, label: str) -> None:
    subject = _subject(pki.cert(label))
    assert subject["country_name"] == "UA"
    assert subject["serial_number"].startswith("TINUA-")
    assert len(subject["serial_number"].removeprefix("TINUA-")) == 10
    assert subject["serial_number"].removeprefix("TINUA-").isdigit()
    assert subject["organization_identifier"] in ("NTRUA-38291045", "NTRUA-40123457")
    assert subject["organization_name"].startswith("КНП")
    assert subject["surname"]
    assert subject["given_name"]
    assert subject["common_name"].startswith(subject["surname"])


def test_rnokpps_are_unique(pki: DevPki) -> None:
    numbers = [_subject(pki.cert(label))["serial_number"] for label in NATURAL_PERSONS]
    assert len(set(numbers)) == len(numbers)


def test_doctors_work_at_two_facilities(pki: DevPki) -> None:
    org_ids = {
        label: _subject(pki.cert(label))["organization_identifier"]
        for label in ("doctor-ecdsa", "doctor-rsa", "doctor2-ecdsa")
    }
    assert org_ids["doctor-ecdsa"] == org_ids["doctor-rsa"] == "NTRUA-38291045"
    assert org_ids["doctor2-ecdsa"] == "NTRUA-40123457"


def test_facility_seal_is_a_legal_person(pki: DevPki) -> None:
    cert = pki.cert("facility-seal")
    subject = _subject(cert)
    assert "serial_number" not in subject
    assert "surname" not in subject
    assert subject["organization_identifier"] == "NTRUA-38291045"
    assert subject["organization_name"] == subject["common_name"]
    assert _qc(cert) == {"qc_compliance": None, "qc_sscd": None, "qc_type": ["qct_eseal"]}


@pytest.mark.parametrize("label", QUALIFIED_ESIGN)
def test_qualified_esign_statements(pki: DevPki, label: str) -> None:
    assert _qc(pki.cert(label)) == {
        "qc_compliance": None,
        "qc_sscd": None,
        "qc_type": ["qct_esign"],
    }


def test_untrusted_is_shaped_like_a_qualified_doctor(pki: DevPki) -> None:
    assert _qc(pki.cert("untrusted")) == _qc(pki.cert("doctor-ecdsa"))


def test_nonqualified_has_no_qc_statements_extension(pki: DevPki) -> None:
    extn_ids = [
        ext["extn_id"].native for ext in pki.cert("nonqualified")["tbs_certificate"]["extensions"]
    ]
    assert "qc_statements" not in extn_ids
    assert "certificate_policies" in extn_ids


def test_no_qscd_lacks_only_qc_sscd(pki: DevPki) -> None:
    assert _qc(pki.cert("no-qscd")) == {"qc_compliance": None, "qc_type": ["qct_esign"]}


@pytest.mark.parametrize("label", END_ENTITY_LABELS)
def test_key_usage(pki: DevPki, label: str) -> None:
    cert = pki.cert(label)
    expected = (
        {"digital_signature"} if label == "no-nonrep" else {"digital_signature", "non_repudiation"}
    )
    assert cert.key_usage_value.native == expected
    assert cert.critical_extensions >= {"key_usage"}


@pytest.mark.parametrize("label", END_ENTITY_LABELS)
def test_revocation_pointers_and_policies(pki: DevPki, label: str) -> None:
    cert = pki.cert(label)
    assert cert.crl_distribution_points
    assert cert.ocsp_urls
    for url in [*cert.ocsp_urls, *(dp.url for dp in cert.crl_distribution_points)]:
        assert url.startswith("http://dev-pki.docex.invalid/")
    assert cert.certificate_policies_value is not None


def test_key_types(pki: DevPki) -> None:
    assert pki.cert("doctor-rsa").public_key.algorithm == "rsa"
    assert pki.cert("doctor-rsa").public_key.bit_size == 2048
    for label in ("doctor-ecdsa", "doctor2-ecdsa"):
        key = pki.cert(label).public_key
        assert (key.algorithm, key.curve[1]) == ("ec", "secp256r1")


@pytest.mark.parametrize("label", ALL_LABELS)
def test_key_matches_certificate(pki: DevPki, label: str) -> None:
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_der_private_key(pki.key(label).dump(), password=None)
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_der == pki.cert(label).public_key.dump()


def test_validity_dates(pki: DevPki) -> None:
    root = pki.cert("root-ca")
    assert (root.not_valid_before, root.not_valid_after) == (_utc(2024, 1, 1), _utc(2045, 1, 1))
    expired = pki.cert("expired")
    assert (expired.not_valid_before, expired.not_valid_after) == (
        _utc(2024, 2, 1),
        _utc(2025, 2, 1),
    )
    for label in set(END_ENTITY_LABELS) - {"expired"}:
        cert = pki.cert(label)
        assert (cert.not_valid_before, cert.not_valid_after) == (_utc(2025, 1, 1), _utc(2035, 1, 1))


def test_tsa_has_critical_time_stamping_eku(pki: DevPki) -> None:
    tsa = pki.cert("tsa")
    assert tsa.extended_key_usage_value.native == ["time_stamping"]
    assert "extended_key_usage" in tsa.critical_extensions


def test_trust_anchors_are_the_root_only(pki: DevPki) -> None:
    assert [c.subject for c in pki.trust_anchors()] == [pki.cert("root-ca").subject]
    assert pki.cert("root-ca").self_issued


def test_chains(pki: DevPki) -> None:
    root = pki.cert("root-ca")
    chain = pki.chain("doctor-ecdsa")
    assert [c.subject for c in chain] == [
        pki.cert("doctor-ecdsa").subject,
        pki.cert("issuing-ca").subject,
        root.subject,
    ]
    untrusted_chain = pki.chain("untrusted")
    assert untrusted_chain[-1].subject == pki.cert("untrusted-root").subject
    assert root.subject not in [c.subject for c in untrusted_chain]
    assert root.public_key.dump() not in [c.public_key.dump() for c in untrusted_chain]


def test_revoked_is_on_the_crl_after_revocation(pki: DevPki) -> None:
    serial = pki.cert("revoked").serial_number
    entries = pki.crl(at=AFTER_REVOCATION)["tbs_cert_list"]["revoked_certificates"].native
    assert [(e["user_certificate"], e["revocation_date"]) for e in entries] == [
        (serial, datetime(2026, 1, 15, tzinfo=UTC))
    ]
    reasons = [ext["extn_value"] for ext in entries[0]["crl_entry_extensions"]]
    assert reasons == ["key_compromise"]
    assert not pki.crl(at=BEFORE_REVOCATION)["tbs_cert_list"]["revoked_certificates"].native


def test_root_crl_is_empty_and_signed_by_root(pki: DevPki) -> None:
    root_crl = pki.crl(at=AFTER_REVOCATION, issuer="root-ca")
    assert root_crl.issuer == pki.cert("root-ca").subject
    assert not root_crl["tbs_cert_list"]["revoked_certificates"].native


def test_ocsp_reports_revocation_as_of_the_moment(pki: DevPki) -> None:
    def status(label: str, at: datetime) -> object:
        response = pki.ocsp_response(label, at=at)
        assert response["response_status"].native == "successful"
        single = response.basic_ocsp_response["tbs_response_data"]["responses"][0]
        assert single["this_update"].native == at
        return single["cert_status"].native

    assert status("revoked", AFTER_REVOCATION) == {
        "revocation_time": datetime(2026, 1, 15, tzinfo=UTC),
        "revocation_reason": "key_compromise",
    }
    assert status("revoked", BEFORE_REVOCATION) == "good"
    assert status("doctor-ecdsa", AFTER_REVOCATION) == "good"


def test_ocsp_responder_is_delegated_by_issuing_ca(pki: DevPki) -> None:
    basic = pki.ocsp_response("doctor-ecdsa", at=AFTER_REVOCATION).basic_ocsp_response
    responder = basic["certs"][0]
    assert responder.subject == pki.cert("issuing-ca-ocsp").subject
    assert responder.issuer == pki.cert("issuing-ca").subject
    assert responder.extended_key_usage_value.native == ["ocsp_signing"]


def test_unknown_label_and_naive_time_are_refused(pki: DevPki) -> None:
    with pytest.raises(DevPkiError, match="unknown certificate label"):
        pki.cert("nobody")
    with pytest.raises(DevPkiError, match="timezone-aware"):
        pki.crl(at=datetime(2026, 3, 2))  # noqa: DTZ001 -- the point of the test
