"""The coupled site on real prices and real workload traces: trough filling, AI outcomes, capture, speed.

Usage::

    WATTSWITCH_DATA=/path/to/shared/data python benchmarks/bench_coupled.py            # all parts
    WATTSWITCH_DATA=... python benchmarks/bench_coupled.py --quick                     # one month
    WATTSWITCH_DATA=... python benchmarks/bench_coupled.py --only fill,speed

The site is the embedded default (mid-conversion: 27,000 ASICs and a 1,416-node H100 hall on a
100 MW interconnect) on ERCOT HB_WEST real-time and day-ahead prices, Coin Metrics hashprice,
ERCOT load (4CP), the SenseTime Helios Venus jobs (125,303 jobs over 194 days, relative times:
the first job starts the run) and the Alibaba GenAI serving trace's daily shape for inference.

Parts (results in ``benchmarks/results/coupled.json``):

- ``fill``: 2023, always-on. MWh of headroom AI leaves under the cap that mining fills while
  mining is profitable (at the step; the checkpoint and restart dips separately), and the profit
  of coupled dispatch against a **static split** (mining held to the cap less AI's full draw).
- ``ai``: 2023, AI outcomes (JCT, SLO attainment, reserved uptime) of always-on, threshold and
  mpc, against the AI alone (no ASICs on site); the JCT cost of each training MWh given back.
- ``capture``: threshold and mpc against the bound, 2022 (the year their knobs were tuned on)
  and 2023 (untouched).
- ``speed``: one year at 5-min steps, always-on and mpc on the coupled site, beside the fluid
  engine alone (``mining_site_scenario``) in the same run; how it grows with jobs and nodes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import BTC_FILE, DA_FILE, HUB, LOAD_FILE, RT_FILE, machine_info, now_utc, require_data, say

from wattswitch.data.signals import build_signals
from wattswitch.data.site_build import build_site
from wattswitch.dispatch.always_on import AlwaysOnPolicy
from wattswitch.dispatch.mpc import MpcPolicy
from wattswitch.model.default_scenario import default_scenario, mining_site_scenario
from wattswitch.model.observation import Decision, Observation
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel
from wattswitch.sim.coupled import CoupledSite
from wattswitch.sim.engine import SimulatedSite
from wattswitch.sim.ledger import Ledger
from wattswitch.sim.runner import compare, make_policy

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "coupled.json"
HELIOS = "gpu_jobs_helios_venus/helios_venus_gpu_jobs.csv.gz"
ALIBABA = "genai_sd_requests_alibaba_2024/lora_request_trace_dev.csv.gz"
PARTS = ("fill", "ai", "capture", "speed")


def year_bounds(year: int, months: int = 12) -> tuple[datetime, datetime]:
    """Local (Central) midnight of 1 January to the same after ``months`` months, in UTC."""
    start = datetime(year, 1, 1, 6, tzinfo=UTC)
    if months == 12:
        return start, datetime(year + 1, 1, 1, 6, tzinfo=UTC)
    end = datetime(year, 1 + months, 1, 6, tzinfo=UTC)
    return start, end


def real_coupled(
    root: Path, year: int, *, months: int = 12, step_s: int = 900, base: Scenario | None = None
) -> Scenario:
    """The default site on real prices, hashprice, load, Helios jobs and the Alibaba inference shape."""
    scenario = base or default_scenario()
    start, end = year_bounds(year, months)
    signals = dataclasses.replace(
        scenario.signals, prices_file=str(root / RT_FILE), hub=HUB, day_ahead_prices_file=str(root / DA_FILE),
        bitcoin_file=str(root / BTC_FILE), grid_load_file=str(root / LOAD_FILE), jobs_file=str(root / HELIOS),
        inference_file=str(root / ALIBABA),
    )
    return dataclasses.replace(
        scenario, signals=signals, start_utc=start, end_utc=end, step_s=step_s, ai_simulation="job-level"
    )


def coupled_site(scenario: Scenario) -> CoupledSite:
    site = build_site(scenario, build_signals(scenario))
    assert isinstance(site, CoupledSite)
    return site


class StaticSplit:
    """The way sites run today: a fixed MW partition, mining held to the cap less AI's full draw."""

    name = "static-split"

    def __init__(self, site: SiteModel, ai_full_mw: float) -> None:
        self.site = site
        self.ai_full_mw = ai_full_mw

    def decide(self, observation: Observation) -> Decision:
        site = self.site
        room = max(0.0, float(observation.power_cap_mw[observation.t]) - self.ai_full_mw)
        normal = np.zeros(site.asic_count)
        for g in site.shed_order[::-1]:  # most efficient first
            take = min(1.0, room / site.asic_power_mw[g]) if site.asic_power_mw[g] > 0 else 0.0
            normal[g] = take
            room -= take * site.asic_power_mw[g]
        return Decision(tuple(normal.tolist()), tuple(np.zeros(site.asic_count).tolist()), float("inf"))


