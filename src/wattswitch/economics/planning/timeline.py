"""Build timelines as task graphs: critical-path scheduling (parallel) vs one trade after another.

``schedule_parallel`` is the critical path method: each task starts when its last prerequisite
finishes; a backward pass gives the latest finish without delaying the end; tasks with no slack
form the critical path. ``schedule_sequential`` runs the same tasks one at a time in dependency
order — the gap between the two is what running trades in parallel buys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from wattswitch.economics.planning.feasibility import Feasibility
from wattswitch.errors import ModelError
from wattswitch.model import checks
from wattswitch.model.catalog.finance import finance_figure, task_duration
from wattswitch.model.site_assessment import SiteAssessment

_SLACK_TOLERANCE = 1e-9
# the data-hall trades that repeat in every phase (site-wide tasks happen once)
HALL_TASKS = ("construction", "electrical", "power_distribution", "cooling", "commissioning")
_NO_CAPEX = ("design_permits", "zoning")


@dataclass(frozen=True)
class Task:
    """A unit of work: ``duration_months`` long, after every task in ``depends_on``."""

    key: str
    label: str
    duration_months: float
    depends_on: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        checks.name("Task", "key", self.key)
        checks.non_negative(f"Task {self.key}", "duration_months", self.duration_months)

    @property
    def spends_capex(self) -> bool:
        """Whether money is spent while the task runs (design and permitting spend little)."""
        return self.key not in _NO_CAPEX


@dataclass(frozen=True)
class ScheduledTask:
    """A task placed in time, months from the start."""

    task: Task
    start_month: float
    finish_month: float
    slack_months: float

    @property
    def critical(self) -> bool:
        """On the critical path (no slack)."""
        return self.slack_months <= _SLACK_TOLERANCE


@dataclass(frozen=True)
class Schedule:
    """Every task's start and finish, the total duration and the critical path."""

    mode: str
    tasks: tuple[ScheduledTask, ...]
    critical_path: tuple[str, ...]

    @property
    def total_months(self) -> float:
        """Finish of the last task."""
        return max((t.finish_month for t in self.tasks), default=0.0)

    def task(self, key: str) -> ScheduledTask:
        """The scheduled task of that key."""
        for scheduled in self.tasks:
            if scheduled.task.key == key:
                return scheduled
        raise ModelError(f"schedule: no task {key!r}")

    def has(self, key: str) -> bool:
        """Whether the schedule contains the task."""
        return any(t.task.key == key for t in self.tasks)


def topological_order(tasks: Iterable[Task]) -> list[Task]:
    """Tasks ordered so that every task comes after its prerequisites (stable: input order wins).

    Unknown prerequisites, repeated keys and cycles raise ModelError naming them.
    """
    task_list = list(tasks)
    by_key: dict[str, Task] = {}
    for task in task_list:
        if task.key in by_key:
            raise ModelError(f"task graph: task {task.key!r} appears twice")
        by_key[task.key] = task
    for task in task_list:
        for dep in task.depends_on:
            if dep not in by_key:
                raise ModelError(f"task graph: {task.key!r} depends on unknown task {dep!r}")
    order: list[Task] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(task: Task, trail: list[str]) -> None:
        if state.get(task.key) == 2:
            return
        if state.get(task.key) == 1:
            cycle = [*trail[trail.index(task.key):], task.key]
            raise ModelError(f"task graph: cycle {' → '.join(cycle)}")
        state[task.key] = 1
        for dep in task.depends_on:
            visit(by_key[dep], [*trail, task.key])
        state[task.key] = 2
        order.append(task)

    for task in task_list:
        visit(task, [])
    return order


def schedule_parallel(tasks: Sequence[Task]) -> Schedule:
    """Critical path method: earliest starts forward, latest finishes backward, zero slack is critical."""
    order = topological_order(tasks)
    finish: dict[str, float] = {}
    start: dict[str, float] = {}
    for task in order:
        start[task.key] = max((finish[d] for d in task.depends_on), default=0.0)
        finish[task.key] = start[task.key] + task.duration_months
    total = max(finish.values(), default=0.0)
    successors: dict[str, list[str]] = {t.key: [] for t in order}
    for task in order:
        for dep in task.depends_on:
            successors[dep].append(task.key)
    by_key = {t.key: t for t in order}
    latest_finish: dict[str, float] = {}
    for task in reversed(order):
        latest_finish[task.key] = min(
            (latest_finish[s] - by_key[s].duration_months for s in successors[task.key]), default=total
        )
    scheduled = tuple(
        ScheduledTask(t, start[t.key], finish[t.key], latest_finish[t.key] - finish[t.key]) for t in order
    )
    return Schedule("parallel", scheduled, _critical_chain(scheduled, total))


