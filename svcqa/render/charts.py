"""Inline SVG charts for the branch report: plain SVG with axes, ticks, labels and a title.

No JavaScript and no fonts of their own: text inherits the page's CJK font stack. Every text
node and attribute value that could come from input data goes through ``escape``; only the
finished SVG (our own markup around escaped text) is returned as ``Markup``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = 12
COLOURS = {
    "bar": "#C0504D",
    "bar_track": "#EEF1F5",
    "axis": "#444",
    "grid": "#D9DEE5",
    "total": "#1F4E79",
    "rank": "#E07B00",
    "text": "#222",
    "muted": "#666",
}


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] with steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _num(value: float) -> str:
    """Coordinates with one decimal: short SVG, stable bytes."""
    return f"{value:.1f}"


def _text(
    x: float,
    y: float,
    content: object,
    *,
    anchor: str = "start",
    size: int = FONT,
    fill: str = COLOURS["text"],
    weight: str = "normal",
    extra: str = "",
) -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}" font-weight="{weight}"{extra}>{escape(str(content))}</text>'
    )


def _open(width: float, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" font-family="inherit">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
        _text(width / 2, 18, title, anchor="middle", size=14, weight="bold"),
    ]


@dataclass(frozen=True)
class Bar:
    """One bar: a label, the value drawn (lost points) and the scale it is out of (max points)."""

    label: str
    value: float
    of: float


def lost_points_chart(
    bars: Sequence[Bar], *, title: str, axis_label: str, empty_text: str, width: int = 520
) -> Markup:
    """Horizontal bars of lost points per KPI, each on a light track showing the KPI's maximum."""
    row, top, bottom = 24, 34, 40
    label_width = min(
        220, max(90, int(max((_label_width(b.label) for b in bars), default=90)) + 12)
    )
    left, right = label_width, 56
    height = top + row * max(len(bars), 1) + bottom
    plot_w = width - left - right
    scale_max = max([b.of for b in bars] + [b.value for b in bars] + [1.0])
    ticks = nice_ticks(0, scale_max, 5)
    x_max = ticks[-1]
    x = lambda v: left + plot_w * (v / x_max)
    desc = "; ".join(f"{b.label}: {b.value:.2f}/{b.of:g}" for b in bars) or empty_text
    parts = _open(width, height, title, desc)
    plot_bottom = top + row * max(len(bars), 1)
    for tick in ticks:
        parts.append(
            f'<line x1="{_num(x(tick))}" y1="{top}" x2="{_num(x(tick))}" y2="{plot_bottom}" stroke="{COLOURS["grid"]}" stroke-width="1"/>'
        )
        parts.append(
            _text(
                x(tick),
                plot_bottom + 15,
                _fmt(tick),
                anchor="middle",
                size=11,
                fill=COLOURS["muted"],
            )
        )
    parts.append(
        f'<line x1="{left}" y1="{plot_bottom}" x2="{_num(left + plot_w)}" y2="{plot_bottom}" stroke="{COLOURS["axis"]}" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{plot_bottom}" stroke="{COLOURS["axis"]}" stroke-width="1"/>'
    )
    parts.append(
        _text(
            left + plot_w / 2,
            height - 6,
            axis_label,
            anchor="middle",
            size=11,
            fill=COLOURS["muted"],
        )
    )
    if not bars:
        parts.append(
            _text(
                left + plot_w / 2,
                top + row / 2 + 4,
                empty_text,
                anchor="middle",
                fill=COLOURS["muted"],
            )
        )
    parts += _bar_rows(bars, left=left, top=top, row=row, label_width=label_width, x=x)
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(
    months: Sequence[str],
    totals: Sequence[float | None],
    ranks: Sequence[int | None],
    *,
    title: str,
    total_label: str,
    rank_label: str,
    total_max: float,
    rank_count: int,
    empty_text: str,
    width: int = 520,
    height: int = 280,
) -> Markup:
    """Total as a line on the left axis and rank on the right axis, inverted so rank 1 is on top."""
    left, right, top, bottom = 48, 52, 40, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    plot_bottom = top + plot_h
    n = len(months)
    desc = (
        "; ".join(
            f"{m}: {total_label} {'-' if t is None else f'{t:.2f}'}, {rank_label} {'-' if r is None else r}"
            for m, t, r in zip(months, totals, ranks)
        )
        or empty_text
    )
    parts = _open(width, height, title, desc)
    total_ticks = nice_ticks(
        0, max(total_max, max((t for t in totals if t is not None), default=0)), 5
    )
    t_max = total_ticks[-1]
    rank_count = max(rank_count, max((r for r in ranks if r is not None), default=1), 1)
    rank_ticks = _rank_ticks(rank_count)
    x = lambda i: left + (plot_w / 2 if n <= 1 else plot_w * i / (n - 1))
    y_total = lambda v: plot_bottom - plot_h * (v / t_max)
    # Rank 1 at the top, rank N at the bottom (a single ranked branch sits on top).
    y_rank = lambda r: top + (0 if rank_count <= 1 else plot_h * (r - 1) / (rank_count - 1))
    for tick in total_ticks:
        y = y_total(tick)
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" y2="{_num(y)}" stroke="{COLOURS["grid"]}" stroke-width="1"/>'
        )
        parts.append(
            _text(left - 6, y + 4, _fmt(tick), anchor="end", size=11, fill=COLOURS["total"])
        )
    for tick in rank_ticks:
        parts.append(
            _text(left + plot_w + 6, y_rank(tick) + 4, str(tick), size=11, fill=COLOURS["rank"])
        )
    axis = COLOURS["axis"]
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{plot_bottom}" stroke="{axis}"/>')
    parts.append(
        f'<line x1="{left + plot_w}" y1="{top}" x2="{left + plot_w}" y2="{plot_bottom}" stroke="{axis}"/>'
    )
    parts.append(
        f'<line x1="{left}" y1="{plot_bottom}" x2="{left + plot_w}" y2="{plot_bottom}" stroke="{axis}"/>'
    )
    parts += _axis_titles(width, top + plot_h / 2, total_label, rank_label)
    for i, month in enumerate(months):
        parts.append(
            f'<line x1="{_num(x(i))}" y1="{plot_bottom}" x2="{_num(x(i))}" y2="{plot_bottom + 4}" stroke="{axis}"/>'
        )
        parts.append(
            _text(x(i), plot_bottom + 17, month, anchor="middle", size=11, fill=COLOURS["muted"])
        )
    if not n:
        parts.append(
            _text(
                left + plot_w / 2,
                top + plot_h / 2,
                empty_text,
                anchor="middle",
                fill=COLOURS["muted"],
            )
        )
    parts += _trend_series(totals, ranks, rank_count, x=x, y_total=y_total, y_rank=y_rank)
    parts += _trend_legend(left, total_label, rank_label)
    parts.append("</svg>")
    return Markup("".join(parts))


