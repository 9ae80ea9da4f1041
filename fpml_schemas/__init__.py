"""FpML schema sets: the official 5.10 confirmation view (verified by checksum) and our clearing profile.

The official files are not ours to ship; they are read from a directory (argument, then the
``CLEARING_FPML_SCHEMA_DIR`` environment variable, then ``../shared/fpml/schema/5-10-confirmation``
relative to the working directory) and checked against ``fpml-5-10-confirmation.manifest.json``
before use. When the default directory is absent the gateway validates with
``clearing-profile.xsd``, our own description of the messages and swap shape we accept.
"""

from fpml_schemas.loader import (
    DEFAULT_RELATIVE_DIR,
    ENV_VAR,
    OFFICIAL_LABEL,
    PROFILE_LABEL,
    LoadedSchema,
    SchemaSetError,
    SchemaViolation,
    clear_cache,
    load_schema,
    loader_roots,
    resolve_schema_dir,
)
from fpml_schemas.manifest import MANIFEST_PATH, build_manifest, load_manifest, verify_directory

__all__ = [
    "DEFAULT_RELATIVE_DIR",
    "ENV_VAR",
    "MANIFEST_PATH",
    "OFFICIAL_LABEL",
    "PROFILE_LABEL",
    "LoadedSchema",
    "SchemaSetError",
    "SchemaViolation",
    "build_manifest",
    "clear_cache",
    "load_manifest",
    "load_schema",
    "loader_roots",
    "resolve_schema_dir",
    "verify_directory",
]
