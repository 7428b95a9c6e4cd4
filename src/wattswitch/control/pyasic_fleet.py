"""The real miner adapter: a :class:`~wattswitch.model.equipment.MinerFleet` over pyasic 0.79.

Discovery identifies each address once (``pyasic.get_miner``), caches the miner object and (LuxOS)
its session id, so a demand-response command goes straight to ``stop_mining()`` / ``resume_mining()`` /
``set_power_limit(w)``. Every attempt has a timeout, failed attempts are retried with
exponential back-off, and at most ``settings.concurrency`` are in flight
(:class:`~wattswitch.control.miner_sending.CommandSender`).

Firmware differences:

* LuxOS answers stop/resume/profile changes over its RPC; its acknowledgement is trusted as an
  acknowledgement (telemetry still decides whether the miner really curtailed).
* Braiins OS+ ("BOSer") is identified over RPC and driven over its gRPC API (port 50051):
  stop/resume are PauseMining/ResumeMining, a power limit is SetPowerTarget — pyasic checks that
  the target the firmware reports back is the one asked for, so that acknowledgement is trusted
  like LuxOS's (telemetry still decides). A target the firmware refuses as out of range
  (INVALID_ARGUMENT) fails without retries. The login token is fetched at discovery and renewed by
  pyasic when the miner no longer accepts it.
* Stock Antminer stop/resume go over the web UI, and pyasic returns True whatever happened; the
  adapter reads the config back (``bitmain-work-mode``) and fails the command when it cannot
  confirm it. Stock firmware reports no watts: power is estimated from hashrate and the nameplate
  efficiency (said so in the reading). It has no power limit in pyasic (the command fails).

pyasic quirks handled here: its RPC socket is left open when a read times out or is cancelled
(an unclosed-transport warning per hung miner) and a refused connection reads as an empty,
*successful* reply; each miner's RPC gets a transport that always closes its socket, turns
connection errors into ``APIError`` (which pyasic's own code paths handle) and records what
failed so results can say why. pyasic's BOS+ calls swallow gRPC errors into ``False``/missing data,
so the gRPC client is wrapped too, to record the status and message of each failed call.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import ipaddress
import math
import types
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from wattswitch.control.miner_sending import (
    CommandSender,
    FleetCounters,
    FleetSettings,
    MinerCommandError,
    gather_bounded,
    raise_fd_limit,
)
from wattswitch.model.catalog.hardware import ASICS, AsicSpec
from wattswitch.model.equipment import CommandResult, MinerCommand, MinerIdentity, MinerTelemetry

with warnings.catch_warnings():
    # pyasic 0.79 (pydantic v1-style configs, passlib's crypt) warns on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import pyasic  # type: ignore[import-untyped]
    from pyasic.errors import APIError  # type: ignore[import-untyped]
    from pyasic.miners.data import DataOptions  # type: ignore[import-untyped]
    from pyasic.web.braiins_os import BOSerWebAPI  # type: ignore[import-untyped]

from grpclib import GRPCError

MAX_SUBNET_HOSTS = 65536
READ_OPTIONS = (
    DataOptions.HASHRATE,
    DataOptions.HASHBOARDS,
    DataOptions.WATTAGE,
    DataOptions.WATTAGE_LIMIT,
    DataOptions.ERRORS,
)
FIRMWARE_NAMES = {
    "LuxOS": "luxos",
    "Stock": "stock",
    "BOS+": "braiins",
    "VNish": "vnish",
    "ePIC": "epic",
    "Hive": "hiveon",
    "MaraFW": "marathon",
}
# gRPC statuses that mean "the firmware will not do this", so retrying cannot help
GRPC_REFUSALS = ("INVALID_ARGUMENT", "OUT_OF_RANGE", "PERMISSION_DENIED", "UNIMPLEMENTED")
STOCK_NOTE = (
    "note: stock Antminer firmware — pyasic does not check the reply; acknowledged by reading the "
    "config back (bitmain-work-mode), verify by telemetry"
)

# What failed inside pyasic during the current operation (set per attempt / per read task).
_FAILURES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("pyasic_failures", default=None)


def _record(message: str) -> None:
    failures = _FAILURES.get()
    if failures is not None:
        failures.append(message)


async def _send_bytes_closing(
    self: Any, data: bytes, *, port: int | None = None, timeout: int = 100
) -> bytes:
    """Replacement for pyasic's ``BaseMinerRPCAPI._send_bytes`` that always closes its socket."""
    where = f"{self.ip}:{port or self.port}"
    try:
        reader, writer = await asyncio.open_connection(str(self.ip), port or self.port)
    except OSError as exc:
        message = f"RPC {where}: cannot connect: {exc.strerror or exc}"
        _record(message)
        raise APIError(message) from exc
    try:
        writer.write(data)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), timeout=timeout)
    except TimeoutError as exc:
        _record(f"RPC {where}: no reply within {timeout} s")
        raise APIError(f"RPC {where}: no reply within {timeout} s") from exc
    except OSError as exc:
        _record(f"RPC {where}: connection failed: {exc}")
        raise APIError(f"RPC {where}: connection failed: {exc}") from exc
    finally:
        writer.close()
    if not reply:
        _record(f"RPC {where}: the connection closed without a reply")
    return reply


