"""Views that belong to the deployment, not to a feature."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger("recovery.health")


def _database_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.exception("health check: the database did not answer")
        return False
    return True


def _redis_up() -> bool | None:
    """None when no Redis is configured (the embedded default)."""
    if not settings.REDIS_URL:
        return None
    from django_redis import get_redis_connection
    from redis.exceptions import RedisError

    try:
        get_redis_connection("default").ping()
    except RedisError:
        log.warning("health check: Redis did not answer")
        return False
    return True


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Readiness, for the docker-compose health check and a load balancer: one line per
    service ("database: ok", "redis: down"). 503 when the database is down: nothing can be
    served. Redis down is a degraded 200: every page and write still works (the cache fails
    open; reminders wait in the database until the broker is back), so a proxy must keep
    sending traffic, and the body says what is missing. No login, nothing else in it."""
    database, redis = _database_up(), _redis_up()
    lines = [f"database: {'ok' if database else 'down'}"]
    if redis is not None:
        lines.append(f"redis: {'ok' if redis else 'down'}")
    status = 200 if database else 503
    return HttpResponse("\n".join(lines) + "\n", status=status, content_type="text/plain")


@never_cache
@require_safe
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: "ok" whenever the process answers, touching nothing else (no database, no
    cache). It is also the benchmark's ceiling: a request through the whole middleware stack
    with nothing behind it (benchmarks/web.py)."""
    return HttpResponse("ok", content_type="text/plain")
