"""The profiles: what docex requires of each signed resource, one model per format version.

Each model names the elements docex reads and constrains them; any other element must be
valid FHIR (checked by ``fhir.resources`` in :mod:`docex.formats.reading`), so a resource
that says more than docex reads is accepted, and a misspelt element is refused there. The
JSON Schema of every model is published (:func:`json_schemas`, ``docs/schemas/``).

A format is named by its profile canonical in ``meta.profile``, with its version after
``|`` as FHIR writes it, e.g. ``urn:docex:profile:referral|1``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from docex.domain import DocumentKind, ReferralPriority

PROFILE_BASE = "urn:docex:profile:"

_OPEN = ConfigDict(extra="allow", populate_by_name=True)


class Identifier(BaseModel):
    """An identifier: which register (``system``) and the value in it."""

    model_config = _OPEN
    system: str = Field(min_length=1, max_length=200)
    value: str = Field(min_length=1, max_length=200)


class IdentifierReference(BaseModel):
    """A reference by identifier (docex resolves nothing by URL)."""

    model_config = _OPEN
    identifier: Identifier
    type: str | None = None


class Reference(BaseModel):
    """A reference to the author: ``#id`` of a contained PractitionerRole, or by identifier."""

    model_config = _OPEN
    reference: str | None = Field(default=None, pattern=r"^#[A-Za-z0-9\-.]{1,64}$")
    identifier: Identifier | None = None
    type: str | None = None


class Coding(BaseModel):
    """A code from a code system."""

    model_config = _OPEN
    system: str | None = None
    code: str = Field(min_length=1, max_length=64)
    display: str | None = Field(default=None, min_length=1, max_length=500)


class CodeableConcept(BaseModel):
    """A concept as one or more codes."""

    model_config = _OPEN
    coding: list[Coding] = Field(min_length=1, max_length=8)
    text: str | None = Field(default=None, max_length=500)


class Meta(BaseModel):
    """Resource metadata: the profile canonical names the format."""

    model_config = _OPEN
    profile: list[str] = Field(min_length=1, max_length=8)


class PractitionerRole(BaseModel):
    """The author: a practitioner (by RNOKPP) at an organization (by EDRPOU)."""

    model_config = _OPEN
    resourceType: Literal["PractitionerRole"]
    id: str = Field(min_length=1, max_length=64)
    practitioner: IdentifierReference
    organization: IdentifierReference


class Period(BaseModel):
    """A time period; docex reads its end (a referral's validity)."""

    model_config = _OPEN
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class Extension(BaseModel):
    """An extension docex reads by its ``url`` (recipient, replaces)."""

    model_config = _OPEN
    url: str
    valueReference: IdentifierReference | None = None


class Attachment(BaseModel):
    """The file a manifest describes: ``url`` is ``ni:///sha-256;…`` (RFC 6920)."""

    model_config = _OPEN
    contentType: str = Field(min_length=1, max_length=255)
    url: str = Field(pattern=r"^ni:///sha-256;[A-Za-z0-9_-]{43}$")
    size: int | None = Field(default=None, ge=0)


class Content(BaseModel):
    """A manifest's content entry."""

    model_config = _OPEN
    attachment: Attachment


class _Resource(BaseModel):
    model_config = _OPEN
    meta: Meta
    contained: list[PractitionerRole] = Field(default_factory=list, max_length=4)
    extension: list[Extension] = Field(default_factory=list, max_length=16)


class Referral1(_Resource):
    """``referral/1``: a FHIR ServiceRequest ordering a service from a performer."""

    resourceType: Literal["ServiceRequest"]
    status: Literal["active"]
    intent: Literal["order"]
    subject: IdentifierReference
    requester: Reference
    performer: list[IdentifierReference] = Field(default_factory=list, max_length=1)
    code: CodeableConcept
    priority: ReferralPriority = ReferralPriority.ROUTINE
    authoredOn: AwareDatetime
    occurrencePeriod: Period | None = None


