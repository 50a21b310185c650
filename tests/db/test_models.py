"""Models round-trip the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.clock import utcnow
from docex.db import unit_of_work
from docex.db.documents import Document
from docex.db.registry import ApiToken, Employee, Facility
from docex.domain import DocumentKind, EmployeeRole, TokenRole
from docex.errors import DatabaseError
from docex.storage import content_key

KYIV_SUMMER = timezone(timedelta(hours=3))

REPORT = {
    "indication": "TOTAL_PASSED",
    "qualification": "QESig",
    "signer": {"name": "Шевченко Тарас Григорович", "rnokpp": "1234567890"},  # noqa: RUF001
    "checks": [{"name": "signature", "outcome": "passed"}, {"name": "revocation", "n": 2}],
    "nested": {"empty": [], "null": None, "float": 1.5, "flag": True},
}


def _facility(session: Session, edrpou: str = "12345678") -> Facility:
    facility = Facility(edrpou=edrpou, name="Клініка №1")
    session.add(facility)
    session.flush()
    return facility


def _document(facility: Facility, **overrides: object) -> Document:
    data = b"signed bytes"
    digest = hashlib.sha256(data).hexdigest()
    fields: dict[str, object] = {
        "kind": DocumentKind.REFERRAL,
        "sha256": digest,
        "size": len(data),
        "object_key": content_key(digest),
        "content_type": "application/pkcs7-signature",
        "submitted_by_facility_id": facility.id,
        "patient_ref": "patient-1",
        "signer_rnokpp": "1234567890",
        "indication": "TOTAL_PASSED",
        "qualification": "QESig",
        "validation_report": REPORT,
    }
    fields.update(overrides)
    return Document(**fields)


def test_document_round_trip(sessions: sessionmaker[Session]) -> None:
    signed_at = datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=KYIV_SUMMER)
    with unit_of_work(sessions) as session:
        facility = _facility(session)
        document = _document(facility, created_at=signed_at, idempotency_key="req-1")
        session.add(document)
        session.flush()
        document_id = document.id
    assert isinstance(document_id, uuid.UUID)

    with unit_of_work(sessions) as session:
        loaded = session.get_one(Document, document_id)
        assert loaded.validation_report == REPORT
        assert loaded.kind is DocumentKind.REFERRAL
        # Same instant, handed back in UTC whatever offset it was stored with.
        assert loaded.created_at == signed_at
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at.tzinfo is not None
        assert session.scalar(select(Document.id).where(Document.sha256 == loaded.sha256)) == (
            document_id
        )


def test_default_timestamps_are_aware(sessions: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    with unit_of_work(sessions) as session:
        facility_id = _facility(session).id
    with unit_of_work(sessions) as session:
        created = session.get_one(Facility, facility_id).created_at
    assert created.tzinfo is not None
    assert before - timedelta(seconds=5) <= created <= datetime.now(UTC)


def test_naive_datetime_is_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(DatabaseError, match="naive datetime"), unit_of_work(sessions) as session:
        session.add(Facility(edrpou="12345678", name="x", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_answer_links_to_referral(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        facility = _facility(session)
        referral = _document(facility)
        session.add(referral)
        session.flush()
        result = _document(
            facility, kind=DocumentKind.EXAMINATION_RESULT, answers_document_id=referral.id
        )
        session.add(result)
        session.flush()
        result_id, referral_id = result.id, referral.id
    with unit_of_work(sessions) as session:
        assert session.get_one(Document, result_id).answers_document_id == referral_id


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(DatabaseError), unit_of_work(sessions) as session:
        session.add(
            Employee(facility_id=999, rnokpp="1234567890", full_name="X", role=EmployeeRole.DOCTOR)
        )


def test_idempotency_key_unique_per_facility(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        first, second = _facility(session, "11111111"), _facility(session, "22222222")
        session.add(_document(first, idempotency_key="k"))
        session.add(_document(second, idempotency_key="k"))  # another facility: fine
        session.add(_document(first))  # no key: never conflicts
        session.add(_document(first))
    with pytest.raises(DatabaseError), unit_of_work(sessions) as session:
        session.add(_document(first, idempotency_key="k"))


def test_token_role_must_match_facility(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        facility_id = _facility(session).id
    with pytest.raises(DatabaseError), unit_of_work(sessions) as session:
        session.add(
            ApiToken(
                lookup_id="a" * 16,
                secret_hash="0" * 64,
                role=TokenRole.AUDITOR,
                facility_id=facility_id,
                # Every other column valid, so that the role check is what refuses the row.
                expires_at=utcnow() + timedelta(days=1),
            )
        )
