"""Benchmark live control: how fast a demand-response trigger reaches the equipment.

Usage (from the repository root)::

    python benchmarks/bench_control.py                    # every part (miners: 1,000 fake miners)
    python benchmarks/bench_control.py --only miners --miners 200
    python benchmarks/bench_control.py --only controller  # the whole controller answering a DR event

Pausing Slurm jobs is measured by ``benchmarks/bench_slurm.py`` (it needs a Slurm cluster).

**miners**: ``--miners`` protocol-faithful fake LuxOS miners (wattswitch.control.fake_miner) on
their own loopback addresses, port 4028, served from a child process (so the farm and the
client do not share one core's event loop). Measured in the same run:

* discovery: ``PyasicFleet.discover()`` (concurrent ``pyasic.get_miner``) vs pyasic's own
  ``MinerNetwork.from_list(...).scan()``;
* demand response: time from the trigger to every stop acknowledged with
  ``PyasicFleet.send([stop …])`` vs a plain sequential pyasic loop
  (``for m in miners: await m.stop_mining()``), each verified on the farm's meter;
* the same for resume.

**controller**: ``wattswitch control demo`` at ``--miners``: the controller (threshold policy,
SQLite journal, replayed prices) answers a demand-response event posted to its store; measured:
trigger → every reduction answered, trigger → the farm's meter under target, and the highest
load after. Once with every miner healthy, once with 10 failing, 10 hanging and 10 lying.

The miners part runs once on bare loopback and once with every fake answering after ``--reply-delay-ms`` (a
stand-in for LAN round trip plus firmware time; real miners answer in milliseconds to tens of
milliseconds), since on bare loopback a sequential loop is unrealistically cheap.

Results go to ``benchmarks/results/control.json`` (sections of parts not run are kept); the
table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from wattswitch.control.farm_process import FakeMinerFarmProcess
from wattswitch.control.miner_sending import FleetSettings, raise_fd_limit
from wattswitch.model.equipment import MinerCommand

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pyasic 0.79 warns on import
    import pyasic  # type: ignore[import-untyped]
    from pyasic.network import MinerNetwork  # type: ignore[import-untyped]

    from wattswitch.control.pyasic_fleet import PyasicFleet

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "control.json"
GOAL_S = 1.0


async def _timed(coro: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = await coro
    return result, time.perf_counter() - start


def bench_miners(count: int, concurrency: int, reply_delay_s: float = 0.0) -> dict[str, Any]:
    """Discovery and demand response for ``count`` fake miners; PyasicFleet vs plain pyasic."""
    raise_fd_limit(4 * count + 256)
    settings = FleetSettings(timeout_s=5.0, retries=2, concurrency=concurrency)
    # pyasic's scan has no concurrency limit by default: all 1,000 identifications at once miss
    # its own 3 s timeouts on 2 cores and it finds nothing; give it the limit PyasicFleet uses.
    pyasic.settings.update("network_scan_semaphore", settings.discovery_concurrency)
    nameplate_w, sleep_w = 3010.0, 0.03 * 3010.0
    with FakeMinerFarmProcess(count, reply_delay_s=reply_delay_s) as farm:
        addresses = farm.addresses
        assert farm.total_power_w() == count * nameplate_w

        async def run() -> dict[str, Any]:
            fleet = PyasicFleet(addresses, settings=settings)
            found, discover_s = await _timed(fleet.discover())
            assert len(found) == count, list(fleet.discovery_errors.values())[:3]
            plain, plain_discover_s = await _timed(MinerNetwork.from_list(addresses).scan())
            assert len(plain) == count, f"MinerNetwork.scan() found {len(plain)} of {count}"

            stop = [MinerCommand(a, "stop") for a in addresses]
            resume = [MinerCommand(a, "resume") for a in addresses]
            requests_before = farm.requests()
            results, stop_s = await _timed(fleet.send(stop))
            requests_stop = farm.requests() - requests_before
            acked = sum(r.ok for r in results)
            meter_stopped = farm.total_power_w()
            results, resume_s = await _timed(fleet.send(resume))
            acked_resume = sum(r.ok for r in results)
            meter_resumed = farm.total_power_w()
            # a second DR round: sessions already known (the steady state of a running controller)
            results, stop2_s = await _timed(fleet.send(stop))
            assert all(r.ok for r in results)
            await fleet.send(resume)

            async def sequential(method: str) -> int:
                ok = 0
                for miner in plain:
                    ok += bool(await getattr(miner, method)())
                return ok

            seq_acked, seq_stop_s = await _timed(sequential("stop_mining"))
            meter_seq = farm.total_power_w()
            seq_resumed, seq_resume_s = await _timed(sequential("resume_mining"))
            return {
                "discover_s": discover_s, "plain_scan_s": plain_discover_s,
                "stop_s": stop_s, "stop_acknowledged": acked, "stop_rpc_requests": requests_stop,
                "meter_after_stop_w": meter_stopped, "resume_s": resume_s,
                "resume_acknowledged": acked_resume,
                "meter_after_resume_w": meter_resumed, "stop_again_s": stop2_s,
                "sequential_stop_s": seq_stop_s, "sequential_stop_acknowledged": seq_acked,
                "meter_after_sequential_stop_w": meter_seq, "sequential_resume_s": seq_resume_s,
                "sequential_resume_acknowledged": seq_resumed, "counters": asdict(fleet.counters()),
            }

        measured = asyncio.run(run())
    measured["count"] = count
    measured["concurrency"] = concurrency
    measured["reply_delay_s"] = reply_delay_s
    measured["expected_meter_stopped_w"] = count * sleep_w
    measured["expected_meter_mining_w"] = count * nameplate_w
    measured["stop_goal_s"] = GOAL_S
    measured["stop_speedup_vs_sequential"] = measured["sequential_stop_s"] / measured["stop_s"]
    measured["discover_speedup_vs_pyasic_scan"] = measured["plain_scan_s"] / measured["discover_s"]
    return measured


def miners_table(m: dict[str, Any]) -> str:
    n = m["count"]
    rows = [
        ("discovery", "PyasicFleet.discover()", m["discover_s"], "MinerNetwork.scan()", m["plain_scan_s"]),
        ("DR stop, all acknowledged", "PyasicFleet.send(stop)", m["stop_s"], "sequential stop_mining()",
         m["sequential_stop_s"]),
        ("resume, all acknowledged", "PyasicFleet.send(resume)", m["resume_s"], "sequential resume_mining()",
         m["sequential_resume_s"]),
    ]
    lines = [
        f"Live control, miners: {n} fake LuxOS miners over TCP (farm in a child process), "
        f"concurrency {m['concurrency']}, reply delay {m['reply_delay_s'] * 1000:g} ms per request",
        "",
        "| step | wattswitch | s | baseline (same run) | s | ratio |",
        "|---|---|---:|---|---:|---:|",
    ]
    for step, ours, ours_s, base, base_s in rows:
        lines.append(f"| {step} | {ours} | {ours_s:.3f} | {base} | {base_s:.3f} | {base_s / ours_s:.1f}× |")
    lines += [
        "",
        f"- stop acknowledged: {m['stop_acknowledged']}/{n} (goal ≤ {m['stop_goal_s']:g} s: "
        f"{'met' if m['stop_s'] <= m['stop_goal_s'] else 'NOT met'}); second DR round (sessions known): "
        f"{m['stop_again_s']:.3f} s",
        f"- meter after stop: {m['meter_after_stop_w'] / 1000:.1f} kW (expected "
        f"{m['expected_meter_stopped_w'] / 1000:.1f} kW); "
        f"after resume: {m['meter_after_resume_w'] / 1000:.1f} kW",
        f"- sequential baseline acknowledged {m['sequential_stop_acknowledged']}/{n}; meter after it "
        f"{m['meter_after_sequential_stop_w'] / 1000:.1f} kW",
    ]
    return "\n".join(lines)


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "pyasic": version("pyasic"),
    }


PARTS: dict[str, Callable[[argparse.Namespace], tuple[dict[str, Any], str]]] = {}


def _miners_part(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    delays_ms = [float(d) for d in str(args.reply_delay_ms).split(",") if d.strip()]
    runs = [bench_miners(args.miners, args.concurrency, delay / 1000.0) for delay in delays_ms]
    return {"runs": runs}, "\n\n".join(miners_table(run) for run in runs)


PARTS["miners"] = _miners_part


def _controller_part(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The whole controller answering a DR event: `wattswitch control demo` at ``--miners``."""
    from wattswitch.control.demo import run_demo  # noqa: PLC0415

    runs = []
    for faulty in ({}, {"fail": 10, "hang": 10, "lie": 10}):
        started = time.perf_counter()
        result = asyncio.run(run_demo(args.miners, say=lambda _line: None, **faulty))
        record = {k: v for k, v in asdict(result).items() if k not in ("decisions", "failures")}
        record["wall_s"] = time.perf_counter() - started
        runs.append(record)
    lines = [
        f"DR event through the whole controller (pyasic over TCP, farm in a child process), "
        f"{args.miners} miners",
        "",
        "| faulty miners | trigger → every reduction answered | trigger → metered load under target "
        "| sent / acknowledged / failed | extra stops | over target after |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        faults = ", ".join(f"{k} {v}" for k, v in r["faulty"].items() if v) or "none"
        reached = "not reached" if r["time_to_target_s"] is None else f"{r['time_to_target_s']:.2f} s"
        lines.append(
            f"| {faults} | {r['trigger_to_acks_s']:.2f} s | {reached} | {r['sent']} / {r['acknowledged']} / "
            f"{r['failed']} | {r['emergency_stops']} | {r['max_over_cap_mw']:.3f} MW |"
        )
    return {"runs": runs}, "\n".join(lines)


PARTS["controller"] = _controller_part


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", default="miners,controller",
                        help="comma-separated parts: miners, controller")
    parser.add_argument("--miners", type=int, default=1000, help="fake miners (default 1000)")
    parser.add_argument("--concurrency", type=int, default=1024,
                        help="PyasicFleet command concurrency (default 1024)")
    parser.add_argument("--reply-delay-ms", default="0,5",
                        help="comma-separated latencies (ms) each fake miner adds before answering; one "
                        "run each (default 0,5: bare loopback, then a LAN-and-firmware-like 5 ms)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    wanted = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results["machine"] = _machine()
    for part in wanted:
        measured, table = PARTS[part](args)
        measured["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results[part] = measured
        print(table)
        print()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
