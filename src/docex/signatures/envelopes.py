"""Nested CAdES envelopes: a CMS SignedData whose attached content is another one.

eHealth's signature service takes a document signed by a doctor and then sealed by the
facility: the facility signs, as attached content, the DER of the doctor's CMS. Each
such CMS is a *layer*; layer 0 is the innermost (the author's signature over the
document), layer 1 the CMS around it, and so on outwards.

A layer's content is recognised as a nested CMS by structure only: the encapsulated
content type is ``data`` or ``signedData``, and the content bytes are a DER SEQUENCE that
parses, strictly and without trailing bytes, as a ``ContentInfo`` holding ``SignedData``
with at least one signer (:func:`docex.signatures.inputs.parse_signed_data`). For
content type ``signedData``, RFC 5652 puts the bare ``SignedData`` in the octet string,
so that form is recognised too. Content that does not parse so is the document itself:
bytes that merely start like DER are never refused for it.

The unwrapping is bounded (:attr:`docex.signatures.limits.Limits.max_envelope_depth`):
each layer is parsed once, before any is verified, and the walk stops at the first
layer past the bound.
"""

from __future__ import annotations

from asn1crypto import cms, core

from docex.errors import NotASignatureError
from docex.signatures.inputs import CmsInput, is_der_sequence, parse_signed_data
from docex.signatures.limits import LimitExceededError

ENVELOPE_BOUND = "max_envelope_depth"
"""The :class:`~docex.signatures.limits.Limits` field that bounds the nesting."""

# Encapsulated content types whose content may be a nested CMS: ``data`` is what
# eHealth's service and most signing tools write; ``signedData`` is RFC 5652's own type.
_NESTABLE_CONTENT_TYPES = frozenset({"data", "signed_data"})


def attached_content(signed_data: cms.SignedData) -> bytes | None:
    """The bytes of the attached content (the octet string's value); None if detached."""
    content = signed_data["encap_content_info"]["content"]
    if content is core.VOID or content is None:
        return None
    # bytes() of a ParsableOctetString is its raw value whatever the content type says;
    # .native would be a parsed structure for content type signedData.
    return bytes(content)


def inner_layer(signed_data: cms.SignedData) -> CmsInput | None:
    """The CMS attached as this one's content, or None when the content is the document."""
    content_type = signed_data["encap_content_info"]["content_type"].native
    if content_type not in _NESTABLE_CONTENT_TYPES:
        return None
    content = attached_content(signed_data)
    if content is None or not is_der_sequence(content):
        return None
    try:
        return CmsInput(parse_signed_data(content), content)
    except NotASignatureError:
        pass
    if content_type == "signed_data":
        return _bare_signed_data(content)
    return None


def _bare_signed_data(content: bytes) -> CmsInput | None:
    try:
        signed_data = cms.SignedData.load(content, strict=True)
        has_signers = len(signed_data["signer_infos"]) > 0
    except Exception:  # asn1crypto raises ValueError, TypeError, KeyError, ...
        return None
    return CmsInput(signed_data, content) if has_signers else None


def unwrap(outer: CmsInput, *, max_depth: int) -> list[CmsInput]:
    """The layers of a CMS envelope, innermost (layer 0) first; a plain CMS is one layer.

    :raises LimitExceededError: the envelope holds more than ``max_depth`` layers.
    """
    layers = [outer]
    while (inner := inner_layer(layers[-1].signed_data)) is not None:
        if len(layers) >= max_depth:
            raise LimitExceededError("the nesting of CMS signatures")
        layers.append(inner)
    layers.reverse()
    return layers


def layer_signature_id(layer: int, index: int) -> str:
    """The report id of signer ``index`` (from 1) of ``layer``: ``S1`` in layer 0, ``L1.S1``…

    Layer 0 keeps the ids a single CMS has always had, so a document without envelope
    reports exactly as before.
    """
    return f"S{index}" if layer == 0 else f"L{layer}.S{index}"


__all__ = [
    "ENVELOPE_BOUND",
    "attached_content",
    "inner_layer",
    "layer_signature_id",
    "unwrap",
]
