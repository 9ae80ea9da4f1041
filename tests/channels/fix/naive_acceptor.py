"""A deliberately naive quickfix acceptor whose fromApp lets an exception escape (run as a subprocess).

Used only to show what ``CallbackBridge`` protects against: ``python naive_acceptor.py PORT DIR``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import quickfix

from gateway.channels.fix.config import AcceptorConfig, FixSession, settings_text


class Naive(quickfix.Application):  # type: ignore[misc]
    def onCreate(self, s: object) -> None:
        pass

    def onLogon(self, s: object) -> None:
        pass

    def onLogout(self, s: object) -> None:
        pass

    def toAdmin(self, m: object, s: object) -> None:
        pass

    def fromAdmin(self, m: object, s: object) -> None:
        pass

    def toApp(self, m: object, s: object) -> None:
        pass

    def fromApp(self, m: object, s: object) -> None:
        raise ValueError("bug in the application")


def main() -> None:
    port, data = int(sys.argv[1]), Path(sys.argv[2])
    config = AcceptorConfig(
        port=port, sessions=(FixSession("MEMBER1", "549300VBWWV6BYQOWM67"),), data_dir=data
    )
    config.store_dir.mkdir(parents=True, exist_ok=True)
    config.log_dir.mkdir(parents=True, exist_ok=True)
    (data / "acceptor.cfg").write_text(settings_text(config))
    settings = quickfix.SessionSettings(str(data / "acceptor.cfg"))
    app = Naive()
    store, log = quickfix.FileStoreFactory(settings), quickfix.FileLogFactory(settings)
    acceptor = quickfix.ThreadedSocketAcceptor(app, store, settings, log)
    acceptor.start()
    print("listening", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
