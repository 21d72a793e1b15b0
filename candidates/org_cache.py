"""A cache per organization, emptied by every write in it: the counts pages show ("18,051
candidates", "page 3 of 362", Today's numbers), rendered fragments of pages shared by its
members (the list's results, a candidate's history, Today's panels; the `{% orgcache %}`
template tag), and whole pages per member (`member_page`: the list, the candidate page,
Today), whose next view renders nothing.

Counting 100,000 candidates reads 100,000 index entries (10 to 20 ms), and rendering 50 rows
or 60 events costs more than every query of the page; both change only when someone writes.
So each organization has a version token in the cache, and each entry is stored under
(organization, token, what it is). A write replaces the token: every entry of that
organization becomes unreachable at once, is recomputed on next view and left to expire.
Rules that keep it right:

- Never across organizations: keys hold the organization's id and creation time, tokens are
  per organization. Nothing of one member is shared with another: a fragment about the
  member varies on their id, a `{% csrf_token %}` is cached as a placeholder and filled in
  per view, and a form a member filled in is never cached (`unless=`). Fragments also vary
  on the member's time zone and language, and on what the caller passes (filters, role, the
  day).
- Never stale after a write: `invalidate()` replaces the token at once (so that the writing
  transaction itself reads fresh entries) and again once the transaction commits (an entry
  made in between, from data not yet committed, is stored under the first token only). It
  is called by `services.reevaluate()`, which every write of events, notes and statuses goes
  through (services, importer, admin, seeding, the daily task), and, through the signals
  below, by any save or delete of a candidate, client or job, a member's change of name or
  deletion, and the creation of an organization. A write that bypasses both (`update()` on a
  queryset of these models) must call `invalidate()` itself.
- Only with a cache every process shares (Redis): with the per-process local-memory cache a
  write in the Celery worker could not reach the web processes, so nothing is cached there
  (except under pytest, which is one process). Entries also expire after `TTL_SECONDS`, a
  bound on any surprise.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

TTL_SECONDS = 10 * 60
_PROCESS_LOCAL = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
# Bumped by every invalidate() in this process, so that a token remembered on an
# organization object (one request) is never used after a write made by this process.
_writes = itertools.count()
_generation = next(_writes)


def enabled() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("DummyCache"):
        return False
    return backend not in _PROCESS_LOCAL or getattr(settings, "TESTING", False)


def _version_key(organization_id: int) -> str:
    return f"recovery:{connection.settings_dict['NAME']}:org:{organization_id}:version"


def _replace_tokens(organization_ids: Iterable[int]) -> None:
    cache.set_many({_version_key(pk): uuid.uuid4().hex for pk in organization_ids}, timeout=None)


def invalidate(organization_ids: Iterable[int | None]) -> None:
    """Drop every cached entry of these organizations (call it on every write)."""
    global _generation
    ids = sorted({pk for pk in organization_ids if pk is not None})
    if not ids or not enabled():
        return
    _generation = next(_writes)
    _replace_tokens(ids)
    transaction.on_commit(lambda: _replace_tokens(ids))


def _prefix(organization) -> str:
    """The key prefix of the organization's current entries (one cache read per request)."""
    remembered = getattr(organization, "_org_cache_prefix", None)
    if remembered and remembered[0] == _generation:
        return remembered[1]
    key = _version_key(organization.pk)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        token = cache.get(key)
    prefix = _prefix_of(organization, token)
    organization._org_cache_prefix = (_generation, prefix)
    return prefix


def _base(organization) -> str:
    return f"recovery:{organization.pk}.{organization.created_at.timestamp():.6f}"


def _prefix_of(organization, token: str) -> str:
    return f"{_base(organization)}:{token}"


def _digest(name: str, parts: Iterable) -> str:
    return hashlib.sha256(repr((name, tuple(parts))).encode()).hexdigest()[:32]


def _key(organization, kind: str, name: str, parts: Iterable) -> str:
    return f"{_prefix(organization)}:{kind}:{name}:{_digest(name, parts)}"


def cached_counts(organization, counters: dict[str, tuple[tuple, Callable[[], object]]]) -> dict:
    """`{name: (key parts, compute)}` -> `{name: value}`: each value from the cache, or
    computed and cached. One cache round trip when everything is cached."""
    if not enabled():
        return {name: compute() for name, (_parts, compute) in counters.items()}
    keys = {name: _key(organization, "count", name, parts) for name, (parts, _) in counters.items()}
    found = cache.get_many(list(keys.values()))
    values, missing = {}, {}
    for name, key in keys.items():
        if key in found:
            values[name] = found[key]
        else:
            values[name] = missing[key] = counters[name][1]()
    if missing:
        cache.set_many(missing, timeout=TTL_SECONDS)
    return values


def cached_count(organization, name: str, parts: tuple, compute: Callable[[], int]) -> int:
    return cached_counts(organization, {name: (parts, compute)})[name]


