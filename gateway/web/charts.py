"""Charts for the auditor pages, rendered on the server as inline SVG.

Why our own small renderer rather than a charting package: the pages run under a
Content-Security-Policy that allows no script and no inline ``<style>``
(``style-src 'self'``), and must work with JavaScript off. The SVG charting
packages available (pygal, leather) either embed a ``<style>`` element and
reference tooltip scripts by URL, or give no control over the accessible name of
the chart. Two chart shapes are all the dashboard needs, and each is a few
rectangles and text elements here, so the output is deterministic and testable.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and described by
a ``<desc>`` that states the data in words; every bar carries its own
``<title>`` (a native tooltip, no script). The templates put a data table beside
each chart, so nothing is conveyed by colour or geometry alone. Colours are the
Okabe–Ito palette, distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
"""Okabe–Ito: one colour per series, in series order."""

FONT_SIZE = 12
LABEL_CHAR_WIDTH = 7
"""Approximate width of one character of a label at ``FONT_SIZE``, to size margins."""


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per category of a column chart."""

    name: str
    values: tuple[int, ...]


def _fmt(x: float) -> str:
    """Coordinates with at most two decimals and no ``-0``: stable output for tests."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _head(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}"'
        f' role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' font-size="{FONT_SIZE}" font-family="sans-serif">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (at least 1): round gridlines."""
    if value <= 1:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[tuple[str, int]],
    *,
    unit: str = "decisions",
    color: str = PALETTE[0],
    width: int = 560,
) -> Markup:
    """Horizontal bars, one per ``(label, value)``, in the order given.

    Used for top rules, denials by agency and the review backlog by age: labels can
    be long (rule ids, agency ids), and horizontal bars keep them readable.
    """
    if any(value < 0 for _, value in bars):
        raise ValueError("bar values are counts and cannot be negative")
    bar_h, gap, top, bottom = 20, 6, 8, 24
    label_w = min(220, 8 + LABEL_CHAR_WIDTH * max((len(label) for label, _ in bars), default=4))
    value_w = 8 + LABEL_CHAR_WIDTH * len(str(max((v for _, v in bars), default=0)))
    plot_w = max(60, width - label_w - value_w)
    height = top + bottom + max(1, len(bars)) * (bar_h + gap)
    top_value = _nice_max(max((v for _, v in bars), default=0))
    if bars:
        words = "; ".join(f"{label}: {value}" for label, value in bars)
        desc = f"{len(bars)} bars, {unit} per item. {words}."
    else:
        desc = f"No {unit} in this period."
    out = _head(chart_id, title, desc, width, height)
    axis_y = height - bottom
    out.append(
        f'<line class="axis" x1="{label_w}" y1="{top}" x2="{label_w}" y2="{axis_y}" stroke="#555"/>'
    )
    for tick in (0, top_value // 2, top_value) if top_value > 1 else (0, 1):
        x = label_w + plot_w * tick / top_value
        out.append(
            f'<text class="tick" x="{_fmt(x)}" y="{axis_y + 16}" text-anchor="middle"'
            f' fill="#333">{tick}</text>'
        )
    if not bars:
        out.append(f'<text x="{label_w + 8}" y="{top + 14}" fill="#333">No {escape(unit)}</text>')
    for i, (label, value) in enumerate(bars):
        y = top + i * (bar_h + gap)
        w = plot_w * value / top_value
        out.append(
            f'<text class="label" x="{label_w - 6}" y="{y + 14}" text-anchor="end"'
            f' fill="#222">{escape(label)}</text>'
        )
        out.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{_fmt(w)}" height="{bar_h}"'
            f' fill="{escape(color)}" data-value="{value}">'
            f"<title>{escape(label)}: {value} {escape(unit)}</title></rect>"
        )
        out.append(
            f'<text class="value" x="{_fmt(label_w + w + 4)}" y="{y + 14}"'
            f' fill="#222">{value}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every value above went through escape()


def stacked_columns(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "decisions",
    width: int = 640,
    height: int = 280,
) -> Markup:
    """Vertical columns, one per category (a day, a week), stacked by series (outcome).

    The legend is part of the SVG, so the chart can be read on its own; the
    description lists each category's total and its parts.
    """
    if len(series) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} series can be told apart by colour")
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(categories)}")
        if any(v < 0 for v in s.values):
            raise ValueError("column values are counts and cannot be negative")
    left, right, top = 44, 8, 8
    legend_h = 18 * ((len(series) + 3) // 4)
    bottom = 40 + legend_h
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    top_value = _nice_max(max(totals, default=0))
    if categories and any(totals):
        words = "; ".join(
            f"{cat}: {total} ("
            + ", ".join(f"{s.name} {s.values[i]}" for s in series if s.values[i])
            + ")"
            for i, (cat, total) in enumerate(zip(categories, totals, strict=True))
            if total
        )
        desc = f"{unit.capitalize()} per period, stacked by {len(series)} series. {words}."
    else:
        desc = f"No {unit} in this period."
    out = _head(chart_id, title, desc, width, height)
    axis_y = top + plot_h
    for tick in (0, top_value // 2, top_value) if top_value > 1 else (0, 1):
        y = axis_y - plot_h * tick / top_value
        out.append(
            f'<line class="grid" x1="{left}" y1="{_fmt(y)}" x2="{width - right}" y2="{_fmt(y)}"'
            ' stroke="#ddd"/>'
        )
        out.append(
            f'<text class="tick" x="{left - 4}" y="{_fmt(y + 4)}" text-anchor="end"'
            f' fill="#333">{tick}</text>'
        )
    slot = plot_w / max(1, len(categories))
    col_w = max(2.0, slot * 0.7)
    label_every = max(1, round(len(categories) / 8))
    for i, cat in enumerate(categories):
        x = left + i * slot + (slot - col_w) / 2
        base = float(axis_y)
        for k, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / top_value
            base -= h
            out.append(
                f'<rect class="bar series-{k}" x="{_fmt(x)}" y="{_fmt(base)}"'
                f' width="{_fmt(col_w)}" height="{_fmt(h)}" fill="{PALETTE[k]}"'
                f' data-value="{value}">'
                f"<title>{escape(cat)}, {escape(s.name)}: {value} {escape(unit)}</title></rect>"
            )
        if i % label_every == 0:
            out.append(
                f'<text class="category" x="{_fmt(x + col_w / 2)}" y="{axis_y + 16}"'
                f' text-anchor="middle" fill="#333">{escape(cat)}</text>'
            )
    out.append(
        f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}"'
        ' stroke="#555"/>'
    )
    legend_top = axis_y + 28
    for k, s in enumerate(series):
        lx = left + (k % 4) * (plot_w / 4)
        ly = legend_top + 18 * (k // 4)
        out.append(
            f'<rect class="legend series-{k}" x="{_fmt(lx)}" y="{ly}" width="12" height="12"'
            f' fill="{PALETTE[k]}"/>'
            f'<text x="{_fmt(lx + 16)}" y="{ly + 10}" fill="#222">{escape(s.name)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every value above went through escape()
