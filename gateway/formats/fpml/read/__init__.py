"""FpML 5.10 intake: bytes -> validated business message and canonical trades.

Layers, in order: XML safety (size, no DTD/entities, well-formed, namespace, known root), fpmlVersion
and references, schema (the official set when installed and verified, else our clearing profile),
then per trade: clearing scope, coded values, dates, amounts, and normalisation into
``gateway.domain.Trade``. Every issue of every layer after the safety gate is collected.

    parse_fpml(data) -> ParsedFpml        # any accepted message
    parse_trade_xml(data) -> Trade        # a document carrying exactly one trade (FIX SecurityXML)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.messages import InboundMessage, MessageType
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.formats.fpml.read.context import DocContext, IdIndex, index_ids
from gateway.formats.fpml.read.messages import READERS, TradeFailure
from gateway.formats.fpml.read.problems import Problems, bounded
from gateway.formats.fpml.read.rules import check_references, check_version
from gateway.formats.fpml.read.safety import DEFAULT_MAX_BYTES, message_type_of, parse_safely
from gateway.formats.fpml.read.xml import Element, child_text, group_children, q, text_of

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FpmlOptions",
    "ParsedFpml",
    "TradeFailure",
    "parse_fpml",
    "parse_fpml_message",
    "parse_trade_xml",
    "warm_reader",
]


@dataclass(frozen=True, slots=True)
class FpmlOptions:
    """How strictly and against what a document is read.

    ``schema_dir``: the official schema directory (else ``CLEARING_FPML_SCHEMA_DIR``, else the default);
    ``profile``: validate with our clearing profile even when the official set is installed;
    ``explain``: describe schema failures with xmlschema (only on the failure path); its model of the
    official set takes seconds to build, so by default the first failure starts that build in the
    background and is described by lxml; ``explain_wait=True`` waits for it instead (the CLI does);
    ``allow_partial``: a ``dataDocument`` with some unreadable trades returns the readable ones and
    lists the rest in ``failures`` instead of being refused whole.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    schema_dir: Path | None = None
    profile: bool = False
    validate: bool = True
    explain: bool = True
    explain_wait: bool = False
    allow_partial: bool = False


@dataclass(frozen=True, slots=True)
class ParsedFpml:
    message_type: MessageType
    message: InboundMessage
    trades: tuple[Trade, ...]
    schema: str  # which schema validated it, e.g. "fpml-5-10-confirmation (official, verified)"
    failures: tuple[TradeFailure, ...] = ()


_DEFAULT = FpmlOptions()
_HEADER, _CORRELATION_ID = q("header"), q("correlationId")
_log = logging.getLogger(__name__)


def parse_fpml(data: bytes, *, options: FpmlOptions | None = None) -> ParsedFpml:
    """Read one FpML document; InputRejected carries every issue found.

    Nothing else escapes: a defect of the reader itself becomes an INTERNAL_ERROR issue (and is logged)
    rather than a traceback to the sender.
    """
    try:
        return _parse(data, options or _DEFAULT)
    except InputRejected:
        raise
    except Exception as exc:
        _log.exception("FpML reader defect")
        raise InputRejected(
            [Issue(ReasonCode.INTERNAL_ERROR, "/", f"the document could not be read ({type(exc).__name__})")]
        ) from None


def _parse(data: bytes, opts: FpmlOptions, marks: list[int] | None = None) -> ParsedFpml:
    """``marks``, when given, receives ``perf_counter_ns`` after each stage: parse, document rules,
    validation, reading (``bench fpml`` reports where a document's time goes from them)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    root = parse_safely(data, max_bytes=opts.max_bytes)
    if marks is not None:
        marks.append(perf_counter_ns())
    kind = message_type_of(root)
    problems = Problems()
    check_version(root, problems)
    if problems.issues:
        raise InputRejected(problems.issues)
    ids = IdIndex(root)
    if ids.missing(root):
        _check_references(root)
    if marks is not None:
        marks.append(perf_counter_ns())
    label = _validate(root, opts) if opts.validate else "not validated"
    if marks is not None:
        marks.append(perf_counter_ns())
    top = group_children(root)
    header = top.get(_HEADER)
    correlation = top.get(_CORRELATION_ID)
    ctx = DocContext(
        root=root,
        ids=ids,
        sent_by=None if not header else child_text(header[0], "sentBy"),
        correlation_id=None if not correlation else text_of(correlation[0]),
        top=top,
    )
    extracted = READERS[kind](root, ctx, problems)
    failures = extracted.failures
    partial_ok = opts.allow_partial and not extracted.atomic and extracted.trades
    issues = list(problems.issues)
    if failures and not partial_ok:
        for failure in failures:
            issues.extend(failure.issues)
    if issues or problems.dropped or extracted.message is None:
        if not issues:
            issues.append(
                Issue(ReasonCode.FPML_MISSING_FIELD, f"/{kind.value}/header", "the message has no header")
            )
        raise InputRejected(bounded(issues, problems.dropped))
    parsed = ParsedFpml(
        message_type=kind,
        message=extracted.message,
        trades=tuple(extracted.trades),
        schema=label,
        failures=tuple(failures) if partial_ok else (),
    )
    if marks is not None:
        marks.append(perf_counter_ns())
    return parsed


def _check_references(root: Element) -> None:
    problems = Problems()
    check_references(root, index_ids(root), problems)
    if problems.issues:
        raise InputRejected(bounded(problems.issues, problems.dropped))


def _validate(root: Element, opts: FpmlOptions) -> str:
    """The label of the schema that validated ``root``, or InputRejected with SCHEMA_INVALID issues."""
    from fpml_schemas import SchemaSetError, load_schema

    try:
        schema = load_schema(opts.schema_dir, profile=opts.profile)
    except SchemaSetError as exc:
        raise InputRejected([Issue(ReasonCode.INTERNAL_ERROR, "schema", str(exc))]) from None
    violations = schema.check(root)
    if violations is None:
        return schema.label
    if opts.explain:
        violations = schema.explain(root, fallback=violations, wait=opts.explain_wait)
    raise InputRejected(
        [
            Issue(ReasonCode.SCHEMA_INVALID, v.path, f"{v.message} (line {v.line}; {schema.label})")
            for v in violations
        ]
        or [Issue(ReasonCode.SCHEMA_INVALID, "/", f"invalid against {schema.label}")]
    )


def parse_trade_xml(data: bytes, *, options: FpmlOptions | None = None) -> Trade:
    """The one trade of an FpML document (e.g. FIX SecurityXML); InputRejected when not exactly one."""
    parsed = parse_fpml(data, options=options)
    if len(parsed.trades) != 1:
        raise InputRejected(
            [
                Issue(
                    ReasonCode.SCOPE_NO_TRADE if not parsed.trades else ReasonCode.FPML_INVALID_VALUE,
                    f"/{parsed.message_type.value}",
                    f"expected exactly one trade, found {len(parsed.trades)}",
                )
            ]
        )
    return parsed.trades[0]


def parse_fpml_message(payload: bytes, schema_dir: Path | None = None) -> InboundMessage:
    """The FpML reader with the configured schema set, as a module-level function (a worker process can run
    it: ``functools.partial(parse_fpml_message, schema_dir=...)`` pickles)."""
    return parse_fpml(payload, options=FpmlOptions(schema_dir=schema_dir)).message


def warm_reader(schema_dir: Path | None = None) -> None:
    """Compile the schema set now (a worker process's initializer: its first message should not wait)."""
    from fpml_schemas import load_schema

    load_schema(schema_dir)
