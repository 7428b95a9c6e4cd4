"""Sending commands to a fleet of miners: per-attempt timeout, retries with exponential back-off,
a concurrency limit and counters. Shared by the real adapter and the in-process fake, so both
report failures, hangs and retries the same way."""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from wattswitch.model.equipment import CommandResult, MinerCommand


@dataclass(frozen=True)
class FleetSettings:
    """How a fleet talks to its miners.

    ``timeout_s`` bounds one attempt (connect, send, reply); a failed or timed-out attempt is
    retried ``retries`` times after ``backoff_s``, ``2 * backoff_s``, ``4 * backoff_s`` …;
    at most ``concurrency`` attempts are in flight at once. Discovery and telemetry reads run at
    most ``discovery_concurrency`` at once: pyasic's identification is CPU-heavy (two HTTP clients
    with TLS contexts per address) and gives up after its own 3 s, so 1,000 at once on a small
    machine identify nothing; a reading parses a large multicommand reply.

    One identification may take ``discovery_timeout_s``; unset, it scales with the miners
    identified alongside it and the machine's load (:meth:`identify_timeout_s`). Miners not
    identified are tried again ``discovery_retries`` times, each pass with half the concurrency
    and twice the timeout of the one before.
    """

    timeout_s: float = 2.0
    retries: int = 2
    backoff_s: float = 0.2
    concurrency: int = 1024
    discovery_concurrency: int = 128
    discovery_timeout_s: float | None = None
    discovery_retries: int = 2

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"FleetSettings.timeout_s must be > 0, got {self.timeout_s}")
        if self.retries < 0:
            raise ValueError(f"FleetSettings.retries must be >= 0, got {self.retries}")
        if self.backoff_s < 0:
            raise ValueError(f"FleetSettings.backoff_s must be >= 0, got {self.backoff_s}")
        if self.concurrency < 1:
            raise ValueError(f"FleetSettings.concurrency must be >= 1, got {self.concurrency}")
        if self.discovery_concurrency < 1:
            raise ValueError(
                f"FleetSettings.discovery_concurrency must be >= 1, got {self.discovery_concurrency}"
            )
        if self.discovery_timeout_s is not None and not self.discovery_timeout_s > 0:
            raise ValueError(f"FleetSettings.discovery_timeout_s must be > 0, got {self.discovery_timeout_s}")
        if self.discovery_retries < 0:
            raise ValueError(f"FleetSettings.discovery_retries must be >= 0, got {self.discovery_retries}")

    def backoff_before_retry_s(self, retry: int) -> float:
        """Pause before retry number ``retry`` (1-based): ``backoff_s * 2**(retry-1)``."""
        return float(self.backoff_s * 2 ** (retry - 1))

    def identify_timeout_s(self, in_flight: int) -> float:
        """The timeout of one identification among ``in_flight`` at once (at most
        ``discovery_concurrency``): ``discovery_timeout_s`` when set, else ``timeout_s`` plus
        :data:`IDENTIFY_CPU_S` per identification in flight, times :func:`machine_load_factor`.
        The identifications share one event loop, so each waits for the CPU the others take."""
        if self.discovery_timeout_s is not None:
            return self.discovery_timeout_s
        in_flight = max(1, min(in_flight, self.discovery_concurrency))
        return self.timeout_s + in_flight * IDENTIFY_CPU_S * machine_load_factor()


# CPU one pyasic identification takes, with room: 3.5-5 ms measured on a 2-core machine (two
# HTTP clients with TLS contexts and two RPC connections per address), x4 for a slower or busy one.
IDENTIFY_CPU_S = 0.02


def machine_load_factor() -> float:
    """How much slower than idle this machine runs now: the 1-minute load average per CPU
    (at least 1, at most 4; 1 where the load average is unknown)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 1.0
    return min(4.0, max(1.0, load / (os.cpu_count() or 1)))


@dataclass(frozen=True)
class FleetCounters:
    """Totals since the fleet was built: attempts on the wire, commands acknowledged or failed
    for good, attempts that were retries, attempts that timed out."""

    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    retried: int = 0
    timed_out: int = 0


class MinerCommandError(Exception):
    """One attempt at one miner failed; the message names the miner and what failed.

    ``retryable`` False stops further attempts (e.g. the miner was never discovered, or its
    firmware cannot do the action)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


T = TypeVar("T")


def raise_fd_limit(needed: int) -> int:
    """Raise the soft open-files limit to at least ``needed`` (up to the hard limit); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return int(soft)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return int(target)


# One attempt at one command: returns a note for the result (None when there is nothing to
# add) or raises (MinerCommandError, or anything else, which is reported with its type).
Attempt = Callable[[MinerCommand], Awaitable[str | None]]


class CommandSender:
    """Runs commands concurrently with timeouts, retries and back-off; keeps the counters."""

    def __init__(self, settings: FleetSettings) -> None:
        self.settings = settings
        self._sent = 0
        self._acknowledged = 0
        self._failed = 0
        self._retried = 0
        self._timed_out = 0

    def counters(self) -> FleetCounters:
        """A snapshot of the counters."""
        return FleetCounters(self._sent, self._acknowledged, self._failed, self._retried, self._timed_out)

    async def send(self, commands: Sequence[MinerCommand], attempt: Attempt) -> list[CommandResult]:
        """One result per command, in order; never raises for a miner's failure."""
        semaphore = asyncio.Semaphore(self.settings.concurrency)
        return list(await asyncio.gather(*(self._one(command, attempt, semaphore) for command in commands)))

    async def _one(
        self, command: MinerCommand, attempt: Attempt, semaphore: asyncio.Semaphore
    ) -> CommandResult:
        settings = self.settings
        start = time.perf_counter()
        error = "not attempted"
        attempts = 0
        while attempts <= settings.retries:
            if attempts > 0:
                self._retried += 1
                await asyncio.sleep(settings.backoff_before_retry_s(attempts))
            attempts += 1
            retryable = True
            async with semaphore:
                self._sent += 1
                try:
                    note = await asyncio.wait_for(attempt(command), settings.timeout_s)
                except TimeoutError:
                    self._timed_out += 1
                    error = (
                        f"miner {command.address}: {command.action} got no reply within "
                        f"{settings.timeout_s:g} s"
                    )
                except MinerCommandError as exc:
                    error = str(exc)
                    retryable = exc.retryable
                except Exception as exc:  # a miner's failure must not escape as an exception
                    error = f"miner {command.address}: {command.action} failed: {type(exc).__name__}: {exc}"
                else:
                    self._acknowledged += 1
                    return CommandResult(command, True, attempts, time.perf_counter() - start, note)
            if not retryable:
                break
        self._failed += 1
        return CommandResult(command, False, attempts, time.perf_counter() - start, error)


async def gather_bounded(
    items: Sequence[str], fetch: Callable[[str], Awaitable[T]], concurrency: int
) -> list[T]:
    """``fetch(item)`` for every item, at most ``concurrency`` at once, results in order."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(item: str) -> T:
        async with semaphore:
            return await fetch(item)

    return list(await asyncio.gather(*(one(item) for item in items)))
