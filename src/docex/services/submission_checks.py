"""What a submission's checks read from the database, in one round trip, and the checks.

A submission asks the database four things before it stores anything: the submitting
facility (it must be active), the recipient facility the content names, which of the
signers are active employees of the submitting facility, and whether the signed content
is recorded already; and, for what it may record, whether those facilities have an
active webhook (for its events) and whether a new requisition number is free (for the
referral it opens). :func:`read_concerned` asks them in one query, in the submission's
transaction; the submission then judges them in the order it always has (see
:mod:`docex.services.submission`), so that a refusal says what it said before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Integer, Select, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import Session

from docex.db.documents import Document
from docex.db.referrals import Referral
from docex.db.registry import Employee, Facility
from docex.db.webhooks import WebhookSubscription
from docex.domain import FacilityStatus
from docex.errors import PermissionDeniedError, SignerNotAuthorizedError
from docex.registry.identifiers import check_rnokpp
from docex.signatures.identity_ua import canonical_drfo
from docex.signatures.report import Qualification, ValidationReport
from docex.webhooks.outbox import note_active_webhooks


@dataclass(frozen=True, slots=True, kw_only=True)
class Concerned:
    """The rows a submission's checks are about, as its transaction read them."""

    facility: Facility
    """The submitting facility, active."""
    recipient: Facility | None
    """The facility with the EDRPOU the content names, if any has it (active or not)."""
    active_signers: frozenset[str]
    """The RNOKPPs, among the signers', of the submitting facility's active employees."""
    recorded_id: uuid.UUID | None
    """The document already recorded from the same signed content, if any."""
    free_requisition: str | None = None
    """The requisition number asked about, if no referral has it."""


def read_concerned(
    session: Session,
    *,
    facility_id: int,
    recipient_edrpou: str | None,
    reports: tuple[ValidationReport, ...],
    record_sha256: str,
    requisition: str | None = None,
) -> Concerned:
    """Read what :class:`Concerned` holds, in one statement; note the facilities' webhooks
    for the events the transaction records (:func:`docex.webhooks.outbox.note_active_webhooks`).

    With ``requisition``, a newly drawn requisition number for the referral the document
    opens, whether a referral has it already (:attr:`Concerned.free_requisition`).

    :raises PermissionDeniedError: the submitting facility is missing or not active.
    """
    signers = _signer_rnokpps(reports)
    query = _concerned_query(
        recipient=recipient_edrpou is not None,
        requisition=requisition is not None,
        signers=bool(signers),
    )
    parameters: dict[str, object] = {"facility_id": facility_id, "record_sha256": record_sha256}
    if recipient_edrpou is not None:
        parameters["recipient_edrpou"] = recipient_edrpou
    if requisition is not None:
        parameters["requisition"] = requisition
    if signers:
        parameters["signers"] = signers
    rows = session.execute(query, parameters).all()
    found = {row[0].id: row[0] for row in rows}
    note_active_webhooks(session, {row[0].id: bool(row[1]) for row in rows})
    facility = found.get(facility_id)
    if facility is None or facility.status is not FacilityStatus.ACTIVE:
        raise PermissionDeniedError("the submitting facility is not active")
    recipient = (
        None
        if recipient_edrpou is None
        else next((f for f in found.values() if f.edrpou == recipient_edrpou), None)
    )
    return Concerned(
        facility=facility,
        recipient=recipient,
        active_signers=frozenset(row[3] for row in rows if row[3] is not None),
        recorded_id=rows[0][2],
        free_requisition=requisition if not rows[0][4] else None,
    )


@cache
def _concerned_query(
    *, recipient: bool, requisition: bool, signers: bool
) -> Select[Facility, bool, uuid.UUID, str, bool]:
    """The statement :func:`read_concerned` runs, with its values as bound parameters.

    Built once per shape (whether a recipient, a requisition number and signers are
    asked about) rather than per submission: building the expression and its cache key
    cost more CPU than the query's round trip. The SQL is what it was.
    """
    facility_id = bindparam("facility_id", type_=Integer)
    which = Facility.id == facility_id
    if recipient:
        which = or_(which, Facility.edrpou == bindparam("recipient_edrpou"))
    webhook = (
        exists()
        .where(WebhookSubscription.facility_id == Facility.id, WebhookSubscription.active)
        .label("webhook")
    )
    recorded = (
        select(Document.id)
        .where(Document.record_sha256 == bindparam("record_sha256"))
        .scalar_subquery()
        .label("recorded")
    )
    taken = (
        exists().where(Referral.requisition_number == bindparam("requisition"))
        if requisition
        else true()
    ).label("taken")
    # One row per facility and matching employee: the employees are joined to the
    # submitting facility only, and only those among the signers.
    employee = and_(
        Employee.facility_id == Facility.id,
        Facility.id == facility_id,
        Employee.rnokpp.in_(bindparam("signers", expanding=True)) if signers else false(),
        Employee.active.is_(True),
    )
    return (
        select(Facility, webhook, recorded, Employee.rnokpp, taken)
        .outerjoin(Employee, employee)
        .where(which)
    )


def _signer_rnokpps(reports: tuple[ValidationReport, ...]) -> list[str]:
    # In the form the registry stores (check_rnokpp's); one that has none is refused by
    # check_signers, in its turn, and needs no row.
    found = {
        canonical
        for report in reports
        for signature in report.signatures
        if signature.signer is not None and signature.signer.rnokpp is not None
        for canonical in [canonical_drfo(signature.signer.rnokpp)]
        if canonical is not None
    }
    return sorted(found)


def check_signers(concerned: Concerned, report: ValidationReport) -> None:
    """Every signer of ``report`` may sign for the submitting facility: a seal is the
    facility's own, a person is one of its active employees.

    :raises SignerNotAuthorizedError: the first signer that may not, and why.
    :raises InputError: a signer's RNOKPP is malformed.
    """
    facility = concerned.facility
    layered = any(signature.layer > 0 for signature in report.signatures)
    for signature in report.signatures:
        # In an envelope, say which layer's signer is refused; a single CMS reads as before.
        which = f"{signature.id}: " if layered else ""
        signer = signature.signer
        if signer is None:
            raise SignerNotAuthorizedError(f"{which}the signer cannot be identified", report=report)
        if signature.qualification is Qualification.QESEAL:
            if signer.edrpou != facility.edrpou:
                raise SignerNotAuthorizedError(
                    f"{which}the seal belongs to EDRPOU {signer.edrpou}, not to this facility "
                    f"({facility.edrpou})",
                    report=report,
                )
            continue
        if signer.rnokpp is None:
            raise SignerNotAuthorizedError(
                f"{which}the signing certificate carries no RNOKPP (neither a TINUA- "
                "serialNumber nor a DRFO subject directory attribute)",
                report=report,
            )
        if check_rnokpp(signer.rnokpp) not in concerned.active_signers:
            raise SignerNotAuthorizedError(
                f"{which}the signer (RNOKPP {signer.rnokpp}) is not an active employee of "
                "this facility",
                report=report,
            )
