"""Reading documents under the access rules.

The rules are in :mod:`docex.services.access`. Anything a principal may not read is reported
as not found, so that a facility cannot learn that a document it may not read exists.

Every read is recorded in the audit log, in the transaction that made it; reads refused
as not found are recorded too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.db.pagination import PageRequest, TimeIdKeyset, cut_page, keyset_select
from docex.domain import DocumentKind, Outcome
from docex.errors import NotFoundError
from docex.registry.records import Principal
from docex.services.access import visible_to
from docex.services.deliveries import mark_fetched
from docex.services.records import DocumentRecord
from docex.services.runtime import Runtime
from docex.storage.base import ObjectReader

log = logging.getLogger("docex.documents")

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class DocumentPage:
    """One page of a listing and the cursor for the next, if any."""

    documents: list[DocumentRecord]
    next_cursor: str | None


def _visible(principal: Principal) -> Select[Document]:
    return visible_to(principal)


def get_document(
    runtime: Runtime, *, principal: Principal, document_id: uuid.UUID
) -> DocumentRecord:
    """A document the principal may read; ``NotFoundError`` otherwise. Both are audited."""
    with _audited_read(runtime, principal, actions.DOCUMENT_READ, document_id) as session:
        document = _find(session, principal, document_id)
        _record_read(session, principal, actions.DOCUMENT_READ, document)
        found = DocumentRecord.of(document)
    log.info("read metadata of %s by token %s", document_id, principal.token_id)
    return found


def open_content(
    runtime: Runtime, *, principal: Principal, document_id: uuid.UUID
) -> tuple[DocumentRecord, ObjectReader]:
    """The original signed bytes of a document the principal may read, as a stream.

    Recorded as ``document.read_content`` once the object store has opened them; a
    recipient's first download marks its delivery ``fetched`` in the same transaction.
    """
    action = actions.DOCUMENT_READ_CONTENT
    reader: ObjectReader | None = None
    try:
        with _audited_read(runtime, principal, action, document_id) as session:
            document = _find(session, principal, document_id)
            reader = runtime.store.open(document.object_key)
            mark_fetched(
                session, document_id=document.id, principal=principal, events=runtime.events
            )
            _record_read(session, principal, action, document)
            session.flush()
            found = DocumentRecord.of(document)
    except BaseException:
        if reader is not None:
            reader.close()
        raise
    log.info("read content of %s by token %s", document_id, principal.token_id)
    return found, reader


def _find(session: Session, principal: Principal, document_id: uuid.UUID) -> Document:
    document = session.scalar(_visible(principal).where(Document.id == document_id))
    if document is None:
        raise NotFoundError(f"no document {document_id}")
    return document


def _record_read(session: Session, principal: Principal, action: str, document: Document) -> None:
    record(
        session,
        actor=Actor.from_principal(principal),
        action=action,
        outcome=Outcome.OK,
        target_type=actions.DOCUMENT,
        target_id=str(document.id),
        details={"kind": document.kind.value, "patient_ref": document.patient_ref},
    )


@contextmanager
def _audited_read(
    runtime: Runtime, principal: Principal, action: str, document_id: uuid.UUID
) -> Iterator[Session]:
    """A unit of work for a read; a read refused as not found is recorded on its own.

    Asking for documents one may not see is what probing looks like, so it is kept.
    """
    try:
        with unit_of_work(runtime.sessions) as session:
            yield session
    except NotFoundError:
        with unit_of_work(runtime.sessions) as session:
            record(
                session,
                actor=Actor.from_principal(principal),
                action=action,
                outcome=Outcome.REFUSED,
                target_type=actions.DOCUMENT,
                target_id=str(document_id),
                details={"reason": "not-found"},
            )
        raise


_BY_CREATION = TimeIdKeyset(Document.created_at, Document.id)


def _position(document: DocumentRecord) -> str:
    return TimeIdKeyset.cursor(document.created_at, document.id)


def list_documents(
    runtime: Runtime,
    *,
    principal: Principal,
    kind: DocumentKind | None = None,
    patient_ref: str | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> DocumentPage:
    """Documents the principal may read, oldest first, a page at a time.

    The cursor is opaque to clients: the (created_at, id) of the last document returned,
    so pages stay stable while new documents arrive.
    """
    page = PageRequest(cursor=cursor, limit=limit).bounded(MAX_PAGE_SIZE)
    query = _visible(principal)
    if kind is not None:
        query = query.where(Document.kind == kind)
    if patient_ref is not None:
        query = query.where(Document.patient_ref == patient_ref)
    if since is not None:
        query = query.where(Document.created_at >= since)
    query = keyset_select(query, _BY_CREATION, page)
    with unit_of_work(runtime.sessions) as session:
        fetched = [DocumentRecord.of(row) for row in session.scalars(query)]
        rows, next_cursor = cut_page(fetched, page, _position)
        record(
            session,
            actor=Actor.from_principal(principal),
            action=actions.DOCUMENT_LIST,
            outcome=Outcome.OK,
            details={
                "kind": None if kind is None else kind.value,
                "patient_ref": patient_ref,
                "since": None if since is None else since.isoformat(),
                "cursor": cursor,
                "returned": len(rows),
            },
        )
    return DocumentPage(documents=rows, next_cursor=next_cursor)
