"""A TradeCaptureReport's package: ``2489`` PackageID names the package, ``748`` TotNumTradeReports says how
many reports (legs) it has. The legs are reported one by one and cleared together (``gateway/clearing/packages.py``)."""

from __future__ import annotations

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.domain.trade import PackageRef
from gateway.formats.fix.dictionary import Dictionary
from gateway.formats.fix.reader import Reader
from gateway.formats.fix.tags import T
from gateway.formats.fix.wire import FieldSet


def read_package(body: FieldSet, d: Dictionary, issuer: str) -> PackageRef | None:
    """The package of the report in ``body`` (``issuer``: the reporting session, which names the package),
    or None when it names none; both fields or neither, else InputRejected naming the missing one."""
    issues: list[Issue] = []
    r = Reader(body, d, issues)
    package_id = r.text(T.PackageID)
    count = r.integer(T.TotNumTradeReports)
    if issues:
        raise InputRejected(issues)
    if package_id is None and count is None:
        return None
    if package_id is None:
        r.fail(ReasonCode.FIX_MISSING_FIELD, T.PackageID, "names the package the report is a leg of")
    if count is None:
        r.fail(ReasonCode.FIX_MISSING_FIELD, T.TotNumTradeReports, "says how many reports the package has")
    elif count < 1:
        r.fail(ReasonCode.FIX_INVALID_VALUE, T.TotNumTradeReports, f"{count} is not 1 or more")
    if issues:
        raise InputRejected(issues)
    return PackageRef(package_id, int(count or 1), None, issuer)
