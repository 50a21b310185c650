"""Reading OCSP responses without asn1crypto: the same facts, or asn1crypto's reading.

:mod:`docex.signatures.ocsp_facts` reads what the evidence caches and the report ask of an
OCSP response straight from the DER. These tests pin it to asn1crypto's reading of the same
fields, on every response the development PKIs make and the test files embed, and on the
forms the DER reader leaves to asn1crypto (which must then be asked, not guessed at).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms, core, ocsp, x509
from pyhanko.pdf_utils.reader import PdfFileReader

from docex.devpki.dstu_pki import DOCTOR_DSTU, TSA_DSTU, DstuPki
from docex.devpki.pki import DevPki
from docex.signatures.der import NotDerError
from docex.signatures.evidence import (
    CrlSummary,
    ValidationData,
    crl_summary,
    dss_validation_data,
    from_signed_data,
)
from docex.signatures.evidence_cache import BoundedCache, own_response
from docex.signatures.limits import DEFAULT_LIMITS
from docex.signatures.ocsp_facts import (
    OcspFacts,
    Unread,
    _read_response,
    ocsp_facts,
    ocsp_reading,
    read_ocsp_response,
    read_with_asn1crypto,
)

DATA = Path(__file__).resolve().parents[1] / "data"
MOMENT = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def _lean(der: bytes) -> OcspFacts:
    """The DER reader's facts, failing the test if it handed the bytes to asn1crypto."""
    return _read_response(der)


def _dev_responses(pki: DevPki) -> list[bytes]:
    # Good (the signer, the TSA) and revoked ("revoked", after its revocation on
    # 2026-01-15), each at two moments: one RSA responder, by key.
    labels = ("doctor-ecdsa", "tsa", "revoked")
    moments = (MOMENT, MOMENT + timedelta(hours=5))
    return [pki.ocsp_response(label, at=at).dump() for label in labels for at in moments]


def test_the_der_reader_reads_the_development_responses_as_asn1crypto_does(pki: DevPki) -> None:
    responses = _dev_responses(pki)
    statuses = set()
    for der in responses:
        facts = _lean(der)
        assert facts == read_with_asn1crypto(der)
        (single,) = facts.singles
        statuses.add(single.status)
        # The signed bytes are the response's tbsResponseData exactly.
        basic = ocsp.OCSPResponse.load(der)["response_bytes"]["response"].parsed
        assert facts.tbs == basic["tbs_response_data"].dump()
        assert facts.signature == basic["signature"].native
    assert statuses == {"good", "revoked"}
    revoked = _lean(responses[-1]).singles[0]
    assert (revoked.status, revoked.revocation_time) == (
        "revoked",
        datetime(2026, 1, 15, tzinfo=UTC),
    )


def test_the_der_reader_reads_dstu_responses_as_asn1crypto_does() -> None:
    dstu = DstuPki.load()
    for label in (DOCTOR_DSTU, TSA_DSTU):
        der = dstu.ocsp_response(label, at=MOMENT).dump()
        facts = _lean(der)
        assert facts == read_with_asn1crypto(der)
        assert facts.by_key
        assert facts.signed_digest_algorithm().dump() == facts.signature_algorithm


def _embedded_responses(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if data.startswith(b"%PDF-"):
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        found = list(dss_validation_data(reader, limits=DEFAULT_LIMITS).ocsps)
        for signature in reader.embedded_signatures:
            found += from_signed_data(signature.signed_data).ocsps
    else:
        found = list(from_signed_data(cms.ContentInfo.load(data)["content"]).ocsps)
    return [o.dump() for o in found]


# Real-world responses (DSS samples, LGPL-2.1; see tests/data/*/README.md): several
# responders and CAs, responders by name and by key, SHA-1 and SHA-512 CertIDs.
EMBEDDING = [
    DATA / "dss" / "validation__PAdES-LT.pdf",
    DATA / "dss" / "validation__Signature-C-B-LTA-10.p7m",
    DATA / "pdf" / "pades-ltv.pdf",
    DATA / "dss" / "validation__pades-t-duplicated-doctst.pdf",
]


@pytest.mark.parametrize("path", EMBEDDING, ids=lambda p: p.name)
def test_embedded_real_world_responses_read_as_asn1crypto_reads_them(path: Path) -> None:
    responses = _embedded_responses(path)
    assert responses, "the file embeds OCSP responses"
    for der in responses:
        assert _lean(der) == read_with_asn1crypto(der)


def test_a_responder_by_name_is_read_as_its_name_encoding() -> None:
    name = x509.Name.build({"common_name": "Responder", "country_name": "UA"})
    der = _response(responder_id=ocsp.ResponderId(name="by_name", value=name)).dump()
    facts = _lean(der)
    assert (facts.by_key, facts.responder_id) == (False, name.dump())
    assert facts == read_with_asn1crypto(der)


# --- what the DER reader leaves to asn1crypto -----------------------------------------------


def _single(
    *, this_update: datetime = MOMENT, status: ocsp.CertStatus | None = None
) -> ocsp.SingleResponse:
    return ocsp.SingleResponse(
        {
            "cert_id": {
                "hash_algorithm": {"algorithm": "sha1"},
                "issuer_name_hash": b"\x01" * 20,
                "issuer_key_hash": b"\x02" * 20,
                "serial_number": 4098,
            },
            "cert_status": status or ocsp.CertStatus(name="good", value=core.Null()),
            "this_update": this_update,
            "next_update": this_update + timedelta(minutes=10),
        }
    )


def _response(
    *,
    singles: list[ocsp.SingleResponse] | None = None,
    produced_at: datetime = MOMENT,
    responder_id: ocsp.ResponderId | None = None,
) -> ocsp.OCSPResponse:
    tbs = ocsp.ResponseData(
        {
            "responder_id": responder_id or ocsp.ResponderId(name="by_key", value=b"\x03" * 20),
            "produced_at": produced_at,
            "responses": singles if singles is not None else [_single()],
        }
    )
    basic = ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": tbs,
            "signature_algorithm": {"algorithm": "sha256_rsa"},
            "signature": b"\x04" * 256,
        }
    )
    return ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    )


