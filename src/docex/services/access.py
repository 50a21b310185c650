"""Who may read which document: the one statement of the access rules.

Default deny. A facility reads the documents it submitted, those addressed to it, and
those routed to it (a delivery); an auditor reads everything.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from docex.db.deliveries import Delivery
from docex.db.documents import Document
from docex.registry.records import Principal


def visible_documents(*, facility_id: int | None) -> Select[Document]:
    """Documents a facility may read; with ``None`` (an auditor), every document."""
    query = select(Document)
    if facility_id is None:
        return query
    routed = select(Delivery.document_id).where(Delivery.facility_id == facility_id)
    return query.where(
        or_(
            Document.submitted_by_facility_id == facility_id,
            Document.recipient_facility_id == facility_id,
            Document.id.in_(routed),
        )
    )


def visible_to(principal: Principal) -> Select[Document]:
    """Documents the principal may read."""
    return visible_documents(facility_id=None if principal.is_auditor else principal.facility_id)
