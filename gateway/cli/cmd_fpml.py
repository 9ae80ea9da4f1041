"""``clearing-gateway normalise`` (FpML files -> canonical JSON) and ``clearing-gateway bench fpml``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.app import app, bench_app
from gateway.cli.kit import refuse

DEFAULT_EXAMPLES = Path("..") / "shared" / "fpml" / "examples"


def _read(path: Path) -> bytes | dict[str, Any]:
    """The file's bytes, or the JSON error object saying why it cannot be read."""
    from gateway.domain.reasons import ReasonCode

    def fail(message: str) -> dict[str, Any]:
        issue = {"code": ReasonCode.XML_INPUT_UNREADABLE.value, "path": str(path), "message": message}
        return {"file": str(path), "ok": False, "errors": [issue]}

    if path.is_dir():
        return fail("is a directory, not an FpML file")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return fail("no such file")
    except OSError as exc:
        return fail(f"cannot be read: {exc.strerror or exc}")


def normalise_file(path: Path, *, schema_dir: Path | None = None, profile: bool = False) -> dict[str, Any]:
    """One file's answer: its canonical trades, or every issue that refused it."""
    from gateway.domain.codec import trade_to_dict
    from gateway.domain.errors import InputRejected
    from gateway.formats.fpml.read import FpmlOptions, parse_fpml

    data = _read(path)
    if isinstance(data, dict):
        return data
    try:
        parsed = parse_fpml(
            data, options=FpmlOptions(schema_dir=schema_dir, profile=profile, explain_wait=True)
        )
    except InputRejected as exc:
        return {"file": str(path), "ok": False, "errors": [i.to_dict() for i in exc.issues]}
    return {
        "file": str(path),
        "message_type": parsed.message_type.value,
        "schema": parsed.schema,
        "ok": True,
        "trades": [trade_to_dict(t) for t in parsed.trades],
    }


