"""Where a running training job stands in its compute / checkpoint-write cycle (pure, vectorised).

A job's run starts at ``t0`` with its restart overhead (loading the last checkpoint), then
cycles: ``compute_s`` of computing, ``write_s`` of a synchronous checkpoint write, and again.
Both the restart and the writes stall the GPUs; :func:`stalled_s` gives how long a run spends
stalled inside a window, which the cluster turns into the power dips mining can fill.
"""

from __future__ import annotations

import math

import numpy as np

from wattswitch.scheduling.views import FloatArray


def _write_time_until(x_s: FloatArray, compute_s: float, write_s: float) -> FloatArray:
    """Seconds spent writing in ``[0, x)`` of a compute-then-write cycle (``x ≥ 0``)."""
    period = compute_s + write_s
    full = np.floor(x_s / period)
    return np.asarray(full * write_s + np.maximum(0.0, x_s - full * period - compute_s), dtype=np.float64)


def stalled_s(
    t0_s: FloatArray,
    restart_s: FloatArray,
    window_start_s: float,
    window_end_s: float,
    *,
    compute_s: float,
    write_s: float,
) -> tuple[FloatArray, FloatArray]:
    """Per run, seconds of ``[window_start, window_end)`` spent restarting and writing checkpoints.

    A run started at ``t0`` restarts during ``[t0, t0 + restart)`` and then writes for
    ``write_s`` after every ``compute_s`` of computing. Only the part of the window after
    ``t0`` counts. ``write_s = 0`` (or ``compute_s = 0``, continuous checkpoints) means no writes.
    """
    t0 = np.asarray(t0_s, dtype=np.float64)
    origin = t0 + np.asarray(restart_s, dtype=np.float64)
    start = np.maximum(window_start_s, t0)
    end = np.full_like(start, window_end_s)
    restarting = np.maximum(0.0, np.minimum(end, origin) - start)
    if write_s <= 0 or compute_s <= 0:
        return restarting, np.zeros_like(restarting)
    a = np.maximum(start - origin, 0.0)
    b = np.maximum(end - origin, 0.0)
    writing = _write_time_until(b, compute_s, write_s) - _write_time_until(a, compute_s, write_s)
    return restarting, np.asarray(np.maximum(writing, 0.0), dtype=np.float64)


def stalled_one_s(
    t0_s: float,
    restart_s: float,
    window_start_s: float,
    window_end_s: float,
    *,
    compute_s: float,
    write_s: float,
) -> tuple[float, float]:
    """:func:`stalled_s` for one run in plain floats (the cluster calls it at every release)."""
    start = max(window_start_s, t0_s)
    if window_end_s <= start:
        return 0.0, 0.0
    origin = t0_s + restart_s
    restarting = max(0.0, min(window_end_s, origin) - start)
    if write_s <= 0 or compute_s <= 0 or window_end_s <= origin:
        return restarting, 0.0
    period = compute_s + write_s

    def written(x_s: float) -> float:
        full = math.floor(x_s / period)
        return full * write_s + max(0.0, x_s - full * period - compute_s)

    writing = written(window_end_s - origin) - written(max(start - origin, 0.0))
    return restarting, max(0.0, writing)
