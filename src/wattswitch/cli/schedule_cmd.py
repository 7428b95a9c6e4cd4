"""``wattswitch schedule``: run a GPU training-job trace through scheduling policies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from wattswitch import json_safe
from wattswitch.cli.options import check_input_files, check_names, given, split_names
from wattswitch.cli.render import number, print_table, print_text, value_column
from wattswitch.data.jobs import load_jobs
from wattswitch.errors import InputError
from wattswitch.scheduling.config import CheckpointConfig, ClusterSpec, LimitModel
from wattswitch.scheduling.metrics import ScheduleSummary
from wattswitch.scheduling.policies import BASELINES, OURS, POLICY_NAMES, make_scheduler
from wattswitch.scheduling.simulator import SimOptions, first_jobs, simulate

COMPARED = (*BASELINES, OURS)
S_PER_HOUR = 3600.0
S_PER_MIN = 60.0


JobsOption = Annotated[
    Path,
    typer.Option("--jobs", metavar="FILE",
                 help="Job trace CSV (Helios, or any with submit, duration and GPUs)."),
]
DEFAULT_POLICY = [OURS]


def schedule(
    ctx: typer.Context,
    *,
    jobs: JobsOption,
    gpus: Annotated[
        int, typer.Option("--gpus", metavar="N", help="GPUs in the cluster (whole nodes).")
    ] = 640,
    gpus_per_node: Annotated[
        int, typer.Option("--gpus-per-node", metavar="N", help="GPUs per node.")
    ] = 8,
    policy: Annotated[
        list[str],
        typer.Option("--policy", "-p", metavar="POLICY",
                     help=f"Scheduling policy: {', '.join(POLICY_NAMES)}; repeat or comma-separate for "
                          "several on the same trace."),
    ] = DEFAULT_POLICY,
    compare: Annotated[
        bool, typer.Option("--compare", help=f"Run {', '.join(COMPARED)} on the same trace.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit_jobs: Annotated[
        int | None,
        typer.Option("--limit-jobs", metavar="N", help="Only the first N jobs by submit time (default: all).",
                     min=1),
    ] = None,
    limit_noise: Annotated[
        float,
        typer.Option("--limit-noise", metavar="SIGMA", min=0,
                     help="σ of the user time-limit noise (0: exact limits)."),
    ] = LimitModel().sigma,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Seed of the time-limit draw.")] = 0,
    checkpoint_s: Annotated[
        float,
        typer.Option("--checkpoint-s", metavar="SECONDS", min=0,
                     help="Checkpoint interval, s of work (0: continuous)."),
    ] = CheckpointConfig().interval_s,
    restart_s: Annotated[
        float,
        typer.Option("--restart-s", metavar="SECONDS", help="Restart overhead after a preemption, s.", min=0),
    ] = CheckpointConfig().restart_overhead_s,
) -> None:
    """Simulate the trace on a cluster of GPU nodes; print JCT, queueing delay, utilisation, preemptions."""
    if compare and given(ctx, "policy"):
        raise InputError("--policy/--compare", "exclude each other",
                         expected="--compare for the usual set, or --policy NAME (repeated) for your own")
    names = list(COMPARED) if compare else split_names(policy)
    check_names(names, POLICY_NAMES)
    schedulers = [make_scheduler(name) for name in names]  # unknown names fail before loading
    cluster = _cluster(gpus, gpus_per_node, per_node_given=given(ctx, "gpus_per_node"))
    check_input_files({"--jobs": jobs})
    trace = load_jobs(jobs)
    if limit_jobs is not None:
        trace = first_jobs(trace, limit_jobs)
    options = SimOptions(
        checkpoint=CheckpointConfig(checkpoint_s, restart_s),
        limits=LimitModel(sigma=limit_noise, seed=seed),
    )
    summaries: dict[str, ScheduleSummary] = {}
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
        console=console, disable=as_json or not console.is_terminal, transient=True,
    ) as bar:
        for scheduler in schedulers:
            task = bar.add_task(f"{scheduler.name:<14}", total=len(trace.frame))

            def advance(done: int, _total: int, task: TaskID = task) -> None:
                bar.update(task, completed=done)

            result = simulate(trace, cluster, scheduler, options, progress=advance)
            bar.update(task, completed=len(trace.frame))
            summaries[scheduler.name] = result.summary()
    if as_json:
        payload = {
            "trace": {
                "source": str(jobs),
                "jobs": len(trace.frame),
                "cpu_only_jobs_left_out": trace.cpu_only_jobs_left_out,
            },
            "cluster": {"gpus": gpus, "gpus_per_node": gpus_per_node},
            "policies": {name: s.as_json() for name, s in summaries.items()},
        }
        typer.echo(json_safe.dumps(payload, indent=2))
        return
    console = Console()
    for line in _header(jobs, len(trace.frame), cluster, options, policies=list(summaries),
                        limit_jobs=limit_jobs):
        print_text(console, line, indent=4)
    too_big = trace.frame["gpus"] > cluster.gpus
    if too_big.any():
        largest = int(trace.frame["gpus"].max())
        count = int(too_big.sum())
        print_text(console, f"[yellow]note:[/] {count:,} job(s) ask for more GPUs than the cluster has "
                   f"(up to {largest:,} > {cluster.gpus:,}): rejected by every policy", indent=6)
    if trace.cpu_only_jobs_left_out:
        print_text(console, f"[yellow]note:[/] {trace.cpu_only_jobs_left_out:,} rows asking for 0 GPUs "
                   "left out (CPU-only jobs)", indent=6)
    console.print()
    title = f"{len(trace.frame):,} jobs on {gpus} GPUs ({gpus_per_node} per node)"
    print_table(console, _table(summaries, title))
    print_text(console, "time to finish: from submit to end, waiting included; GPUs busy: share of the "
               "cluster's GPU-hours in use", indent=2)


def _nodes(count: int) -> str:
    return f"{count:,} node" if count == 1 else f"{count:,} nodes"


def _header(path: Path, jobs: int, cluster: ClusterSpec, options: SimOptions, *,
            policies: list[str], limit_jobs: int | None) -> list[str]:
    """Lines (markup) saying what was scheduled: the trace, the cluster, the policies, the assumptions."""
    first = f", the first {limit_jobs:,} by submit time" if limit_jobs is not None else ""
    checkpoint = options.checkpoint
    every = (f"every {number(checkpoint.interval_s / S_PER_MIN, 1)} min of work" if checkpoint.interval_s
             else "continuously")
    return [
        f"[bold]Scheduled:[/] {escape(str(path))} ({jobs:,} jobs{first})",
        f"[bold]Cluster:[/] {cluster.gpus:,} GPUs ({_nodes(cluster.gpus // cluster.gpus_per_node)} of "
        f"{cluster.gpus_per_node})",
        f"[bold]Policies:[/] {', '.join(policies)}",
        f"[bold]Assumptions:[/] users' time limits off by a log-normal σ {options.limits.sigma:g} "
        f"(seed {options.limits.seed}); checkpoints {every}, {number(checkpoint.restart_overhead_s)} s "
        "to restart after a preemption",
    ]


def _cluster(gpus: int, gpus_per_node: int, *, per_node_given: bool) -> ClusterSpec:
    """The cluster ``--gpus`` and ``--gpus-per-node`` describe; a mismatch names the flags."""
    per_node = f"--gpus-per-node {gpus_per_node}" if per_node_given else f"{gpus_per_node} GPUs per node"
    if gpus_per_node < 1:
        raise InputError(f"--gpus-per-node {gpus_per_node}", "a node needs at least one GPU",
                         expected="--gpus-per-node 1 or more, e.g. 8")
    if gpus < gpus_per_node:
        raise InputError(f"--gpus {gpus}", f"fewer GPUs than one node ({per_node})",
                         expected=f"--gpus {gpus_per_node} or more")
    if gpus % gpus_per_node:
        below, above = gpus - gpus % gpus_per_node, gpus - gpus % gpus_per_node + gpus_per_node
        raise InputError(f"--gpus {gpus}", f"not a multiple of {per_node}",
                         expected=f"whole nodes, e.g. --gpus {below} or --gpus {above}"
                         if below else f"whole nodes, e.g. --gpus {above}")
    return ClusterSpec(gpus=gpus, gpus_per_node=gpus_per_node)


def _table(summaries: dict[str, ScheduleSummary], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("policy", style="bold")
    for header in ("jobs", "mean time to finish (h)", "median time to finish (min)",
                   "p95 time to finish (h)", "mean wait (h)", "GPUs busy", "preempted"):
        value_column(table, header)
    for name, s in summaries.items():
        table.add_row(
            name, f"{s.jobs:,}", number(s.mean_jct_s / S_PER_HOUR, 2), number(s.median_jct_s / S_PER_MIN, 1),
            number(s.p95_jct_s / S_PER_HOUR, 1), number(s.mean_queue_delay_s / S_PER_HOUR, 3),
            f"{s.utilization:.3f}", f"{s.preemptions:,}",
        )
    return table
