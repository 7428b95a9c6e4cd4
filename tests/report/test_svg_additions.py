"""The chart helpers the simulation report added: a stacked area with a line on its own axis, and
stacked bars."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from wattswitch.report import svg

NS = "{http://www.w3.org/2000/svg}"


def test_area_with_line_draws_layers_line_and_reference() -> None:
    x = [0.0, 0.5, 1.0]
    text = svg.area_with_line(
        x, {"a": [1.0, 2.0, 3.0], "b": [1.0, float("nan"), 2.0]}, [10.0, -5.0, 900.0],
        line_name="price", reference=[10.0, 10.0, 4.0], reference_name="limit", title="t <&>",
    )
    root = ET.fromstring(text)
    assert len(list(root.iter(f"{NS}polygon"))) == 2
    assert len(list(root.iter(f"{NS}polyline"))) == 2  # the line and the dashed reference
    labels = "".join(root.itertext())
    assert "t <&>" in labels
    assert "price" in labels
    assert "limit" in labels


def test_stacked_bars_stack_and_label_the_net() -> None:
    text = svg.stacked_bars(["Jan", "Feb"], {"up": [3.0, 1.0], "more": [2.0, 0.0], "down": [-1.0, 0.0]},
                            value_format=lambda v: f"{v:g}")
    root = ET.fromstring(text)
    titles = [t.text for t in root.iter(f"{NS}title")]
    assert titles == ["Jan up: 3", "Jan more: 2", "Jan down: -1", "Feb up: 1"]
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "4" in texts  # Jan's net
    assert "1" in texts


def test_stacked_bars_without_data_still_draw_an_axis() -> None:
    ET.fromstring(svg.stacked_bars([], {}))
