"""Collecting a CAdES ``revocation-values`` attribute from its DER gives what asn1crypto gives.

Every own-evidence signature's ``revocation-values`` is new (its OCSP responses are), so
:func:`docex.signatures.evidence._revocation_values` walks the attribute's DER rather than
reading it with asn1crypto; these tests pin the walk to asn1crypto's reading, and check
that whatever the walk does not read goes to asn1crypto.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, core

from docex.devpki.dstu_pki import DstuPki
from docex.devpki.pki import DevPki
from docex.signatures.cades_asn1 import OtherRevVals
from docex.signatures.evidence import _revocation_values_from_der, from_signed_data
from docex.signatures.limits import DEFAULT_LIMITS
from docex.signatures.parsed import ParsedCache
from tests.signatures.conftest import CONTENT, signed_b_lt

MOMENT = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[1] / "data"


def _attribute(signature: bytes) -> cms.CMSAttribute:
    signer_info = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    for attr in signer_info["unsigned_attrs"]:
        if attr["type"].native == "revocation_values":
            return attr
    raise AssertionError("no revocation-values")


def _asn1crypto_items(attr: cms.CMSAttribute) -> list[tuple[str, bytes]]:
    items = []
    for value in attr["values"]:
        items += [("max_crls", c.dump()) for c in value["crl_vals"] or ()]
        items += [("max_ocsp_responses", o.dump()) for o in value["ocsp_vals"] or ()]
    return items


def _walked(attr: cms.CMSAttribute) -> list[tuple[str, bytes]] | None:
    items = _revocation_values_from_der(attr, ParsedCache())
    if items is None:
        return None
    result = []
    for bound, size, item in items:
        der = item.dump()
        if bound == "max_ocsp_responses":
            der = item["response_bytes"]["response"].parsed.dump()  # counted as embedded
        assert size == len(der)
        result.append((bound, der))
    return result


def test_the_walk_reads_a_development_signature_as_asn1crypto_does(pki: DevPki) -> None:
    attr = _attribute(signed_b_lt(pki, MOMENT))
    walked = _walked(attr)
    assert walked == _asn1crypto_items(attr)
    assert [bound for bound, _ in walked] == ["max_crls"] * 2 + ["max_ocsp_responses"] * 2


def test_the_walk_reads_a_dstu_signature_as_asn1crypto_does() -> None:
    signature = DstuPki.load().sign_cades(CONTENT, level="B-LT", signing_time=MOMENT)
    attr = _attribute(signature)
    walked = _walked(attr)
    assert walked is not None
    assert walked == _asn1crypto_items(attr)


def test_the_walk_reads_a_real_world_signature_as_asn1crypto_does() -> None:
    # DSS's CAdES B-LTA sample (LGPL-2.1, tests/data/dss/README.md).
    signature = (DATA / "dss" / "validation__Signature-C-B-LTA-10.p7m").read_bytes()
    attr = _attribute(signature)
    walked = _walked(attr)
    assert walked is not None
    assert len(walked) > 0
    assert walked == _asn1crypto_items(attr)


def _with_other_values(signature: bytes) -> bytes:
    info = cms.ContentInfo.load(signature)
    value = _attribute_of(info)["values"][0]
    value["other_rev_vals"] = OtherRevVals(
        {"other_rev_val_type": "1.2.3.4", "other_rev_vals": core.Null()}
    )
    der: bytes = info.dump(force=True)
    return der


def _attribute_of(info: cms.ContentInfo) -> cms.CMSAttribute:
    for attr in info["content"]["signer_infos"][0]["unsigned_attrs"]:
        if attr["type"].native == "revocation_values":
            return attr
    raise AssertionError("no revocation-values")


def test_other_revocation_values_are_left_to_asn1crypto(pki: DevPki) -> None:
    signature = _with_other_values(signed_b_lt(pki, MOMENT))
    assert _revocation_values_from_der(_attribute(signature), ParsedCache()) is None
    # And collecting still gives what it gives without the cache (asn1crypto throughout).
    signed_data = cms.ContentInfo.load(signature)["content"]
    cached = from_signed_data(signed_data, parsed=ParsedCache())
    plain = from_signed_data(cms.ContentInfo.load(signature)["content"])
    assert [c.dump() for c in cached.crls] == [c.dump() for c in plain.crls]
    assert [o.dump() for o in cached.ocsps] == [o.dump() for o in plain.ocsps]
    assert len(cached.ocsps) == 2


def test_an_indefinite_length_is_left_to_asn1crypto(pki: DevPki) -> None:
    attr = _attribute(signed_b_lt(pki, MOMENT))
    # The attribute and its SET of values re-encoded with indefinite lengths (BER).
    contents = bytes(attr.contents)
    oid = contents[: 2 + contents[1]]
    values = b"\x31\x80" + bytes(attr["values"].contents) + b"\x00\x00"
    ber = cms.CMSAttribute.load(b"\x30\x80" + oid + values + b"\x00\x00")
    assert [o.dump() for o in ber["values"][0]["ocsp_vals"]] == [
        o.dump() for o in attr["values"][0]["ocsp_vals"]
    ]
    assert _revocation_values_from_der(ber, ParsedCache()) is None


@pytest.mark.parametrize(("bound", "count"), [("max_ocsp_responses", 1), ("max_crls", 1)])
def test_the_walk_counts_against_the_bounds(pki: DevPki, bound: str, count: int) -> None:
    tight = replace(DEFAULT_LIMITS, **{bound: count})
    data = from_signed_data(
        cms.ContentInfo.load(signed_b_lt(pki, MOMENT))["content"],
        parsed=ParsedCache(),
        limits=tight,
    )
    assert data.refused is not None
    assert bound in data.refused
