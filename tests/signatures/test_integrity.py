"""The bytes a signature over signed attributes covers."""

from __future__ import annotations

from asn1crypto import cms

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.integrity import signed_attributes_encoding
from tests.signatures import tamper
from tests.signatures.conftest import CONTENT


def _signer_infos(der: bytes) -> list[cms.SignerInfo]:
    signer_info = tamper.signer_info(tamper.load(der))
    infos = [signer_info]
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "signature_time_stamp_token":
            infos.append(attr["values"][0]["content"]["signer_infos"][0])
    return infos


def test_signed_attributes_are_signed_as_untagged_der(pki: DevPki) -> None:
    good = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-T")
    for der in (good, tamper.change_signing_time(good, year=2024)):
        infos = _signer_infos(der)
        assert len(infos) == 2  # the signer and its time-stamp authority
        for signer_info in infos:
            signed_attrs = signer_info["signed_attrs"]
            expected = signed_attrs.untag().dump()
            assert expected[0] == 0x31  # a universal SET OF, not [0] IMPLICIT
            assert signed_attributes_encoding(signed_attrs) == expected
            # Looking attributes up first changes nothing.
            assert [a["type"].native for a in signed_attrs]
            assert signed_attributes_encoding(signed_attrs) == expected
