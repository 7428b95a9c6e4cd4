"""A HiGHS instance that never writes to standard output.

highspy 1.16 prints its two-line banner ("Running HiGHS 1.16.0 …") to file descriptor 1 from C++
on the first ``Highs()`` of a process, before any option can be set, so neither ``output_flag``
nor ``silent()`` stops it, and a Python-level ``redirect_stdout`` cannot see it. That banner broke
every ``--json`` output and the progress bar. The first construction therefore runs with fd 1
pointed at /dev/null (and C's stdio flushed before it is restored); later constructions print
nothing and are left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Iterator

import highspy

_lock = threading.Lock()
_banner_done = False


def _flush_c_stdio() -> None:
    """Push bytes buffered by C's stdio out to the descriptor they were written for."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def _stdout_fd_silenced() -> Iterator[None]:
    """Point fd 1 at /dev/null for the duration (Python's and C's buffers flushed on both sides)."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all (a daemon): nothing to protect
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
        _flush_c_stdio()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def quiet_highs() -> highspy.Highs:
    """A new ``highspy.Highs`` with its log off; its banner, if any, never reaches stdout."""
    global _banner_done  # noqa: PLW0603 - once per process, as the banner
    with _lock:
        if _banner_done:
            solver = highspy.Highs()  # type: ignore[no-untyped-call]
        else:
            with _stdout_fd_silenced():
                solver = highspy.Highs()  # type: ignore[no-untyped-call]
            _banner_done = True
    solver.setOptionValue("output_flag", False)
    return solver