@app.command("normalise")
def normalise(
    files: Annotated[list[Path], typer.Argument(help="FpML documents to read.")],
    schema_dir: Annotated[
        Path | None, typer.Option(help="Official FpML 5.10 confirmation schema directory (verified).")
    ] = None,
    profile: Annotated[bool, typer.Option(help="Validate with the clearing profile instead.")] = False,
) -> None:
    """Print each FpML file as canonical trade JSON, or the reasons it is refused (exit 2 if any is)."""
    from fpml_schemas import SchemaSetError, load_schema
    from gateway.domain.reasons import ReasonCode

    try:
        schema = load_schema(schema_dir, profile=profile)
    except SchemaSetError as exc:
        raise refuse("--schema-dir", f"{exc}; give the FpML 5.10 confirmation view's directory") from None
    typer.echo(f"validating against {schema.label} ({schema.main})", err=True)
    results = []
    for path in files:
        try:
            results.append(normalise_file(path, schema_dir=schema_dir, profile=profile))
        except Exception as exc:  # never a traceback on the operator's terminal
            issue = {
                "code": ReasonCode.INTERNAL_ERROR.value,
                "path": str(path),
                "message": type(exc).__name__,
            }
            results.append({"file": str(path), "ok": False, "errors": [issue]})
    typer.echo(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    if not all(r["ok"] for r in results):
        raise typer.Exit(2)


def _accepted_documents(examples: Path) -> list[bytes]:
    from gateway.domain.errors import InputRejected
    from gateway.formats.fpml.read import parse_fpml

    out = []
    for path in sorted(examples.rglob("*.xml")):
        data = path.read_bytes()
        try:
            parse_fpml(data)
        except InputRejected:
            continue
        out.append(data)
    return out


def _interleaved(first: Any, second: Any, docs: list[bytes], seconds: float) -> tuple[float, float, int]:
    """Documents/s of two workloads run in alternating rounds over the same documents, so that a
    change of machine load affects both alike. Stops once each has run ``seconds`` in total."""
    import time

    spent = [0.0, 0.0]
    rounds = 0
    while min(spent) < seconds:
        for i, work in enumerate((first, second)):
            start = time.perf_counter()
            for d in docs:
                work(d)
            spent[i] += time.perf_counter() - start
        rounds += 1
    n = rounds * len(docs)
    return n / spent[0], n / spent[1], n


def _stages(docs: list[bytes], bare: Any, seconds: float) -> dict[str, dict[str, float]]:
    """Mean microseconds per document in each stage, bare and in the pipeline, timed inside one loop
    that alternates the two per document (a separate run after the rate measurement, which is untimed
    inside). ``bare`` is (parser, schema). Pipeline stages: hardened parse, document rules (root,
    version, id index, href check), validation, reading (scope, codes, normalisation, canonical
    trades), release (freeing the tree and the reader's objects)."""
    import time

    from lxml import etree

    from gateway.formats.fpml.read import _DEFAULT, _parse

    parser, schema = bare
    clock = time.perf_counter_ns
    bare_ns = [0, 0]
    pipe_ns = [0, 0, 0, 0, 0]
    n = 0
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        for d in docs:
            a = clock()
            root = etree.fromstring(d, parser)
            b = clock()
            schema.validate(root)
            c = clock()
            del root
            marks = [clock()]
            _parse(d, _DEFAULT, marks)
            marks.append(clock())
            bare_ns[0] += b - a
            bare_ns[1] += c - b
            for i in range(5):
                pipe_ns[i] += marks[i + 1] - marks[i]
            n += 1
    if not n:
        return {}

    def per_doc(names: tuple[str, ...], totals: list[int]) -> dict[str, float]:
        return {name: round(t / n / 1000, 1) for name, t in zip(names, totals, strict=True)}

    return {
        "bare": per_doc(("parse", "validate"), bare_ns),
        "pipeline": per_doc(("parse", "rules", "validate", "read", "release"), pipe_ns),
    }


def _hostile_documents() -> dict[str, bytes]:
    ns = "http://www.fpml.org/FpML-5/confirmation"
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return {
        "billion_laughs": f'<!DOCTYPE d [<!ENTITY l0 "lol">{lol}]><dataDocument xmlns="{ns}">&l9;</dataDocument>'.encode(),
        "external_entity": f'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d xmlns="{ns}">&x;</d>'.encode(),
        "fifty_megabytes": b"<dataDocument>" + b" " * (50 * 1024 * 1024) + b"</dataDocument>",
        "truncated": f'<dataDocument xmlns="{ns}" fpmlVersion="5-10"><trade><tradeHeader>'.encode() * 1000,
        "wrong_namespace": b'<dataDocument xmlns="urn:other" fpmlVersion="5-10"/>',
    }


def _refusal_seconds() -> dict[str, dict[str, Any]]:
    """How long each hostile document takes to be refused, and with which code."""
    import time

    from gateway.domain.errors import InputRejected
    from gateway.formats.fpml.read import parse_fpml

    out: dict[str, dict[str, Any]] = {}
    for name, data in _hostile_documents().items():
        start = time.perf_counter()
        try:
            parse_fpml(data)
            code = "ACCEPTED"
        except InputRejected as exc:
            code = exc.code.value
        out[name] = {"code": code, "seconds": round(time.perf_counter() - start, 4)}
    return out


@bench_app.command("fpml")
def bench_fpml(
    seconds: Annotated[float, typer.Option(min=0.1, help="Seconds of measured work for each side.")] = 5.0,
    examples: Annotated[
        Path, typer.Option(help="Directory of FpML examples.", exists=True, file_okay=False)
    ] = DEFAULT_EXAMPLES,
) -> None:
    """Documents/s of parse+validate+normalise against bare lxml parse+XSD validation, one core."""
    from lxml import etree

    from fpml_schemas import load_schema
    from gateway.formats.fpml.read import parse_fpml

    docs = _accepted_documents(examples)
    if not docs:
        typer.echo(json.dumps({"error": f"no accepted FpML documents under {examples}"}))
        raise typer.Exit(2)
    schema = load_schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

    def baseline(data: bytes) -> None:
        if not schema.schema.validate(etree.fromstring(data, parser)):
            raise RuntimeError("an accepted document failed bare validation")

    def pipeline(data: bytes) -> None:
        parse_fpml(data)

    base_rate, full_rate, n = _interleaved(baseline, pipeline, docs, seconds)
    stages = _stages(docs, (parser, schema.schema), min(seconds, 2.0))
    typer.echo(
        json.dumps(
            {
                "benchmark": "fpml",
                "documents_in_set": len(docs),
                "schema": schema.label,
                "seconds_each": seconds,
                "documents_each": n,
                "baseline_lxml_parse_validate_docs_per_s": round(base_rate, 1),
                "pipeline_parse_validate_normalise_docs_per_s": round(full_rate, 1),
                "ratio": round(full_rate / base_rate, 3),
                "target_ratio": 0.5,
                "stages_us_per_document": stages,
                "hostile_refusals": _refusal_seconds(),
            }
        )
    )
