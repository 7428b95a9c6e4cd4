"""An in-process fleet of simulated miners (no network) for fast controller tests.

:class:`SimulatedMiner` is the physics both fakes share (this in-process fleet and the TCP fake
miners of :mod:`wattswitch.control.fake_miner`): it draws power according to its state, and can
be told to fail, hang, lie or go down. :class:`MemoryMinerFleet` implements
:class:`~wattswitch.model.equipment.MinerFleet` over a list of them with the same timeout, retry
and counter semantics as the real adapter.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from wattswitch.control.miner_sending import (
    CommandSender,
    FleetCounters,
    FleetSettings,
    MinerCommandError,
    gather_bounded,
)
from wattswitch.model.catalog.hardware import AsicSpec, asic
from wattswitch.model.equipment import CommandResult, MinerCommand, MinerIdentity, MinerTelemetry

# ok: answers truthfully; fail: answers every request with an error; hang: accepts and never
# answers; lie: acknowledges commands but keeps its state; down: refuses connections.
FaultMode = Literal["ok", "fail", "hang", "lie", "down"]
FAULT_MODES: tuple[FaultMode, ...] = get_args(FaultMode)
Firmware = Literal["luxos", "stock", "braiins"]
FIRMWARES: tuple[Firmware, ...] = get_args(Firmware)

# A sleeping miner keeps its control board and fans running: a few per cent of nameplate
# (wattswitch assumption; LuxOS documents "curtail sleep" as hashboards off, controller on).
SLEEP_POWER_SHARE = 0.03
# Power profiles as shares of nameplate power; hashrate follows power**0.7 (so the 60 % profile
# hashes 70 %, the eco trade-off of model/fleet.py DEFAULT_ASIC_MODES; an assumption).
PROFILE_POWER_SHARES = (0.6, 0.7, 0.8, 0.9, 1.0)
HASHRATE_POWER_EXPONENT = 0.7
NAMEPLATE_FREQUENCY_MHZ = 500.0
DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class PowerProfile:
    """A firmware power profile (LuxOS-style preset)."""

    name: str
    power_w: float
    hashrate_th_s: float
    frequency_mhz: float


def power_profiles(spec: AsicSpec) -> tuple[PowerProfile, ...]:
    """The presets a simulated miner of this model offers, lowest power first; the nameplate
    one is called ``default``."""
    profiles: list[PowerProfile] = []
    for share in PROFILE_POWER_SHARES:
        hash_share = share**HASHRATE_POWER_EXPONENT
        frequency = round(NAMEPLATE_FREQUENCY_MHZ * hash_share)
        name = DEFAULT_PROFILE if share == 1.0 else f"{frequency}MHz"
        profiles.append(PowerProfile(name, spec.power_w * share, spec.hashrate_th_s * hash_share, frequency))
    return tuple(profiles)


class SimulatedMiner:
    """One miner's state: mining or sleeping, active profile, fault mode.

    Commands take effect after ``transition_s`` (until then the miner draws and hashes as
    before). In ``lie`` mode commands are acknowledged and *reported* (config, profile) but the
    miner keeps drawing and hashing as it did.
    """

    def __init__(
        self,
        address: str,
        model: str = "Antminer S19 XP",
        firmware: Firmware = "luxos",
        *,
        transition_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if firmware not in FIRMWARES:
            raise ValueError(f"miner {address}: firmware {firmware!r}; choose from {', '.join(FIRMWARES)}")
        if transition_s < 0:
            raise ValueError(f"miner {address}: transition_s must be >= 0, got {transition_s}")
        self.address = address
        self.spec = asic(model)
        self.firmware: Firmware = firmware
        self.transition_s = transition_s
        self.mode: FaultMode = "ok"
        self.profiles = power_profiles(self.spec)
        self._clock = clock
        self._started = clock()
        # what the miner actually does (power, hashrate) and what it says it does
        self._actual_mining = True
        self._actual_profile = self.profile(DEFAULT_PROFILE)
        self._previous: tuple[float, float] = (self.spec.power_w, self.spec.hashrate_th_s)
        self._changed_at = -float("inf")
        self.reported_mining = True
        self.reported_profile = self._actual_profile
        self.commands_received = 0

    # --- identity and readings -----------------------------------------------------------------
    def identity(self) -> MinerIdentity:
        """What discovery reports for this miner."""
        return MinerIdentity(
            self.address, self.spec.model, self.firmware, self.spec.power_w, self.spec.hashrate_th_s
        )

    def profile(self, name: str) -> PowerProfile:
        """The profile called ``name`` (ValueError naming the known ones)."""
        for profile in self.profiles:
            if profile.name == name:
                return profile
        known = ", ".join(p.name for p in self.profiles)
        raise ValueError(f"miner {self.address}: no profile {name!r}; known: {known}")

    def _target(self) -> tuple[float, float]:
        if not self._actual_mining:
            return (SLEEP_POWER_SHARE * self.spec.power_w, 0.0)
        return (self._actual_profile.power_w, self._actual_profile.hashrate_th_s)

    def _now_state(self) -> tuple[float, float]:
        if self._clock() - self._changed_at < self.transition_s:
            return self._previous
        return self._target()

    @property
    def power_w(self) -> float:
        """Watts drawn now (what a meter at the PDU would read)."""
        return self._now_state()[0]

    @property
    def hashrate_th_s(self) -> float:
        """Hashrate now."""
        return self._now_state()[1]

    @property
    def mining(self) -> bool:
        """True while hashboards hash (whatever the firmware reports)."""
        return self._now_state()[1] > 0

    @property
    def uptime_s(self) -> int:
        """Seconds since the simulated miner booted."""
        return int(self._clock() - self._started)

    def chip_temperature_c(self) -> float:
        """Hottest chip: 40 °C asleep, up to 75 °C at nameplate power."""
        return 40.0 + 35.0 * self.power_w / self.spec.power_w

    def board_temperature_c(self) -> float:
        """Hashboard PCB temperature, about 10 °C below the chips."""
        return self.chip_temperature_c() - 10.0

    def telemetry(self) -> MinerTelemetry:
        """A truthful reading (the fleets refuse to read a miner in a fault mode)."""
        limit = self.reported_profile.power_w if self.firmware != "stock" else None
        return MinerTelemetry(
            self.address, True, self.power_w, self.hashrate_th_s, limit, self.chip_temperature_c()
        )

    # --- commands (return the acknowledgement; never look at ``mode`` except ``lie``) ----------
    def _change(self, mining: bool, profile: PowerProfile) -> None:
        self.commands_received += 1
        self.reported_mining = mining
        self.reported_profile = profile
        if self.mode == "lie":
            return
        self._previous = self._now_state()
        self._changed_at = self._clock()
        self._actual_mining = mining
        self._actual_profile = profile

    def stop(self) -> None:
        """Sleep: hashboards off, controller and fans on."""
        self._change(False, self.reported_profile)

    def resume(self) -> None:
        """Wake up in the current profile."""
        self._change(True, self.reported_profile)

    def set_profile(self, name: str) -> PowerProfile:
        """Switch to the named profile (keeps sleeping if asleep)."""
        profile = self.profile(name)
        self._change(self.reported_mining, profile)
        return profile

    def profile_for_limit(self, power_limit_w: float) -> PowerProfile | None:
        """The highest-power profile within ``power_limit_w`` (None when even the lowest is above)."""
        fitting = [p for p in self.profiles if p.power_w <= power_limit_w]
        return max(fitting, key=lambda p: p.power_w) if fitting else None


def simulated_miners(
    count: int,
    model: str = "Antminer S19 XP",
    firmware: Firmware = "luxos",
    *,
    first_address: str = "10.0.0.1",
    transition_s: float = 0.0,
) -> list[SimulatedMiner]:
    """``count`` identical simulated miners at consecutive addresses (``.0``/``.255`` skipped)."""
    return [
        SimulatedMiner(address, model, firmware, transition_s=transition_s)
        for address in consecutive_addresses(first_address, count)
    ]


def consecutive_addresses(first: str, count: int) -> list[str]:
    """``count`` IPv4 addresses from ``first`` upward, skipping those ending in .0 or .255."""
    if count < 0:
        raise ValueError(f"address count must be >= 0, got {count}")
    address = ipaddress.IPv4Address(first)
    out: list[str] = []
    while len(out) < count:
        if int(address) & 0xFF not in (0, 255):
            out.append(str(address))
        address += 1
    return out


class MemoryMinerFleet:
    """A :class:`~wattswitch.model.equipment.MinerFleet` over simulated miners, in process.

    Fault modes behave as on the wire: ``fail``/``down`` miners fail every attempt (retried),
    ``hang`` miners never answer (each attempt times out), ``lie`` miners acknowledge commands
    without obeying. ``latency_s`` delays every answer.
    """

    def __init__(
        self,
        miners: Sequence[SimulatedMiner],
        settings: FleetSettings | None = None,
        *,
        latency_s: float = 0.0,
    ) -> None:
        addresses = [m.address for m in miners]
        if len(set(addresses)) != len(addresses):
            raise ValueError("MemoryMinerFleet: two miners share an address")
        self.miners = {m.address: m for m in miners}
        self.settings = settings or FleetSettings()
        self.latency_s = latency_s
        self._sender = CommandSender(self.settings)
        self._discovered: dict[str, MinerIdentity] = {}

    @classmethod
    def of(
        cls,
        count: int,
        model: str = "Antminer S19 XP",
        firmware: Firmware = "luxos",
        settings: FleetSettings | None = None,
    ) -> MemoryMinerFleet:
        """A fleet of ``count`` identical simulated miners."""
        return cls(simulated_miners(count, model, firmware), settings)

    @property
    def addresses(self) -> list[str]:
        """Every configured address."""
        return list(self.miners)

    def miner(self, address: str) -> SimulatedMiner:
        """The simulated miner at ``address`` (KeyError naming it)."""
        if address not in self.miners:
            raise KeyError(f"no simulated miner at {address}")
        return self.miners[address]

    def set_mode(self, address: str, mode: FaultMode) -> None:
        """Make one miner fail, hang, lie, go down, or behave (``ok``)."""
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode {mode!r}; choose from {', '.join(FAULT_MODES)}")
        self.miner(address).mode = mode

    def total_power_w(self) -> float:
        """The fleet's metered draw: every miner's real watts (lying ones included)."""
        return sum(m.power_w for m in self.miners.values())

    def counters(self) -> FleetCounters:
        """Command counters since the fleet was built."""
        return self._sender.counters()

    async def _answer(self, miner: SimulatedMiner, what: str) -> None:
        """Wait as the network would, then raise for the fault modes that do not answer."""
        if miner.mode == "hang":
            await asyncio.Event().wait()  # never set: the caller's timeout ends it
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if miner.mode == "down":
            raise MinerCommandError(f"miner {miner.address}: {what}: connection refused")
        if miner.mode == "fail":
            raise MinerCommandError(f"miner {miner.address}: {what}: the miner answered with an error")

    async def discover(self) -> list[MinerIdentity]:
        """The miners that answer within the timeout (faulty ones are left out)."""

        async def one(address: str) -> MinerIdentity | None:
            miner = self.miners[address]
            try:
                await asyncio.wait_for(self._answer(miner, "identify"), self.settings.timeout_s)
            except (TimeoutError, MinerCommandError):
                return None
            return miner.identity()

        found = await gather_bounded(self.addresses, one, self.settings.discovery_concurrency)
        self._discovered = {i.address: i for i in found if i is not None}
        return list(self._discovered.values())

    async def read(self) -> list[MinerTelemetry]:
        """One reading per configured address; faulty miners are unreachable with a reason."""

        async def one(address: str) -> MinerTelemetry:
            miner = self.miners[address]
            try:
                await asyncio.wait_for(self._answer(miner, "read"), self.settings.timeout_s)
            except TimeoutError:
                return MinerTelemetry(
                    address,
                    False,
                    error=f"miner {address}: read got no reply within {self.settings.timeout_s:g} s",
                )
            except MinerCommandError as exc:
                return MinerTelemetry(address, False, error=str(exc))
            return miner.telemetry()

        return await gather_bounded(self.addresses, one, self.settings.concurrency)

    async def send(self, commands: Sequence[MinerCommand]) -> list[CommandResult]:
        """Send concurrently with retries; one result per command, in order."""
        return await self._sender.send(commands, self._attempt)

    async def _attempt(self, command: MinerCommand) -> str | None:
        miner = self.miners.get(command.address)
        if miner is None:
            raise MinerCommandError(f"miner {command.address}: not in this fleet", retryable=False)
        await self._answer(miner, command.action)
        if command.action == "stop":
            miner.stop()
        elif command.action == "resume":
            miner.resume()
        else:
            assert command.power_limit_w is not None
            if miner.firmware == "stock":
                raise MinerCommandError(
                    f"miner {command.address}: stock Antminer firmware has no power limit", retryable=False
                )
            profile = miner.profile_for_limit(command.power_limit_w)
            if profile is None:
                raise MinerCommandError(
                    f"miner {command.address}: no profile at or below {command.power_limit_w:g} W "
                    f"(lowest {miner.profiles[0].power_w:g} W)",
                    retryable=False,
                )
            miner.set_profile(profile.name)
        return None
