"""The session engine when Redis is the cache: Django's `cached_db` on the member session
table (see candidates/sessions.py)."""

from __future__ import annotations

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from .sessions import MemberSessionMixin


class SessionStore(MemberSessionMixin, CachedDBStore):
    pass
