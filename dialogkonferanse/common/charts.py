"""Bar charts drawn on the server as SVG geometry (no JavaScript, no CDN).

The builders return plain numbers; ``templates/admin/charts/*.html`` draw them. A chart is
decoration for sighted readers: every page that shows one also shows its numbers as text (a
summary and a table), so the SVG is hidden from assistive technology.

Sizes are in SVG user units; the viewBox is 320 wide, so at a 375 px phone width a unit is
about a CSS pixel and 12-unit text stays legible (the stylesheet caps the drawn width so the
text does not grow much on a wide screen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 320
_ROW = 36  # one horizontal bar: its label line, then the bar
_LABEL_BASELINE = 13
_BAR_TOP = 18
_BAR_HEIGHT = 12
_VALUE_GAP = 4
_VALUE_ROOM = 48  # room right of the longest bar for its number


@dataclass(frozen=True)
class HorizontalBar:
    label: str
    value: int
    label_y: float
    bar_y: float
    bar_width: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class HorizontalBarChart:
    width: int
    height: int
    bar_height: int
    bars: tuple[HorizontalBar, ...]


def horizontal_bars(items: Sequence[tuple[str, int]]) -> HorizontalBarChart:
    """One row per item (label above its bar, the number after the bar), lengths in
    proportion to the largest value."""
    largest = max((value for _, value in items), default=0)
    room = WIDTH - _VALUE_ROOM
    bars = []
    for index, (label, value) in enumerate(items):
        top = index * _ROW
        length = round(room * value / largest, 1) if largest else 0.0
        if value and length < 1:
            length = 1.0  # a non-zero value stays visible
        bars.append(
            HorizontalBar(
                label=str(label),
                value=value,
                label_y=top + _LABEL_BASELINE,
                bar_y=top + _BAR_TOP,
                bar_width=length,
                value_x=length + _VALUE_GAP,
                value_y=top + _BAR_TOP + _BAR_HEIGHT - 1,
            )
        )
    return HorizontalBarChart(
        width=WIDTH, height=max(_ROW, len(bars) * _ROW), bar_height=_BAR_HEIGHT, bars=tuple(bars)
    )


@dataclass(frozen=True)
class Column:
    day: dt.date
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    largest: int
    columns: tuple[Column, ...]


# The column chart is stretched to the page's width (``preserveAspectRatio="none"``), so it holds
# no text: the template writes the largest value and the first and last day in HTML around it.
_COLUMN_HEIGHT = 120
_PLOT_TOP = 2
_PLOT_BOTTOM = 120
_COLUMN_GAP = 0.15  # share of a column's width left empty


def day_columns(items: Sequence[tuple[dt.date, int]]) -> ColumnChart:
    """One column per day, heights in proportion to the largest day; the template labels the
    axis with the largest value and the first and last day."""
    largest = max((value for _, value in items), default=0)
    step = WIDTH / len(items) if items else WIDTH
    plot = _PLOT_BOTTOM - _PLOT_TOP
    columns = []
    for index, (day, value) in enumerate(items):
        height = round(plot * value / largest, 1) if largest else 0.0
        if value and height < 1:
            height = 1.0
        columns.append(
            Column(
                day=day,
                value=value,
                x=round(index * step + step * _COLUMN_GAP / 2, 2),
                y=round(_PLOT_BOTTOM - height, 1),
                width=round(step * (1 - _COLUMN_GAP), 2),
                height=height,
            )
        )
    return ColumnChart(
        width=WIDTH,
        height=_COLUMN_HEIGHT,
        plot_top=_PLOT_TOP,
        plot_bottom=_PLOT_BOTTOM,
        largest=largest,
        columns=tuple(columns),
    )
