"""The GPU half, live: a decision's training budget met by one uniform cap on the on-demand pool's
GPUs (the simulator's plan_power), pauses only where caps are not enough, tenants untouched, and
miners refilling the headroom an AI trough leaves, the cap held at every applied stage."""

from __future__ import annotations

import asyncio
import math
import threading
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from live_testing import START, STEP_S, Rig, build_rig

from wattswitch.control.demo_site import demo_scenario
from wattswitch.control.gpu_half import Pool, PoolJob, choose_pauses, plan_gpu_half, pool_of
from wattswitch.control.live_site import LiveSettings
from wattswitch.control.nvml import ModelledPowerCaps
from wattswitch.model.equipment import GpuJob, GpuNode, GpuPowerReading, JobSpec
from wattswitch.model.observation import Decision, Observation
from wattswitch.scheduling.power import ClusterPowerModel, decision_budget_w, plan_power
from wattswitch.store import repo

SPOT_NODES = ("gpu02", "gpu03", "gpu04", "gpu05")  # the rig's tenant job holds gpu01


@dataclass
class FixedPolicy:
    """Always the same decision (the backtested policies are exercised in test_controller)."""

    decision: Decision
    name: str = "fixed"

    def decide(self, observation: Observation) -> Decision:  # noqa: ARG002 - the protocol's signature
        return self.decision


@dataclass
class MeteredCaps:
    """Modelled caps of one node that meter the site after every cap they apply."""

    inner: ModelledPowerCaps
    readings: list[tuple[float, bool]] = field(default_factory=list)  # (site MW, cap raised)
    rig: Rig | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def modelled(self) -> bool:
        return True

    def describe(self) -> str:
        return self.inner.describe()

    def read(self) -> list[GpuPowerReading]:
        return self.inner.read()

    def limits_w(self, index: int) -> tuple[float, float]:
        return self.inner.limits_w(index)

    def set_cap_w(self, index: int, power_cap_w: float) -> None:
        before = self.inner.read()[index].power_cap_w
        self.inner.set_cap_w(index, power_cap_w)
        if self.rig is not None:
            with self.lock:
                self.readings.append((self.rig.metered_mw(), power_cap_w > before))


def _model(rig: Rig) -> ClusterPowerModel:
    model = rig.controller.live.power_model
    assert model is not None
    return model


async def _rig(
    tmp_path: Path, decision: Decision, *, headroom_share: float = 1.0
) -> tuple[Rig, dict[str, MeteredCaps]]:
    scenario = replace(
        demo_scenario(20, start_utc=START - timedelta(hours=6), headroom_share=headroom_share), step_s=STEP_S
    )
    gpu_w = (10200.0 - 2500.0) / 8  # the demo hall's H100 nodes: a busy GPU's watts over idle
    caps = {n: MeteredCaps(ModelledPowerCaps(8, gpu_w, 0.5 * gpu_w, gpu_w)) for n in ("gpu01", *SPOT_NODES)}
    rig = await build_rig(
        tmp_path,
        scenario=scenario,
        gpu_caps=dict(caps),
        live_settings=LiveSettings(inference_load_fraction=0.0, stage_mw=0.01),
    )
    for c in caps.values():
        c.rig = rig
    rig.controller.policy = FixedPolicy(decision)
    return rig, caps


def _fractions(rig: Rig) -> dict[str, float]:
    return {n: rig.controller.live.caps.fraction(n, 8) for n in ("gpu01", *SPOT_NODES)}


def _held(rig: Rig, caps: dict[str, MeteredCaps]) -> None:
    """The metered load never above the limit, whatever was applied (miners, caps, jobs)."""
    limit = rig.scenario.site.interconnect_limit_mw
    readings = [mw for c in caps.values() for mw, _ in c.readings] + [mw for mw, _ in rig.meter]
    assert readings
    assert max(readings) <= limit + 1e-9


