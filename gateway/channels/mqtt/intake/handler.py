"""From one MQTT payload to the clearing port: read, then submit (or withdraw, or take an event on a
cleared trade), or say why not.

``read`` is synchronous and runs in arrival order; ``process`` talks to the clearing port and may run
concurrently for different trades. Anything that cannot be accepted becomes a ``Refused`` carrying
every issue; the loop answers it with ``messageRejected`` on the source's status topic.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial

from gateway import security_log
from gateway.admin.source_directory import SourceDirectory
from gateway.backoff import Backoff
from gateway.channels import events
from gateway.channels.mqtt.intake.message_id import readable_message_id
from gateway.clearing.ports import Channel, ClearingPort, EventPort, EventRequest, Submission
from gateway.clock import Clock
from gateway.domain.errors import GatewayError, Issue
from gateway.domain.messages import ClearingRequest, InboundMessage, LifecycleRequest
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import Trade
from gateway.logs import event

log = logging.getLogger(__name__)
CHANNEL = "mqtt"

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
RETRACTION_REASON = "requestClearingRetracted"

Parse = Callable[[bytes], InboundMessage]
"""Bytes to a business message; raises ``InputRejected`` with the issues (gateway.formats.fpml.read)."""


class Outcome(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    EVENT = "event"  # a lifecycle event on a cleared trade, decided and answered through the outbox
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A readable clearing request (or its retraction, or an event on a cleared trade), not yet handed to
    the clearing port."""

    source: str
    request: ClearingRequest | LifecycleRequest
    received_at: datetime
    raw: bytes

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        if isinstance(self.request, LifecycleRequest):
            named = self.request.terms.trade
            return ((self.source, named.ccp_trade_id or named.source_trade_id or ""),)
        return tuple((self.source, t.identifiers.source_trade_id) for t in self.request.trades)

    @property
    def message_id(self) -> str:
        return self.request.header.message_id


@dataclass(frozen=True, slots=True)
class Refused:
    """Input the gateway answers with ``messageRejected``."""

    source: str
    issues: tuple[Issue, ...]
    received_at: datetime
    raw: bytes
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Processed:
    outcome: Outcome
    submitted: int = 0
    refused: Refused | None = None


