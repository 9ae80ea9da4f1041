"""The lxml element writer: the reference the product's text writer (``gateway.formats.fpml.write.render``) is
held to, byte for byte, in ``tests/formats/fpml/write/test_render.py``.

It builds the same documents as an element tree and lets lxml serialise them, so escaping and layout are
libxml2's. A change of output is made in the product's writer and here; the comparison fails until both
agree. ``trade_document`` gives a whole ``dataDocument``, as ``render.trade_document`` does;
``notional_change_document`` a lifecycle event's ``termination`` element, as ``render.notional_change``.
"""

from tests.formats.fpml.write.reference.events import notional_change_document, write_notional_change
from tests.formats.fpml.write.reference.trade import trade_document, write_trade

__all__ = ["notional_change_document", "trade_document", "write_notional_change", "write_trade"]
