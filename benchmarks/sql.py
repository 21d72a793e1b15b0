"""Each page's SQL on one bench database, in-process: `python benchmarks/sql.py --size 10k`.

Through Django's test client, logged in as the first bench member, with no Redis (nothing
cached between requests: Django's local-memory cache, emptied before each request, so every
query of a first view runs). A connection execute_wrapper times each query of the request;
each page is requested `--repeat` times and the medians kept: the SQL time of the request,
and per query (the same queries run in the same order each time) its time, the slowest of
which is reported. `benchmarks/web.py` runs this for each size and compares them; `--json`
prints the figures for it, `--explain` the slowest query's EXPLAIN ANALYZE.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common


def measure(size: str, repeat: int, explain: bool) -> dict:
    common.setup_django(size, redis_url=None)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from candidates.models import Candidate, User

    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG off: the manifest
    long_history = Candidate.objects.get(email=common.long_history_email(1))
    member = User.objects.get(username=common.member_username(1))
    client = Client()
    client.force_login(member, backend="candidates.accounts.MemberBackend")
    report = {}
    for page in common.pages(long_history.pk):
        if page.anonymous:
            continue
        for _ in range(3):  # templates compiled, connection open, pages in PostgreSQL's cache
            response = client.get(page.path)
            if response.status_code != 200:
                raise SystemExit(f"{page.path} answered {response.status_code}")
        totals: list[float] = []
        per_query: list[list[float]] = []
        statements: list[tuple[str, object]] = []
        for _ in range(repeat):
            cache.clear()
            captured: list[tuple[float, str, object]] = []

            def timer(execute, sql, params, many, context, captured=captured):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    captured.append(((time.perf_counter() - started) * 1000, sql, params))

            with connection.execute_wrapper(timer):
                client.get(page.path)
            totals.append(sum(ms for ms, _, _ in captured))
            if not statements:
                statements = [(sql, params) for _, sql, params in captured]
                per_query = [[] for _ in captured]
            if len(captured) == len(statements):
                for times, (ms, _, _) in zip(per_query, captured, strict=True):
                    times.append(ms)
        medians = [statistics.median(times) for times in per_query]
        entry = {
            "name": page.name,
            "queries": len(statements),
            "sql_ms": statistics.median(totals),
            "slowest_ms": max(medians, default=0.0),
        }
        if medians:
            sql, params = statements[medians.index(max(medians))]
            entry["slowest_sql"] = _interpolated(connection, sql, params)
            if explain:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                    entry["plan"] = "\n".join(row[0] for row in cursor.fetchall())
        report[page.key] = entry
    return report


def _interpolated(connection, sql: str, params) -> str:
    with connection.cursor() as cursor:
        try:
            return cursor.mogrify(sql, params)
        except Exception:  # a display nicety only
            return f"{sql}  -- params: {params!r}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(common.SIZES), default=common.LOAD_SIZE)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    report = measure(args.size, args.repeat, args.explain)
    if args.json:
        print(json.dumps(report))
        return
    print(f"{'page':<32} {'queries':>7} {'SQL ms':>7} {'slowest ms':>10}")
    for entry in report.values():
        print(
            f"{entry['name']:<32} {entry['queries']:>7} {entry['sql_ms']:>7.1f} "
            f"{entry['slowest_ms']:>10.1f}"
        )
        if args.explain and "plan" in entry:
            print(entry["slowest_sql"])
            print(entry["plan"])


if __name__ == "__main__":
    main()