def _internal(path: str, message: str) -> tuple[Issue, ...]:
    return (Issue(ReasonCode.INTERNAL_ERROR, path, message),)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a payload gave no message: its issues (and, for a defect of the reader, what went wrong)."""

    issues: tuple[Issue, ...]
    too_large: bool = False
    defect: str | None = None


def attempt_parse(parse: Parse, payload: bytes) -> InboundMessage | ParseFailure:
    """``parse`` with every failure turned into a value: runs on the event loop, a thread or a worker process
    (both the arguments and the result pickle, when ``parse`` does)."""
    if len(payload) > MAX_MESSAGE_BYTES:
        issue = Issue(
            ReasonCode.XML_TOO_LARGE, "/", f"{len(payload)} bytes; the limit is {MAX_MESSAGE_BYTES}"
        )
        return ParseFailure((issue,), too_large=True)
    try:
        return parse(payload)
    except GatewayError as exc:
        return ParseFailure(tuple(exc.issues))
    except Exception:
        return ParseFailure(_internal("/", "the message could not be read"), defect=traceback.format_exc())


def _log_refused(source: str, issues: tuple[Issue, ...]) -> None:
    """One security log line for input refused before it reached the clearing port (hostile or broken)."""
    if not issues:
        return
    first = issues[0]
    more = f" (+{len(issues) - 1} more)" if len(issues) > 1 else ""
    security_log.refused(CHANNEL, source, first.code, f"{first.path}: {first.message[:300]}{more}")


class FpmlIntake:
    """Turns FpML from one trade source into clearing-port calls."""

    def __init__(
        self,
        *,
        port: ClearingPort,
        parse: Parse,
        clock: Clock,
        sources: SourceDirectory,
        events: EventPort | None = None,
        max_attempts: int = 8,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 10.0,
    ) -> None:
        self._port = port
        self._events = events  # None: events on cleared trades are refused as not accepted here
        self._parse = parse
        self._clock = clock
        self._sources = sources
        self._max_attempts = max_attempts
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s

    def unapproved(self, source: str, payload: bytes) -> Refused | None:
        """A refusal when ``source`` (the intake topic's id) is not an active registered trade source.

        Checked before the payload is read: nothing from an unapproved identity is parsed or submitted.
        A dictionary look-up in the cached source table (refreshed by the service), no database read."""
        issue = self._sources.check(source)
        if issue is None:
            return None
        security_log.refused(CHANNEL, source, issue.code, issue.message)
        return Refused(source, (issue,), self._clock.now(), payload[:MAX_MESSAGE_BYTES])

    def read(self, source: str, payload: bytes) -> Accepted | Refused:
        refused = self.unapproved(source, payload)
        if refused is not None:
            return refused
        return self.finish_read(source, payload, self._clock.now(), attempt_parse(self._parse, payload))

    def finish_read(
        self, source: str, payload: bytes, now: datetime, parsed: InboundMessage | ParseFailure
    ) -> Accepted | Refused:
        """The second half of ``read``, given what ``attempt_parse`` made of the payload (here or elsewhere)."""
        if isinstance(parsed, ParseFailure):
            # no second parse of a refused document: a bounded scan of its head for the messageId
            in_reply_to = readable_message_id(payload)
            _log_refused(source, parsed.issues)
            if parsed.too_large:
                return Refused(source, parsed.issues, now, b"", in_reply_to)
            if parsed.defect:
                log.error(
                    "FpML reader failed on a message from %s: %s",
                    source,
                    parsed.defect,
                    extra=event("intake.reader_failed", channel=CHANNEL, source=source, error=parsed.defect),
                )
            return Refused(source, parsed.issues, now, payload, in_reply_to)
        message = parsed
        if isinstance(message, LifecycleRequest) and self._events is not None:
            return Accepted(source, message, now, payload)
        if not isinstance(message, ClearingRequest):
            name = getattr(getattr(message, "message_type", None), "value", None) or type(message).__name__
            issue = Issue(
                ReasonCode.XML_UNKNOWN_MESSAGE,
                "/*",
                f"{name} is not accepted on the intake topic; send requestClearing, requestClearingRetracted "
                "or requestConfirmation carrying a termination",
            )
            header = getattr(message, "header", None)
            _log_refused(source, (issue,))
            return Refused(source, (issue,), now, payload, getattr(header, "message_id", None))
        if not message.trades:
            issue = Issue(ReasonCode.SCOPE_NO_TRADE, "/requestClearing", "the request carries no trade")
            _log_refused(source, (issue,))
            return Refused(source, (issue,), now, payload, message.header.message_id)
        return Accepted(source, message, now, payload)

    def submissions(self, accepted: Accepted) -> list[Submission]:
        """One submission per trade; trades of a package get ``{messageId}#{n}`` so each has its own key."""
        req = accepted.request
        assert isinstance(req, ClearingRequest)
        many = len(req.trades) > 1
        return [
            Submission(
                channel=Channel.MQTT_FPML,
                source=accepted.source,
                message_id=f"{accepted.message_id}#{n}" if many else accepted.message_id,
                received_at=accepted.received_at,
                trade=trade,
                is_correction=req.is_correction,
                correlation_id=req.correlation_id,
                package_id=_package_key(trade, accepted.message_id),
                raw=accepted.raw,
            )
            for n, trade in enumerate(req.trades, start=1)
        ]

    async def process(self, accepted: Accepted) -> Processed:
        """Hand every trade to the clearing port; returns once each is durably stored (or refused)."""
        if isinstance(accepted.request, LifecycleRequest):
            return await self._event(accepted, accepted.request)
        issues: list[Issue] = []
        done = 0
        if accepted.request.retracted:
            for trade in accepted.request.trades:
                tid = trade.identifiers.source_trade_id
                error = await self._attempt(
                    partial(
                        self._port.withdraw, accepted.source, tid, accepted.received_at, RETRACTION_REASON
                    ),
                    what=f"withdraw {accepted.source}/{tid}",
                )
                if error:
                    issues.extend(error)
                else:
                    done += 1
            outcome = Outcome.WITHDRAWN
        else:
            for sub in self.submissions(accepted):
                error = await self._attempt(
                    partial(self._submit, sub), what=f"submit {sub.source}/{sub.message_id}"
                )
                if error:
                    events.refused(CHANNEL, sub.source, sub.trade, sub.message_id, error)
                    issues.extend(error)
                else:
                    done += 1
            outcome = Outcome.SUBMITTED
        if issues:
            refused = Refused(
                accepted.source, tuple(issues), accepted.received_at, accepted.raw, accepted.message_id
            )
            return Processed(Outcome.REJECTED if done == 0 else outcome, done, refused)
        return Processed(outcome, done)

    async def _event(self, accepted: Accepted, request: LifecycleRequest) -> Processed:
        """An event on a cleared trade: decided and stored with its statuses (answered through the outbox),
        or refused before anything is stored (no such cleared trade), which is answered here."""
        port = self._events
        assert port is not None
        event_request = EventRequest(
            channel=Channel.MQTT_FPML,
            source=accepted.source,
            message_id=accepted.message_id,
            received_at=accepted.received_at,
            terms=request.terms,
            correlation_id=request.correlation_id,
            raw=accepted.raw,
        )

        async def call() -> None:
            await port.submit_event(event_request)

        error = await self._attempt(call, what=f"event {accepted.source}/{accepted.message_id}")
        if not error:
            return Processed(Outcome.EVENT, 1)
        events.refused(CHANNEL, accepted.source, None, accepted.message_id, error)
        refused = Refused(accepted.source, error, accepted.received_at, accepted.raw, accepted.message_id)
        return Processed(Outcome.REJECTED, 0, refused)

    async def _submit(self, sub: Submission) -> None:
        events.received(CHANNEL, await self._port.submit(sub), sub.message_id)

    async def _attempt(self, call: Callable[[], Awaitable[object]], *, what: str) -> tuple[Issue, ...]:
        """Run ``call`` until it succeeds; a refusal is returned, an unexpected failure retried with backoff."""
        backoff: Backoff | None = None  # made on the first failure: most messages never need it
        for attempt in range(1, self._max_attempts + 1):
            try:
                await call()
                return ()
            except GatewayError as exc:
                return exc.issues
            except Exception:
                log.exception(
                    "%s failed (attempt %d of %d)",
                    what,
                    attempt,
                    self._max_attempts,
                    extra=event("intake.store_failed", channel=CHANNEL, call=what, attempt=attempt),
                )
                if attempt == self._max_attempts:
                    break
                if backoff is None:
                    backoff = Backoff(self._retry_initial_s, self._retry_max_s)
                await backoff.wait()
        return _internal(
            "/", f"the clearing service could not store the request after {self._max_attempts} attempts"
        )


def _package_key(trade: Trade, message_id: str) -> str | None:
    """The package a trade is a leg of: its package id, else the message's id (a ``tradePackage`` without
    a ``packageIdentifier`` is one package all the same). None: not in a package."""
    if trade.package is None:
        return None
    return trade.package.package_id or message_id
