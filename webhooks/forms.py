from __future__ import annotations

from django import forms

from candidates.forms import SubmittedOnce

from .models import EventType


class EndpointForm(SubmittedOnce):
    """The fields; what they accept is the service's rule (services._clean), shown here. The
    submission key: a double click or a reload of the answer adds one endpoint."""

    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        help_text="Where Recovery POSTs each event, e.g. https://ats.example.com/hooks/recovery.",
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this endpoint receives.",
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="What listens there, for your colleagues."
    )


class TestForm(SubmittedOnce):
    """ "Send a test": a double click sends one."""
