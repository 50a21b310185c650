"""Reading documents under the access rules.

The rules are in :mod:`docex.services.access`. Anything a principal may not read is reported
as not found, so that a facility cannot learn that a document it may not read exists.

Every read is recorded in the audit log, in the transaction that made it; reads refused
as not found are recorded too.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

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
from docex.services import downloads
from docex.services.access import visible_to
from docex.services.deliveries import mark_fetched
from docex.services.downloads import ByteStream, Download, EmptyStream, MemoryStream
from docex.services.records import DocumentRecord, with_facilities
from docex.services.runtime import Runtime
from docex.signatures.payload import signed_payload

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
    runtime: Runtime, *, principal: Principal, document_id: uuid.UUID, head: bool = False
) -> Download:
    """The original signed bytes of a document the principal may read, as submitted.

    Recorded as ``document.read_content`` once the object store has opened them; a
    recipient's first download marks its delivery ``fetched`` in the same transaction.
    With ``head`` (an HTTP ``HEAD``) only the description is made, from the row: the read
    is recorded with ``"head": true`` and fetches nothing.
    """
    action = actions.DOCUMENT_READ_CONTENT
    body: ByteStream | None = None
    try:
        with _audited_read(runtime, principal, action, document_id) as session:
            document = _find(session, principal, document_id)
            found = DocumentRecord.of(document)
            body = EmptyStream() if head else runtime.store.open(document.object_key)
            _downloaded(runtime, session, principal, action, document, head=head)
    except BaseException:
        if body is not None:
            body.close()
        raise
    log.info("read content of %s by token %s", document_id, principal.token_id)
    extension = "pdf" if found.content_type == downloads.PDF else "p7s"
    return Download(
        document=found,
        sha256=found.sha256,
        size=found.size,
        media_type=found.content_type,
        filename=f"{found.id}.{extension}",
        body=body,
    )


def open_payload(
    runtime: Runtime, *, principal: Principal, document_id: uuid.UUID, head: bool = False
) -> Download:
    """The signed payload of a document the principal may read: the bytes its signatures
    are over (see :mod:`docex.signatures.payload`).

    That is the detached content stored beside a detached CAdES signature, the content
    encapsulated in an attached one (its innermost layer's, for a sealed envelope), or
    the PDF of a PAdES signature. With the signature file from :func:`open_content`, a
    recipient can verify a detached signature again on its own.

    Recorded as ``document.read_payload``, and like :func:`open_content` a recipient's
    first download marks its delivery ``fetched``: for a detached signature the payload
    is the document a person reads, so fetching either counts as receiving it. ``head``
    reads as much as the description needs and fetches nothing.
    """
    action = actions.DOCUMENT_READ_PAYLOAD
    described: Download | None = None
    try:
        with _audited_read(runtime, principal, action, document_id) as session:
            document = _find(session, principal, document_id)
            described = _payload(runtime, DocumentRecord.of(document), document)
            if head:
                described.body.close()
                described = replace(described, body=EmptyStream())
            _downloaded(runtime, session, principal, action, document, head=head)
    except BaseException:
        if described is not None:
            described.body.close()
        raise
    log.info("read payload of %s by token %s", document_id, principal.token_id)
    return described


def _payload(runtime: Runtime, found: DocumentRecord, document: Document) -> Download:
    """Describe the payload, reading from the store only what telling it needs."""
    if document.content_object_key is not None:
        # The detached content, as stored (its digest was taken when it was accepted).
        reader = runtime.store.open(document.content_object_key)
        try:
            media_type, body = downloads.sniff_stored(reader)
        except BaseException:
            reader.close()
            raise
        assert document.content_sha256 is not None  # noqa: S101 -- stored together
        sha256, size = document.content_sha256, reader.info.size
    elif document.content_type == downloads.PDF:
        # A PAdES signature is the PDF itself: the stored file, streamed.
        media_type, body = downloads.PDF, runtime.store.open(document.object_key)
        sha256, size = document.sha256, document.size
    else:
        # Encapsulated in the CMS: only a structural unwrap of the whole file finds it.
        with runtime.store.open(document.object_key) as reader:
            signed = reader.read()
        data = signed_payload(
            signed,
            # The file was accepted at this size; a lower limit since must not hide it.
            max_input_bytes=max(len(signed), 1),
            max_envelope_depth=runtime.settings.max_envelope_depth,
        ).data
        media_type, body = downloads.media_type_of(data), MemoryStream(data)
        sha256, size = hashlib.sha256(data).hexdigest(), len(data)
    return Download(
        document=found,
        sha256=sha256,
        size=size,
        media_type=media_type,
        filename=downloads.filename(found, media_type),
        body=body,
    )


def _downloaded(
    runtime: Runtime,
    session: Session,
    principal: Principal,
    action: str,
    document: Document,
    *,
    head: bool,
) -> None:
    """Record a download (a ``HEAD`` is recorded too, and delivers nothing)."""
    if not head:
        mark_fetched(session, document_id=document.id, principal=principal, events=runtime.events)
    _record_read(session, principal, action, document, head=head)
    session.flush()


def _find(session: Session, principal: Principal, document_id: uuid.UUID) -> Document:
    document = session.scalar(
        with_facilities(_visible(principal).where(Document.id == document_id))
    )
    if document is None:
        raise NotFoundError(f"no document {document_id}")
    return document


def _record_read(
    session: Session, principal: Principal, action: str, document: Document, *, head: bool = False
) -> None:
    details: dict[str, Any] = {"kind": document.kind.value, "patient_ref": document.patient_ref}
    if head:
        details["head"] = True
    record(
        session,
        actor=Actor.from_principal(principal),
        action=action,
        outcome=Outcome.OK,
        target_type=actions.DOCUMENT,
        target_id=str(document.id),
        details=details,
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
    query = with_facilities(keyset_select(query, _BY_CREATION, page))
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