@pytest.mark.parametrize(
    ("training_nodes", "paused_jobs"),
    [(2.4, 0), (1.5, 1), (1.0, 2), (0.0, 4)],
)
def test_a_budget_below_the_draw_caps_first_and_pauses_only_what_caps_cannot_meet(
    tmp_path: Path, training_nodes: float, paused_jobs: int
) -> None:
    async def go() -> None:
        rig, caps = await _rig(tmp_path, Decision((1.0,), (0.0,), training_nodes))
        model = _model(rig)
        budget_w = decision_budget_w(model, 4, training_nodes)  # 4 pool nodes up, 32 busy GPUs
        expected = plan_power(model, budget_w, 4, 32)
        report = await rig.controller.step()
        out = report.outcome
        assert out.gpu_budget_w == pytest.approx(budget_w)
        assert out.gpu_cap_fraction == pytest.approx(expected.cap_fraction if paused_jobs < 4 else 1.0)
        assert out.gpus_paused == expected.gpus_to_pause == 8 * paused_jobs
        jobs = {j.name: j.state for j in rig.cluster.snapshot()}
        assert jobs["tenant-model"] == "running"  # reserved: never paused ...
        newest_first = ["train-3", "train-2", "train-1", "train-0"]
        assert [n for n in newest_first if jobs[n] == "suspended"] == newest_first[:paused_jobs]
        fractions = _fractions(rig)
        assert fractions["gpu01"] == 1.0  # ... nor capped
        if paused_jobs < 4:
            assert [fractions[n] for n in SPOT_NODES] == pytest.approx([expected.cap_fraction] * 4)
        # what the GPUs draw now is what plan_power planned, and within the budget
        pool_w = (out.gpu_mw_after - rig.controller.live.gpu.fixed_mw) * 1e6 / rig.controller.live.pool_pue
        assert pool_w == pytest.approx(expected.power_w - 4 * model.idle_node_w)
        assert pool_w + 4 * model.idle_node_w <= budget_w + 1e-6
        assert rig.mining() == 20  # the cap does not bind: miners keep mining
        _held(rig, caps)
        # back to an unlimited budget: jobs resumed, caps lifted, in stages under the cap
        rig.controller.policy = FixedPolicy(Decision((1.0,), (0.0,), math.inf))
        rig.clock.t += timedelta(seconds=STEP_S)
        again = await rig.controller.step()
        paused_ids = {j.job_id for j in rig.cluster.snapshot() if j.name in newest_first[:paused_jobs]}
        assert set(again.outcome.jobs_resumed) == paused_ids
        assert all(j.state == "running" for j in rig.cluster.snapshot())
        assert set(_fractions(rig).values()) == {1.0}
        _held(rig, caps)
        rig.wired.close()

    asyncio.run(go())


def test_after_an_ai_trough_miners_fill_the_headroom_and_yield_first_when_ai_returns(tmp_path: Path) -> None:
    async def go() -> None:
        # a limit at 75 % of nameplate: with every GPU busy only part of the fleet fits
        rig, caps = await _rig(tmp_path, Decision((1.0,), (0.0,), math.inf), headroom_share=0.75)
        cap_mw = rig.scenario.site.interconnect_limit_mw
        first = await rig.controller.step()
        busy_miners = rig.mining()
        assert 0 < busy_miners < 20
        assert first.outcome.measured_mw_after <= cap_mw + 1e-9
        # the trough: two training jobs end
        for job in rig.cluster.snapshot():
            if job.name in ("train-2", "train-3"):
                rig.cluster.cancel(job.job_id)
        rig.clock.t += timedelta(seconds=STEP_S)
        trough = await rig.controller.step()
        trough_miners = rig.mining()
        assert trough_miners > busy_miners + 2  # miners raised into the headroom
        assert trough.outcome.stages >= 2  # in stages of at most 10 kW
        assert trough.outcome.max_measured_mw <= cap_mw + 1e-9
        assert trough.outcome.measured_mw_after > first.outcome.measured_mw_after - 0.005
        # AI returns (two jobs start on their own): miners yield first, GPUs keep running uncapped
        for k in range(2):
            rig.cluster.submit(JobSpec(f"train-{k + 4}", "train", gpus_per_node=8))
        rig.clock.t += timedelta(seconds=STEP_S)
        back = await rig.controller.step()
        assert rig.mining() < trough_miners - 2
        assert back.outcome.measured_mw_after <= cap_mw + 1e-9
        assert not back.outcome.jobs_suspended
        assert set(_fractions(rig).values()) == {1.0}
        _held(rig, caps)
        # the journal holds what the GPU half did and the measured values
        with rig.controller.store.read() as session:
            rows = repo.decisions_of(session, rig.controller.site_id)
            outcomes = [r.outcome for r in rows]
        assert all(o is not None and o["max_measured_mw"] <= cap_mw + 1e-9 for o in outcomes)
        assert all(o is not None and "gpu_cap_fraction" in o for o in outcomes)
        rig.wired.close()

    asyncio.run(go())


