"""``compare`` on the default (coupled, job-level) scenario: per-class AI outcomes in JSON, text and HTML."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cli_testing import json_stdout, run_cli

THREE_DAYS = ("compare", "--start", "2025-07-01", "--end", "2025-07-04")
HONEST_AND_BASELINE = ("always-on", "threshold", "mpc")


@pytest.fixture(scope="module")
def payload() -> Any:
    return json_stdout(run_cli(*THREE_DAYS, "--json"))


def test_json_carries_ai_outcomes_by_class(payload: Any) -> None:
    policies = payload["policies"]
    for name in HONEST_AND_BASELINE:
        ai = policies[name]["ai"]
        assert ai["training"]["mean_jct_s"] > 0, name
        assert 0 <= ai["inference"]["slo_attainment"] <= 1, name
        assert ai["reserved"]["uptime"] == 1, name
    assert all(p["power_limit_violations"] == 0 for p in policies.values())


def test_text_prints_the_per_class_table(payload: Any) -> None:
    done = run_cli(*THREE_DAYS)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "AI outcomes by class" in text
    for words in ("mean JCT", "p95 JCT", "jobs completed/jobs", "work GPU-h", "preemptions/pauses",
                  "SLO attainment", "requests", "uptime", "dip MWh", "filled by mining"):
        assert words in text, words
    training = payload["policies"]["mpc"]["ai"]["training"]
    assert f"{training['jobs_completed']:,.0f}/{training['jobs']:,.0f}" in text
    assert "100.00%" in text  # reserved uptime


class _Sections(HTMLParser):
    """Each ``<section>``'s heading, its SVG shapes and its table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict[str, Any]] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        if tag == "section":
            self.sections.append({"id": dict(attrs).get("id"), "h2": "", "tags": [], "cells": []})
        elif self.sections:
            self.sections[-1]["tags"].append(tag)
            if tag in ("td", "th"):
                self.sections[-1]["cells"].append("")

    def handle_endtag(self, tag: str) -> None:
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not self.sections:
            return
        section = self.sections[-1]
        if "h2" in self._in:
            section["h2"] += data
        elif ("td" in self._in or "th" in self._in) and section["cells"]:
            section["cells"][-1] += data.strip()


def test_report_has_the_week_chart_and_the_outcomes_table(tmp_path: Path) -> None:
    report = tmp_path / "coupled.html"
    done = run_cli(*THREE_DAYS, "--report", str(report), "--json")
    json_stdout(done)
    parser = _Sections()
    parser.feed(report.read_text(encoding="utf-8"))
    by_heading = {s["h2"]: s for s in parser.sections}
    week = by_heading["AI by class and mining under the cap"]
    assert week["tags"].count("svg") == 2  # the site, and the zoom on its top
    assert week["tags"].count("polygon") >= 2 * 4  # reserved, inference, training, mining in each
    assert week["tags"].count("polyline") >= 2 * 2  # the cap and the price in each
    table = by_heading["AI outcomes by class"]
    cells = table["cells"]
    for name in (*HONEST_AND_BASELINE, "oracle"):
        assert name in cells
    for words in ("training", "inference", "reserved", "mean JCT", "SLO attainment", "uptime",
                  "filled by mining"):
        assert words in cells, words
    uptime = cells.index("uptime")
    assert cells[uptime + 1: uptime + 5] == ["100.00%"] * 4
