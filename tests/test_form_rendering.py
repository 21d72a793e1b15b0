"""Form fields render through Jinja2 (recovery/renderers.py) for speed; what a member sees
must be what Django's own templates write: the same widgets (blank space between tags
aside), Django's escaping, "(optional)" where it was said, errors tied to their field."""

from __future__ import annotations

import re

import pytest
from django.forms.renderers import DjangoTemplates

from candidates.forms import CandidateFilterForm, EventForm, RiskNoteForm
from recovery.renderers import FormRenderer

SUBMISSION = "6f0c0e8e-3c57-4d2a-9f3e-0b7d40084f0e"
BOUND_EVENT = {"kind": "no_show", "reason": "commute", "notes": "O'Brien <b>", "occurred_on": "x"}
FORMS = {
    "event": (EventForm, {"initial": {"submission": SUBMISSION}}),
    "event with errors": (
        EventForm,
        {"data": {**BOUND_EVENT, "submission": SUBMISSION}, "can_override": True},
    ),
    "risk note with errors": (
        RiskNoteForm,
        {"data": {"level": "9", "note": '"quoted" & <tag>', "submission": SUBMISSION}},
    ),
    "filters": (
        CandidateFilterForm,
        {"data": {"status": "burned", "q": "O'Brien"}, "owners": [], "clients": [], "jobs": []},
    ),
}


def tags(html: str) -> str:
    """The markup without the blank space between tags (the select writes its options on
    lines of its own, Django's includes one per option)."""
    return re.sub(r">\s+<", "><", html)


@pytest.mark.parametrize("name", FORMS)
def test_every_field_is_written_as_djangos_own_templates_write_it(name):
    form_class, kwargs = FORMS[name]
    ours = form_class(**kwargs)  # the default renderer: ours
    django = form_class(**kwargs, renderer=DjangoTemplates())
    assert isinstance(ours.renderer, FormRenderer)
    for field in ours:
        assert tags(field.as_widget()) == tags(django[field.name].as_widget()), field.name
        assert str(field.errors) == str(django[field.name].errors), field.name


def test_optional_is_said_where_a_field_depends_on_another_and_nowhere_else():
    event = EventForm()
    assert "(optional)" in event["notes"].as_field_group()
    assert "(optional)" not in event["reason"].as_field_group()  # needed for a misstep
    assert "(optional)" not in event["kind"].as_field_group()
    filters = CandidateFilterForm(owners=[], clients=[], jobs=[])
    assert "(optional)" not in filters["q"].as_field_group()


def test_an_error_is_escaped_as_django_escapes_and_tied_to_its_field():
    form = RiskNoteForm(data={"level": "<9>", "note": ""})
    assert not form.is_valid()
    html = form["level"].as_field_group()
    assert 'class="field has-error"' in html
    assert '<ul class="errorlist" id="id_level_error">' in html
    assert 'aria-describedby="id_level_helptext id_level_error"' in html  # read out with it
    assert "<9>" not in html


def test_apostrophes_are_written_as_django_writes_them():
    form = CandidateFilterForm({"q": "O'Brien"}, owners=[], clients=[], jobs=[])
    assert 'value="O&#x27;Brien"' in form["q"].as_field_group()
