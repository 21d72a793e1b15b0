"""What the candidate reads: each organization's email templates, the defaults, and the small
safe template language they are written in.

A template is a Django template limited to the variables in `VARIABLES` (plain strings, so
nothing can reach an object's attributes), the tags `if`/`elif`/`else`/`endif`, and a few
text filters. `check()` says what is wrong with a template in words a manager can act on;
the settings page and `services.template_save` both call it, so nothing else can store one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template import Context, Engine
from django.template.base import Lexer, TokenType

from .models import EmailKind, EmailTemplate

VARIABLES = {
    "first_name": "The candidate's first name",
    "candidate_name": "The candidate's full name",
    "organization": "Your organization's name",
    "job_title": "The job's title",
    "link": "The private link (the link email only)",
    "interview_time": "The interview's date and time (a grant with a time)",
    "place": "Where the interview is: an address or a video link (a grant)",
    "checklist": "The preparation checklist (a grant)",
    "sender_name": "Who sends it: the member, or your organization",
}
ALLOWED_TAGS = {"if", "elif", "else", "endif"}
ALLOWED_FILTERS = {"default", "upper", "lower", "capfirst", "title"}

# What a candidate should do before the second-chance interview: from recruiters' own advice
# to final-round candidates who failed on the basics.
CHECKLIST = (
    "Turn up sharp: dress a notch above what you wore last time.",
    "Know the firm: read its latest news before you go.",
    "Re-read your CV, dates included, and be ready to talk about anything on it.",
    "Be in reception 10 minutes early, with your phone off.",
    "Say briefly and honestly what went wrong last time, then talk about the job.",
)

# The guide on the candidate's request page, drawn from what works when asking again.
REQUEST_GUIDE = (
    "Be honest about what happened. No long excuses: one or two sentences.",
    "Say what has changed since, so it will not happen again.",
    "Say that you want this job, and why.",
    "Keep it short: a few lines are enough. The hiring manager decides.",
)

DEFAULTS: dict[str, tuple[str, str]] = {
    EmailKind.LINK: (
        "{{ organization }}: asking for another chance at {{ job_title }}",
        """Dear {{ first_name }},

You told us you would like another chance at the {{ job_title }} role. The best way is to
ask in your own words: the hiring manager will read exactly what you write.

{{ link }}

The page has a few tips. The link works once, for 14 days.

Best wishes,
{{ sender_name }}
{{ organization }}""",
    ),
    EmailKind.ACKNOWLEDGEMENT: (
        "{{ organization }}: we have your request",
        """Dear {{ first_name }},

Thank you: we have your request for another chance at the {{ job_title }} role, and it is
with the person who decides. We will write to you with the answer.

Best wishes,
{{ organization }}""",
    ),
    EmailKind.GRANT: (
        "{{ organization }}: your second chance for {{ job_title }}",
        """Dear {{ first_name }},

Good news: you have a second chance for the {{ job_title }} role.
{% if interview_time %}
When: {{ interview_time }}{% if place %}
Where: {{ place }}{% endif %}
The invitation is attached: add it to your calendar.
{% endif %}
To make the most of it:
{{ checklist }}

Good luck,
{{ sender_name }}
{{ organization }}""",
    ),
    EmailKind.REFUSAL: (
        "{{ organization }}: your request about {{ job_title }}",
        """Dear {{ first_name }},

Thank you for asking again about the {{ job_title }} role, and for being open about what
happened. We have thought about it carefully, and this time the answer is no.

This is about this role, not about you: we wish you every success.

Kind regards,
{{ sender_name }}
{{ organization }}""",
    ),
}

SAMPLE = {
    "first_name": "Sam",
    "candidate_name": "Sam Example",
    "organization": "Your organization",
    "job_title": "Forklift operator",
    "link": "https://recovery.example/r/…",
    "interview_time": "Tuesday 8 December 2026 at 10:00 (Europe/London)",
    "place": "12 Dock Road, reception on the ground floor",
    "checklist": "\n".join(f"- {item}" for item in CHECKLIST),
    "sender_name": "Alex Recruiter",
}


IF_OPERATORS = {"and", "or", "not", "in", "is", "==", "!=", "<", ">", "<=", ">="}


def _expression(text: str) -> list[str]:
    """The problems of one `name|filter:arg` expression (a {{ }} or an if's operand)."""
    name, *filters = text.split("|")
    name = name.strip()
    problems = []
    if name not in VARIABLES and not re.fullmatch(r"\"[^\"]*\"|'[^']*'", name):
        problems.append(f"{{{{ {name} }}}} is not one of the variables.")
    for item in filters:
        f = item.split(":")[0].strip()
        if f not in ALLOWED_FILTERS:
            problems.append(f"The filter |{f} is not allowed.")
    return problems


def check(text: str) -> list[str]:
    """The problems of a template, in words; empty when it is fine."""
    problems = []
    for token in Lexer(text).tokenize():
        content = token.contents.strip()
        if token.token_type == TokenType.BLOCK:
            tag, *operands = content.split() or [""]
            if tag not in ALLOWED_TAGS:
                problems.append(f"{{% {tag} %}} is not allowed: only if / elif / else / endif.")
            # An if's conditions are held to the same variables and filters as {{ }}.
            for operand in operands:
                if operand not in IF_OPERATORS:
                    problems.extend(_expression(operand))
        elif token.token_type == TokenType.VAR:
            problems.extend(_expression(content))
    if not problems:
        try:
            render_unchecked(text, SAMPLE)
        except Exception as exc:  # any failure on sample data: refuse it, say why
            problems.append(f"The template does not read: {exc}")
    return problems


def uses_link(text: str) -> bool:
    """Whether the template prints {{ link }} (not in a comment)."""
    return any(
        token.token_type == TokenType.VAR and token.contents.split("|")[0].strip() == "link"
        for token in Lexer(text).tokenize()
    )


def check_template(kind: str, subject: str, body: str) -> dict[str, list[str]]:
    """Every problem of one email's template, by field (empty when it may be saved): the
    settings page's form and services.template_save both ask this."""
    problems = {"subject": check(subject), "body": check(body)}
    if "\n" in subject.strip():
        problems["subject"].append("The subject must be one line.")
    if kind == EmailKind.LINK and not uses_link(body):
        problems["body"].append("The link email must contain {{ link }}: it is the point.")
    return {field: found for field, found in problems.items() if found}


def _compile(text: str):
    # The default tags and filters, for the few allowed above (check() keeps to those).
    return Engine(autoescape=False).from_string(text)


def render_unchecked(text: str, variables: dict[str, str]) -> str:
    rendered = _compile(text).render(Context({k: variables.get(k, "") for k in VARIABLES}))
    # Plain text, not the SafeString Django's render() returns: a page that shows it (the
    # settings page's preview) must escape it like any text a member typed.
    return str.__str__(rendered)


def render(text: str, variables: dict[str, str]) -> str:
    """Render a checked template with string variables only."""
    if check(text):
        raise ValueError("Refusing to render a template that does not pass check().")
    return render_unchecked(text, variables)


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str
    custom: bool


def wording_for(organization_id: int, kind: str) -> Wording:
    row = EmailTemplate.objects.filter(organization_id=organization_id, kind=kind).first()
    if row is not None:
        return Wording(row.subject, row.body, True)
    subject, body = DEFAULTS[kind]
    return Wording(subject, body, False)
