"""The operations report: rendered by headless Chromium (screenshot checked) and as a PDF that opens."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from gateway.clock import FixedClock
from recon.run import RunRequest, run_member
from recon.synth import generate_books
from tests.conftest import services_required


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "Chromium is needed to render the report (apt-get install -y chromium; .ci/run installs it)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run over generated books with every break type, written with its PDF."""
    tmp = tmp_path_factory.mktemp("report")
    mem, ccp, _ = generate_books(3000, seed=5)
    mem.to_parquet(tmp / "member.parquet", index=False)
    ccp.to_parquet(tmp / "ccp.parquet", index=False)
    request = RunRequest(
        business_date=date(2026, 1, 12),
        member="CM1",
        member_book=tmp / "member.parquet",
        ccp_positions=tmp / "ccp.parquet",
        out=tmp / "out",
        store=str(tmp / "breaks.db"),
        pdf=True,
    )
    run_member(request, FixedClock(datetime(2026, 1, 12, 19, 0, tzinfo=UTC)))
    return tmp / "out"


def test_report_renders_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--hide-scrollbars",
            "--window-size=1280,1600",
            f"--screenshot={shot}",
            (report_dir / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1600)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    non_white = sum(count for count, rgb in colours if rgb != (255, 255, 255))
    assert non_white > 0.03 * image.size[0] * image.size[1]  # text, tables and two charts, not a blank page
    assert len(colours) > 50  # anti-aliased text and chart colours


def test_report_lists_oldest_and_largest_first_with_both_charts(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text()
    assert html.count("data:image/svg+xml;base64,") == 2
    for kind in (
        "MISSING_AT_MEMBER",
        "MISSING_AT_CCP",
        "ECONOMIC_MISMATCH",
        "STATUS_MISMATCH",
        "VALUATION_MISMATCH",
        "DUPLICATE_KEY",
        "INPUT_ERROR",
    ):
        assert f"<td>{kind}</td>" in html
    first_rows = html.split("<th>comment / detail</th>")[1]
    # Same age everywhere on day one, so the biggest absolute difference (a 1bn-scale missing trade) leads.
    assert first_rows.index("MISSING_AT_") < first_rows.index("STATUS_MISMATCH")


def test_pdf_opens_and_has_pages(report_dir: Path) -> None:
    pdf = report_dir / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 2
    text = reader.pages[0].extract_text()
    assert "Reconciliation report: CM1" in text
    assert "Business date 2026-01-12" in text
