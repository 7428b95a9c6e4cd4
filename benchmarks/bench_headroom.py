"""How much of the oracle's edge an honest policy can reach: price timing and 4CP guessing.

Usage (from the repository root)::

    WATTSWITCH_DATA=/path/to/shared/data python benchmarks/bench_headroom.py   # ≈ 1 min

The engine benchmark's diagnostics (``bench_engine.py --only quality``) show where the
oracle's edge over mpc and threshold lies: the current interval's real-time price and the true
4CP peak intervals. This benchmark asks whether an honest policy could know more of either,
on the default fleet and ERCOT HB_WEST, local calendar years 2021–2023:

- ``price_timing``: the value of curtailing each ASIC group interval by interval (against
  always-on, ignoring switchovers and 4CP) when the decision knows the interval's price
  (perfect), the last settled price (persistence, what threshold does), or the conditional mean
  of the interval's margin given binned features of what is known (last price, the one before,
  the published day-ahead price, hour, summer), fitted on one year and used on another.
- ``four_cp``: every day whose 16:00–18:00 load reached 99.5 % of the month's high so far (the
  days both policies curtail), whether it held the month's peak, the hit rate by part of the
  month, and the hit rate at which curtailing such a day breaks even (its mining margin against
  the charge of a peak the fleet would run through).

Results go to ``benchmarks/results/headroom.json``; tables are printed as Markdown.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from bench_engine import local_midnight_utc, machine_info, now_utc, real_scenario, require_data, say, table

from wattswitch.data.engine_inputs import site_inputs
from wattswitch.data.signals import build_signals
from wattswitch.sim.engine import SimulatedSite

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "headroom.json"
YEARS = (2021, 2022, 2023)
SUMMER = (6, 7, 8, 9)
ALERT_FRACTION = 0.995  # both policies' default 4CP alert
WINDOW_LOCAL_HOURS = (16, 18)
FEATURE_SETS = {
    "last price": "r",
    "last price, trend": "rt",
    "last price, day-ahead": "rd",
    "last price, hour": "rh",
    "last price, day-ahead, hour": "rdh",
    "last price, day-ahead, hour, summer": "rdhs",
    "all five": "rdhts",
}


@dataclass(frozen=True)
class YearArrays:
    """One year's per-interval arrays, as a policy deciding interval t would know them."""

    price: np.ndarray  # the interval's own real-time price
    last: np.ndarray  # the last settled price
    before_last: np.ndarray
    day_ahead: np.ndarray  # published day-ahead price (the last price where none)
    breakeven: np.ndarray  # (intervals, groups): each group's breakeven on the known hashprice
    adder: float
    group_mw: np.ndarray
    step_h: float
    hour: np.ndarray
    month: np.ndarray
    load: np.ndarray
    per_peak_usd_per_mw: float


def year_arrays(site: SimulatedSite) -> YearArrays:
    model, inputs = site.site, site.inputs
    price = inputs.rt_price_usd_per_mwh
    known = site.schedule.rt_known_until
    last = np.where(known > 0, price[np.maximum(known - 1, 0)], price[0])
    before_last = np.where(known > 1, price[np.maximum(known - 2, 0)], last)
    day_ahead = np.where(np.isnan(inputs.da_price_usd_per_mwh), last, inputs.da_price_usd_per_mwh)
    breakeven = np.stack([model.mining_usd_per_mwh(h) for h in site.known_hashprice])
    return YearArrays(
        price=price,
        last=last,
        before_last=before_last,
        day_ahead=day_ahead,
        breakeven=breakeven,
        adder=model.rt_adder_usd_per_mwh,
        group_mw=model.asic_power_mw,
        step_h=model.step_h,
        hour=inputs.local_hour,
        month=inputs.local_month,
        load=inputs.system_load_mw,
        per_peak_usd_per_mw=model.four_cp_usd_per_kw_year * 1000.0 / 4.0,
    )


# --------------------------------------------------------------------------- price timing


def margin_usd_per_mwh(year: YearArrays) -> np.ndarray:
    """What curtailing each group saves per MWh in each interval (negative: it loses)."""
    return np.asarray(year.price[:, None] + year.adder - year.breakeven)


