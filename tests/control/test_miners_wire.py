"""The fake miner's wire protocol, spoken over raw sockets (no pyasic)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from wattswitch.control.fake_miner import FakeMinerFarm, parse_request


async def exchange(address: str, *chunks: bytes, pause_s: float = 0.0) -> bytes:
    """Send the chunks without newline or half-close, read until the miner closes."""
    reader, writer = await asyncio.open_connection(address, 4028)
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(pause_s)
        return await asyncio.wait_for(reader.read(), 2.0)
    finally:
        writer.close()
        await writer.wait_closed()


def decode(reply: bytes) -> Any:
    assert reply.endswith(b"\x00")  # cgminer's trailing NUL
    return json.loads(reply[:-1])


def run_with_farm(scenario: Any, **farm_args: Any) -> None:
    async def main() -> None:
        async with FakeMinerFarm(2, **farm_args) as farm:
            await scenario(farm)

    asyncio.run(main())


def test_single_command_reply_then_close() -> None:
    async def scenario(farm: FakeMinerFarm) -> None:
        reply = decode(await exchange(farm.addresses[0], b'{"command": "version"}'))
        assert reply["STATUS"][0]["STATUS"] == "S"
        assert reply["VERSION"][0]["LUXminer"]
        assert reply["VERSION"][0]["Type"] == "Antminer S19 XP"

    run_with_farm(scenario)


def test_multicommand_answers_each_in_a_list() -> None:
    async def scenario(farm: FakeMinerFarm) -> None:
        reply = decode(await exchange(farm.addresses[0], b'{"command": "summary+power+bogus"}'))
        assert reply["power"][0]["POWER"][0]["Watts"] == 3010
        assert reply["summary"][0]["SUMMARY"][0]["GHS 5s"] == pytest.approx(140000, rel=1e-6)
        assert reply["bogus"][0]["STATUS"][0]["STATUS"] == "E"

    run_with_farm(scenario)


def test_request_split_across_writes_and_trailing_bytes() -> None:
    async def scenario(farm: FakeMinerFarm) -> None:
        split = await exchange(farm.addresses[0], b'{"command": "po', b'wer"}', pause_s=0.05)
        assert decode(split)["POWER"][0]["Watts"] == 3010
        trailing = await exchange(farm.addresses[0], b'{"command": "power"}\n\x00junk')
        assert decode(trailing)["POWER"][0]["Watts"] == 3010
        braces = await exchange(farm.addresses[0], b'{"command": "pools", "parameter": "}{"}')
        assert decode(braces)["STATUS"][0]["STATUS"] == "S"

    run_with_farm(scenario)


def test_malformed_and_unknown_requests_get_status_e() -> None:
    async def scenario(farm: FakeMinerFarm) -> None:
        bad = decode(await exchange(farm.addresses[0], b"hello"))
        assert bad["STATUS"][0]["STATUS"] == "E"
        assert "Invalid JSON" in bad["STATUS"][0]["Msg"]
        unknown = decode(await exchange(farm.addresses[0], b'{"command": "reboot_everything"}'))
        assert unknown["STATUS"][0]["Msg"] == "Invalid command"

    run_with_farm(scenario)


def test_parse_request_waits_for_a_complete_object() -> None:
    assert parse_request(b'{"command": "a"') is None
    assert parse_request(b'  {"command": "a"}\x00') == {"command": "a"}
    assert parse_request(b'{"command": "}"}') == {"command": "}"}
    with pytest.raises(ValueError, match="not a JSON object"):
        parse_request(b"[1]")


def test_luxos_curtail_needs_the_session_and_changes_the_draw() -> None:
    async def scenario(farm: FakeMinerFarm) -> None:
        address = farm.addresses[0]
        refused = decode(await exchange(address, b'{"command": "curtail", "parameter": "nope,sleep"}'))
        assert refused["STATUS"][0]["STATUS"] == "E"
        session = decode(await exchange(address, b'{"command": "logon"}'))["SESSION"][0]["SessionID"]
        again = decode(await exchange(address, b'{"command": "session"}'))["SESSION"][0]["SessionID"]
        assert session
        assert again == session
        request = json.dumps({"command": "curtail", "parameter": f"{session},sleep"}).encode()
        assert decode(await exchange(address, request))["STATUS"][0]["STATUS"] == "S"
        assert farm.miner(address).sim.power_w == pytest.approx(0.03 * 3010)
        assert farm.total_power_w() == pytest.approx(3010 + 0.03 * 3010)
        power = decode(await exchange(address, b'{"command": "power"}'))
        assert power["POWER"][0]["Watts"] == 90

    run_with_farm(scenario)


def test_fault_modes_on_the_wire() -> None:
    async def scenario(farm: FakeMinerFarm) -> None:
        address = farm.addresses[0]
        await farm.set_mode(address, "fail")
        failed = decode(await exchange(address, b'{"command": "version"}'))
        assert failed["STATUS"][0]["STATUS"] == "E"
        await farm.set_mode(address, "down")
        with pytest.raises(ConnectionRefusedError):
            await exchange(address, b'{"command": "version"}')
        await farm.set_mode(address, "hang")
        reader, writer = await asyncio.open_connection(address, 4028)
        try:
            writer.write(b'{"command": "version"}')
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.read(), 0.2)
        finally:
            writer.close()
            await writer.wait_closed()

    run_with_farm(scenario)


def test_stock_web_ui_needs_digest_auth() -> None:
    async def scenario(farm: FakeMinerFarm) -> None:
        if not farm.web_enabled:
            pytest.skip("port 80 cannot be bound here")
        address = farm.addresses[0]
        async with httpx.AsyncClient() as client:
            anonymous = await client.get(f"http://{address}/cgi-bin/get_miner_conf.cgi")
            assert anonymous.status_code == 401
            assert 'realm="antMiner' in anonymous.headers["www-authenticate"]
            wrong = await client.get(
                f"http://{address}/cgi-bin/get_miner_conf.cgi", auth=httpx.DigestAuth("root", "wrong")
            )
            assert wrong.status_code == 401
            auth = httpx.DigestAuth("root", "root")
            conf = await client.get(f"http://{address}/cgi-bin/get_miner_conf.cgi", auth=auth)
            assert conf.json()["bitmain-work-mode"] == "0"
            done = await client.post(
                f"http://{address}/cgi-bin/set_miner_conf.cgi", auth=auth, json={"miner-mode": 1}
            )
            assert done.json()["code"] == "M000"
            conf = await client.get(f"http://{address}/cgi-bin/get_miner_conf.cgi", auth=auth)
            assert conf.json()["bitmain-work-mode"] == "1"
        assert farm.miner(address).sim.hashrate_th_s == 0

    run_with_farm(scenario, firmware="stock")


def test_taken_address_is_named() -> None:
    async def main() -> None:
        async with FakeMinerFarm(1) as farm:
            with pytest.raises(OSError, match=rf"fake miner {farm.addresses[0]}:4028"):
                async with FakeMinerFarm(1, first_address=farm.addresses[0]):
                    pass

    asyncio.run(main())
