"""Errors every layer may raise; the CLI turns them into one clear line, never a traceback."""

from __future__ import annotations


class WattswitchError(Exception):
    """Base class of every error wattswitch raises on purpose."""


def shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for an error message, cut to ``limit`` characters (a 5-million-digit cell stays short).

    >>> shown("1" * 100, limit=10)
    "'1111111111…' (100 characters)"
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)".replace("'…", "…'", 1)


class InputError(WattswitchError):
    """Bad input: names where it is (file, line, field), what was found and what was expected.

    >>> str(InputError("bad.csv", "missing column 'HB_WEST'", line=1, expected="a hub column"))
    "bad.csv:1: missing column 'HB_WEST'; expected a hub column"
    """

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.source = source
        self.problem = problem
        self.line = line
        self.field = field
        self.expected = expected
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = self.problem if self.field is None else f"{self.field}: {self.problem}"
        tail = "" if self.expected is None else f"; expected {self.expected}"
        return f"{where}: {what}{tail}"


class ModelError(WattswitchError, ValueError):
    """A domain object was built with impossible values (negative power, count of zero, ...)."""


class InformationLeakError(WattswitchError):
    """A policy tried to read data it could not have had at decision time (e.g. the current price)."""


class EquipmentError(WattswitchError):
    """Live equipment or a live feed failed (miner, Slurm, NVML, price source); says which and why."""
