"""The shared miner suite against the in-process fleet, plus what only it offers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from miner_suite import Harness, MinerFleetSuite

from wattswitch.control.memory_fleet import (
    FaultMode,
    Firmware,
    MemoryMinerFleet,
    SimulatedMiner,
    consecutive_addresses,
    power_profiles,
    simulated_miners,
)
from wattswitch.control.miner_sending import FleetSettings
from wattswitch.model.catalog.hardware import asic
from wattswitch.model.equipment import MinerCommand


class MemoryHarness(MinerFleetSuite):
    FIRMWARE_NAME: Firmware = "luxos"

    @asynccontextmanager
    async def harness(self, count: int, settings: FleetSettings) -> AsyncIterator[Harness]:
        fleet = MemoryMinerFleet(simulated_miners(count, firmware=self.FIRMWARE_NAME), settings)

        async def set_mode(address: str, mode: FaultMode) -> None:
            fleet.set_mode(address, mode)

        yield Harness(fleet, fleet.addresses, set_mode, fleet.total_power_w, fleet.counters)


class TestMemoryFleetLuxOS(MemoryHarness):
    FIRMWARE = "luxos"
    FIRMWARE_NAME = "luxos"


class TestMemoryFleetBraiins(MemoryHarness):
    FIRMWARE = "braiins"
    FIRMWARE_NAME = "braiins"


class TestMemoryFleetStock(MemoryHarness):
    FIRMWARE = "stock"
    FIRMWARE_NAME = "stock"

    def test_power_limit_lowers_watts(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.fleet.discover()
            [result] = await h.fleet.send([MinerCommand(h.addresses[0], "power_limit", power_limit_w=2500)])
            assert not result.ok
            assert result.attempts == 1
            assert "no power limit" in (result.error or "")

        self.run(scenario)


def test_profiles_follow_the_nameplate_and_the_eco_trade_off() -> None:
    profiles = power_profiles(asic("Antminer S21"))
    assert [p.name for p in profiles][-1] == "default"
    assert profiles[-1].power_w == 3500
    assert profiles[-1].hashrate_th_s == 200
    assert profiles[0].power_w == pytest.approx(0.6 * 3500)
    assert profiles[0].hashrate_th_s == pytest.approx(0.7 * 200, rel=0.01)
    assert all(a.power_w < b.power_w for a, b in itertools.pairwise(profiles))


def test_transition_delay_keeps_the_old_draw_until_it_elapses() -> None:
    now = [100.0]
    miner = SimulatedMiner("10.0.0.1", transition_s=5.0, clock=lambda: now[0])
    miner.stop()
    assert miner.power_w == 3010
    assert miner.hashrate_th_s == 140
    now[0] += 5.0
    assert miner.power_w == pytest.approx(0.03 * 3010)
    assert miner.hashrate_th_s == 0
    assert not miner.reported_mining


def test_consecutive_addresses_skip_network_and_broadcast_octets() -> None:
    assert consecutive_addresses("10.0.0.254", 3) == ["10.0.0.254", "10.0.1.1", "10.0.1.2"]


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.9: firmware 'bogus'"):
        SimulatedMiner("10.0.0.9", firmware="bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout_s"):
        FleetSettings(timeout_s=0)
    fleet = MemoryMinerFleet.of(2)
    with pytest.raises(ValueError, match="fault mode 'sleepy'"):
        fleet.set_mode(fleet.addresses[0], "sleepy")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match=r"10\.9\.9\.9"):
        fleet.miner("10.9.9.9")


def test_concurrency_limit_bounds_attempts_in_flight() -> None:
    fleet = MemoryMinerFleet.of(
        20,
        settings=FleetSettings(concurrency=3),
    )
    fleet.latency_s = 0.01
    in_flight = [0]
    peak = [0]
    original = fleet._answer

    async def counting(miner: SimulatedMiner, what: str) -> None:
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        try:
            await original(miner, what)
        finally:
            in_flight[0] -= 1

    fleet._answer = counting  # type: ignore[method-assign]

    async def main() -> None:
        results = await fleet.send([MinerCommand(a, "stop") for a in fleet.addresses])
        assert all(r.ok for r in results)

    asyncio.run(main())
    assert peak[0] == 3