def cached_fragment(organization, name: str, parts: Iterable, render: Callable[[], str]) -> str:
    """Rendered HTML shared by every member of the organization who would see the same."""
    if organization is None or not enabled():
        return render()
    parts = (*parts, timezone.get_current_timezone_name(), translation.get_language())
    key = _key(organization, "html", name, parts)
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=TTL_SECONDS)
    return html


def csrf_placeholder() -> str:
    """What `{% csrf_token %}` writes into cached HTML, replaced by the viewer's own token on
    every view. The same in every process of a deployment (entries are shared through
    Redis), and not guessable without SECRET_KEY, so text typed by a user cannot pass for it.
    It is part of every key that caches HTML: entries made under an old SECRET_KEY are not
    found."""
    return "csrf-" + salted_hmac("recovery.orgcache", "csrf placeholder").hexdigest()[:32]


def fill_csrf(html: str, token) -> str:
    """Cached HTML with the viewer's CSRF token where the placeholders are ("" when the page
    has no token, as `{% csrf_token %}` would write nothing)."""
    return html.replace(csrf_placeholder(), str(token) if token else "")


# Set on a request while its page is rendered for the cache: the `navigation` context
# processor then gives the templates the placeholder as their CSRF token.
RENDERING_FOR_CACHE = "_org_cache_rendering_page"


def member_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A GET page cached whole for the member viewing it, until the next write in their
    organization and for the minute at most (my reminders due, the coming interviews and
    "3 days ago" move with the clock): a view from the cache reads the session, the member
    and two cache entries, and renders nothing.

    Put it under `member_required`, so that login, organization and role are checked on every
    view. The key holds the path with its query string, the member, their role, time zone and
    language; the forms' CSRF tokens are placeholders, filled in per view. Not cached: other
    methods, answers other than 200 (a 404 is raised before anything is stored), and a page
    with a message to show (it is shown once)."""

    name = f"{view.__module__}.{view.__qualname__}"

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        organization = getattr(user, "organization", None)
        if (
            request.method != "GET"
            or organization is None
            or not enabled()
            or len(get_messages(request))
        ):
            return view(request, *args, **kwargs)
        placeholder = csrf_placeholder()
        now = timezone.now()
        parts = (
            request.get_full_path(),
            user.pk,
            user.role,
            now.strftime("%Y-%m-%dT%H:%M"),
            timezone.get_current_timezone_name(),
            translation.get_language(),
            placeholder,
        )
        # The page is stored with the token it was rendered under, at a key without it, so
        # that one round trip reads both the current token and the page.
        version_key = _version_key(organization.pk)
        page_key = f"{_base(organization)}:page:{_digest(name, parts)}"
        found = cache.get_many([version_key, page_key])
        token, entry = found.get(version_key), found.get(page_key)
        if token is not None and entry is not None and entry[0] == token:
            html, response = entry[1], HttpResponse()
        else:
            if token is None:
                _prefix(organization)  # makes the organization's first token
                token = cache.get(version_key)
            else:  # the fragments rendered below need not read it again
                organization._org_cache_prefix = (_generation, _prefix_of(organization, token))
            setattr(request, RENDERING_FOR_CACHE, True)
            try:
                response = view(request, *args, **kwargs)
            finally:
                delattr(request, RENDERING_FOR_CACHE)
            if response.streaming:
                return response
            html = response.content.decode(response.charset)
            if response.status_code == 200:
                # Under the token read before rendering: after a write in between, this
                # copy is never served (the token it names is no longer the current one).
                # Until the minute is over: the next minute's key is another one.
                cache.set(page_key, (token, html), timeout=61 - now.second)
        response.content = fill_csrf(html, get_token(request))
        return response

    return wrapper


# --- Writes that do not go through services.reevaluate() ------------------------------------


def _on_write(sender, instance, **kwargs) -> None:
    invalidate([getattr(instance, "organization_id", None)])


def _on_member_saved(sender, instance, update_fields=None, **kwargs) -> None:
    # Fragments show members' names (owners, "recorded by"); a login, which saves the
    # member's last_login only, changes nothing shown.
    if update_fields and set(update_fields) <= {"last_login", "password"}:
        return
    _on_write(sender, instance)


def _on_organization_saved(sender, instance, created, **kwargs) -> None:
    # A new organization starts from a new token, whatever a reused id left in the cache; a
    # renamed one shows its new name (the header of every cached page).
    invalidate([instance.pk])


def watch(model) -> None:
    """Invalidate the organization's entries on every save or delete of `model` (which has
    an `organization_id`). Other apps call it for the models their fragments show
    (reminders/apps.py)."""
    uid = f"org-cache-{model._meta.label}"
    post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}-save")
    post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}-delete")


def connect_signals() -> None:
    from .models import Candidate, Client, Job, Organization, User

    for model in (Candidate, Client, Job):
        watch(model)
    post_save.connect(_on_member_saved, sender=User, dispatch_uid="org-cache-User-save")
    post_delete.connect(_on_write, sender=User, dispatch_uid="org-cache-User-delete")
    post_save.connect(_on_organization_saved, sender=Organization, dispatch_uid="org-cache-org")