def curtailment_value_musd(year: YearArrays, off: np.ndarray) -> float:
    """Value of a curtailment pattern (intervals × groups) against always-on, $M."""
    saved = margin_usd_per_mwh(year) * year.group_mw[None, :] * year.step_h
    return float((saved * off).sum() / 1e6)


def feature_keys(year: YearArrays, group: int, spec: str) -> np.ndarray:
    """Binned features of what is known, one row per interval (prices relative to the breakeven)."""
    breakeven = year.breakeven[:, group]
    ratio = (year.last + year.adder) / breakeven
    columns = [np.digitize(ratio, [0.3, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 4.0])]
    if "d" in spec:
        columns.append(np.digitize((year.day_ahead + year.adder) / breakeven, [0.3, 0.5, 0.8, 1.0, 1.5]))
    if "h" in spec:
        columns.append(np.digitize(year.hour, [7, 14, 17, 19, 22]))
    if "t" in spec:
        trend = ratio - (year.before_last + year.adder) / breakeven
        columns.append(np.digitize(trend, [-0.2, -0.02, 0.02, 0.2]))
    if "s" in spec:
        columns.append(np.isin(year.month, SUMMER).astype(np.int64))
    return np.stack(columns, axis=1)


def fitted_rule(train: YearArrays, test: YearArrays, spec: str) -> np.ndarray:
    """Curtail where the training year's mean margin in the same feature bin is positive.

    Bins the training year never saw fall back to persistence (curtail above the breakeven).
    """
    off = np.zeros(test.breakeven.shape, dtype=bool)
    margin = margin_usd_per_mwh(train)
    for group in range(len(test.group_mw)):
        bins, train_bins = np.unique(feature_keys(train, group, spec), axis=0, return_inverse=True)
        sums = np.bincount(train_bins.ravel(), weights=margin[:, group])
        decision = {tuple(k): s > 0 for k, s in zip(bins.tolist(), sums, strict=True)}
        persistence = (test.last + test.adder) > test.breakeven[:, group]
        test_keys = feature_keys(test, group, spec)
        off[:, group] = [
            decision.get(tuple(k), bool(p)) for k, p in zip(test_keys.tolist(), persistence, strict=True)
        ]
    return off


