"""Event-driven GPU cluster simulator that drives a :class:`~wattswitch.scheduling.policies.Scheduler`.

Design for speed (125k jobs in seconds): a single event loop over pre-sorted arrivals, a heap of
completions, a heap of timed events (queue demotions, node failures and repairs) and pre-sorted
schedule changes (power budget, lent nodes); nothing ticks per second. All running training
GPUs share one power cap, so work advances at one common rate: completions are kept in a heap
keyed by a *work clock* ``W = ∫ rate dt`` and a change of cap moves no heap entry.

Information honesty: true durations live only in :class:`_Truth`, which the completion
mechanics read to know when a job ends. Everything policies and the backfill logic see is
observable state (submit time, GPUs, user limit, attained service, banked progress) passed as
:class:`~wattswitch.scheduling.views.JobView` / :class:`~wattswitch.scheduling.views.JobBatch`.

Mechanics the scheduler cannot change (see ``docs/scheduling.md``):

* gang placement on whole nodes (placement policy), jobs on lent nodes must be preemptible;
* a preempted, paused, reclaimed or failed job loses the work since its last checkpoint and
  pays the restart overhead when it starts again;
* the power budget is met at every instant: caps first, then pausing preemptible jobs
  (checkpoint-aware: those that lose the least work), and no job starts if it would break it.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from wattswitch.errors import ModelError
from wattswitch.model.traces import JobTrace
from wattswitch.scheduling.config import (
    CheckpointConfig,
    ClusterSpec,
    FailureModel,
    LendingSchedule,
    LimitModel,
    TrainingPhases,
)
from wattswitch.scheduling.metrics import ScheduleResult
from wattswitch.scheduling.phases import stalled_one_s, stalled_s
from wattswitch.scheduling.policies import PROMOTED_BASE, Backfill, Scheduler, nodes_needed
from wattswitch.scheduling.power import TOLERANCE_W, ClusterPowerModel, PowerBudget
from wattswitch.scheduling.views import FloatArray, IntArray, JobBatch, JobView, Placement, PowerDecision

ProgressCallback = Callable[[int, int], None]

WAITING, RUNNING, DONE, REJECTED, FUTURE = 0, 1, 2, 3, 4
EV_DEMOTE, EV_FAIL, EV_REPAIR, EV_PROMOTE = 0, 1, 2, 3
EPS_W = 1e-7
PROGRESS_EVERY = 2000
PLAN_MEMO_MAX = 1 << 16


@dataclass(frozen=True)
class SimOptions:
    """Everything about a run except the trace, the cluster and the scheduler."""

    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    limits: LimitModel = field(default_factory=LimitModel)
    power_budget: PowerBudget | None = None
    power_model: ClusterPowerModel | None = None
    lending: LendingSchedule | None = None
    failures: FailureModel | None = None
    record_events: bool = False
    phases: TrainingPhases | None = None

    def __post_init__(self) -> None:
        if self.power_budget is not None and self.power_model is None:
            raise ModelError("SimOptions: a power budget needs a power model (the node hardware)")
        if self.phases is not None and self.power_model is None:
            raise ModelError("SimOptions: training phases need a power model (the node hardware)")


class _Nodes:
    """Free GPUs per node with buckets by free count (implements ``FreeNodes``)."""

    def __init__(self, own: int, lent: int, gpus_per_node: int) -> None:
        self.gpus_per_node = gpus_per_node
        self.own = own
        total = own + lent
        self.free_gpus = [gpus_per_node] * own + [0] * lent
        self.up = [True] * own + [False] * lent
        self.buckets: list[set[int]] = [set() for _ in range(gpus_per_node + 1)]
        self.buckets[gpus_per_node] = set(range(own))
        self.jobs_on: list[set[int]] = [set() for _ in range(total)]
        self.total_free = gpus_per_node * own
        self.up_own = own
        self.up_total = own

    def free(self, node: int) -> int:
        return self.free_gpus[node]

    def nodes_with_free(self, count: int) -> Collection[int]:
        return self.buckets[count]

    def take(self, node: int, count: int) -> None:
        f = self.free_gpus[node]
        self.buckets[f].discard(node)
        self.free_gpus[node] = f - count
        self.buckets[f - count].add(node)
        self.total_free -= count

    def give(self, node: int, count: int) -> None:
        f = self.free_gpus[node]
        self.buckets[f].discard(node)
        self.free_gpus[node] = f + count
        self.buckets[f + count].add(node)
        self.total_free += count

    def set_up(self, node: int, up: bool) -> None:
        if self.up[node] == up:
            return
        self.up[node] = up
        change = 1 if up else -1
        self.up_total += change
        if node < self.own:
            self.up_own += change
        if up:
            self.free_gpus[node] = self.gpus_per_node
            self.buckets[self.gpus_per_node].add(node)
            self.total_free += self.gpus_per_node
        else:  # callers empty the node first
            self.buckets[self.free_gpus[node]].discard(node)
            self.total_free -= self.free_gpus[node]
            self.free_gpus[node] = 0

    def max_free(self) -> int:
        for count in range(self.gpus_per_node, 0, -1):
            if self.buckets[count]:
                return count
        return 0


class _Projected:
    """A copy of free counts used to plan a reservation (implements ``FreeNodes``)."""

    def __init__(self, free_gpus: list[int], up: list[bool], gpus_per_node: int) -> None:
        self.gpus_per_node = gpus_per_node
        self.free_gpus = free_gpus
        self.up = up

    def free(self, node: int) -> int:
        return self.free_gpus[node]

    def nodes_with_free(self, count: int) -> Collection[int]:
        return [n for n, f in enumerate(self.free_gpus) if f == count and self.up[n]]


class _Truth:
    """True durations: read only to know when a job ends (never by a policy)."""

    def __init__(self, duration_s: FloatArray, limit_s: FloatArray) -> None:
        # A job is killed at its limit: its work ends at min(duration, limit).
        self._work_s = np.minimum(duration_s, limit_s).tolist()

    def work_s(self, job: int) -> float:
        return float(self._work_s[job])


@dataclass
class _Reservation:
    head: int
    shadow_w: float
    extra: list[int] | None


class _Sim:
    def __init__(
        self,
        trace: JobTrace,
        cluster: ClusterSpec,
        scheduler: Scheduler,
        options: SimOptions,
        progress: ProgressCallback | None,
    ) -> None:
        frame = trace.frame
        n = len(frame)
        if n == 0:
            raise ModelError(f"{trace.source}: no jobs to schedule")
        self.trace = trace
        self.cluster = cluster
        self.sched = scheduler
        self.opts = options
        self.progress_cb = progress
        self.gpn = cluster.gpus_per_node
        self.ckpt = options.checkpoint
        self.restart_s = options.checkpoint.restart_overhead_s
        self.ids = frame["job_id"].astype(str).tolist()
        self.submit = frame["submit_s"].to_numpy(dtype=np.float64)
        self.submit_l: list[float] = self.submit.tolist()
        self.gpus_np = frame["gpus"].to_numpy(dtype=np.int64)
        self.gpus: list[int] = self.gpus_np.tolist()
        duration = frame["duration_s"].to_numpy(dtype=np.float64)
        if "time_limit_s" in frame.columns:
            limit = frame["time_limit_s"].to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(limit) | (limit < 0))
            if bad.size:
                raise ModelError(
                    f"{trace.source}: job {self.ids[int(bad[0])]!r} has time_limit_s "
                    f"{limit[int(bad[0])]!r}; expected a number of seconds ≥ 0"
                )
        else:
            limit = options.limits.draw(duration)
        self.limit_np = limit
        self.limit: list[float] = limit.tolist()
        self.preemptible = (
            frame["preemptible"].to_numpy(dtype=bool).tolist() if "preemptible" in frame.columns
            else [True] * n
        )
        self._truth = _Truth(duration, limit)
        self._duration_for_metrics = duration  # read only by _result(), after the run
        self.n = n

        lent_max = options.lending.max_nodes if options.lending is not None else 0
        self.nodes = _Nodes(cluster.nodes, lent_max, self.gpn)
        self.own_nodes = cluster.nodes

        # per-job dynamic state (lists: fast scalar access)
        self.state = [FUTURE] * n
        self.saved = [0.0] * n  # banked work (checkpoints)
        self.w0 = [0.0] * n  # work clock at the current run's start
        self.t0 = [0.0] * n
        self.ovh = [0.0] * n  # restart overhead of the current run (work s)
        self.attained = [0.0] * n  # wall s of service per GPU, previous runs
        self.first_start = [math.nan] * n
        self.finish = [math.nan] * n
        self.npre = [0] * n
        self.alloc: list[tuple[tuple[int, ...], tuple[int, ...]]] = [((), ())] * n
        self.run_id = [0] * n
        self.key = [0.0] * n
        self.started_before = [False] * n
        # numpy mirrors of the observable state, for vectorised scoring of many jobs
        self.w0n = np.zeros(n)
        self.t0n = np.zeros(n)
        self.ovhn = np.zeros(n)
        self.savedn = np.zeros(n)
        self.attn = np.zeros(n)
        self.npren = np.zeros(n, dtype=np.int64)
        self.pre_np = np.asarray(self.preemptible, dtype=bool)
        self.started_np = np.zeros(n, dtype=bool)
        self.top_ub = -math.inf  # upper bound of running jobs' scores (preemption shortcut)
        self.pausing = False
        self.run_version = 0  # bumps whenever the running set or capacity changes
        self.tried: dict[int, int] = {}  # waiting job -> run_version its preemption attempt failed at
        # starvation guard: jobs past it are 'due'; one waiting due job at a time is promoted
        self.promoted = [False] * n
        self.promote_pending = [False] * n
        self.guard_due_np = np.zeros(n, dtype=bool)  # past the guard: never a preemption victim
        self.starving: list[tuple[float, int]] = []
        self.token: int | None = None
        self.promote_due = False
        self.promotions = 0

        self.qkeys: list[float] = []
        self.qids: list[int] = []
        self.running: set[int] = set()
        self.comp: list[tuple[float, int, int]] = []
        self.timed: list[tuple[float, int, int, int, int]] = []
        self.seq = 0
        self.t = 0.0
        self.w = 0.0
        # checkpoint writes stall every job for write_s after each compute_s of work
        phases = options.phases
        self.write_s = phases.checkpoint_write_s if phases is not None and self.ckpt.interval_s > 0 else 0.0
        self.compute_s = self.ckpt.interval_s
        self.eta = self.compute_s / (self.compute_s + self.write_s) if self.write_s > 0 else 1.0
        self.stall_keep = phases.stall_dynamic_fraction if phases is not None else 1.0
        self.rate = self.eta
        self.busy = 0
        self.resv: _Reservation | None = None

        # power
        self.power_model = options.power_model
        self.budget = options.power_budget
        self.budget_w = math.inf
        self.cap = 1.0
        self.max_busy = 10**12
        self.power_w = 0.0
        self.energy_j = 0.0
        self.violation_intervals: set[int] = set()
        self.infeasible_intervals: set[int] = set()
        self.min_cap_seen = 1.0
        self.capped_s = 0.0
        # stepping (the coupled site): the current interval's window, peak and stalled energy
        self.interval_no = 0
        self.win_start = 0.0
        self.peak_w = 0.0
        self.restart_saved_j = 0.0
        self.write_saved_j = 0.0
        self.started = False
        self.ended = False
        self.plan_memo: dict[tuple[float, int, int], PowerDecision] = {}
        self.progress_gpu_s = 0.0  # GPU-s of the work clock run by busy GPUs (restarts included)
        self.overhead_gpu_s = 0.0  # GPU-s of restart overhead paid

        # counters
        self.preemptions = 0
        self.pauses = 0
        self.failure_kills = 0
        self.reclaims = 0
        self.lost_work_gpu_s = 0.0
        self.busy_gpu_s = 0.0
        self.capacity_gpu_s = 0.0
        self.done = 0
        self.rejected = 0
        self.failures = 0
        self.down_failed = 0
        self.events: list[tuple[float, str, str, tuple[int, ...]]] = []
        self.power_log: list[tuple[float, float, float, float, int]] = []

        order = scheduler.ordering
        batch0 = JobBatch(
            submit_s=self.submit, gpus=self.gpus_np, time_limit_s=self.limit_np,
            attained_s=np.zeros(n), progress_s=np.zeros(n), preemptions=np.zeros(n, dtype=np.int64),
        )
        self.key = np.asarray(order.priority(batch0), dtype=np.float64).tolist()
        self.announces = bool(np.isfinite(order.next_change_attained_s(batch0)).any())
        self.batch_first_change = order.next_change_attained_s(batch0).tolist() if self.announces else []

    # --- observable views --------------------------------------------------------------------
    def _progress(self, j: int) -> float:
        if self.state[j] == RUNNING:
            return self.saved[j] + max(0.0, self.w - self.w0[j] - self.ovh[j])
        return self.saved[j]

    def _attained(self, j: int) -> float:
        if self.state[j] == RUNNING:
            return self.attained[j] + (self.t - self.t0[j])
        return self.attained[j]

    def view(self, j: int) -> JobView:
        """What the scheduler may know about job ``j`` now."""
        return JobView(
            job_id=self.ids[j], submit_s=self.submit_l[j], gpus=self.gpus[j],
            time_limit_s=self.limit[j], attained_s=self._attained(j), progress_s=self._progress(j),
            preemptions=self.npre[j], preemptible=self.preemptible[j],
        )

    def _batch(self, jobs: list[int]) -> JobBatch:
        return self._batch_running(np.asarray(jobs, dtype=np.int64))

    def _batch_running(self, idx: IntArray) -> JobBatch:
        """Views of running jobs ``idx`` now (vectorised)."""
        return JobBatch(
            submit_s=self.submit[idx], gpus=self.gpus_np[idx], time_limit_s=self.limit_np[idx],
            attained_s=self.attn[idx] + (self.t - self.t0n[idx]),
            progress_s=self.savedn[idx] + np.maximum(0.0, self.w - self.w0n[idx] - self.ovhn[idx]),
            preemptions=self.npren[idx],
        )

    def _loss_running(self, idx: IntArray) -> FloatArray:
        """GPU-seconds thrown away if running jobs ``idx`` stopped now (plus their restart)."""
        saved = self.savedn[idx]
        progress = saved + np.maximum(0.0, self.w - self.w0n[idx] - self.ovhn[idx])
        interval = self.ckpt.interval_s
        banked = np.floor(progress / interval + 1e-12) * interval if interval > 0 else progress
        banked = np.maximum(banked, saved)
        wasted = np.maximum((self.w - self.w0n[idx]) - (banked - saved), 0.0)
        return np.asarray(self.gpus_np[idx] * (wasted + self.restart_s), dtype=np.float64)

    # --- queue -----------------------------------------------------------------------------
    def _enqueue(self, j: int) -> None:
        guard = self.sched.starvation_guard_s
        if guard is not None and not self.promoted[j]:
            at = self.submit_l[j] + guard
            if at <= self.t:
                self.guard_due_np[j] = True
            elif not self.promote_pending[j]:
                self.promote_pending[j] = True
                self.seq += 1
                heapq.heappush(self.timed, (at, self.seq, EV_PROMOTE, j, 0))
            if self.guard_due_np[j]:
                heapq.heappush(self.starving, (self.submit_l[j], j))
                self.promote_due = True
        k = self.key[j]
        i = bisect_right(self.qkeys, k)
        self.qkeys.insert(i, k)
        self.qids.insert(i, j)
        self.state[j] = WAITING

    def _promote_next(self) -> bool:
        """Promote the longest-starving waiting job, unless a promoted one still waits."""
        if self.token is not None and self.state[self.token] == WAITING:
            return False
        self.token = None
        while self.starving:
            _, j = heapq.heappop(self.starving)
            if self.state[j] == WAITING and not self.promoted[j]:
                self._dequeue(j)
                self.promoted[j] = True
                self.promotions += 1
                self.key[j] = PROMOTED_BASE + self.submit_l[j]
                self._enqueue(j)
                self.token = j
                self.resv = None
                return True
        return False

    def _dequeue(self, j: int) -> None:
        i = bisect_left(self.qkeys, self.key[j])
        while self.qids[i] != j:
            i += 1
        del self.qkeys[i]
        del self.qids[i]

    def _log(self, kind: str, j: int, nodes: tuple[int, ...] = ()) -> None:
        if self.opts.record_events:
            self.events.append((self.t, kind, self.ids[j], nodes))

    # --- fitting and placement ---------------------------------------------------------------
    def _fits_now(self, g: int) -> bool:
        if self.busy + g > self.max_busy:
            return False
        if g <= self.gpn:
            return self.nodes.max_free() >= g
        return len(self.nodes.buckets[self.gpn]) >= nodes_needed(g, self.gpn)

    def _place(self, j: int, limit: list[int] | None = None) -> Placement | None:
        g = self.gpus[j]
        if self.busy + g > self.max_busy or self.nodes.total_free < g:
            return None
        nodes: _Nodes | _OwnOnly = self.nodes
        if not self.preemptible[j] and self.opts.lending is not None:
            nodes = _OwnOnly(self.nodes)
        return self.sched.placement.place(g, nodes, limit)

    def _start(self, j: int, pl: Placement) -> None:
        gpn = self.gpn
        multi = len(pl.nodes) > 1 or self.gpus[j] > gpn
        taken = tuple(gpn for _ in pl.nodes) if multi else pl.gpus_per_node
        for node, count in zip(pl.nodes, taken, strict=True):
            self.nodes.take(node, count)
            self.nodes.jobs_on[node].add(j)
        self.alloc[j] = (pl.nodes, taken)
        self.state[j] = RUNNING
        self.running.add(j)
        self.run_id[j] += 1
        self.t0[j] = self.t
        self.w0[j] = self.w
        ovh = self.restart_s if self.started_before[j] else 0.0
        self.ovh[j] = ovh
        self.overhead_gpu_s += self.gpus[j] * ovh
        self.t0n[j] = self.t
        self.w0n[j] = self.w
        self.ovhn[j] = ovh
        self.run_version += 1
        self.top_ub = max(self.top_ub, self.key[j])
        self.tried.pop(j, None)
        if j == self.token:
            self.token = None
            self.promote_due = True
        if not self.started_before[j]:
            self.first_start[j] = self.t
            self.started_before[j] = True
            self.started_np[j] = True
        end_w = self.w + ovh + (self._truth.work_s(j) - self.saved[j])
        heapq.heappush(self.comp, (end_w, j, self.run_id[j]))
        self.busy += self.gpus[j]
        self.resv = None
        if self.announces:
            self._announce(j)
        self._log("start", j, pl.nodes)
        if self.power_model is not None:
            self._update_power()

    def _announce(self, j: int, nudge_s: float = 0.0) -> None:
        """Queue an event for when ``j``'s score next jumps (``nudge_s`` steps past a jump)."""
        batch = self._batch([j])
        if nudge_s:
            batch = JobBatch(
                submit_s=batch.submit_s, gpus=batch.gpus, time_limit_s=batch.time_limit_s,
                attained_s=batch.attained_s + nudge_s, progress_s=batch.progress_s,
                preemptions=batch.preemptions,
            )
        nxt = float(self.sched.ordering.next_change_attained_s(batch)[0])
        if math.isfinite(nxt):
            at = self.t + max(nudge_s, nxt - self._attained(j))
            self.seq += 1
            heapq.heappush(self.timed, (at, self.seq, EV_DEMOTE, j, self.run_id[j]))

    def _release(self, j: int) -> None:
        if self.opts.phases is not None:
            self._book_stalls_one(j)
        nodes, taken = self.alloc[j]
        for node, count in zip(nodes, taken, strict=True):
            self.nodes.jobs_on[node].discard(j)
            if self.nodes.up[node]:
                self.nodes.give(node, count)
        self.alloc[j] = ((), ())
        self.running.discard(j)
        self.busy -= self.gpus[j]
        g = self.gpus[j]
        run_s = self.t - self.t0[j]
        self.attained[j] += run_s
        self.attn[j] = self.attained[j]
        self.run_version += 1
        self.busy_gpu_s += g * run_s
        self.resv = None

    def _finish(self, j: int) -> None:
        self._release(j)
        self.state[j] = DONE
        self.finish[j] = self.t
        self.saved[j] = self._truth.work_s(j)
        self.savedn[j] = self.saved[j]
        self.done += 1
        self._log("finish", j)
        if self.progress_cb is not None and self.done % PROGRESS_EVERY == 0:
            self.progress_cb(self.done, self.n)

    def _loss_gpu_s(self, j: int) -> float:
        """GPU-seconds of work thrown away if ``j`` stopped now (plus its next restart)."""
        progress = self._progress(j)
        banked = max(self.saved[j], self.ckpt.banked(progress))
        wasted = (self.w - self.w0[j]) - (banked - self.saved[j])
        return self.gpus[j] * (max(wasted, 0.0) + self.restart_s)

    def _stop(self, j: int, why: str) -> None:
        """Preempt / pause / kill a running job: it restarts later from its last checkpoint."""
        progress = self._progress(j)
        banked = max(self.saved[j], self.ckpt.banked(progress))
        wasted = max(0.0, (self.w - self.w0[j]) - (banked - self.saved[j]))
        self.lost_work_gpu_s += self.gpus[j] * wasted
        self.saved[j] = banked
        self.savedn[j] = banked
        self._release(j)
        self.run_id[j] += 1
        self.npre[j] += 1
        self.npren[j] = self.npre[j]
        if why == "preempt":
            self.preemptions += 1
        elif why == "pause":
            self.pauses += 1
        elif why == "reclaim":
            self.reclaims += 1
        else:
            self.failure_kills += 1
        if not self.promoted[j]:
            self.key[j] = float(self.sched.ordering.priority(self._batch_waiting(j))[0])
        self._enqueue(j)
        self._log(why, j)
        if self.power_model is not None and not self.pausing:
            self._update_power()

    def _batch_waiting(self, j: int) -> JobBatch:
        return JobBatch(
            submit_s=self.submit[j:j + 1], gpus=self.gpus_np[j:j + 1],
            time_limit_s=self.limit_np[j:j + 1], attained_s=np.array([self.attained[j]]),
            progress_s=np.array([self.saved[j]]), preemptions=np.array([self.npre[j]], dtype=np.int64),
        )

    # --- power -------------------------------------------------------------------------------
    def _book_stalls(self, idx: IntArray) -> None:
        """Energy running jobs ``idx`` did not draw while stalled since the window opened, until now."""
        model = self.power_model
        assert model is not None
        restarting, writing = stalled_s(
            self.t0n[idx], self.ovhn[idx] / max(self.rate, 1e-12), self.win_start, self.t,
            compute_s=self.compute_s, write_s=self.write_s,
        )
        saved_w_per_s = self.gpus_np[idx] * model.dynamic_w_per_gpu * self.cap * (1.0 - self.stall_keep)
        self.restart_saved_j += float((saved_w_per_s * restarting).sum())
        self.write_saved_j += float((saved_w_per_s * writing).sum())

    def _book_stalls_one(self, j: int) -> None:
        """:meth:`_book_stalls` for one job in plain floats (every release calls it)."""
        model = self.power_model
        assert model is not None
        restarting, writing = stalled_one_s(
            self.t0[j], self.ovh[j] / max(self.rate, 1e-12), self.win_start, self.t,
            compute_s=self.compute_s, write_s=self.write_s,
        )
        saved_w = self.gpus[j] * model.dynamic_w_per_gpu * self.cap * (1.0 - self.stall_keep)
        self.restart_saved_j += saved_w * restarting
        self.write_saved_j += saved_w * writing

    def _plan(self, budget_w: float, nodes_up: int, busy_gpus: int) -> PowerDecision:
        """The power model's plan, remembered (the same few questions come back all run long)."""
        key = (budget_w, nodes_up, busy_gpus)
        decision = self.plan_memo.get(key)
        if decision is None:
            assert self.power_model is not None
            decision = self.plan_memo[key] = self.power_model.plan(budget_w, nodes_up, busy_gpus)
            if len(self.plan_memo) > PLAN_MEMO_MAX:
                self.plan_memo.clear()
        return decision

    def _nodes_drawing(self) -> int:
        return self.nodes.up_own

    def _update_power(self) -> None:
        model = self.power_model
        assert model is not None
        decision = self._plan(self.budget_w, self._nodes_drawing(), self.busy)
        self.cap = decision.cap_fraction
        self.max_busy = decision.max_busy_gpus
        if self.busy:
            self.rate = decision.throughput_fraction * self.eta
        self.min_cap_seen = min(self.min_cap_seen, self.cap if self.busy else 1.0)
        self.power_w = model.power_w(self._nodes_drawing(), self.busy, self.cap)
        self.peak_w = max(self.peak_w, self.power_w)
        if self.opts.record_events:
            self.power_log.append((self.t, self.power_w, self.budget_w, self.cap, self.busy))
        if self.power_w > self.budget_w + TOLERANCE_W:
            self.violation_intervals.add(self._interval_index())
        if not decision.feasible:
            self.infeasible_intervals.add(self._interval_index())

    def _interval_index(self) -> int:
        if self.budget is None:  # stepped by the coupled site: its interval
            return self.interval_no
        return int(np.searchsorted(self.budget.start_s, self.t, side="right"))

    def _apply_budget(self, budget_w: float) -> None:
        model = self.power_model
        assert model is not None
        self.budget_w = budget_w
        self.run_version += 1
        decision = self._plan(budget_w, self._nodes_drawing(), self.busy)
        if decision.gpus_to_pause > 0:
            self._pause(decision.gpus_to_pause)
        self._update_power()

    def _pause(self, gpus: int) -> None:
        victims = [j for j in self.running if self.preemptible[j]]
        if self.sched.preemption is not None and not self.sched.preemption.checkpoint_aware:
            scores = self.sched.ordering.priority(self._batch(victims)) if victims else np.zeros(0)
            order = [victims[i] for i in np.argsort(-scores, kind="stable")]
        else:  # checkpoint-aware: lose the least work per GPU freed
            order = sorted(victims, key=lambda j: (self._loss_gpu_s(j) / self.gpus[j], j))
        freed = 0
        self.pausing = True  # one power decision after all pauses, not one per job
        for j in order:
            if freed >= gpus:
                break
            freed += self.gpus[j]
            self._stop(j, "pause")
        self.pausing = False

    # --- lending and failures ----------------------------------------------------------------
    def _lent_up(self) -> list[int]:
        return [n for n in range(self.own_nodes, len(self.nodes.up)) if self.nodes.up[n]]

    def _set_lent(self, target: int) -> None:
        self.run_version += 1
        up = self._lent_up()
        if target > len(up):
            down = [n for n in range(self.own_nodes, len(self.nodes.up)) if not self.nodes.up[n]]
            for node in down[: target - len(up)]:
                self.nodes.set_up(node, True)
            self.resv = None
            return
        give_back = len(up) - target
        if give_back <= 0:
            return

        def cost(node: int) -> tuple[float, int]:
            return (sum(self._loss_gpu_s(j) for j in self.nodes.jobs_on[node]), node)

        for node in sorted(up, key=cost)[:give_back]:
            for j in list(self.nodes.jobs_on[node]):
                if self.state[j] == RUNNING:
                    self._stop(j, "reclaim")
            self.nodes.set_up(node, False)
        self.resv = None

    def _fail(self, node: int) -> None:
        if not self.nodes.up[node]:
            return
        self.failures += 1
        self.down_failed += 1
        self.run_version += 1
        for j in list(self.nodes.jobs_on[node]):
            if self.state[j] == RUNNING:
                self._stop(j, "failure")
        self.nodes.set_up(node, False)
        self.resv = None
        assert self.opts.failures is not None
        self.seq += 1
        heapq.heappush(self.timed, (self.t + self.opts.failures.repair_s, self.seq, EV_REPAIR, node, 0))
        if self.power_model is not None:
            self._update_power()

    def _repair(self, node: int, rng: np.random.Generator) -> None:
        self.down_failed -= 1
        self.run_version += 1
        self.nodes.set_up(node, True)
        self.resv = None
        assert self.opts.failures is not None
        self.seq += 1
        nxt = self.t + float(rng.exponential(self.opts.failures.node_mtbf_s))
        heapq.heappush(self.timed, (nxt, self.seq, EV_FAIL, node, 0))
        if self.power_model is not None:
            self._update_power()

    # --- scheduling passes -------------------------------------------------------------------
    def _head_of_line(self) -> None:
        while self.qids:
            h = self.qids[0]
            pl = self._place(h)
            if pl is None:
                return
            del self.qkeys[0]
            del self.qids[0]
            self._start(h, pl)

    def _full_pass(self) -> None:
        if not self.qids:
            return
        self._head_of_line()
        if not self.qids:
            return
        if self.sched.preemption is not None and self._preempt_pass():
            self._head_of_line()
            if not self.qids:
                return
        mode = self.sched.backfill
        if mode is Backfill.EASY:
            self._backfill(easy=True)
        elif mode is Backfill.GREEDY:
            self._backfill(easy=False)

    def _candidates(self, first: int) -> IntArray:
        """Queued jobs from position ``first`` that could fit by GPU counts now (in order)."""
        if len(self.qids) <= first or self.nodes.total_free == 0 or self.busy >= self.max_busy:
            return np.zeros(0, dtype=np.int64)
        qa = np.asarray(self.qids[first:], dtype=np.int64)
        g = self.gpus_np[qa]
        max_free = self.nodes.max_free()
        full = len(self.nodes.buckets[self.gpn])
        need = -(-g // self.gpn)
        ok = np.where(g <= self.gpn, g <= max_free, need <= full) & (g <= self.max_busy - self.busy)
        return np.asarray(qa[ok], dtype=np.int64)

    def _reservation(self) -> _Reservation:
        """The head's reservation: earliest time (work clock) the running jobs' limits free room.

        Walks running jobs in order of their limit-based end, releasing their GPUs into a
        projected free map until the head fits; ``extra`` is that map minus the head's nodes.
        """
        h = self.qids[0]
        if self.resv is not None and self.resv.head == h:
            return self.resv
        g = self.gpus[h]
        gpn = self.gpn
        proj = list(self.nodes.free_gpus)
        up = self.nodes.up
        multi = g > gpn
        need = nodes_needed(g, gpn)
        full = len(self.nodes.buckets[gpn])
        fits = full >= need if multi else self.nodes.max_free() >= g
        shadow = self.w if fits else math.inf
        if not fits and self.running:
            idx = np.fromiter(self.running, np.int64, len(self.running))
            ends = self._limit_end_w(idx)
            run = idx.tolist()
            for i in np.argsort(ends, kind="stable").tolist():
                nodes, taken = self.alloc[run[i]]
                for node, count in zip(nodes, taken, strict=True):
                    if not up[node]:
                        continue
                    proj[node] += count
                    if multi:
                        if proj[node] == gpn:
                            full += 1
                            fits = full >= need
                    elif proj[node] >= g:
                        fits = True
                if fits:
                    shadow = float(ends[i])
                    break
        if math.isinf(shadow):
            self.resv = _Reservation(h, shadow, None)
            return self.resv
        pl = self.sched.placement.place(g, _Projected(proj, up, gpn))
        if pl is not None:
            taken_h = (gpn,) * len(pl.nodes) if (multi or len(pl.nodes) > 1) else pl.gpus_per_node
            for node, count in zip(pl.nodes, taken_h, strict=True):
                proj[node] -= count
        self.resv = _Reservation(h, shadow, proj)
        return self.resv

    def _limit_end_w(self, idx: IntArray) -> FloatArray:
        """Work-clock time at which running jobs ``idx`` reach their limits."""
        saved = self.savedn[idx]
        return np.asarray(
            self.w0n[idx] + self.ovhn[idx] + np.maximum(self.limit_np[idx] - saved, 0.0), dtype=np.float64
        )

    def _try_backfill(self, j: int, easy: bool) -> bool:
        if easy:
            resv = self._reservation()
            next_ovh = self.restart_s if self.started_before[j] else 0.0
            est_end = self.w + next_ovh + max(0.0, self.limit[j] - self.saved[j])
            short = resv.extra is None or est_end <= resv.shadow_w + EPS_W
            pl = self._place(j) if short else self._place(j, resv.extra)
            if pl is None:
                return False
            self._dequeue(j)
            self._start(j, pl)
            if not short and resv.extra is not None:
                extra = resv.extra
                for node in pl.nodes:
                    extra[node] -= self.gpn if len(pl.nodes) > 1 else self.gpus[j]
            self.resv = resv  # still valid: short jobs end before the shadow, long ones used extra
            return True
        pl = self._place(j)
        if pl is None:
            return False
        self._dequeue(j)
        self._start(j, pl)
        return True

    def _backfill(self, easy: bool) -> None:
        """Start queued jobs behind the head that fit now (EASY: without delaying the head)."""
        cands = self._candidates(1)
        if not len(cands):
            return
        resv = self._reservation() if easy else None
        if resv is None or resv.extra is None:
            short = np.ones(len(cands), dtype=bool)
        else:
            est_end = (self.w + self.restart_s * self.started_np[cands]
                       + np.maximum(self.limit_np[cands] - self.savedn[cands], 0.0))
            short = est_end <= resv.shadow_w + EPS_W
        smallest_long_failure = math.inf
        for j, is_short in zip(cands.tolist(), short.tolist(), strict=True):
            if self.nodes.total_free == 0 or self.busy >= self.max_busy:
                return
            g = self.gpus[j]
            if (not is_short and g >= smallest_long_failure) or not self._fits_now(g):
                continue
            if resv is None:
                pl = self._place(j)
            else:
                pl = self._place(j) if is_short else self._place(j, resv.extra)
            if pl is None:
                if not is_short:
                    smallest_long_failure = g  # extra only shrinks: bigger long jobs fail too
                continue
            self._dequeue(j)
            self._start(j, pl)
            if resv is not None:
                if not is_short and resv.extra is not None:
                    for node in pl.nodes:
                        resv.extra[node] -= self.gpn if len(pl.nodes) > 1 else g
                self.resv = resv

    # --- preemption --------------------------------------------------------------------------
    def _preempt_pass(self) -> bool:
        """Let the best waiting jobs stop lower-priority running ones (see ``PreemptionRule``)."""
        rule = self.sched.preemption
        assert rule is not None
        if not self.running or not self.qids or self.qkeys[0] + rule.min_score_gap > self.top_ub:
            return False
        limit = self.top_ub - rule.min_score_gap
        untried = False
        for j, k in zip(self.qids[: rule.max_attempts], self.qkeys[: rule.max_attempts], strict=True):
            if k > limit:
                break
            if self.tried.get(j) != self.run_version:
                untried = True
                break
        if not untried:
            return False
        did = False
        tried = 0
        run, scores = self._preemptable()
        top = float(scores.max()) if len(run) else -math.inf
        self.top_ub = top
        for j in list(self.qids):
            if tried >= rule.max_attempts or self.key[j] + rule.min_score_gap > top:
                break  # the queue is sorted: nobody later can preempt either
            if self.state[j] != WAITING or self.tried.get(j) == self.run_version or self.promoted[j]:
                continue  # promoted jobs get the reservation; they do not preempt
            tried += 1
            if self._fits_now(self.gpus[j]):
                continue  # fits without preemption; the normal passes start it
            if self._preempt_for(j, run, scores, rule.min_score_gap, rule.max_loss_s):
                did = True
                run, scores = self._preemptable()
                top = float(scores.max()) if len(run) else -math.inf
                self.top_ub = top
            else:
                self.tried[j] = self.run_version
        return did

    def _preemptable(self) -> tuple[IntArray, FloatArray]:
        rule = self.sched.preemption
        assert rule is not None
        run = np.fromiter(self.running, np.int64, len(self.running))
        run = run[self.pre_np[run] & (self.npren[run] < rule.max_preemptions)]
        if not len(run):
            return run, np.zeros(0)
        scores = np.asarray(self.sched.ordering.priority(self._batch_running(run)), dtype=np.float64)
        protected = self.guard_due_np[run]  # waited past the guard: never stopped for others
        if protected.any():
            scores[protected] = PROMOTED_BASE + self.submit[run[protected]]
        return run, scores

    def _preempt_for(
        self, j: int, run: IntArray, scores: FloatArray, gap: float, max_loss_s: float
    ) -> bool:
        g = self.gpus[j]
        sel = scores >= self.key[j] + gap
        if not sel.any():
            return False
        elig = run[sel]
        elig_gpus = int(self.gpus_np[elig].sum())
        if self.nodes.total_free + elig_gpus < g or self.busy - elig_gpus + g > self.max_busy:
            return False
        nodes = self.nodes
        gpn = self.gpn
        lent_ok = self.preemptible[j] or self.opts.lending is None
        loss = self._loss_running(elig)
        if max_loss_s < math.inf:
            keep = loss / self.gpus_np[elig] - self.restart_s <= max_loss_s
            elig, loss = elig[keep], loss[keep]
        cost = dict(zip(elig.tolist(), loss.tolist(), strict=True))
        # eligible victims per node: (cost per GPU freed there, job, GPUs freed there)
        per_node: dict[int, list[tuple[float, int, int]]] = {}
        up = nodes.up
        own = self.own_nodes
        for r, c in cost.items():
            held, taken = self.alloc[r]
            for node, count in zip(held, taken, strict=True):
                if up[node] and (lent_ok or node < own):
                    per_node.setdefault(node, []).append((c / count, r, count))
        free_gpus = nodes.free_gpus
        victims: list[int] | None = None
        if g <= gpn:
            best = math.inf
            for node, on in per_node.items():
                free = free_gpus[node]
                if free + sum(item[2] for item in on) < g:
                    continue
                on.sort()
                chosen: list[int] = []
                total = 0.0
                for _rank, r, count in on:
                    if free >= g or total >= best:
                        break
                    chosen.append(r)
                    total += cost[r]
                    free += count
                if free >= g and total < best:
                    best, victims = total, chosen
        else:
            need = nodes_needed(g, gpn)
            options: list[tuple[float, int, list[int]]] = [
                (0.0, node, []) for node in nodes.buckets[gpn] if lent_ok or node < own
            ]
            for node, on in per_node.items():
                if free_gpus[node] + sum(item[2] for item in on) == gpn:
                    options.append((sum(cost[r] for _, r, _ in on), node, [r for _, r, _ in on]))
            if len(options) < need:
                return False
            options.sort()
            chosen_set: dict[int, None] = {}
            for _c, _node, held_by in options[:need]:
                for r in held_by:
                    chosen_set[r] = None
            victims = list(chosen_set)
        if victims is None:
            return False
        for r in victims:
            if self.state[r] == RUNNING:
                self._stop(r, "preempt")
        pl = self._place(j)
        if pl is None:
            return False
        self._dequeue(j)
        self._start(j, pl)
        return True

    # --- arrivals ----------------------------------------------------------------------------
    def _arrive(self, j: int) -> bool:
        """Admit and enqueue ``j``; returns whether a full pass is needed."""
        admission = self.sched.admission.admit(self.view_new(j), self.cluster.gpus, self.gpn)
        if not admission.admit:
            self.state[j] = REJECTED
            self.rejected += 1
            self._log("reject", j)
            return False
        head = self.qids[0] if self.qids else None
        self._enqueue(j)
        if head is None or self.qids[0] == j:
            return True
        mode = self.sched.backfill
        if mode is not Backfill.NONE and self._fits_now(self.gpus[j]) and self._try_backfill(
            j, easy=mode is Backfill.EASY
        ):
            return False
        return self.sched.preemption is not None

    def view_new(self, j: int) -> JobView:
        return JobView(
            job_id=self.ids[j], submit_s=self.submit_l[j], gpus=self.gpus[j],
            time_limit_s=self.limit[j], preemptible=self.preemptible[j],
        )

    # --- main loop ---------------------------------------------------------------------------
    def begin(self) -> None:
        """Set the clock at 0: failures drawn, the first budget in force (once, before stepping)."""
        if self.started:
            return
        self.started = True
        budget = self.budget
        lending = self.opts.lending
        self.b_start = budget.start_s.tolist() if budget is not None else []
        self.b_value = budget.budget_w.tolist() if budget is not None else []
        self.l_start = lending.start_s.tolist() if lending is not None else []
        self.l_value = [int(v) for v in lending.lent_nodes.tolist()] if lending is not None else []
        self.bi = self.li = 0
        self.ai = 0
        self.rng = np.random.default_rng(self.opts.failures.seed if self.opts.failures else 0)
        if self.opts.failures is not None:
            for node in range(self.own_nodes):
                self.seq += 1
                at = float(self.rng.exponential(self.opts.failures.node_mtbf_s))
                heapq.heappush(self.timed, (at, self.seq, EV_FAIL, node, 0))
        if self.power_model is not None:
            if self.b_value:
                self.budget_w = self.b_value[0]  # the first budget holds from the start
            self._update_power()

    def _integrate_to(self, t_next: float) -> None:
        dt = t_next - self.t
        if dt > 0:
            self.w += self.rate * dt
            self.energy_j += self.power_w * dt
            if self.busy and self.cap < 1.0:
                self.capped_s += dt
            self.capacity_gpu_s += self.gpn * self.nodes.up_total * dt
            self.progress_gpu_s += self.busy * self.rate * dt
            self.t = t_next

    def set_budget(self, budget_w: float) -> None:
        """A new training power budget from now (the coupled site's decision): caps, pauses, starts."""
        self.begin()
        if self.power_model is None:
            raise ModelError("set_budget: the cluster has no power model")
        if budget_w == self.budget_w:
            return
        self._apply_budget(budget_w)
        self._full_pass()
        while self.promote_due:
            self.promote_due = False
            if self._promote_next():
                self._full_pass()

    def advance(self, until_s: float = math.inf) -> None:
        """Run every event before ``until_s`` and bring the clock to it (``inf``: to the end)."""
        self.begin()
        inf = math.inf
        n = self.n
        submit = self.submit_l
        b_start, b_value, l_start, l_value = self.b_start, self.b_value, self.l_start, self.l_value
        comp = self.comp
        timed = self.timed
        while True:
            while comp and (self.state[comp[0][1]] != RUNNING or self.run_id[comp[0][1]] != comp[0][2]):
                heapq.heappop(comp)
            t_comp = self.t + max(0.0, comp[0][0] - self.w) / self.rate if comp else inf
            t_arr = submit[self.ai] if self.ai < n else inf
            t_b = b_start[self.bi] if self.bi < len(b_start) else inf
            t_l = l_start[self.li] if self.li < len(l_start) else inf
            t_timed = timed[0][0] if timed else inf
            t_next = min(t_comp, t_arr, t_b, t_l, t_timed)
            if self.ai >= n and not self.running:
                stuck = t_b == inf and t_l == inf and self.down_failed == 0
                if not self.qids or stuck or t_next == inf:
                    self.ended = True  # all done, or waiting jobs can never fit (reported as unfinished)
                    if inf in {t_next, until_s}:
                        break
            if t_next >= until_s:
                break
            t_next = max(t_next, self.t)
            self._integrate_to(t_next)
            need_pass = False
            # completions (work clock reached)
            while comp:
                end_w, j, rid = comp[0]
                if self.state[j] != RUNNING or self.run_id[j] != rid:
                    heapq.heappop(comp)
                    continue
                if end_w > self.w + EPS_W and (end_w - self.w) / self.rate > 1e-6:
                    break
                heapq.heappop(comp)
                self.w = max(self.w, end_w)
                self._finish(j)
                need_pass = True
            budget_changed = False
            while self.bi < len(b_start) and b_start[self.bi] <= self.t:
                self.budget_w = b_value[self.bi]
                self.bi += 1
                budget_changed = need_pass = True
            if budget_changed:
                self._apply_budget(self.budget_w)
            elif self.power_model is not None and need_pass:
                self._update_power()
            while self.li < len(l_start) and l_start[self.li] <= self.t:
                self._set_lent(l_value[self.li])
                self.li += 1
                need_pass = True
            while timed and timed[0][0] <= self.t:
                _, _, kind, a, b = heapq.heappop(timed)
                if kind == EV_DEMOTE:
                    if self.state[a] == RUNNING and self.run_id[a] == b:
                        self._announce(a, nudge_s=1e-6)
                        self.top_ub = math.inf
                        self.run_version += 1
                        need_pass = need_pass or bool(self.qids)
                elif kind == EV_PROMOTE:
                    self.guard_due_np[a] = True
                    if self.state[a] == WAITING and not self.promoted[a]:
                        heapq.heappush(self.starving, (self.submit_l[a], a))
                        self.promote_due = True
                elif kind == EV_FAIL:
                    self._fail(a)
                    need_pass = True
                else:
                    self._repair(a, self.rng)
                    need_pass = True
            while self.ai < n and submit[self.ai] <= self.t:
                self.state[self.ai] = WAITING
                if self._arrive(self.ai):
                    need_pass = True
                self.ai += 1
            if need_pass or self.promote_due:
                self._full_pass()
                while self.promote_due:
                    self.promote_due = False
                    if self._promote_next():
                        self._full_pass()
        if until_s != inf:
            self._integrate_to(until_s)

    def run(self) -> ScheduleResult:
        self.advance(math.inf)
        return self._result()

    def _result(self) -> ScheduleResult:
        finish = np.asarray(self.finish, dtype=np.float64)
        state = np.asarray(self.state)
        t_end = float(np.nanmax(finish)) if np.isfinite(finish).any() else 0.0
        return ScheduleResult(
            policy=self.sched.name,
            gpus=self.cluster.gpus,
            job_ids=tuple(self.ids),
            submit_s=self.submit.copy(),
            first_start_s=np.asarray(self.first_start, dtype=np.float64),
            finish_s=finish,
            duration_s=np.minimum(self._duration_for_metrics, self.limit_np),
            gpus_per_job=self.gpus_np.copy(),
            preemptions_per_job=np.asarray(self.npre, dtype=np.int64),
            completed=state == DONE,
            rejected=state == REJECTED,
            preemptions=self.preemptions,
            pauses=self.pauses,
            reclaims=self.reclaims,
            failure_kills=self.failure_kills,
            node_failures=self.failures,
            lost_work_gpu_s=self.lost_work_gpu_s,
            busy_gpu_s=self.busy_gpu_s,
            capacity_gpu_s=self.capacity_gpu_s,
            end_s=t_end,
            energy_mwh=self.energy_j / 3.6e9,
            budget_violations=len(self.violation_intervals),
            infeasible_intervals=len(self.infeasible_intervals),
            min_cap_fraction=self.min_cap_seen,
            capped_s=self.capped_s,
            events=tuple(self.events),
            power_log=tuple(self.power_log),
        )


class _OwnOnly:
    """The cluster's own nodes only (for jobs that may not go on lent nodes)."""

    def __init__(self, nodes: _Nodes) -> None:
        self._nodes = nodes
        self.gpus_per_node = nodes.gpus_per_node

    def free(self, node: int) -> int:
        return self._nodes.free(node) if node < self._nodes.own else 0

    def nodes_with_free(self, count: int) -> Collection[int]:
        return [n for n in self._nodes.buckets[count] if n < self._nodes.own]


def simulate(
    trace: JobTrace,
    cluster: ClusterSpec,
    scheduler: Scheduler,
    options: SimOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ScheduleResult:
    """Run ``trace`` on ``cluster`` under ``scheduler``; returns per-job times and counters.

    The trace may carry ``time_limit_s`` (user limits; else drawn by ``options.limits``) and
    ``preemptible`` (default all True) columns. ``progress(done, total)`` is called every few
    thousand completed jobs.
    """
    return _Sim(trace, cluster, scheduler, options or SimOptions(), progress).run()


def with_limits(trace: JobTrace, time_limit_s: FloatArray) -> JobTrace:
    """A copy of ``trace`` with explicit user time limits (one per job)."""
    frame = trace.frame.copy()
    if len(time_limit_s) != len(frame):
        raise ModelError("with_limits: one limit per job needed")
    frame["time_limit_s"] = np.asarray(time_limit_s, dtype=np.float64)
    return JobTrace(frame=frame, source=trace.source, origin_utc=trace.origin_utc)


def first_jobs(trace: JobTrace, count: int) -> JobTrace:
    """The first ``count`` jobs by submit time."""
    frame = trace.frame.iloc[:count].reset_index(drop=True)
    return replace(trace, frame=pd.DataFrame(frame))


@dataclass(frozen=True)
class ClusterInterval:
    """What the training cluster did between two steps (energies in J, work in GPU-seconds).

    ``peak_w`` is the highest draw outside stalls (what the rest of the site must leave room
    for); ``restart_saved_j`` / ``write_saved_j`` the energy not drawn while runs restarted or
    wrote checkpoints (the dips). ``work_gpu_s`` is the work delivered and kept: the work
    clock's advance on busy GPUs, less restart overhead and work thrown away by stops.
    """

    energy_j: float
    peak_w: float
    restart_saved_j: float
    write_saved_j: float
    work_gpu_s: float
    busy_gpus: int
    cap_fraction: float


@dataclass(frozen=True)
class QueueState:
    """The training queue as the site's operator sees it (no true durations)."""

    waiting_gpus: int
    running_gpus: int
    waiting_jobs: int
    requested_node_hours: float  # what waiting and running jobs may still run, by their limits


class SteppedCluster:
    """The event-driven cluster advanced interval by interval under a power budget set each step.

    The same scheduler, placement, preemption, checkpoint and power mechanics as :func:`simulate`;
    the coupled site sets the training budget at each interval start (:meth:`set_budget_w`),
    advances to its end (:meth:`step`) and reads back what ran.
    """

    def __init__(
        self, trace: JobTrace, cluster: ClusterSpec, scheduler: Scheduler, options: SimOptions
    ) -> None:
        if options.power_model is None:
            raise ModelError("SteppedCluster: needs a power model (the node hardware)")
        if options.power_budget is not None:
            raise ModelError("SteppedCluster: the budget is set step by step, not given up front")
        self._sim = _Sim(trace, cluster, scheduler, options, None)
        self._sim.begin()
        self._energy_mark = 0.0
        self._progress_mark = 0.0
        self._overhead_mark = 0.0
        self._lost_mark = 0.0

    @property
    def nodes(self) -> int:
        """The cluster's own nodes."""
        return self._sim.own_nodes

    def set_budget_w(self, budget_w: float) -> None:
        """The training power budget from now on (``inf``: none)."""
        self._sim.set_budget(budget_w)

    def step(self, until_s: float) -> ClusterInterval:
        """Advance to ``until_s``; what ran since the last step."""
        sim = self._sim
        sim.win_start = sim.t
        sim.peak_w = sim.power_w
        sim.restart_saved_j = sim.write_saved_j = 0.0
        sim.advance(until_s)
        if sim.opts.phases is not None and sim.running:
            sim._book_stalls(np.fromiter(sim.running, dtype=np.int64, count=len(sim.running)))
        sim.interval_no += 1
        saved = sim.restart_saved_j + sim.write_saved_j
        energy = sim.energy_j - self._energy_mark - saved
        work = (
            (sim.progress_gpu_s - self._progress_mark)
            - (sim.overhead_gpu_s - self._overhead_mark)
            - (sim.lost_work_gpu_s - self._lost_mark)
        )
        self._energy_mark, self._progress_mark = sim.energy_j, sim.progress_gpu_s
        self._overhead_mark, self._lost_mark = sim.overhead_gpu_s, sim.lost_work_gpu_s
        return ClusterInterval(
            energy_j=energy, peak_w=sim.peak_w, restart_saved_j=sim.restart_saved_j,
            write_saved_j=sim.write_saved_j, work_gpu_s=work, busy_gpus=sim.busy,
            cap_fraction=sim.cap if sim.busy else 1.0,
        )

    def queue(self) -> QueueState:
        """Waiting and running demand as the operator sees it (user limits, attained service)."""
        sim = self._sim
        waiting = sim.qids
        running = list(sim.running)
        jobs = np.asarray(waiting + running, dtype=np.int64)
        if len(jobs):
            left_s = np.maximum(sim.limit_np[jobs] - sim.savedn[jobs], 0.0)
            node_hours = float((left_s * sim.gpus_np[jobs]).sum() / sim.gpn / 3600.0)
        else:
            node_hours = 0.0
        return QueueState(
            waiting_gpus=int(sum(sim.gpus[j] for j in waiting)), running_gpus=sim.busy,
            waiting_jobs=len(waiting), requested_node_hours=node_hours,
        )

    def result(self) -> ScheduleResult:
        """Per-job outcomes so far (jobs not finished count as unfinished)."""
        return self._sim._result()
