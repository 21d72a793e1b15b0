"""Where a page's time goes, in-process: `python benchmarks/profile_pages.py [--size 10k]
[--profile URL]`.

Runs against a bench database `make bench` fills (recovery_bench, or recovery_bench_10k with
`--size 10k`; Redis db 7, DEBUG off), through Django's test client logged in as the first
bench member: no HTTP server and no load tool, so the figures are the Python cost of each
page in the worker, plus its round trips to PostgreSQL and Redis. Prints, per page of the
benchmark, the milliseconds of a first view (the cache emptied before each request: every
query runs, as after a write), of a repeated view (whatever the app keeps in its cache
kept), each the median of `--requests` requests, the queries of a first view, and its
Python function calls: unlike milliseconds, a count that the machine's other work does not
move, so two versions of a page compare in any run.

`--profile URL` then profiles that page's first views with cProfile and prints the
functions by cumulative time (`--filter` narrows them to a regular expression of file
names, e.g. "candidates|redis").
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common


def count_calls(request: Callable[[], object]) -> int:
    """The Python and C function calls one request makes."""
    calls = 0

    def profiler(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profiler)
    try:
        request()
    finally:
        sys.setprofile(None)
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(common.SIZES), default=common.LOAD_SIZE)
    parser.add_argument("--requests", type=int, default=100, help="per page and kind of view")
    parser.add_argument("--profile", metavar="URL", help="profile this page with cProfile")
    parser.add_argument("--filter", default="", help="regex of file names to show")
    args = parser.parse_args()

    common.setup_django(args.size)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from candidates.models import Candidate, User

    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG off: the manifest
    long_history = Candidate.objects.filter(email=common.long_history_email(1)).first()
    if long_history is None:
        raise SystemExit("No bench data: run `make bench` once first.")
    member = Client()
    member.force_login(
        User.objects.get(username=common.member_username(1)),
        backend="candidates.accounts.MemberBackend",
    )
    anonymous = Client()

    def timed(client: Client, url: str, *, first: bool) -> float:
        if first:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    print(f"{common.SIZES[args.size][1]:,} candidates, milliseconds per request (medians):")
    print(f"{'page':<32} {'first view':>10} {'repeat view':>11} {'queries':>8} {'calls':>8}")
    for page in common.pages(long_history.pk):
        client = anonymous if page.anonymous else member
        for _ in range(5):  # compiles the templates, opens the connections
            timed(client, page.path, first=True)
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)  # the health check's SELECT 1 bypasses this: not counted
            return execute(sql, params, many, context)

        cache.clear()
        with connection.execute_wrapper(count):
            client.get(page.path)
        cache.clear()
        calls = count_calls(lambda: client.get(page.path))  # noqa: B023 (called at once)
        first = statistics.median(
            timed(client, page.path, first=True) for _ in range(args.requests)
        )
        repeat = statistics.median(
            timed(client, page.path, first=False) for _ in range(args.requests)
        )
        print(f"{page.name:<32} {first:>10.2f} {repeat:>11.2f} {len(queries):>8} {calls:>8,}")

    if args.profile:
        client = anonymous if args.profile == "/livez" else member
        profiler = cProfile.Profile()
        for _ in range(args.requests):
            cache.clear()
            profiler.enable()
            client.get(args.profile)
            profiler.disable()
        print(f"\n{args.profile}, {args.requests} first views:")
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(*([args.filter] if args.filter else []), 40)


if __name__ == "__main__":
    main()
