"""The submission's checks read in one query: facilities, signers' employment, a record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.documents import Document
from docex.db.referrals import Referral
from docex.domain import DocumentKind, EmployeeRole
from docex.errors import InputError, PermissionDeniedError, SignerNotAuthorizedError
from docex.registry import add_employee, add_facility
from docex.registry.employees import deactivate_employee
from docex.registry.facilities import deactivate_facility
from docex.services.submission_checks import Concerned, check_signers, read_concerned
from docex.signatures.report import (
    DocumentInfo,
    Indication,
    Qualification,
    SignatureReport,
    SignerIdentity,
    ValidationReport,
)

AT = datetime(2025, 6, 1, 10, tzinfo=UTC)
DOCTOR = "1234567890"
FORMER = "1234567891"
ELSEWHERE = "1234567892"
PASSPORT = "ВК123456"  # noqa: RUF001 -- a Cyrillic passport series
TAKEN = "7K3Q-M2XD-9PFA"


def _signature(
    rnokpp: str | None, *, edrpou: str | None = None, seal: bool = False, layer: int = 0
) -> SignatureReport:
    return SignatureReport(
        id=f"S{layer}",
        format="CAdES-BASELINE-LT",
        indication=Indication.TOTAL_PASSED,
        sub_indication=None,
        qualification=Qualification.QESEAL if seal else Qualification.QESIG,
        signer=SignerIdentity(
            subject="CN=Signer",
            common_name="Signer",
            organization=None,
            rnokpp=rnokpp,
            edrpou=edrpou,
        ),
        claimed_signing_time=AT,
        timestamp_time=AT,
        best_signature_time=AT,
        certificate_chain=(),
        revocation=(),
        timestamps=(),
        checks=(),
        layer=layer,
    )


def _report(*signatures: SignatureReport) -> ValidationReport:
    return ValidationReport(
        indication=Indication.TOTAL_PASSED,
        sub_indication=None,
        qualification=Qualification.QESIG,
        validation_time=AT,
        document=DocumentInfo(kind="cades", sha256="0" * 64, size=1, detached=True),
        signatures=signatures,
    )


@pytest.fixture
def clinics(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Two facilities: the submitter (a doctor, a former doctor, a passport holder) and one
    where another person works."""
    with unit_of_work(sessions) as session:
        a = add_facility(session, edrpou="38291045", name="A").id
        b = add_facility(session, edrpou="40123457", name="B").id
        for facility, rnokpp in ((a, DOCTOR), (a, FORMER), (a, "ВК 123456"), (b, ELSEWHERE)):  # noqa: RUF001
            add_employee(
                session,
                facility_id=facility,
                rnokpp=rnokpp,
                full_name="Доктор",
                role=EmployeeRole.DOCTOR,
            )
        deactivate_employee(session, facility_id=a, rnokpp=FORMER)
    return a, b


def test_the_signers_employment_and_the_recipient_in_one_read(
    sessions: sessionmaker[Session], clinics: tuple[int, int]
) -> None:
    a, _ = clinics
    report = _report(
        _signature(DOCTOR), _signature(FORMER), _signature(ELSEWHERE), _signature("BK123456")
    )
    with unit_of_work(sessions) as session:
        concerned = read_concerned(
            session,
            facility_id=a,
            recipient_edrpou="40123457",
            reports=(report,),
            record_sha256="1" * 64,
        )
    assert concerned.facility.id == a
    assert concerned.recipient is not None
    assert concerned.recipient.edrpou == "40123457"
    # Active employees of the submitter only, in the registry's form (the passport in
    # Cyrillic, whatever the certificate's letters).
    assert concerned.active_signers == {DOCTOR, PASSPORT}
    assert concerned.recorded_id is None


