"""Charts drawn on the server as inline SVG: plain Python, no JavaScript, no chart library.

Every chart is built with ElementTree, so a label such as a client called `<script>` is
escaped like any other text. Each chart is an image with a name (`role="img"`, a `<title>`
and an `aria-label`) and says its numbers in text beside every bar, so colour is never the
only carrier of meaning; the pages also show the same numbers as a table.

Bars are horizontal: long labels stay legible and the chart reads the same on a phone.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

SVG_NS = "http://www.w3.org/2000/svg"

# The status badges' hues, dark enough for white numbers printed on a stacked segment
# (4.5:1 or more); plain bars carry their number beside them in the text colour.
PALETTE = {
    "clean": "#14622f",
    "recovered": "#0d6b61",
    "second_chance": "#1a4fa0",
    "requested": "#5b2d9a",
    "refused": "#4f5663",
    "stumbled": "#8a5a00",
    "burned": "#a3231b",
    "rejected": "#6b5331",
    "pending": "#4f5663",
    "default": "#1f5fbf",
}
TEXT = "#1d2430"
MUTED = "#5b6472"
GRID = "#d9dee5"

# Geometry. Heights and text are in pixels; horizontal positions of bars are percentages of
# the chart's width (no viewBox), so the text stays the same readable size from a phone to a
# laptop while the bars stretch. Each label sits on its own line above its bar, so a long
# client name never squeezes the bars.
FONT_SIZE = 14
LABEL_LINE = 18
BAR_HEIGHT = 18
ROW_GAP = 12
ROW_HEIGHT = LABEL_LINE + BAR_HEIGHT + ROW_GAP
LEGEND_HEIGHT = 28
# The longest bar takes this share of the width: the rest is room for its number.
BAR_ROOM = 78.0
MAX_LABEL = 48
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    colour: str = PALETTE["default"]


@dataclass(frozen=True)
class Series:
    """One part of a stacked bar: its name (for the legend) and colour."""

    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class StackedBar:
    label: str
    values: dict[str, int]  # Series.key -> value

    @property
    def total(self) -> int:
        return sum(self.values.values())


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _svg(title: str, summary: str, height: int) -> ET.Element:
    uid = f"chart-{next(_ids)}"
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": "100%",
            "height": str(height),
            "role": "img",
            "aria-label": title,
            "aria-describedby": f"{uid}-desc",
            "class": "chart",
            "font-family": FONT,
            "font-size": str(FONT_SIZE),
        },
    )
    ET.SubElement(svg, "title").text = title
    ET.SubElement(svg, "desc", {"id": f"{uid}-desc"}).text = summary
    return svg


def _label(parent: ET.Element, top: float, text: str) -> None:
    # Very long labels are shortened on the picture only; the <title> and the table keep
    # them whole.
    shown = text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
    element = ET.SubElement(
        parent, "text", {"x": "0", "y": f"{top + LABEL_LINE - 5:.0f}", "fill": TEXT}
    )
    element.text = shown
    if shown != text:
        ET.SubElement(element, "title").text = text


def _bar_top(top: float) -> float:
    return top + LABEL_LINE


def _value_text(parent: ET.Element, x_pct: float, top: float, text: str, fill=TEXT) -> None:
    ET.SubElement(
        parent,
        "text",
        {
            "x": _pct(x_pct + 1),
            "y": f"{_bar_top(top) + BAR_HEIGHT - 4:.0f}",
            "fill": fill,
            "font-weight": "600",
        },
    ).text = text


def _render(svg: ET.Element) -> SafeString:
    # ElementTree escapes every text and attribute value: the result is safe to inline.
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308


def bar_chart(title: str, bars: Sequence[Bar], *, unit: str = "") -> SafeString:
    """One bar per item, its label above it and its number (and share) at its end."""
    height = ROW_HEIGHT * max(len(bars), 1)
    total = sum(bar.value for bar in bars)
    summary = "; ".join(f"{bar.label}: {bar.value}{unit}" for bar in bars) or "No data"
    svg = _svg(title, summary, height)
    maximum = max((bar.value for bar in bars), default=0)
    for index, bar in enumerate(bars):
        top = index * ROW_HEIGHT
        group = ET.SubElement(svg, "g", {"class": "bar"})
        ET.SubElement(group, "title").text = f"{bar.label}: {bar.value}{unit}"
        _label(group, top, bar.label)
        width = BAR_ROOM * bar.value / maximum if maximum else 0.0
        if bar.value > 0:
            ET.SubElement(
                group,
                "rect",
                {
                    "x": "0",
                    "y": f"{_bar_top(top):.0f}",
                    "width": _pct(max(width, 0.5)),
                    "height": str(BAR_HEIGHT),
                    "rx": "3",
                    "fill": bar.colour,
                },
            )
        share = f" ({round(100 * bar.value / total)}%)" if total and bar.value else ""
        _value_text(group, width, top, f"{bar.value}{unit}{share}")
    return _render(svg)


def stacked_bar_chart(
    title: str, rows: Sequence[StackedBar], series: Sequence[Series]
) -> SafeString:
    """One bar per row, split into the series; a legend on top names each colour, each
    segment wide enough carries its number, and every row ends with its total."""
    height = LEGEND_HEIGHT + ROW_HEIGHT * max(len(rows), 1)
    summary = (
        "; ".join(
            f"{row.label}: "
            + ", ".join(f"{s.label.lower()} {row.values.get(s.key, 0)}" for s in series)
            for row in rows
        )
        or "No data"
    )
    svg = _svg(title, summary, height)

    legend = ET.SubElement(svg, "g", {"class": "legend"})
    x = 0.0
    for s in series:
        ET.SubElement(
            legend,
            "rect",
            {"x": f"{x:.0f}", "y": "4", "width": "14", "height": "14", "rx": "2", "fill": s.colour},
        )
        ET.SubElement(
            legend, "text", {"x": f"{x + 19:.0f}", "y": "16", "fill": TEXT}
        ).text = s.label
        # About 7.5 px a character at 14 px: room for the label and a gap.
        x += 19 + 7.5 * len(s.label) + 16

    maximum = max((row.total for row in rows), default=0)
    for index, row in enumerate(rows):
        top = LEGEND_HEIGHT + index * ROW_HEIGHT
        group = ET.SubElement(svg, "g", {"class": "bar"})
        ET.SubElement(group, "title").text = f"{row.label}: " + ", ".join(
            f"{s.label.lower()} {row.values.get(s.key, 0)}" for s in series
        )
        _label(group, top, row.label)
        x_pct = 0.0
        for s in series:
            value = row.values.get(s.key, 0)
            if value <= 0:
                continue
            width = BAR_ROOM * value / maximum
            ET.SubElement(
                group,
                "rect",
                {
                    "x": _pct(x_pct),
                    "y": f"{_bar_top(top):.0f}",
                    "width": _pct(width),
                    "height": str(BAR_HEIGHT),
                    "fill": s.colour,
                },
            )
            # A number inside the segment when it has room (a few characters at phone width).
            if width >= 7:
                ET.SubElement(
                    group,
                    "text",
                    {
                        "x": _pct(x_pct + width / 2),
                        "y": f"{_bar_top(top) + BAR_HEIGHT - 4:.0f}",
                        "text-anchor": "middle",
                        "fill": "#ffffff",
                        "font-weight": "600",
                        "font-size": "13",
                    },
                ).text = str(value)
            x_pct += width
        _value_text(group, x_pct, top, str(row.total), fill=MUTED if row.total == 0 else TEXT)
    return _render(svg)
