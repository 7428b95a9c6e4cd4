"""The shared miner suite against PyasicFleet talking real TCP (and HTTP) to fake miners."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from miner_suite import SETTINGS, Harness, MinerFleetSuite, by_address

from wattswitch.control.fake_miner import FakeMinerFarm
from wattswitch.control.memory_fleet import FaultMode, Firmware
from wattswitch.control.miner_sending import FleetSettings
from wattswitch.control.pyasic_fleet import STOCK_NOTE, PyasicFleet
from wattswitch.model.equipment import MinerCommand


class PyasicHarness(MinerFleetSuite):
    FIRMWARE_NAME: Firmware = "luxos"

    @asynccontextmanager
    async def harness(self, count: int, settings: FleetSettings) -> AsyncIterator[Harness]:
        # A full collection now, so none lands inside the scenario: with pyasic's large heap one
        # pauses the loop for 0.1-0.3 s on a loaded machine, which is most of SETTINGS.timeout_s.
        gc.collect()
        async with FakeMinerFarm(count, firmware=self.FIRMWARE_NAME) as farm:
            if not farm.web_enabled:
                pytest.skip("port 80 cannot be bound here: stock Antminer control is not verifiable")
            fleet = PyasicFleet(farm.addresses, settings=settings)

            async def set_mode(address: str, mode: FaultMode) -> None:
                await farm.set_mode(address, mode)

            yield Harness(fleet, farm.addresses, set_mode, farm.total_power_w, fleet.counters)


class TestPyasicFleetLuxOS(PyasicHarness):
    FIRMWARE = "luxos"
    FIRMWARE_NAME = "luxos"

    def test_session_is_reused_and_renewed_when_the_miner_forgets_it(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.fleet.discover()
            address = h.addresses[0]
            [first] = await h.fleet.send([MinerCommand(address, "stop")])
            assert first.ok
            fleet = h.fleet
            assert isinstance(fleet, PyasicFleet)
            fleet._miners[address].rpc.session_token = "stale"  # as after a miner reboot
            [second] = await h.fleet.send([MinerCommand(address, "resume")])
            assert second.ok, second
            assert second.attempts == 2, second

        self.run(scenario)


class TestPyasicFleetStock(PyasicHarness):
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

    def test_acknowledgement_says_it_was_read_back_and_power_is_estimated(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.fleet.discover()
            [result] = await h.fleet.send([MinerCommand(h.addresses[0], "stop")])
            assert result.ok
            assert result.error == STOCK_NOTE
            reading = (await h.fleet.read())[1]
            assert reading.power_w == pytest.approx(3010)
            assert "estimated" in (reading.error or "")

        self.run(scenario)


class TestPyasicFleetBraiins(PyasicHarness):
    """Braiins OS+ ("BOSer"): identified over RPC, driven and read over gRPC."""

    FIRMWARE = "braiins"
    FIRMWARE_NAME = "braiins"

    def test_power_target_is_reported_and_out_of_range_is_refused_without_retries(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.fleet.discover()
            address = h.addresses[0]
            [result] = await h.fleet.send([MinerCommand(address, "power_limit", power_limit_w=2500)])
            assert result.ok, result
            assert result.error is None  # pyasic checked the target the firmware reported back
            reading = by_address(await h.fleet.read())[address]
            assert reading.power_limit_w == 2500
            assert reading.power_w == pytest.approx(0.8 * 3010)  # the tuner's preset at or below
            [refused] = await h.fleet.send([MinerCommand(address, "power_limit", power_limit_w=100)])
            assert not refused.ok
            assert refused.attempts == 1
            assert "INVALID_ARGUMENT" in (refused.error or "")
            assert "out of range" in (refused.error or "")

        self.run(scenario)

    def test_grpc_failures_are_named_and_retried(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.fleet.discover()
            address = h.addresses[0]
            await h.set_mode(address, "fail")
            [result] = await h.fleet.send([MinerCommand(address, "power_limit", power_limit_w=2500)])
            assert not result.ok
            assert result.attempts == SETTINGS.retries + 1
            assert "INTERNAL: fake miner told to fail" in (result.error or "")

        self.run(scenario)

    def test_login_at_discovery_and_a_forgotten_token_is_renewed(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.fleet.discover()
            fleet = h.fleet
            assert isinstance(fleet, PyasicFleet)
            address = h.addresses[0]
            web = fleet._miners[address].web
            assert web.token  # logged in at discovery
            web.token = "stale"  # as after a miner reboot
            [result] = await h.fleet.send([MinerCommand(address, "stop")])
            assert result.ok, result
            assert result.attempts == 1  # pyasic logs in again within the call
            assert web.token != "stale"
            assert h.total_power_w() < 4 * 3010

        self.run(scenario)

    def test_reading_without_grpc_estimates_power_and_says_why(self) -> None:
        async def scenario(h: Harness) -> None:
            await h.fleet.discover()
            fleet = h.fleet
            assert isinstance(fleet, PyasicFleet)
            address = h.addresses[0]
            fleet._miners[address].web.port = 1  # gRPC unreachable, RPC (hashrate) still answers
            reading = by_address(await h.fleet.read())[address]
            assert reading.reachable
            assert reading.power_w == pytest.approx(3010)  # nameplate efficiency at full hashrate
            assert reading.power_limit_w is None
            assert "no watts in this reading" in (reading.error or "")
            assert "get_miner_stats: cannot connect" in (reading.error or "")

        self.run(scenario)


def test_mixed_farm_in_a_thread_with_a_subnet_scan() -> None:
    """The farm on its own loop thread (as a controller would see it), discovered by subnet."""
    farm = FakeMinerFarm(4, firmware=["luxos", "stock", "braiins", "luxos"], first_address=None)
    with farm.run_in_thread() as served:
        first = served.addresses[0]
        subnet = first.rsplit(".", 1)[0] + ".0/29"  # .1-.6: four miners and two empty hosts
        fleet = PyasicFleet(subnet=subnet, settings=SETTINGS)

        async def main() -> None:
            found = await fleet.discover()
            assert sorted(i.address for i in found) == sorted(served.addresses)
            assert sorted(i.firmware for i in found) == ["braiins", "luxos", "luxos", "stock"]
            served.set_mode(served.addresses[2], "lie")
            results = await fleet.send([MinerCommand(a, "stop") for a in served.addresses])
            assert all(r.ok for r in results), results

        asyncio.run(main())
        assert served.total_power_w() == pytest.approx(3010 + 3 * 0.03 * 3010)
        assert len(fleet.discovery_errors) == 2


def test_unknown_model_is_left_out_with_a_reason() -> None:
    async def main() -> None:
        async with FakeMinerFarm(1) as farm:
            fleet = PyasicFleet(farm.addresses, settings=SETTINGS, nameplates={})
            assert await fleet.discover() == []
            assert "not in the hardware catalog" in fleet.discovery_errors[farm.addresses[0]]

    asyncio.run(main())


def test_addresses_or_subnet_not_both() -> None:
    with pytest.raises(ValueError, match="either addresses or subnet"):
        PyasicFleet(["127.0.0.1"], subnet="127.0.0.0/30")
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        PyasicFleet(["not-an-ip"])
