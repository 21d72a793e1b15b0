"""The rows the busiest pages print are built in Python (candidates/rows.py) with their own
escaping, for speed: it must write exactly what Django's format_html writes, for any text a
member, a candidate or an import can put in a name, an email or a note."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from hypothesis import given
from hypothesis import strategies as st

from candidates.rows import advice_badge, html, status_badge

TEMPLATE = '<a href="{}" title="{}">{}</a>{}'
any_value = st.one_of(
    st.text(),
    st.sampled_from(["<script>alert(1)</script>", 'O\'Brien & "Sons"', "a > b", "&amp;"]),
    st.integers(),
    st.none(),
)


@given(st.lists(any_value, min_size=4, max_size=4))
def test_a_row_is_escaped_exactly_as_format_html_escapes_it(values):
    built = html(TEMPLATE, *values)

    assert built == format_html(TEMPLATE, *values)
    assert isinstance(built, SafeString)


@given(st.text(), st.text())
def test_a_safe_part_goes_in_as_it_is_and_the_rest_escaped(text, safe):
    part = mark_safe(safe)  # noqa: S308 (the test stands for markup built by the app)

    assert html("{}|{x}", text, x=part) == format_html("{}|{x}", text, x=part)
    assert html("{x}", x=part) == safe


def test_markup_in_a_value_never_becomes_markup():
    assert html("<td>{}</td>", "<b>O'Brien</b>") == "<td>&lt;b&gt;O&#x27;Brien&lt;/b&gt;</td>"


def test_a_badge_says_what_it_is_to_a_screen_reader_and_shows_its_label():
    assert status_badge("second_chance") == (
        '<span class="badge badge-status badge-second_chance">'
        '<span class="visually-hidden">Status: </span>Second chance</span>'
    )
    assert "Advice: </span>Do not resubmit</span>" in advice_badge("do_not_resubmit")
