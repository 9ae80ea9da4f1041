"""The statement's charts as inline SVG (matplotlib's object API: no pyplot state, safe off the event loop).

The SVG is made reproducible (no date, fixed element ids), so the same figures give the same PDF bytes."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import matplotlib
from matplotlib.figure import Figure

_COLOURS = ("#1f4e79", "#c55a11", "#2e75b6", "#7f7f7f", "#a50021", "#9dc3e6", "#f4b183")


def _svg(fig: Figure) -> str:
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "member-statement", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def margin_by_account(series: Mapping[str, Sequence[tuple[date, Decimal]]], title: str) -> str:
    """One line per account: its initial margin on each business date of the period."""
    fig = Figure(figsize=(6.5, 2.6))
    ax = fig.add_subplot()
    for i, (label, points) in enumerate(sorted(series.items())):
        days: list[Any] = [d for d, _ in points]
        ax.plot(
            days,
            [float(v) for _, v in points],
            marker="o",
            markersize=3,
            label=label,
            color=_COLOURS[i % len(_COLOURS)],
        )
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    if series:
        ax.legend(fontsize=7, frameon=False)
    fig.autofmt_xdate()
    return _svg(fig)


def vm_by_currency(values: Mapping[str, Decimal], title: str) -> str:
    """One bar per currency: the day's variation margin (+: paid to the member)."""
    fig = Figure(figsize=(6.5, 2.2))
    ax = fig.add_subplot()
    labels = sorted(values)
    figures = [float(values[k]) for k in labels]
    colours = [_COLOURS[0] if v >= 0 else _COLOURS[1] for v in figures]
    bars = ax.bar(labels, figures, color=colours)
    ax.bar_label(bars, labels=[format(values[k], "f") for k in labels], fontsize=7, padding=2)
    ax.axhline(0, color="#444444", linewidth=0.6)
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)
