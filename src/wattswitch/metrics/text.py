"""Plain-text formats shared by the CLI and the reports (no markup, no I/O)."""

from __future__ import annotations


def duration_text(seconds: float) -> str:
    """``2 h 15 min``, ``43 d 10 h``, ``15 min``, ``45 s``: the two largest units that are not zero."""
    left = round(seconds)
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if left >= size:
            parts.append(f"{left // size:,} {unit}")
            left %= size
        elif parts:
            break
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 s"
