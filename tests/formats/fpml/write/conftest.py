"""The official FpML 5.10 schema, compiled once per session, and an assertion that names every violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree


class SchemaCheck:
    def __init__(self, schema: etree.XMLSchema) -> None:
        self._schema = schema

    def __call__(self, document: bytes) -> etree._Element:
        """Parse ``document`` and fail with the schema's own messages unless it is valid; return its root."""
        root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
        if not self._schema.validate(root):
            errors = "\n".join(f"line {e.line}: {e.message}" for e in self._schema.error_log)
            pytest.fail(f"not valid FpML 5.10:\n{errors}")
        return root


@pytest.fixture(scope="session")
def assert_valid(fpml_schema_dir: Path) -> SchemaCheck:
    schema = etree.XMLSchema(etree.parse(str(fpml_schema_dir / "fpml-main-5-10.xsd")))
    return SchemaCheck(schema)
