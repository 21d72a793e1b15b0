"""The session engine (settings.SESSION_ENGINE): Django's database sessions, with the
member's id kept in a column so that `end_member_sessions()` is one indexed DELETE instead of
decoding every session in the table."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
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


def end_member_sessions(user_id: int) -> int:
    """Delete every session of this member (they are logged out everywhere); returns how many."""
    from .models import MemberSession

    deleted, _ = MemberSession.objects.filter(user_id=user_id).delete()
    return deleted
