"""Charts of a break report as inline SVG data URIs (matplotlib, no display needed)."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

_COLOURS = ("#1f4e79", "#2e75b6", "#9dc3e6", "#f4b183", "#c55a11", "#7f7f7f", "#a50021")


def _svg(fig: object) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def by_type(counts: Mapping[str, int]) -> str:
    """Horizontal bars: number of open breaks per break type."""
    labels = list(counts)
    values = [counts[k] for k in labels]
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    bars = ax.barh(labels[::-1], values[::-1], color=_COLOURS[1])
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.set_xlabel("breaks")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # break counts are whole numbers
    ax.set_title("Breaks by type", fontsize=10)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def by_age(buckets: Sequence[str], per_type: Mapping[str, Sequence[int]]) -> str:
    """Stacked columns: breaks per age bucket (business days), one colour per break type."""
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    bottom = [0] * len(buckets)
    for i, (kind, values) in enumerate(per_type.items()):
        if not any(values):
            continue
        ax.bar(buckets, values, bottom=bottom, label=kind, color=_COLOURS[i % len(_COLOURS)])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xlabel("age (business days)")
    ax.set_ylabel("breaks")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Breaks by age", fontsize=10)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if any(bottom):
        ax.legend(fontsize=7, frameon=False, loc="upper right")
    return _svg(fig)