def test_a_left_over_cap_on_a_tenant_node_is_lifted(tmp_path: Path) -> None:
    async def go() -> None:
        rig, caps = await _rig(tmp_path, Decision((1.0,), (0.0,), math.inf))
        for i in range(8):
            caps["gpu01"].inner.set_cap_w(i, 0.0)  # a cap from before the tenant started there
        await rig.controller.step()
        assert _fractions(rig)["gpu01"] == 1.0
        rig.wired.close()

    asyncio.run(go())


# --- the pure planner ---------------------------------------------------------------------------


def _pool(*jobs: tuple[str, int, bool, bool], nodes: int = 4) -> Pool:
    return Pool(
        tuple(f"n{i}" for i in range(nodes)),
        tuple(PoolJob(job_id, gpus, running, shared, ("n0",)) for job_id, gpus, running, shared in jobs),
    )


def _h100() -> ClusterPowerModel:
    scenario = demo_scenario(1, start_utc=START)
    return ClusterPowerModel(scenario.gpu_groups[0])


def test_the_budget_is_the_simulators_formula() -> None:
    model = _h100()
    assert decision_budget_w(model, 4, 1.5) == pytest.approx(4 * 2500.0 + 1.5 * 8 * 962.5)
    assert math.isinf(decision_budget_w(model, 4, math.inf))
    assert decision_budget_w(model, 4, -1.0) == pytest.approx(4 * 2500.0)


def test_paused_jobs_stay_paused_first_and_resume_oldest_first() -> None:
    model = _h100()
    pool = _pool(("1", 8, True, False), ("2", 8, False, False), ("3", 8, False, False))
    budget = decision_budget_w(model, 4, 1.0)  # 16 GPUs fit at the lowest cap
    plan = plan_gpu_half(model, budget, pool)
    assert (plan.suspend, plan.resume) == ((), ("2",))  # job 3 (newest) stays paused
    assert plan.cap_fraction == pytest.approx(0.5)
    assert plan.power_w <= budget + 1e-6


def test_a_preemptible_job_on_a_tenant_node_is_paused_rather_than_capped() -> None:
    model = _h100()
    pool = _pool(("1", 8, True, False), ("2", 8, True, True))
    plan = plan_gpu_half(model, decision_budget_w(model, 4, 1.5), pool)
    assert plan.suspend == ("2",)
    assert plan.cap_fraction == 1.0  # 8 GPUs within 1.5 nodes' worth: uncapped
    uncapped = plan_gpu_half(model, decision_budget_w(model, 4, 2.0), pool)
    assert (uncapped.suspend, uncapped.cap_fraction) == ((), 1.0)


def test_gpus_that_cannot_cap_low_enough_pause_instead() -> None:
    model = _h100()
    pool = _pool(("1", 8, True, False), ("2", 8, True, False))
    budget = decision_budget_w(model, 4, 1.0)  # 16 GPUs at 50 %
    assert plan_gpu_half(model, budget, pool).suspend == ()
    floored = plan_gpu_half(model, budget, pool, cap_floor=0.7)
    assert floored.suspend == ("2",)
    assert floored.cap_fraction >= 0.7
    assert floored.power_w <= budget + 1e-6


def test_pauses_cover_the_need_with_the_fewest_gpus_newest_first() -> None:
    jobs = [PoolJob(str(i), g, True, False, ("n0",)) for i, g in enumerate([8, 2, 4, 4, 16], start=1)]
    assert [j.job_id for j in choose_pauses(jobs, 3)] == ["4"]  # a 4-GPU job, the newer one
    assert [j.job_id for j in choose_pauses(jobs, 10)] == ["5"]
    assert [j.job_id for j in choose_pauses(jobs, 20)] == ["5", "4"]
    assert choose_pauses(jobs, 0) == []


def test_the_pool_leaves_out_tenant_and_down_nodes() -> None:
    nodes = [GpuNode("a", "allocated", 8, 8), GpuNode("b", "mixed", 8, 4), GpuNode("c", "down", 8, 0)]
    jobs = [
        GpuJob("1", "tenant", "running", ("a",), 8, False, "reserved"),
        GpuJob("2", "spot", "running", ("b",), 4, True, "spot"),
        GpuJob("3", "spot", "suspended", ("a",), 0, True, "spot"),
        GpuJob("4", "queued", "pending", (), 8, True, "spot"),
    ]
    pool = pool_of(jobs, nodes)
    assert pool.nodes == ("b",)
    assert [(j.job_id, j.running, j.shared) for j in pool.jobs] == [("2", True, False), ("3", False, True)]
    assert pool.busy_gpus("b") == 4