def price_timing(years: dict[int, YearArrays]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for test_year, test in years.items():
        perfect = curtailment_value_musd(test, margin_usd_per_mwh(test) > 0)
        persistence = curtailment_value_musd(test, (test.last[:, None] + test.adder) > test.breakeven)
        fitted: dict[str, dict[str, float]] = {}
        for label, spec in FEATURE_SETS.items():
            fitted[label] = {
                f"fitted on {train_year}": round(
                    curtailment_value_musd(test, fitted_rule(train, test, spec)), 3
                )
                for train_year, train in years.items()
            }
        out[str(test_year)] = {
            "perfect_musd": round(perfect, 3),
            "persistence_musd": round(persistence, 3),
            "fitted_musd": fitted,
        }
    return out


# --------------------------------------------------------------------------- 4CP alarms


def four_cp_alarms(years: dict[int, YearArrays]) -> dict[str, Any]:
    """Each alarm day (window load ≥ 99.5 % of the month's high so far) and whether it held the peak."""
    steps_per_day = round(24 / next(iter(years.values())).step_h)
    days: list[dict[str, Any]] = []
    for year_label, year in years.items():
        margin = np.clip(year.breakeven - year.price[:, None] - year.adder, 0.0, None)
        fleet_mw = float(year.group_mw.sum())
        for month in SUMMER:
            index = np.flatnonzero(year.month == month)
            load = year.load[index]
            if np.isnan(load).all():
                continue
            peak_day = int(np.nanargmax(load)) // steps_per_day
            high_before = -np.inf
            for day in range(len(index) // steps_per_day):
                rows = index[day * steps_per_day : (day + 1) * steps_per_day]
                hour = year.hour[rows]
                window = rows[(hour >= WINDOW_LOCAL_HOURS[0]) & (hour < WINDOW_LOCAL_HOURS[1])]
                window_load = year.load[window]
                known = window_load[~np.isnan(window_load)]
                window_high = float(known.max()) if known.size else np.nan
                if np.isfinite(window_high) and window_high >= ALERT_FRACTION * high_before:
                    lost = float((margin[window] * year.group_mw[None, :]).sum() * year.step_h)
                    days.append(
                        {
                            "year": year_label,
                            "month": month,
                            "day": day + 1,
                            "peak": day == peak_day,
                            "mining_margin_usd": round(lost, 0),
                            "peak_charge_usd": round(fleet_mw * year.per_peak_usd_per_mw, 0),
                        }
                    )
                day_load = year.load[rows]
                if not np.isnan(day_load).all():
                    high_before = max(high_before, float(np.nanmax(day_load)))
    parts = {"days 1-10": (1, 10), "days 11-20": (11, 20), "days 21-31": (21, 31)}
    by_part: dict[str, dict[str, float]] = {}
    for label, (first, last) in parts.items():
        chosen = [d for d in days if first <= d["day"] <= last]
        hits = sum(d["peak"] for d in chosen)
        break_even = [d["mining_margin_usd"] / d["peak_charge_usd"] for d in chosen]
        by_part[label] = {
            "alarm_days": len(chosen),
            "peaks": hits,
            "hit_rate": round(hits / len(chosen), 3) if chosen else 0.0,
            "break_even_hit_rate_median": round(float(np.median(break_even)), 4) if chosen else 0.0,
            "break_even_hit_rate_max": round(float(np.max(break_even)), 4) if chosen else 0.0,
        }
    return {"days": days, "by_part_of_month": by_part}


# --------------------------------------------------------------------------- output


def print_results(results: dict[str, Any]) -> None:
    say("\n### Price timing: curtailment value against always-on, $M (ignoring switchovers and 4CP)\n")
    timing = results["price_timing"]
    labels = list(FEATURE_SETS)
    rows: list[list[Any]] = []
    for year_label, entry in timing.items():
        rows.append([f"{year_label}: perfect (told the price)", entry["perfect_musd"], "", ""])
        rows.append([f"{year_label}: persistence (last price)", entry["persistence_musd"], "", ""])
        for label in labels:
            fitted = entry["fitted_musd"][label]
            others = {k: v for k, v in fitted.items() if not k.endswith(year_label)}
            rows.append(
                [
                    f"{year_label}: fitted, {label}",
                    "",
                    " / ".join(f"{v:.2f} ({k.removeprefix('fitted on ')})" for k, v in others.items()),
                    fitted[f"fitted on {year_label}"],
                ]
            )
    say(table(["rule", "value", "fitted on another year", "fitted on the same year"], rows))
    say("\n### 4CP alarm days (16–18 h load ≥ 99.5 % of the month's high so far), 2021–2023\n")
    part_rows = [
        [
            label,
            p["alarm_days"],
            p["peaks"],
            p["hit_rate"],
            p["break_even_hit_rate_median"],
            p["break_even_hit_rate_max"],
        ]
        for label, p in results["four_cp"]["by_part_of_month"].items()
    ]
    say(
        table(
            ["part of month", "alarm days", "held the peak", "hit rate", "break-even (median)", "(max)"],
            part_rows,
        )
    )


def main(argv: Sequence[str] | None = None) -> None:
    del argv
    root = require_data()
    years: dict[int, YearArrays] = {}
    for year in YEARS:
        say(f"building {year} …")
        scenario = real_scenario(root, local_midnight_utc(year), local_midnight_utc(year + 1))
        site = SimulatedSite(scenario, site_inputs(scenario, build_signals(scenario)))
        years[year] = year_arrays(site)
    results: dict[str, Any] = {
        "started_utc": now_utc(),
        "command": " ".join(["python", *sys.argv]),
        "machine": machine_info(),
        "years": list(YEARS),
        "price_timing": price_timing(years),
        "four_cp": four_cp_alarms(years),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print_results(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(RESULTS)
    say(f"\nresults: {RESULTS}")


if __name__ == "__main__":
    main()
