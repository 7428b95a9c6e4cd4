"""The live-control configuration file (``wattswitch control --config site.toml``).

Everything sits under a ``[control]`` table; errors name the key (``control.prices.hub``) and
what was expected. Relative paths are read from the configuration file's folder.

```toml
[control]
site_name = "Permian Flats"     # the site's name in the store (created on first run)
scenario = "scenario.toml"      # the site's scenario; omitted: the embedded default scenario
policy = "threshold"            # always-on, threshold or mpc
database = "wattswitch.db"      # SQLite file or a postgresql:// URL

[[control.miners]]              # one table per ASIC group of the scenario
group = "s19xp"
addresses = ["10.0.1.1", "10.0.1.2"]   # and/or
subnet = "10.0.2.0/24"

[control.slurm]                 # optional: the GPU cluster
slurm_conf = "/etc/slurm/slurm.conf"
preemptible_partitions = ["spot"]

[control.prices]
source = "replay"               # or "gridstatus" (ERCOT live)
file = "prices.csv"
hub = "HB_WEST"

[control.system_load]           # optional: the grid's load, for the policies' 4CP watch
source = "replay"               # or "gridstatus" (ERCOT live); the same kind as the prices'
file = "load.csv"               # tidy CSV or EIA hourly load by weather zone
column = "ERCOT_TOTAL"

[control.hashprice]             # optional: follow hashprice instead of [control.live]'s fixed value
source = "replay"               # or "mempool" (mempool.space, live); the same kind as the prices'
file = "bitcoin.csv"            # Coin Metrics or bitinfocharts daily network data
```
"""

from __future__ import annotations

import ipaddress
import math
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from wattswitch.control.controller import SafetySettings
from wattswitch.control.live_site import LiveSettings
from wattswitch.control.miner_sending import FleetSettings
from wattswitch.data.io import read_text
from wattswitch.errors import InputError, ModelError
from wattswitch.model.codec import from_plain

LIVE_POLICIES = ("always-on", "threshold", "mpc")
PRICE_SOURCES = ("replay", "gridstatus")
LOAD_SOURCES = PRICE_SOURCES
HASHPRICE_SOURCES = ("replay", "mempool")


@dataclass(frozen=True)
class MinerGroupConfig:
    """The miners of one scenario ASIC group, by address list and/or subnet."""

    group: str
    addresses: tuple[str, ...] = ()
    subnet: str = ""

    def __post_init__(self) -> None:
        if not self.addresses and not self.subnet:
            raise ModelError(f"miners of group {self.group!r}: give addresses, a subnet, or both")
        for address in self.addresses:
            try:
                ipaddress.ip_address(address)
            except ValueError as err:
                raise ModelError(f"addresses: {address!r} is not an IP address") from err
        if self.subnet:
            try:
                ipaddress.ip_network(self.subnet, strict=False)
            except ValueError as err:
                raise ModelError(f"subnet: {self.subnet!r} is not a network such as 10.0.2.0/24") from err


@dataclass(frozen=True)
class MinerIoConfig:
    """How miners are talked to (per-attempt timeout, retries with back-off, concurrency) and
    identified at start-up (``discovery_timeout_s`` per identification, default scaled with the
    miners identified at once and the machine's load; ``discovery_retries`` more passes)."""

    timeout_s: float = 2.0
    retries: int = 2
    backoff_s: float = 0.2
    concurrency: int = 1024
    discovery_timeout_s: float | None = None
    discovery_retries: int = 2

    def __post_init__(self) -> None:
        try:
            self.fleet_settings()
        except ValueError as err:
            raise ModelError(str(err).removeprefix("FleetSettings.")) from err

    def fleet_settings(self) -> FleetSettings:
        """The fleet's settings (ValueError naming the bad one)."""
        return FleetSettings(
            self.timeout_s,
            self.retries,
            self.backoff_s,
            self.concurrency,
            discovery_timeout_s=self.discovery_timeout_s,
            discovery_retries=self.discovery_retries,
        )


@dataclass(frozen=True)
class SlurmConfig:
    """The GPU cluster: which slurm.conf, and which partitions hold preemptible jobs."""

    slurm_conf: str = ""
    preemptible_partitions: tuple[str, ...] = ("spot",)
    command_timeout_s: float = 10.0


@dataclass(frozen=True)
class PriceConfig:
    """Where real-time prices come from."""

    source: str = "replay"
    hub: str = "HB_WEST"
    file: str = ""
    replay_start_utc: datetime | None = None
    replay_speed: float = 1.0
    # the wall-clock instant at which the replay stood at replay_start_utc (default: when control
    # starts); a fixed anchor keeps replay time running across restarts
    replay_anchor_utc: datetime | None = None

    def __post_init__(self) -> None:
        if self.source not in PRICE_SOURCES:
            raise ModelError(f"source: {self.source!r}; choose from {', '.join(PRICE_SOURCES)}")
        if self.source == "replay" and not self.file:
            raise ModelError("file: a replay feed needs a price file (tidy CSV, EIA or ERCOT SPP report)")
        if not (self.replay_speed > 0 and math.isfinite(self.replay_speed)):
            raise ModelError(f"replay_speed must be a finite number > 0, got {self.replay_speed}")


