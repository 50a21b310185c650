"""Multipart forms described from a pydantic model, so the form and the JSON body agree.

A form sends every field as text and files as parts of their own. Its OpenAPI schema is
derived here from the model that validates the form's fields (:func:`form_schema`): the
same names, types, enumerations, formats and constraints, with the model's base64 fields
replaced by binary file parts, instead of a second hand-written description that drifts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel

MULTIPART = "multipart/form-data"

_BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


def form_schema(
    model: type[BaseModel], *, files: Mapping[str, str], omit: Collection[str] = ()
) -> dict[str, Any]:
    """The OpenAPI schema of a form whose text fields ``model`` validates.

    :param files: the model's fields sent as file parts instead, mapped to the part's
        name (``{"signed_content": "file"}``); a part is required when its field is.
    :param omit: the model's fields a form does not send.
    """
    schema = model.model_json_schema()
    definitions: dict[str, Any] = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    properties: dict[str, Any] = {}
    form_required: list[str] = []
    for name, prop in schema["properties"].items():
        if name in omit:
            continue
        part = files.get(name, name)
        properties[part] = dict(_BINARY) if name in files else _form_field(prop, definitions)
        if name in required:
            form_required.append(part)
    return {"type": "object", "required": form_required, "properties": properties}


def _form_field(prop: dict[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    """A model property as a form field: text, never null (an absent field is the null)."""
    field = {k: v for k, v in prop.items() if k not in ("anyOf", "$ref", "title")}
    options = [o for o in prop.get("anyOf", ()) if o.get("type") != "null"]
    if len(options) == 1:
        field = {**options[0], **field}
    reference = field.pop("$ref", None) or prop.get("$ref")
    if reference is not None:
        # Inline the enumeration: a form field is described on its own, not by reference.
        target = definitions[reference.rsplit("/", 1)[-1]]
        field = {
            **{k: v for k, v in target.items() if k in ("type", "enum", "format")},
            **field,
        }
    return field
