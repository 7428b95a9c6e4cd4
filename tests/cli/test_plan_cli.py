"""``wattswitch plan``: tables, portfolio, JSON, the HTML report, and bad site files."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_testing import run_cli
from wattswitch.cli.main import app

SITES = Path(__file__).parents[1] / "fixtures" / "sites"
EXAMPLES = Path(__file__).parents[2] / "examples" / "sites"
WIDE = {"COLUMNS": "220"}
runner = CliRunner()


def _run_main(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point (errors → one red line, exit 2), as the console script runs it."""
    return run_cli(*args, env={"COLUMNS": "220", "PATH": ""})


def test_one_site_prints_every_section() -> None:
    result = runner.invoke(app, ["plan", str(EXAMPLES / "permian-200.toml")], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("Permian 200", "What a MW of IT earns", "Capex for 142.9 MW of IT",
                 "Timeline: 18.0 months with trades in parallel, 24.0 one after another",
                 "Strategies", "Sensitivity", "Valuation", "Financing"):
        assert text in out
    assert "Portfolio" not in out


def test_several_sites_are_ranked_under_the_budget() -> None:
    files = [str(p) for p in sorted(EXAMPLES.glob("*.toml"))]
    result = runner.invoke(app, ["plan", *files, "--capex-budget-usd", "2e9"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Portfolio (budget $2,000.00M)" in result.output
    assert re.search(r"1 │ Permian 200 .*funded", result.output)
    assert "blocked: zoning/approval for a data center was denied" in result.output


def test_json_output() -> None:
    files = [str(EXAMPLES / "permian-200.toml"), str(EXAMPLES / "bluegrass-80.toml")]
    result = runner.invoke(app, ["plan", *files, "--json", "--capex-budget-usd", "1.5e9"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    permian = payload["sites"][0]
    assert permian["timeline"]["parallel"]["total_months"] == 18.0
    assert permian["timeline"]["sequential"]["total_months"] == 24.0
    assert [s["strategy"] for s in permian["strategies"]] == ["keep_mining", "convert", "phased"]
    assert permian["capex"]["lines"][0]["source"]
    assert payload["sites"][1]["feasibility"]["blockers"][0]["key"] == "zoning"
    assert payload["portfolio"]["budget_usd"] == 1.5e9
    assert payload["portfolio"]["capex_used_usd"] <= 1.5e9


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    report = tmp_path / "plan.html"
    files = [str(p) for p in sorted(EXAMPLES.glob("*.toml"))]
    result = runner.invoke(app, ["plan", *files, "--report", str(report)], env=WIDE)
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html
    for title in ("Build schedule", "Cash-flow waterfall", "Sensitivity of the NPV gained", "Portfolio"):
        assert title in html
    assert html.count("<svg") >= 3 * 4  # Gantt, waterfall, cumulative cash (+ tornado) per site
    assert [p.name for p in tmp_path.iterdir()] == ["plan.html"]


@pytest.mark.parametrize(
    ("name", "field"),
    [("bad-unit.toml", "site.power.energised_mw: unknown unit 'MVA'"),
     ("missing-acres.toml", "site.land.acres: missing")],
)
def test_bad_site_file_is_one_line_and_exit_2(name: str, field: str) -> None:
    done = _run_main("plan", str(SITES / "mining-site.toml"), str(SITES / name))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {SITES / name}: {field}")
    assert done.stdout == ""


def test_two_files_with_the_same_site_name(tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text((SITES / "mining-site.toml").read_text())
    done = _run_main("plan", str(SITES / "mining-site.toml"), str(copy))
    assert done.returncode == 2
    assert "site.name: site name 'Fixture 100' is also used by" in done.stderr


def test_negative_budget_is_a_usage_error() -> None:
    result = runner.invoke(app, ["plan", str(SITES / "mining-site.toml"), "--capex-budget-usd", "-1"])
    assert result.exit_code == 2
