"""Self-contained SVG charts (no JavaScript, no external files): line, stacked area, bars,
waterfall, Gantt and tornado. Each function returns one ``<svg>`` element as a string.

Inputs are plain sequences so any report can use them; ``value_format`` turns axis and label
values into text (default: compact numbers such as 1.2k, 3.4M, 5.6B).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#6b7280", "#ec4899", "#14b8a6")
POSITIVE = "#10b981"
NEGATIVE = "#ef4444"
TOTAL = "#2563eb"
HIGHLIGHT = "#ef4444"
MUTED = "#94a3b8"
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11"'

ValueFormat = Callable[[float], str]


def compact(value: float) -> str:
    """1234 → 1.23k, 5.6e6 → 5.6M, 7.8e9 → 7.8B (three significant digits)."""
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def usd(value: float) -> str:
    """Compact dollars: $1.2M, −$350k."""
    return ("−$" if value < 0 else "$") + compact(abs(value))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 × 10^k)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 70
    right: int = 20
    top: int = 34
    bottom: int = 44

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom


class _Scale:
    def __init__(self, low: float, high: float, px_low: float, px_high: float) -> None:
        self.low, self.high = low, (high if high != low else low + 1.0)
        self.px_low, self.px_high = px_low, px_high

    def __call__(self, value: float) -> float:
        return self.px_low + (value - self.low) / (self.high - self.low) * (self.px_high - self.px_low)


def _open(frame: _Frame, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}" role="img" aria-label="{escape(title)}" {_FONT}>',
        f'<rect width="{frame.width}" height="{frame.height}" fill="#ffffff"/>',
        f'<text x="{frame.left}" y="18" font-size="13" font-weight="600">{escape(title)}</text>',
    ]


def _y_axis(frame: _Frame, scale: _Scale, ticks: Sequence[float], fmt: ValueFormat, label: str) -> list[str]:
    out = []
    for tick in ticks:
        y = scale(tick)
        out.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{"#334155" if tick == 0 else "#e2e8f0"}" stroke-width="1"/>')
        out.append(f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(tick))}</text>')
    if label:
        middle = frame.top + frame.plot_height / 2
        out.append(f'<text x="14" y="{middle:.1f}" text-anchor="middle" '
                   f'transform="rotate(-90 14 {middle:.1f})">{escape(label)}</text>')
    return out


def _x_axis_numeric(frame: _Frame, scale: _Scale, ticks: Sequence[float], fmt: ValueFormat,
                    label: str) -> list[str]:
    base = frame.height - frame.bottom
    out = []
    for tick in ticks:
        x = scale(tick)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" stroke="#334155"/>')
        out.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">{escape(fmt(tick))}</text>')
    if label:
        out.append(f'<text x="{frame.left + frame.plot_width / 2:.1f}" y="{frame.height - 6}" '
                   f'text-anchor="middle">{escape(label)}</text>')
    return out


def _legend(frame: _Frame, names: Sequence[str]) -> list[str]:
    out = []
    x: float = frame.width - frame.right
    for i, name in reversed(list(enumerate(names))):
        x -= 22 + 6.5 * len(name)
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x:.1f}" y="9" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 13:.1f}" y="18">{escape(name)}</text>')
    return out


def line_chart(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    value_format: ValueFormat = compact,
    x_format: ValueFormat = compact,
    width: int = 760,
    height: int = 320,
) -> str:
    """One polyline per series over a shared x axis."""
    frame = _Frame(width, height)
    values = [v for s in series.values() for v in s if math.isfinite(v)] or [0.0]
    y_ticks = nice_ticks(min(*values, 0.0), max(*values, 0.0))
    y = _Scale(y_ticks[0], y_ticks[-1], frame.top + frame.plot_height, frame.top)
    x_ticks = nice_ticks(min(x, default=0.0), max(x, default=1.0), 8)
    xs = _Scale(x_ticks[0], x_ticks[-1], frame.left, frame.left + frame.plot_width)
    parts = [*_open(frame, title), *_y_axis(frame, y, y_ticks, value_format, y_label),
             *_x_axis_numeric(frame, xs, x_ticks, x_format, x_label)]
    for i, (_name, points) in enumerate(series.items()):
        pairs = [(a, b) for a, b in zip(x, points, strict=True) if math.isfinite(b)]
        coords = " ".join(f"{xs(a):.1f},{y(b):.1f}" for a, b in pairs)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{PALETTE[i % len(PALETTE)]}" '
                     'stroke-width="2"/>')
    parts += _legend(frame, list(series))
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_area(
    x: Sequence[float],
    layers: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    value_format: ValueFormat = compact,
    x_format: ValueFormat = compact,
    width: int = 760,
    height: int = 320,
) -> str:
    """Layers stacked bottom-up (negative values are drawn as zero)."""
    frame = _Frame(width, height)
    n = len(x)
    tops = [0.0] * n
    bands: list[tuple[list[float], list[float]]] = []
    for values in layers.values():
        bottom = list(tops)
        tops = [b + max(v, 0.0) for b, v in zip(bottom, values, strict=True)]
        bands.append((bottom, list(tops)))
    y_ticks = nice_ticks(0.0, max(tops, default=1.0) or 1.0)
    y = _Scale(y_ticks[0], y_ticks[-1], frame.top + frame.plot_height, frame.top)
    x_ticks = nice_ticks(min(x, default=0.0), max(x, default=1.0), 8)
    xs = _Scale(x_ticks[0], x_ticks[-1], frame.left, frame.left + frame.plot_width)
    parts = [*_open(frame, title), *_y_axis(frame, y, y_ticks, value_format, y_label),
             *_x_axis_numeric(frame, xs, x_ticks, x_format, x_label)]
    for i, (bottom, top) in enumerate(bands):
        upper = [f"{xs(a):.1f},{y(b):.1f}" for a, b in zip(x, top, strict=True)]
        lower = [f"{xs(a):.1f},{y(b):.1f}" for a, b in reversed(list(zip(x, bottom, strict=True)))]
        parts.append(f'<polygon points="{" ".join(upper + lower)}" fill="{PALETTE[i % len(PALETTE)]}" '
                     'fill-opacity="0.75"/>')
    parts += _legend(frame, list(layers))
    parts.append("</svg>")
    return "\n".join(parts)


def _category_axis(frame: _Frame, labels: Sequence[str], slot: float) -> list[str]:
    base = frame.height - frame.bottom
    return [
        f'<text x="{frame.left + slot * (i + 0.5):.1f}" y="{base + 16}" text-anchor="middle">'
        f"{escape(label)}</text>"
        for i, label in enumerate(labels)
    ]


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    y_label: str = "",
    value_format: ValueFormat = compact,
    width: int = 760,
    height: int = 320,
) -> str:
    """Vertical bars from zero (negative values hang below the axis)."""
    frame = _Frame(width, height)
    y_ticks = nice_ticks(min(min(values, default=0.0), 0.0), max(max(values, default=0.0), 0.0))
    y = _Scale(y_ticks[0], y_ticks[-1], frame.top + frame.plot_height, frame.top)
    slot = frame.plot_width / max(len(values), 1)
    parts = [*_open(frame, title), *_y_axis(frame, y, y_ticks, value_format, y_label)]
    for i, value in enumerate(values):
        top, bottom = sorted((y(value), y(0.0)))
        color = POSITIVE if value >= 0 else NEGATIVE
        parts.append(f'<rect x="{frame.left + slot * (i + 0.15):.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{max(bottom - top, 0.5):.1f}" fill="{color}"/>')
        parts.append(f'<text x="{frame.left + slot * (i + 0.5):.1f}" y="{top - 4:.1f}" text-anchor="middle">'
                     f'{escape(value_format(value))}</text>')
    parts += _category_axis(frame, labels, slot)
    parts.append("</svg>")
    return "\n".join(parts)


def waterfall(
    steps: Sequence[tuple[str, float]],
    *,
    total_label: str = "Total",
    title: str = "",
    y_label: str = "",
    value_format: ValueFormat = compact,
    width: int = 760,
    height: int = 340,
) -> str:
    """Floating bars: each step moves the running total; a final bar shows the total."""
    running = 0.0
    spans: list[tuple[str, float, float, str]] = []
    for label, delta in steps:
        spans.append((label, running, running + delta, POSITIVE if delta >= 0 else NEGATIVE))
        running += delta
    spans.append((total_label, 0.0, running, TOTAL))
    frame = _Frame(width, height)
    edges = [v for _, a, b, _ in spans for v in (a, b)]
    y_ticks = nice_ticks(min(*edges, 0.0), max(*edges, 0.0))
    y = _Scale(y_ticks[0], y_ticks[-1], frame.top + frame.plot_height, frame.top)
    slot = frame.plot_width / len(spans)
    parts = [*_open(frame, title), *_y_axis(frame, y, y_ticks, value_format, y_label)]
    for i, (label, start, end, color) in enumerate(spans):
        top, bottom = sorted((y(start), y(end)))
        x = frame.left + slot * (i + 0.15)
        parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{max(bottom - top, 0.5):.1f}" fill="{color}"><title>{escape(label)}: '
                     f'{escape(value_format(end - start))}</title></rect>')
        parts.append(f'<text x="{frame.left + slot * (i + 0.5):.1f}" y="{top - 4:.1f}" text-anchor="middle">'
                     f'{escape(value_format(end - start))}</text>')
        if i < len(spans) - 1:
            level = y(end)
            parts.append(f'<line x1="{x + slot * 0.7:.1f}" x2="{x + slot:.1f}" y1="{level:.1f}" '
                         f'y2="{level:.1f}" stroke="{MUTED}" stroke-dasharray="3 2"/>')
    parts += _category_axis(frame, [s[0] for s in spans], slot)
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class GanttBar:
    """A task from ``start`` to ``end`` (same unit as the axis); ``highlight`` marks it (e.g. critical)."""

    label: str
    start: float
    end: float
    highlight: bool = False


def gantt(
    bars: Sequence[GanttBar],
    *,
    title: str = "",
    x_label: str = "months",
    highlight_label: str = "critical path",
    width: int = 760,
    row_height: int = 24,
) -> str:
    """One horizontal bar per task on a time axis; highlighted bars in red."""
    label_width = max((len(b.label) for b in bars), default=10) * 6 + 16
    height = 34 + 44 + row_height * max(len(bars), 1)
    frame = _Frame(width, height, left=min(label_width, width // 2))
    end = max((b.end for b in bars), default=1.0)
    x_ticks = nice_ticks(0.0, end, 10)
    xs = _Scale(0.0, x_ticks[-1], frame.left, frame.left + frame.plot_width)
    parts = [*_open(frame, title), *_x_axis_numeric(frame, xs, x_ticks, lambda v: f"{v:g}", x_label)]
    for tick in x_ticks:
        parts.append(f'<line x1="{xs(tick):.1f}" x2="{xs(tick):.1f}" y1="{frame.top}" '
                     f'y2="{frame.height - frame.bottom}" stroke="#e2e8f0"/>')
    for i, bar in enumerate(bars):
        top = frame.top + i * row_height + 4
        color = HIGHLIGHT if bar.highlight else TOTAL
        parts.append(f'<text x="{frame.left - 6}" y="{top + row_height / 2 + 1:.1f}" text-anchor="end">'
                     f'{escape(bar.label)}</text>')
        bar_width = max(xs(bar.end) - xs(bar.start), 1)
        parts.append(f'<rect x="{xs(bar.start):.1f}" y="{top:.1f}" width="{bar_width:.1f}" '
                     f'height="{row_height - 8}" fill="{color}" rx="2"><title>{escape(bar.label)}: '
                     f"{bar.start:g}–{bar.end:g}</title></rect>")
    parts.append(f'<rect x="{width - 150}" y="9" width="10" height="10" fill="{HIGHLIGHT}"/>'
                 f'<text x="{width - 137}" y="18">{escape(highlight_label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class TornadoBar:
    """The output with one variable at its low and its high setting."""

    label: str
    low_label: str
    high_label: str
    low_value: float
    high_value: float


def tornado(
    rows: Sequence[TornadoBar],
    *,
    base: float,
    title: str = "",
    x_label: str = "",
    value_format: ValueFormat = compact,
    width: int = 760,
    row_height: int = 30,
) -> str:
    """Horizontal bars from the base value to each case's value (green above base, red below)."""
    label_width = max((len(r.label) for r in rows), default=10) * 7 + 16
    height = 34 + 44 + row_height * max(len(rows), 1)
    frame = _Frame(width, height, left=label_width, right=20)
    values = [base] + [v for r in rows for v in (r.low_value, r.high_value)]
    x_ticks = nice_ticks(min(values), max(values), 6)
    pad = max((len(c) for r in rows for c in (r.low_label, r.high_label)), default=0) * 5.5 + 8
    pad = min(pad, frame.plot_width / 4)  # room for the case labels beside the bars
    xs = _Scale(x_ticks[0], x_ticks[-1], frame.left + pad, frame.left + frame.plot_width - pad)
    parts = [*_open(frame, title), *_x_axis_numeric(frame, xs, x_ticks, value_format, x_label)]
    for i, row in enumerate(rows):
        top = frame.top + i * row_height + 5
        parts.append(f'<text x="{frame.left - 6}" y="{top + row_height / 2:.1f}" text-anchor="end">'
                     f'{escape(row.label)}</text>')
        half = (row_height - 8) / 2
        cases = ((row.low_value, row.low_label), (row.high_value, row.high_label))
        for j, (value, case) in enumerate(cases):  # low case on the upper half, high on the lower
            left, right = sorted((xs(base), xs(value)))
            color = POSITIVE if value >= base else NEGATIVE
            y_bar = top + j * half
            parts.append(f'<rect x="{left:.1f}" y="{y_bar:.1f}" width="{max(right - left, 1):.1f}" '
                         f'height="{half - 1:.1f}" fill="{color}" fill-opacity="{0.55 if j == 0 else 0.9}">'
                         f'<title>{escape(case)}: {escape(value_format(value))}</title></rect>')
            anchor, x = ("start", right + 4) if value >= base else ("end", left - 4)
            parts.append(f'<text x="{x:.1f}" y="{y_bar + half - 3:.1f}" text-anchor="{anchor}" '
                         f'font-size="9">{escape(case)}</text>')
    base_x = xs(base)
    parts.append(f'<line x1="{base_x:.1f}" x2="{base_x:.1f}" y1="{frame.top}" '
                 f'y2="{frame.height - frame.bottom}" stroke="#334155" stroke-width="1.5"/>')
    parts.append(f'<text x="{base_x:.1f}" y="{frame.top - 4}" text-anchor="middle">base '
                 f'{escape(value_format(base))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _legend_rows(names: Sequence[str], colors: Sequence[str], left: float, width: float,
                 top: float) -> tuple[list[str], float]:
    """Legend swatches wrapped into rows starting at ``top``; returns the parts and the height used."""
    out: list[str] = []
    x, y = left, top
    for name, color in zip(names, colors, strict=True):
        item_width = 22 + 6.5 * len(name)
        if x + item_width > left + width and x > left:
            x, y = left, y + 16
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 13:.1f}" y="{y + 9:.1f}">{escape(name)}</text>')
        x += item_width
    return out, (y - top + 16 if names else 0.0)