def ai_full_mw(site: CoupledSite) -> float:
    """AI's full draw: reserved, inference at its highest interval peak, the training pool busy."""
    model = site.site
    training_full = model.training_pool_nodes * model.training_node_busy_mw
    other = model.gpu_fixed_mw - model.reserved_mw - site.inference.idle_mw
    return float(model.reserved_mw + site.inference.peak_mw.max() + training_full + other)


def fill_shares(site: CoupledSite, ledger: Ledger) -> dict[str, float]:
    """Headroom AI leaves that mining fills, while mining is profitable (realised price and hashprice)."""
    model = site.site
    series = ledger.ai_series_mw
    dips = series["checkpoint_dips"]
    ai_steady = series["reserved"] + series["inference"] + series["training"] + dips  # AI without its dips
    cap = ledger.schedule.power_cap_mw
    mining = ledger.energy_use_mw["mining"]
    best = model.mining_usd_per_mwh(1.0)  # per unit hashprice; most efficient group first
    profitable = site.inputs.hashprice_usd_per_ph_day * float(best.max()) > site.inputs.rt_price_usd_per_mwh
    nameplate = float(model.asic_power_mw.sum())
    available = np.minimum(np.maximum(cap - ai_steady, 0.0), nameplate)
    step_fill = np.minimum(mining - series["dip_filled_by_mining"], available)
    step_h = model.step_h
    on = profitable
    return {
        "profitable_share_of_intervals": round(float(on.mean()), 4),
        "headroom_mwh": round(float(available[on].sum() * step_h), 1),
        "filled_at_step_mwh": round(float(step_fill[on].sum() * step_h), 1),
        "fill_share_at_step": round(float(step_fill[on].sum() / max(available[on].sum(), 1e-9)), 4),
        "dip_mwh": round(float(dips[on].sum() * step_h), 2),
        "dip_filled_mwh": round(float(series["dip_filled_by_mining"][on].sum() * step_h), 2),
        "dip_fill_share": round(
            float(series["dip_filled_by_mining"][on].sum() / max(dips[on].sum(), 1e-12)), 4
        ),
    }


def part_fill(root: Path, quick: bool) -> dict[str, Any]:
    site = coupled_site(real_coupled(root, 2023, months=1 if quick else 12))
    coupled = site.run(AlwaysOnPolicy(site.site))
    static = site.run(StaticSplit(site.site, ai_full_mw(site)))
    gain = coupled.totals["profit_usd"] - static.totals["profit_usd"]
    out = {
        "always_on": fill_shares(site, coupled),
        "ai_full_mw": round(ai_full_mw(site), 2),
        "profit_coupled_usd": round(coupled.totals["profit_usd"], 0),
        "profit_static_split_usd": round(static.totals["profit_usd"], 0),
        "coupled_minus_static_usd": round(gain, 0),
        "coupled_minus_static_pct": round(100 * gain / abs(static.totals["profit_usd"]), 2),
        "mining_mwh_coupled": round(coupled.totals["energy_mining_mwh"], 0),
        "mining_mwh_static": round(static.totals["energy_mining_mwh"], 0),
        "power_limit_violations": int(coupled.totals["power_limit_violations"]),
    }
    say(f"fill: {json.dumps(out)}")
    return out


def outcome_row(ledger: Ledger) -> dict[str, float]:
    ai = ledger.ai_outcome or {}
    training, inference, reserved = ai.get("training", {}), ai.get("inference", {}), ai.get("reserved", {})
    return {
        "profit_usd": round(ledger.totals["profit_usd"], 0),
        "mean_jct_h": round(training.get("mean_jct_s", float("nan")) / 3600, 3),
        "p95_jct_h": round(training.get("p95_jct_s", float("nan")) / 3600, 3),
        "jobs_completed": training.get("jobs_completed", 0.0),
        "training_mwh": round(training.get("energy_mwh", 0.0), 1),
        "slo_attainment": round(inference.get("slo_attainment", float("nan")), 4),
        "reserved_uptime": round(reserved.get("uptime", float("nan")), 5),
        "pauses": training.get("pauses", 0.0),
        "power_limit_violations": int(ledger.totals["power_limit_violations"]),
    }


def part_ai(root: Path, quick: bool) -> dict[str, Any]:
    months = 1 if quick else 12
    scenario = real_coupled(root, 2023, months=months)
    site = coupled_site(scenario)
    names = ("always-on", "threshold", "mpc")
    ledgers = {name: site.run(make_policy(name, site)) for name in names}
    rows = {name: outcome_row(ledger) for name, ledger in ledgers.items()}
    step_h = site.site.step_h
    base_training = ledgers["always-on"].ai_series_mw["training"]
    alone = dataclasses.replace(scenario, asic_groups=scenario.asic_groups[:1])
    alone = dataclasses.replace(alone, asic_groups=(dataclasses.replace(alone.asic_groups[0], count=1),))
    alone_site = coupled_site(alone)
    rows["ai-alone (1 ASIC)"] = outcome_row(alone_site.run(AlwaysOnPolicy(alone_site.site)))
    base = rows["always-on"]
    for name in ("threshold", "mpc"):
        # training MWh given back: where the policy drew less for training than always-on did
        less = np.maximum(base_training - ledgers[name].ai_series_mw["training"], 0.0)
        given_back = float(less.sum() * step_h)
        rows[name]["training_mwh_given_back"] = round(given_back, 1)
        extra_jct_h = rows[name]["mean_jct_h"] - base["mean_jct_h"]
        rows[name]["jct_h_per_training_mwh_given_back"] = (
            round(extra_jct_h / given_back, 6) if given_back > 1e-6 else None
        )
    say(f"ai: {json.dumps(rows)}")
    return rows


