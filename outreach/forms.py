"""The forms of the loop: what the candidate and the client fill in on their public pages,
and the members' own (sending a link, making a brief, editing the templates)."""

from __future__ import annotations

from django import forms

from candidates.forms import DateTimeInput, JobFormMixin, OrgJobField, SubmittedOnce

from . import briefs, wording
from .services import WORDS_MAX


class CandidateRequestForm(SubmittedOnce):
    words = forms.CharField(
        label="Your request, in your own words",
        max_length=WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    availability = forms.CharField(
        label="When are you free for an interview?",
        max_length=500,
        required=False,
        help_text="Days and times that suit you, e.g. “weekday mornings, not Fridays”.",
    )


class ClientDecisionForm(SubmittedOnce):
    decision = forms.ChoiceField(
        choices=[("grant", "Yes: see them again"), ("refuse", "No, not this time")],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label="Your name", max_length=200)
    interview_at = forms.DateTimeField(
        label="Interview on",
        required=False,
        widget=DateTimeInput(),
        help_text="If yes: when you would see them, if you know.",
    )
    note = forms.CharField(
        label="A note for the recruiter",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if no: say why, in a line.",
    )


class JobChoiceForm(JobFormMixin, forms.Form):
    """Which job a link or a brief is for."""

    job = OrgJobField(label="For the job", required=True)


class RequestLinkForm(SubmittedOnce, JobChoiceForm):
    email = forms.BooleanField(
        label="Email it to the candidate",
        required=False,
        initial=True,
        help_text="Unticked: copy the link from the page and send it another way.",
    )


class BriefForm(JobChoiceForm):
    show = forms.MultipleChoiceField(
        label="Also show",
        choices=briefs.SHOWABLE,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Left out unless ticked: the brief is for the client's eyes.",
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean(self):
        data = super().clean()
        if "subject" in data and "body" in data:
            problems = wording.check_template(self.kind, data["subject"], data["body"])
            for field, found in problems.items():
                self.add_error(field, found)
        return data
