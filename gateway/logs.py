"""Where the long-running commands log, and in which format: one set-up for structlog and ``logging``.

``configure`` installs one handler on the standard library's root logger whose formatter is structlog's
``ProcessorFormatter``, and points structlog at the standard library. So a ``structlog`` event
(``log.info("clearing.novated", submission_id=...)``), a ``logging.getLogger(...)`` call in the gateway,
and the libraries' own records (amqtt, asyncio, warnings) all come out on stderr in one format:

- ``json``: one JSON object per line: ``timestamp`` (ISO-8601, UTC), ``level``, ``logger``, ``event``,
  then the event's fields;
- ``console``: a line for a person (time, level, event, logger, ``key=value`` fields);
- ``auto``: ``console`` when the stream is a terminal, else ``json``.

A ``logging`` call names its event and fields with ``extra=event("mqtt.intake.stored", source=...)``:
the text of the call stays the record's message (what ``caplog`` sees), the structured formats show
the event name and the fields instead.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TextIO, cast

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger


class LogFormat(StrEnum):
    AUTO = "auto"  # console on a terminal, else json
    JSON = "json"  # one JSON object per line
    CONSOLE = "console"  # one readable line per event, fields as key=value


ENV_VAR: Final = "CLEARING_LOG_FORMAT"
LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
EVENT_KEY: Final = "event_name"  # the ``extra`` key a logging call names its event with
# Record attributes kept under their old name for callers that filter records by them, shown as ...
_RENAMED: Final = {"reason_code": "reason"}
_ORDER: Final = ("timestamp", "level", "logger", "event")
_STANDARD: Final = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_OWN_HANDLER: Final = "_clearing_gateway_handler"
# what a LogRecord costs to make: the caller's file and line (a walk up the stack) and the thread and
# process names are looked up for every record; neither format shows them (the logging HOWTO's
# "Optimization" section names these switches)
_RECORD_EXTRAS: Final = (
    logging._srcfile,
    logging.logThreads,
    logging.logProcesses,
    logging.logMultiprocessing,
)


class LogSettingError(ValueError):
    """A format or level that is not one: ``where`` is the option, key or variable it came from."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


def event(name: str, **fields: object) -> dict[str, object]:
    """The ``extra=`` of a ``logging`` call: the structured formats show event ``name`` with ``fields``.

    Field names must not be attributes of ``logging.LogRecord`` (``name``, ``module``, ``process``...)."""
    return {EVENT_KEY: name, **fields}


def parse_format(text: str, where: str) -> LogFormat:
    """``text`` as a format; ``LogSettingError`` naming ``where`` (option, key or variable) and the choices."""
    try:
        return LogFormat(text.strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in LogFormat)
        raise LogSettingError(where, f"must be one of {allowed}, got {text!r}") from None


def parse_level(text: str, where: str) -> int:
    """``text`` as a ``logging`` level; ``LogSettingError`` naming ``where`` and the choices."""
    name = text.strip().upper()
    if name not in LEVELS:
        raise LogSettingError(where, f"must be one of {', '.join(LEVELS)}, got {text!r}")
    return int(logging.getLevelName(name))


def choose_format(option: str | None, environ: Mapping[str, str], configured: LogFormat) -> LogFormat:
    """The command-line option, else the environment variable, else the configuration."""
    if option is not None:
        return parse_format(option, "--log-format")
    from_env = environ.get(ENV_VAR, "").strip()
    if from_env:
        return parse_format(from_env, ENV_VAR)
    return configured


def resolve(fmt: LogFormat, stream: TextIO) -> LogFormat:
    """``auto`` made concrete for ``stream``: console on a terminal, else json."""
    if fmt is not LogFormat.AUTO:
        return fmt
    isatty = getattr(stream, "isatty", None)
    return LogFormat.CONSOLE if callable(isatty) and isatty() else LogFormat.JSON