def _thin(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points rounded to 0.1 px, dropping those inside a flat run (the drawn shape is unchanged)."""
    rounded = [(round(px, 1), round(py, 1)) for px, py in points]
    return [
        p for i, p in enumerate(rounded)
        if i in (0, len(rounded) - 1) or not (rounded[i - 1][1] == p[1] == rounded[i + 1][1])
    ]


def _coords(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{px:g},{py:g}" for px, py in points)


def _colors(names: Sequence[str], colors: Sequence[str] | None) -> list[str]:
    if colors is not None and len(colors) >= len(names):
        return list(colors[: len(names)])
    return [PALETTE[i % len(PALETTE)] for i in range(len(names))]


def area_with_line(
    x: Sequence[float],
    layers: Mapping[str, Sequence[float]],
    line: Sequence[float],
    *,
    line_name: str,
    reference: Sequence[float] | None = None,
    reference_name: str = "",
    colors: Sequence[str] | None = None,
    line_color: str = "#0f172a",
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    line_label: str = "",
    value_format: ValueFormat = compact,
    line_format: ValueFormat = compact,
    x_format: ValueFormat = compact,
    width: int = 900,
    height: int = 380,
    y_floor: float = 0.0,
) -> str:
    """Stacked layers on the left axis, one line on its own right axis, and an optional dashed
    reference (a limit) on the left axis; the legend wraps into rows under the title.

    ``y_floor`` above zero zooms the left axis on the top of the stack: what lies below it is cut."""
    names = [*layers, line_name, *([reference_name] if reference is not None else [])]
    swatches = [*_colors(list(layers), colors), line_color, *([HIGHLIGHT] if reference is not None else [])]
    legend, legend_height = _legend_rows(names, swatches, 70, width - 150, 26)
    frame = _Frame(width, height, right=70, top=int(34 + legend_height))
    tops = [0.0] * len(x)
    bands: list[tuple[list[float], list[float]]] = []
    for values in layers.values():
        bottom = tops
        tops = [b + max(v, 0.0) if math.isfinite(v) else b for b, v in zip(bottom, values, strict=True)]
        bands.append((bottom, tops))
    reference_values = [v for v in (reference or []) if math.isfinite(v)]
    high = max([*tops, *reference_values], default=1.0) or 1.0
    y_ticks = nice_ticks(y_floor, max(high, y_floor + 1.0) if y_floor > 0 else high)
    y_ticks = [t for t in y_ticks if t >= y_floor] if y_floor > 0 else y_ticks
    low = y_ticks[0]
    y = _Scale(y_ticks[0], y_ticks[-1], frame.top + frame.plot_height, frame.top)
    finite = [v for v in line if math.isfinite(v)] or [0.0]
    line_ticks = nice_ticks(min([*finite, 0.0]), max([*finite, 0.0]))
    y2 = _Scale(line_ticks[0], line_ticks[-1], frame.top + frame.plot_height, frame.top)
    x_ticks = nice_ticks(min(x, default=0.0), max(x, default=1.0), 8)
    xs = _Scale(x_ticks[0], x_ticks[-1], frame.left, frame.left + frame.plot_width)
    parts = [*_open(frame, title), *legend, *_y_axis(frame, y, y_ticks, value_format, y_label),
             *_x_axis_numeric(frame, xs, x_ticks, x_format, x_label)]
    right = frame.width - frame.right
    for tick in line_ticks:
        parts.append(f'<text x="{right + 6}" y="{y2(tick) + 4:.1f}" text-anchor="start">'
                     f"{escape(line_format(tick))}</text>")
    if line_label:
        middle = frame.top + frame.plot_height / 2
        parts.append(f'<text x="{width - 10}" y="{middle:.1f}" text-anchor="middle" '
                     f'transform="rotate(90 {width - 10} {middle:.1f})">{escape(line_label)}</text>')
    base = y(low)
    # Painter's order: each layer's cumulative top down to the axis, the highest first, so every
    # boundary is drawn once; flat runs are thinned (a week at 5-min steps stays small).
    for (_bottom, top), color in reversed(list(zip(bands, swatches, strict=False))):
        points = _thin([(xs(a), y(max(b, low))) for a, b in zip(x, top, strict=True)])
        if not points:
            continue
        outline = [(points[0][0], base), *points, (points[-1][0], base)]
        parts.append(f'<polygon points="{_coords(outline)}" fill="{color}"/>')
    if reference is not None:
        limit = _thin([(xs(a), y(max(b, low))) for a, b in zip(x, reference, strict=True)
                       if math.isfinite(b)])
        parts.append(f'<polyline points="{_coords(limit)}" fill="none" stroke="{HIGHLIGHT}" '
                     'stroke-width="1.5" stroke-dasharray="6 3"/>')
    coords = _coords(_thin([(xs(a), y2(b)) for a, b in zip(x, line, strict=True) if math.isfinite(b)]))
    parts.append(f'<polyline points="{coords}" fill="none" stroke="{line_color}" stroke-width="1.2"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_bars(
    labels: Sequence[str],
    layers: Mapping[str, Sequence[float]],
    *,
    colors: Sequence[str] | None = None,
    title: str = "",
    y_label: str = "",
    value_format: ValueFormat = compact,
    width: int = 900,
    height: int = 340,
) -> str:
    """One bar per label made of the layers' values stacked (positives up, negatives down from zero);
    each bar is topped by its net total."""
    names = list(layers)
    swatches = _colors(names, colors)
    legend, legend_height = _legend_rows(names, swatches, 70, width - 90, 26)
    frame = _Frame(width, height, top=int(34 + legend_height + 8))
    count = len(labels)
    ups = [sum(max(v[i], 0.0) for v in layers.values()) for i in range(count)]
    downs = [sum(min(v[i], 0.0) for v in layers.values()) for i in range(count)]
    y_ticks = nice_ticks(min([*downs, 0.0]), max([*ups, 0.0]))
    y = _Scale(y_ticks[0], y_ticks[-1], frame.top + frame.plot_height, frame.top)
    slot = frame.plot_width / max(count, 1)
    parts = [*_open(frame, title), *legend, *_y_axis(frame, y, y_ticks, value_format, y_label)]
    for i in range(count):
        up, down = 0.0, 0.0
        for name, color in zip(names, swatches, strict=True):
            value = float(layers[name][i])
            if not math.isfinite(value) or value == 0:
                continue
            start = up if value > 0 else down
            end = start + value
            if value > 0:
                up = end
            else:
                down = end
            top, bottom = sorted((y(start), y(end)))
            parts.append(f'<rect x="{frame.left + slot * (i + 0.15):.1f}" y="{top:.1f}" '
                         f'width="{slot * 0.7:.1f}" height="{max(bottom - top, 0.3):.1f}" fill="{color}">'
                         f"<title>{escape(labels[i])} {escape(name)}: {escape(value_format(value))}</title>"
                         "</rect>")
        parts.append(f'<text x="{frame.left + slot * (i + 0.5):.1f}" y="{y(up) - 4:.1f}" '
                     f'text-anchor="middle" font-size="10">{escape(value_format(up + down))}</text>')
    parts += _category_axis(frame, labels, slot)
    parts.append("</svg>")
    return "\n".join(parts)