def _critical_chain(scheduled: tuple[ScheduledTask, ...], total: float) -> tuple[str, ...]:
    by_key = {s.task.key: s for s in scheduled}
    ends = [s for s in scheduled if s.critical and abs(s.finish_month - total) <= _SLACK_TOLERANCE]
    if not ends:
        return ()
    chain = [ends[-1]]
    while True:
        current = chain[-1]
        previous = [
            by_key[d] for d in current.task.depends_on
            if by_key[d].critical and abs(by_key[d].finish_month - current.start_month) <= _SLACK_TOLERANCE
        ]
        if not previous:
            break
        chain.append(previous[0])
    return tuple(s.task.key for s in reversed(chain))


def schedule_sequential(tasks: Sequence[Task]) -> Schedule:
    """The same tasks one after another in dependency order: every task is critical."""
    clock = 0.0
    scheduled: list[ScheduledTask] = []
    for task in topological_order(tasks):
        scheduled.append(ScheduledTask(task, clock, clock + task.duration_months, 0.0))
        clock += task.duration_months
    return Schedule("sequential", tuple(scheduled), tuple(s.task.key for s in scheduled))


def base_build_tasks() -> tuple[Task, ...]:
    """The core AI build on a mining site with power, equipment and approvals in hand."""
    def duration(key: str) -> float:
        return task_duration(key).months

    return (
        Task("design_permits", "Design and building permits", duration("design_permits")),
        Task("construction", "Construction: data hall shell", duration("construction"), ("design_permits",)),
        Task("electrical", "Electrical: switchgear, UPS, generators", duration("electrical"),
             ("design_permits",)),
        Task("power_distribution", "Power distribution: busway, rack power", duration("power_distribution"),
             ("construction", "electrical")),
        Task("cooling", "Cooling: direct-to-chip loops, CDUs, heat rejection", duration("cooling"),
             ("construction",)),
        Task("commissioning", "Commissioning and integrated testing", duration("commissioning"),
             ("power_distribution", "cooling")),
    )


def conversion_tasks(site: SiteAssessment, feasibility: Feasibility) -> tuple[Task, ...]:
    """The task graph of converting ``site``: the base build plus the tasks its gaps add."""
    base = {t.key: t for t in base_build_tasks()}
    extra: list[Task] = []
    if feasibility.needs("zoning"):
        key = "zoning_pending" if site.land.zoning == "pending" else "zoning_not_applied"
        extra.append(Task("zoning", "Zoning and approvals", task_duration(key).months))
        base["construction"] = _add_dep(base["construction"], "zoning")
    if feasibility.needs("long_lead"):
        extra.append(Task("long_lead_procurement", "Procure long-lead transformers and switchgear",
                          task_duration("long_lead_procurement").months, ("design_permits",)))
        base["electrical"] = _add_dep(base["electrical"], "long_lead_procurement")
    gates: list[str] = []
    for key, label, need in (
        ("substation_build", "Build HV substation", "substation"),
        ("fiber_build", "Build fiber lateral", "fiber_build"),
        ("interconnect_expansion", "Energise the approved interconnect", "interconnect_upgrade"),
    ):
        if feasibility.needs(need):
            deps = () if key == "interconnect_expansion" else ("design_permits",)
            extra.append(Task(key, label, task_duration(key).months, deps))
            gates.append(key)
    for key in gates:
        base["commissioning"] = _add_dep(base["commissioning"], key)
    if not feasibility.needs("powered_shell"):
        base = _drop(base, "construction")
    if not feasibility.needs("liquid_cooling"):
        base = _drop(base, "cooling")
    multiplier = labour_multiplier(site.facility.skilled_labour)
    for key in HALL_TASKS:
        if key in base and key != "commissioning":
            base[key] = replace(base[key], duration_months=base[key].duration_months * multiplier)
    return (*extra, *base.values())


def labour_multiplier(skilled_labour: str) -> float:
    """How much longer the trades take with limited or scarce skilled labour (catalog)."""
    if skilled_labour == "limited":
        return finance_figure("labour_limited_multiplier").value
    if skilled_labour == "scarce":
        return finance_figure("labour_scarce_multiplier").value
    return 1.0


def hall_tasks(tasks: Sequence[Task]) -> tuple[Task, ...]:
    """Only the data-hall trades (what a later phase repeats), dependencies pruned to them."""
    kept = {t.key for t in tasks if t.key in HALL_TASKS}
    return tuple(
        replace(t, depends_on=tuple(d for d in t.depends_on if d in kept)) for t in tasks if t.key in kept
    )


def _add_dep(task: Task, dep: str) -> Task:
    return replace(task, depends_on=(*task.depends_on, dep))


def _drop(tasks: dict[str, Task], key: str) -> dict[str, Task]:
    """Remove a task; its dependents inherit its prerequisites."""
    removed = tasks[key]
    out: dict[str, Task] = {}
    for k, task in tasks.items():
        if k == key:
            continue
        if key in task.depends_on:
            deps = [d for d in task.depends_on if d != key]
            deps += [d for d in removed.depends_on if d not in deps]
            out[k] = replace(task, depends_on=tuple(deps))
        else:
            out[k] = task
    return out