def test_fractional_seconds_are_left_to_asn1crypto_which_reads_them() -> None:
    precise = MOMENT + timedelta(microseconds=250_000)
    der = _response(produced_at=precise).dump()
    with pytest.raises(NotDerError):
        _read_response(der)
    facts = read_ocsp_response(der)
    assert isinstance(facts, OcspFacts)
    assert facts.produced_at == precise


def test_a_non_minimal_length_is_left_to_asn1crypto() -> None:
    der = _response().dump()
    # The outer SEQUENCE's length in the long form with a leading zero byte: BER, not DER.
    header_length = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    length = len(der) - header_length
    ber = b"\x30\x83" + length.to_bytes(3, "big") + der[header_length:]
    with pytest.raises(NotDerError):
        _read_response(ber)
    facts = read_ocsp_response(ber)
    assert isinstance(facts, OcspFacts)
    assert replace(facts, sha256=b"") == read_with_asn1crypto(ber)
    assert facts.sha256 == hashlib.sha256(ber).digest()


def test_a_response_of_another_status_has_no_facts() -> None:
    der = ocsp.OCSPResponse({"response_status": "try_later"}).dump()
    assert read_ocsp_response(der) is Unread.NOT_BASIC


def test_a_response_that_cannot_be_read_whole_is_malformed_not_ignored() -> None:
    der = _response(singles=[_single(), _single()]).dump()
    # The second single response's serial INTEGER (tag 02) made a NULL (tag 05): asn1crypto
    # reads the first single response, and fails on the second only when it gets there.
    at = der.rindex(b"\x02\x02\x10\x02")
    broken = der[:at] + b"\x05" + der[at + 1 :]
    assert read_ocsp_response(broken) is Unread.MALFORMED
    assert read_ocsp_response(der[:-10]) is Unread.MALFORMED


def test_a_malformed_response_keeps_the_fast_path_from_choosing_another(pki: DevPki) -> None:
    # The signer's good response beside one about the same certificate that cannot be
    # read whole: certvalidator might read a "revoked" from the latter, so the chain path
    # does not take the former.
    cert, issuer = pki.cert("doctor-ecdsa"), pki.cert("issuing-ca")
    good = pki.ocsp_response("doctor-ecdsa", at=MOMENT)
    identifiers: BoundedCache[bytes, tuple[bytes, bytes]] = BoundedCache(16)
    certs = (*pki.chain("doctor-ecdsa"), pki.cert("issuing-ca-ocsp"))
    alone = ValidationData(certs=certs, ocsps=(good,))
    found = own_response(cert, issuer, alone, (), identifiers)
    assert found is not None
    assert found.single.status == "good"
    der = good.dump()
    at = der.index(b"\x18\x0f", der.index(b"\x80\x00"))  # the single's thisUpdate
    broken = ocsp.OCSPResponse.load(der[:at] + b"\x05" + der[at + 1 :])
    assert ocsp_reading(broken) is Unread.MALFORMED
    both = ValidationData(certs=certs, ocsps=(good, broken))
    assert own_response(cert, issuer, both, (), identifiers) is None


def test_the_facts_are_read_once_per_response_object(pki: DevPki) -> None:
    response = pki.ocsp_response("doctor-ecdsa", at=MOMENT)
    first = ocsp_facts(response)
    assert first is not None
    assert ocsp_facts(response) is first
    # Another object with the same bytes reads the same facts.
    assert ocsp_facts(ocsp.OCSPResponse.load(response.dump())) == first


def test_the_facts_name_the_whole_response_by_its_digest(pki: DevPki) -> None:
    response = pki.ocsp_response("doctor-ecdsa", at=MOMENT)
    facts = ocsp_facts(response)
    assert facts is not None
    assert facts.sha256 == hashlib.sha256(response.dump()).digest()


def test_a_crl_summary_is_what_asn1crypto_reads_kept_on_the_crl(pki: DevPki) -> None:
    item = pki.crl(at=MOMENT)
    summary = crl_summary(item)
    tbs = item["tbs_cert_list"]
    assert summary == CrlSummary(
        issuer_sha256=tbs["issuer"].sha256,
        this_update=tbs["this_update"].native,
        next_update=tbs["next_update"].native,
        sha256=hashlib.sha256(item.dump()).digest(),
    )
    assert crl_summary(item) is summary


def test_the_certificates_digest_is_of_the_set_offered(pki: DevPki) -> None:
    chain = tuple(pki.chain("doctor-ecdsa"))
    once = ValidationData(certs=chain)
    twice = ValidationData(certs=chain + tuple(reversed(chain)))
    fewer = ValidationData(certs=chain[:-1])
    assert once.certificates_digest == twice.certificates_digest != fewer.certificates_digest
