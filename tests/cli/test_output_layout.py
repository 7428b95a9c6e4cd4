"""The human output of the CLI: every figure whole at any width, money one way, labels in words, and
a header saying what was run. Figures are taken from each command's ``--json`` payload."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from wattswitch.cli.main import app
from wattswitch.cli.render import LABELS, label, money, number, print_table, value_column

TESTS = Path(__file__).parents[1]
EXAMPLES = TESTS.parent / "examples" / "sites"
JOBS = TESTS / "fixtures" / "jobs" / "helios_small.csv"
PRICES = TESTS / "fixtures" / "prices" / "tidy_ercot_rt_sample.csv"
TWO_DAYS = ("--start", "2025-07-01", "--end", "2025-07-03")
WIDTHS = (40, 60, 80, 200)
# (COLUMNS, stdout is a terminal): four terminal widths, then a pipe or file at the default width
LAYOUTS = [*((w, True) for w in WIDTHS), (None, False)]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NEGATIVE_ZERO = re.compile(r"[−-]\$?0(?:\.0+)?(?![\d.,])")

runner = CliRunner()


def _json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _text(args: tuple[str, ...], columns: int | None, terminal: bool) -> str:
    env = {"TTY_COMPATIBLE": "1" if terminal else "0", "NO_COLOR": "1", "COLUMNS": None}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stdout)


def _flat(text: str) -> str:
    """Lines joined by one space: prose may wrap at spaces, never inside a figure."""
    return " ".join(text.split())


def _assert_whole(text: str, figures: list[str]) -> None:
    flat = _flat(text)
    missing = [f for f in figures if f not in flat]
    assert not missing, f"figures cut or missing: {missing}\n{text}"
    assert "…" not in text
    assert not NEGATIVE_ZERO.search(text), NEGATIVE_ZERO.search(text)


# --- the one way to write money, numbers and labels ----------------------------------------------


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (85_130_512.4, "$85.13M"),
        (-1_200_000, "−$1.20M"),
        (121_791, "$0.12M"),
        (-0.0, "$0.00M"),
        (-4_000, "$0.00M"),  # rounds to zero: no minus
        (1_258_571_428.57, "$1,258.57M"),
        (float("nan"), "—"),
    ],
)
def test_money_is_millions_with_a_real_minus(usd: float, text: str) -> None:
    assert money(usd) == text


def test_numbers_never_print_negative_zero() -> None:
    assert number(-0.0) == "0"
    assert number(-0.3) == "0"
    assert number(-0.004, 2) == "0.00"
    assert number(-1234.5, 1) == "−1,234.5"


def test_identifiers_have_words() -> None:
    assert label("ai_reserved") == "AI: reserved tenants"
    assert label("sla_credits") == "SLA credits"
    assert label("four_cp") == "4CP charge"
    assert label("HB_WEST") == "HB_WEST"  # a hub is a name, not an identifier
    assert all("_" not in words for words in LABELS.values())


# --- print_table ---------------------------------------------------------------------------------


def _wide_table() -> Table:
    table = Table(title="Wide", title_justify="left")
    table.add_column("policy")
    for header in ("profit", "mining revenue", "energy cost", "4CP charge", "curtailed hours"):
        value_column(table, header)
    table.add_column("basis")
    table.add_row("always-on", money(56_340_000), money(63_050_000), money(-34_530_000), money(5_620_000),
                  number(2), "a long explanation of where these figures come from, wrapped at spaces")
    return table


@pytest.mark.parametrize("width", [20, *WIDTHS])
@pytest.mark.parametrize("terminal", [True, False])
def test_print_table_keeps_figures_whole(width: int, terminal: bool) -> None:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_table(console, _wide_table())
    text = out.getvalue()
    _assert_whole(text, ["$56.34M", "$63.05M", "−$34.53M", "$5.62M", "always-on"])
    assert max(len(line) for line in text.splitlines()) <= max(width, len("  mining revenue: $63.05M"))


# --- simulate and compare ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compare_payload() -> Any:
    return _json("compare", *TWO_DAYS, "--policies", "threshold")


@pytest.fixture(scope="module")
def simulate_payload() -> Any:
    return _json("simulate", *TWO_DAYS, "--policy", "threshold")


def _comparison_figures(payload: dict[str, Any]) -> list[str]:
    figures = []
    for name, s in payload["policies"].items():
        figures += [name, money(s["profit_usd"]), f"{s['capture']:.3f}", money(s["revenue_usd"]["mining"]),
                    money(s["cost_usd"]["energy"]), money(s["four_cp_charge_usd"]),
                    number(s["curtailed_fleet_hours"])]
    return figures


def _assert_header(text: str) -> None:
    for part in ("Simulated:", "Permian Flats", "ERCOT HB_WEST", "100.0 MW interconnect", "Horizon:",
                 "2025-07-01 00:00 CDT", "2025-07-03 00:00 CDT", "15 min steps", "192 intervals",
                 "Signals:", "generated (seed 2025", "Policies:"):
        assert part in _flat(text), part
    assert text.index("Simulated:") < text.index("Policies on the same inputs")


@pytest.mark.parametrize(("columns", "terminal"), LAYOUTS)
def test_compare_prints_every_figure_whole(compare_payload: Any, columns: int | None, terminal: bool) -> None:
    text = _text(("compare", *TWO_DAYS, "--policies", "threshold"), columns, terminal)
    _assert_header(text)
    _assert_whole(text, _comparison_figures(compare_payload))
    assert "four_cp" not in text


@pytest.mark.parametrize(("columns", "terminal"), LAYOUTS)
def test_simulate_prints_money_and_labels_in_words(
    simulate_payload: Any, columns: int | None, terminal: bool
) -> None:
    text = _text(("simulate", *TWO_DAYS, "--policy", "threshold"), columns, terminal)
    _assert_header(text)
    summary = simulate_payload["policies"]["threshold"]
    figures = _comparison_figures(simulate_payload)
    figures += [money(v) for v in summary["revenue_usd"].values()]
    figures += [money(-v) for v in summary["cost_usd"].values()]
    figures += [number(v) for v in summary["energy_mwh"].values()]
    figures += [f"{number(summary['peak_site_mw'], 2)} MW"]
    _assert_whole(text, figures)
    if columns == 200:  # narrower, a label may wrap inside its cell
        for words in ("AI: reserved tenants", "AI: training jobs", "SLA credits", "4CP charge",
                      "whole site (IT + cooling)"):
            assert words in text
    for identifier in ("ai_reserved", "sla_credits", "four_cp", "demand_response", "ai_idle"):
        assert identifier not in text
    assert re.search(r"\d,\d{3},\d{3}\b", text) is None  # no raw dollar amounts like 85,130,512


def test_the_header_names_the_files_given() -> None:
    day = ("--start", "2021-02-15", "--end", "2021-02-16")  # the day the price fixture covers
    text = _text(("compare", *day, "--policies", "threshold", "--prices", str(PRICES), "--jobs", str(JOBS)),
                 40, True)
    flat = _flat(text)
    assert f"real-time prices: {PRICES} (HB_WEST)" in flat
    assert f"training jobs: {JOBS}" in flat
    assert "day-ahead prices, system load, hashprice, inference demand" in flat
    assert f"note: {PRICES}" not in flat  # the header named the file: no note only repeats it
    assert "note: real-time price ($/MWh): 95 of 96 intervals missing" in flat
    assert "rt_price_usd_per_mwh" not in text


# --- schedule, plan, scenario show ---------------------------------------------------------------


@pytest.fixture(scope="module")
def schedule_payload() -> Any:
    return _json("schedule", "--jobs", str(JOBS), "--gpus", "64", "--compare")


@pytest.mark.parametrize(("columns", "terminal"), LAYOUTS)
def test_schedule_prints_every_figure_whole(
    schedule_payload: Any, columns: int | None, terminal: bool
) -> None:
    text = _text(("schedule", "--jobs", str(JOBS), "--gpus", "64", "--compare"), columns, terminal)
    flat = _flat(text)
    assert f"Scheduled: {JOBS}" in flat
    assert "Cluster: 64 GPUs (8 nodes of 8)" in flat
    assert "fifo, easy-backfill, srtf-est" in flat
    figures = []
    for name, s in schedule_payload["policies"].items():
        figures += [name, f"{s['jobs']:,}", number(s["mean_jct_s"] / 3600, 2),
                    number(s["median_jct_s"] / 60, 1), number(s["p95_jct_s"] / 3600, 1),
                    number(s["mean_queue_delay_s"] / 3600, 3), f"{s['utilization']:.3f}"]
    _assert_whole(text, figures)


@pytest.fixture(scope="module")
def plan_payload() -> Any:
    return _json("plan", str(EXAMPLES / "permian-200.toml"))


@pytest.mark.parametrize(("columns", "terminal"), LAYOUTS)
def test_plan_prints_every_figure_whole(plan_payload: Any, columns: int | None, terminal: bool) -> None:
    path = EXAMPLES / "permian-200.toml"
    text = _text(("plan", str(path)), columns, terminal)
    assert _flat(text).startswith(f"Site file: {path}")
    site = plan_payload["sites"][0]
    figures = [money(line[k]) for line in site["capex"]["lines"] for k in ("low_usd", "high_usd")]
    figures += [money(site["capex"]["total_usd"][k]) for k in ("low", "high")]
    for s in site["strategies"]:
        figures += [label(s["strategy"]), money(s["npv_usd"]), money(s["incremental_npv_usd"]),
                    money(s["capex_usd"])]
        valuation = s["valuation"]
        figures += [money(valuation[k][e]) for k in valuation for e in ("low", "high")]
    for row in site["tornado"]["rows"]:
        figures += [money(row["low_usd"]), money(row["high_usd"])]
    for task in site["timeline"]["parallel"]["tasks"]:
        figures += [number(task[k], 1) for k in ("start_month", "finish_month", "slack_months")]
    _assert_whole(text, figures)
    assert "keep_mining" not in text


@pytest.fixture(scope="module")
def scenario_payload() -> Any:
    return _json("scenario", "show")


@pytest.mark.parametrize(("columns", "terminal"), LAYOUTS)
def test_scenario_show_prints_every_figure_whole(
    scenario_payload: Any, columns: int | None, terminal: bool
) -> None:
    text = _text(("scenario", "show"), columns, terminal)
    scenario, derived = scenario_payload["scenario"], scenario_payload["derived"]
    figures = [f"{derived['periods']:,} intervals", f"{derived['facility_nameplate_mw']:,.2f} MW",
               f"{scenario['site']['interconnect_limit_mw']:,.2f} MW", "2025-01-01", "2026-01-01", "CST"]
    for g in scenario["asic_groups"]:
        figures += [g["name"], f"{g['count']:,}", number(g["power_w"]), f"{g['hashrate_th_s']:g}"]
    for g in scenario["gpu_groups"]:
        figures += [g["name"], f"{g['node_count']:,}"]
    _assert_whole(text, figures)