@contextlib.contextmanager
def _factory_timeout(timeout_s: float) -> Iterator[None]:
    """Let pyasic's own identification probes (3 s each by default) wait as long as ours: a busy
    event loop makes them late, and pyasic then reports no miner at all."""
    previous = pyasic.settings.get("factory_get_timeout", 3)
    pyasic.settings.update("factory_get_timeout", max(int(previous), math.ceil(timeout_s) + 1))
    try:
        yield
    finally:
        pyasic.settings.update("factory_get_timeout", previous)


def _summarise(failures: list[str], keep: int = 3) -> str:
    """The first few distinct failures, joined."""
    distinct = list(dict.fromkeys(failures))
    more = f" (+{len(distinct) - keep} more)" if len(distinct) > keep else ""
    return "; ".join(distinct[:keep]) + more


def _install_transport(miner: Any) -> None:
    """Give a pyasic miner's RPC client the closing transport and failure recording."""
    rpc = getattr(miner, "rpc", None)
    if rpc is None or getattr(rpc, "_wattswitch_transport", False):
        return
    rpc._send_bytes = types.MethodType(_send_bytes_closing, rpc)
    original = rpc.send_command

    async def send_command(command: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(command, *args, **kwargs)
        except APIError as exc:
            _record(f"RPC {rpc.ip}: {exc}")
            raise

    rpc.send_command = send_command
    rpc._wattswitch_transport = True


def _grpc_failure(exc: BaseException) -> str:
    """What went wrong in one gRPC call (pyasic wraps GRPCError/ConnectionError in APIError)."""
    cause = exc.__cause__ if isinstance(exc, APIError) and exc.__cause__ is not None else exc
    if isinstance(cause, GRPCError):
        return f"{cause.status.name}: {cause.message or 'no message'}"
    if isinstance(cause, OSError):
        return f"cannot connect: {cause.strerror or cause}"
    return f"{type(cause).__name__}: {cause}"


def _install_grpc_recording(miner: Any) -> None:
    """Record the failures of a BOS+ miner's gRPC calls (pyasic turns them into False / no data)."""
    web = getattr(miner, "web", None)
    if not isinstance(web, BOSerWebAPI) or getattr(web, "_wattswitch_transport", False):
        return
    original = web.send_command

    async def send_command(command: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(command, *args, **kwargs)
        except Exception as exc:
            _record(f"gRPC {web.ip}:{web.port} {command}: {_grpc_failure(exc)}")
            raise

    web.send_command = send_command
    web._wattswitch_transport = True


def _model_name(miner: Any) -> str:
    """Catalog-style model name, e.g. ``Antminer S19 XP`` (pyasic: make AntMiner, raw model S19 XP)."""
    make = str(getattr(miner, "make", "") or "")
    raw = str(getattr(miner, "raw_model", "") or getattr(miner, "model", "") or "unknown")
    vendor = {"AntMiner": "Antminer", "WhatsMiner": "Whatsminer"}.get(make, make)
    return f"{vendor} {raw}".strip()


def _firmware_name(miner: Any) -> str:
    firmware = getattr(miner, "firmware", None)
    value = str(getattr(firmware, "value", firmware) or "unknown")
    return FIRMWARE_NAMES.get(value, value.lower())


def _hashrate_th_s(value: Any) -> float | None:
    if value is None:
        return None
    unit = getattr(value, "unit", None)
    if unit is not None and hasattr(value, "into") and hasattr(unit, "TH"):
        return float(value.into(unit.TH))
    return float(value)


class PyasicFleet:
    """Miners at ``addresses`` (or every host of ``subnet``) driven through pyasic.

    ``nameplates`` maps model names (as :func:`_model_name` spells them) to specs; the default is
    the hardware catalog. Miners of unknown models are left out of discovery, with the reason in
    :attr:`discovery_errors`.
    """

    def __init__(
        self,
        addresses: Sequence[str] | None = None,
        *,
        subnet: str | None = None,
        settings: FleetSettings | None = None,
        nameplates: Mapping[str, AsicSpec] | None = None,
    ) -> None:
        if (addresses is None) == (subnet is None):
            raise ValueError("PyasicFleet: give either addresses or subnet")
        if subnet is not None:
            network = ipaddress.ip_network(subnet, strict=False)
            if network.num_addresses > MAX_SUBNET_HOSTS:
                raise ValueError(f"PyasicFleet: subnet {subnet} has more than {MAX_SUBNET_HOSTS} addresses")
            self._scan = [str(host) for host in network.hosts()]
            self._fixed = False
        else:
            assert addresses is not None
            for address in addresses:
                ipaddress.ip_address(address)  # ValueError names the bad one
            if len(set(addresses)) != len(addresses):
                raise ValueError("PyasicFleet: an address is listed twice")
            self._scan = list(addresses)
            self._fixed = True
        self.settings = settings or FleetSettings()
        raise_fd_limit(self.settings.concurrency + self.settings.discovery_concurrency * 4 + 256)
        self.nameplates = dict(ASICS if nameplates is None else nameplates)
        self._sender = CommandSender(self.settings)
        self._miners: dict[str, Any] = {}
        self._identities: dict[str, MinerIdentity] = {}
        self.discovery_errors: dict[str, str] = {}
        # why an address was not identified: timeout, error, silent (no miner) or unknown-model
        self._failures: dict[str, str] = {}
        self.discovery_passes = 0  # identification passes the last discover()/identify() took

    # --- discovery -----------------------------------------------------------------------------
    @property
    def addresses(self) -> list[str]:
        """The configured addresses (for a subnet: the miners found so far)."""
        return list(self._scan) if self._fixed else list(self._identities)

    @property
    def identities(self) -> dict[str, MinerIdentity]:
        """Discovered miners by address."""
        return dict(self._identities)

    def counters(self) -> FleetCounters:
        """Command counters since the fleet was built."""
        return self._sender.counters()

    async def _identify(self, address: str, timeout_s: float | None = None) -> MinerIdentity | None:
        timeout = self.settings.identify_timeout_s(1) if timeout_s is None else timeout_s
        try:
            miner = await asyncio.wait_for(pyasic.get_miner(address), timeout)
        except TimeoutError:
            self.discovery_errors[address] = f"miner {address}: no identification within {timeout:.3g} s"
            self._failures[address] = "timeout"
            return None
        except Exception as exc:  # pyasic raises many kinds; one miner must not stop discovery
            self.discovery_errors[address] = (
                f"miner {address}: identification failed: {type(exc).__name__}: {exc}"
            )
            self._failures[address] = "error"
            return None
        if miner is None or type(miner).__name__ == "UnknownMiner":
            self.discovery_errors[address] = f"miner {address}: no miner answered (RPC 4028 / web)"
            self._failures[address] = "silent"
            return None
        model = _model_name(miner)
        spec = self.nameplates.get(model)
        if spec is None:
            self.discovery_errors[address] = (
                f"miner {address}: model {model!r} is not in the hardware catalog; nameplate unknown"
            )
            self._failures[address] = "unknown-model"
            return None
        _install_transport(miner)
        _install_grpc_recording(miner)
        firmware = _firmware_name(miner)
        if firmware == "luxos":
            await self._open_session(miner)
        elif isinstance(getattr(miner, "web", None), BOSerWebAPI):
            await self._grpc_login(miner)
        self._miners[address] = miner
        self.discovery_errors.pop(address, None)
        self._failures.pop(address, None)
        return MinerIdentity(address, model, firmware, spec.power_w, spec.hashrate_th_s)

    async def _open_session(self, miner: Any) -> None:
        """Fetch the LuxOS session id now, so a demand-response command is one request, not two
        (best effort: without it, the first command logs on)."""
        with contextlib.suppress(TimeoutError, APIError, LookupError):
            await asyncio.wait_for(miner.rpc.auth(), self.settings.timeout_s)

    async def _grpc_login(self, miner: Any) -> None:
        """Fetch the BOS+ gRPC token now (best effort, as the LuxOS session): otherwise the first
        command, or each call of the first reading, logs in first."""
        with contextlib.suppress(TimeoutError, APIError, GRPCError, OSError):
            await asyncio.wait_for(miner.web.auth(), self.settings.timeout_s)

    async def discover(self) -> list[MinerIdentity]:
        """Identify every address concurrently; the silent ones are left out (reason kept in
        :attr:`discovery_errors`). Identified miners are cached for :meth:`send` and :meth:`read`.

        Listed addresses not identified get ``discovery_retries`` more passes (see
        :meth:`identify`); a subnet scan is one pass (most of its addresses are empty, and on a
        real network an empty address times out rather than refuses)."""
        found = await self._passes(self._scan, retries=self.settings.discovery_retries if self._fixed else 0)
        self._identities = found
        self._miners = {a: m for a, m in self._miners.items() if a in self._identities}
        return list(self._identities.values())

    async def identify(self, addresses: Sequence[str]) -> list[MinerIdentity]:
        """Try (again) to identify some addresses, keeping the miners already known; returns the
        ones identified now (a second chance for miners that were busy or rebooting)."""
        found = await self._passes(list(addresses), retries=self.settings.discovery_retries)
        self._identities.update(found)
        return list(found.values())

    async def _passes(self, addresses: Sequence[str], *, retries: int) -> dict[str, MinerIdentity]:
        """Identification passes until every address is identified or ``retries`` more passes are
        spent; each retry pass runs half as many at once with twice the timeout (a busy machine
        identifies fewer at once), after the command back-off. A model missing from the catalog
        is not retried."""
        settings = self.settings
        found: dict[str, MinerIdentity] = {}
        pending = list(addresses)
        concurrency = settings.discovery_concurrency
        self.discovery_passes = 0
        for attempt in range(retries + 1):
            if attempt > 0:
                await asyncio.sleep(settings.backoff_before_retry_s(attempt))
                concurrency = max(1, concurrency // 2)
            timeout = settings.identify_timeout_s(min(len(pending), concurrency)) * 2**attempt
            self.discovery_passes += 1
            with _factory_timeout(timeout):
                results = await gather_bounded(
                    pending, functools.partial(self._identify, timeout_s=timeout), concurrency
                )
            found.update({i.address: i for i in results if i is not None})
            pending = [
                a
                for a, i in zip(pending, results, strict=True)
                if i is None and self._failures.get(a) != "unknown-model"
            ]
            if not pending:
                break
        return {a: found[a] for a in addresses if a in found}

    async def _miner(self, address: str) -> tuple[Any, MinerIdentity]:
        if address not in self._identities:
            identity = await self._identify(address)
            if identity is None:
                reason = self.discovery_errors.get(address, "not identified")
                raise MinerCommandError(f"{reason} (not discovered)", retryable=False)
            self._identities[address] = identity
        return self._miners[address], self._identities[address]

    # --- telemetry -----------------------------------------------------------------------------
    async def read(self) -> list[MinerTelemetry]:
        """One reading per configured address (undiscovered ones are unreachable). Readings parse a
        lot of JSON, so at most ``discovery_concurrency`` run at once (each within its own timeout)."""
        return await gather_bounded(self.addresses, self._read_one, self.settings.discovery_concurrency)

    async def _read_one(self, address: str) -> MinerTelemetry:
        if address not in self._identities:
            reason = self.discovery_errors.get(address, f"miner {address}: not discovered")
            return MinerTelemetry(address, False, error=reason)
        miner, identity = self._miners[address], self._identities[address]
        failures: list[str] = []

        async def fetch() -> Any:
            _FAILURES.set(failures)
            return await miner.get_data(include=list(READ_OPTIONS))

        try:
            data = await asyncio.wait_for(fetch(), self.settings.timeout_s)
        except TimeoutError:
            return MinerTelemetry(
                address,
                False,
                error=f"miner {address}: read got no reply within {self.settings.timeout_s:g} s",
            )
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
            return MinerTelemetry(address, False, error=f"miner {address}: read failed: {why}")
        hashrate = _hashrate_th_s(data.hashrate)
        if hashrate is None and data.wattage is None:
            why = _summarise(failures) or "empty replies"
            return MinerTelemetry(address, False, error=f"miner {address}: no telemetry ({why})")
        return self._telemetry(identity, data, hashrate or 0.0, _summarise(failures))

    @staticmethod
    def _telemetry(identity: MinerIdentity, data: Any, hashrate: float, failed: str = "") -> MinerTelemetry:
        note = None
        if data.wattage is not None:
            power = float(data.wattage)
        else:
            power = identity.nameplate_power_w * hashrate / identity.nameplate_hashrate_th_s
            why = (
                f"{identity.firmware} firmware reports no watts"
                if identity.firmware == "stock" or not failed
                else f"no watts in this reading ({failed})"
            )
            note = f"note: {why}; power_w estimated from hashrate at nameplate efficiency"
        temperatures = [t for hb in data.hashboards for t in (hb.chip_temp, hb.temp) if t]
        faults = [str(getattr(e, "error_message", e)) for e in data.errors]
        faults += [f"hashboard {hb.slot} missing" for hb in data.hashboards if hb.missing and hashrate > 0]
        limit = data.wattage_limit
        return MinerTelemetry(
            identity.address,
            True,
            power,
            hashrate,
            float(limit) if limit is not None else None,
            float(max(temperatures)) if temperatures else None,
            tuple(faults),
            note,
        )

    # --- commands ------------------------------------------------------------------------------
    async def send(self, commands: Sequence[MinerCommand]) -> list[CommandResult]:
        """Send concurrently with timeouts, retries and back-off; one result per command, in order."""
        return await self._sender.send(commands, self._attempt)

    async def _attempt(self, command: MinerCommand) -> str | None:
        failures: list[str] = []
        _FAILURES.set(failures)
        miner, identity = await self._miner(command.address)
        where = f"miner {command.address} ({identity.firmware})"
        try:
            if command.action == "stop":
                ok = await miner.stop_mining()
            elif command.action == "resume":
                ok = await miner.resume_mining()
            else:
                assert command.power_limit_w is not None
                if identity.firmware == "stock":
                    raise MinerCommandError(
                        f"{where}: stock Antminer firmware has no power limit in pyasic", retryable=False
                    )
                ok = await miner.set_power_limit(int(command.power_limit_w))
        except MinerCommandError:
            raise
        except Exception as exc:
            why = _summarise(failures) or f"{type(exc).__name__}: {exc}"
            self._forget_session(miner, why)
            raise MinerCommandError(f"{where}: {command.action} failed: {why}") from exc
        if not ok:
            why = _summarise(failures)
            self._forget_session(miner, why)
            if any(status in why for status in GRPC_REFUSALS):
                raise MinerCommandError(f"{where}: {command.action} refused: {why}", retryable=False)
            if not why and command.action == "power_limit":
                if identity.firmware == "braiins":
                    raise MinerCommandError(
                        f"{where}: power target {command.power_limit_w:g} W not confirmed: the firmware "
                        f"reported a different target",
                        retryable=False,
                    )
                raise MinerCommandError(
                    f"{where}: no power profile at or below {command.power_limit_w:g} W", retryable=False
                )
            why = why or "the firmware said no"
            raise MinerCommandError(f"{where}: {command.action} not acknowledged: {why}")
        if identity.firmware == "stock":
            await self._confirm_stock(miner, command, where)
            return STOCK_NOTE
        return None

    @staticmethod
    def _forget_session(miner: Any, why: str) -> None:
        """A LuxOS session id that the miner no longer knows is dropped so a retry logs on again."""
        rpc = getattr(miner, "rpc", None)
        if rpc is not None and "session" in why.lower() and hasattr(rpc, "session_token"):
            rpc.session_token = None

    @staticmethod
    async def _confirm_stock(miner: Any, command: MinerCommand, where: str) -> None:
        """pyasic's stock stop/resume return True whatever happened: read the config back."""
        conf = await miner.web.get_miner_conf()
        mode = conf.get("bitmain-work-mode") if isinstance(conf, dict) else None
        if mode is None:
            detail = conf.get("message", "no config") if isinstance(conf, dict) else "no config"
            raise MinerCommandError(
                f"{where}: {command.action} unconfirmed: pyasic reports success without checking, and the "
                f"web UI config could not be read back ({detail})"
            )
        expected = "1" if command.action == "stop" else "0"
        if str(mode) != expected:
            raise MinerCommandError(
                f"{where}: {command.action} not applied: web UI reports bitmain-work-mode {mode}, "
                f"expected {expected}"
            )