class ExaminationResult1(_Resource):
    """``examination-result/1``: a FHIR DiagnosticReport, answering a referral or standalone.

    ``basedOn`` names the referral it answers; a correction has status ``corrected`` or
    ``amended`` and the ``replaces`` extension naming the result it replaces.
    """

    resourceType: Literal["DiagnosticReport"]
    status: Literal["final", "corrected", "amended"]
    subject: IdentifierReference
    performer: list[Reference] = Field(min_length=1, max_length=1)
    basedOn: list[IdentifierReference] = Field(default_factory=list, max_length=1)
    code: CodeableConcept
    issued: AwareDatetime
    conclusion: str | None = Field(default=None, max_length=20000)


class StatusChange1(_Resource):
    """``referral-status-change/1``: a FHIR Task recalling a referral or marking it in error."""

    resourceType: Literal["Task"]
    status: Literal["completed"]
    intent: Literal["order"]
    code: CodeableConcept
    focus: IdentifierReference
    for_: IdentifierReference = Field(alias="for")
    requester: Reference
    authoredOn: AwareDatetime


class Receipt1(_Resource):
    """``receipt/1``: a FHIR Task acknowledging receipt of a delivered document."""

    resourceType: Literal["Task"]
    status: Literal["completed"]
    intent: Literal["order"]
    code: CodeableConcept
    focus: IdentifierReference
    for_: IdentifierReference = Field(alias="for")
    requester: Reference
    authoredOn: AwareDatetime


class DocumentManifest1(_Resource):
    """``document-manifest/1``: a FHIR DocumentReference naming a signed file by SHA-256."""

    resourceType: Literal["DocumentReference"]
    status: Literal["current"]
    type: CodeableConcept
    subject: IdentifierReference
    author: list[Reference] = Field(min_length=1, max_length=1)
    date: AwareDatetime
    content: list[Content] = Field(min_length=1, max_length=1)


Profile = type[_Resource]

FORMATS: dict[DocumentKind, dict[str, tuple[str, Profile]]] = {
    DocumentKind.REFERRAL: {"referral|1": ("referral/1", Referral1)},
    DocumentKind.EXAMINATION_RESULT: {
        "examination-result|1": ("examination-result/1", ExaminationResult1)
    },
    DocumentKind.REFERRAL_RECALL: {
        "referral-status-change|1": ("referral-status-change/1", StatusChange1)
    },
    DocumentKind.REFERRAL_CANCELLATION: {
        "referral-status-change|1": ("referral-status-change/1", StatusChange1)
    },
    DocumentKind.RECEIPT: {"receipt|1": ("receipt/1", Receipt1)},
    DocumentKind.MEDICAL_DOCUMENT: {
        "document-manifest|1": ("document-manifest/1", DocumentManifest1)
    },
}
"""Per kind, the profiles (``name|version`` after :data:`PROFILE_BASE`) docex accepts."""

RESOURCE_TYPES: dict[DocumentKind, str] = {
    DocumentKind.REFERRAL: "ServiceRequest",
    DocumentKind.EXAMINATION_RESULT: "DiagnosticReport",
    DocumentKind.REFERRAL_RECALL: "Task",
    DocumentKind.REFERRAL_CANCELLATION: "Task",
    DocumentKind.RECEIPT: "Task",
    DocumentKind.MEDICAL_DOCUMENT: "DocumentReference",
}
"""The FHIR resource type that is each kind's signed content (a medical document's manifest)."""


def profile_url(name_version: str) -> str:
    """The canonical of a profile, e.g. ``urn:docex:profile:referral|1``."""
    return PROFILE_BASE + name_version


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every format, by format name (``referral/1`` …)."""
    schemas: dict[str, dict[str, Any]] = {}
    for profiles in FORMATS.values():
        for name_version, (format_name, model) in profiles.items():
            schema = model.model_json_schema(by_alias=True)
            schema["$id"] = profile_url(name_version)
            schema["title"] = format_name
            schemas[format_name] = schema
    return schemas


def schema_file_name(format_name: str) -> str:
    """The published file of a format's JSON Schema, e.g. ``referral-1.schema.json``."""
    return format_name.replace("/", "-") + ".schema.json"
