"""ISO 4217 currency codes in use, and the check that refuses any other one.

The table lists the alphabetic codes of the ISO 4217 list current in 2026 (national currencies, the fund
codes, special drawing rights and precious metals). Left out on purpose: codes withdrawn from the list
(e.g. HRK, SLL, ZWL, ANG, BGN after the euro's adoption), and XTS / XXX, which the standard reserves for
testing and for "no currency". Checked by ``tests/domain/test_currencies.py``.
"""

from __future__ import annotations

from gateway.domain.errors import InputRejected
from gateway.domain.reasons import ReasonCode

_CODES = """
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD
SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF
XPT XSU XUA YER ZAR ZMW ZWG
"""

ISO_4217: frozenset[str] = frozenset(_CODES.split())


def is_currency(code: str) -> bool:
    """True if ``code`` is an ISO 4217 code in use."""
    return code in ISO_4217


def parse_currency(code: str, path: str) -> str:
    """``code`` if it is an ISO 4217 code in use; else REF_UNKNOWN_CURRENCY naming ``path``."""
    if code in ISO_4217:
        return code
    hint = f" (did you mean {code.upper()}?)" if code.upper() in ISO_4217 else ""
    raise InputRejected.of(
        ReasonCode.REF_UNKNOWN_CURRENCY,
        path,
        f"{code!r} is not an ISO 4217 currency code in use{hint}",
    )


__all__ = ["ISO_4217", "is_currency", "parse_currency"]
