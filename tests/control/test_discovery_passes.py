"""Discovery of fake miners through pyasic: identification timeouts that scale with the fleet and
the machine, and retry passes for the miners not identified on the first one."""

from __future__ import annotations

import asyncio

import pytest

from wattswitch.control import miner_sending, pyasic_fleet
from wattswitch.control.fake_miner import FakeMinerFarm
from wattswitch.control.miner_sending import IDENTIFY_CPU_S, FleetSettings
from wattswitch.control.pyasic_fleet import PyasicFleet
from wattswitch.model.equipment import MinerIdentity


def test_the_identification_timeout_scales_with_the_miners_in_flight_and_the_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(miner_sending.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(miner_sending.os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    settings = FleetSettings(timeout_s=1.0, discovery_concurrency=128)
    assert settings.identify_timeout_s(1) == pytest.approx(1.0 + IDENTIFY_CPU_S)
    assert settings.identify_timeout_s(100) == pytest.approx(1.0 + 100 * IDENTIFY_CPU_S)
    at_most_128 = 1.0 + 128 * IDENTIFY_CPU_S
    assert settings.identify_timeout_s(1000) == pytest.approx(at_most_128)
    monkeypatch.setattr(miner_sending.os, "getloadavg", lambda: (6.0, 6.0, 6.0))  # 3 per CPU
    assert settings.identify_timeout_s(1000) == pytest.approx(1.0 + 3 * 128 * IDENTIFY_CPU_S)
    assert FleetSettings(discovery_timeout_s=0.5).identify_timeout_s(1000) == 0.5  # given: as is
    with pytest.raises(ValueError, match="discovery_timeout_s"):
        FleetSettings(discovery_timeout_s=0)
    with pytest.raises(ValueError, match="discovery_retries"):
        FleetSettings(discovery_retries=-1)


def test_a_miner_silent_on_the_first_pass_is_identified_on_the_next() -> None:
    async def main() -> None:
        async with FakeMinerFarm(3) as farm:
            late = farm.addresses[1]
            await farm.set_mode(late, "down")  # rebooting: refuses connections
            fleet = PyasicFleet(farm.addresses, settings=FleetSettings(timeout_s=1.0, backoff_s=0.01))
            identify = fleet._identify

            async def up_after_a_try(address: str, timeout_s: float | None = None) -> MinerIdentity | None:
                found = await identify(address, timeout_s)
                if found is None:
                    await farm.set_mode(address, "ok")  # up again by the next pass
                return found

            fleet._identify = up_after_a_try  # type: ignore[method-assign]
            found = await fleet.discover()
            assert [i.address for i in found] == farm.addresses  # in the listed order
            assert fleet.discovery_passes == 2
            assert fleet.discovery_errors == {}

    asyncio.run(main())


def test_a_hanging_miner_costs_its_passes_with_doubling_timeouts_and_the_others_nothing() -> None:
    async def main() -> None:
        async with FakeMinerFarm(3) as farm:
            hung = farm.addresses[0]
            await farm.set_mode(hung, "hang")
            settings = FleetSettings(timeout_s=1.0, discovery_timeout_s=0.2, discovery_retries=2, backoff_s=0)
            fleet = PyasicFleet(farm.addresses, settings=settings)
            found = await fleet.discover()
            assert sorted(i.address for i in found) == sorted(farm.addresses[1:])
            assert fleet.discovery_passes == 3
            assert "no identification within 0.8 s" in fleet.discovery_errors[hung]  # 0.2, 0.4, 0.8

    asyncio.run(main())
    assert pyasic_fleet.pyasic.settings.get("factory_get_timeout") == 3  # pyasic's own setting is restored


def test_a_subnet_scan_is_one_pass() -> None:
    farm = FakeMinerFarm(2, first_address=None)
    with farm.run_in_thread() as served:
        subnet = served.addresses[0].rsplit(".", 1)[0] + ".0/29"  # two miners, four empty hosts
        fleet = PyasicFleet(subnet=subnet, settings=FleetSettings(timeout_s=1.0, backoff_s=0.01))
        found = asyncio.run(fleet.discover())
        assert sorted(i.address for i in found) == sorted(served.addresses)
        assert fleet.discovery_passes == 1
        assert len(fleet.discovery_errors) == 4