@pytest.mark.parametrize(
    ("signature", "refusal"),
    [
        (_signature(FORMER), "is not an active employee of this facility"),
        (_signature(ELSEWHERE), "is not an active employee of this facility"),
        (_signature(None), "carries no RNOKPP"),
        (_signature(None, edrpou="40123457", seal=True), "the seal belongs to EDRPOU 40123457"),
    ],
    ids=["former", "elsewhere", "no-rnokpp", "foreign-seal"],
)
def test_a_signer_who_may_not_sign_is_refused(
    sessions: sessionmaker[Session],
    clinics: tuple[int, int],
    signature: SignatureReport,
    refusal: str,
) -> None:
    report = _report(_signature(DOCTOR), signature)
    with unit_of_work(sessions) as session:
        concerned = read_concerned(
            session,
            facility_id=clinics[0],
            recipient_edrpou=None,
            reports=(report,),
            record_sha256="1" * 64,
        )
    with pytest.raises(SignerNotAuthorizedError, match=refusal):
        check_signers(concerned, report)


def test_the_first_refused_layer_is_named(
    sessions: sessionmaker[Session], clinics: tuple[int, int]
) -> None:
    sealed = _report(
        _signature(FORMER, layer=0), _signature(None, edrpou="38291045", seal=True, layer=1)
    )
    # A seal of the facility itself, around an employee's signature (a manifest's, say).
    good = _report(
        _signature(DOCTOR, layer=0), _signature(None, edrpou="38291045", seal=True, layer=1)
    )
    with unit_of_work(sessions) as session:
        concerned = read_concerned(
            session,
            facility_id=clinics[0],
            recipient_edrpou=None,
            reports=(sealed, good),
            record_sha256="1" * 64,
        )
    with pytest.raises(SignerNotAuthorizedError, match=r"^S0: the signer \(RNOKPP 1234567891\)"):
        check_signers(concerned, sealed)
    check_signers(concerned, good)


def test_a_malformed_rnokpp_is_an_input_error(
    sessions: sessionmaker[Session], clinics: tuple[int, int]
) -> None:
    report = _report(_signature("12-34"))
    with unit_of_work(sessions) as session:
        concerned = read_concerned(
            session,
            facility_id=clinics[0],
            recipient_edrpou=None,
            reports=(report,),
            record_sha256="1" * 64,
        )
    with pytest.raises(InputError, match="RNOKPP must be 10 digits"):
        check_signers(concerned, report)


def test_an_inactive_submitter_is_refused(
    sessions: sessionmaker[Session], clinics: tuple[int, int]
) -> None:
    with unit_of_work(sessions) as session:
        deactivate_facility(session, facility_id=clinics[0])
    with unit_of_work(sessions) as session, pytest.raises(PermissionDeniedError):
        read_concerned(
            session,
            facility_id=clinics[0],
            recipient_edrpou=None,
            reports=(_report(_signature(DOCTOR)),),
            record_sha256="1" * 64,
        )


def test_an_earlier_record_and_a_taken_requisition_number_are_found(
    sessions: sessionmaker[Session], clinics: tuple[int, int]
) -> None:
    a, b = clinics
    with unit_of_work(sessions) as session:
        recorded = Document(
            id=uuid.uuid4(),
            kind=DocumentKind.REFERRAL,
            sha256="2" * 64,
            size=1,
            object_key="k",
            content_type="application/pkcs7-signature",
            submitted_by_facility_id=b,
            patient_ref="p",
            indication="TOTAL_PASSED",
            qualification="QESig",
            validation_report={},
            record_sha256="3" * 64,
        )
        session.add(recorded)
        session.flush()
        session.add(
            Referral(
                document_id=recorded.id,
                requisition_number=TAKEN,
                issuer_facility_id=b,
                patient_ref="p",
                service_code="K-CARD-01",
                service_text="Cardiology consultation",
                valid_until=AT,
            )
        )

    def read(requisition: str | None) -> Concerned:
        with unit_of_work(sessions) as session:
            return read_concerned(
                session,
                facility_id=a,
                recipient_edrpou=None,
                reports=(_report(_signature(DOCTOR)),),
                record_sha256="3" * 64,
                requisition=requisition,
            )

    assert read(None).recorded_id == recorded.id
    # A requisition number is free only if no referral has it; not asked, none is.
    assert read(None).free_requisition is None
    assert read(TAKEN).free_requisition is None
    assert read("7K3Q-M2XD-9PFB").free_requisition == "7K3Q-M2XD-9PFB"
