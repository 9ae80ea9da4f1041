import logging

import pytest

from gateway import security_log
from gateway.domain.reasons import ReasonCode


def test_a_refusal_names_channel_identity_and_reason(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=security_log.LOGGER_NAME):
        security_log.refused("mqtt", "EVIL", ReasonCode.INTERNAL_ERROR, "topic ccp/in/EVIL/fpml")
        security_log.refused("fix", None, ReasonCode.INTERNAL_ERROR)
    first, second = caplog.records
    assert first.getMessage() == (
        "refused channel=mqtt identity=EVIL reason=INTERNAL_ERROR: topic ccp/in/EVIL/fpml"
    )
    assert (first.channel, first.identity, first.reason_code) == ("mqtt", "EVIL", "INTERNAL_ERROR")  # type: ignore[attr-defined]
    assert "identity=-" in second.getMessage()
