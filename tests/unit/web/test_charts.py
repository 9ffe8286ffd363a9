"""The dashboard's SVG charts: well-formed, accessible, proportional, and inert."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gateway.web.charts import PALETTE, Series, bar_chart, stacked_columns

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check its shape


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "bar" in r.get("class", "").split()]


def test_bar_chart_is_an_image_named_by_its_title_and_described_in_words() -> None:
    root = _parse(bar_chart("top-rules", "Top rules", [("INJ-1", 7), ("GW-3", 2)]))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "top-rules-title top-rules-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Top rules"
    assert title.get("id") == "top-rules-title"
    assert desc is not None
    assert desc.text is not None
    assert "INJ-1: 7" in desc.text
    assert "GW-3: 2" in desc.text


def test_bar_lengths_are_proportional_to_the_values() -> None:
    root = _parse(bar_chart("c", "t", [("a", 10), ("b", 5), ("c", 0)]))
    widths = [float(r.get("width", "nan")) for r in _bars(root)]
    assert [r.get("data-value") for r in _bars(root)] == ["10", "5", "0"]
    assert widths[0] > 0
    assert widths[1] == pytest.approx(widths[0] / 2)
    assert widths[2] == 0


def test_every_bar_carries_its_own_tooltip_without_script() -> None:
    markup = bar_chart("c", "t", [("DOJ-FBI", 3)], unit="denials")
    root = _parse(markup)
    (bar,) = _bars(root)
    tip = bar.find(f"{SVG}title")
    assert tip is not None
    assert tip.text == "DOJ-FBI: 3 denials"
    assert "<script" not in markup
    assert "<style" not in markup
    assert "style=" not in markup


def test_labels_are_escaped_so_data_cannot_inject_markup() -> None:
    markup = bar_chart("c", "t", [('<script>alert("x")</script>', 1)])
    assert "<script>" not in markup
    root = _parse(markup)
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ['<script>alert("x")</script>']


def test_an_empty_bar_chart_says_there_is_nothing() -> None:
    root = _parse(bar_chart("c", "t", [], unit="pending reviews"))
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == "No pending reviews in this period."
    assert _bars(root) == []


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        bar_chart("c", "t", [("a", -1)])
    with pytest.raises(ValueError, match="negative"):
        stacked_columns("c", "t", ["d1"], [Series("allowed", (-1,))])


def test_stacked_columns_stack_each_series_in_order_with_heights_in_proportion() -> None:
    series = [Series("allowed", (4, 0)), Series("denied", (4, 2))]
    root = _parse(stacked_columns("over-time", "Decisions over time", ["d1", "d2"], series))
    bars = _bars(root)
    # zero values draw nothing; the rest are listed column by column
    assert [(b.get("class"), b.get("data-value")) for b in bars] == [
        ("bar series-0", "4"),
        ("bar series-1", "4"),
        ("bar series-1", "2"),
    ]
    h = [float(b.get("height", "nan")) for b in bars]
    y = [float(b.get("y", "nan")) for b in bars]
    assert h[0] == pytest.approx(h[1])
    assert h[2] == pytest.approx(h[0] / 2)
    # the denied part of column 1 sits directly on top of the allowed part
    assert y[1] + h[1] == pytest.approx(y[0])
    assert [b.get("fill") for b in bars] == [PALETTE[0], PALETTE[1], PALETTE[1]]


def test_stacked_columns_describe_each_period_total_and_parts() -> None:
    series = [Series("allowed", (3, 0)), Series("denied", (1, 0))]
    root = _parse(stacked_columns("c", "t", ["2026-03-01", "2026-03-02"], series))
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert "2026-03-01: 4 (allowed 3, denied 1)" in (desc.text or "")
    assert "2026-03-02" not in (desc.text or "")  # a period without decisions is not listed


def test_stacked_columns_have_a_legend_naming_every_series() -> None:
    series = [Series(name, (1,)) for name in ("allowed", "denied", "pending_review")]
    root = _parse(stacked_columns("c", "t", ["d"], series))
    legend = [r for r in root.iter(f"{SVG}rect") if "legend" in r.get("class", "")]
    assert len(legend) == 3
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"allowed", "denied", "pending_review"} <= texts


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="has 1 values for 2"):
        stacked_columns("c", "t", ["a", "b"], [Series("allowed", (1,))])
