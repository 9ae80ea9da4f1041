"""FIX 5.0 SP2 intake over quickfix: acceptor, parsing, canonical trade mapping, replies.

    acceptor.FixAcceptor        the sessions; deliver(OutboxItem) sends status reports
    trade_fields                swap in StreamGrp/PaymentStream fields <-> canonical Trade
    replies                     every message the CCP sends (AR, AE status, 8, 9, AO, AP, j)
    config.AcceptorConfig       members, schedule, limits; settings_text() for quickfix

Submodules are imported on demand so that importing one does not load quickfix.
"""
