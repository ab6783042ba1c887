"""Validation of outputs against the JSON Schemas under docs/reference/schemas/."""

from __future__ import annotations

import json
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "reference" / "schemas"


def validate(document: object, name: str) -> None:
    """Raise ``jsonschema.ValidationError`` unless `document` follows ``<name>.schema.json``."""
    import jsonschema

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
