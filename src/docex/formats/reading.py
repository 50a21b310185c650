"""Reading the facts out of a verified signed content, refusing anything ambiguous.

The order: the bytes must be UTF-8 JSON with one object and no repeated member (a
repeated key is read differently by different parsers, so what the doctor's software
showed and what docex reads could differ); the resource type and the profile in
``meta.profile`` must be the kind's; the resource must satisfy the profile
(:mod:`docex.formats.profiles`) and be valid FHIR R4 (``fhir.resources``, R4B models);
then the facts are taken from it. Every refusal is a
:class:`~docex.errors.SignedContentError` whose ``path`` names where in the JSON, like
``subject.identifier.value`` or ``performer[0]``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from functools import cache
from importlib import import_module
from typing import Any

from pydantic import BaseModel, ValidationError

from docex.domain import DocumentKind
from docex.errors import SignedContentError
from docex.formats import identifiers as ids
from docex.formats import profiles
from docex.formats.facts import Author, ServiceOrder, SignedFacts

MAX_CONTENT_BYTES = 1024 * 1024
"""The largest signed content read as a structured document (a JSON resource)."""

TASK_CODE_OF_KIND = {
    DocumentKind.REFERRAL_RECALL: "recall",
    DocumentKind.REFERRAL_CANCELLATION: "entered-in-error",
    DocumentKind.RECEIPT: "receipt",
}
"""The ``Task.code`` (in :data:`~docex.formats.identifiers.TASK_CODES`) of each Task kind."""


def read_facts(kind: DocumentKind, content: bytes) -> SignedFacts:
    """The facts of ``content``, the signed content of a document of ``kind``.

    For a medical document, ``content`` is its signed manifest; the caller checks the
    manifest's :attr:`~SignedFacts.document_sha256` against the file.

    :raises SignedContentError: the content does not follow the kind's format.
    """
    data = _json_object(content)
    expected_type = profiles.RESOURCE_TYPES[kind]
    if data.get("resourceType") != expected_type:
        raise SignedContentError(
            f"a {kind.value} is a FHIR {expected_type}, not {data.get('resourceType')!r}",
            path="resourceType",
        )
    format_name, model = _profile(kind, data)
    resource = _validated(model, data)
    _check_fhir(expected_type, data)
    return _FACTS[model](kind, format_name, resource)


def _json_object(content: bytes) -> dict[str, Any]:
    if len(content) > MAX_CONTENT_BYTES:
        raise SignedContentError(
            f"the signed content is larger than {MAX_CONTENT_BYTES} bytes, the limit for a "
            "structured document"
        )
    try:
        text = content.decode("utf-8")
        data = json.loads(text, object_pairs_hook=_no_repeated_members)
    except UnicodeDecodeError as exc:
        raise SignedContentError(
            f"the signed content is not UTF-8 (byte {exc.start}); a {_WHAT} is expected"
        ) from exc
    except RecursionError as exc:
        raise SignedContentError("the signed content nests too deeply") from exc
    except ValueError as exc:  # json.JSONDecodeError, or a repeated member
        raise SignedContentError(f"the signed content is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SignedContentError(f"the signed content is not a JSON object; a {_WHAT} is expected")
    return data


_WHAT = "FHIR resource in JSON"


def _no_repeated_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"member {key!r} appears twice in one object")
        result[key] = value
    return result


def _profile(kind: DocumentKind, data: dict[str, Any]) -> tuple[str, profiles.Profile]:
    meta = data.get("meta")
    claimed = meta.get("profile") if isinstance(meta, dict) else None
    accepted = profiles.FORMATS[kind]
    if isinstance(claimed, list):
        for url in claimed:
            if isinstance(url, str) and url.startswith(profiles.PROFILE_BASE):
                found = accepted.get(url.removeprefix(profiles.PROFILE_BASE))
                if found is not None:
                    return found
    names = ", ".join(profiles.profile_url(name) for name in accepted)
    raise SignedContentError(
        f"a {kind.value} names its format: one of {names}", path="meta.profile"
    )


def _validated(model: profiles.Profile, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SignedContentError(first["msg"], path=_path(first["loc"])) from exc


@cache
def _fhir_model(resource_type: str) -> type[BaseModel]:
    # Imported on first use: the FHIR models take half a second to import, which the
    # CLI's start-up should not pay for a command that reads no signed content.
    module = import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    model: type[BaseModel] = getattr(module, resource_type)
    return model


def _check_fhir(resource_type: str, data: dict[str, Any]) -> None:
    try:
        _fhir_model(resource_type).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "not an element of this FHIR resource"
        raise SignedContentError(f"not valid FHIR R4: {message}", path=_path(first["loc"])) from exc


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = "for" if part == "for_" else part
            path += f".{name}" if path else name
    return path


# -- facts, per profile ----------------------------------------------------------------


def _patient(reference: profiles.IdentifierReference, path: str) -> str:
    identifier = reference.identifier
    problem = ids.valid_patient_value(identifier.system, identifier.value)
    if problem is not None:
        raise SignedContentError(problem, path=f"{path}.identifier")
    return identifier.value


def _edrpou(reference: profiles.IdentifierReference, path: str) -> str:
    identifier = reference.identifier
    if identifier.system != ids.EDRPOU or not ids.is_edrpou(identifier.value):
        raise SignedContentError(
            f"a facility is identified by {ids.EDRPOU} and 8 digits", path=f"{path}.identifier"
        )
    return identifier.value


def _document_id(reference: profiles.IdentifierReference, path: str) -> uuid.UUID:
    identifier = reference.identifier
    if identifier.system != ids.DOCEX_DOCUMENT:
        raise SignedContentError(
            f"a document is identified by {ids.DOCEX_DOCUMENT}", path=f"{path}.identifier.system"
        )
    try:
        return uuid.UUID(identifier.value)
    except ValueError as exc:
        raise SignedContentError(
            "a document id is a UUID", path=f"{path}.identifier.value"
        ) from exc


def _author(resource: Any, reference: profiles.Reference, path: str) -> Author:
    """The author a reference names: a contained PractitionerRole, or an organization."""
    if reference.reference is not None:
        if reference.identifier is not None:
            raise SignedContentError("name the author once", path=path)
        wanted = reference.reference.removeprefix("#")
        roles = [role for role in resource.contained if role.id == wanted]
        if len(roles) != 1:
            raise SignedContentError(
                f"no contained PractitionerRole with id {wanted!r}", path=f"{path}.reference"
            )
        role = roles[0]
        index = resource.contained.index(role)
        practitioner = role.practitioner.identifier
        if practitioner.system != ids.RNOKPP or not ids.is_rnokpp(practitioner.value):
            raise SignedContentError(
                f"a practitioner is identified by {ids.RNOKPP} and 10 digits",
                path=f"contained[{index}].practitioner.identifier",
            )
        edrpou = _edrpou(role.organization, f"contained[{index}].organization")
        return Author(rnokpp=practitioner.value, edrpou=edrpou)
    if reference.identifier is None:
        raise SignedContentError(
            "the author is a contained PractitionerRole or an organization", path=path
        )
    organization = profiles.IdentifierReference(identifier=reference.identifier)
    return Author(rnokpp=None, edrpou=_edrpou(organization, path))


def _extension(resource: Any, url: str) -> tuple[int, profiles.IdentifierReference] | None:
    found = [(i, e) for i, e in enumerate(resource.extension) if e.url == url]
    if not found:
        return None
    if len(found) > 1:
        raise SignedContentError(f"extension {url} appears twice", path=f"extension[{found[1][0]}]")
    index, extension = found[0]
    if extension.valueReference is None:
        raise SignedContentError(
            "this extension is a valueReference by identifier", path=f"extension[{index}]"
        )
    return index, extension.valueReference


def _no_unknown_docex_extensions(resource: Any, allowed: frozenset[str]) -> None:
    for index, extension in enumerate(resource.extension):
        if extension.url.startswith("urn:docex:") and extension.url not in allowed:
            raise SignedContentError(
                f"extension {extension.url} does not belong to this format",
                path=f"extension[{index}].url",
            )


def _referral(kind: DocumentKind, format_name: str, r: profiles.Referral1) -> SignedFacts:
    _no_unknown_docex_extensions(r, frozenset())
    if "requisition" in (r.model_extra or {}):
        raise SignedContentError(
            "the exchange assigns the requisition number; leave it out", path="requisition"
        )
    coding = r.code.coding[0]
    if coding.display is None:
        raise SignedContentError(
            "the service needs its display text", path="code.coding[0].display"
        )
    valid_until = r.occurrencePeriod.end if r.occurrencePeriod is not None else None
    return SignedFacts(
        format=format_name,
        kind=kind,
        patient_ref=_patient(r.subject, "subject"),
        author=_author(r, r.requester, "requester"),
        authored_at=r.authoredOn,
        recipient_edrpou=_edrpou(r.performer[0], "performer[0]") if r.performer else None,
        order=ServiceOrder(
            service_code=coding.code,
            service_text=coding.display,
            priority=r.priority,
            valid_until=valid_until,
        ),
    )


def _result(kind: DocumentKind, format_name: str, r: profiles.ExaminationResult1) -> SignedFacts:
    _no_unknown_docex_extensions(r, frozenset({ids.EXTENSION_RECIPIENT, ids.EXTENSION_REPLACES}))
    recipient = _extension(r, ids.EXTENSION_RECIPIENT)
    replaces = _extension(r, ids.EXTENSION_REPLACES)
    if (replaces is None) != (r.status == "final"):
        raise SignedContentError(
            "a correction (status corrected or amended) names the result it replaces in the "
            f"{ids.EXTENSION_REPLACES} extension, and only a correction does",
            path="status",
        )
    if r.basedOn and recipient is not None:
        raise SignedContentError(
            "a result answering a referral goes to the referral's issuer; it names no recipient",
            path=f"extension[{recipient[0]}]",
        )
    return SignedFacts(
        format=format_name,
        kind=kind,
        patient_ref=_patient(r.subject, "subject"),
        author=_author(r, r.performer[0], "performer[0]"),
        authored_at=r.issued,
        answers_document_id=_document_id(r.basedOn[0], "basedOn[0]") if r.basedOn else None,
        replaces_document_id=(
            _document_id(replaces[1], f"extension[{replaces[0]}].valueReference")
            if replaces is not None
            else None
        ),
        recipient_edrpou=(
            _edrpou(recipient[1], f"extension[{recipient[0]}].valueReference")
            if recipient is not None
            else None
        ),
    )


def _task(
    kind: DocumentKind, format_name: str, r: profiles.StatusChange1 | profiles.Receipt1
) -> SignedFacts:
    _no_unknown_docex_extensions(r, frozenset())
    coding = r.code.coding[0]
    expected = TASK_CODE_OF_KIND[kind]
    if coding.system != ids.TASK_CODES or coding.code != expected:
        raise SignedContentError(
            f"a {kind.value} has code {expected} of {ids.TASK_CODES}", path="code.coding[0]"
        )
    return SignedFacts(
        format=format_name,
        kind=kind,
        patient_ref=_patient(r.for_, "for"),
        author=_author(r, r.requester, "requester"),
        authored_at=r.authoredOn,
        answers_document_id=_document_id(r.focus, "focus"),
    )


def _manifest(kind: DocumentKind, format_name: str, r: profiles.DocumentManifest1) -> SignedFacts:
    _no_unknown_docex_extensions(r, frozenset({ids.EXTENSION_RECIPIENT}))
    recipient = _extension(r, ids.EXTENSION_RECIPIENT)
    url = r.content[0].attachment.url
    digest = base64.urlsafe_b64decode(url.removeprefix("ni:///sha-256;") + "=")
    return SignedFacts(
        format=format_name,
        kind=kind,
        patient_ref=_patient(r.subject, "subject"),
        author=_author(r, r.author[0], "author[0]"),
        authored_at=r.date,
        recipient_edrpou=(
            _edrpou(recipient[1], f"extension[{recipient[0]}].valueReference")
            if recipient is not None
            else None
        ),
        document_sha256=digest.hex(),
    )


_FACTS: dict[profiles.Profile, Callable[[DocumentKind, str, Any], SignedFacts]] = {
    profiles.Referral1: _referral,
    profiles.ExaminationResult1: _result,
    profiles.StatusChange1: _task,
    profiles.Receipt1: _task,
    profiles.DocumentManifest1: _manifest,
}


def ni_sha256(digest_hex: str) -> str:
    """The RFC 6920 ``ni`` URI of a SHA-256 digest, as a manifest names its file."""
    raw = bytes.fromhex(digest_hex)
    return "ni:///sha-256;" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
