from __future__ import annotations

from django import forms

from .models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What it is for, so you know which to revoke: “ATS sync”."
    )
    scope = forms.ChoiceField(
        choices=Scope.choices,
        initial=Scope.READ,
        widget=forms.RadioSelect,
        help_text="A token acts as you, with your role: read-write lets it record what you may.",
    )
