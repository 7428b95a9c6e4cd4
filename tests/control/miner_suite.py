"""One behaviour suite for every MinerFleet (subclassed per adapter, like gridstatus' BaseTestISO).

A subclass provides :meth:`MinerFleetSuite.harness`: an async context manager yielding a
:class:`Harness` over ``count`` miners of ``FIRMWARE`` built with the given settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from wattswitch.control.memory_fleet import SLEEP_POWER_SHARE, FaultMode
from wattswitch.control.miner_sending import FleetCounters, FleetSettings
from wattswitch.model.equipment import MinerCommand, MinerFleet, MinerIdentity, MinerTelemetry

SETTINGS = FleetSettings(timeout_s=0.5, retries=2, backoff_s=0.02, concurrency=64)


@dataclass
class Harness:
    """A fleet under test and the knobs of the fake behind it."""

    fleet: MinerFleet
    addresses: list[str]
    set_mode: Callable[[str, FaultMode], Awaitable[None]]
    total_power_w: Callable[[], float]
    counters: Callable[[], FleetCounters]


def by_address(readings: list[MinerTelemetry]) -> dict[str, MinerTelemetry]:
    return {r.address: r for r in readings}


class MinerFleetSuite:
    """Behaviour every MinerFleet must show; subclasses set FIRMWARE and implement harness()."""

    FIRMWARE = "luxos"
    COUNT = 4

    def harness(self, count: int, settings: FleetSettings) -> AbstractAsyncContextManager[Harness]:
        raise NotImplementedError

    def run(self, scenario: Callable[[Harness], Awaitable[None]], settings: FleetSettings = SETTINGS) -> None:
        async def main() -> None:
            async with self.harness(self.COUNT, settings) as harness:
                await scenario(harness)

        asyncio.run(main())

    @staticmethod
    async def identities(h: Harness) -> dict[str, MinerIdentity]:
        found = await h.fleet.discover()
        return {i.address: i for i in found}

    # --- discovery and telemetry -----------------------------------------------------------------
    def test_discover_finds_every_miner(self) -> None:
        async def scenario(h: Harness) -> None:
            ids = await self.identities(h)
            assert sorted(ids) == sorted(h.addresses)
            for identity in ids.values():
                assert identity.firmware == self.FIRMWARE
                assert identity.model == "Antminer S19 XP"
                assert identity.nameplate_power_w == 3010
                assert identity.nameplate_hashrate_th_s == 140

        self.run(scenario)

    def test_discover_leaves_out_silent_miners(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.set_mode(h.addresses[0], "down")
            ids = await self.identities(h)
            assert sorted(ids) == sorted(h.addresses[1:])

        self.run(scenario)

    def test_read_reports_power_and_hashrate_of_mining_miners(self) -> None:
        async def scenario(h: Harness) -> None:
            ids = await self.identities(h)
            readings = await h.fleet.read()
            assert [r.address for r in readings] == h.addresses
            for reading in readings:
                assert reading.reachable, reading.error
                assert 0.9 * 3010 <= reading.power_w <= 1.1 * 3010
                assert 0.9 * 140 <= reading.hashrate_th_s <= 1.1 * 140
                assert reading.max_temperature_c is not None
                assert reading.max_temperature_c > 50
                assert not reading.curtailed(ids[reading.address])
            assert h.total_power_w() == self.COUNT * 3010

        self.run(scenario)

    # --- commands ----------------------------------------------------------------------------------
    def test_stop_curtails_and_resume_mines_again(self) -> None:
        async def scenario(h: Harness) -> None:
            ids = await self.identities(h)
            stopped = h.addresses[:2]
            results = await h.fleet.send([MinerCommand(a, "stop") for a in stopped])
            assert [r.command.address for r in results] == stopped
            assert all(r.ok and r.attempts == 1 for r in results), results
            readings = by_address(await h.fleet.read())
            for address in h.addresses:
                assert readings[address].curtailed(ids[address]) == (address in stopped)
            assert readings[stopped[0]].hashrate_th_s == 0
            sleeping_w = SLEEP_POWER_SHARE * 3010
            assert h.total_power_w() == 2 * 3010 + 2 * sleeping_w  # the meter agrees

            results = await h.fleet.send([MinerCommand(a, "resume") for a in stopped])
            assert all(r.ok for r in results), results
            readings = by_address(await h.fleet.read())
            assert not any(readings[a].curtailed(ids[a]) for a in h.addresses)
            assert h.total_power_w() == self.COUNT * 3010

        self.run(scenario)

    def test_power_limit_lowers_watts(self) -> None:
        async def scenario(h: Harness) -> None:
            await self.identities(h)
            address = h.addresses[0]
            [result] = await h.fleet.send([MinerCommand(address, "power_limit", power_limit_w=2500)])
            assert result.ok, result
            reading = by_address(await h.fleet.read())[address]
            assert reading.power_w <= 2500
            assert reading.power_w >= 0.6 * 3010  # a profile, not asleep
            assert 0 < reading.hashrate_th_s < 140
            assert h.total_power_w() < self.COUNT * 3010

            [too_low] = await h.fleet.send([MinerCommand(address, "power_limit", power_limit_w=100)])
            assert not too_low.ok
            assert too_low.attempts == 1
            assert address in (too_low.error or "")

        self.run(scenario)

    def test_failing_miner_fails_after_retries_without_holding_up_the_others(self) -> None:
        async def scenario(h: Harness) -> None:
            await self.identities(h)
            bad = h.addresses[1]
            await h.set_mode(bad, "fail")
            results = await h.fleet.send([MinerCommand(a, "stop") for a in h.addresses])
            failed = results[1]
            assert not failed.ok
            assert failed.attempts == SETTINGS.retries + 1
            assert bad in (failed.error or "")
            others = [r for r in results if r.command.address != bad]
            assert all(r.ok and r.attempts == 1 for r in others), others
            assert max(r.elapsed_s for r in others) < failed.elapsed_s
            counters = h.counters()
            assert counters.failed == 1
            assert counters.retried == SETTINGS.retries
            assert counters.acknowledged == self.COUNT - 1
            assert counters.sent == self.COUNT + SETTINGS.retries
            reading = by_address(await h.fleet.read())[bad]
            assert not reading.reachable
            assert bad in (reading.error or "")

        self.run(scenario)

    def test_hanging_miner_times_out(self) -> None:
        settings = FleetSettings(timeout_s=0.3, retries=1, backoff_s=0.01, concurrency=64)

        async def scenario(h: Harness) -> None:
            await self.identities(h)
            hung = h.addresses[0]
            await h.set_mode(hung, "hang")
            results = await h.fleet.send([MinerCommand(a, "stop") for a in h.addresses])
            assert not results[0].ok
            assert results[0].attempts == 2
            assert "no reply within 0.3 s" in (results[0].error or "")
            assert hung in (results[0].error or "")
            assert all(r.ok for r in results[1:]), results
            assert max(r.elapsed_s for r in results[1:]) < results[0].elapsed_s
            assert h.counters().timed_out == 2
            readings = by_address(await h.fleet.read())
            assert not readings[hung].reachable
            assert "no reply" in (readings[hung].error or "")
            assert all(readings[a].reachable for a in h.addresses[1:])

        self.run(scenario, settings)

    def test_down_miner_is_reported_unreachable(self) -> None:
        async def scenario(h: Harness) -> None:
            await self.identities(h)
            down = h.addresses[2]
            await h.set_mode(down, "down")
            [result] = await h.fleet.send([MinerCommand(down, "stop")])
            assert not result.ok
            assert result.attempts == SETTINGS.retries + 1
            assert down in (result.error or "")
            reading = by_address(await h.fleet.read())[down]
            assert not reading.reachable
            await h.set_mode(down, "ok")  # back up: commands work again
            [result] = await h.fleet.send([MinerCommand(down, "stop")])
            assert result.ok, result

        self.run(scenario)

    def test_lying_miner_acknowledges_stop_but_telemetry_shows_it_mining(self) -> None:
        async def scenario(h: Harness) -> None:
            ids = await self.identities(h)
            liar = h.addresses[3]
            await h.set_mode(liar, "lie")
            results = await h.fleet.send([MinerCommand(a, "stop") for a in h.addresses])
            assert all(r.ok for r in results), results  # everyone says yes
            readings = by_address(await h.fleet.read())
            assert readings[liar].reachable
            assert not readings[liar].curtailed(ids[liar])
            assert readings[liar].hashrate_th_s > 100
            assert all(readings[a].curtailed(ids[a]) for a in h.addresses[:3])
            assert h.total_power_w() == 3010 + 3 * SLEEP_POWER_SHARE * 3010

        self.run(scenario)

    def test_command_to_an_unknown_address_fails_at_once(self) -> None:
        async def scenario(h: Harness) -> None:
            await self.identities(h)
            [result] = await h.fleet.send([MinerCommand("127.0.0.254", "stop")])
            assert not result.ok
            assert result.attempts == 1
            assert "127.0.0.254" in (result.error or "")

        self.run(scenario, FleetSettings(timeout_s=0.5, retries=3, backoff_s=0.01))
