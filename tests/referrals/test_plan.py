"""The routing plan decided from rows in memory: no database, no session.

The rows are transient ORM objects, built the way the service reads them; what matters
is that :func:`docex.referrals.plan.plan` decides from them alone, with the exact error
a facility would get over HTTP.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from docex.db.deliveries import Delivery
from docex.db.documents import Document
from docex.db.referrals import Referral
from docex.domain import DeliveryStatus, DocumentKind, DocumentStatus, ReferralStatus
from docex.errors import InputError, NotFoundError, PermissionDeniedError, TransitionError
from docex.referrals.lifecycle import Action
from docex.referrals.plan import ConcernedRows, ReferralSpec, RoutingRequest, plan

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ISSUER, PERFORMER, OTHER = 1, 2, 3
PATIENT = "patient-1"


def _request(kind: DocumentKind, **fields: object) -> RoutingRequest:
    values: dict[str, object] = {
        "patient_ref": PATIENT,
        "recipient_facility_id": None,
        "answers_document_id": None,
        "replaces_document_id": None,
        "referral": None,
    }
    values.update(fields)
    return RoutingRequest(kind=kind, **values)  # type: ignore[arg-type]


def _document(
    kind: DocumentKind, *, by: int, status: DocumentStatus = DocumentStatus.CURRENT
) -> Document:
    return Document(
        id=uuid.uuid4(),
        kind=kind,
        submitted_by_facility_id=by,
        patient_ref=PATIENT,
        status=status,
    )


def _referral(
    document: Document,
    *,
    status: ReferralStatus,
    taken_by: int | None = None,
    valid_until: datetime = NOW + timedelta(days=3),
) -> Referral:
    return Referral(
        id=uuid.uuid4(),
        document_id=document.id,
        issuer_facility_id=ISSUER,
        performer_facility_id=PERFORMER,
        taken_by_facility_id=taken_by,
        patient_ref=PATIENT,
        status=status,
        valid_until=valid_until,
    )


def test_referral_opens_and_is_delivered_to_its_performer() -> None:
    spec = ReferralSpec(service_code="K01", service_text="Consultation")
    result = plan(
        facility_id=ISSUER,
        request=_request(DocumentKind.REFERRAL, recipient_facility_id=PERFORMER, referral=spec),
        rows=ConcernedRows(),
        now=NOW,
    )
    assert result.new_referral is spec
    assert result.performer_facility_id == PERFORMER
    assert result.recipients == {PERFORMER}
    assert result.action is None


def test_referral_cannot_answer_another_document() -> None:
    answered = _document(DocumentKind.MEDICAL_DOCUMENT, by=OTHER)
    spec = ReferralSpec(service_code="K01", service_text="Consultation")
    with pytest.raises(InputError, match=r"^a referral cannot answer or replace another document$"):
        plan(
            facility_id=ISSUER,
            request=_request(DocumentKind.REFERRAL, answers_document_id=answered.id, referral=spec),
            rows=ConcernedRows(answered=answered),
            now=NOW,
        )


def test_result_completes_the_referral_in_progress_with_its_facility() -> None:
    document = _document(DocumentKind.REFERRAL, by=ISSUER)
    referral = _referral(document, status=ReferralStatus.IN_PROGRESS, taken_by=PERFORMER)
    result = plan(
        facility_id=PERFORMER,
        request=_request(DocumentKind.EXAMINATION_RESULT, answers_document_id=document.id),
        rows=ConcernedRows(answered=document, referral=referral),
        now=NOW,
    )
    assert result.referral is referral
    assert result.action is Action.COMPLETE
    assert result.reason == "completed by the examination result"
    assert result.recipients == {ISSUER}


def test_result_from_a_facility_that_did_not_take_the_referral_is_refused() -> None:
    document = _document(DocumentKind.REFERRAL, by=ISSUER)
    referral = _referral(document, status=ReferralStatus.IN_PROGRESS, taken_by=PERFORMER)
    with pytest.raises(
        TransitionError, match=r"in progress with this facility \(it is in_progress\)$"
    ):
        plan(
            facility_id=OTHER,
            request=_request(DocumentKind.EXAMINATION_RESULT, answers_document_id=document.id),
            rows=ConcernedRows(answered=document, referral=referral),
            now=NOW,
        )


def test_result_for_an_expired_referral_is_refused() -> None:
    document = _document(DocumentKind.REFERRAL, by=ISSUER)
    expired = NOW - timedelta(seconds=1)
    referral = _referral(
        document, status=ReferralStatus.IN_PROGRESS, taken_by=PERFORMER, valid_until=expired
    )
    with pytest.raises(
        TransitionError, match=f"^{re.escape(f'the referral expired at {expired.isoformat()}')}$"
    ):
        plan(
            facility_id=PERFORMER,
            request=_request(DocumentKind.EXAMINATION_RESULT, answers_document_id=document.id),
            rows=ConcernedRows(answered=document, referral=referral),
            now=NOW,
        )


def test_result_answering_something_else_than_a_referral_is_refused() -> None:
    answered = _document(DocumentKind.MEDICAL_DOCUMENT, by=ISSUER)
    with pytest.raises(InputError, match=r"^answers_document_id must name a referral$"):
        plan(
            facility_id=PERFORMER,
            request=_request(DocumentKind.EXAMINATION_RESULT, answers_document_id=answered.id),
            rows=ConcernedRows(answered=answered),
            now=NOW,
        )


def test_replacing_a_superseded_result_is_refused() -> None:
    replaced = _document(
        DocumentKind.EXAMINATION_RESULT, by=PERFORMER, status=DocumentStatus.SUPERSEDED
    )
    with pytest.raises(TransitionError, match=r"^that result was already replaced by a later one$"):
        plan(
            facility_id=PERFORMER,
            request=_request(DocumentKind.EXAMINATION_RESULT, replaces_document_id=replaced.id),
            rows=ConcernedRows(replaced=replaced),
            now=NOW,
        )


def test_replacing_another_facilitys_result_is_not_found() -> None:
    replaced = _document(DocumentKind.EXAMINATION_RESULT, by=OTHER)
    with pytest.raises(NotFoundError, match=r"^no examination result of this facility to replace$"):
        plan(
            facility_id=PERFORMER,
            request=_request(DocumentKind.EXAMINATION_RESULT, replaces_document_id=replaced.id),
            rows=ConcernedRows(replaced=replaced),
            now=NOW,
        )


def test_replacement_goes_to_everyone_the_replaced_result_reached() -> None:
    replaced = _document(DocumentKind.EXAMINATION_RESULT, by=PERFORMER)
    result = plan(
        facility_id=PERFORMER,
        request=_request(DocumentKind.EXAMINATION_RESULT, replaces_document_id=replaced.id),
        rows=ConcernedRows(replaced=replaced, delivered_to=frozenset({ISSUER, OTHER})),
        now=NOW,
    )
    assert result.supersede is replaced
    assert result.recipients == {ISSUER, OTHER}
    assert result.action is None


def test_only_the_issuer_recalls() -> None:
    document = _document(DocumentKind.REFERRAL, by=ISSUER)
    referral = _referral(document, status=ReferralStatus.ACTIVE)
    with pytest.raises(
        PermissionDeniedError, match=r"^only the issuing facility may recall or cancel a referral$"
    ):
        plan(
            facility_id=PERFORMER,
            request=_request(DocumentKind.REFERRAL_RECALL, answers_document_id=document.id),
            rows=ConcernedRows(answered=document, referral=referral),
            now=NOW,
        )


def test_recall_tells_the_performer() -> None:
    document = _document(DocumentKind.REFERRAL, by=ISSUER)
    referral = _referral(document, status=ReferralStatus.ACTIVE)
    result = plan(
        facility_id=ISSUER,
        request=_request(DocumentKind.REFERRAL_RECALL, answers_document_id=document.id),
        rows=ConcernedRows(answered=document, referral=referral),
        now=NOW,
    )
    assert result.action is Action.RECALL
    assert result.reason == "recalled by the issuer"
    assert result.recipients == {PERFORMER}


def test_cancelling_a_recalled_referral_is_refused_by_the_lifecycle() -> None:
    document = _document(DocumentKind.REFERRAL, by=ISSUER)
    referral = _referral(document, status=ReferralStatus.RECALLED)
    with pytest.raises(
        TransitionError,
        match=r"^cannot cancel a referral that is recalled \(only from: active, completed\)$",
    ):
        plan(
            facility_id=ISSUER,
            request=_request(DocumentKind.REFERRAL_CANCELLATION, answers_document_id=document.id),
            rows=ConcernedRows(answered=document, referral=referral),
            now=NOW,
        )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (DeliveryStatus.PENDING, r"^fetch the document before acknowledging it$"),
        (DeliveryStatus.ACKNOWLEDGED, r"^the delivery is already acknowledged$"),
    ],
)
def test_receipt_needs_a_fetched_unacknowledged_delivery(
    status: DeliveryStatus, message: str
) -> None:
    answered = _document(DocumentKind.MEDICAL_DOCUMENT, by=ISSUER)
    delivery = Delivery(document_id=answered.id, facility_id=PERFORMER, status=status)
    with pytest.raises(TransitionError, match=message):
        plan(
            facility_id=PERFORMER,
            request=_request(DocumentKind.RECEIPT, answers_document_id=answered.id),
            rows=ConcernedRows(answered=answered, delivery=delivery),
            now=NOW,
        )


def test_receipt_acknowledges_and_goes_back_to_the_sender() -> None:
    answered = _document(DocumentKind.MEDICAL_DOCUMENT, by=ISSUER)
    delivery = Delivery(
        document_id=answered.id, facility_id=PERFORMER, status=DeliveryStatus.FETCHED
    )
    result = plan(
        facility_id=PERFORMER,
        request=_request(DocumentKind.RECEIPT, answers_document_id=answered.id),
        rows=ConcernedRows(answered=answered, delivery=delivery),
        now=NOW,
    )
    assert result.acknowledge is delivery
    assert result.recipients == {ISSUER}


def test_receipt_for_an_undelivered_document_is_not_found() -> None:
    answered = _document(DocumentKind.MEDICAL_DOCUMENT, by=ISSUER)
    with pytest.raises(NotFoundError, match=r"^that document was not delivered to this facility$"):
        plan(
            facility_id=PERFORMER,
            request=_request(DocumentKind.RECEIPT, answers_document_id=answered.id),
            rows=ConcernedRows(answered=answered),
            now=NOW,
        )


def test_only_results_replace() -> None:
    with pytest.raises(InputError, match=r"^only examination results can replace earlier ones$"):
        plan(
            facility_id=ISSUER,
            request=_request(DocumentKind.MEDICAL_DOCUMENT, replaces_document_id=uuid.uuid4()),
            rows=ConcernedRows(),
            now=NOW,
        )
