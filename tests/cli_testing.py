"""Run the installed ``wattswitch`` executable as a user does: a real subprocess, stdout and stderr apart.

CliRunner cannot see what C code writes to file descriptor 1 (a solver's banner, say); a
subprocess can. The executable is the one beside this interpreter, so ``make test`` exercises the
project's own virtualenv whatever else is on PATH.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

WATTSWITCH = Path(sys.executable).parent / "wattswitch"


def run_cli(
    *args: str, timeout_s: float = 300, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``wattswitch ARGS`` (the console script, or ``python -m wattswitch`` without one)."""
    command = [str(WATTSWITCH)] if WATTSWITCH.exists() else [sys.executable, "-m", "wattswitch"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def json_stdout(done: subprocess.CompletedProcess[str]) -> Any:
    """The command's stdout parsed as one JSON document (exit code 0 asserted first)."""
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    try:
        return json.loads(done.stdout, parse_constant=_refuse_non_finite)
    except ValueError as err:
        raise AssertionError(f"stdout is not one JSON document ({err}): {done.stdout[:400]!r}") from err


def _refuse_non_finite(token: str) -> Any:
    raise ValueError(f"non-finite number {token} in JSON output")
