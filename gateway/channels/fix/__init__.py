"""FIX 5.0 SP2 sessions over quickfix: the members' port, the sessions, what is sent on them.

    gate.LogonGate              the members' port: bind address, mutual TLS, the Logon limits
    acceptor.FixAcceptor        the sessions; deliver(OutboxItem) sends status reports
    handlers.FixHandlers        each inbound application message -> the ClearingPort -> replies
    publisher.FixPublisher      outbox -> members' sessions, in order per member
    sessions                    which sessions to open, and who may log on now (the reference data)
    engine                      every quickfix 1.16 workaround, and nothing else
    config.AcceptorConfig       members, schedule, limits; settings_text() for quickfix

The messages themselves (wire, dictionaries, trade fields, replies) are ``gateway.formats.fix``.
Submodules are imported on demand so that importing one does not load quickfix.
"""
