from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from candidates.models import User


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ReminderForm(forms.Form):
    """A manual reminder from the candidate's page. The time is read in the time zone that
    is active (the view activates the user's own)."""

    title = forms.CharField(
        label="Remind to",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Call back about the Acme offer"}),
    )
    due_at = forms.DateTimeField(label="When", widget=DateTimeInput())
    user = forms.ModelChoiceField(label="Who", queryset=User.objects.none(), empty_label=None)
    body = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members

    def clean_due_at(self) -> datetime:
        due_at = self.cleaned_data["due_at"]
        # A few minutes in the past is "now" (the form was open a while); more is a typo.
        if due_at < timezone.now() - timedelta(hours=1):
            raise forms.ValidationError("That time has passed. Choose a time from now on.")
        return due_at
