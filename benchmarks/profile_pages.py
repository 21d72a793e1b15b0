"""Where a page's time goes, in-process: `python benchmarks/profile_pages.py [--profile URL]`.

Runs against the bench database `make bench` fills (recovery_bench on 127.0.0.1, Redis db 6,
DEBUG off), through Django's test client logged in as the demo recruiter: no HTTP server and
no load tool, so the figures are the Python cost of each page in the worker, plus its round
trips to PostgreSQL and Redis. Prints, per page of the benchmark, the milliseconds per
request (the median of five batches) and the queries a cached view still runs.

`--profile URL` then profiles that page with cProfile and prints the functions by cumulative
time (`--filter` narrows them to a regular expression of file names, e.g. "candidates|redis").
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

import web  # the same database, Redis and settings as `make bench`


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per batch")
    parser.add_argument("--profile", metavar="URL", help="profile this page with cProfile")
    parser.add_argument("--filter", default="", help="regex of file names to show")
    args = parser.parse_args()

    web.setup_django()
    from django.db import connection
    from django.test import Client

    from candidates.models import Candidate, User

    long_history = Candidate.objects.filter(email__startswith="long-history-01").first()
    if long_history is None:
        raise SystemExit("No bench data: run `make bench` once first.")
    pages = {
        "bare view (anonymous)": "/livez",
        "list: stumbled, by risk": "/candidates/?status=stumbled&sort=risk&per_page=50",
        "search 'noah murp'": "/candidates/?q=noah+murp&per_page=50",
        "candidate, 60 events": f"/candidates/{long_history.pk}/",
        "today": "/",
        "list: all, page 1": "/candidates/?per_page=50",
    }
    member = Client()
    member.force_login(
        User.objects.get(username="recruiter@demo.recovery.test"),
        backend="candidates.accounts.MemberBackend",
    )
    anonymous = Client()

    print(f"{'page':<26} {'ms/request':>10} {'queries':>8}")
    for name, url in pages.items():
        client = anonymous if url == "/livez" else member
        for _ in range(20):  # fills the caches, compiles the templates
            assert client.get(url).status_code == 200, url
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)  # the health check's SELECT 1 bypasses this: not counted
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        batches = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(args.requests):
                client.get(url)
            batches.append((time.perf_counter() - started) * 1000 / args.requests)
        print(f"{name:<26} {statistics.median(batches):>10.2f} {len(queries):>8}")

    if args.profile:
        client = anonymous if args.profile == "/livez" else member
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(args.profile)
        profiler.disable()
        print(f"\n{args.profile}, {args.requests} requests:")
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(*([args.filter] if args.filter else []), 40)


if __name__ == "__main__":
    main()
