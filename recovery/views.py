"""Views that belong to the deployment, not to a feature."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger("recovery.health")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For the docker-compose health check: "ok" when the database answers, 503 when it does
    not. No login, and nothing else in the answer (no versions, no error text)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.exception("health check: the database did not answer")
        return HttpResponse("unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: "ok" whenever the process answers, touching nothing else (no database, no
    cache). It is also the benchmark's ceiling: a request through the whole middleware stack
    with nothing behind it (benchmarks/web.py)."""
    return HttpResponse("ok", content_type="text/plain")
