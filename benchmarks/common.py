"""What the benchmark's scripts share: the bench databases, their environment, the members
who drive the pages, and the pages themselves.

Nothing here imports Django: benchmarks/web.py drives gunicorn over HTTP and reads the
database with psycopg, and sets Django up only in the subprocesses that need it
(seed.py, sql.py), one database each.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if VENV_BIN.exists() else sys.executable

# The two sizes: the SQL of every page is timed at both (the ratio says how it scales), the
# load runs at the larger one.
SIZES: dict[str, tuple[str, int]] = {
    "10k": ("recovery_bench_10k", 10_000),
    "100k": ("recovery_bench", 100_000),
}
LOAD_SIZE = "100k"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")

BENCH_DOMAIN = "bench.recovery.test"
# The members who drive the pages: a published password, for a bench database only.
BENCH_PASSWORD = "second-chance-bench"  # noqa: S105
BENCH_MEMBERS = 8
LONG_HISTORIES = 10
LONG_HISTORY_EVENTS = 60
ORGANIZATION = "demo"  # the big organization (candidates.demo.DEMO_SLUG)
OTHER_ORGANIZATION = "bench-other"
PER_PAGE = 50


def member_username(number: int) -> str:
    return f"member-{number:02d}@{BENCH_DOMAIN}"


def long_history_email(number: int) -> str:
    return f"long-history-{number:02d}@{BENCH_DOMAIN}"


def database(size: str) -> str:
    return SIZES[size][0]


def env(size: str, *, redis_url: str | None = REDIS_URL) -> dict[str, str]:
    """The app's environment on a bench database: DEBUG off, and Redis (the cache and the
    broker) at `redis_url`, or none."""
    values = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{database(size)}",
        "SECRET_KEY": "benchmark-only-not-a-secret",
        "DEBUG": "0",
        # Plain http on 127.0.0.1: HTTPS is the default with DEBUG off (recovery/settings.py).
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
    }
    values.pop("REDIS_URL", None)
    if redis_url:
        values["REDIS_URL"] = redis_url
    return values


def setup_django(size: str, *, redis_url: str | None = REDIS_URL) -> None:
    """Django in this process, on the bench database of `size`."""
    os.environ.update(env(size, redis_url=redis_url))
    if redis_url is None:
        os.environ.pop("REDIS_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Page:
    key: str
    name: str
    path: str
    expect: str = ""  # text the page must contain: the bench sees the real page
    anonymous: bool = False


def pages(long_history_id: int) -> list[Page]:
    """The pages members use most, and the bare view: the whole middleware stack and a view
    that touches nothing (no database, no cache), requested without a session cookie."""
    return [
        Page("bare", "bare view (/livez)", "/livez", expect="ok", anonymous=True),
        # The same view with a member's session: what every page pays before its own work
        # (the session and the member read, the middleware), the ceiling of any page's ratio.
        Page("floor", "bare view, logged in", "/livez", expect="ok"),
        Page(
            "list",
            "list: stumbled, by risk",
            f"/candidates/?status=stumbled&sort=risk&per_page={PER_PAGE}",
            expect="page 1 of",
        ),
        Page(
            "search",
            "search 'noah murp' (a name)",
            f"/candidates/?q=noah+murp&per_page={PER_PAGE}",
            expect="Noah Murphy",
        ),
        Page(
            "surname",
            "search 'murphy' (~2,000 hits)",
            f"/candidates/?q=murphy&per_page={PER_PAGE}",
            expect="Murphy",
        ),
        Page(
            "candidate",
            f"candidate, {LONG_HISTORY_EVENTS} events",
            f"/candidates/{long_history_id}/",
            expect="Lena Longhistory",
        ),
        Page("today", "today", "/", expect="Stumbled, no follow-up"),
    ]
