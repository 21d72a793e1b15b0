"""Rate limits per token (per member for a browser session), counted in the default cache:
Redis when REDIS_URL is set. The cache fails open (django-redis IGNORE_EXCEPTIONS): with
Redis down a request is not counted and not refused."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        # Read per request (not at import, as DRF's THROTTLE_RATES is), so that settings
        # and tests can change it.
        return settings.API_RATE_LIMIT or None

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"member-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