def _rank_ticks(count: int) -> list[int]:
    """1 at the top, ``count`` at the bottom, round steps between, no two ticks crowding."""
    if count <= 10:
        return list(range(1, count + 1))
    step = max(int(round(nice_ticks(1, count, 5)[1] - nice_ticks(1, count, 5)[0])), 1)
    ticks = [1] + [
        k * step
        for k in range(1, count // step + 1)
        if k * step - 1 > step / 2 and k * step < count
    ]
    if count - ticks[-1] <= step / 2:
        ticks[-1] = count
    else:
        ticks.append(count)
    return ticks


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_num(px)},{_num(py)}" for px, py in points)


def _label_width(label: str) -> float:
    """Approximate rendered width at 12px: CJK glyphs are square, Latin about half as wide."""
    return sum(FONT if ord(ch) > 0x2E80 else FONT * 0.58 for ch in label)


def _clip(label: str, max_width: float) -> str:
    if _label_width(label) <= max_width:
        return label
    out = ""
    for ch in label:
        if _label_width(out + ch + "…") > max_width:
            break
        out += ch
    return out + "…"


def _bar_rows(
    bars: Sequence[Bar],
    *,
    left: float,
    top: float,
    row: float,
    label_width: float,
    x: Callable[[float], float],
) -> list[str]:
    """Each bar's label, its track (the KPI's maximum), the lost points bar and its value."""
    out: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * row
        out.append(
            _text(
                left - 6,
                y + row / 2 + 4,
                _clip(bar.label, label_width - 12),
                anchor="end",
                size=FONT,
            )
        )
        out.append(
            f'<rect x="{left}" y="{_num(y + 5)}" width="{_num(x(bar.of) - left)}" height="{row - 10}" fill="{COLOURS["bar_track"]}"/>'
        )
        if bar.value > 0:
            out.append(
                f'<rect class="bar" x="{left}" y="{_num(y + 5)}" width="{_num(max(x(bar.value) - left, 1.5))}" height="{row - 10}" fill="{COLOURS["bar"]}"/>'
            )
        out.append(
            _text(
                x(max(bar.value, 0)) + 4,
                y + row / 2 + 4,
                f"{bar.value:.2f}",
                size=11,
                fill=COLOURS["muted"],
            )
        )
    return out


