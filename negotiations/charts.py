"""Server-rendered step charts (SVG coordinates) for timelines: no JavaScript, no CDN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from negotiations.models import SCALE_MAX, SCALE_MIN
from negotiations.selectors import Point, Series

LEFT, RIGHT, TOP, BOTTOM = 180, 20, 14, 28


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    point: Point
    href: str


@dataclass
class Line:
    series: Series
    path: str
    high_path: str = ""  # drawn dashed where statements of a day disagree (a range)
    markers: list[Marker] = field(default_factory=list)


@dataclass
class StepChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    y_ticks: list[tuple[float, int, str]]  # y, value, label
    x_ticks: list[tuple[float, str]]
    lines: list[Line]
    markers_hidden: bool  # too many statements in the period to mark each day


@dataclass
class GapChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    path: str
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str]]
    latest: float | None


def _x_scale(since: date, until: date, width: int) -> Callable[[date], float]:
    # Ordinals, not date arithmetic: thousands of points per chart.
    first, last = since.toordinal(), until.toordinal()
    scale = (width - LEFT - RIGHT) / max(last - first, 1)

    def x(day: date) -> float:
        return round(LEFT + (min(max(day.toordinal(), first), last) - first) * scale, 1)

    return x


def _x_ticks(since: date, until: date, x: Callable[[date], float]) -> list[tuple[float, str]]:
    span = (until - since).days
    step = 1 if span <= 200 else 3 if span <= 1100 else 12
    ticks = []
    month = date(since.year, since.month, 1)
    while month <= until:
        if month >= since and (month.month - 1) % step == 0:
            ticks.append((x(month), month.strftime("%b %Y" if step < 12 else "%Y")))
        month = (month + timedelta(days=32)).replace(day=1)
    return ticks


def _step_path(points: list[tuple[float, float]], end_x: float) -> str:
    x0, y0 = points[0]
    return f"M{x0},{y0}" + "".join([f"H{x}V{y}" for x, y in points[1:]]) + f"H{end_x}"


def step_chart(
    *,
    series: list[Series],
    since: date,
    until: date,
    labels: dict[int, str],
    href: Callable[[Series, Point], str],
    width: int = 960,
    band: int = 56,
    marker_limit: int = 1500,
) -> StepChart:
    """One step line per series on the -2..+2 scale, a band per stop; lines of parties that
    share a stance are spread a little so each stays visible."""
    stops = SCALE_MAX - SCALE_MIN
    height = TOP + BOTTOM + band * stops
    x = _x_scale(since, until, width)
    spread = min(4.0, band / 3 / max(len(series), 1))

    centre = (len(series) - 1) / 2

    def y(value: int, index: float) -> float:
        return round(TOP + (SCALE_MAX - value) * band + (index - centre) * spread, 1)

    markers_hidden = sum(len(s.points) for s in series) > marker_limit
    lines = []
    for index, s in enumerate(series):
        lows = [(x(p.day), y(p.low, index)) for p in s.points]
        line = Line(series=s, path=_step_path(lows, x(until)))
        if any(p.low != p.high for p in s.points):
            line.high_path = _step_path([(x(p.day), y(p.high, index)) for p in s.points], x(until))
        if not markers_hidden:
            line.markers = [
                Marker(x=x(p.day), y=y(p.low, index), point=p, href=href(s, p)) for p in s.points
            ]
        lines.append(line)
    y_ticks = [
        (y(value, (len(series) - 1) / 2), value, labels.get(value, ""))
        for value in range(SCALE_MAX, SCALE_MIN - 1, -1)
    ]
    return StepChart(
        width=width,
        height=height,
        plot_left=LEFT,
        plot_right=width - RIGHT,
        y_ticks=y_ticks,
        x_ticks=_x_ticks(since, until, x),
        lines=lines,
        markers_hidden=markers_hidden,
    )


def _value_on(points: list[Point], day: date) -> float | None:
    held = None
    for p in points:
        if p.day > day:
            break
        held = (p.low + p.high) / 2
    return held


def gap_chart(
    *, low_pole: Series, high_pole: Series, since: date, until: date, width: int = 960
) -> GapChart:
    """The distance in stops between the two poles' positions over time (midpoints of ranges)."""
    band, height = 22, TOP + BOTTOM + 22 * 4
    x = _x_scale(since, until, width)
    days = sorted({p.day for p in low_pole.points} | {p.day for p in high_pole.points})
    points = []
    for day in days:
        low, high = _value_on(low_pole.points, day), _value_on(high_pole.points, day)
        if low is not None and high is not None:
            points.append((x(day), round(TOP + (4 - max(0.0, min(4.0, high - low))) * band, 1)))
    low, high = _value_on(low_pole.points, until), _value_on(high_pole.points, until)
    latest = high - low if low is not None and high is not None else None
    return GapChart(
        width=width,
        height=height,
        plot_left=LEFT,
        plot_right=width - RIGHT,
        path=_step_path(points, x(until)) if points else "",
        y_ticks=[(TOP + (4 - v) * band, v) for v in range(4, -1, -1)],
        x_ticks=_x_ticks(since, until, x),
        latest=latest,
    )
