"""Protocol-faithful fake ASIC miners for tests and benchmarks.

Each :class:`FakeMiner` is an asyncio TCP server on its own loopback address (pyasic hard-codes
port 4028, so one address per miner: 127.a.b.c) speaking the cgminer-style JSON API the way
pyasic 0.79 expects it: the request arrives without newline or half-close, so it is parsed as
soon as a complete JSON object is in; the reply (JSON plus a trailing NUL, as cgminer sends it)
is followed by closing the connection; ``a+b`` multicommands answer ``{"a": [reply], "b": [reply]}``.

Personalities:

* **LuxOS** (RPC only): identification, data commands, ``session``/``logon``, ``curtail``
  sleep/wakeup, ``profiles``/``profileset``, ``atm``/``atmset``.
* **stock Antminer**: identification and data over RPC, plus (when port 80 of its address can be
  bound, i.e. as root) the web UI with HTTP Digest auth (``root``/``root``) that pyasic uses for
  stop/resume (``get_miner_conf.cgi``/``set_miner_conf.cgi``) and some data.
* **Braiins OS+** ("BOSer"): identification and the cgminer-style reads over RPC (``version``
  says BOSminer, ``devdetails`` names the model "Bitmain Antminer ..."), plus the gRPC API on port
  50051 (HTTP/2, grpclib, the protobuf messages bundled with pyasic): ``AuthenticationService/Login``
  (``root``/``root``; the token comes back in the ``authorization`` initial metadata and every other
  call must carry it), ``ActionsService`` PauseMining/ResumeMining, ``PerformanceService``
  SetPowerTarget/GetActivePerformanceMode and the ``MinerService``/``CoolingService`` reads. The
  simulated tuner settles on the highest preset at or below the power target (a target below
  the lowest preset is refused with INVALID_ARGUMENT, as the firmware refuses targets outside its
  constraints).

The physics (power by state, fault modes) is :class:`~wattswitch.control.memory_fleet.SimulatedMiner`;
the fault modes apply to every protocol (gRPC: ``fail`` answers with status INTERNAL, ``hang`` never
answers, ``down`` refuses connections).
:class:`FakeMinerFarm` starts N of them; its :meth:`~FakeMinerFarm.total_power_w` is the meter.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import importlib
import json
import random
import secrets
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import Any

from grpclib import GRPCError, Status
from grpclib.const import Cardinality, Handler
from grpclib.encoding.proto import ProtoCodec
from grpclib.server import Server, Stream

from wattswitch.control.memory_fleet import (
    FAULT_MODES,
    FaultMode,
    Firmware,
    SimulatedMiner,
    consecutive_addresses,
)
from wattswitch.control.miner_sending import raise_fd_limit

RPC_PORT = 4028
WEB_PORT = 80
GRPC_PORT = 50051
BOSMINER_VERSION = "0.2.0"
BOS_VERSION = "2024-06-04-0-c8a2a4a4-24.06-plus"
BOS_CHAIN_OFFSET = 6  # BOSminer numbers an S19's hash chains 6, 7, 8
GRPC_TOKEN_TIMEOUT_S = 3600
MAX_REQUEST_BYTES = 65536
LUXOS_VERSION = "2024.5.1"
DIGEST_REALM = "antMiner Configuration"
WEB_USER = "root"
WEB_PASSWORD = "root"
POOL_URL = "stratum+tcp://pool.example.invalid:3333"
HASHBOARDS = 3
FANS = 4

JsonDict = dict[str, Any]


def _status(ok: bool, msg: str, code: int, description: str) -> list[JsonDict]:
    return [{"STATUS": "S" if ok else "E", "When": 0, "Code": code, "Msg": msg, "Description": description}]


def _object_end(text: str) -> int | None:
    """Index just past the first balanced ``{...}`` of ``text`` (strings respected), None if open."""
    depth = 0
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def parse_request(data: bytes) -> JsonDict | None:
    """The JSON object at the start of ``data`` (trailing bytes such as NUL or newline ignored);
    None while it is incomplete. Raises ValueError for bytes that can never become one."""
    text = data.decode("utf-8", errors="replace").lstrip()
    if not text:
        return None
    if text[0] != "{":
        raise ValueError(f"not a JSON object: {text[:40]!r}")
    end = _object_end(text)
    if end is None:
        return None  # wait for more bytes
    try:
        obj = json.loads(text[:end])
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON request: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise ValueError("request is not a JSON object")
    return obj


class FakeMiner:
    """One fake miner: RPC server on ``address:rpc_port`` (and the stock web UI on ``web_port``,
    the Braiins OS+ gRPC API on ``grpc_port``)."""

    def __init__(
        self,
        sim: SimulatedMiner,
        *,
        rpc_port: int = RPC_PORT,
        web_port: int | None = WEB_PORT,
        grpc_port: int = GRPC_PORT,
        reply_delay_s: float = 0.0,
    ) -> None:
        self.sim = sim
        self.address = sim.address
        self.rpc_port = rpc_port
        self.web_port = web_port if sim.firmware == "stock" else None
        self.grpc_port = grpc_port if sim.firmware == "braiins" else None
        self.web_enabled = False
        self.reply_delay_s = reply_delay_s  # firmware + network latency before each answer
        self._rpc_server: asyncio.Server | None = None
        self._web_server: asyncio.Server | None = None
        self._grpc_server: Server | None = None
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        self._closing = asyncio.Event()
        self._session_id = ""
        self._atm_enabled = True
        self._nonce = secrets.token_hex(16)
        self._token = secrets.token_hex(16)
        self.power_target_w = round(sim.spec.power_w)  # BOS+ tuner target (what the firmware reports)
        self._grpc_replies: dict[tuple[Any, ...], bytes] = {}  # encoded read replies by state
        self._mac = "02:00:" + ":".join(f"{int(x):02X}" for x in self.address.split("."))
        self.requests = 0

    @property
    def mode(self) -> FaultMode:
        """The fault mode (``ok``, ``fail``, ``hang``, ``lie``, ``down``)."""
        return self.sim.mode

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind the RPC port (OSError naming the address if taken) and, for stock, the web port
        when allowed (without it, ``web_enabled`` stays False)."""
        try:
            self._rpc_server = await asyncio.start_server(self._rpc_connection, self.address, self.rpc_port)
        except OSError as exc:
            where = f"{self.address}:{self.rpc_port}"
            raise OSError(exc.errno, f"fake miner {where}: cannot listen: {exc}") from exc
        if self.web_port is not None:
            try:
                self._web_server = await asyncio.start_server(
                    self._web_connection, self.address, self.web_port
                )
            except PermissionError:
                self._web_server = None  # port 80 needs root: stock control is then not verifiable
            except OSError:
                await self.close()
                raise
            self.web_enabled = self._web_server is not None
        if self.grpc_port is not None:
            grpc_server = Server([_GrpcServices(self)], codec=_PreEncodedProtoCodec())
            try:
                await grpc_server.start(self.address, self.grpc_port)
            except OSError as exc:
                await self.close()
                where = f"{self.address}:{self.grpc_port}"
                raise OSError(exc.errno, f"fake miner {where}: cannot listen (gRPC): {exc}") from exc
            self._grpc_server = grpc_server

    async def _stop_listening(self) -> None:
        for server in (self._rpc_server, self._web_server):
            if server is not None:
                server.close()
                await server.wait_closed()
        grpc_server, self._grpc_server = self._grpc_server, None
        if grpc_server is not None:
            grpc_server.close()  # also cancels the calls in progress (hanging ones included)
            await grpc_server.wait_closed()

    async def set_mode(self, mode: FaultMode) -> None:
        """Change the fault mode; ``down`` closes the listeners (connections are refused)."""
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode {mode!r}; choose from {', '.join(FAULT_MODES)}")
        was_down = self.sim.mode == "down"
        self.sim.mode = mode
        if mode == "down" and not was_down:
            await self._stop_listening()
            self._rpc_server = self._web_server = None
        elif mode != "down" and was_down:
            web = self.web_enabled
            await self.start()
            self.web_enabled = web and self.web_enabled

    async def close(self) -> None:
        """Stop listening, then reset open connections (hanging ones included) and let their
        handlers finish."""
        self._closing.set()
        await self._stop_listening()
        self._rpc_server = self._web_server = None
        for writer in list(self._connections.values()):
            writer.transport.abort()
        tasks = list(self._connections)
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, web: bool) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            if web:
                await self._web_exchange(reader, writer)
            else:
                await self._rpc_exchange(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            del self._connections[task]
            if self._closing.is_set() or self.sim.mode == "hang":
                writer.transport.abort()  # reset: the client sees the connection end at once
            else:
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()

    async def _rpc_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._serve(reader, writer, web=False)

    async def _web_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._serve(reader, writer, web=True)

    async def _hang(self) -> None:
        await self._closing.wait()

    # --- RPC (port 4028) -----------------------------------------------------------------------
    async def _rpc_exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        request: JsonDict | None = None
        reply: JsonDict
        while request is None:
            chunk = await reader.read(4096)
            if chunk:
                buffer += chunk
            try:
                request = parse_request(buffer)
            except ValueError as exc:
                reply = {"STATUS": _status(False, f"Invalid JSON: {exc}", 23, "fake"), "id": 1}
                break
            if request is None and (not chunk or len(buffer) > MAX_REQUEST_BYTES):
                reply = {"STATUS": _status(False, "Invalid JSON: incomplete request", 23, "fake"), "id": 1}
                break
        self.requests += 1
        if self.sim.mode == "hang":
            await self._hang()
            return
        if self.reply_delay_s:
            await asyncio.sleep(self.reply_delay_s)
        if request is not None:
            reply = self.rpc_reply(str(request.get("command", "")), str(request.get("parameter", "")))
        writer.write(json.dumps(reply).encode("utf-8") + b"\x00")
        await writer.drain()

    def rpc_reply(self, command: str, parameter: str = "") -> JsonDict:
        """The reply to one (possibly ``a+b``) RPC command."""
        if "+" in command:
            params = parameter.split(",") if parameter else []
            replies: JsonDict = {}
            for index, name in enumerate(command.split("+")):
                replies[name] = [self._rpc_one(name, params[index] if index < len(params) else "")]
            replies["id"] = 1
            return replies
        return self._rpc_one(command, parameter)

    def _rpc_one(self, command: str, parameter: str) -> JsonDict:
        if self.sim.mode == "fail":
            return {"STATUS": _status(False, "fake miner told to fail", 45, self._description()), "id": 1}
        handlers = {
            "luxos": self._luxos_commands,
            "stock": self._stock_commands,
            "braiins": self._bos_commands,
        }[self.sim.firmware]()
        handler = handlers.get(command)
        if handler is None:
            return {"STATUS": _status(False, "Invalid command", 14, self._description()), "id": 1}
        body: JsonDict = handler(parameter)
        return body

    def _description(self) -> str:
        return {
            "luxos": f"LUXminer {LUXOS_VERSION}",
            "stock": "bmminer 1.0.0",
            "braiins": f"BOSminer bosminer-plus-tuner {BOSMINER_VERSION}",
        }[self.sim.firmware]

    def _ok(self, msg: str, code: int, **sections: Any) -> JsonDict:
        return {"STATUS": _status(True, msg, code, self._description()), **sections, "id": 1}

    def _error(self, msg: str, code: int) -> JsonDict:
        return {"STATUS": _status(False, msg, code, self._description()), "id": 1}

    def _ghs(self) -> float:
        return self.sim.hashrate_th_s * 1000.0

    def _chain_stats(self) -> JsonDict:
        chips = 110
        per_board = self._ghs() / HASHBOARDS
        chip_c = round(self.sim.chip_temperature_c())
        pcb_c = round(self.sim.board_temperature_c())
        stats: JsonDict = {
            "STATS": 0,
            "ID": "BC50",
            "Elapsed": self.sim.uptime_s,
            "total_rateideal": round(self.sim.spec.hashrate_th_s * 1000.0, 2),
            "rate_unit": "GH",
            "total_rate": round(self._ghs(), 2),
            "miner_count": HASHBOARDS,
            "fan_num": FANS,
        }
        fan_rpm = 3000 if self.sim.mining else 1200
        for fan in range(1, FANS + 1):
            stats[f"fan{fan}"] = fan_rpm
        for board in range(1, HASHBOARDS + 1):
            stats[f"chain_rate{board}"] = f"{per_board:.2f}"
            stats[f"chain_acn{board}"] = chips
            stats[f"temp_chip{board}"] = f"{chip_c - 2}-{chip_c}-{chip_c - 1}-{chip_c}"
            stats[f"temp_pcb{board}"] = f"{pcb_c - 2}-{pcb_c}-{pcb_c}-{pcb_c - 1}"
            stats[f"temp{board}"] = pcb_c
            stats[f"temp2_{board}"] = chip_c
        return stats

    def _summary(self, _p: str = "") -> JsonDict:
        ghs = round(self._ghs(), 2)
        return self._ok(
            "Summary",
            11,
            SUMMARY=[
                {
                    "Elapsed": self.sim.uptime_s,
                    "GHS 5s": ghs,
                    "GHS av": ghs,
                    "GHS 30m": ghs,
                    "Accepted": 1000,
                    "Rejected": 1,
                    "Hardware Errors": 0,
                }
            ],
        )

    def _pools(self, _p: str = "") -> JsonDict:
        return self._ok(
            "1 Pool(s)",
            7,
            POOLS=[
                {
                    "POOL": 0,
                    "URL": POOL_URL,
                    "User": "wattswitch.fake",
                    "Status": "Alive",
                    "Stratum Active": True,
                    "Accepted": 1000,
                    "Rejected": 1,
                    "Get Failures": 0,
                    "Remote Failures": 0,
                    "GROUP": 0,
                    "Priority": 0,
                    "Quota": 1,
                }
            ],
        )

    # --- LuxOS ---------------------------------------------------------------------------------
    def _luxos_commands(self) -> dict[str, Any]:
        return {
            "version": self._lux_version,
            "devdetails": self._lux_devdetails,
            "summary": self._summary,
            "stats": self._lux_stats,
            "power": self._lux_power,
            "config": self._lux_config,
            "profiles": self._lux_profiles,
            "fans": self._lux_fans,
            "pools": self._pools,
            "groups": self._lux_groups,
            "tempctrl": self._lux_tempctrl,
            "atm": self._lux_atm,
            "atmset": self._lux_atmset,
            "session": self._lux_session,
            "logon": self._lux_logon,
            "logoff": self._lux_logoff,
            "curtail": self._lux_curtail,
            "profileset": self._lux_profileset,
        }

    def _lux_version(self, _p: str) -> JsonDict:
        return self._ok(
            "versions",
            22,
            VERSION=[
                {
                    "LUXminer": LUXOS_VERSION,
                    "Miner": LUXOS_VERSION,
                    "API": "3.7",
                    "Type": self.sim.spec.model,
                }
            ],
        )

    def _lux_devdetails(self, _p: str) -> JsonDict:
        return self._ok(
            f"{HASHBOARDS} ASC(s)",
            69,
            DEVDETAILS=[
                {
                    "DEVDETAILS": i,
                    "Name": "BC",
                    "ID": i,
                    "Driver": "LUXminer",
                    "Kernel": "",
                    "Model": self.sim.spec.model,
                    "Device Path": f"/dev/chain{i}",
                }
                for i in range(HASHBOARDS)
            ],
        )

    def _lux_stats(self, _p: str) -> JsonDict:
        return self._ok(
            "LUXminer stats",
            70,
            STATS=[
                {"STATS": 0, "ID": "LUXminer0", "Elapsed": self.sim.uptime_s, "Type": self.sim.spec.model},
                self._chain_stats(),
            ],
        )

    def _lux_power(self, _p: str) -> JsonDict:
        return self._ok("Power", 340, POWER=[{"Watts": round(self.sim.power_w), "PSU": True}])

    def _lux_config(self, _p: str) -> JsonDict:
        return self._ok(
            "LUXminer config",
            33,
            CONFIG=[
                {
                    "Profile": self.sim.reported_profile.name,
                    "MACAddr": self._mac,
                    "RedLed": "off",
                    "IsAtmEnabled": self._atm_enabled,
                    "IsTuning": False,
                    "CurtailMode": "None" if self.sim.reported_mining else "Sleep",
                }
            ],
        )

    def _lux_profiles(self, _p: str) -> JsonDict:
        return self._ok(
            "profiles",
            314,
            PROFILES=[
                {
                    "Profile Name": p.name,
                    "Watts": round(p.power_w),
                    "Hashrate": round(p.hashrate_th_s, 2),
                    "IsTuned": True,
                    "Frequency": p.frequency_mhz,
                    "Voltage": 13.0,
                    "Step": str(i),
                }
                for i, p in enumerate(self.sim.profiles)
            ],
        )

    def _lux_fans(self, _p: str) -> JsonDict:
        rpm = 3000 if self.sim.mining else 1200
        return self._ok(
            f"{FANS} Fan(s)",
            300,
            FANS=[{"FAN": i, "ID": i, "RPM": rpm, "Speed": 50} for i in range(FANS)],
            FANCTRL=[{"MinFans": 1, "Mode": "Auto"}],
        )

    def _lux_groups(self, _p: str) -> JsonDict:
        return self._ok("1 Group(s)", 331, GROUPS=[{"GROUP": 0, "Name": "Default", "Quota": 1}])

    def _lux_tempctrl(self, _p: str) -> JsonDict:
        control = {"Mode": "Auto", "Target": 75, "Hot": 85, "Dangerous": 95}
        return self._ok("TempCtrl", 325, TEMPCTRL=[control])

    def _lux_atm(self, _p: str) -> JsonDict:
        return self._ok(
            "ATM configuration values",
            339,
            ATM=[
                {
                    "Enabled": self._atm_enabled,
                    "MaxProfile": "default",
                    "MinProfile": self.sim.profiles[0].name,
                    "PostRampMinutes": 15,
                    "StartupMinutes": 15,
                    "TempWindow": 10,
                }
            ],
        )

    def _privileged(self, parameter: str) -> list[str] | JsonDict:
        """The arguments after a valid session id, or the error reply."""
        parts = parameter.split(",") if parameter else []
        if not parts or not self._session_id or parts[0] != self._session_id:
            return self._error("Invalid session id", 317)
        return parts[1:]

    def _lux_session(self, _p: str) -> JsonDict:
        return self._ok("Session", 320, SESSION=[{"SessionID": self._session_id}])

    def _lux_logon(self, _p: str) -> JsonDict:
        if self._session_id:
            return self._error("Another session is active", 319)
        self._session_id = secrets.token_hex(4)
        return self._ok("Logon", 320, SESSION=[{"SessionID": self._session_id}])

    def _lux_logoff(self, parameter: str) -> JsonDict:
        args = self._privileged(parameter)
        if isinstance(args, dict):
            return args
        self._session_id = ""
        return self._ok("Logoff", 320)

    def _lux_curtail(self, parameter: str) -> JsonDict:
        args = self._privileged(parameter)
        if isinstance(args, dict):
            return args
        action = args[0] if args else ""
        if action == "sleep":
            self.sim.stop()
        elif action == "wakeup":
            self.sim.resume()
        else:
            return self._error(f"Invalid curtail mode {action!r}; expected sleep or wakeup", 345)
        return self._ok(f"Curtail {action}", 346)

    def _lux_profileset(self, parameter: str) -> JsonDict:
        args = self._privileged(parameter)
        if isinstance(args, dict):
            return args
        name = args[0] if args else ""
        try:
            profile = self.sim.set_profile(name)
        except ValueError as exc:
            return self._error(str(exc), 314)
        return self._ok("Profile set", 315, PROFILE=[{"Profile": profile.name, "Board": 0}])

    def _lux_atmset(self, parameter: str) -> JsonDict:
        args = self._privileged(parameter)
        if isinstance(args, dict):
            return args
        for arg in args:
            key, _, value = arg.partition("=")
            if key == "enabled":
                self._atm_enabled = value.lower() == "true"
        return self._ok("Advanced Thermal Management configuration updated", 340)

    # --- stock Antminer (bmminer) RPC ----------------------------------------------------------
    def _stock_commands(self) -> dict[str, Any]:
        return {
            "version": self._stock_version,
            "summary": self._summary,
            "stats": self._stock_stats,
            "pools": self._pools,
        }

    def _stock_version(self, _p: str) -> JsonDict:
        return self._ok(
            "BMMiner versions",
            22,
            VERSION=[
                {
                    "BMMiner": "1.0.0",
                    "API": "3.1",
                    "Miner": "uart_trans.1.3",
                    "CompileTime": "Mon Jan 1 2024",
                    "Type": self.sim.spec.model,
                }
            ],
        )

    def _stock_stats(self, _p: str) -> JsonDict:
        return self._ok(
            "CGMiner stats",
            70,
            STATS=[
                {
                    "BMMiner": "1.0.0",
                    "Miner": "uart_trans.1.3",
                    "CompileTime": "Mon Jan 1 2024",
                    "Type": self.sim.spec.model,
                },
                self._chain_stats(),
            ],
        )

    # --- Braiins OS+ (BOSminer) RPC ------------------------------------------------------------
    def _bos_commands(self) -> dict[str, Any]:
        return {
            "version": self._bos_version,
            "devdetails": self._bos_devdetails,
            "summary": self._bos_summary,
            "devs": self._bos_devs,
            "pools": self._pools,
            "tunerstatus": self._bos_tunerstatus,
        }

    def _bos_version(self, _p: str) -> JsonDict:
        return self._ok("BOSminer versions", 22, VERSION=[{"BOSminer": BOSMINER_VERSION, "API": "3.7"}])

    def _bos_devdetails(self, _p: str) -> JsonDict:
        return self._ok(
            "Device Details",
            69,
            DEVDETAILS=[
                {
                    "DEVDETAILS": i,
                    "Name": "",
                    "ID": BOS_CHAIN_OFFSET + i,
                    "Driver": "",
                    "Kernel": "",
                    "Model": f"Bitmain {self.sim.spec.model}",
                    "Device Path": "",
                    "Chips": 110,
                    "Frequency": float(self.sim.reported_profile.frequency_mhz),
                    "Voltage": 13.0,
                }
                for i in range(HASHBOARDS)
            ],
        )

    def _bos_summary(self, _p: str) -> JsonDict:
        mhs = round(self._ghs() * 1000.0, 2)
        return self._ok(
            "Summary",
            11,
            SUMMARY=[
                {
                    "Elapsed": self.sim.uptime_s,
                    "MHS av": mhs,
                    "MHS 5s": mhs,
                    "MHS 1m": mhs,
                    "MHS 5m": mhs,
                    "MHS 15m": mhs,
                    "Accepted": 1000,
                    "Rejected": 1,
                    "Hardware Errors": 0,
                }
            ],
        )

    def _bos_devs(self, _p: str) -> JsonDict:
        mhs = round(self._ghs() * 1000.0 / HASHBOARDS, 2)
        return self._ok(
            f"{HASHBOARDS} ASC(s)",
            9,
            DEVS=[
                {
                    "ASC": i,
                    "ID": BOS_CHAIN_OFFSET + i,
                    "Enabled": "Y",
                    "Status": "Alive",
                    "Temperature": round(self.sim.board_temperature_c(), 1),
                    "MHS av": mhs,
                    "MHS 5s": mhs,
                    "MHS 1m": mhs,
                }
                for i in range(HASHBOARDS)
            ],
        )

    def _bos_tunerstatus(self, _p: str) -> JsonDict:
        status = "Stable" if self.sim.reported_mining else "Paused"
        return self._ok(
            "Tuner Status",
            68,
            TUNERSTATUS=[
                {
                    "PowerLimit": self.power_target_w,
                    "ApproximateMinerPowerConsumption": round(self.sim.power_w),
                    "TunerChainStatus": [
                        {"HashchainIndex": BOS_CHAIN_OFFSET + i, "Iteration": 0, "Status": status}
                        for i in range(HASHBOARDS)
                    ],
                }
            ],
        )

    # --- Braiins OS+ gRPC (port 50051) -----------------------------------------------------------
    def grpc_authorized(self, metadata: Any) -> bool:
        """True when the call carries this miner's login token."""
        token = metadata.get("authorization") if metadata is not None else None
        return isinstance(token, str) and secrets.compare_digest(token, self._token)

    def grpc_login(self, username: str, password: str) -> str:
        """The session token for valid credentials (GRPCError UNAUTHENTICATED otherwise)."""
        if username != WEB_USER or password != WEB_PASSWORD:
            raise GRPCError(Status.UNAUTHENTICATED, "invalid username or password")
        return self._token

    def grpc_pause(self) -> bool:
        """PauseMining; True when it was paused already."""
        already = not self.sim.reported_mining
        self.sim.stop()
        return already

    def grpc_resume(self) -> bool:
        """ResumeMining; True when it was mining already."""
        already = self.sim.reported_mining
        self.sim.resume()
        return already

    def grpc_set_power_target(self, watt: int) -> int:
        """SetPowerTarget: the tuner settles on the highest preset at or below ``watt``; returns
        the target as the firmware reports it (GRPCError INVALID_ARGUMENT when out of range)."""
        profile = self.sim.profile_for_limit(watt)
        if profile is None or watt > 2 * self.sim.spec.power_w:
            low, high = round(self.sim.profiles[0].power_w), round(2 * self.sim.spec.power_w)
            raise GRPCError(
                Status.INVALID_ARGUMENT, f"power target {watt} W is out of range [{low} W, {high} W]"
            )
        self.sim.set_profile(profile.name)
        self.power_target_w = watt
        return watt

    def grpc_reading(self) -> JsonDict:
        """What the gRPC reads report now: watts, per-board hashrate (GH/s) and temperatures."""
        return {
            "watt": round(self.sim.power_w),
            "ghs": self._ghs(),
            "board_ghs": self._ghs() / HASHBOARDS,
            "nominal_ghs": self.sim.reported_profile.hashrate_th_s * 1000.0,
            "chip_c": round(self.sim.chip_temperature_c(), 1),
            "pcb_c": round(self.sim.board_temperature_c(), 1),
            "fan_rpm": 3000 if self.sim.mining else 1200,
            "paused": not self.sim.reported_mining,
        }

    def grpc_mapping(self) -> dict[str, Handler]:
        """The gRPC methods this fake serves, by path (grpclib's ``__mapping__``)."""
        pb = bos_proto()
        calls: dict[str, tuple[Any, Any, Any, bool]] = {
            "AuthenticationService/Login": (self._grpc_login, pb.LoginRequest, pb.LoginResponse, False),
            "ActionsService/PauseMining": (
                self._grpc_pause_mining,
                pb.PauseMiningRequest,
                pb.PauseMiningResponse,
                True,
            ),
            "ActionsService/ResumeMining": (
                self._grpc_resume_mining,
                pb.ResumeMiningRequest,
                pb.ResumeMiningResponse,
                True,
            ),
            "ActionsService/GetLocateDeviceStatus": (
                self._grpc_locate_device_status,
                pb.GetLocateDeviceStatusRequest,
                pb.LocateDeviceStatusResponse,
                True,
            ),
            "PerformanceService/SetPowerTarget": (
                self._grpc_set_power_target,
                pb.SetPowerTargetRequest,
                pb.SetPowerTargetResponse,
                True,
            ),
            "PerformanceService/GetActivePerformanceMode": (
                self._grpc_performance_mode,
                pb.GetPerformanceModeRequest,
                pb.PerformanceMode,
                True,
            ),
            "MinerService/GetMinerStats": (
                self._grpc_miner_stats,
                pb.GetMinerStatsRequest,
                pb.GetMinerStatsResponse,
                True,
            ),
            "MinerService/GetHashboards": (
                self._grpc_hashboards,
                pb.GetHashboardsRequest,
                pb.GetHashboardsResponse,
                True,
            ),
            "MinerService/GetMinerDetails": (
                self._grpc_miner_details,
                pb.GetMinerDetailsRequest,
                pb.GetMinerDetailsResponse,
                True,
            ),
            "CoolingService/GetCoolingState": (
                self._grpc_cooling_state,
                pb.GetCoolingStateRequest,
                pb.GetCoolingStateResponse,
                True,
            ),
            "ConfigurationService/GetMinerConfiguration": (
                self._grpc_configuration,
                pb.GetMinerConfigurationRequest,
                pb.GetMinerConfigurationResponse,
                True,
            ),
            "PoolService/GetPoolGroups": (
                self._grpc_pool_groups,
                pb.GetPoolGroupsRequest,
                pb.GetPoolGroupsResponse,
                True,
            ),
        }
        changes = {"Login", "PauseMining", "ResumeMining", "SetPowerTarget"}
        return {
            f"/braiins.bos.v1.{name}": Handler(
                self._grpc_handler(answer, privileged, cached=name.split("/")[1] not in changes),
                Cardinality.UNARY_UNARY,
                request,
                reply,
            )
            for name, (answer, request, reply, privileged) in calls.items()
        }

    def _grpc_handler(self, answer: Any, privileged: bool, *, cached: bool) -> Any:
        """A unary grpclib handler: fault modes, latency and the token check, then ``answer``
        (request -> (reply, initial metadata or None)); ``cached`` replies (reads, whose requests
        carry nothing) are encoded once per miner state."""

        async def handle(stream: Stream[Any, Any]) -> None:
            request = await stream.recv_message()
            self.requests += 1
            if self.sim.mode == "hang":
                await self._hang()
                raise GRPCError(Status.UNAVAILABLE, "fake miner shutting down")
            if self.reply_delay_s:
                await asyncio.sleep(self.reply_delay_s)
            if self.sim.mode == "fail":
                raise GRPCError(Status.INTERNAL, "fake miner told to fail")
            if privileged and not self.grpc_authorized(stream.metadata):
                raise GRPCError(Status.UNAUTHENTICATED, "missing or invalid authorization token")
            if cached:
                key = (answer.__name__, self.sim.uptime_s, self.power_target_w, *self.grpc_reading().values())
                reply = self._grpc_replies.get(key)
                if reply is None:
                    if len(self._grpc_replies) > 64:
                        self._grpc_replies.clear()
                    reply = self._grpc_replies[key] = bytes(answer(request)[0])
                metadata = None
            else:
                reply, metadata = answer(request)
            if metadata is not None:
                await stream.send_initial_metadata(metadata=metadata)
            await stream.send_message(reply)

        return handle

    def _grpc_login(self, request: Any) -> tuple[Any, dict[str, str] | None]:
        token = self.grpc_login(request.username, request.password)
        reply = bos_proto().LoginResponse(token=token, timeout_s=GRPC_TOKEN_TIMEOUT_S)
        return reply, {"authorization": token}

    def _grpc_pause_mining(self, _request: Any) -> tuple[Any, None]:
        return bos_proto().PauseMiningResponse(already_paused=self.grpc_pause()), None

    def _grpc_resume_mining(self, _request: Any) -> tuple[Any, None]:
        return bos_proto().ResumeMiningResponse(already_mining=self.grpc_resume()), None

    def _grpc_locate_device_status(self, _request: Any) -> tuple[Any, None]:
        return bos_proto().LocateDeviceStatusResponse(enabled=False), None

    def _grpc_set_power_target(self, request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        watt = self.grpc_set_power_target(int(request.power_target.watt))
        return pb.SetPowerTargetResponse(power_target=pb.Power(watt=watt)), None

    def _grpc_performance_mode(self, _request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        target = pb.PowerTargetMode(power_target=pb.Power(watt=self.power_target_w))
        return pb.PerformanceMode(tuner_mode=pb.TunerPerformanceMode(power_target=target)), None

    def _solver_stats(self, ghs: float, nominal_ghs: float) -> Any:
        pb = bos_proto()
        rate = pb.GigaHashrate(gigahash_per_second=ghs)
        return pb.WorkSolverStats(
            real_hashrate=pb.RealHashrate(last_5_s=rate, last_1_m=rate),
            nominal_hashrate=pb.GigaHashrate(gigahash_per_second=nominal_ghs),
        )

    def _grpc_miner_stats(self, _request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        now = self.grpc_reading()
        return (
            pb.GetMinerStatsResponse(
                miner_stats=self._solver_stats(now["ghs"], now["nominal_ghs"]),
                power_stats=pb.MinerPowerStats(approximated_consumption=pb.Power(watt=now["watt"])),
            ),
            None,
        )

    def _grpc_hashboards(self, _request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        now = self.grpc_reading()
        boards = [
            pb.Hashboard(
                id=str(BOS_CHAIN_OFFSET + i),
                enabled=True,
                chips_count=110,
                highest_chip_temp=pb.TemperatureSensor(
                    location=pb.SensorLocation.CHIP, temperature=pb.Temperature(degree_c=now["chip_c"])
                ),
                board_temp=pb.Temperature(degree_c=now["pcb_c"]),
                stats=self._solver_stats(now["board_ghs"], now["nominal_ghs"] / HASHBOARDS),
                model=self.sim.spec.model,
                serial_number=f"FAKEHB{i}",
            )
            for i in range(HASHBOARDS)
        ]
        return pb.GetHashboardsResponse(hashboards=boards), None

    def _grpc_miner_details(self, _request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        now = self.grpc_reading()
        return (
            pb.GetMinerDetailsResponse(
                uid=self._mac.replace(":", ""),
                miner_identity=pb.MinerIdentity(
                    brand=pb.MinerBrand.ANTMINER, name=self.sim.spec.model, miner_model=self.sim.spec.model
                ),
                bos_version=pb.BosVersion(current=BOS_VERSION, major="24.06", bos_plus=True),
                hostname=f"bos-{self.address.replace('.', '-')}",
                mac_address=self._mac.lower(),
                sticker_hashrate=pb.GigaHashrate(gigahash_per_second=self.sim.spec.hashrate_th_s * 1000.0),
                bosminer_uptime_s=self.sim.uptime_s,
                system_uptime_s=self.sim.uptime_s,
                status=pb.MinerStatus.PAUSED if now["paused"] else pb.MinerStatus.NORMAL,
                serial_number=f"FAKE{self._mac.replace(':', '')}",
            ),
            None,
        )

    def _grpc_cooling_state(self, _request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        now = self.grpc_reading()
        hottest = pb.TemperatureSensor(
            location=pb.SensorLocation.CHIP, temperature=pb.Temperature(degree_c=now["chip_c"])
        )
        fans = [pb.FanState(position=i, rpm=now["fan_rpm"], target_speed_ratio=0.5) for i in range(FANS)]
        return pb.GetCoolingStateResponse(fans=fans, highest_temperature=hottest), None

    def _grpc_configuration(self, _request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        pool = pb.PoolConfiguration(uid="1", url=POOL_URL, user="wattswitch.fake", password="x", enabled=True)
        group = pb.PoolGroupConfiguration(uid="1", name="default", quota=pb.Quota(value=1), pools=[pool])
        tuner = pb.TunerConfiguration(
            enabled=True,
            tuner_mode=pb.TunerMode.POWER_TARGET,
            power_target=pb.Power(watt=self.power_target_w),
        )
        return pb.GetMinerConfigurationResponse(pool_groups=[group], tuner=tuner), None

    def _grpc_pool_groups(self, _request: Any) -> tuple[Any, None]:
        pb = bos_proto()
        stats = pb.PoolStats(accepted_shares=1000, rejected_shares=1, generated_work=1001)
        pool = pb.Pool(
            uid="1", url=POOL_URL, user="wattswitch.fake", enabled=True, alive=True, active=True, stats=stats
        )
        group = pb.PoolGroup(name="default", quota=pb.Quota(value=1), pools=[pool])
        return pb.GetPoolGroupsResponse(pool_groups=[group]), None

    # --- stock Antminer web UI (port 80, HTTP Digest) ------------------------------------------
    async def _web_exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        body = b""
        length = int(headers.get("content-length", "0") or "0")
        if length:
            body = await reader.readexactly(min(length, MAX_REQUEST_BYTES))
        self.requests += 1
        if self.sim.mode == "hang":
            await self._hang()
            return
        if self.reply_delay_s:
            await asyncio.sleep(self.reply_delay_s)
        status, extra, payload = self._web_reply(method, target.split("?")[0], headers, body)
        reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}[status]
        head_out = [
            f"HTTP/1.1 {status} {reason}",
            f"Content-Length: {len(payload)}",
            "Connection: close",
            "Content-Type: application/json" if status == 200 else "Content-Type: text/plain",
            *extra,
        ]
        writer.write(("\r\n".join(head_out) + "\r\n\r\n").encode("latin-1") + payload)
        await writer.drain()

    def _digest_ok(self, method: str, authorization: str) -> bool:
        if not authorization.lower().startswith("digest "):
            return False
        fields: dict[str, str] = {}
        for part in _split_digest(authorization[7:]):
            key, _, value = part.partition("=")
            fields[key.strip().lower()] = value.strip().strip('"')
        if fields.get("username") != WEB_USER or fields.get("nonce") != self._nonce:
            return False
        ha1 = _md5(f"{WEB_USER}:{DIGEST_REALM}:{WEB_PASSWORD}")
        ha2 = _md5(f"{method}:{fields.get('uri', '')}")
        if fields.get("qop"):
            expected = _md5(
                f"{ha1}:{self._nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:{fields['qop']}:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{self._nonce}:{ha2}")
        return secrets.compare_digest(expected, fields.get("response", ""))

    def _web_reply(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[str], bytes]:
        if not self._digest_ok(method, headers.get("authorization", "")):
            challenge = f'WWW-Authenticate: Digest realm="{DIGEST_REALM}", nonce="{self._nonce}", qop="auth"'
            return 401, [challenge], b"401 Unauthorized"
        if self.sim.mode == "fail":
            return 500, [], b"fake miner told to fail"
        if path == "/":
            return 200, [], b'{"page": "Antminer web UI (wattswitch fake)"}'
        name = path.removeprefix("/cgi-bin/").removesuffix(".cgi")
        pages = {
            "get_system_info": self._web_system_info,
            "get_miner_conf": self._web_miner_conf,
            "stats": self._web_stats,
            "summary": self._web_summary,
            "get_blink_status": self._web_blink,
        }
        if name == "set_miner_conf" and method == "POST":
            return self._web_set_miner_conf(body)
        if name not in pages:
            return 404, [], b"not found"
        return 200, [], json.dumps(pages[name]()).encode("utf-8")

    def _web_system_info(self) -> JsonDict:
        return {
            "minertype": self.sim.spec.model,
            "nettype": "DHCP",
            "netdevice": "eth0",
            "macaddr": self._mac,
            "hostname": "Antminer",
            "ipaddress": self.address,
            "system_mode": "GNU/Linux",
            "serinum": f"FAKE{self._mac.replace(':', '')}",
            "firmware_type": "Release",
        }

    def _web_miner_conf(self) -> JsonDict:
        return {
            "pools": [{"url": POOL_URL, "user": "wattswitch.fake", "pass": "x"}],
            "api-listen": True,
            "api-network": True,
            "api-groups": "A:stats:pools:devs:summary:version",
            "api-allow": "A:0/0,W:*",
            "bitmain-fan-ctrl": False,
            "bitmain-fan-pwm": "100",
            "bitmain-use-vil": True,
            "bitmain-freq": "675",
            "bitmain-voltage": "1400",
            "bitmain-ccdelay": "0",
            "bitmain-pwth": "0",
            "bitmain-work-mode": "0" if self.sim.reported_mining else "1",
            "bitmain-freq-level": "100",
        }

    def _web_set_miner_conf(self, body: bytes) -> tuple[int, list[str], bytes]:
        try:
            conf = json.loads(body or b"{}")
            mode = int(conf["miner-mode"])
        except (ValueError, KeyError, TypeError):
            return 200, [], json.dumps({"stats": "error", "code": "M001", "msg": "bad miner-mode"}).encode()
        if mode == 1:
            self.sim.stop()
        elif mode == 0:
            self.sim.resume()
        return 200, [], json.dumps({"stats": "success", "code": "M000", "msg": "OK!"}).encode()

    def _web_stats(self) -> JsonDict:
        per_board = self._ghs() / HASHBOARDS
        chip_c = round(self.sim.chip_temperature_c())
        pcb_c = round(self.sim.board_temperature_c())
        return {
            "STATS": [
                {
                    "elapsed": self.sim.uptime_s,
                    "rate_5s": round(self._ghs(), 2),
                    "rate_unit": "GH/s",
                    "rate_ideal": round(self.sim.spec.hashrate_th_s * 1000.0, 2),
                    "chain": [
                        {
                            "index": i,
                            "rate_real": round(per_board, 2),
                            "asic_num": 110,
                            "temp_pcb": [pcb_c - 2, pcb_c, pcb_c, pcb_c - 1],
                            "temp_chip": [chip_c - 2, chip_c, chip_c - 1, chip_c],
                            "temp_pic": [pcb_c, pcb_c, pcb_c, pcb_c],
                            "sn": f"FAKEHB{i}",
                        }
                        for i in range(HASHBOARDS)
                    ],
                }
            ]
        }

    def _web_summary(self) -> JsonDict:
        return {"SUMMARY": [{"elapsed": self.sim.uptime_s, "rate_5s": round(self._ghs(), 2), "status": []}]}

    def _web_blink(self) -> JsonDict:
        return {"blink": False}


@functools.cache
def bos_proto() -> Any:
    """The Braiins OS+ protobuf messages bundled with pyasic (``braiins.bos.v1``), imported on
    first use: importing pyasic takes a second or more."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pyasic 0.79 warns on import
        return importlib.import_module("pyasic.web.braiins_os.proto.braiins.bos.v1")


class _PreEncodedProtoCodec(ProtoCodec):
    """grpclib's protobuf codec that also sends already-encoded replies as they are (betterproto
    encodes in pure Python, a few ms per reply: the fake caches the bytes of its reads)."""

    def encode(self, message: Any, message_type: Any) -> bytes:
        if isinstance(message, bytes):
            return message
        return super().encode(message, message_type)


class _GrpcServices:
    """grpclib ``IServable`` over a fake miner's method table."""

    def __init__(self, miner: FakeMiner) -> None:
        self._miner = miner

    def __mapping__(self) -> dict[str, Handler]:
        return self._miner.grpc_mapping()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _split_digest(text: str) -> list[str]:
    """Split ``a="x, y", b=z`` at commas outside quotes."""
    parts: list[str] = []
    current = ""
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


class FakeMinerFarm:
    """N fake miners on consecutive loopback addresses, one event loop.

    ``async with FakeMinerFarm(100) as farm:`` starts them; without ``first_address`` a free
    block 127.R.S.1… is picked at random (so parallel test runs do not collide). ``firmware`` is
    one personality for all or one per miner; ``reply_delay_s`` adds latency before every answer.
    For a farm on its own thread (synchronous callers, or a controller with its own loop) use
    :meth:`run_in_thread`.
    """

    def __init__(
        self,
        count: int,
        *,
        model: str = "Antminer S19 XP",
        firmware: Firmware | Sequence[Firmware] = "luxos",
        first_address: str | None = None,
        rpc_port: int = RPC_PORT,
        web_port: int | None = WEB_PORT,
        grpc_port: int = GRPC_PORT,
        transition_s: float = 0.0,
        reply_delay_s: float = 0.0,
    ) -> None:
        if count < 1:
            raise ValueError(f"FakeMinerFarm needs at least one miner, got {count}")
        firmwares = [firmware] * count if isinstance(firmware, str) else list(firmware)
        if len(firmwares) != count:
            raise ValueError(f"FakeMinerFarm: {len(firmwares)} firmwares for {count} miners")
        self.count = count
        self.model = model
        self.firmwares: list[Firmware] = firmwares
        self.first_address = first_address
        self.rpc_port = rpc_port
        self.web_port = web_port
        self.grpc_port = grpc_port
        self.transition_s = transition_s
        self.reply_delay_s = reply_delay_s
        self.miners: dict[str, FakeMiner] = {}

    @property
    def addresses(self) -> list[str]:
        """The miners' addresses, in order."""
        return list(self.miners)

    @property
    def web_enabled(self) -> bool:
        """True when every stock miner serves its web UI (so stock stop/resume really works)."""
        return all(m.web_enabled for m in self.miners.values() if m.sim.firmware == "stock")

    def miner(self, address: str) -> FakeMiner:
        """The fake at ``address`` (KeyError naming it)."""
        if address not in self.miners:
            raise KeyError(f"no fake miner at {address}")
        return self.miners[address]

    async def set_mode(self, address: str, mode: FaultMode) -> None:
        """Make one miner fail, hang, lie, go down (refuse connections), or behave (``ok``)."""
        await self.miner(address).set_mode(mode)

    def total_power_w(self) -> float:
        """The meter: watts drawn by the whole farm now (lying miners included)."""
        return sum(m.sim.power_w for m in self.miners.values())

    async def start(self) -> None:
        """Bind every miner; on a taken address pick another block (unless ``first_address``)."""
        raise_fd_limit(4 * self.count + 256)
        attempts = 1 if self.first_address else 8
        rng = random.Random()
        last_error: OSError | None = None
        for _ in range(attempts):
            first = self.first_address or f"127.{rng.randint(32, 250)}.{rng.randint(0, 250)}.1"
            try:
                await self._start_at(first)
            except OSError as exc:
                last_error = exc
                await self.close()
                continue
            return
        assert last_error is not None
        raise last_error

    async def _start_at(self, first: str) -> None:
        self.miners = {}
        for address, firmware in zip(consecutive_addresses(first, self.count), self.firmwares, strict=True):
            sim = SimulatedMiner(address, self.model, firmware, transition_s=self.transition_s)
            fake = FakeMiner(
                sim,
                rpc_port=self.rpc_port,
                web_port=self.web_port,
                grpc_port=self.grpc_port,
                reply_delay_s=self.reply_delay_s,
            )
            self.miners[address] = fake
            await fake.start()

    async def close(self) -> None:
        """Stop every miner and end their connections."""
        await asyncio.gather(*(m.close() for m in self.miners.values()))
        await asyncio.sleep(0)  # let aborted transports finish closing

    async def __aenter__(self) -> FakeMinerFarm:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def run_in_thread(self) -> FakeMinerFarmThread:
        """This farm on a background thread with its own event loop (a context manager)."""
        return FakeMinerFarmThread(self)


class FakeMinerFarmThread:
    """A :class:`FakeMinerFarm` served from a background thread: ``with farm.run_in_thread() as t:``."""

    def __init__(self, farm: FakeMinerFarm) -> None:
        self.farm = farm
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def addresses(self) -> list[str]:
        """The miners' addresses, in order."""
        return self.farm.addresses

    def _call(self, coro: Any) -> Any:
        assert self._loop is not None, "the farm thread is not running"
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result()

    def set_mode(self, address: str, mode: FaultMode) -> None:
        """Set one miner's fault mode (waits until applied)."""
        self._call(self.farm.set_mode(address, mode))

    def total_power_w(self) -> float:
        """The meter: watts drawn by the whole farm now."""
        return float(self._call(self._total()))

    async def _total(self) -> float:
        return self.farm.total_power_w()

    def start(self) -> None:
        """Start the loop thread and the farm on it."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="fake-miner-farm", daemon=True)
        self._thread.start()
        try:
            self._call(self.farm.start())
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the farm, the loop and the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if loop.is_running():
                self._call(self.farm.close())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> FakeMinerFarmThread:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
