"""The server-side SVG charts: well-formed, named for screen readers, numbers in text,
hostile labels escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from candidates import charts

NS = {"svg": charts.SVG_NS}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it well-formed


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iterfind(".//svg:text", NS)]


def test_a_bar_chart_is_well_formed_and_accessible():
    svg = charts.bar_chart(
        "Candidates by status", [charts.Bar("Clean", 12), charts.Bar("Burned", 3)]
    )
    root = parse(svg)
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Candidates by status"
    assert root.find("svg:title", NS).text == "Candidates by status"
    desc = root.find("svg:desc", NS)
    assert desc.text == "Clean: 12; Burned: 3"
    assert root.get("aria-describedby") == desc.get("id")


def test_every_bar_has_its_label_and_number_in_text():
    root = parse(charts.bar_chart("Reasons", [charts.Bar("Commute", 3), charts.Bar("Other", 1)]))
    words = texts(root)
    assert "Commute" in words and "Other" in words
    assert "3 (75%)" in words and "1 (25%)" in words
    assert len(root.findall(".//svg:rect", NS)) == 2


def test_bars_are_as_long_as_their_value_and_stretch_with_the_page():
    root = parse(charts.bar_chart("x", [charts.Bar("a", 10), charts.Bar("b", 5)]))
    widths = [r.get("width") for r in root.iterfind(".//svg:rect", NS)]
    assert all(w.endswith("%") for w in widths)
    assert float(widths[0][:-1]) == 2 * float(widths[1][:-1])
    # No viewBox: text keeps its size in pixels on a phone, only the bars get shorter.
    assert root.get("viewBox") is None and root.get("width") == "100%"
    assert root.get("font-size") == "14"


def test_zero_values_draw_no_bar_and_no_data_still_draws():
    root = parse(charts.bar_chart("x", [charts.Bar("a", 0)]))
    assert root.findall(".//svg:rect", NS) == []
    assert "0" in texts(root)
    empty = parse(charts.bar_chart("Nothing", []))
    assert empty.find("svg:desc", NS).text == "No data"


def test_hostile_labels_are_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    svg = charts.bar_chart(hostile, [charts.Bar(hostile, 1)])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)  # still well-formed
    assert root.find("svg:title", NS).text == hostile
    assert root.get("aria-label") == hostile
    stacked = charts.stacked_bar_chart(
        "t",
        [charts.StackedBar(hostile, {"a": 1})],
        [charts.Series("a", "<b>bold</b>", "#000")],
    )
    assert "<script>" not in stacked and "<b>" not in stacked
    parse(stacked)


def test_long_labels_are_shortened_on_the_picture_but_kept_whole_in_the_title():
    label = "A very long client name that would never fit on the line of a phone"
    root = parse(charts.bar_chart("x", [charts.Bar(label, 4)]))
    shown = [t for t in root.iterfind(".//svg:text", NS) if t.text and t.text.startswith("A very")]
    assert shown[0].text.endswith("…") and len(shown[0].text) <= charts.MAX_LABEL
    assert shown[0].find("svg:title", NS).text == label


def test_a_stacked_chart_has_a_legend_segments_numbers_and_totals():
    series = [
        charts.Series("recovered", "Recovered", charts.PALETTE["recovered"]),
        charts.Series("burned", "Burned", charts.PALETTE["burned"]),
    ]
    rows = [
        charts.StackedBar("Jan 2026", {"recovered": 3, "burned": 1}),
        charts.StackedBar("Feb 2026", {"recovered": 0, "burned": 0}),
    ]
    root = parse(charts.stacked_bar_chart("Second chances", rows, series))
    words = texts(root)
    assert "Recovered" in words and "Burned" in words  # the legend names each colour
    assert "Jan 2026" in words and "Feb 2026" in words
    assert "3" in words and "4" in words  # a segment's number, the row's total
    assert words.count("0") == 1  # the empty month's total
    assert root.find("svg:desc", NS).text == (
        "Jan 2026: recovered 3, burned 1; Feb 2026: recovered 0, burned 0"
    )
    # Legend squares plus the two segments of January.
    assert len(root.findall(".//svg:rect", NS)) == 4


def test_every_chart_on_a_page_gets_its_own_ids():
    a = parse(charts.bar_chart("a", [charts.Bar("x", 1)]))
    b = parse(charts.bar_chart("b", [charts.Bar("x", 1)]))
    assert a.get("aria-describedby") != b.get("aria-describedby")
