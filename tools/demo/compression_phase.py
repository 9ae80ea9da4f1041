"""The demo's compression run, after its lifecycle events: the CCP compresses Bank B's fixed/float swaps in
its house account (``ClearingService.compress``, as ``clearing-gateway compress`` runs it) and writes the
report under ``var/demo/compression``. Bank B, so that Bank A's book, which the summary's reconciliation
commands use, stays as the day left it; a short day may leave Bank B nothing to compress (no two of its
swaps in one risk bucket), which the summary says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from gateway.clearing.compression import EngineValuer
from gateway.clearing.risk_checker import RiskCreditChecker
from gateway.clearing.service import ClearingService
from gateway.clock import Clock
from gateway.domain.compression import CompressionRequest, CompressionResult
from gateway.domain.enums import ProductClass
from gateway.domain.errors import GatewayError
from gateway.domain.reasons import ReasonCode
from gateway.formats.compression_report import write_report
from gateway.rules.settings import ClearingSettings
from gateway.store import open_store
from gateway.store.clearing_store import SqlClearingStore

MEMBER, ACCOUNT = "BANKB", "HOUSE"
COMPRESSIBLE = (ProductClass.IRS.value, ProductClass.OIS.value)


@dataclass(frozen=True, slots=True)
class CompressionShown:
    """What the summary shows of the run: its result and report, or why it was refused."""

    member: str
    account: str
    result: CompressionResult | None
    codes: tuple[str, ...]
    report_csv: Path | None
    report_pdf: Path | None

    @property
    def intended(self) -> bool:
        """Compressed, or nothing to compress; any other refusal is not what the day meant."""
        return self.result is not None or self.codes == (ReasonCode.COMP_TOO_FEW_TRADES.value,)

    @property
    def notional(self) -> tuple[Decimal, Decimal]:
        if self.result is None:
            return Decimal(0), Decimal(0)
        totals = self.result.totals().values()
        return sum((t["notional_before"] for t in totals), Decimal(0)), sum(
            (t["notional_after"] for t in totals), Decimal(0)
        )


async def run_compression(
    database_url: str, market: Path, clock: Clock, business_date: date, workdir: Path
) -> CompressionShown:
    """Compress Bank B's live fixed/float swaps in its house account; the run as the summary shows it."""
    settings = ClearingSettings.load()
    engine = await open_store(database_url)
    try:
        checker = RiskCreditChecker.from_market_dir(market)
        service = ClearingService(
            engine, checker, clock=clock, settings=settings, store=SqlClearingStore(engine)
        )
        positions = await service.positions(MEMBER, ACCOUNT, business_date)
        ids = tuple(p.trade_id for p in positions if p.status == "CLEARED" and p.product in COMPRESSIBLE)
        request = CompressionRequest(
            f"DEMO-{business_date:%Y%m%d}", MEMBER, ACCOUNT, settings.ccp.party_id, ids
        )
        try:
            result = await service.compress(request, EngineValuer(checker.engine))
        except GatewayError as exc:
            codes = tuple(dict.fromkeys(str(i.code) for i in exc.issues))
            return CompressionShown(MEMBER, ACCOUNT, None, codes, None, None)
    finally:
        await engine.dispose()
    files = write_report(result, workdir / "compression")
    return CompressionShown(MEMBER, ACCOUNT, result, (), files.csv, files.pdf)
