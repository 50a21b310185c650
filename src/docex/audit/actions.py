"""The names of audited actions docex records today.

``record`` takes any string, so that new parts of docex can add actions without editing
this module; these are the ones the documents API and authentication write. Names are
``<subject>.<verb>``, so that a family can be filtered with ``<subject>.*``.
"""

from __future__ import annotations

from typing import Final

DOCUMENT_SUBMIT: Final = "document.submit"
"""A document was accepted (or an earlier acceptance replayed for the same key)."""
DOCUMENT_REFUSE: Final = "document.refuse"
"""A submission was refused: the signature, the signer, the recipient, the input."""
DOCUMENT_READ: Final = "document.read"
"""A document's metadata and validation report were read (or the read was refused)."""
DOCUMENT_READ_CONTENT: Final = "document.read_content"
"""A document's original signed bytes were fetched."""
DOCUMENT_LIST: Final = "document.list"
"""Documents were listed; the filters are in the details."""
TOKEN_USE: Final = "token.use"  # noqa: S105  # an action name, not a secret
"""An API request authenticated with a token; one entry per request."""
TOKEN_REFUSED: Final = "token.refused"  # noqa: S105  # an action name
"""A request presented a token that did not authenticate."""
AUDIT_READ: Final = "audit.read"
"""An auditor read the audit log."""
DOCUMENT_REVALIDATE: Final = "document.revalidate"
"""A stored document was verified again; the new verdict is in the details."""
REFERRAL_TRANSITION: Final = "referral.transition"
"""A referral changed status (issued, taken, released, completed, recalled, expired...)."""
DELIVERY_CREATE: Final = "delivery.create"
"""A document was routed to a facility."""
DELIVERY_FETCH: Final = "delivery.fetch"
"""The recipient downloaded a delivered document for the first time."""
DELIVERY_ACK: Final = "delivery.ack"
"""The recipient acknowledged a delivery (with or without a signed receipt)."""

# Target types.
DOCUMENT: Final = "document"
API_TOKEN: Final = "api_token"  # noqa: S105  # a target type, not a secret
AUDIT_LOG: Final = "audit_log"
REFERRAL: Final = "referral"
DELIVERY: Final = "delivery"
