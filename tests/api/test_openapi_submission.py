"""The submission's published request body: both media types described from one model."""

from __future__ import annotations

from typing import Any

import pytest

from docex.api.app import create_app
from docex.api.multipart import MULTIPART
from docex.api.schemas.documents import JsonSubmission
from docex.domain import DocumentKind, ReferralPriority
from docex.settings import Settings


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    document = create_app(Settings()).openapi()
    request_body: dict[str, Any] = document["paths"]["/api/v1/documents"]["post"]["requestBody"]
    return request_body


def test_json_body_is_the_model(body: dict[str, Any]) -> None:
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema["title"] == "JsonSubmission"
    assert set(schema["properties"]) == set(JsonSubmission.model_fields)
    assert schema["required"] == ["signed_content", "kind"]
    # What the schema says the API does: a field it does not know is refused.
    assert schema["additionalProperties"] is False


def test_multipart_form_has_the_models_fields_with_files_for_base64(body: dict[str, Any]) -> None:
    form = body["content"][MULTIPART]["schema"]
    assert form["type"] == "object"
    assert form["required"] == ["file", "kind"]
    model_fields = set(JsonSubmission.model_fields) - {"signed_content", "signed_content_encoding"}
    assert set(form["properties"]) == {"file"} | model_fields
    binary = {"type": "string", "format": "binary"}
    assert form["properties"]["file"] == binary
    assert form["properties"]["content"] == binary
    assert form["properties"]["manifest"] == binary


def test_multipart_fields_carry_the_models_types_and_constraints(body: dict[str, Any]) -> None:
    props = body["content"][MULTIPART]["schema"]["properties"]
    assert props["kind"]["enum"] == [k.value for k in DocumentKind]
    assert props["priority"]["enum"] == [p.value for p in ReferralPriority]
    assert props["answers_document_id"]["format"] == "uuid"
    assert props["valid_until"]["format"] == "date-time"
    assert props["recipient_edrpou"]["pattern"] == r"^\d{8}$"
    assert (props["patient_ref"]["minLength"], props["patient_ref"]["maxLength"]) == (1, 200)
    # A form field is text or absent: nothing in the form may be null or a reference.
    for name, prop in props.items():
        assert prop["type"] == "string", name
        assert "anyOf" not in prop, name
        assert "$ref" not in prop, name


def test_the_signed_formats_are_published_with_the_submission() -> None:
    document = create_app(Settings()).openapi()
    formats = document["paths"]["/api/v1/documents"]["post"]["x-signed-content"]
    assert set(formats) == {kind.value for kind in DocumentKind}
    (referral,) = formats["referral"]
    name = referral["$ref"].removeprefix("#/components/schemas/")
    schema = document["components"]["schemas"][name]
    assert (name, schema["title"]) == ("Signed-referral-1", "referral/1")
    assert schema["properties"]["resourceType"]["const"] == "ServiceRequest"
