"""Benchmark the engine: decision quality on real ERCOT data, speed, Vessim, and scale.

Usage (from the repository root)::

    WATTSWITCH_DATA=/path/to/shared/data python benchmarks/bench_engine.py   # all parts, ≈ 22 min
    WATTSWITCH_DATA=... python benchmarks/bench_engine.py --quick             # one-month smoke run
    WATTSWITCH_DATA=... python benchmarks/bench_engine.py --only quality,vessim

Parts (``--only`` takes a comma-separated subset; results of parts not run are kept from the
existing results file, so a partial run updates only its own sections):

- ``quality``: ERCOT HB_WEST real-time and day-ahead prices, Coin Metrics hashprice and ERCOT
  load, default fleet, local calendar years 2023 (the test year) and 2022 (the year mpc's knobs
  were tuned on): profit and capture of every policy, per-stream deltas against the oracle and
  always-on, and diagnostics that split the oracle's edge by what it knows: ``threshold+now``
  (told the current interval's price), ``threshold+4cp`` (told the true 4CP peak intervals),
  both, and the same for ``mpc`` (``+perfect-prices``: its window's price forecast is the truth;
  ``+4cp``: its 4CP-risk forecast is the true peak charge).
- ``tune``: the finalists of a knob search for threshold and mpc, each run on 2022 (the tuning
  year: "best" is picked there) and on 2023 (the test year).
- ``speed``: one generated year of the default scenario at 15 min per policy; the oracle for a
  year at 5 min including the model build.
- ``vessim``: the peer-anchors price-curtailment scenario (100 MW, curtail above $60/MWh, HB_WEST
  2023, 15 min) in Vessim (if installed) and in wattswitch's engine, same process, same data.
- ``scale``: 10 MW / 100 MW / 1 GW sites × 1 month / 1 year / 3 years of generated signals,
  threshold and oracle, each case in a fresh process (wall time and peak RSS).

Results go to ``benchmarks/results/engine.json`` (a temp file with ``--quick``), with machine
info and timestamps; tables are printed as Markdown. Vessim is not a dependency of wattswitch:
``pip install vessim`` first, else its row reads "not available". Wall times on a shared 2-core
machine vary by ±30 %: compare ratios measured in the same run, never absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wattswitch.data.engine_inputs import site_inputs
from wattswitch.data.io import DATA_ENV_VAR, data_root
from wattswitch.data.signals import build_signals
from wattswitch.dispatch.mpc import MpcPolicy, MpcSettings
from wattswitch.dispatch.rows import DecisionArrays, FixedPlan, KnownRows
from wattswitch.dispatch.threshold import ThresholdPolicy, ThresholdSettings
from wattswitch.model.contracts import PowerContract, RealTimeIndex
from wattswitch.model.default_scenario import mining_site_scenario
from wattswitch.model.fleet import AsicGroup, AsicMode
from wattswitch.model.observation import Decision, Observation, PastView
from wattswitch.model.scenario import Scenario
from wattswitch.model.site import CoolingZone, Site
from wattswitch.sim.engine import Policy, SimulatedSite
from wattswitch.sim.ledger import REVENUE_STREAMS, Ledger
from wattswitch.sim.runner import capture, make_policy

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "engine.json"
QUICK_RESULTS = Path(tempfile.gettempdir()) / "wattswitch-bench-engine-quick.json"
RT_FILE = "ercot_rt_hub_spp_15min/ercot_rt_hub_spp_15min_2020_2023.csv.gz"
DA_FILE = "ercot_da_hub_spp_hourly/ercot_da_hub_spp_hourly_2020_2023.csv.gz"
LOAD_FILE = "ercot_load_hourly_by_weather_zone/ercot_load_hourly_by_weather_zone_2020_2023.csv.gz"
BTC_FILE = "bitcoin_network_daily/bitcoin_network_daily_2009_2023.csv.gz"
HUB = "HB_WEST"
TZ = "America/Chicago"
PARTS = ("quality", "tune", "speed", "vessim", "scale")
DEFAULT_PARTS = PARTS
COSTS = ("energy", "four_cp", "sla_credits")

# Peer anchors (shared/notes/peer-anchors.md): Vessim 0.16, HB_WEST 2023, 15 min.
PEER_COST_USD = 15_912_187.25
PEER_REVENUE_USD = 35_587_125.00
PEER_ON_INTERVALS = 31_633
CURTAIL_ABOVE_USD_PER_MWH = 60.0
MINING_MW = 100.0
MINING_USD_PER_MWH = 45.0


# --------------------------------------------------------------------------- helpers


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "nproc": os.cpu_count(),
        "nproc_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "pandas": version("pandas"),
        "scipy": version("scipy"),
        "highspy": version("highspy"),
        "wattswitch": version("wattswitch"),
        "vessim": version("vessim"),
        "git_commit": commit,
    }


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB.

    Linux's VmHWM (reset at exec); ``ru_maxrss`` is the fallback, but a child's ru_maxrss starts
    from its parent's size at fork, so it overstates small children.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    times, value = [], None
    for _ in range(repeats):
        elapsed, value = timed(fn)
        times.append(elapsed)
    return statistics.median(times), times, value


def local_midnight_utc(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def money(value: float) -> str:
    return f"{value / 1e6:,.3f}"


def say(text: str = "") -> None:
    print(text, flush=True)


def require_data() -> Path:
    root = data_root()
    if root is None or not root.is_dir():
        raise SystemExit(f"set {DATA_ENV_VAR} to the shared data folder (see README)")
    return root


# --------------------------------------------------------------------------- diagnostic policies


class KnownPeaks:
    """Stands in for the 4CP watch: alerts exactly at the true 4CP peak intervals (clairvoyant)."""

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = weights

    def alert(self, observation: Observation) -> bool:
        return bool(self.weights[observation.t] > 0)


class ThresholdPeek:
    """``threshold`` told the current interval's real-time price and/or the true 4CP peaks.

    Everything else (hashprice, the ladder) stays as honest as threshold.
    """

    def __init__(
        self,
        site: SimulatedSite,
        *,
        now: bool,
        peaks: bool,
        settings: ThresholdSettings | None = None,
        suffix: str = "",
    ) -> None:
        self.inner = ThresholdPolicy(site.site, settings)
        if peaks:
            self.inner.four_cp = KnownPeaks(site.schedule.four_cp_usd_per_mw)  # type: ignore[assignment]
        self.truth = site.inputs.rt_price_usd_per_mwh if now else None
        self.name = "threshold" + ("+now" if now else "") + ("+4cp" if peaks else "") + suffix

    def decide(self, observation: Observation) -> Decision:
        if self.truth is not None:
            peek = PastView(self.truth, observation.t + 1, "rt_price_usd_per_mwh")
            observation = dataclasses.replace(observation, rt_price_usd_per_mwh=peek)
        return self.inner.decide(observation)


class MpcPeek(MpcPolicy):
    """``mpc`` whose window forecast of real-time prices and/or of the 4CP charge is the truth."""

    def __init__(
        self, site: SimulatedSite, *, prices: bool, peaks: bool, settings: MpcSettings | None = None
    ) -> None:
        super().__init__(site.site, settings)
        self.true_prices = site.inputs.rt_price_usd_per_mwh if prices else None
        self.true_peaks = site.schedule.four_cp_usd_per_mw if peaks else None
        self.name = "mpc" + ("+perfect-prices" if prices else "") + ("+4cp" if peaks else "")

    def _price_forecast(self, obs: Observation, targets: np.ndarray, steps_per_day: int) -> np.ndarray:
        if self.true_prices is None:
            return super()._price_forecast(obs, targets, steps_per_day)
        return np.asarray(self.true_prices[targets])

    def _four_cp_risk(self, obs: Observation, targets: np.ndarray, steps_per_day: int) -> np.ndarray:
        if self.true_peaks is None:
            return super()._four_cp_risk(obs, targets, steps_per_day)
        return np.asarray(self.true_peaks[targets])


class NamedThreshold(ThresholdPolicy):
    def __init__(self, site: SimulatedSite, settings: ThresholdSettings, name: str) -> None:
        super().__init__(site.site, settings)
        self.name = name


class NamedMpc(MpcPolicy):
    def __init__(self, site: SimulatedSite, settings: MpcSettings, name: str) -> None:
        super().__init__(site.site, settings)
        self.name = name


# --------------------------------------------------------------------------- decision quality


def real_scenario(root: Path, start: datetime, end: datetime, step_s: int = 900) -> Scenario:
    """The default fleet and contract on real HB_WEST prices, hashprice and ERCOT load."""
    base = mining_site_scenario()
    signals = dataclasses.replace(
        base.signals,
        prices_file=str(root / RT_FILE),
        hub=HUB,
        day_ahead_prices_file=str(root / DA_FILE),
        bitcoin_file=str(root / BTC_FILE),
        grid_load_file=str(root / LOAD_FILE),
    )
    return dataclasses.replace(base, signals=signals, start_utc=start, end_utc=end, step_s=step_s)


def summarize(ledger: Ledger) -> dict[str, Any]:
    totals = ledger.totals
    return {
        "profit_usd": round(totals["profit_usd"], 2),
        "revenue_usd": {s: round(totals[f"revenue_{s}_usd"], 2) for s in REVENUE_STREAMS},
        "cost_usd": {c: round(totals[f"cost_{c}_usd"], 2) for c in COSTS},
        "energy_site_mwh": round(totals["energy_site_mwh"], 1),
        "curtailed_fleet_hours": round(totals["curtailed_fleet_hours"], 1),
        "power_limit_violations": int(totals["power_limit_violations"]),
        "training_backlog_end_node_hours": round(totals["training_backlog_end_node_hours"], 1),
    }


def deltas_vs(reference: dict[str, Any], other: dict[str, Any]) -> dict[str, float]:
    """other − reference per revenue stream and cost (costs as negative profit contributions)."""
    out = {
        f"revenue_{s}": round(other["revenue_usd"][s] - reference["revenue_usd"][s], 2)
        for s in REVENUE_STREAMS
    }
    out |= {f"cost_{c}": round(-(other["cost_usd"][c] - reference["cost_usd"][c]), 2) for c in COSTS}
    out["profit"] = round(other["profit_usd"] - reference["profit_usd"], 2)
    return out


def run_policies(
    site: SimulatedSite, builders: dict[str, Callable[[], Policy]]
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    summaries: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    for name, build in builders.items():
        say(f"    {name} ...")
        elapsed, ledger = timed(lambda build=build: site.run(build()))
        summaries[name] = summarize(ledger)
        seconds[name] = round(elapsed, 2)
    return summaries, seconds


def grade(summaries: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    base = summaries["always-on"]["profit_usd"]
    bound = summaries["oracle"]["profit_usd"]
    out: dict[str, float | None] = {}
    for name, s in summaries.items():
        value = capture(s["profit_usd"], base, bound)
        out[name] = None if value is None else round(value, 4)
    return out


def quality_year(root: Path, label: str, start: datetime, end: datetime) -> dict[str, Any]:
    say(f"  quality {label}: building inputs")
    scenario = real_scenario(root, start, end)
    signals = build_signals(scenario)
    site = SimulatedSite(scenario, site_inputs(scenario, signals))
    mpc_holder: dict[str, MpcPolicy] = {}

    def mpc() -> Policy:
        policy = MpcPolicy(site.site)
        mpc_holder["mpc"] = policy
        return policy

    builders: dict[str, Callable[[], Policy]] = {
        "always-on": lambda: make_policy("always-on", site),
        "threshold": lambda: make_policy("threshold", site),
        "mpc": mpc,
        "oracle": lambda: make_policy("oracle", site),
        "threshold+now": lambda: ThresholdPeek(site, now=True, peaks=False),
        "threshold+4cp": lambda: ThresholdPeek(site, now=False, peaks=True),
        "threshold+now+4cp": lambda: ThresholdPeek(site, now=True, peaks=True),
        "mpc+4cp": lambda: MpcPeek(site, prices=False, peaks=True),
        "mpc+perfect-prices": lambda: MpcPeek(site, prices=True, peaks=False),
        "mpc+perfect-prices+4cp": lambda: MpcPeek(site, prices=True, peaks=True),
    }
    summaries, seconds = run_policies(site, builders)
    oracle = summaries["oracle"]
    local = ZoneInfo(TZ)
    return {
        "horizon_local": f"{start.astimezone(local):%Y-%m-%d} .. {end.astimezone(local):%Y-%m-%d}",
        "periods": scenario.periods,
        "notes": [
            *(note.replace(str(root), "$WATTSWITCH_DATA") for note in signals.notes),
            f"{site.inputs.filled_price_intervals} real-time price intervals bridged",
            f"4CP months without load data: {list(site.schedule.four_cp_months_without_load)}",
        ],
        "four_cp_peaks_local": [
            (scenario.start_utc + timedelta(seconds=p * scenario.step_s)).astimezone(ZoneInfo(TZ)).isoformat()
            for p in site.schedule.four_cp_peaks
        ],
        "capture": grade(summaries),
        "policies": summaries,
        "delta_vs_oracle_usd": {n: deltas_vs(oracle, s) for n, s in summaries.items() if n != "oracle"},
        "delta_vs_always_on_usd": {
            n: deltas_vs(summaries["always-on"], s) for n, s in summaries.items() if n != "always-on"
        },
        "wall_time_s": seconds,
        "mpc_lp_solves": mpc_holder["mpc"].lp_solves if "mpc" in mpc_holder else None,
    }


def quality(root: Path, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for year in (2023, 2022):
        if quick:
            label, start, end = f"{year}-07", local_midnight_utc(year, 7), local_midnight_utc(year, 8)
        else:
            label, start, end = str(year), local_midnight_utc(year), local_midnight_utc(year + 1)
        out[label] = quality_year(root, label, start, end)
    return out


def print_quality(result: dict[str, Any]) -> None:
    for label, year in result.items():
        say(f"\n### Decision quality, HB_WEST {label} ({year['horizon_local']})\n")
        rows = []
        for name, s in year["policies"].items():
            cap = year["capture"][name]
            rows.append(
                (
                    name,
                    money(s["profit_usd"]),
                    "—" if cap is None else f"{cap:.3f}",
                    money(s["revenue_usd"]["mining"]),
                    money(s["cost_usd"]["energy"]),
                    money(s["cost_usd"]["four_cp"]),
                    f"{s['curtailed_fleet_hours']:,.0f}",
                    year["wall_time_s"][name],
                )
            )
        say(
            table(
                ("policy", "profit $M", "capture", "mining $M", "energy $M", "4CP $M", "curtailed h", "s"),
                rows,
            )
        )
        say("\nper-stream delta vs oracle ($M, + = better than oracle):\n")
        keys = [k for k in next(iter(year["delta_vs_oracle_usd"].values())) if k != "profit"]
        keys = [k for k in keys if any(abs(d[k]) > 1 for d in year["delta_vs_oracle_usd"].values())]
        rows = [
            (n, *(money(d[k]) for k in keys), money(d["profit"]))
            for n, d in year["delta_vs_oracle_usd"].items()
        ]
        say(table(("policy", *keys, "profit"), rows))


# --------------------------------------------------------------------------- knob tuning (2022 → 2023)

# The finalists of a coordinate search on 2022 only (alert fraction × window, then the ladder, then
# mpc's forecast knobs): the 4CP alert (fraction of the month's high so far, local-hour window)
# dominates; 2021–2023 summer peaks all started at 16:00 or 17:00 local. Every entry runs on both
# years; "best" is chosen on 2022 only. The first entry of each grid is the setting shipped before
# the tuning; the 0.995 entries are the defaults shipped after it.
PEAK_HOURS = (16, 18)
UNTUNED_THRESHOLD = "threshold untuned (4cp 0.95 14-19h, c1 r2)"
UNTUNED_MPC = "mpc untuned (4cp 0.95 14-19h, decay 1h)"
THRESHOLD_GRID: dict[str, ThresholdSettings] = {
    UNTUNED_THRESHOLD: ThresholdSettings(
        confirm_intervals=1,
        resume_intervals=2,
        four_cp_alert_fraction=0.95,
        four_cp_window_local_hours=(14, 19),
    ),
    "threshold 4cp 0.99 16-18h": ThresholdSettings(
        four_cp_alert_fraction=0.99, four_cp_window_local_hours=PEAK_HOURS
    ),
    "threshold 4cp 0.97 16-18h c1 r1": ThresholdSettings(
        confirm_intervals=1,
        resume_intervals=1,
        four_cp_alert_fraction=0.97,
        four_cp_window_local_hours=PEAK_HOURS,
    ),
    "threshold 4cp 0.99 16-18h c1 r1": ThresholdSettings(
        confirm_intervals=1,
        resume_intervals=1,
        four_cp_alert_fraction=0.99,
        four_cp_window_local_hours=PEAK_HOURS,
    ),
    "threshold 4cp 0.995 16-18h c1 r1 (= default)": ThresholdSettings(
        confirm_intervals=1,
        resume_intervals=1,
        four_cp_alert_fraction=0.995,
        four_cp_window_local_hours=PEAK_HOURS,
    ),
}
MPC_GRID: dict[str, MpcSettings] = {
    UNTUNED_MPC: MpcSettings(
        four_cp_alert_fraction=0.95, four_cp_window_local_hours=(14, 19), persistence_decay_h=1.0
    ),
    "mpc 4cp 0.99 16-18h": MpcSettings(four_cp_alert_fraction=0.99, four_cp_window_local_hours=PEAK_HOURS),
    "mpc 4cp 0.97 16-18h decay 2h": MpcSettings(
        four_cp_alert_fraction=0.97, four_cp_window_local_hours=PEAK_HOURS, persistence_decay_h=2.0
    ),
    "mpc 4cp 0.99 16-18h decay 2h": MpcSettings(
        four_cp_alert_fraction=0.99, four_cp_window_local_hours=PEAK_HOURS, persistence_decay_h=2.0
    ),
    "mpc 4cp 0.995 16-18h decay 2h (= default)": MpcSettings(
        four_cp_alert_fraction=0.995, four_cp_window_local_hours=PEAK_HOURS, persistence_decay_h=2.0
    ),
}


def tune_year(
    root: Path,
    start: datetime,
    end: datetime,
    thresholds: dict[str, ThresholdSettings],
    mpcs: dict[str, MpcSettings],
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    scenario = real_scenario(root, start, end)
    site = SimulatedSite(scenario, site_inputs(scenario, build_signals(scenario)))
    builders: dict[str, Callable[[], Policy]] = {
        "always-on": lambda: make_policy("always-on", site),
        "oracle": lambda: make_policy("oracle", site),
    }
    for name, settings in thresholds.items():
        builders[name] = lambda s=settings, n=name: NamedThreshold(site, s, n)
    for name, settings in mpcs.items():
        builders[name] = lambda s=settings, n=name: NamedMpc(site, s, n)
    return run_policies(site, builders)


def tune(root: Path, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    best: dict[str, str] = {}
    for year, role in ((2022, "tuning"), (2023, "test")):
        month = (7, 8) if quick else (1, 1)
        start = local_midnight_utc(year, month[0])
        end = local_midnight_utc(year + (0 if quick else 1), month[1])
        say(f"  tune {year} ({role})")
        thresholds, mpcs = THRESHOLD_GRID, MPC_GRID
        summaries, seconds = tune_year(root, start, end, thresholds, mpcs)
        captures = grade(summaries)
        out[str(year)] = {
            "role": role,
            "capture": captures,
            "profit_usd": {n: s["profit_usd"] for n, s in summaries.items()},
            "four_cp_usd": {n: s["cost_usd"]["four_cp"] for n, s in summaries.items()},
            "wall_time_s": seconds,
        }
        if role == "tuning":
            best["threshold"] = max(THRESHOLD_GRID, key=lambda n: captures[n] or -1e9)
            best["mpc"] = max(MPC_GRID, key=lambda n: captures[n] or -1e9)
    out["best_on_2022"] = best
    out["grids"] = {
        "threshold": {n: dataclasses.asdict(s) for n, s in THRESHOLD_GRID.items()},
        "mpc": {n: dataclasses.asdict(s) for n, s in MPC_GRID.items()},
    }
    return out


def print_tune(result: dict[str, Any]) -> None:
    say("\n### Knob search: scored on 2022, then run on 2023\n")
    first, second = (k for k in result if k[:2] == "20")
    rows = []
    for n in result[first]["capture"]:
        if n in ("always-on", "oracle"):
            continue
        cells = [n]
        for year in (first, second):
            cap = result[year]["capture"].get(n)
            cells += ["—" if cap is None else f"{cap:.4f}", money(result[year]["four_cp_usd"][n])]
        rows.append(cells)
    say(
        table(
            ("settings", f"capture {first}", f"4CP $M {first}", f"capture {second}", f"4CP $M {second}"), rows
        )
    )
    say(f"\nbest on {first}: {result['best_on_2022']}")


# --------------------------------------------------------------------------- speed


def speed(quick: bool) -> dict[str, Any]:
    base = mining_site_scenario()
    if quick:
        base = dataclasses.replace(base, end_utc=base.start_utc + timedelta(days=31))
    build_s, signals = timed(lambda: build_signals(base))
    inputs_s, inputs = timed(lambda: site_inputs(base, signals))
    site_s, site = timed(lambda: SimulatedSite(base, inputs))
    out: dict[str, Any] = {
        "horizon": f"{base.periods:,} intervals of {base.step_s // 60} min (default scenario, generated)",
        "periods": base.periods,
        "prepare_s": {
            "build_signals": round(build_s, 3),
            "site_inputs": round(inputs_s, 3),
            "simulated_site": round(site_s, 3),
        },
        "policies": {},
    }
    for name, repeats in (("always-on", 3), ("threshold", 3), ("mpc", 1), ("oracle", 1)):
        say(f"  speed {name} ({repeats}x)")
        build_times: list[float] = []

        def one(name: str = name, build_times: list[float] = build_times) -> Ledger:
            built, policy = timed(lambda: make_policy(name, site))
            build_times.append(built)
            return site.run(policy)

        median, times, _ = median_time(one, repeats)
        out["policies"][name] = {
            "median_s": round(median, 3),
            "runs_s": [round(t, 3) for t in times],
            "policy_build_s": round(statistics.median(build_times), 3),
            "us_per_step": round(median / base.periods * 1e6, 1),
        }
    reference = out["policies"]["always-on"]["median_s"]
    for values in out["policies"].values():
        values["ratio_to_always_on"] = round(values["median_s"] / reference, 2)

    five = dataclasses.replace(mining_site_scenario(), step_s=300)
    if quick:
        five = dataclasses.replace(five, end_utc=five.start_utc + timedelta(days=31))
    say("  speed oracle at 5 min")
    build5_s, signals5 = timed(lambda: build_signals(five))
    site5 = SimulatedSite(five, site_inputs(five, signals5))
    solve_s, oracle = timed(lambda: make_policy("oracle", site5))
    replay_s, ledger = timed(lambda: site5.run(oracle))
    out["oracle_5min"] = {
        "periods": five.periods,
        "build_signals_s": round(build5_s, 3),
        "model_build_and_solve_s": round(solve_s, 3),
        "replay_s": round(replay_s, 3),
        "total_s": round(solve_s + replay_s, 3),
        "columns": int(oracle.plan.normal.size * 3 + 4 * five.periods),
        "status": oracle.plan.status,
        "profit_usd": round(ledger.totals["profit_usd"], 2),
    }
    return out


def print_speed(result: dict[str, Any]) -> None:
    say(f"\n### Speed: {result['horizon']}\n")
    rows = [
        (n, v["median_s"], v["policy_build_s"], v["us_per_step"], v["ratio_to_always_on"])
        for n, v in result["policies"].items()
    ]
    say(
        table(
            ("policy", "wall s (median, incl. build)", "of which policy build s", "µs/step", "× always-on"),
            rows,
        )
    )
    o = result["oracle_5min"]
    say(
        f"\noracle at 5 min, {o['periods']:,} intervals: build+solve {o['model_build_and_solve_s']} s, "
        f"replay {o['replay_s']} s, total {o['total_s']} s ({o['status']}); signals {o['build_signals_s']} s"
    )


# --------------------------------------------------------------------------- Vessim vs the engine


def curtailment_scenario(start: datetime, end: datetime) -> Scenario:
    """One 100 MW ASIC group (PUE 1, no switchover loss), no GPUs, no PPA, no 4CP: price × MWh only."""
    site = Site(
        name="Vessim anchor",
        interconnect_limit_mw=MINING_MW,
        market="ERCOT",
        hub=HUB,
        timezone=TZ,
        cooling_zones=(CoolingZone("hall", 1.0),),
    )
    group = AsicGroup(
        name="mining",
        model="generic",
        count=100_000,
        hashrate_th_s=5000.0,
        power_w=1000.0,
        cooling_zone="hall",
        modes=(AsicMode("normal", 1.0, 1.0), AsicMode("off", 0.0, 0.0)),
        switchover_s=0.0,
    )
    return Scenario(
        name="vessim-anchor",
        description="peer-anchors curtailment scenario",
        site=site,
        contract=PowerContract(real_time=RealTimeIndex(0.0)),
        asic_groups=(group,),
        gpu_groups=(),
        start_utc=start,
        end_utc=end,
        step_s=900,
    )


class CurtailAbove:
    """Mine at 100 % unless the price exceeds $60/MWh (the step-loop form, any policy's way).

    Honest (default): the last settled price (t−1), running at t = 0. With ``truth`` given, it
    reads the interval's own price — the information Vessim's controller gets in peer-anchors.
    """

    def __init__(self, truth: np.ndarray | None = None) -> None:
        self.truth = truth
        self.name = "curtail>60 (own price)" if truth is not None else "curtail>60 (t-1)"

    def decide(self, observation: Observation) -> Decision:
        if self.truth is not None:
            price = float(self.truth[observation.t])
        else:
            price = observation.rt_price_usd_per_mwh.last(default=-np.inf)
        on = 0.0 if price > CURTAIL_ABOVE_USD_PER_MWH else 1.0
        return Decision((on,), (0.0,), 0.0)


class CurtailAboveRule(CurtailAbove):
    """The honest (t−1) rule in the vectorised path's form: one decision per row of what is known."""

    def __init__(self) -> None:
        super().__init__(None)

    def decide_rows(self, known: KnownRows) -> DecisionArrays:
        on = np.where(known.last_rt_price_usd_per_mwh > CURTAIL_ABOVE_USD_PER_MWH, 0.0, 1.0)
        return DecisionArrays(on[None, :], np.zeros((1, len(known))), np.zeros(len(known)))


def curtail_own_price_plan(prices: np.ndarray) -> FixedPlan:
    """The own-price rule as a plan fixed before the run (clairvoyant, as Vessim's controller is)."""
    on = np.where(prices > CURTAIL_ABOVE_USD_PER_MWH, 0.0, 1.0)
    return FixedPlan(
        "curtail>60 (own price)", DecisionArrays(on[None, :], np.zeros((1, len(on))), np.zeros(len(on)))
    )


def vessim_available() -> bool:
    try:
        import vessim  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def run_vessim(prices: np.ndarray, step_s: int, start: datetime) -> dict[str, float]:
    """The peer-anchors scenario in Vessim's native backend; totals accumulated by the controller."""
    import pandas as pd  # noqa: PLC0415
    import vessim as vs  # noqa: PLC0415

    step_h = step_s / 3600.0
    mining_w = MINING_MW * 1e6

    class Curtail(vs.Controller):
        def __init__(self, consumer: Any, trace: Any, until: int) -> None:
            self.consumer, self.trace, self.until = consumer, trace, until
            self.cost = self.revenue = 0.0
            self.on = 0

        def step(self, now: datetime, microgrid_states: dict[str, Any]) -> None:
            state = microgrid_states["site"]
            price = state["grid_signals"]["price"]
            imported_mw = -state["p_grid"] / 1e6
            mining_mw = -state["actor_states"]["mining"]["power"] / 1e6
            self.cost += imported_mw * step_h * price
            self.revenue += mining_mw * step_h * MINING_USD_PER_MWH
            self.on += mining_mw > 0
            # The change applies at the next tick: decide it from that interval's price.
            following = (now - start).total_seconds() + step_s
            if following < self.until:
                above = self.trace.at(following) > CURTAIL_ABOVE_USD_PER_MWH
                self.consumer.signal.set_value(0.0 if above else mining_w)

    until = len(prices) * step_s
    trace = vs.Trace(pd.Series(prices, index=np.arange(len(prices)) * step_s, name="price"))
    environment = vs.Environment(sim_start=start, step_size=step_s)
    consumer = vs.Consumer(
        "mining", signal=vs.StaticSignal(0.0 if prices[0] > CURTAIL_ABOVE_USD_PER_MWH else mining_w)
    )
    environment.add_microgrid(
        actors=[consumer], dispatchables=[vs.GridConnection()], grid_signals={"price": trace}, name="site"
    )
    controller = environment.add_controller(Curtail(consumer, trace, until))
    environment.run(until=until)
    return {
        "cost_usd": controller.cost,
        "revenue_usd": controller.revenue,
        "profit_usd": controller.revenue - controller.cost,
        "on_intervals": controller.on,
    }


def vessim_compare(quick: bool) -> dict[str, Any]:
    start = local_midnight_utc(2023)
    end = local_midnight_utc(2023, 2) if quick else local_midnight_utc(2024)
    root = require_data()
    scenario = curtailment_scenario(start, end)
    scenario = dataclasses.replace(
        scenario, signals=dataclasses.replace(scenario.signals, prices_file=str(root / RT_FILE), hub=HUB)
    )
    inputs = site_inputs(scenario, build_signals(scenario))
    group = scenario.asic_groups[0]
    hashprice = MINING_USD_PER_MWH * 24.0 * MINING_MW / group.nameplate_hashrate_ph_s  # $45 per MWh mined
    inputs = dataclasses.replace(inputs, hashprice_usd_per_ph_day=np.full(inputs.periods, hashprice))
    prices = inputs.rt_price_usd_per_mwh
    step_h = scenario.step_s / 3600.0
    out: dict[str, Any] = {
        "periods": inputs.periods,
        "bridged_price_intervals": inputs.filled_price_intervals,
        "peer_anchor_totals": None
        if quick
        else {
            "cost_usd": PEER_COST_USD,
            "revenue_usd": PEER_REVENUE_USD,
            "profit_usd": PEER_REVENUE_USD - PEER_COST_USD,
            "on_intervals": PEER_ON_INTERVALS,
        },
    }

    def numpy_totals(on: np.ndarray) -> dict[str, float]:
        cost = float((on * MINING_MW * step_h * prices).sum())
        revenue = float(on.sum() * MINING_MW * step_h * MINING_USD_PER_MWH)
        return {
            "cost_usd": cost,
            "revenue_usd": revenue,
            "profit_usd": revenue - cost,
            "on_intervals": int(on.sum()),
        }

    own = prices <= CURTAIL_ABOVE_USD_PER_MWH
    honest = np.concatenate(([True], prices[:-1] <= CURTAIL_ABOVE_USD_PER_MWH))
    numpy_s, _, _ = median_time(lambda: numpy_totals(prices <= CURTAIL_ABOVE_USD_PER_MWH), 5)
    out["numpy"] = {
        "own_price": numpy_totals(own.astype(float)),
        "t_minus_1": numpy_totals(honest.astype(float)),
        "median_s": round(numpy_s, 6),
    }

    def engine_row(ledger: Ledger, median: float, times: list[float]) -> dict[str, Any]:
        t = ledger.totals
        return {
            "cost_usd": round(t["cost_energy_usd"], 2),
            "revenue_usd": round(t["revenue_mining_usd"], 2),
            "profit_usd": round(t["profit_usd"], 2),
            "on_intervals": int((ledger.asic_mw.sum(axis=0) > 0).sum()),
            "median_s": round(median, 4),
            "runs_s": [round(x, 4) for x in times],
            "us_per_step": round(median / inputs.periods * 1e6, 2),
        }

    # The vectorised path (what ``SimulatedSite.run`` takes for these policies): the site is
    # built inside the timing, and so are the decisions (the plan, or the rule's rows).
    def own_price() -> Ledger:
        return SimulatedSite(scenario, inputs).run(curtail_own_price_plan(prices))

    def t_minus_1() -> Ledger:
        return SimulatedSite(scenario, inputs).run(CurtailAboveRule())

    runs: dict[str, Any] = {}
    for label, fn in (("own_price", own_price), ("t_minus_1", t_minus_1)):
        say(f"  wattswitch engine (vectorised path), {label}")
        median, times, ledger = median_time(fn, 7)
        runs[label] = engine_row(ledger, median, times)
    out["wattswitch_engine"] = runs
    steps: dict[str, Any] = {}
    for label, truth in (("own_price", prices), ("t_minus_1", None)):
        say(f"  wattswitch engine (step loop), {label}")
        median, times, ledger = median_time(
            lambda truth=truth: SimulatedSite(scenario, inputs).run_steps(CurtailAbove(truth)), 1
        )
        steps[label] = engine_row(ledger, median, times)
    out["wattswitch_step_loop"] = steps

    if vessim_available():
        say("  vessim (native backend)")
        median, times, totals = median_time(lambda: run_vessim(prices, scenario.step_s, start), 3)
        out["vessim"] = {
            **{k: round(v, 2) for k, v in totals.items()},
            "version": version("vessim"),
            "backend": "native, no Recorder",
            "median_s": round(median, 3),
            "runs_s": [round(x, 3) for x in times],
            "us_per_step": round(median / inputs.periods * 1e6, 2),
        }
        engine = runs["own_price"]["median_s"]
        out["speed_ratio_vessim_over_wattswitch"] = round(median / engine, 3)
        out["agreement_own_price_usd"] = {
            k: round(runs["own_price"][k] - out["vessim"][k], 4)
            for k in ("cost_usd", "revenue_usd", "profit_usd")
        }
    else:
        out["vessim"] = "not available (pip install vessim)"
    return out


def print_vessim(result: dict[str, Any]) -> None:
    say(f"\n### Vessim anchor: 100 MW, curtail above $60/MWh, HB_WEST, {result['periods']:,} intervals\n")
    rows = []
    anchor = result.get("peer_anchor_totals")
    if anchor:
        rows.append(
            (
                "peer anchor (Vessim 0.16, own price)",
                money(anchor["cost_usd"]),
                money(anchor["revenue_usd"]),
                money(anchor["profit_usd"]),
                anchor["on_intervals"],
                "0.93 (their run)",
                "",
            )
        )
    v = result["vessim"]
    if isinstance(v, dict):
        rows.append(
            (
                "Vessim native, own price (this run)",
                money(v["cost_usd"]),
                money(v["revenue_usd"]),
                money(v["profit_usd"]),
                v["on_intervals"],
                v["median_s"],
                v["us_per_step"],
            )
        )
    engine_rows = [("wattswitch engine", label, r) for label, r in result["wattswitch_engine"].items()]
    engine_rows += [
        ("wattswitch step loop", label, r) for label, r in result.get("wattswitch_step_loop", {}).items()
    ]
    for kind, label, r in engine_rows:
        rows.append(
            (
                f"{kind}, {label}",
                money(r["cost_usd"]),
                money(r["revenue_usd"]),
                money(r["profit_usd"]),
                r["on_intervals"],
                r["median_s"],
                r["us_per_step"],
            )
        )
    for label, r in (
        ("numpy, own price", result["numpy"]["own_price"]),
        ("numpy, t−1", result["numpy"]["t_minus_1"]),
    ):
        rows.append(
            (
                label,
                money(r["cost_usd"]),
                money(r["revenue_usd"]),
                money(r["profit_usd"]),
                r["on_intervals"],
                result["numpy"]["median_s"],
                "",
            )
        )
    say(
        table(
            ("implementation", "cost $M", "revenue $M", "profit $M", "on intervals", "wall s", "µs/step"),
            rows,
        )
    )
    if "speed_ratio_vessim_over_wattswitch" in result:
        say(
            f"\nVessim time / wattswitch engine time = {result['speed_ratio_vessim_over_wattswitch']} "
            "(goal ≥ 20)"
        )


# --------------------------------------------------------------------------- scale

SCALE_SIZES_MW = (10.0, 100.0, 1000.0)
SCALE_HORIZONS = {"1 month": 31, "1 year": 365, "3 years": 3 * 365 + 1}


def scaled_scenario(mw: float, days: int) -> Scenario:
    """The default site with every fleet, contract volume and limit multiplied by ``mw / 100``."""
    base = mining_site_scenario()
    f = mw / base.site.interconnect_limit_mw
    groups = tuple(dataclasses.replace(g, count=max(1, round(g.count * f))) for g in base.asic_groups)
    gpus = tuple(dataclasses.replace(g, node_count=max(2, round(g.node_count * f))) for g in base.gpu_groups)
    tenants = tuple(
        dataclasses.replace(
            t,
            reservations=tuple(
                dataclasses.replace(r, node_count=max(1, round(r.node_count * f))) for r in t.reservations
            ),
        )
        for t in base.tenants
    )
    queue = base.training_queue
    if queue is not None:
        queue = dataclasses.replace(queue, mean_jobs_per_day=queue.mean_jobs_per_day * f)
    services = tuple(
        dataclasses.replace(s, peak_requests_per_s=s.peak_requests_per_s * f) for s in base.inference_services
    )
    contract = base.contract
    contract = dataclasses.replace(
        contract,
        ppa=None
        if contract.ppa is None
        else dataclasses.replace(contract.ppa, block_mw=contract.ppa.block_mw * f),
        ancillary=tuple(dataclasses.replace(a, capacity_mw=a.capacity_mw * f) for a in contract.ancillary),
    )
    events = tuple(dataclasses.replace(e, cap_mw=e.cap_mw * f) for e in base.demand_response_events)
    site = dataclasses.replace(base.site, interconnect_limit_mw=base.site.interconnect_limit_mw * f)
    return dataclasses.replace(
        base,
        site=site,
        contract=contract,
        asic_groups=groups,
        gpu_groups=gpus,
        tenants=tenants,
        training_queue=queue,
        inference_services=services,
        demand_response_events=events,
        end_utc=base.start_utc + timedelta(days=days),
    )


def scale_case(mw: float, days: int, policy: str) -> dict[str, Any]:
    """One scale case, in this process (called in a fresh child by ``scale``)."""
    scenario = scaled_scenario(mw, days)
    signals_s, signals = timed(lambda: build_signals(scenario))
    site = SimulatedSite(scenario, site_inputs(scenario, signals))
    rss_before = peak_rss_mib()
    build_s, built = timed(lambda: make_policy(policy, site))
    run_s, ledger = timed(lambda: site.run(built))
    return {
        "mw": mw,
        "days": days,
        "policy": policy,
        "periods": scenario.periods,
        "signals_s": round(signals_s, 3),
        "policy_build_s": round(build_s, 3),
        "run_s": round(run_s, 3),
        "total_s": round(build_s + run_s, 3),
        "peak_rss_before_policy_mib": round(rss_before, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "profit_usd": round(ledger.totals["profit_usd"], 2),
        "violations": int(ledger.totals["power_limit_violations"]),
    }


def scale(quick: bool) -> dict[str, Any]:
    sizes = SCALE_SIZES_MW[:2] if quick else SCALE_SIZES_MW
    horizons = dict(list(SCALE_HORIZONS.items())[:1]) if quick else SCALE_HORIZONS
    cases = []
    for policy in ("threshold", "oracle"):
        for label, days in horizons.items():
            for mw in sizes:
                say(f"  scale {policy} {mw:g} MW {label}")
                child = subprocess.run(
                    [sys.executable, __file__, "--scale-case", f"{mw},{days},{policy}"],
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=3600,
                )
                if child.returncode != 0:
                    cases.append(
                        {
                            "mw": mw,
                            "days": days,
                            "policy": policy,
                            "horizon": label,
                            "error": child.stderr.strip().splitlines()[-1:],
                        }
                    )
                    continue
                case = json.loads(child.stdout.strip().splitlines()[-1])
                cases.append({**case, "horizon": label})
    return {
        "cases": cases,
        "note": "each case in a fresh process; peak RSS includes the interpreter, "
        "imports and the generated signals (peak_rss_before_policy_mib)",
    }


def print_scale(result: dict[str, Any]) -> None:
    say("\n### Scale (generated signals, 15 min; each case in a fresh process)\n")
    rows = []
    for c in result["cases"]:
        if "error" in c:
            rows.append((c["policy"], f"{c['mw']:g}", c["horizon"], "error", c["error"], "", "", ""))
            continue
        rows.append(
            (
                c["policy"],
                f"{c['mw']:g}",
                c["horizon"],
                f"{c['periods']:,}",
                c["signals_s"],
                c["total_s"],
                c["peak_rss_before_policy_mib"],
                c["peak_rss_mib"],
            )
        )
    say(
        table(
            (
                "policy",
                "site MW",
                "horizon",
                "intervals",
                "signals s",
                "policy build+run s",
                "peak RSS before policy MiB",
                "peak RSS MiB",
            ),
            rows,
        )
    )


# --------------------------------------------------------------------------- main

PRINTERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "quality": print_quality,
    "tune": print_tune,
    "speed": print_speed,
    "vessim": print_vessim,
    "scale": print_scale,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: one month, small cases")
    parser.add_argument("--only", default=",".join(DEFAULT_PARTS), help=f"comma-separated subset of {PARTS}")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"results file (default {RESULTS.relative_to(ROOT)}; a temp file with --quick)",
    )
    parser.add_argument("--scale-case", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_case:
        mw, days, policy = args.scale_case.split(",")
        print(json.dumps(scale_case(float(mw), int(days), policy)))
        return
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; choose from {PARTS}")
    out_path: Path = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    previous = json.loads(out_path.read_text()) if out_path.exists() else {}
    if previous.get("quick") != args.quick:
        previous = {}  # never mix a smoke run with a full one
    results: dict[str, Any] = {**previous, "quick": args.quick}
    results["runs"] = [
        *previous.get("runs", []),
        {"started_utc": now_utc(), "parts": parts, "command": " ".join(["python", *sys.argv])},
    ]
    results["machine"] = machine_info()
    root = data_root()
    for part in parts:
        say(f"== {part}")
        started = time.perf_counter()
        if part == "quality":
            results[part] = quality(require_data(), args.quick)
        elif part == "tune":
            results[part] = tune(require_data(), args.quick)
        elif part == "speed":
            results[part] = speed(args.quick)
        elif part == "vessim":
            results[part] = vessim_compare(args.quick) if root else "skipped: WATTSWITCH_DATA not set"
        elif part == "scale":
            results[part] = scale(args.quick)
        results.setdefault("part_timing", {})[part] = {
            "finished_utc": now_utc(),
            "wall_s": round(time.perf_counter() - started, 1),
        }
        if isinstance(results[part], dict):
            PRINTERS[part](results[part])
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(results, indent=2) + "\n")
        tmp.replace(out_path)
    results["runs"][-1]["finished_utc"] = now_utc()
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    say(f"\nresults: {out_path}")


if __name__ == "__main__":
    main()
