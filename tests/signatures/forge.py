"""Signatures with one precise defect, built from the development PKI, for verdict tests.

Each function returns new DER bytes; what is not mentioned stays as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from asn1crypto import cms
from pyhanko.sign.ades.api import CAdESSignedAttrSpec
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from docex.devpki import signing
from docex.devpki.pki import DevPki
from docex.signatures.cades_asn1 import RevocationValues
from tests.signatures import tamper


def signer_info(der: bytes) -> tuple[cms.ContentInfo, cms.SignerInfo]:
    info = tamper.load(der)
    return info, tamper.signer_info(info)


def tsa_token_signature_flipped(der: bytes) -> bytes:
    """Flip a byte in the signature value of the signature time-stamp's own signer."""
    info, si = signer_info(der)
    attrs = []
    for attr in si["unsigned_attrs"]:
        if attr["type"].native == "signature_time_stamp_token":
            token = cms.ContentInfo.load(attr["values"][0].dump())
            token_si = token["content"]["signer_infos"][0]
            value = bytearray(token_si["signature"].native)
            value[len(value) // 2] ^= 0x01
            token_si["signature"] = bytes(value)
            attr = cms.CMSAttribute(
                {
                    "type": "signature_time_stamp_token",
                    "values": [cms.ContentInfo.load(token.dump(force=True))],
                }
            )
        attrs.append(cms.CMSAttribute.load(attr.dump(force=True)))
    si["unsigned_attrs"] = cms.CMSAttributes(attrs)
    return tamper.encode(info)


def resign(
    pki: DevPki,
    der: bytes,
    signer: str,
    edit: Callable[[list[cms.CMSAttribute]], list[cms.CMSAttribute]],
) -> bytes:
    """Edit the signed attributes, sign them again with ``signer``'s key, drop unsigned ones.

    The signature value is valid over the edited attributes: only what was edited differs.
    """
    info, si = signer_info(der)
    signed_attrs = cms.CMSAttributes(edit(list(si["signed_attrs"])))
    si["signed_attrs"] = signed_attrs
    to_sign = b"\x31" + cms.CMSAttributes.load(signed_attrs.dump(force=True)).dump()[1:]
    si["signature"] = tamper._sign(pki.key(signer), to_sign)
    si["unsigned_attrs"] = None
    return tamper.encode(info)


def with_revocation_data(pki: DevPki, der: bytes, signer: str, *, at: datetime) -> bytes:
    """Attach OCSP and CRLs as of ``at`` (unsigned, so the signature stays intact)."""
    info, si = signer_info(der)
    basic = pki.ocsp_response(signer, at=at)["response_bytes"]["response"].parsed
    values = RevocationValues(
        {
            "crl_vals": [pki.crl(at=at), pki.crl(at=at, issuer="root-ca")],
            "ocsp_vals": [basic],
        }
    )
    unsigned = list(si["unsigned_attrs"] or ())
    unsigned.append(cms.CMSAttribute({"type": "revocation_values", "values": [values]}))
    si["unsigned_attrs"] = cms.CMSAttributes(unsigned)
    return tamper.encode(info)


def with_content_timestamp(
    pki: DevPki, content: bytes, signer: str, *, long_term: bool = False
) -> bytes:
    """A detached CAdES signature over ``content`` with a content-time-stamp attribute."""
    simple = signing._simple_signer(pki, signer)
    timestamper = signing._timestamper(pki, datetime.now(UTC))
    attrs = PdfCMSSignedAttributes(
        signing_time=datetime.now(UTC),
        cades_signed_attrs=CAdESSignedAttrSpec(timestamp_content=True),
    )
    info = asyncio.run(
        simple.async_sign_general_data(
            content,
            "sha256",
            detached=True,
            use_cades=True,
            timestamper=timestamper,
            signed_attr_settings=attrs,
        )
    )
    if long_term:
        data = signing.validation_data(pki, signer=signer, at=datetime.now(UTC))
        signing._add_cades_validation_data(info, data)
    der: bytes = info.dump()
    return der
