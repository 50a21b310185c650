"""The signed content of each kind, from a few values: what ``docex sign`` and the demo make.

Each function returns the FHIR resource as a dict; :func:`encode` turns it into the bytes
to sign. The patient is given as its identifier value: 10 digits are an RNOKPP, a UUID an
eHealth person id.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from docex.clock import utcnow
from docex.domain import DocumentKind, ReferralPriority
from docex.formats import identifiers as ids
from docex.formats.profiles import profile_url
from docex.formats.reading import TASK_CODE_OF_KIND, ni_sha256

SERVICE_CODES = "urn:docex:service"
"""The code system of the demo's and the examples' service codes."""
AUTHOR_ID = "author"


def patient_reference(patient: str) -> dict[str, Any]:
    """A reference to a patient by RNOKPP (10 digits) or eHealth person id (a UUID)."""
    system = ids.RNOKPP if ids.is_rnokpp(patient) else ids.PATIENT_EHEALTH
    problem = ids.valid_patient_value(system, patient)
    if problem is not None:
        raise ValueError(f"patient {patient!r}: an RNOKPP (10 digits) or an eHealth person id")
    return {"type": "Patient", "identifier": {"system": system, "value": patient}}


def organization_reference(edrpou: str) -> dict[str, Any]:
    """A reference to a facility by EDRPOU."""
    return {"type": "Organization", "identifier": {"system": ids.EDRPOU, "value": edrpou}}


def document_reference(document_id: uuid.UUID, resource_type: str) -> dict[str, Any]:
    """A reference to a document of this exchange by its id."""
    return {
        "type": resource_type,
        "identifier": {"system": ids.DOCEX_DOCUMENT, "value": str(document_id)},
    }


def _authored(rnokpp: str | None, edrpou: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The author reference and the contained resources it needs."""
    if rnokpp is None:
        return organization_reference(edrpou), []
    role = {
        "resourceType": "PractitionerRole",
        "id": AUTHOR_ID,
        "practitioner": {"identifier": {"system": ids.RNOKPP, "value": rnokpp}},
        "organization": {"identifier": {"system": ids.EDRPOU, "value": edrpou}},
    }
    return {"reference": f"#{AUTHOR_ID}"}, [role]


def _meta(name_version: str) -> dict[str, Any]:
    return {"profile": [profile_url(name_version)]}


def _when(value: datetime | None) -> str:
    return (value or utcnow()).isoformat()


def referral(
    *,
    patient: str,
    author_rnokpp: str | None,
    author_edrpou: str,
    service_code: str,
    service_text: str,
    performer_edrpou: str | None = None,
    priority: ReferralPriority = ReferralPriority.ROUTINE,
    valid_until: datetime | None = None,
    authored_at: datetime | None = None,
) -> dict[str, Any]:
    """A ``referral/1`` ServiceRequest."""
    requester, contained = _authored(author_rnokpp, author_edrpou)
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "meta": _meta("referral|1"),
        "contained": contained,
        "status": "active",
        "intent": "order",
        "priority": priority.value,
        "code": {
            "coding": [{"system": SERVICE_CODES, "code": service_code, "display": service_text}]
        },
        "subject": patient_reference(patient),
        "authoredOn": _when(authored_at),
        "requester": requester,
    }
    if performer_edrpou is not None:
        resource["performer"] = [organization_reference(performer_edrpou)]
    if valid_until is not None:
        resource["occurrencePeriod"] = {"end": valid_until.isoformat()}
    return _tidy(resource)


def examination_result(
    *,
    patient: str,
    author_rnokpp: str | None,
    author_edrpou: str,
    answers: uuid.UUID | None = None,
    replaces: uuid.UUID | None = None,
    recipient_edrpou: str | None = None,
    code: str = "11502-2",
    code_text: str = "Laboratory report",
    conclusion: str | None = None,
    issued: datetime | None = None,
) -> dict[str, Any]:
    """An ``examination-result/1`` DiagnosticReport (a correction when ``replaces``)."""
    performer, contained = _authored(author_rnokpp, author_edrpou)
    extensions: list[dict[str, Any]] = []
    if recipient_edrpou is not None:
        extensions.append(
            {
                "url": ids.EXTENSION_RECIPIENT,
                "valueReference": organization_reference(recipient_edrpou),
            }
        )
    if replaces is not None:
        extensions.append(
            {
                "url": ids.EXTENSION_REPLACES,
                "valueReference": document_reference(replaces, "DiagnosticReport"),
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "meta": _meta("examination-result|1"),
        "contained": contained,
        "extension": extensions,
        "status": "corrected" if replaces is not None else "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": code_text}]},
        "subject": patient_reference(patient),
        "issued": _when(issued),
        "performer": [performer],
    }
    if answers is not None:
        resource["basedOn"] = [document_reference(answers, "ServiceRequest")]
    if conclusion is not None:
        resource["conclusion"] = conclusion
    return _tidy(resource)


def task(
    *,
    kind: DocumentKind,
    focus: uuid.UUID,
    patient: str,
    author_rnokpp: str | None,
    author_edrpou: str,
    reason: str | None = None,
    authored_at: datetime | None = None,
) -> dict[str, Any]:
    """A ``referral-status-change/1`` (recall, cancellation) or ``receipt/1`` Task."""
    code = TASK_CODE_OF_KIND[kind]
    requester, contained = _authored(author_rnokpp, author_edrpou)
    receipt = kind is DocumentKind.RECEIPT
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "meta": _meta("receipt|1" if receipt else "referral-status-change|1"),
        "contained": contained,
        "status": "completed",
        "intent": "order",
        "code": {"coding": [{"system": ids.TASK_CODES, "code": code}]},
        "focus": document_reference(focus, "DocumentReference" if receipt else "ServiceRequest"),
        "for": patient_reference(patient),
        "authoredOn": _when(authored_at),
        "requester": requester,
    }
    if reason is not None:
        resource["statusReason"] = {"text": reason}
    return _tidy(resource)


def manifest(
    *,
    payload_sha256: str,
    patient: str,
    author_rnokpp: str | None,
    author_edrpou: str,
    content_type: str,
    size: int | None = None,
    recipient_edrpou: str | None = None,
    type_code: str = "11488-4",
    type_text: str = "Consult note",
    date: datetime | None = None,
) -> dict[str, Any]:
    """A ``document-manifest/1`` DocumentReference naming a file by its SHA-256."""
    author, contained = _authored(author_rnokpp, author_edrpou)
    attachment: dict[str, Any] = {"contentType": content_type, "url": ni_sha256(payload_sha256)}
    if size is not None:
        attachment["size"] = size
    extensions: list[dict[str, Any]] = []
    if recipient_edrpou is not None:
        extensions.append(
            {
                "url": ids.EXTENSION_RECIPIENT,
                "valueReference": organization_reference(recipient_edrpou),
            }
        )
    return _tidy(
        {
            "resourceType": "DocumentReference",
            "meta": _meta("document-manifest|1"),
            "contained": contained,
            "extension": extensions,
            "status": "current",
            "type": {
                "coding": [{"system": "http://loinc.org", "code": type_code, "display": type_text}]
            },
            "subject": patient_reference(patient),
            "date": _when(date),
            "author": [author],
            "content": [{"attachment": attachment}],
        }
    )


def encode(resource: dict[str, Any]) -> bytes:
    """The bytes to sign: UTF-8 JSON, members in a fixed order, no insignificant space."""
    return json.dumps(resource, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _tidy(resource: dict[str, Any]) -> dict[str, Any]:
    # FHIR forbids empty arrays: leave out what is empty.
    return {key: value for key, value in resource.items() if value != []}
