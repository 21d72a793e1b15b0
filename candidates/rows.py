"""The rows the busiest pages print, built in Python: the candidate list's rows and the
candidate page's history.

A template that writes 50 rows or 60 history items cell by cell resolves hundreds of
variables, reverses a URL and formats dates per row: that was most of a first view's time.
Here each row is one string format whose every value is escaped (`html` below, as the
template would), and the template prints it as one value. The markup stays in one place per
row.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from .engine import Status
from .models import (
    ADVICE_CHOICES,
    DIMENSION_CHOICES,
    KIND_CHOICES,
    REASON_CHOICES,
    STATUS_CHOICES,
    Candidate,
    Event,
    EventSource,
    RiskNote,
)
from .templatetags.notes import preview

STATUS_LABELS, ADVICE_LABELS = dict(STATUS_CHOICES), dict(ADVICE_CHOICES)
KIND_LABELS, REASON_LABELS = dict(KIND_CHOICES), dict(REASON_CHOICES)
DIMENSION_LABELS = dict(DIMENSION_CHOICES)
NOTHING = mark_safe("—")


def html(template: str, *args, **kwargs) -> SafeString:
    """`format_html`, the same output, for the rows of a page: each value escaped as Django
    escapes (`django.utils.html.escape` is `html.escape(str(value))`), a safe value (a
    SafeString, a part built here) as it is. Django's path checks every argument for lazy
    translations on each call: with a dozen values an item and seventy items it was most of
    the candidate page's history. tests/test_rows.py holds the two to the same output."""
    # SafeString itself, not mark_safe: that is wrapped for lazy strings too.
    return SafeString(
        template.format(*map(_escaped, args), **{k: _escaped(v) for k, v in kwargs.items()})
    )


def _escaped(value) -> str:
    safe = getattr(value, "__html__", None)
    return safe() if safe is not None else escape(str(value))


def url_prefix(name: str, *args) -> str:
    """The address of `name` for `*args` and an id to come, without that id: a URL reversed
    once for a whole page instead of once a row ("/candidates/7/events/" + id + "/")."""
    url = reverse(name, args=[*args, 0])
    if not url.endswith("/0/"):
        raise ValueError(f"{name} does not end with its id")
    return url[:-2]


def _dated(on: date) -> str:
    return f"{on.day} {on:%b %Y}"  # "16 Nov 2026", as |date:"j M Y"


def day(on: date | None) -> SafeString:
    """'16 Nov 2026' in a <time> element; a dash for no date."""
    if on is None:
        return NOTHING
    return html('<time datetime="{}">{}</time>', on.isoformat(), _dated(on))


def moment(at: datetime) -> SafeString:
    """'Mon 16 Nov 2026, 10:00' in the viewer's time zone, in a <time> element."""
    local = timezone.localtime(at)
    return html(
        '<time datetime="{}">{} {} {}</time>',
        local.isoformat(),
        f"{local:%a}",
        local.day,
        f"{local:%b %Y, %H:%M}",
    )


# --- Badges ----------------------------------------------------------------------------------


def _badge(css: str, what: str, label: str) -> SafeString:
    return html(
        '<span class="badge {}"><span class="visually-hidden">{}: </span>{}</span>',
        css,
        what,
        label,
    )


def status_badge(status: str) -> SafeString:
    """A status as its coloured badge, wherever one is shown (templates: `|status_badge`)."""
    return _badge(f"badge-status badge-{status}", "Status", STATUS_LABELS.get(status, status))


def advice_badge(advice: str) -> SafeString:
    """Advice as its coloured badge (templates: `|advice_badge`)."""
    return _badge(
        f"badge-advice badge-advice-{advice}", "Advice", ADVICE_LABELS.get(advice, advice)
    )


# --- The candidate list ---------------------------------------------------------------------

LIST_ROW = (
    '<tr><td class="primary"><a href="{url}"><strong>{name}</strong></a><br>'
    '<span class="muted small">{email}</span></td>'
    '<td data-label="Status" class="badge-cell">{status}</td>'
    '<td data-label="Advice">{advice}</td>'
    '<td data-label="Risk" class="num"><span class="risk">{risk}</span></td>'
    '<td data-label="Missteps" class="num">{missteps}</td>'
    '<td data-label="Owner">{owner}</td>'
    '<td data-label="Latest event">{latest}</td></tr>'
)


# What a row shows, and all the list page reads (`.only(*LIST_COLUMNS)`): a candidate and
# its owner built from eleven columns instead of fifty. Only for rows written here: another
# reader of those candidates (the API's serializer) would fetch each column it lacks.
LIST_COLUMNS = (
    *("name", "email", "status", "advice", "risk_score", "live_missteps", "last_event_on"),
    *("owner__first_name", "owner__last_name", "owner__email", "owner__username"),
)


def list_rows(candidates: list[Candidate]) -> list[SafeString]:
    detail = url_prefix("candidates:detail")
    return [
        html(
            LIST_ROW,
            url=f"{detail}{c.pk}/",
            name=c.name,
            email=c.email,
            status=status_badge(c.status),
            advice=advice_badge(c.advice),
            risk=c.risk_score,
            missteps=c.live_missteps,
            owner=str(c.owner) if c.owner else "—",
            latest=day(c.last_event_on),
        )
        for c in candidates
    ]


# --- The candidate's history ------------------------------------------------------------------

MORE = (
    '<details class="more"><summary><span class="preview">{}</span> '
    '<span class="more-label" aria-hidden="true"></span>'
    '<span class="visually-hidden">Show all</span></summary><div class="full">{}</div></details>'
)


def long_text(text: str) -> SafeString:
    """A note or a pitch: whole when short, else its first lines and the rest behind "more"."""
    start = preview(text)
    return html(MORE, start, text) if start else html("{}", text)


