"""The live controller on in-process fakes: journal first, the cap held mid-transition, crash
recovery without double application, safe modes with alerts, grid events, dry runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from live_testing import CHEAP, DEAR, START, Crash, ManualClock, build_rig, price_series

from wattswitch.control.controller import SafetySettings
from wattswitch.control.live_site import LiveSettings
from wattswitch.control.prices import ReplayPriceFeed
from wattswitch.store import live as journal


def test_dear_prices_curtail_cheap_prices_resume_and_the_journal_precedes_every_command(
    tmp_path: Path,
) -> None:
    async def go() -> None:
        prices = ReplayPriceFeed(price_series([DEAR] * 24 + [CHEAP] * 400), "HB_WEST")
        rig = await build_rig(
            tmp_path, prices=prices, live_settings=LiveSettings(inference_load_fraction=0.0, stage_mw=0.02)
        )
        first = await rig.controller.step()
        assert rig.mining() == 0  # dear: every miner stopped
        assert first.outcome.acknowledged == 20
        rig.clock.t += timedelta(hours=1)
        second = await rig.controller.step()
        assert rig.mining() == 20  # cheap again: all back
        assert second.outcome.stages >= 3  # 20 × 3.1 kW in stages of at most 20 kW
        assert set(rig.fleet.journal_states_seen) == {"journaled"}  # commands only after journaling
        assert [state for _, _, state in rig.decisions()] == ["confirmed", "confirmed"]
        assert all(mw <= cap + 1e-9 for mw, cap in rig.meter)
        rig.wired.close()

    asyncio.run(go())


def test_a_grid_event_is_met_with_mining_first_and_reserved_tenants_untouched(tmp_path: Path) -> None:
    async def go() -> None:
        rig = await build_rig(tmp_path)
        await rig.controller.step()
        limit = rig.scenario.site.interconnect_limit_mw
        gpu = rig.controller.live.gpu
        # a target that mining alone cannot meet: every miner off, and two training nodes paused
        target = (
            gpu.fixed_mw
            + 2 * gpu.per_training_node_mw
            + 20 * 0.15 * 3.01e-3 * rig.controller.live.slots[0].pue
        )
        with rig.controller.store.write() as session:
            journal.add_grid_event(
                session,
                rig.controller.site_id,
                kind="demand-response",
                target_mw=target,
                deadline_utc=rig.clock.now(),
                end_utc=rig.clock.now() + timedelta(hours=1),
                source="test",
            )
        report = await rig.controller.respond_to_events()
        assert report is not None
        assert report.kind == "grid-event"
        assert report.cap_mw == pytest.approx(target)
        assert report.outcome.measured_mw_after <= target + 1e-9
        assert rig.mining() == 0
        jobs = {j.name: j.state for j in rig.cluster.snapshot()}
        assert jobs["tenant-model"] == "running"  # reserved: never touched
        assert sorted(jobs.values()).count("suspended") == 2
        assert report.outcome.measured_mw_after < limit
        with rig.controller.store.read() as session:
            event = journal.grid_events_of(session, rig.controller.site_id)[0]
            assert event.acknowledged_at is not None
            assert event.met_at is not None
        assert await rig.controller.respond_to_events() is None  # acknowledged: no second re-plan
        rig.wired.close()

    asyncio.run(go())


def test_a_crash_mid_apply_resumes_from_the_journal_without_deciding_or_sending_twice(tmp_path: Path) -> None:
    async def go() -> None:
        prices = ReplayPriceFeed(price_series([DEAR] * 400), "HB_WEST")
        rig = await build_rig(tmp_path, prices=prices)
        rig.fleet.crash_after_commands = 7
        with pytest.raises(Crash):
            await rig.controller.step()
        assert rig.decisions()[0][2] == "journaled"
        assert len(rig.fleet.sent) == 7
        restarted = await rig.rebuild()
        report = await restarted.controller.recover()
        assert report is not None
        assert report.resumed
        assert len(restarted.decisions()) == 1  # the same decision, finished — not a new one
        assert restarted.decisions()[0][2] == "confirmed"
        stopped = [c.address for c in restarted.fleet.sent if c.action == "stop"]
        assert len(stopped) == 20
        assert len(set(stopped)) == 20  # no miner was stopped twice
        assert restarted.mining() == 0
        restarted.wired.close()

    asyncio.run(go())


def test_unfinished_decisions_of_past_intervals_are_superseded_on_restart(tmp_path: Path) -> None:
    async def go() -> None:
        rig = await build_rig(tmp_path, prices=ReplayPriceFeed(price_series([DEAR] * 400), "HB_WEST"))
        rig.fleet.crash_after_commands = 3
        with pytest.raises(Crash):
            await rig.controller.step()
        rig.clock.t += timedelta(minutes=12)  # the process stayed down past its interval
        restarted = await rig.rebuild()
        assert await restarted.controller.recover() is None
        await restarted.controller.step()
        states = sorted(state for _, _, state in restarted.decisions())
        assert states == ["confirmed", "superseded"]
        assert restarted.mining() == 0
        restarted.wired.close()

    asyncio.run(go())


def test_a_stale_price_feed_curtails_mining_with_an_alert_that_clears(tmp_path: Path) -> None:
    async def go() -> None:
        values = [CHEAP] * 26 + [float("nan")] * 30 + [CHEAP] * 400  # a 2.5 h outage after 18:05
        rig = await build_rig(
            tmp_path,
            prices=ReplayPriceFeed(price_series(values), "HB_WEST"),
            safety=SafetySettings(price_stale_after_s=1200),
        )
        assert (await rig.controller.step()).safe_modes == ()
        rig.clock.t += timedelta(minutes=45)
        report = await rig.controller.step()
        assert report.safe_modes == ("price-feed",)
        assert rig.mining() == 0
        with rig.controller.store.read() as session:
            alerts = journal.alerts_of(session, rig.controller.site_id, open_only=True)
            assert [a.kind for a in alerts] == ["price-feed"]
            assert "min old" in alerts[0].message
        rig.clock.t += timedelta(hours=3)
        assert (await rig.controller.step()).safe_modes == ()
        assert rig.mining() == 20
        with rig.controller.store.read() as session:
            assert journal.alerts_of(session, rig.controller.site_id, open_only=True) == []
        rig.wired.close()

    asyncio.run(go())


def test_losing_slurm_budgets_gpus_at_full_power_and_alerts(tmp_path: Path) -> None:
    async def go() -> None:
        rig = await build_rig(tmp_path)
        live = rig.controller.live
        await rig.controller.step()
        rig.cluster.set_unreachable(True)
        report = await rig.controller.step()
        assert "cluster" in report.safe_modes
        assert report.plan.training_nodes == 4  # assumed busy, never commanded
        assert report.plan.planned_mw <= report.cap_mw
        assert live.cluster is not None
        with rig.controller.store.read() as session:
            assert "cluster" in {
                a.kind for a in journal.alerts_of(session, rig.controller.site_id, open_only=True)
            }
        rig.cluster.set_unreachable(False)
        rig.wired.close()

    asyncio.run(go())


def test_silent_miners_are_budgeted_at_nameplate_and_liars_get_stopped_again(tmp_path: Path) -> None:
    async def go() -> None:
        rig = await build_rig(tmp_path, safety=SafetySettings(min_fleet_reachable_share=0.9))
        addresses = rig.fleet.inner.addresses
        for address in addresses[:3]:
            rig.fleet.inner.set_mode(address, "down")
        for address in addresses[3:5]:
            rig.fleet.inner.set_mode(address, "lie")
        report = await rig.controller.step()
        assert "fleet" in report.safe_modes  # 17 of 20 answer
        with rig.controller.store.write() as session:
            journal.add_grid_event(
                session,
                rig.controller.site_id,
                kind="4cp",
                target_mw=rig.controller.live.gpu.fixed_mw + 0.02,
                deadline_utc=rig.clock.now(),
                end_utc=rig.clock.now() + timedelta(hours=1),
                source="test",
            )
        event = await rig.controller.respond_to_events()
        assert event is not None
        assert event.outcome.failed == 3  # the silent ones, after their retries
        assert event.plan.planned_mw <= event.cap_mw + 1e-9  # silent miners were counted at nameplate
        # the liars acknowledged "stop" and kept drawing: stopped again, then preemptible AI paused
        assert event.outcome.emergency_stops >= 2
        assert event.outcome.measured_mw_after <= event.cap_mw + 1e-9
        jobs = {j.name: j.state for j in rig.cluster.snapshot()}
        assert jobs.pop("tenant-model") == "running"
        assert set(jobs.values()) == {"suspended"}
        rig.wired.close()

    asyncio.run(go())


def test_a_dry_run_journals_decisions_and_touches_nothing(tmp_path: Path) -> None:
    async def go() -> None:
        rig = await build_rig(
            tmp_path, prices=ReplayPriceFeed(price_series([DEAR] * 400), "HB_WEST"), dry_run=True
        )
        report = await rig.controller.step()
        assert report.outcome.dry_run
        assert report.outcome.sent == 20  # what would have been sent
        assert rig.fleet.sent == []
        assert rig.mining() == 20
        assert all(m.commands_received == 0 for m in rig.fleet.inner.miners.values())
        assert rig.cluster.calls == [] or all(
            not c.startswith(("suspend", "resume")) for c in rig.cluster.calls
        )
        assert rig.decisions()[0][2] == "confirmed"
        rig.wired.close()

    asyncio.run(go())


def test_the_loop_runs_intervals_and_reacts_to_an_event_between_them(tmp_path: Path) -> None:
    async def go() -> None:
        rig = await build_rig(tmp_path)
        clock = rig.clock
        assert isinstance(clock, ManualClock)
        original_sleep = clock.sleep
        posted = False

        async def sleep_and_post(seconds: float) -> None:
            nonlocal posted
            await original_sleep(seconds)
            if not posted and clock.now() > START + timedelta(minutes=2):
                posted = True
                with rig.controller.store.write() as session:
                    journal.add_grid_event(
                        session,
                        rig.controller.site_id,
                        kind="demand-response",
                        target_mw=0.05,
                        deadline_utc=clock.now(),
                        end_utc=clock.now() + timedelta(minutes=20),
                        source="test",
                    )

        clock.sleep = sleep_and_post  # type: ignore[method-assign]
        reports = await rig.controller.run(intervals=3)
        kinds = [r.kind for r in reports]
        assert kinds.count("interval") == 3
        assert kinds.count("grid-event") == 1
        assert all(r.outcome.measured_mw_after <= r.cap_mw + 1e-9 for r in reports)
        assert all(mw <= cap + 1e-9 for mw, cap in rig.meter)
        rig.wired.close()

    asyncio.run(go())


@pytest.mark.parametrize("policy", ["always-on", "threshold", "mpc"])
def test_every_live_policy_runs_unchanged_on_the_live_site(tmp_path: Path, policy: str) -> None:
    async def go() -> None:
        values = ([CHEAP] * 5 + [DEAR] * 3) * 60
        rig = await build_rig(
            tmp_path, policy=policy, prices=ReplayPriceFeed(price_series(values), "HB_WEST")
        )
        reports = await rig.controller.run(intervals=6)
        assert len(reports) == 6
        assert {state for _, _, state in rig.decisions()} == {"confirmed"}
        assert all(r.plan.planned_mw <= r.cap_mw + 1e-9 for r in reports)
        assert all(mw <= cap + 1e-9 for mw, cap in rig.meter)
        assert rig.controller.policy.name == policy
        rig.wired.close()

    asyncio.run(go())
