"""Reading embedded OCSP responses: the shortcuts taken for speed give what asn1crypto gives.

Every own-evidence signature embeds OCSP responses never seen before, so how they are read
is paid per signature; these tests pin the shortcuts to the slow, obvious construction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from asn1crypto import cms, core, ocsp

from docex.devpki.pki import DevPki
from docex.signatures.evidence import ValidationData, from_signed_data
from docex.signatures.evidence_cache import BoundedCache, own_response
from docex.signatures.limits import DEFAULT_LIMITS
from docex.signatures.parsed import ParsedCache, wrap_basic_ocsp, wrapped_basic_ocsp_encoding
from docex.signatures.trust import load_trust_store
from tests.signatures.conftest import DEV_TRUST, signed_b_lt

MOMENT = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def _embedded_basic_responses(signature: bytes) -> list[ocsp.BasicOCSPResponse]:
    signer_info = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    for attr in signer_info["unsigned_attrs"]:
        if attr["type"].native == "revocation_values":
            return list(attr["values"][0]["ocsp_vals"])
    raise AssertionError("a B-LT signature without revocation-values")


def test_embedded_responses_are_wrapped_byte_for_byte_as_asn1crypto_wraps_them(
    pki: DevPki,
) -> None:
    signature = signed_b_lt(pki, MOMENT)
    responses = _embedded_basic_responses(signature)
    assert len(responses) == 2  # the signer's and the TSA's
    for basic in responses:
        der = basic.dump()
        wrapped = wrapped_basic_ocsp_encoding(der)
        assert wrapped == wrap_basic_ocsp(ocsp.BasicOCSPResponse.load(der)).dump()
        loaded = ocsp.OCSPResponse.load(wrapped, strict=True)
        assert loaded["response_status"].native == "successful"
        assert loaded["response_bytes"]["response"].parsed.dump() == der


class _Blob(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar = [("data", core.OctetString)]


@pytest.mark.parametrize("size", [3, 200, 300, 70_000])
def test_every_length_form_is_encoded_as_asn1crypto_encodes_it(size: int) -> None:
    # Short, one-, two- and three-byte length forms, in the response and in its wrappers.
    der = _Blob({"data": b"\x00" * size}).dump()
    assert wrapped_basic_ocsp_encoding(der) == (
        wrap_basic_ocsp(ocsp.BasicOCSPResponse.load(der)).dump()
    )


def test_the_responder_found_is_the_known_certificate_not_the_responses_copy(
    pki: DevPki,
) -> None:
    # The development responder embeds its certificate in each response, and the
    # signature carries it too: the one returned is the signature's, already parsed (and
    # kept by the parsed cache), not a copy parsed anew for every response.
    signature = signed_b_lt(pki, MOMENT)
    data = from_signed_data(cms.ContentInfo.load(signature)["content"], parsed=ParsedCache())
    cert = next(c for c in data.certs if c.sha256 == pki.cert("doctor-ecdsa").sha256)
    issuer = next(c for c in data.certs if c.sha256 == pki.cert("issuing-ca").sha256)
    trust = load_trust_store([DEV_TRUST])
    found = own_response(cert, issuer, data, trust.all_certificates, BoundedCache(16))
    assert found is not None
    basic = found.response["response_bytes"]["response"].parsed
    (embedded,) = basic["certs"]
    assert found.responder.sha256 == embedded.sha256
    assert any(found.responder is c for c in data.certs)


def _collected(signature: bytes, parsed: ParsedCache | None) -> ValidationData:
    return from_signed_data(cms.ContentInfo.load(signature)["content"], parsed=parsed)


def test_each_part_of_the_embedded_data_is_kept_for_its_own_bytes(pki: DevPki) -> None:
    # Two signatures of one signer at two moments: the same certificates, other OCSP
    # responses. The certificates come back as the objects read the first time, the
    # responses are read anew, and the whole is what collecting without a cache gives.
    cache = ParsedCache()
    first = signed_b_lt(pki, MOMENT)
    second = signed_b_lt(pki, MOMENT + timedelta(minutes=29))
    kept, again = _collected(first, cache), _collected(second, cache)
    assert again is not kept
    assert [id(c) for c in again.certs] == [id(c) for c in kept.certs]
    assert {o.dump() for o in again.ocsps}.isdisjoint({o.dump() for o in kept.ocsps})
    uncached = _collected(second, None)
    for ours, theirs in (
        (again.certs, uncached.certs),
        (again.crls, uncached.crls),
        (again.ocsps, uncached.ocsps),
    ):
        assert [i.dump() for i in ours] == [i.dump() for i in theirs]


def test_a_part_cut_short_by_a_bound_is_not_kept(pki: DevPki) -> None:
    signature = signed_b_lt(pki, MOMENT)
    cache = ParsedCache()
    tight = replace(DEFAULT_LIMITS, max_certificates=2)
    refused = from_signed_data(
        cms.ContentInfo.load(signature)["content"], parsed=cache, limits=tight
    )
    assert refused.refused is not None
    assert "max_certificates" in refused.refused
    assert len(refused.certs) == 2
    # The part the bound stopped was not remembered as if it held two certificates.
    whole = _collected(signature, cache)
    assert whole.refused is None
    assert len(whole.certs) == len(_collected(signature, None).certs) > 2
