"""The fake Braiins OS+ miner on the wire: cgminer-style RPC on 4028 and gRPC on 50051, spoken
with raw sockets and grpclib plus the protobuf stubs bundled with pyasic (no pyasic miner class)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from grpclib import GRPCError, Status
from grpclib.client import Channel
from grpclib.const import Cardinality

from wattswitch.control.fake_miner import GRPC_PORT, FakeMinerFarm, bos_proto

pb = bos_proto()
LOGIN = "/braiins.bos.v1.AuthenticationService/Login"


async def rpc(address: str, command: str) -> Any:
    reader, writer = await asyncio.open_connection(address, 4028)
    try:
        writer.write(json.dumps({"command": command}).encode())
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 2.0)
    finally:
        writer.close()
        await writer.wait_closed()
    assert reply.endswith(b"\x00")
    return json.loads(reply[:-1])


async def login(channel: Channel, password: str = "root") -> str | None:
    """Log in as pyasic does; the token is in the initial metadata."""
    async with channel.request(LOGIN, Cardinality.UNARY_UNARY, pb.LoginRequest, pb.LoginResponse) as stream:
        await stream.send_message(pb.LoginRequest(username="root", password=password), end=True)
        await stream.recv_initial_metadata()
        reply = await stream.recv_message()
        await stream.recv_trailing_metadata()
        token = stream.initial_metadata.get("authorization") if stream.initial_metadata else None
        assert reply is not None
        assert reply.token == token
        return token if isinstance(token, str) else None


def run_with_farm(scenario: Callable[[FakeMinerFarm, Channel], Awaitable[None]]) -> None:
    async def main() -> None:
        async with FakeMinerFarm(2, firmware="braiins") as farm:
            channel = Channel(farm.addresses[0], GRPC_PORT)
            try:
                await scenario(farm, channel)
            finally:
                channel.close()

    asyncio.run(main())


def test_rpc_identifies_as_bosminer_with_a_bitmain_model() -> None:
    async def scenario(farm: FakeMinerFarm, _channel: Channel) -> None:
        address = farm.addresses[0]
        version = await rpc(address, "version")
        assert "BOSminer" in version["STATUS"][0]["Description"]
        assert version["VERSION"][0]["BOSminer"]
        details = await rpc(address, "devdetails")
        assert details["DEVDETAILS"][0]["Model"] == "Bitmain Antminer S19 XP"
        summary = await rpc(address, "summary")
        assert summary["SUMMARY"][0]["MHS 1m"] == pytest.approx(140e6)
        tuner = await rpc(address, "tunerstatus")
        assert [c["Status"] for c in tuner["TUNERSTATUS"][0]["TunerChainStatus"]] == ["Stable"] * 3

    run_with_farm(scenario)


def test_grpc_login_token_guards_every_call() -> None:
    async def scenario(farm: FakeMinerFarm, channel: Channel) -> None:
        actions = pb.ActionsServiceStub(channel)
        with pytest.raises(GRPCError) as wrong:
            await login(channel, password="wrong")
        assert wrong.value.status == Status.UNAUTHENTICATED
        with pytest.raises(GRPCError) as anonymous:
            await actions.pause_mining(pb.PauseMiningRequest())
        assert anonymous.value.status == Status.UNAUTHENTICATED
        with pytest.raises(GRPCError) as stale:
            await actions.pause_mining(pb.PauseMiningRequest(), metadata={"authorization": "stale"})
        assert stale.value.status == Status.UNAUTHENTICATED
        assert farm.total_power_w() == 2 * 3010
        token = await login(channel)
        assert token

    run_with_farm(scenario)


def test_grpc_pause_resume_and_power_target_drive_the_physics() -> None:
    async def scenario(farm: FakeMinerFarm, channel: Channel) -> None:
        auth = {"authorization": await login(channel) or ""}
        actions = pb.ActionsServiceStub(channel)
        performance = pb.PerformanceServiceStub(channel)
        miner = pb.MinerServiceStub(channel)
        paused = await actions.pause_mining(pb.PauseMiningRequest(), metadata=auth)
        assert not paused.already_paused
        assert (await actions.pause_mining(pb.PauseMiningRequest(), metadata=auth)).already_paused
        assert farm.total_power_w() == pytest.approx(3010 + 0.03 * 3010)
        stats = await miner.get_miner_stats(pb.GetMinerStatsRequest(), metadata=auth)
        assert stats.power_stats.approximated_consumption.watt == 90
        boards = await miner.get_hashboards(pb.GetHashboardsRequest(), metadata=auth)
        assert [b.stats.real_hashrate.last_5_s.gigahash_per_second for b in boards.hashboards] == [0.0] * 3
        resumed = await actions.resume_mining(pb.ResumeMiningRequest(), metadata=auth)
        assert not resumed.already_mining
        assert farm.total_power_w() == 2 * 3010

        request = pb.SetPowerTargetRequest(power_target=pb.Power(watt=2500))
        reply = await performance.set_power_target(request, metadata=auth)
        assert reply.power_target.watt == 2500
        assert farm.miner(farm.addresses[0]).sim.power_w == pytest.approx(0.8 * 3010)  # preset below
        mode = await performance.get_active_performance_mode(pb.GetPerformanceModeRequest(), metadata=auth)
        assert mode.tuner_mode.power_target.power_target.watt == 2500
        boards = await miner.get_hashboards(pb.GetHashboardsRequest(), metadata=auth)
        assert len(boards.hashboards) == 3
        assert all(60 < b.highest_chip_temp.temperature.degree_c < 75 for b in boards.hashboards)
        low = pb.SetPowerTargetRequest(power_target=pb.Power(watt=100))
        with pytest.raises(GRPCError) as too_low:
            await performance.set_power_target(low, metadata=auth)
        assert too_low.value.status == Status.INVALID_ARGUMENT
        assert "out of range" in (too_low.value.message or "")

    run_with_farm(scenario)


def test_grpc_fault_modes() -> None:
    async def scenario(farm: FakeMinerFarm, channel: Channel) -> None:
        address = farm.addresses[0]
        auth = {"authorization": await login(channel) or ""}
        actions = pb.ActionsServiceStub(channel)

        await farm.set_mode(address, "fail")
        with pytest.raises(GRPCError) as failed:
            await actions.pause_mining(pb.PauseMiningRequest(), metadata=auth)
        assert failed.value.status == Status.INTERNAL

        await farm.set_mode(address, "lie")
        assert not (await actions.pause_mining(pb.PauseMiningRequest(), metadata=auth)).already_paused
        assert farm.miner(address).sim.power_w == 3010  # acknowledged, still mining

        await farm.set_mode(address, "hang")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(actions.resume_mining(pb.ResumeMiningRequest(), metadata=auth), 0.2)

        await farm.set_mode(address, "down")
        fresh = Channel(address, GRPC_PORT)
        try:
            with pytest.raises(ConnectionRefusedError):
                await pb.ActionsServiceStub(fresh).resume_mining(pb.ResumeMiningRequest(), metadata=auth)
        finally:
            fresh.close()

        await farm.set_mode(address, "ok")  # back up: the same token still works
        back = Channel(address, GRPC_PORT)
        try:
            stub = pb.ActionsServiceStub(back)
            assert (await stub.resume_mining(pb.ResumeMiningRequest(), metadata=auth)).already_mining is False
        finally:
            back.close()

    run_with_farm(scenario)


def test_only_braiins_miners_listen_on_grpc() -> None:
    async def main() -> None:
        async with FakeMinerFarm(2, firmware=["luxos", "braiins"]) as farm:
            luxos, braiins = farm.addresses
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection(luxos, GRPC_PORT)
            _reader, writer = await asyncio.open_connection(braiins, GRPC_PORT)
            writer.close()
            await writer.wait_closed()

    asyncio.run(main())
