"""The names of audited actions docex records today.

``record`` takes any string, so that new parts of docex can add actions without editing
this module; these are the ones the documents API, authentication and the administrative
use cases (``docex facility|employee|token``, webhook registration) write. Names are
``<subject>.<verb>``, so that a family can be filtered with ``<subject>.*``.

A change to who may do what that was refused (an unknown facility, a revoked token to
rotate, a webhook URL the policy forbids, a referral already taken) is recorded under the
action it attempted with ``outcome=refused``, the error's code and reason in the details.
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
DOCUMENT_READ_PAYLOAD: Final = "document.read_payload"
"""A document's signed payload (detached or encapsulated content, or the PDF) was fetched."""
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
FACILITY_ADD: Final = "facility.add"
"""A facility was registered; its EDRPOU and name are in the details."""
FACILITY_DEACTIVATE: Final = "facility.deactivate"
"""A facility was deactivated (recorded only when it was active)."""
EMPLOYEE_ADD: Final = "employee.add"
"""An employee was registered; the details name the facility and role, never the RNOKPP."""
EMPLOYEE_DEACTIVATE: Final = "employee.deactivate"
"""An employee was deactivated (recorded only when they were active)."""
TOKEN_ISSUE: Final = "token.issue"  # noqa: S105  # an action name
"""An API token was issued; its role and facility are in the details, never its secret."""
TOKEN_REVOKE: Final = "token.revoke"  # noqa: S105  # an action name
"""An API token was revoked (recorded only the first time); its role is in the details."""
TOKEN_ROTATE: Final = "token.rotate"  # noqa: S105  # an action name
"""An API token was rotated: the target is the old token, its successor's id and both
expiry times are in the details. The successor's issue is part of this one entry."""
WEBHOOK_REGISTER: Final = "webhook.register"
"""A facility registered or replaced its webhook; the URL's host is in the details."""
WEBHOOK_DELETE: Final = "webhook.delete"
"""A facility removed its webhook."""

# Target types.
DOCUMENT: Final = "document"
API_TOKEN: Final = "api_token"  # noqa: S105  # a target type, not a secret
AUDIT_LOG: Final = "audit_log"
REFERRAL: Final = "referral"
DELIVERY: Final = "delivery"
FACILITY: Final = "facility"
EMPLOYEE: Final = "employee"
WEBHOOK: Final = "webhook"
