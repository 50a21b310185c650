"""Write the JSON Schemas of the signed formats: ``python -m docex.formats.publish DIR``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from docex.formats.profiles import json_schemas, schema_file_name


def publish(folder: Path) -> list[Path]:
    """Write ``<format>.schema.json`` for every format into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = folder / schema_file_name(name)
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in publish(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(path)
