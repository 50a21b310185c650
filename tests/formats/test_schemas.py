"""The published JSON Schemas (docs/schemas/) are the profiles' own, and up to date.

Regenerate them with ``python -m docex.formats.publish docs/schemas``.
"""

from __future__ import annotations

import json
from pathlib import Path

from docex.formats.profiles import json_schemas, schema_file_name

SCHEMAS = Path(__file__).parents[2] / "docs" / "schemas"


def test_every_format_has_its_published_schema() -> None:
    published = {path.name for path in SCHEMAS.glob("*.schema.json")}
    assert published == {schema_file_name(name) for name in json_schemas()}


def test_published_schemas_match_the_profiles() -> None:
    for name, schema in json_schemas().items():
        stored = json.loads((SCHEMAS / schema_file_name(name)).read_text(encoding="utf-8"))
        assert stored == schema, f"docs/schemas/{schema_file_name(name)} is stale"
