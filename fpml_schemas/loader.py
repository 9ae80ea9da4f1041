"""Compile a schema set once and validate parsed documents against it.

``load_schema`` returns the official set when its directory is configured (and then insists that it
matches the manifest), or our clearing profile when the default directory is absent. The compiled
``lxml.etree.XMLSchema`` is cached per directory. When a document fails, ``explain`` turns the
failure into element paths; it uses ``xmlschema`` (imported lazily, built once) and falls back to
lxml's own log.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from fpml_schemas.manifest import MAIN_FILE, verify_directory

ENV_VAR = "CLEARING_FPML_SCHEMA_DIR"
DEFAULT_RELATIVE_DIR = Path("..") / "shared" / "fpml" / "schema" / "5-10-confirmation"
OFFICIAL_LABEL = "fpml-5-10-confirmation (official, verified)"
PROFILE_LABEL = "clearing-profile"
PROFILE_PATH = Path(__file__).with_name("clearing-profile.xsd")
_MAX_EXPLAINED = 20


class SchemaSetError(Exception):
    """The configured schema set cannot be used (missing, altered, or does not compile)."""


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One schema failure: the element path, the line, and what is wrong."""

    path: str
    line: int | None
    message: str


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(eq=False, slots=True)
class LoadedSchema:
    """A compiled schema set and its provenance label."""

    label: str
    main: Path
    official: bool
    schema: etree.XMLSchema
    _explainer: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _validating: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _building: bool = field(default=False, repr=False)

    def is_valid(self, tree: etree._Element) -> bool:
        with self._validating:
            return bool(self.schema.validate(tree))

    def check(self, tree: etree._Element) -> list[SchemaViolation] | None:
        """None when ``tree`` is valid, else lxml's violations (validation and its log read together)."""
        with self._validating:
            if self.schema.validate(tree):
                return None
            return self.lxml_violations(tree)

    def lxml_violations(self, tree: etree._Element | None = None) -> list[SchemaViolation]:
        """Failures of the last validation as lxml reports them (paths named when ``tree`` is given)."""
        log: Any = self.schema.error_log
        return [
            SchemaViolation(_readable(tree, e.path), e.line or None, e.message)
            for e in list(log)[:_MAX_EXPLAINED]
        ]

    def explain(
        self, tree: etree._Element, *, fallback: list[SchemaViolation] | None = None, wait: bool = False
    ) -> list[SchemaViolation]:
        """Why ``tree`` is invalid, explained by xmlschema with element paths.

        Building xmlschema's model of the official set takes seconds. With ``wait=False`` (what a
        service wants) a first failure starts that build in a background thread and is answered with
        ``fallback`` (lxml's violations) so no message waits; later failures get xmlschema's answer.
        """
        if fallback is None:
            fallback = self.check(tree) or []
        explainer = self._explainer
        if explainer is None:
            if not wait:
                self._build_in_background()
                return fallback
            try:
                explainer = self._xmlschema()
            except Exception:  # the explanation is a courtesy; lxml's log is always there
                return fallback
        try:
            out = []
            for err in explainer.iter_errors(tree):
                elem = getattr(err, "elem", None)
                line = getattr(elem, "sourceline", None) if elem is not None else None
                reason = err.reason or err.message
                out.append(SchemaViolation(err.path or "/", line, str(reason)))
                if len(out) >= _MAX_EXPLAINED:
                    break
        except Exception:
            return fallback
        return out or fallback

    def warm(self) -> None:
        """Build the explainer now (seconds for the official set), e.g. when a service starts."""
        self._xmlschema()

    def _build_in_background(self) -> None:
        with self._lock:
            if self._building or self._explainer is not None:
                return
            self._building = True

        def build() -> None:
            try:
                self._xmlschema()
            except Exception:  # stays unexplained-by-xmlschema; lxml's violations still answer
                return

        threading.Thread(target=build, name="fpml-schema-explainer", daemon=True).start()

    def _xmlschema(self) -> Any:
        with self._lock:
            if self._explainer is None:
                import xmlschema

                self._explainer = xmlschema.XMLSchema(str(self.main))
            return self._explainer


def _readable(tree: etree._Element | None, path: str | None) -> str:
    """lxml's ``/*/*[1]/*[2]`` as local names: ``/dataDocument/trade/swap``."""
    if not path:
        return "/"
    if tree is None:
        return path
    try:
        found = tree.getroottree().xpath(path)
    except etree.XPathError:
        return path
    if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
        return path
    parts = []
    node: etree._Element | None = found[0]
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


_cache: dict[tuple[str, bool], LoadedSchema] = {}
_by_request: dict[tuple[str, bool, str | None, str], LoadedSchema] = {}
_cache_lock = threading.Lock()


def loader_roots() -> frozenset[str]:
    """Message roots the clearing profile declares."""
    tree = etree.parse(str(PROFILE_PATH), _parser())
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    return frozenset(
        str(e.get("name"))
        for e in tree.getroot().findall("xs:element", ns)
        if e.get("type") in ("Message", "Document")
    )


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _by_request.clear()


def resolve_schema_dir(directory: Path | str | None = None) -> tuple[Path, bool]:
    """The schema directory to use and whether it was configured explicitly (argument or env var)."""
    if directory is not None:
        return Path(directory), True
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env), True
    return Path.cwd() / DEFAULT_RELATIVE_DIR, False


def _compile(main: Path) -> etree.XMLSchema:
    try:
        return etree.XMLSchema(etree.parse(str(main), _parser()))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise SchemaSetError(f"{main} does not compile: {exc}") from exc


def load_schema(directory: Path | str | None = None, *, profile: bool = False) -> LoadedSchema:
    """The compiled schema to validate FpML with (cached).

    ``profile=True`` always gives the clearing profile. Otherwise the official set in the resolved
    directory is used; a directory that was configured explicitly must exist and match the manifest
    (``SchemaSetError`` if not), while an absent default directory falls back to the profile.
    """
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed: resolve afresh
        return _load(directory, profile=profile)
    fast_key = (str(directory), profile, os.environ.get(ENV_VAR), cwd)
    hit = _by_request.get(fast_key)
    if hit is not None:
        return hit
    loaded = _load(directory, profile=profile)
    _by_request[fast_key] = loaded
    return loaded


def _load(directory: Path | str | None, *, profile: bool) -> LoadedSchema:
    if profile:
        return _cached(PROFILE_PATH, official=False)
    resolved, explicit = resolve_schema_dir(directory)
    main = resolved / MAIN_FILE
    if not main.is_file():
        if explicit:
            raise SchemaSetError(f"no {MAIN_FILE} in the configured schema directory {resolved}")
        return _cached(PROFILE_PATH, official=False)
    return _cached(main, official=True)


def _cached(main: Path, *, official: bool) -> LoadedSchema:
    key = (str(main.resolve()), official)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
        if official:
            problems = verify_directory(main.parent)
            if problems:
                raise SchemaSetError(
                    f"the schema set in {main.parent} does not match the manifest: " + "; ".join(problems)
                )
        loaded = LoadedSchema(
            label=OFFICIAL_LABEL if official else PROFILE_LABEL,
            main=main,
            official=official,
            schema=_compile(main),
        )
        _cache[key] = loaded
        return loaded