def part_capture(root: Path, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for year, role in ((2022, "tuning"), (2023, "test")):
        site = coupled_site(real_coupled(root, year, months=1 if quick else 12))
        result = compare(site, ["threshold", "mpc"])
        out[str(year)] = {
            "role": role,
            **{name: {"profit_usd": round(ledger.totals["profit_usd"], 0),
                      "capture": None if result.capture[name] is None else round(result.capture[name], 4)}
               for name, ledger in result.ledgers.items()},
        }
        say(f"capture {year}: {json.dumps(out[str(year)])}")
    return out


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def part_speed(root: Path, quick: bool) -> dict[str, Any]:
    months = 1 if quick else 12
    scenario = real_coupled(root, 2023, months=months, step_s=300)
    build_s, site = timed(lambda: coupled_site(scenario))
    always_s, _ = timed(lambda: site.run(AlwaysOnPolicy(site.site)))
    mpc_s, _ = timed(lambda: site.run(make_policy("mpc", site)))
    fluid_scenario = dataclasses.replace(
        real_coupled(root, 2023, months=months, step_s=300, base=mining_site_scenario()),
        ai_simulation="fluid",
    )
    fluid_build_s, fluid = timed(lambda: build_site(fluid_scenario, build_signals(fluid_scenario)))
    assert isinstance(fluid, SimulatedSite)
    fluid_always_s, _ = timed(lambda: fluid.run(AlwaysOnPolicy(fluid.site)))
    fluid_mpc_s, _ = timed(lambda: fluid.run(MpcPolicy(fluid.site)))
    jobs = len(site.parts.jobs.frame) if site.parts.jobs is not None else 0
    out: dict[str, Any] = {
        "path": "closed-loop step (CoupledSite.run), 5-min steps, Helios jobs + Alibaba shape; fluid engine "
                "(SimulatedSite.run: vectorised for always-on, step loop for mpc) on the same prices",
        "intervals": site.inputs.periods,
        "jobs": jobs,
        "coupled_build_s": round(build_s, 2),
        "coupled_always_on_s": round(always_s, 2),
        "coupled_mpc_s": round(mpc_s, 2),
        "fluid_build_s": round(fluid_build_s, 2),
        "fluid_always_on_s": round(fluid_always_s, 3),
        "fluid_mpc_s": round(fluid_mpc_s, 2),
    }
    growth = []
    for job_share, node_factor in ((0.25, 1), (0.5, 1), (1.0, 1), (1.0, 2)):
        grown = scenario
        if node_factor != 1:
            group = scenario.gpu_groups[0]
            extra = site.parts.cluster.nodes * (node_factor - 1) if site.parts.cluster else 0
            bigger = dataclasses.replace(group, node_count=group.node_count + extra)
            grown = dataclasses.replace(scenario, gpu_groups=(bigger,))
        grown_site = coupled_site(grown)
        if job_share < 1.0 and grown_site.parts.jobs is not None:
            frame = grown_site.parts.jobs.frame
            keep = frame.iloc[: int(len(frame) * job_share)].reset_index(drop=True)
            fewer = dataclasses.replace(grown_site.parts.jobs, frame=keep)
            parts = dataclasses.replace(grown_site.parts, jobs=fewer)
            grown_site = CoupledSite(grown, grown_site.inputs, parts)
        seconds, _ = timed(lambda s=grown_site: s.run(AlwaysOnPolicy(s.site)))
        growth.append({
            "jobs": len(grown_site.parts.jobs.frame) if grown_site.parts.jobs is not None else 0,
            "training_nodes": grown_site.parts.cluster.nodes if grown_site.parts.cluster else 0,
            "always_on_s": round(seconds, 2),
        })
    out["growth"] = growth
    say(f"speed: {json.dumps(out)}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one month instead of a year")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}")
    args = parser.parse_args()
    root = require_data()
    parts = [p for p in args.only.split(",") if p]
    runners = {"fill": part_fill, "ai": part_ai, "capture": part_capture, "speed": part_speed}
    results: dict[str, Any] = {"when": now_utc(), "machine": machine_info(), "quick": args.quick}
    for part in parts:
        results[part] = runners[part](root, args.quick)
    target = Path("/tmp/wattswitch-bench-coupled-quick.json") if args.quick else RESULTS
    previous = json.loads(target.read_text()) if target.exists() and not args.quick else {}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({**previous, **results}, indent=2) + "\n")
    say(f"results: {target}")


if __name__ == "__main__":
    main()