NOTES_LABEL = {"second_chance_requested": "Pitch", "do_not_resubmit": "Reason"}
NOTES_LABEL["flag_cleared"] = "Reason"


def _correct(prefix: str, pk: int, allowed: set[int], what: str) -> SafeString:
    if pk not in allowed:
        return mark_safe("")
    return html(
        ' · <a href="{}{}/">Correct or delete<span class="visually-hidden"> this {}</span></a>',
        prefix,
        pk,
        what,
    )


def recorded_by(e: Event) -> SafeString:
    """Who recorded an event, in the history's words."""
    if e.source == EventSource.CANDIDATE:
        return html(
            "<strong>In the candidate's own words</strong>, received {} by private link",
            moment(e.created_at),
        )
    if e.source == EventSource.CLIENT:
        return html("Decided by {}, by link", e.source_name)
    if e.source == EventSource.ATS:
        by = html(" (reviewed by {})", e.recorded_by) if e.recorded_by else ""
        return html("From {}{}", e.source_name or "an applicant tracking system", by)
    return html("Recorded by {}", e.recorded_by or "an import")


def _event(e: Event, prefix: str, allowed: set[int]) -> SafeString:
    parts = [
        html(
            '<div class="what">{}{}</div>',
            KIND_LABELS.get(e.kind, e.kind),
            html(
                ' <span class="muted">· reason: {}</span>',
                REASON_LABELS.get(e.reason, e.reason).lower(),
            )
            if e.reason
            else "",
        )
    ]
    if e.job:
        parts.append(html('<div class="small">{}, {}</div>', e.job.title, e.job.client.name))
    if e.interview_at:
        parts.append(html('<div class="small">Interview on {}</div>', moment(e.interview_at)))
    if e.notes:
        label = NOTES_LABEL.get(e.kind, "Notes")
        parts.append(
            html(
                '<div class="notes"><span class="muted">{}:</span> {}</div>',
                label,
                long_text(e.notes),
            )
        )
    parts.append(
        html(
            '<div class="muted small">{}{}</div>',
            recorded_by(e),
            _correct(prefix, e.pk, allowed, "event"),
        )
    )
    return mark_safe("".join(parts))  # noqa: S308 (each part built by html())


def _note(n: RiskNote, prefix: str, allowed: set[int]) -> SafeString:
    return html(
        '<div class="what">Risk note: {} <span class="level" title="1 no concern, 5 serious '
        'concern">{}</span><span class="muted small"> / 5</span></div>{}'
        '<div class="muted small">By {}{}</div>',
        DIMENSION_LABELS.get(n.dimension, n.dimension).lower(),
        n.level,
        html('<div class="notes">{}</div>', long_text(n.note)) if n.note else "",
        str(n.author) if n.author else n.author_email,
        _correct(prefix, n.pk, allowed, "note"),
    )


def history_items(candidate: Candidate, timeline, correctable: dict[str, set[int]]) -> SafeString:
    """The history, newest first, as the <li> items of its list (selectors.candidate_page's
    timeline; `correctable` from access.correctable: where the member may correct)."""
    events = url_prefix("candidates:event_edit", candidate.pk)
    notes = url_prefix("candidates:note_edit", candidate.pk)
    return mark_safe(  # noqa: S308 (each item built by html())
        "\n".join(
            html(
                '<li class="{}"><div class="when">{}</div>{}</li>',
                item.css,
                day(item.on),
                _event(item.event, events, correctable["events"])
                if item.event is not None
                else _note(item.note, notes, correctable["notes"]),
            )
            for item in timeline
        )
    )


# --- Today ------------------------------------------------------------------------------------


def stumbled_items(candidates: list[Candidate]) -> list[SafeString]:
    """Stumbled, no follow-up: each with when its last event was and whose candidate it is."""
    detail = url_prefix("candidates:detail")
    badge = status_badge(Status.STUMBLED.value)
    return [
        html(
            '<li><a href="{}{}/">{}</a> {} '
            '<span class="muted small">last event {} ({} ago){}</span></li>',
            detail,
            c.pk,
            c.name,
            badge,
            _dated(c.last_event_on),
            timesince(c.last_event_on),
            f" · {c.owner}" if c.owner else "",
        )
        for c in candidates
    ]


def pending_items(candidates: list[Candidate]) -> list[SafeString]:
    """Requests waiting for a decision: when each was asked, its risk and its pitch."""
    detail = url_prefix("candidates:detail")
    return [
        html(
            '<li><a href="{}{}/">{}</a> <span class="muted small">asked {} · risk {}</span>{}</li>',
            detail,
            c.pk,
            c.name,
            _dated(c.requested_on) if c.requested_on else "",
            c.risk_score,
            html('<p class="small quote">“{}”</p>', Truncator(c.pitch).chars(140))
            if c.pitch
            else "",
        )
        for c in candidates
    ]


def upcoming_items(candidates: list[Candidate]) -> list[SafeString]:
    """Second-chance interviews coming up: when, in the member's time zone, and for which
    job."""
    detail = url_prefix("candidates:detail")
    items = []
    for c in candidates:
        at = timezone.localtime(c.next_interview_at)
        job = c.next_interview.job if c.next_interview else None
        items.append(
            html(
                '<li><a href="{}{}/">{}</a> <span class="nowrap"><time datetime="{}">{}</time>'
                "</span>{}</li>",
                detail,
                c.pk,
                c.name,
                at.isoformat(),
                f"{at:%a} {at.day} {at:%b, %H:%M}",
                html(' <span class="muted small">· {}, {}</span>', job.title, job.client.name)
                if job
                else "",
            )
        )
    return items