@dataclass(frozen=True)
class SystemLoadConfig:
    """Where the grid's system load comes from (the policies' 4CP watch reads it)."""

    source: str = "replay"
    file: str = ""
    column: str = "ERCOT_TOTAL"

    def __post_init__(self) -> None:
        if self.source not in LOAD_SOURCES:
            raise ModelError(f"source: {self.source!r}; choose from {', '.join(LOAD_SOURCES)}")
        if self.source == "replay" and not self.file:
            raise ModelError("file: a replay feed needs a load file (tidy CSV or EIA load by weather zone)")


@dataclass(frozen=True)
class HashpriceConfig:
    """Where hashprice comes from (the policies' mining breakevens follow it)."""

    source: str = "replay"
    file: str = ""
    base_url: str = "https://mempool.space/api"
    refresh_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.source not in HASHPRICE_SOURCES:
            raise ModelError(f"source: {self.source!r}; choose from {', '.join(HASHPRICE_SOURCES)}")
        if self.source == "replay" and not self.file:
            raise ModelError("file: a replay feed needs a bitcoin file (Coin Metrics or bitinfocharts)")
        if not (self.refresh_s > 0 and math.isfinite(self.refresh_s)):
            raise ModelError(f"refresh_s must be a finite number > 0, got {self.refresh_s}")

    @property
    def live(self) -> bool:
        """True for a live source (it then needs live prices too)."""
        return self.source != "replay"


@dataclass(frozen=True)
class ControlConfig:
    """A live site: its scenario, equipment, price feed, policy, journal and safety settings."""

    site_name: str
    miners: tuple[MinerGroupConfig, ...]
    prices: PriceConfig
    scenario: str = ""
    policy: str = "threshold"
    database: str = "wattswitch.db"
    slurm: SlurmConfig | None = None
    miner_io: MinerIoConfig = field(default_factory=MinerIoConfig)
    safety: SafetySettings = field(default_factory=SafetySettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    system_load: SystemLoadConfig | None = None
    hashprice: HashpriceConfig | None = None

    def __post_init__(self) -> None:
        if self.policy not in LIVE_POLICIES:
            hint = " (the oracle needs hindsight: it cannot run live)" if self.policy == "oracle" else ""
            raise ModelError(f"policy: {self.policy!r}{hint}; choose from {', '.join(LIVE_POLICIES)}")
        if not self.miners:
            raise ModelError("miners: at least one [[control.miners]] table is needed")
        load = self.system_load
        if load is not None and load.source != self.prices.source:
            raise ModelError(
                f"system_load.source: {load.source!r} with prices.source {self.prices.source!r}; "
                "both must be 'replay' (the replay clock runs both) or both 'gridstatus' (live)"
            )
        hashprice = self.hashprice
        if hashprice is not None and hashprice.live != (self.prices.source != "replay"):
            raise ModelError(
                f"hashprice.source: {hashprice.source!r} with prices.source {self.prices.source!r}; "
                "replayed prices need a replayed hashprice, live prices a live one ('mempool')"
            )


def parse_control_toml(text: str, source: str, base_dir: Path | None = None) -> ControlConfig:
    """A :class:`ControlConfig` from TOML text; relative paths are resolved against ``base_dir``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(source, f"not valid TOML ({err})", expected="a live-control TOML file") from err
    if "control" not in data:
        raise InputError(source, "no [control] table", expected="the live-control settings under [control]")
    config = from_plain(ControlConfig, data["control"], source, path="control")
    return _resolved(config, base_dir) if base_dir is not None else config


def load_control_config(path: str | Path) -> ControlConfig:
    """Read and check a live-control configuration file."""
    return parse_control_toml(read_text(path), str(path), Path(path).resolve().parent)


def _resolved(config: ControlConfig, base: Path) -> ControlConfig:
    """Relative file paths and SQLite database paths made absolute against the config's folder."""

    def path(value: str) -> str:
        return value if not value or Path(value).is_absolute() else str(base / value)

    prices = config.prices
    if prices.file:
        prices = replace(prices, file=path(prices.file))
    database = config.database if "://" in config.database else path(config.database)
    slurm = config.slurm
    if slurm is not None and slurm.slurm_conf:
        slurm = replace(slurm, slurm_conf=path(slurm.slurm_conf))
    load = config.system_load
    if load is not None and load.file:
        load = replace(load, file=path(load.file))
    hashprice = config.hashprice
    if hashprice is not None and hashprice.file:
        hashprice = replace(hashprice, file=path(hashprice.file))
    return ControlConfig(
        site_name=config.site_name,
        miners=config.miners,
        prices=prices,
        scenario=path(config.scenario),
        policy=config.policy,
        database=database,
        slurm=slurm,
        miner_io=config.miner_io,
        safety=config.safety,
        live=config.live,
        system_load=load,
        hashprice=hashprice,
    )
