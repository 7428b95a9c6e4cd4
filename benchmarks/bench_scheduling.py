"""Benchmark the GPU scheduler and the inference autoscaler on real traces.

Usage (from the repository root)::

    WATTSWITCH_DATA=/path/to/shared/data python benchmarks/bench_scheduling.py            # everything
    WATTSWITCH_DATA=... python benchmarks/bench_scheduling.py --quick                      # 20k jobs
    WATTSWITCH_DATA=... python benchmarks/bench_scheduling.py --only helios,inference      # some parts

Parts (results of parts not run are kept from the existing results file):

- ``helios``: SenseTime Helios Venus (125,303 jobs) on 640 and 768 GPUs, 8 per node: ``fifo``,
  ``easy-backfill`` (noisy user limits, and exact limits for the peer check), ``las`` and ours
  (``srtf-est``), all in the same run, with wall time per run and the peer figures beside them.
  Ours runs twice: with the project's checkpoint defaults (30-min checkpoints, 300-s restarts,
  work since the last checkpoint lost) and under the peers' conditions (no lost work, 60-s
  restarts), which is how the peers ran LAS and SRTF.
- ``lending``: the same trace on a training cluster shared with a 70B chat service (Azure
  conversation token sizes, Alibaba GenAI daily cycle, Azure burstiness): with and without
  lending the service's idle nodes to training.
- ``power``: a training-cluster power budget from ERCOT HB_WEST 2023 real-time prices (trace day
  0 = 2023-04-01 00:00 Central): JCT inflation, pauses, capped hours, violations.
- ``inference``: the default scenario's chat-70b service for a week, autoscaled vs static peak.

Results go to ``benchmarks/results/scheduling.json`` and, as Markdown tables, to
``benchmarks/results/scheduling.md`` (copied into BENCHMARKS.md, section "GPU scheduling").
Wall times on the shared 2-core machine vary by ±30 %: read ratios from the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wattswitch.data.inference import diurnal_profile, load_inference
from wattswitch.data.io import DATA_ENV_VAR, data_root
from wattswitch.data.jobs import load_jobs
from wattswitch.data.prices import load_prices
from wattswitch.model.catalog import figure
from wattswitch.model.default_scenario import mining_site_scenario
from wattswitch.model.traces import JobTrace
from wattswitch.scheduling.config import CheckpointConfig, ClusterSpec, LendingSchedule, LimitModel
from wattswitch.scheduling.inference import (
    DemandCurve,
    InferenceResult,
    LendingPolicy,
    ReplicaCapacity,
    RequestMix,
    TargetUtilizationAutoscaler,
    burst_pattern,
    simulate_inference,
)
from wattswitch.scheduling.metrics import ScheduleResult
from wattswitch.scheduling.policies import make_scheduler
from wattswitch.scheduling.power import CapEconomics, ClusterPowerModel, PowerBudget, budget_from_prices
from wattswitch.scheduling.simulator import SimOptions, first_jobs, simulate

RESULTS = Path(__file__).parent / "results"
JSON_OUT = RESULTS / "scheduling.json"
MD_OUT = RESULTS / "scheduling.md"
HELIOS = "gpu_jobs_helios_venus/helios_venus_gpu_jobs.csv.gz"
AZURE = "llm_inference_azure_2023/AzureLLMInferenceTrace_conv.csv.gz"
ALIBABA = "genai_sd_requests_alibaba_2024/lora_request_trace_dev.csv.gz"
ERCOT = "ercot_rt_hub_spp_15min/ercot_rt_hub_spp_15min_2020_2023.csv.gz"
TRACE_START_UTC = pd.Timestamp("2023-04-01T05:00Z")  # 2023-04-01 00:00 America/Chicago
H = 3600.0
PEER = CheckpointConfig(interval_s=0.0, restart_overhead_s=60.0)  # peers: +60 s, no lost work
EXACT = LimitModel(sigma=0.0, round_to_s=0.0)

# ../shared/notes/peer-anchors.md: mean JCT h, median JCT min, p95 JCT h, mean wait h, util
PEER_ANCHORS: dict[int, dict[str, tuple[float, float, float, float, float]]] = {
    640: {
        "FIFO": (29.29, 1238, 103.7, 26.77, 0.786),
        "EASY (exact limits)": (4.72, 14.7, 27.0, 2.20, 0.798),
        "EASY (limits × lognormal noise ≥ 1)": (4.37, 10.1, 26.8, 1.85, 0.798),
        "LAS +60s": (4.45, 3.5, 35.6, 1.92, 0.800),
        "SRTF +60s (clairvoyant)": (2.74, 3.5, 16.2, 0.22, 0.797),
    },
    768: {
        "FIFO": (3.42, 8.0, 17.3, 0.90, 0.671),
        "EASY (exact limits)": (2.66, 4.0, 16.6, 0.136, 0.671),
        "LAS +60s": (2.62, 3.4, 17.1, 0.094, 0.671),
        "SRTF +60s (clairvoyant)": (2.54, 3.4, 16.1, 0.019, 0.671),
    },
}

# (row label, policy, checkpoint, limits)
HELIOS_RUNS: tuple[tuple[str, str, CheckpointConfig, LimitModel], ...] = (
    ("fifo", "fifo", CheckpointConfig(), LimitModel()),
    ("easy-backfill", "easy-backfill", CheckpointConfig(), LimitModel()),
    ("easy-backfill, exact limits", "easy-backfill", CheckpointConfig(), EXACT),
    ("las, peer conditions (+60 s, no lost work)", "las", PEER, LimitModel()),
    ("srtf-est (ours)", "srtf-est", CheckpointConfig(), LimitModel()),
    ("srtf-est (ours), peer conditions", "srtf-est", PEER, LimitModel()),
)


def _row(label: str, result: ScheduleResult, wall_s: float) -> dict[str, Any]:
    s = result.summary()
    waits = result.queue_delay_s
    return {
        "label": label, "policy": result.policy, "gpus": result.gpus, "wall_s": round(wall_s, 2),
        **s.as_json(),
        "max_queue_delay_s": round(float(waits.max()), 1) if len(waits) else None,
        "p99_queue_delay_s": round(float(np.percentile(waits, 99)), 1) if len(waits) else None,
        "capped_h": round(result.capped_s / H, 2),
    }


def _run(
    label: str, trace: JobTrace, gpus: int, policy: str, options: SimOptions
) -> tuple[dict[str, Any], ScheduleResult]:
    started = time.perf_counter()
    result = simulate(trace, ClusterSpec(gpus), make_scheduler(policy), options)
    row = _row(label, result, time.perf_counter() - started)
    print(f"  {label:<45} {gpus:>4} GPUs  {row['wall_s']:6.1f} s  "
          f"JCT {row['mean_jct_s'] / H:6.2f} h  wait {row['mean_queue_delay_s'] / H:6.3f} h", flush=True)
    return row, result


def part_helios(trace: JobTrace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for gpus in (640, 768):
        rows = []
        for label, policy, checkpoint, limits in HELIOS_RUNS:
            row, _ = _run(label, trace, gpus, policy, SimOptions(checkpoint=checkpoint, limits=limits))
            rows.append(row)
        out[str(gpus)] = rows
    return out


def _chat_setup(root: Path) -> tuple[Any, ReplicaCapacity, RequestMix, np.ndarray, np.ndarray]:
    scenario = mining_site_scenario()
    service = scenario.inference_services[0]
    capacity = ReplicaCapacity.of_service(service)
    azure = load_inference(root / AZURE)
    mix = RequestMix.from_trace(azure, capacity)
    profile = diurnal_profile(load_inference(root / ALIBABA))
    return service, capacity, mix, profile, burst_pattern(azure, 10.0)


def _pool_service(
    root: Path, pool: int, span_s: float
) -> tuple[InferenceResult, LendingSchedule, dict[str, Any]]:
    service, capacity, mix, profile, burst = _chat_setup(root)
    base = TargetUtilizationAutoscaler()
    peak = pool * base.target_utilization / (1 + base.observed_margin) / mix.mean_work_s
    curve = DemandCurve.diurnal(profile, peak, span_s, 10.0, burst=burst)
    policy = dataclasses.replace(base, max_replicas=pool)
    served = simulate_inference(curve, mix, capacity, service, autoscaler=policy)
    lending = LendingPolicy().schedule(served, policy.forecast_targets(curve, mix.mean_work_s), pool)
    durations = np.diff(np.append(lending.start_s, curve.span_s))
    info = {
        "pool_replicas": pool, "peak_requests_per_s": round(peak, 2), "slo_attainment": served.slo_attainment,
        "mean_lent_nodes": float((durations * lending.lent_nodes).sum() / curve.span_s),
        "lending_changes": len(lending.start_s), "replicas_mean": served.replicas_mean,
    }
    return served, lending, info


def part_lending(root: Path, trace: JobTrace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    span = float(trace.frame["submit_s"].max()) + 60 * 86_400.0
    pool = 24
    _, lending, info = _pool_service(root, pool, span)
    out["service"] = info
    print(f"  chat service pool {pool} replicas: SLO {info['slo_attainment']:.4f}, "
          f"mean lent {info['mean_lent_nodes']:.1f} nodes", flush=True)
    for gpus in (640, 576):
        rows = []
        for policy in ("srtf-est", "easy-backfill"):
            for lend in (None, lending):
                label = f"{policy} {'with' if lend else 'without'} lending"
                row, _ = _run(label, trace, gpus, policy, SimOptions(lending=lend))
                rows.append(row)
        out[str(gpus)] = rows
    return out


def _budget(root: Path, gpus: int) -> tuple[PowerBudget, ClusterPowerModel, dict[str, Any]]:
    node = mining_site_scenario().gpu_groups[0]
    model = ClusterPowerModel(node)
    prices = load_prices(root / ERCOT, hub="HB_WEST")
    window = prices.frame.loc[TRACE_START_UTC:].iloc[:, 0].to_numpy(dtype=np.float64)
    economics = CapEconomics(figure("h100_on_demand_price").value)
    budget = budget_from_prices(window, prices.step_s, model, gpus // 8, economics)
    nameplate = gpus // 8 * node.busy_node_power_w
    per_interval = np.array([budget.at(i * prices.step_s) for i in range(len(window))])
    info = {
        "price_intervals": len(window),
        "intervals_below_nameplate": int((per_interval < nameplate - 1e-6).sum()),
        "intervals_pausing_all": int((per_interval <= gpus // 8 * node.idle_node_power_w + 1e-6).sum()),
        "min_budget_fraction": float(per_interval.min() / nameplate),
        "nameplate_mw": nameplate / 1e6,
    }
    return budget, model, info


def part_power(root: Path, trace: JobTrace) -> dict[str, Any]:
    gpus = 640
    budget, model, info = _budget(root, gpus)
    print(f"  budget: {info['intervals_below_nameplate']} of {info['price_intervals']} intervals below "
          f"nameplate, {info['intervals_pausing_all']} pausing all training", flush=True)
    rows = []
    for policy in ("srtf-est", "easy-backfill"):
        for limited in (False, True):
            options = SimOptions(power_budget=budget if limited else None, power_model=model)
            label = f"{policy} {'under the ERCOT budget' if limited else 'unconstrained'}"
            row, result = _run(label, trace, gpus, policy, options)
            row["infeasible_intervals"] = result.infeasible_intervals
            rows.append(row)
    return {"budget": info, str(gpus): rows}


def part_inference(root: Path) -> dict[str, Any]:
    service, capacity, mix, profile, burst = _chat_setup(root)
    node = mining_site_scenario().gpu_groups[0]
    curve = DemandCurve.diurnal(profile, service.peak_requests_per_s, 7 * 86_400.0, 1.0, burst=burst)
    policy = TargetUtilizationAutoscaler()
    static_n = policy.static_replicas(curve, mix.mean_work_s)
    policy = dataclasses.replace(policy, max_replicas=static_n)
    rows = {}
    runs = (("autoscaled", {"autoscaler": policy}), ("static peak", {"static_replicas": static_n}))
    for label, kwargs in runs:
        started = time.perf_counter()
        r = simulate_inference(curve, mix, capacity, service, node=node, **kwargs)  # type: ignore[arg-type]
        rows[label] = {
            "slo_attainment": r.slo_attainment, "gpu_hours": r.gpu_hours, "energy_mwh": r.energy_mwh,
            "replicas_max": r.replicas_max, "replicas_mean": r.replicas_mean, "requests": r.requests,
            "p99_wait_s": r.p99_wait_s, "mean_utilization": r.mean_utilization,
            "wall_s": round(time.perf_counter() - started, 2),
        }
        print(f"  {label:<12} SLO {r.slo_attainment:.4f}  GPU-h {r.gpu_hours:,.0f}  "
              f"MWh {r.energy_mwh:.1f}", flush=True)
    auto, static = rows["autoscaled"], rows["static peak"]
    return {
        "service": {
            "name": service.name, "peak_requests_per_s": service.peak_requests_per_s,
            "ttft_slo_s": service.ttft_slo_s, "scale_up_delay_s": service.scale_up_delay_s,
            "mean_work_replica_s": mix.mean_work_s, "days": 7,
        },
        "runs": rows,
        "gpu_hours_saved": static["gpu_hours"] - auto["gpu_hours"],
        "mwh_to_mining": static["energy_mwh"] - auto["energy_mwh"],
    }


# --- Markdown --------------------------------------------------------------------------------------
def _fmt(row: dict[str, Any]) -> str:
    return (f"{row['mean_jct_s'] / H:.2f} | {row['median_jct_s'] / 60:.1f} | {row['p95_jct_s'] / H:.1f} | "
            f"{row['mean_queue_delay_s'] / H:.3f} | {row['utilization']:.3f}")


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    helios = results.get("helios")
    if helios:
        lines += ["### Helios Venus, 125,303 jobs, 8 GPUs per node", ""]
        for gpus, rows in helios.items():
            lines += [
                f"**{gpus} GPUs**", "",
                "| run | mean JCT h | median JCT min | p95 JCT h | mean wait h | util | preemptions | "
                "max wait h | wall s |", "|---|---|---|---|---|---|---|---|---|",
            ]
            for r in rows:
                lines.append(f"| {r['label']} | {_fmt(r)} | {r['preemptions']:,} | "
                             f"{r['max_queue_delay_s'] / H:.0f} | {r['wall_s']:.1f} |")
            for label, (jct, med, p95, wait, util) in PEER_ANCHORS[int(gpus)].items():
                lines.append(
                    f"| *peer: {label}* | {jct:.2f} | {med:g} | {p95:.1f} | {wait:g} | {util:.3f} | | | |"
                )
            by = {r["label"]: r for r in rows}
            ours, fifo, easy = by["srtf-est (ours)"], by["fifo"], by["easy-backfill"]
            lines += ["", (
                f"Ours vs fifo: mean JCT {1 - ours['mean_jct_s'] / fifo['mean_jct_s']:.0%} lower, "
                f"mean wait {fifo['mean_queue_delay_s'] / ours['mean_queue_delay_s']:.1f}× lower. "
                "Ours vs easy-backfill: "
                f"mean JCT {1 - ours['mean_jct_s'] / easy['mean_jct_s']:.0%} lower, mean wait "
                f"{easy['mean_queue_delay_s'] / ours['mean_queue_delay_s']:.1f}× lower."
            ), ""]
    lending = results.get("lending")
    if lending:
        s = lending["service"]
        lines += ["### Lending idle inference nodes to training", "", (
            f"Chat service pool: {s['pool_replicas']} replicas of 8 GPUs "
            f"(peak {s['peak_requests_per_s']:.0f} req/s), SLO attainment {s['slo_attainment']:.4f} "
            "(identical with or without lending: "
            f"taken-back nodes are freed at once), on average {s['mean_lent_nodes']:.1f} nodes lent."
        ), ""]
        for gpus, rows in lending.items():
            if gpus == "service":
                continue
            lines += [f"**{gpus} training GPUs + the pool**", "",
                      "| run | mean JCT h | median JCT min | p95 JCT h | mean wait h | util | preemptions | "
                      "reclaims | lost GPU-h |", "|---|---|---|---|---|---|---|---|---|"]
            for r in rows:
                lines.append(f"| {r['label']} | {_fmt(r)} | {r['preemptions']:,} | {r['reclaims']:,} | "
                             f"{r['lost_work_gpu_hours']:,.0f} |")
            for policy in ("srtf-est", "easy-backfill"):
                alone = next(r for r in rows if r["label"] == f"{policy} without lending")
                lent = next(r for r in rows if r["label"] == f"{policy} with lending")
                lines.append(
                    f"\n{policy}: lending cuts mean JCT by "
                    f"{1 - lent['mean_jct_s'] / alone['mean_jct_s']:.0%} "
                    f"and mean wait {alone['mean_queue_delay_s'] / lent['mean_queue_delay_s']:.1f}×."
                )
            lines.append("")
    power = results.get("power")
    if power:
        b = power["budget"]
        lines += ["### ERCOT HB_WEST 2023 power budget (640 GPUs)", "", (
            f"{b['intervals_below_nameplate']} of {b['price_intervals']} 15-min intervals below nameplate, "
            f"{b['intervals_pausing_all']} pausing all training (budget down to "
            f"{b['min_budget_fraction']:.0%} of {b['nameplate_mw']:.3f} MW)."
        ), "", "| run | mean JCT h | median JCT min | p95 JCT h | mean wait h | util | pauses | capped h | "
            "violations | MWh |", "|---|---|---|---|---|---|---|---|---|---|"]
        rows = power["640"]
        for r in rows:
            lines.append(f"| {r['label']} | {_fmt(r)} | {r['pauses']:,} | {r['capped_h']:.0f} | "
                         f"{r['budget_violations']} | {r['energy_mwh']:,.0f} |")
        for policy in ("srtf-est", "easy-backfill"):
            free = next(r for r in rows if r["label"] == f"{policy} unconstrained")
            cut = next(r for r in rows if r["label"] == f"{policy} under the ERCOT budget")
            lines.append(f"\n{policy}: JCT inflation {cut['mean_jct_s'] / free['mean_jct_s'] - 1:+.1%}.")
        lines.append("")
    inference = results.get("inference")
    if inference:
        svc = inference["service"]
        lines += ["### Inference autoscaling (chat-70b, one week)", "", (
            f"Peak {svc['peak_requests_per_s']:g} req/s, TTFT SLO {svc['ttft_slo_s']:g} s, scale-up delay "
            f"{svc['scale_up_delay_s']:g} s, {svc['mean_work_replica_s']:.3f} replica-s per request."
        ), "", "| provisioning | SLO attainment | GPU-hours | MWh | replicas max / mean | p99 wait s |",
            "|---|---|---|---|---|---|"]
        for label, r in inference["runs"].items():
            lines.append(f"| {label} | {r['slo_attainment']:.4f} | {r['gpu_hours']:,.0f} | "
                         f"{r['energy_mwh']:.1f} | {r['replicas_max']} / {r['replicas_mean']:.1f} | "
                         f"{r['p99_wait_s']:.2f} |")
        lines += ["", f"GPU-hours freed for training: {inference['gpu_hours_saved']:,.0f}; "
                      f"MWh handed to mining: {inference['mwh_to_mining']:.1f}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="helios,lending,power,inference")
    parser.add_argument("--quick", action="store_true", help="first 20,000 jobs only")
    args = parser.parse_args(argv)
    root = data_root()
    if root is None or not root.is_dir():
        print(f"set {DATA_ENV_VAR} to the shared data folder", file=sys.stderr)
        return 2
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    trace = load_jobs(root / HELIOS)
    if args.quick:
        trace = first_jobs(trace, 20_000)
    keep = JSON_OUT.exists() and not args.quick
    previous: dict[str, Any] = json.loads(JSON_OUT.read_text()) if keep else {}
    results: dict[str, Any] = dict(previous.get("results", {}))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    for part in parts:
        print(f"[{part}]", flush=True)
        if part == "helios":
            results["helios"] = part_helios(trace)
        elif part == "lending":
            results["lending"] = part_lending(root, trace)
        elif part == "power":
            results["power"] = part_power(root, trace)
        elif part == "inference":
            results["inference"] = part_inference(root)
        else:
            print(f"unknown part {part!r}", file=sys.stderr)
            return 2
    payload = {
        "quick": args.quick,
        "jobs": len(trace.frame),
        "runs": [*previous.get("runs", []), {
            "started_utc": started, "parts": parts,
            "command": "python benchmarks/bench_scheduling.py " + " ".join(argv or sys.argv[1:]),
            "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }],
        "machine": {
            "nproc": os.cpu_count(), "load_average_at_start": list(os.getloadavg()),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "pandas": pd.__version__,
        },
        "results": results,
    }
    table = markdown(results)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        JSON_OUT.write_text(json.dumps(payload, indent=2) + "\n")
        MD_OUT.write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
