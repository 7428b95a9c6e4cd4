"""Critical-path scheduling of task graphs, and the conversion task graph of a site."""

from __future__ import annotations

import dataclasses

import pytest

from wattswitch.economics.planning.feasibility import assess
from wattswitch.economics.planning.timeline import (
    Task,
    conversion_tasks,
    hall_tasks,
    schedule_parallel,
    schedule_sequential,
    topological_order,
)
from wattswitch.errors import ModelError
from wattswitch.model.site_assessment import SiteAssessment

# A(2) → B(3) → D(2); A → C(1) → D: the path through B is 7 long, C has 2 months of slack.
SMALL = (
    Task("D", "finish", 2.0, ("B", "C")),
    Task("A", "start", 2.0),
    Task("B", "long branch", 3.0, ("A",)),
    Task("C", "short branch", 1.0, ("A",)),
)


def test_critical_path_of_a_small_graph() -> None:
    schedule = schedule_parallel(SMALL)
    assert schedule.total_months == 7.0
    assert schedule.critical_path == ("A", "B", "D")
    assert (schedule.task("C").start_month, schedule.task("C").finish_month) == (2.0, 3.0)
    assert schedule.task("C").slack_months == pytest.approx(2.0)
    assert not schedule.task("C").critical
    assert schedule.task("D").start_month == 5.0


def test_sequential_schedule_runs_one_task_at_a_time_in_dependency_order() -> None:
    schedule = schedule_sequential(SMALL)
    assert schedule.total_months == 8.0
    order = [t.task.key for t in schedule.tasks]
    assert order.index("A") < order.index("B") < order.index("D")
    assert order.index("C") < order.index("D")


def test_lengthening_a_slack_task_moves_the_critical_path() -> None:
    longer = tuple(dataclasses.replace(t, duration_months=5.0) if t.key == "C" else t for t in SMALL)
    schedule = schedule_parallel(longer)
    assert schedule.total_months == 9.0
    assert schedule.critical_path == ("A", "C", "D")


def test_graph_errors_name_the_tasks() -> None:
    with pytest.raises(ModelError, match=r"cycle A → B → A"):
        topological_order([Task("A", "a", 1, ("B",)), Task("B", "b", 1, ("A",))])
    with pytest.raises(ModelError, match="unknown task 'Z'"):
        topological_order([Task("A", "a", 1, ("Z",))])
    with pytest.raises(ModelError, match="appears twice"):
        topological_order([Task("A", "a", 1), Task("A", "a", 2)])
    with pytest.raises(ModelError, match="duration_months"):
        Task("A", "a", -1)


def test_site_without_long_lead_equipment_waits_for_it(mining_site: SiteAssessment) -> None:
    schedule = schedule_parallel(conversion_tasks(mining_site, assess(mining_site)))
    assert schedule.critical_path[:3] == ("design_permits", "long_lead_procurement", "electrical")
    on_hand = dataclasses.replace(
        mining_site, power=dataclasses.replace(mining_site.power, long_lead_equipment_on_hand=True))
    assert schedule_parallel(conversion_tasks(on_hand, assess(on_hand))).total_months == 18.0
    assert schedule.total_months > 18.0


def test_scarce_labour_stretches_the_trades(mining_site: SiteAssessment) -> None:
    base = dataclasses.replace(mining_site, power=dataclasses.replace(
        mining_site.power, long_lead_equipment_on_hand=True))
    scarce = dataclasses.replace(base, facility=dataclasses.replace(base.facility, skilled_labour="scarce"))
    assert schedule_parallel(conversion_tasks(scarce, assess(scarce))).total_months > 18.0


def test_an_existing_data_hall_skips_construction(mining_site: SiteAssessment) -> None:
    hall = dataclasses.replace(mining_site, facility=dataclasses.replace(
        mining_site.facility, form_factor="data_hall", cooling="direct_to_chip"))
    keys = {t.key for t in conversion_tasks(hall, assess(hall))}
    assert "construction" not in keys
    assert "cooling" not in keys


def test_later_phases_repeat_only_the_hall_trades(mining_site: SiteAssessment) -> None:
    tasks = conversion_tasks(mining_site, assess(mining_site))
    hall = hall_tasks(tasks)
    assert {t.key for t in hall} == {"construction", "electrical", "power_distribution", "cooling",
                                     "commissioning"}
    assert schedule_parallel(hall).total_months == 15.0  # 9 + 3 + 3 without design and procurement
