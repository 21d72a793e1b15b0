"""The ATS pages' forms. The rule for a kind and its reason is the model's
(`check_kind_and_reason`), checked here too so that the page says which field is wrong."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from candidates.forms import SubmittedOnce
from candidates.models import MISSTEP_REASON_CHOICES, REJECTION_REASON_CHOICES

from .models import MAPPABLE_KIND_CHOICES, Vendor, check_kind_and_reason

REASON_CHOICES = [
    ("", "Choose the reason…"),
    ("The employer's reasons (for rejected)", REJECTION_REASON_CHOICES),
    ("Misstep reasons", MISSTEP_REASON_CHOICES),
]
KIND_CHOICES = [("", "Choose what it means…"), *MAPPABLE_KIND_CHOICES]


class KindReasonMixin:
    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("reason"):
            try:
                check_kind_and_reason(data["kind"], data["reason"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return data


class SourceForm(SubmittedOnce):
    vendor = forms.ChoiceField(choices=Vendor.choices)
    name = forms.CharField(max_length=100, help_text="For you: e.g. “Careers site”.")
    client_name = forms.CharField(
        max_length=200,
        label="Client",
        help_text="The client the ATS's jobs are at (created if new). Jobs are matched by "
        "title under it, and created open when new.",
    )
    signature_token = forms.CharField(
        max_length=200,
        required=False,
        label="Lever signature token",
        help_text="Lever only: the signature token Lever shows for the webhook.",
        widget=forms.PasswordInput(render_value=False),
    )
    lever_api_key = forms.CharField(
        max_length=200,
        required=False,
        label="Lever API key (optional)",
        help_text="Lever only: a read-only API key, to read the candidate's email and the "
        "archive reason's text that Lever's webhook leaves out. Without one, every archive "
        "waits for review.",
        widget=forms.PasswordInput(render_value=False),
    )


class MappingForm(KindReasonMixin, forms.Form):
    vendor = forms.ChoiceField(choices=[("", "Any ATS"), *Vendor.choices], required=False)
    external_reason = forms.CharField(
        max_length=200,
        label="The ATS's reason",
        help_text="As the ATS says it (Greenhouse: the rejection reason; Lever: the archive "
        "reason's text with an API key, its id without). Case and extra spaces do not matter.",
    )
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="Recorded as")
    reason = forms.ChoiceField(choices=REASON_CHOICES)


class ResolveForm(KindReasonMixin, forms.Form):
    candidate_email = forms.EmailField(max_length=254, label="The candidate's email")
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="Record as")
    reason = forms.ChoiceField(choices=REASON_CHOICES)
    remember = forms.BooleanField(
        required=False,
        label="Remember this reason in the mapping table",
    )
