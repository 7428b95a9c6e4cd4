"""From a decision to miner targets: whole miners rounded down, fewest commands, trimmed to the cap."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wattswitch.control.demo_site import demo_scenario
from wattswitch.control.targets import (
    GpuBudget,
    MinerSlot,
    commands_for,
    expected_w,
    make_slots,
    miner_state,
    plan_site,
)
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.equipment import MinerIdentity, MinerTelemetry
from wattswitch.model.observation import Decision
from wattswitch.model.site_model import SiteModel, site_model

START = datetime(2025, 8, 1, tzinfo=UTC)
NO_GPU = GpuBudget(fixed_mw=0.0, per_training_node_mw=0.0, cluster_nodes=0)


def _fleet(count: int) -> tuple[SiteModel, list[MinerSlot]]:
    scenario = demo_scenario(count, start_utc=START, training_nodes=0, reserved_nodes=1)
    identities = [
        MinerIdentity(f"10.0.0.{i + 1}", "Antminer S19 XP", "luxos", 3010.0, 140.0) for i in range(count)
    ]
    return site_model(scenario), make_slots(scenario, {"fleet": identities})


def _mining(slots: list[MinerSlot]) -> list[MinerTelemetry]:
    return [MinerTelemetry(s.identity.address, True, 3010.0, 140.0) for s in slots]


def _off(slot: MinerSlot) -> MinerTelemetry:
    return MinerTelemetry(slot.identity.address, True, 90.0, 0.0)


def test_fractions_become_whole_miners_rounded_down() -> None:
    site, slots = _fleet(10)
    plan = plan_site(site, slots, _mining(slots), Decision((0.55,), (0.0,), 0.0), cap_mw=10.0, gpu=NO_GPU)
    states = [t.state for t in plan.miner_targets]
    assert states.count("mining") == 5  # 5.5 miners → 5, never more power than decided
    assert states.count("off") == 5


def test_miners_keep_their_state_where_the_decision_allows() -> None:
    site, slots = _fleet(6)
    now = _mining(slots)
    now[0] = _off(slots[0])
    now[1] = _off(slots[1])
    plan = plan_site(site, slots, now, Decision((4 / 6,), (0.0,), 0.0), cap_mw=10.0, gpu=NO_GPU)
    reductions, increases = commands_for(plan, slots, now)
    assert reductions == []  # the two off stay off,
    assert increases == []  # the four mining stay mining


def test_the_plan_is_trimmed_to_the_cap_least_efficient_group_first() -> None:
    scenario = default_scenario()
    site = site_model(scenario)
    members = {
        g.name: [
            MinerIdentity(f"10.{k}.0.{i + 1}", g.model, "luxos", g.power_w, g.hashrate_th_s) for i in range(4)
        ]
        for k, g in enumerate(scenario.asic_groups)
    }
    slots = make_slots(scenario, members)
    now = [MinerTelemetry(s.identity.address, True, s.identity.nameplate_power_w, 100.0) for s in slots]
    full_mw = sum(s.identity.nameplate_power_w * s.pue for s in slots) / 1e6
    cap = full_mw - 0.004  # one or two miners must go
    plan = plan_site(
        site, slots, now, Decision((1.0, 1.0, 1.0), (0.0, 0.0, 0.0), 0.0), cap_mw=cap, gpu=NO_GPU
    )
    assert plan.planned_mw <= cap
    off_groups = {s.group for s, t in zip(slots, plan.miner_targets, strict=True) if t.state == "off"}
    assert off_groups == {int(site.shed_order[0])}  # only the least efficient group was touched


def test_reductions_and_increases_are_split() -> None:
    site, slots = _fleet(4)
    now = [_off(slots[0]), *_mining(slots[1:])]
    plan = plan_site(site, slots, now, Decision((0.5,), (0.25,), 0.0), cap_mw=10.0, gpu=NO_GPU)
    reductions, increases = commands_for(plan, slots, now)
    assert [c.action for c in reductions] == ["power_limit"]  # the third mining one goes low
    assert increases == []  # the one already off takes the off slot
    assert miner_state(now[0], slots[0].identity) == "off"


def test_an_unreachable_miner_is_assumed_to_mine() -> None:
    _, slots = _fleet(1)
    silent = MinerTelemetry(slots[0].identity.address, False, error="timeout")
    assert miner_state(silent, slots[0].identity) == "mining"


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(1, 30),
    normal=st.floats(0, 1),
    low=st.floats(0, 1),
    cap_share=st.floats(0.0, 1.2),
    off_count=st.integers(0, 30),
    training=st.one_of(st.just(float("inf")), st.floats(0, 200)),
)
def test_a_plan_never_exceeds_a_feasible_cap(  # noqa: PLR0917 - hypothesis passes them by name
    count: int, normal: float, low: float, cap_share: float, off_count: int, training: float
) -> None:
    site, slots = _fleet(count)
    now = _mining(slots)
    for k in range(min(off_count, count)):
        now[k] = _off(slots[k])
    gpu = GpuBudget(fixed_mw=0.01, per_training_node_mw=0.005, cluster_nodes=4)
    full_mw = sum(expected_w(s, "mining", 0.6, None) * s.pue for s in slots) / 1e6 + 0.03
    cap = cap_share * full_mw
    floor_mw = (
        gpu.fixed_mw
        + sum(expected_w(s, "off", 0.6, t.power_w) * s.pue for s, t in zip(slots, now, strict=True)) / 1e6
    )
    plan = plan_site(
        site, slots, now, Decision((normal,), (min(low, 1 - normal),), training), cap_mw=cap, gpu=gpu
    )
    if floor_mw <= cap:
        assert plan.planned_mw <= cap + 1e-9
    assert 0 <= plan.training_nodes <= gpu.cluster_nodes
    assert np.isfinite(plan.planned_mw)
