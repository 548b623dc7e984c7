"""The server-side SVG bar geometry of the staff overview's charts."""

from __future__ import annotations

import datetime as dt

from dialogkonferanse.common.charts import WIDTH, day_columns, horizontal_bars


def test_horizontal_bars_lengths_in_proportion_to_largest():
    chart = horizontal_bars([("Norge", 300), ("Sverige", 150), ("Island", 0), ("Malta", 1)])

    lengths = [bar.bar_width for bar in chart.bars]
    assert lengths[0] == WIDTH - 48
    assert lengths[1] == (WIDTH - 48) / 2
    assert lengths[2] == 0
    assert lengths[3] == 1.0  # a non-zero value stays visible
    assert [bar.label_y for bar in chart.bars] == [13, 49, 85, 121]
    assert chart.height == 4 * 36


def test_horizontal_bars_without_data_is_empty():
    chart = horizontal_bars([])

    assert chart.bars == ()
    assert chart.height == 36


def test_day_columns_heights_and_positions():
    days = [dt.date(2026, 11, 3) + dt.timedelta(days=i) for i in range(4)]

    chart = day_columns(list(zip(days, [4, 0, 2, 1], strict=True)))

    plot = chart.plot_bottom - chart.plot_top
    assert chart.largest == 4
    assert [c.height for c in chart.columns] == [plot, 0, plot / 2, plot / 4]
    assert [c.y + c.height for c in chart.columns] == [chart.plot_bottom] * 4
    assert [c.x for c in chart.columns] == [6, 86, 166, 246]
    assert {c.width for c in chart.columns} == {68}
