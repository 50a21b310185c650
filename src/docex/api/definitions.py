"""Nested JSON Schema definitions moved into the OpenAPI document's components.

A schema built by pydantic (or a published one, such as FHIR's) carries its own
``$defs`` (draft-07: ``definitions``) and refers to them as ``#/$defs/Name``. Embedded in
an OpenAPI document such a reference points at the document's root, where nothing is:
:func:`hoist_definitions` moves the definitions to ``components/schemas`` and rewrites
the references, so that every one resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COMPONENTS = "#/components/schemas/"


def hoist_definitions(document: dict[str, Any]) -> dict[str, Any]:
    """Move every nested ``$defs`` (or ``definitions``) into ``components/schemas``,
    rewriting the references to them.

    A ``#/$defs/Name`` reference means the ``$defs`` of the schema it was generated with,
    so it is rewritten within that schema only. Examples, defaults and enumerations are
    data and are left as they are. A definition equal to a component of the
    same name becomes that component; a different one gets a name of its own.
    """
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    pending = dict(schemas)
    schemas.clear()
    placed = _Placement(schemas)
    # Components first, so that their own names stay theirs.
    for name, schema in pending.items():
        schemas[name] = None
        schemas[name] = _hoist(schema, {}, placed)
    return {
        key: (_hoist(value, {}, placed) if key != "components" else value)
        for key, value in document.items()
    }


class _Placement:
    """Names the hoisted definitions take in ``components/schemas``."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def reserve(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self.schemas:
            number += 1
            candidate = f"{name}{number}"
        self.schemas[candidate] = None
        return candidate

    def settle(self, name: str, schema: dict[str, Any]) -> str:
        """Where ``schema`` (already hoisted) lives: an equal component, or ``name``."""
        for existing, held in self.schemas.items():
            if held == schema and existing != name:
                del self.schemas[name]
                return existing
        self.schemas[name] = schema
        return name


# The keywords that hold named definitions, and how a reference to one begins: pydantic
# and JSON Schema 2019+ write ``$defs``, draft-07 schemas (the published FHIR schema)
# ``definitions``.
_DEFINITIONS = {"$defs": "#/$defs/", "definitions": "#/definitions/"}
# Keywords whose value maps names to schemas: the map itself is no schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
# Keywords whose value is data, not schema: copied as they are.
_DATA = frozenset({"example", "examples", "default", "const", "enum"})


def _hoist(node: Any, scope: Mapping[str, str], placed: _Placement) -> Any:
    if isinstance(node, list):
        return [_hoist(item, scope, placed) for item in node]
    if not isinstance(node, dict):
        return node
    for keyword, prefix in _DEFINITIONS.items():
        definitions = node.get(keyword)
        if isinstance(definitions, dict):
            scope = _hoist_scope(definitions, prefix, scope, placed)
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DEFINITIONS and isinstance(value, dict):
            continue
        if key == "$ref" and isinstance(value, str):
            result[key] = scope.get(value, value)
        elif key in _DATA:
            result[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            result[key] = {name: _hoist(sub, scope, placed) for name, sub in value.items()}
        else:
            result[key] = _hoist(value, scope, placed)
    return result


def _hoist_scope(
    definitions: Mapping[str, Any], prefix: str, scope: Mapping[str, str], placed: _Placement
) -> dict[str, str]:
    """Place ``definitions`` among the components; the references that now point there."""
    # Reserve every name first: definitions may refer to each other in any order.
    names = {name: placed.reserve(name) for name in definitions}
    inner = {**scope, **{f"{prefix}{name}": f"{COMPONENTS}{to}" for name, to in names.items()}}
    final = {}
    for name, definition in definitions.items():
        hoisted = _hoist(definition, inner, placed)
        final[f"{prefix}{name}"] = f"{COMPONENTS}{placed.settle(names[name], hoisted)}"
    # References already rewritten to a reserved name that settled on an equal component.
    renamed = {inner[key]: value for key, value in final.items() if inner[key] != value}
    for schema_name, schema in list(placed.schemas.items()):
        if schema is not None:
            placed.schemas[schema_name] = _rename(schema, renamed)
    return {**scope, **final}


def _rename(node: Any, renamed: Mapping[str, str]) -> Any:
    if not renamed:
        return node
    if isinstance(node, list):
        return [_rename(item, renamed) for item in node]
    if isinstance(node, dict):
        return {
            key: renamed.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else _rename(value, renamed)
            for key, value in node.items()
        }
    return node
