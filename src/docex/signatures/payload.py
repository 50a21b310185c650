"""The signed payload: the bytes a signature file's signatures are over.

For a CMS signature that is the detached content given beside it, or the content
encapsulated in it; for a nested CMS (a doctor's signature sealed by the facility, see
:mod:`docex.signatures.envelopes`) the innermost layer's content, which is the document;
for a PAdES signature the PDF itself.

Reading the payload trusts nothing: it is a structural unwrap, bounded like the
verifier's. The bytes mean something only after the verifier has accepted the signature
over them, which is why the services read a payload only from a verified submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from docex.errors import NotASignatureError
from docex.signatures.envelopes import attached_content, unwrap
from docex.signatures.inputs import DEFAULT_MAX_INPUT_BYTES, CmsInput, decode_signature
from docex.signatures.limits import Limits

DEFAULT_MAX_ENVELOPE_DEPTH = Limits().max_envelope_depth
"""The nesting bound used when the caller names none: the verifier's default."""


class PayloadSource(StrEnum):
    """Where a signature file's payload is."""

    DETACHED = "detached"
    """Given beside a detached CMS signature."""
    ATTACHED = "attached"
    """Encapsulated in the (innermost) CMS."""
    PDF = "pdf"
    """The PDF that carries its PAdES signatures."""


@dataclass(frozen=True)
class SignedPayload:
    """The bytes the signatures are over, and where they were found."""

    data: bytes
    source: PayloadSource


def signed_payload(
    signed: bytes,
    content: bytes | None = None,
    *,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    max_envelope_depth: int = DEFAULT_MAX_ENVELOPE_DEPTH,
) -> SignedPayload:
    """The payload of ``signed`` (with its detached ``content``, if any).

    :raises NotASignatureError: ``signed`` is not a signature file, a detached CMS comes
        without its content, or an attached one comes with content beside it.
    :raises docex.signatures.limits.LimitExceededError: the envelope nests deeper than
        ``max_envelope_depth``.
    """
    decoded = decode_signature(signed, limit=max_input_bytes)
    if not isinstance(decoded, CmsInput):
        if content is not None:
            raise NotASignatureError("a PDF signature carries its content; send no other")
        return SignedPayload(decoded.data, PayloadSource.PDF)
    innermost = unwrap(decoded, max_depth=max_envelope_depth)[0]
    attached = attached_content(innermost.signed_data)
    if attached is not None:
        if content is not None:
            raise NotASignatureError(
                "the signature carries its content attached; send no detached content"
            )
        return SignedPayload(attached, PayloadSource.ATTACHED)
    if content is None:
        raise NotASignatureError("a detached signature needs its content")
    return SignedPayload(content, PayloadSource.DETACHED)


__all__ = ["DEFAULT_MAX_ENVELOPE_DEPTH", "PayloadSource", "SignedPayload", "signed_payload"]
