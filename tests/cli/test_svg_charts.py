"""The SVG chart helpers: well-formed, self-contained, and drawing what they are given."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from wattswitch.report import svg

NS = "{http://www.w3.org/2000/svg}"


def _parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{NS}svg"
    assert not re.search(r"(href|src)=", text)
    return root


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert svg.nice_ticks(0, 18, 10) == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    ticks = svg.nice_ticks(-83e6, 469e6, 6)
    assert ticks[0] <= -83e6
    assert ticks[-1] >= 469e6
    assert len({round(b - a, 3) for a, b in itertools.pairwise(ticks)}) == 1


def test_number_formats() -> None:
    assert svg.compact(1_234_000) == "1.23M"
    assert svg.usd(-350_000) == "−$350k"
    assert svg.usd(2e9) == "$2B"


def test_waterfall_ends_on_the_total() -> None:
    root = _parse(svg.waterfall([("in", 100.0), ("out", -30.0)], total_label="net", value_format=svg.usd))
    titles = [t.text for t in root.iter(f"{NS}title")]
    assert titles == ["in: $100", "out: −$30", "net: $70"]


def test_gantt_marks_highlighted_bars() -> None:
    bars = [svg.GanttBar("design", 0, 3, True), svg.GanttBar("electrical", 3, 7, False)]
    root = _parse(svg.gantt(bars, title="Build <schedule> & more"))
    rects = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [r.get("fill") for r in rects] == [svg.HIGHLIGHT, svg.TOTAL]
    assert "Build <schedule> & more" in "".join(root.itertext())  # escaped, then parsed back


def test_tornado_bars_point_away_from_the_base() -> None:
    rows = [svg.TornadoBar("rent", "low", "high", -10.0, 50.0)]
    root = _parse(svg.tornado(rows, base=20.0))
    colors = [r.get("fill") for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert colors == [svg.NEGATIVE, svg.POSITIVE]


@pytest.mark.parametrize("chart", ["line", "area", "bar"])
def test_other_charts_are_well_formed(chart: str) -> None:
    x = [0.0, 1.0, 2.0]
    if chart == "line":
        text = svg.line_chart(x, {"a": [1.0, 2.0, 3.0], "b": [3.0, float("nan"), 1.0]}, title="t")
    elif chart == "area":
        text = svg.stacked_area(x, {"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, -1.0]}, title="t")
    else:
        text = svg.bar_chart(["x", "y"], [5.0, -2.0], title="t")
    _parse(text)
