"""A :class:`FakeMinerFarm` in a child process: the miners get their own CPU, as real ones have.

Used by the demo and the benchmark; driven over a pipe (addresses, fault modes, the meter).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from wattswitch.control.fake_miner import FakeMinerFarm
from wattswitch.control.memory_fleet import FaultMode

START_TIMEOUT_S = 120.0


def _serve(conn: Connection, count: int, model: str, reply_delay_s: float) -> None:
    async def serve() -> None:
        async with FakeMinerFarm(count, model=model, reply_delay_s=reply_delay_s) as farm:
            conn.send(farm.addresses)
            loop = asyncio.get_running_loop()
            while True:
                request: tuple[str, Any] = await loop.run_in_executor(None, conn.recv)
                what, argument = request
                if what == "meter":
                    conn.send(farm.total_power_w())
                elif what == "requests":
                    conn.send(sum(m.requests for m in farm.miners.values()))
                elif what == "mode":
                    address, mode = argument
                    await farm.set_mode(address, mode)
                    conn.send(True)
                else:
                    break
        conn.send("closed")

    asyncio.run(serve())


class FakeMinerFarmProcess:
    """``with FakeMinerFarmProcess(1000) as farm:`` — ``farm.addresses``, ``set_mode``, ``total_power_w``."""

    def __init__(self, count: int, *, model: str = "Antminer S19 XP", reply_delay_s: float = 0.0) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, count, model, reply_delay_s), daemon=True, name="fake-miner-farm"
        )
        self.addresses: list[str] = []

    def _ask(self, what: str, argument: Any = None) -> Any:
        self._conn.send((what, argument))
        return self._conn.recv()

    def set_mode(self, address: str, mode: FaultMode) -> None:
        """Make one miner fail, hang, lie, go down, or behave."""
        self._ask("mode", (address, mode))

    def total_power_w(self) -> float:
        """The meter: watts the whole farm draws now."""
        return float(self._ask("meter"))

    def requests(self) -> int:
        """RPC requests the farm has answered."""
        return int(self._ask("requests"))

    def start(self) -> None:
        """Start the child and wait for its miners to listen."""
        self._process.start()
        if not self._conn.poll(START_TIMEOUT_S):
            self._process.kill()
            raise RuntimeError(f"the fake miner farm did not start within {START_TIMEOUT_S:g} s")
        self.addresses = self._conn.recv()

    def stop(self) -> None:
        """Stop the miners and the child process."""
        if self._process.is_alive():
            self._conn.send(("stop", None))
            self._conn.poll(30)
            self._process.join(30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._conn.close()

    def __enter__(self) -> FakeMinerFarmProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