def _trend_series(
    totals: Sequence[float | None],
    ranks: Sequence[int | None],
    rank_count: int,
    *,
    x: Callable[[int], float],
    y_total: Callable[[float], float],
    y_rank: Callable[[int], float],
) -> list[str]:
    """The total line with its labelled points and the dashed rank line with its markers."""
    parts: list[str] = []
    total_points = [(x(i), y_total(t)) for i, t in enumerate(totals) if t is not None]
    rank_points = [(x(i), y_rank(r)) for i, r in enumerate(ranks) if r is not None]
    if len(total_points) > 1:
        parts.append(
            f'<polyline class="series-total" fill="none" stroke="{COLOURS["total"]}" stroke-width="2.5" points="{_points(total_points)}"/>'
        )
    if len(rank_points) > 1:
        parts.append(
            f'<polyline class="series-rank" fill="none" stroke="{COLOURS["rank"]}" stroke-width="2" stroke-dasharray="6 4" points="{_points(rank_points)}"/>'
        )
    for i, t in enumerate(totals):
        if t is not None:
            parts.append(
                f'<circle cx="{_num(x(i))}" cy="{_num(y_total(t))}" r="3.5" fill="{COLOURS["total"]}"/>'
            )
            parts.append(
                _text(
                    x(i),
                    y_total(t) - 8,
                    f"{t:.1f}",
                    anchor="middle",
                    size=11,
                    fill=COLOURS["total"],
                )
            )
    for i, r in enumerate(ranks):
        if r is not None:
            parts.append(
                f'<rect x="{_num(x(i) - 3.5)}" y="{_num(y_rank(r) - 3.5)}" width="7" height="7" fill="{COLOURS["rank"]}"/>'
            )
            # Label below the marker in the upper half, above it in the lower half (clear of the x axis).
            dy = 15 if r <= (rank_count + 1) / 2 else -7
            parts.append(_text(x(i) + 6, y_rank(r) + dy, f"#{r}", size=11, fill=COLOURS["rank"]))
    return parts


def _trend_legend(left: float, total_label: str, rank_label: str) -> list[str]:
    """Legend, top-left inside the title band."""
    parts: list[str] = []
    ly = 30
    parts.append(
        f'<line x1="{left}" y1="{ly}" x2="{left + 18}" y2="{ly}" stroke="{COLOURS["total"]}" stroke-width="2.5"/>'
    )
    parts.append(_text(left + 22, ly + 4, total_label, size=11))
    lx = left + 40 + _label_width(total_label)
    parts.append(
        f'<line x1="{_num(lx)}" y1="{ly}" x2="{_num(lx + 18)}" y2="{ly}" stroke="{COLOURS["rank"]}" stroke-width="2" stroke-dasharray="6 4"/>'
    )
    parts.append(_text(lx + 22, ly + 4, rank_label, size=11))
    return parts


def _axis_titles(width: float, middle: float, total_label: str, rank_label: str) -> list[str]:
    """The total's title up the left axis and the rank's title down the right one."""
    parts: list[str] = []
    parts.append(
        _text(
            14,
            middle,
            total_label,
            anchor="middle",
            size=11,
            fill=COLOURS["total"],
            extra=f' transform="rotate(-90 14 {_num(middle)})"',
        )
    )
    rx = width - 12
    parts.append(
        _text(
            rx,
            middle,
            rank_label,
            anchor="middle",
            size=11,
            fill=COLOURS["rank"],
            extra=f' transform="rotate(90 {_num(rx)} {_num(middle)})"',
        )
    )
    return parts
