"""The session engines (settings.SESSION_ENGINE): Django's database sessions, with the
member's id kept in a column so that `end_member_sessions()` is one indexed DELETE instead of
decoding every session in the table.

Two engines share that table:

- `candidates.sessions`: database only (the embedded default, no Redis);
- `candidates.sessions_cached`: Django's `cached_db` on the same table, when Redis is the
  cache (REDIS_URL): a page reads its session from Redis instead of the database; writes go
  to both. Never with a per-process cache, where a session ended in one process would live
  on in another's memory.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as CACHED_KEY_PREFIX
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import caches
from django.db import transaction


class MemberSessionMixin:
    @classmethod
    def get_model_class(cls):
        from .models import MemberSession

        return MemberSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session


class SessionStore(MemberSessionMixin, DBStore):
    pass


def end_member_sessions(user_id: int) -> int:
    """Delete every session of this member (they are logged out everywhere); returns how many.

    Also from the session cache (the cached engine): now, and again once the transaction
    commits, so that a page read between the two cannot put a deleted session back."""
    from .models import MemberSession

    sessions = MemberSession.objects.filter(user_id=user_id)
    cached = [CACHED_KEY_PREFIX + key for key in sessions.values_list("session_key", flat=True)]
    deleted, _ = sessions.delete()
    if cached:
        cache = caches[settings.SESSION_CACHE_ALIAS]
        cache.delete_many(cached)
        transaction.on_commit(lambda: cache.delete_many(cached))
    return deleted
