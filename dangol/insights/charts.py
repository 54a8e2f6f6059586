"""Geometry of the dashboard's SVG charts (drawn by the templates, no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH = 560
HEIGHT = 160


@dataclass
class LineChart:
    key: str
    title: str
    low: float
    high: float
    width: int = WIDTH
    height: int = HEIGHT
    points: str = ""
    dots: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.dots


def line_chart(*, key: str, title: str, rows: list[dict[str, Any]], field_name: str,
               low: float, high: float, labels: list[str], min_n: int) -> LineChart:
    """A line through each bucket's value; buckets with fewer than ``min_n`` answers are
    left out (a point from three answers would mislead)."""
    chart = LineChart(key=key, title=title, low=low, high=high)
    count = len(rows)
    if not count:
        return chart
    step = chart.width / max(count - 1, 1)
    coords = []
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        x = round(i * step if count > 1 else chart.width / 2, 1)
        chart.labels.append({"x": x, "text": label})
        value = row.get(field_name)
        if value is None or row.get(f"{field_name}_n", 0) < min_n:
            continue
        y = round(chart.height * (high - value) / (high - low), 1)
        coords.append(f"{x},{y}")
        chart.dots.append({"x": x, "y": y, "value": value, "n": row.get(f"{field_name}_n", 0),
                           "label": label})
    chart.points = " ".join(coords)
    # At most about eight axis labels, so they do not overlap.
    every = max(1, (count + 7) // 8)
    chart.labels = chart.labels[::every]
    return chart