def configure(fmt: LogFormat, level: int, stream: TextIO | None = None) -> LogFormat:
    """Send every log record of the process to ``stream`` (default: stderr as it is at each write) in ``fmt``.

    Returns the format used (``auto`` resolved). Called again, it replaces its own handler only (a
    handler someone else put on the root logger, a test's capture for one, stays)."""
    target = stream if stream is not None else cast(TextIO, _Stderr())
    probe = stream if stream is not None else sys.stderr
    chosen = resolve(fmt, probe)
    renderer: list[Processor]
    if chosen is LogFormat.JSON:
        renderer = [_ordered, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        colors = resolve(LogFormat.AUTO, probe) is LogFormat.CONSOLE  # colour codes only on a terminal
        renderer = [
            structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=structlog.dev.plain_traceback)
        ]
    formatter = structlog.stdlib.ProcessorFormatter(
        # the text is formatted (by _record_fields) only when no event name replaces it
        use_get_message=False,
        pass_foreign_args=True,
        foreign_pre_chain=[_record_fields],
        processors=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            _timestamp,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *renderer,
        ],
    )
    handler = logging.StreamHandler(target)
    handler.setFormatter(formatter)
    setattr(handler, _OWN_HANDLER, True)
    root = logging.getLogger()
    _remove_own_handlers(root)
    root.addHandler(handler)
    root.setLevel(level)
    _record_extras(None, False, False, False)
    logging.captureWarnings(True)  # a library's warning is a log line too, not a stray text line
    structlog.configure(
        processors=[structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        # calls below the level return at once: no event dict, no formatting
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    return chosen


def reset() -> None:
    """Undo ``configure``: its handler removed, structlog back to its defaults."""
    _remove_own_handlers(logging.getLogger())
    _record_extras(*_RECORD_EXTRAS)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def _record_extras(srcfile: str | None, threads: bool, processes: bool, multiprocessing: bool) -> None:
    logging._srcfile = srcfile
    logging.logThreads, logging.logProcesses, logging.logMultiprocessing = threads, processes, multiprocessing


def _remove_own_handlers(root: logging.Logger) -> None:
    for old in [h for h in root.handlers if getattr(h, _OWN_HANDLER, False)]:
        root.removeHandler(old)
        old.close()


class _Stderr:
    """Whatever ``sys.stderr`` is at the time of writing (test runners replace it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _record_fields(_logger: WrappedLogger, _name: str, ed: EventDict) -> EventDict:
    """A ``logging`` record's ``extra`` as fields; the event named by ``extra=event(...)`` as the event."""
    record: logging.LogRecord | None = ed.get("_record")
    if record is None:
        return ed
    args = ed.pop("positional_args", ())
    if EVENT_KEY not in record.__dict__:
        ed["event"] = _text(str(record.msg), args)
    for key, value in record.__dict__.items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if key == EVENT_KEY:
            ed["event"] = value
        else:
            ed[_RENAMED.get(key, key)] = value
    return ed


def _text(msg: str, args: Any) -> str:
    """A record's message with its arguments filled in, as ``LogRecord.getMessage`` would (a warning's
    trailing newline dropped)."""
    if args:
        try:
            msg = msg % args
        except (TypeError, ValueError, KeyError):
            msg = f"{msg} {args!r}"  # a malformed call still leaves a line
    return msg.rstrip()


def _timestamp(_logger: WrappedLogger, _name: str, ed: EventDict) -> EventDict:
    """When the record was made (not when it was formatted), ISO-8601 in UTC."""
    record: logging.LogRecord | None = ed.get("_record")
    at = datetime.fromtimestamp(record.created, UTC) if record is not None else datetime.now(UTC)
    ed["timestamp"] = at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return ed


def _ordered(_logger: WrappedLogger, _name: str, ed: EventDict) -> EventDict:
    """timestamp, level, logger and event first, then the fields in the order they were given."""
    out: dict[str, Any] = {k: ed.pop(k) for k in _ORDER if k in ed}
    out.update(ed)
    return out
