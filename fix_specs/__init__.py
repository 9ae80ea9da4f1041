"""Our FIX rules of engagement: the data dictionaries the acceptor validates against, and their source."""

from __future__ import annotations

from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
TRANSPORT_DICTIONARY = SPEC_DIR / "FIXT11-CCP.xml"
APP_DICTIONARY = SPEC_DIR / "FIX50SP2-CCP.xml"

__all__ = ["APP_DICTIONARY", "SPEC_DIR", "TRANSPORT_DICTIONARY"]
