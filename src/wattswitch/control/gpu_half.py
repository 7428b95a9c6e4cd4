"""The GPU half of a decision, live: the on-demand training budget met with one uniform GPU power
cap first and pauses second, by the simulator's own :func:`~wattswitch.scheduling.power.plan_power`.

Pure functions (no I/O). Which GPUs are on-demand is Slurm's partition rule (``GpuJob.preemptible``:
the job's partition is one of ``preemptible_partitions``); every other job is a reserved tenant or
inference and is never capped nor paused. Caps are set per node, so the **on-demand pool** is the
nodes that are up and on which no such job holds GPUs. A preemptible job sharing a node with a
tenant cannot be capped without capping the tenant: it runs uncapped, and is paused whenever the
plan caps (so the uniform-cap arithmetic stays true).

Pausing is ``scontrol suspend``: the job stops in place and loses no work (a requeue would restart
it from its last checkpoint and free its GPUs, but the node stays up at idle power either way, so
requeueing saves no more power and loses the work since the checkpoint). With no work lost, what a
pause costs is the GPU time it stops, so :func:`choose_pauses` pauses as few GPUs beyond the need
as it can, newest job first among equals (Slurm does not say when a job last checkpointed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from wattswitch.model.equipment import GpuJob, GpuNode
from wattswitch.scheduling.power import ClusterPowerModel, plan_power

NODE_STATES_DOWN = ("down", "drained")


@dataclass(frozen=True)
class PoolJob:
    """A preemptible job that runs or is paused; ``shared``: on a node a tenant also uses."""

    job_id: str
    gpus: int
    running: bool
    shared: bool
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Pool:
    """The on-demand pool as Slurm shows it: capped nodes, and the preemptible jobs to budget."""

    nodes: tuple[str, ...]
    jobs: tuple[PoolJob, ...]

    def busy_gpus(self, node: str) -> float:
        """GPUs of running preemptible jobs on one pool node (a job's GPUs split evenly)."""
        return sum(j.gpus / len(j.nodes) for j in self.jobs if j.running and node in j.nodes)

    @property
    def running_gpus(self) -> int:
        """GPUs of running preemptible jobs."""
        return sum(j.gpus for j in self.jobs if j.running)

    @property
    def shared_running_gpus(self) -> int:
        """GPUs of running preemptible jobs that cannot be capped (on a tenant's node)."""
        return sum(j.gpus for j in self.jobs if j.running and j.shared)


def pool_of(jobs: Sequence[GpuJob], nodes: Sequence[GpuNode]) -> Pool:
    """The on-demand pool: up nodes no reserved-tenant or inference job holds, and the preemptible
    jobs running or suspended anywhere."""
    held = {
        n for j in jobs if not j.preemptible and j.state in ("running", "suspended", "completing")
        for n in j.nodes
    }
    up = tuple(sorted(n.name for n in nodes if n.state not in NODE_STATES_DOWN and n.name not in held))
    pool_jobs = tuple(
        PoolJob(j.job_id, j.gpu_count, j.state == "running", bool(set(j.nodes) & held), j.nodes)
        for j in sorted(jobs, key=lambda j: job_key(j.job_id))
        if j.preemptible and j.state in ("running", "suspended") and j.nodes
    )
    return Pool(up, pool_jobs)


@dataclass(frozen=True)
class GpuPlan:
    """What the GPU half does: one cap for the pool, the jobs to suspend and to resume.

    ``power_w``: the pool's planned draw (IT watts, idle nodes included) once applied;
    ``feasible`` False when even pausing everything leaves the idle pool above the budget.
    """

    budget_w: float
    cap_fraction: float
    suspend: tuple[str, ...]
    resume: tuple[str, ...]
    running_gpus: int
    paused_gpus: int
    power_w: float
    feasible: bool


def plan_gpu_half(
    model: ClusterPowerModel, budget_w: float, pool: Pool, *, cap_floor: float = 0.0
) -> GpuPlan:
    """Meet ``budget_w`` over ``pool`` with :func:`plan_power`: the highest uniform cap, then pauses.

    Every preemptible job running or suspended wants to run; ``plan_power`` says how many of their
    GPUs must pause. Suspended jobs stay paused first (no command), then running ones are chosen by
    :func:`choose_pauses`. ``cap_floor``: the lowest cap fraction the GPUs accept; a plan below it
    pauses more instead. The cap is then planned again over the GPUs left running.
    """
    nodes_up = len(pool.nodes)
    wanting = sum(j.gpus for j in pool.jobs)
    first = plan_power(model, budget_w, nodes_up, wanting)
    need = first.gpus_to_pause
    floor = max(cap_floor, model.min_cap)
    forced: set[str] = set()
    while True:
        paused = _select(pool.jobs, need, forced)
        running = wanting - sum(j.gpus for j in pool.jobs if j.job_id in paused)
        final = plan_power(model, budget_w, nodes_up, running)
        if final.gpus_to_pause > 0 or (final.cap_fraction < floor and running > 0):
            headroom_w = max(0.0, budget_w - nodes_up * model.idle_node_w)
            fits = math.floor(headroom_w / (model.dynamic_w_per_gpu * floor) + 1e-9)
            need = max(need + 1, wanting - fits)  # caps cannot go low enough: pause more
            continue
        cap = max(final.cap_fraction, floor) if running else 1.0
        shared = [
            j.job_id for j in pool.jobs
            if j.shared and j.job_id not in paused and j.job_id not in forced
        ]
        if cap < 1.0 and shared:  # a tenant's node cannot be capped: its preemptible job pauses
            forced.update(shared)
            continue
        break
    suspend = tuple(j.job_id for j in pool.jobs if j.running and j.job_id in paused)
    resume = tuple(j.job_id for j in pool.jobs if not j.running and j.job_id not in paused)
    return GpuPlan(
        budget_w=budget_w,
        cap_fraction=cap,
        suspend=suspend,
        resume=resume,
        running_gpus=running,
        paused_gpus=wanting - running,
        power_w=model.power_w(nodes_up, running, cap),
        feasible=first.feasible,
    )


def _select(jobs: Sequence[PoolJob], need: int, forced: set[str]) -> set[str]:
    """Jobs to keep or put paused so that at least ``need`` GPUs pause (``forced`` ones always)."""
    paused = set(forced)
    gpus = sum(j.gpus for j in jobs if j.job_id in forced)
    for job in sorted((j for j in jobs if not j.running), key=lambda j: job_key(j.job_id), reverse=True):
        if gpus >= need:
            break  # the older suspended jobs resume
        if job.job_id not in paused:
            paused.add(job.job_id)
            gpus += job.gpus
    if gpus < need:
        candidates = [j for j in jobs if j.running and j.job_id not in paused]
        paused.update(j.job_id for j in choose_pauses(candidates, need - gpus))
    return paused


def choose_pauses(candidates: Sequence[PoolJob], need_gpus: int) -> list[PoolJob]:
    """Running jobs whose GPUs cover ``need_gpus`` with as few GPUs beyond the need as greedily found:
    the smallest job that covers what is left, else the largest (newest first among equals)."""
    left = sorted(candidates, key=lambda j: job_key(j.job_id), reverse=True)
    chosen: list[PoolJob] = []
    while need_gpus > 0 and left:
        covering = [j for j in left if j.gpus >= need_gpus]
        pick = min(covering, key=lambda j: j.gpus) if covering else max(left, key=lambda j: j.gpus)
        chosen.append(pick)
        left.remove(pick)
        need_gpus -= pick.gpus
    return chosen


def job_key(job_id: str) -> tuple[int, str]:
    """Slurm job ids in submission order (numeric ids numerically)."""
    return (int(job_id), job_id) if job_id.isdigit() else (0, job_id)
