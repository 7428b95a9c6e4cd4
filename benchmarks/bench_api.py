"""Benchmark the service: requests/s and p50/p99 latency of the API's read endpoints, and the time
to store a year of hourly series.

Usage (from the repository root)::

    python benchmarks/bench_api.py               # 400 requests per endpoint (sequential) + 4 clients
    python benchmarks/bench_api.py --quick       # 60 requests per endpoint

``wattswitch serve`` runs in a subprocess on a fresh SQLite file on 127.0.0.1 (a free port),
filled through the API: the default scenario, a week-long comparison run (always-on, threshold,
mpc, oracle), a plan of examples/sites/permian-200.toml, a tenant with 90 days of metered usage.
Each endpoint is then read ``--requests`` times by one keep-alive client (latency percentiles)
and the same count again by 4 concurrent clients (throughput). ``/health`` (no key, no
database) is the baseline: each endpoint's p50 is also given as a ratio to it, measured in the
same run. Request counts are bounded; the server is stopped at the end. Results go to
``benchmarks/results/api.json``; the table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "api.json"
API = "/api/v1"
CLIENTS = 4


def machine() -> dict[str, Any]:
    """The Python, platform and CPU count a figure was measured on."""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(database: Path, port: int) -> tuple[subprocess.Popen[str], str, str]:
    """``wattswitch serve`` on ``port``: the process, the first admin key and the base URL."""
    command = [
        sys.executable,
        "-c",
        "from wattswitch.cli.main import main; main()",
        "serve",
        "--port",
        str(port),
        "--database-url",
        str(database),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=database.parent
    )
    assert process.stdout is not None
    key = None
    deadline = time.monotonic() + 60
    while key is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("wattswitch serve exited")
        if "admin API key" in line:
            key = line.split(": ", 1)[1].strip()
    if key is None:
        process.terminate()
        raise RuntimeError("no admin key printed")
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}{API}/health", timeout=1).status_code == 200:
                return process, key, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("server did not answer")


def _fill(client: httpx.Client) -> dict[str, int]:
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"{API}{path}", json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    run = post(
        "/runs",
        {"scenario_id": 1, "policies": ["threshold", "mpc"], "start": "2025-07-01", "end": "2025-07-08"},
    )["id"]
    site_toml = (ROOT / "examples" / "sites" / "permian-200.toml").read_text()
    plan = post("/plans", {"site_id": 1, "assessment_toml": site_toml})["id"]
    tenant = post("/tenants", {"name": "Helix AI"})["id"]
    post(
        f"/tenants/{tenant}/reservations",
        {
            "gpu_group": "h100-hall",
            "node_count": 128,
            "price_usd_per_gpu_hour": 2.1,
            "starts_on": "2025-01-01",
        },
    )
    first = date(2025, 4, 1)
    for i in range(90):
        post(
            f"/tenants/{tenant}/usage",
            {
                "day": (first + timedelta(days=i)).isoformat(),
                "gpu_hours": 20_000.0,
                "unavailable_gpu_hours": 3.0,
            },
        )
    deadline = time.monotonic() + 300
    while client.get(f"{API}/runs/{run}").json()["status"] != "succeeded":
        if time.monotonic() > deadline:
            raise RuntimeError("the run did not finish")
        time.sleep(0.2)
    return {"run": run, "plan": plan, "tenant": tenant}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(round(q * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


def _measure(base: str, key: str, path: str, params: dict[str, Any] | None, count: int) -> dict[str, Any]:
    headers = {"X-API-Key": key}
    latencies: list[float] = []
    size = 0
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        client.get(path, params=params).raise_for_status()  # warm-up
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(path, params=params)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            size = len(response.content)

    per_client = max(count // CLIENTS, 1)
    failures: list[int] = []

    def hammer() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for _ in range(per_client):
                response = client.get(path, params=params)
                if response.status_code != 200:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=hammer) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{path}: {len(failures)} failed requests")
    return {
        "requests": count,
        "bytes": size,
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "sequential_rps": round(count / sum(latencies), 1),
        "concurrent_rps": round(per_client * CLIENTS / elapsed, 1),
    }


def _store_a_year() -> dict[str, Any]:
    """Seconds to write (one transaction) and read back a year of hourly series: 4 policies × 20."""
    from wattswitch.api.bootstrap import bootstrap  # noqa: PLC0415
    from wattswitch.store import repo  # noqa: PLC0415
    from wattswitch.store.db import Store  # noqa: PLC0415
    from wattswitch.store.series import Series  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        store = Store(str(Path(folder) / "year.db"))
        store.upgrade()
        bootstrap(store)
        with store.write() as session:
            run_id = repo.create_run(session, 1, ["mpc"], {}).id
        start = datetime(2025, 1, 1, 6, tzinfo=UTC)
        values = [round(50 + 40 * ((i * 7919) % 97) / 97, 3) for i in range(8760)]
        series = [
            Series(p, f"series_{n}", "MW", start, 3600, values)
            for p in ("always-on", "threshold", "mpc", "oracle")
            for n in range(20)
        ]
        began = time.perf_counter()
        with store.write() as session:
            repo.finish_run(session, run_id, {"policies": {}}, series)
        written = time.perf_counter() - began
        began = time.perf_counter()
        with store.read() as session:
            count = sum(len(r.values) for r in repo.run_series(session, run_id))
        read = time.perf_counter() - began
        size = (Path(folder) / "year.db").stat().st_size
        store.dispose()
    return {
        "series": len(series),
        "values": count,
        "write_s": round(written, 3),
        "read_s": round(read, 3),
        "database_mb": round(size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--quick", action="store_true", help="60 requests per endpoint")
    args = parser.parse_args()
    count = 60 if args.quick else max(20, min(args.requests, 5000))
    with tempfile.TemporaryDirectory() as folder:
        process, key, base = _start_server(Path(folder) / "bench.db", _free_port())
        try:
            with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
                ids = _fill(client)
            endpoints: list[tuple[str, str, dict[str, Any] | None]] = [
                ("health (baseline)", f"{API}/health", None),
                ("list sites", f"{API}/sites", None),
                ("run status", f"{API}/runs/{ids['run']}", None),
                ("run metrics", f"{API}/runs/{ids['run']}/metrics", None),
                ("run series (mpc, a week hourly)", f"{API}/runs/{ids['run']}/series", {"policy": "mpc"}),
                ("compare runs", f"{API}/compare", {"run_ids": [ids["run"]]}),
                ("list runs", f"{API}/runs", None),
                ("plan", f"{API}/plans/{ids['plan']}", None),
                ("tenant usage (90 days, SLA)", f"{API}/tenants/{ids['tenant']}/usage", None),
            ]
            results = {name: _measure(base, key, path, params, count) for name, path, params in endpoints}
        finally:
            process.terminate()
            process.communicate(timeout=30)
    baseline = results["health (baseline)"]["p50_ms"]
    for row in results.values():
        row["p50_vs_health"] = round(row["p50_ms"] / baseline, 2) if baseline else None
    year = _store_a_year()
    payload = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "server": "wattswitch serve (uvicorn, 1 process) on SQLite, 127.0.0.1",
        "requests_per_endpoint": count,
        "concurrent_clients": CLIENTS,
        "endpoints": results,
        "store_a_year_of_series": year,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(
        f"| endpoint | p50 ms | p99 ms | ×health p50 | req/s (1 client) | req/s ({CLIENTS} clients) | bytes |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['p50_ms']} | {r['p99_ms']} | {r['p50_vs_health']} | {r['sequential_rps']} | "
            f"{r['concurrent_rps']} | {r['bytes']:,} |"
        )
    print(
        f"\nA year of hourly series ({year['series']} series, {year['values']:,} values): written in "
        f"{year['write_s']} s, read in {year['read_s']} s; database {year['database_mb']} MB."
    )
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
