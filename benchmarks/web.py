"""`make bench`: the pages as the agency's members use them, on this machine.

1. Seeds the bench databases when missing (benchmarks/seed.py): `recovery_bench` with
   100,000 candidates and `recovery_bench_10k` with 10,000 (127.0.0.1, user postgres), each
   with 8 members who may write, 10 candidates with 60 events, and a second organization.
   Minutes, once; later runs find the data and go on (`--skip-seed-check` skips the look).
2. Starts gunicorn exactly as docker-compose.yml's `web` service does (its command, read from
   the file), DEBUG off, on the 100,000-candidate database, with Redis (db 7) as the cache.
3. Logs the 8 members in through the login page and drives each page with wrk
   (benchmarks/load.lua, benchmarks/load.py): the 8 members at once, each its own session and
   CSRF token, and one write for every ten reads (an event or a risk note posted through the
   candidate page's forms, on varied candidates). The bare view (/livez, anonymous) is driven
   by the same 8 connections just before each page: each page's throughput is divided by it.
4. Again with Redis stopped: gunicorn on a redis-server of the benchmark's own, which it shuts
   down once the members are logged in. Every page should still answer; the table says how
   its throughput compares with the run with Redis, and the errors.
5. Each page's SQL in-process at both sizes (benchmarks/sql.py), twice each, interleaved, the
   quicker run kept: the time per page at 100,000 over that at 10,000, and the slowest single
   query.

Quick: `--duration 5 --skip-seed-check --sizes 100k`; `--only list,today` for some pages;
`--skip-redis-stopped`, `--skip-sql`. Environment: BENCH_PORT (8765), BENCH_REDIS_URL
(redis://127.0.0.1:6379/7). The machine is shared: absolute figures move from run to run;
ratios within one run are what compare.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from benchmarks import common, load
from benchmarks.common import PG, PYTHON, ROOT, Page, say
from benchmarks.server import Member, OwnRedis, Server, fetch, login

SQL_RATIO_GOAL = 1.5
SLOWEST_QUERY_GOAL_MS = 20.0
WRITE_POOL = 1000  # candidates the writes go to


# --- Data ---------------------------------------------------------------------------------


def ensure_data(size: str) -> None:
    name, count = common.SIZES[size]
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            say(f"Creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    env = common.env(size, redis_url=None)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    seeded = _seeded(name, count)
    say(
        f"Bench data in {name}: {count:,} candidates there, checking the rest"
        if seeded
        else f"Seeding {name} with {count:,} candidates (minutes, once):"
    )
    subprocess.run(
        [PYTHON, "benchmarks/seed.py", "--candidates", str(count)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if seeded else sys.stderr,
        stderr=subprocess.DEVNULL if seeded else None,
    )


def _seeded(name: str, count: int) -> bool:
    """Whether the synthetic candidates are all there (then the seeder's progress is noise)."""
    try:
        with psycopg.connect(f"{PG}/{name}") as conn:
            found = conn.execute(
                "SELECT count(*) FROM candidates_candidate c JOIN candidates_organization o"
                " ON o.id = c.organization_id WHERE o.slug = %s AND c.email LIKE %s",
                [common.ORGANIZATION, f"bench-%@{common.BENCH_DOMAIN}"],
            ).fetchone()[0]
    except psycopg.Error:
        return False
    return found >= count


def targets(size: str) -> tuple[list[Page], list[int]]:
    """The pages (with the first long history's id) and the candidates the writes go to:
    synthetic candidates of the big organization, spread over the whole range."""
    name = common.database(size)
    with psycopg.connect(f"{PG}/{name}") as conn:
        row = conn.execute(
            "SELECT id FROM candidates_candidate WHERE email = %s",
            [common.long_history_email(1)],
        ).fetchone()
        if row is None:
            raise SystemExit(f"No bench data in {name}: run without --skip-seed-check")
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT c.id FROM candidates_candidate c JOIN candidates_organization o"
                " ON o.id = c.organization_id WHERE o.slug = %s AND c.email LIKE %s"
                " ORDER BY md5(c.id::text) LIMIT %s",
                [common.ORGANIZATION, f"bench-%@{common.BENCH_DOMAIN}", WRITE_POOL],
            )
        ]
    return common.pages(row[0]), ids


# --- Load ---------------------------------------------------------------------------------


def members_logged_in(pages: list[Page], write_ids: list[int]) -> list[Member]:
    candidate = next(p for p in pages if p.key == "candidate")
    members = []
    for number in range(1, common.BENCH_MEMBERS + 1):
        member = login(common.member_username(number), common.BENCH_PASSWORD)
        load.read_forms(member, candidate.path)
        members.append(member)
    load.check_writes(members[0], write_ids)
    for page in pages:
        status, _, body = fetch(page.path, "" if page.anonymous else members[0].cookie)
        if status != 200:
            raise SystemExit(f"{page.path} answered {status}")
        if page.expect not in body:
            say(f"!! {page.path} does not show {page.expect!r}: is it the page?")
    return members


def stored_writes(database: str) -> int:
    """The events and risk notes in the bench database, once the writes still in flight when
    wrk stopped have had time to commit."""
    time.sleep(1)
    with psycopg.connect(f"{PG}/{database}") as conn:
        (count,) = conn.execute(
            "SELECT (SELECT count(*) FROM candidates_event)"
            " + (SELECT count(*) FROM candidates_risknote)"
        ).fetchone()
    return count


def drive_pages(
    wrk: str, pages: list[Page], members: list[Member], write_ids: list[int], args
) -> dict[str, dict]:
    """Per page: the bare view, then the page with its writes (after a warm-up). A write
    answered as saved must have stored its event or note: those that did not count as
    errors."""
    bare = next(p for p in pages if p.key == "bare")
    database = common.database(args.load_size)
    results = {}
    for page in pages:
        if page.anonymous:
            continue
        ceiling = load.drive(wrk, bare, members, None, args.bare_duration)
        load.drive(wrk, page, members, write_ids, args.warmup)
        before = stored_writes(database)
        run = load.drive(wrk, page, members, write_ids, args.duration)
        stored = stored_writes(database) - before
        reads = run.by_label.get("read", load.Figures("read", run.seconds))
        bare_reads = ceiling.by_label.get("read", load.Figures("read", ceiling.seconds))
        writes = [f for label, f in run.by_label.items() if label.startswith("write")]
        saved = sum(f.statuses[302] for f in writes)
        if saved > stored:
            say(f"!! {saved} writes answered as saved, {stored} events and notes stored")
        results[page.key] = {
            "page": page,
            "reads": reads,
            "writes": writes,
            "unstored": max(0, saved - stored),
            "socket_errors": run.socket_errors,
            "bare": bare_reads,
            "bare_socket_errors": ceiling.socket_errors,
        }
        say(
            f"  {page.name:<32} {reads.rps:7.0f} req/s (bare {bare_reads.rps:5.0f}), p99 "
            f"{reads.percentile(99):6.1f} ms, {_errors(reads, run.socket_errors)} errors"
        )
    return results


def _errors(figures: load.Figures, socket_errors: int = 0, unstored: int = 0) -> str:
    if not figures.errors and not socket_errors and not unstored:
        return "0"
    others = {s: n for s, n in figures.statuses.items() if s != figures.expected}
    parts = [f"{n}x{s}" for s, n in sorted(others.items())]
    if socket_errors:
        parts.append(f"{socket_errors} socket")
    if unstored:
        parts.append(f"{unstored} saved but not stored")
    return f"{figures.errors + socket_errors + unstored} ({', '.join(parts)})"


# --- Report -------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append(
                "|"
                + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
                + "|"
            )
    return "\n".join(lines)


def _rate(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _ms(value: float) -> str:
    return f"{value:.1f}"


def with_redis_table(results: dict[str, dict]) -> str:
    rows = []
    for r in results.values():
        reads, bare = r["reads"], r["bare"]
        rows.append(
            [
                r["page"].name,
                _rate(reads.rps),
                _ms(reads.percentile(50)),
                _ms(reads.percentile(95)),
                _ms(reads.percentile(99)),
                _errors(reads, r["socket_errors"]),
                _rate(bare.rps),
                f"{reads.rps / bare.rps:.2f}" if bare.rps else "-",
            ]
        )
    rows.append(_writes_row(results, with_bare=True))
    header = ["page", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "bare req/s", "x bare"]
    return table(header, rows)


def _writes(results: dict[str, dict]) -> load.Figures:
    """Every page run's writes as one: their answers over the runs' total time."""
    return load.Figures(
        "write",
        sum(r["reads"].seconds for r in results.values()),
        [row for r in results.values() for f in r["writes"] for row in f.rows],
    )


def _writes_row(results: dict[str, dict], *, with_bare: bool, extra: int = 0) -> list[str]:
    writes = _writes(results)
    row = [
        "writes: events and risk notes",
        _rate(writes.rps),
        _ms(writes.percentile(50)),
        _ms(writes.percentile(95)),
        _ms(writes.percentile(99)),
        _errors(writes, unstored=sum(r["unstored"] for r in results.values())),
    ]
    return row + ([""] * (2 if with_bare else extra))


def stopped_table(stopped: dict[str, dict], with_redis: dict[str, dict]) -> str:
    rows = []
    for key, r in stopped.items():
        reads, bare = r["reads"], r["bare"]
        before = with_redis.get(key, {}).get("reads")
        rows.append(
            [
                r["page"].name,
                _rate(reads.rps),
                _ms(reads.percentile(50)),
                _ms(reads.percentile(95)),
                _ms(reads.percentile(99)),
                _errors(reads, r["socket_errors"]),
                f"{reads.rps / bare.rps:.2f}" if bare.rps else "-",
                f"{reads.rps / before.rps:.2f}" if before and before.rps else "-",
            ]
        )
    row = _writes_row(stopped, with_bare=False, extra=1)
    before, now = _writes(with_redis).rps, _writes(stopped).rps
    row.append(f"{now / before:.2f}" if before else "-")
    rows.append(row)
    header = ["page", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "x bare", "x with Redis"]
    return table(header, rows)


def sql_report(figures: dict[str, dict], sizes: list[str]) -> list[str]:
    small, large = ("10k", "100k") if len(sizes) == 2 else (sizes[0], sizes[0])
    header = ["page", "queries"]
    header += [f"SQL ms {s}" for s in sizes]
    if small != large:
        header.append(f"x ({large}/{small})")
    header += [f"slowest ms {s}" for s in sizes]
    rows = []
    lines = []
    worst = (0.0, "", "")
    for key, entry in figures[large].items():
        row = [entry["name"], str(entry["queries"])]
        row += [_ms(figures[s][key]["sql_ms"]) for s in sizes]
        if small != large:
            ratio = entry["sql_ms"] / figures[small][key]["sql_ms"]
            row.append(f"{ratio:.2f}")
            ok = ratio <= SQL_RATIO_GOAL
            lines.append(
                f"{'met   ' if ok else 'MISSED'}  {entry['name']}: SQL at {large} is {ratio:.2f}x "
                f"that at {small} (goal: within {SQL_RATIO_GOAL}x)"
            )
        row += [_ms(figures[s][key]["slowest_ms"]) for s in sizes]
        rows.append(row)
        for s in sizes:
            if figures[s][key]["slowest_ms"] > worst[0]:
                worst = (
                    figures[s][key]["slowest_ms"],
                    f"{entry['name']} at {s}",
                    figures[s][key].get("slowest_sql", ""),
                )
    ok = worst[0] <= SLOWEST_QUERY_GOAL_MS
    lines.append(
        f"{'met   ' if ok else 'MISSED'}  no query over {SLOWEST_QUERY_GOAL_MS:.0f} ms: "
        f"the slowest {worst[0]:.1f} ms ({worst[1]})"
    )
    out = [table(header, rows), "", *lines, "", f"The slowest query of each page at {large}:"]
    for entry in figures[large].values():
        sql = " ".join(entry.get("slowest_sql", "").split())
        # The column list says little: what a query reads is in its FROM and WHERE.
        sql = re.sub(r"^SELECT (DISTINCT )?.{80,}? FROM ", r"SELECT \1... FROM ", sql, count=1)
        shown = sql if len(sql) <= 400 else sql[:400] + "..."
        out.append(f"- {entry['name']} ({entry['slowest_ms']:.1f} ms): {shown}")
        if "plan" in entry:
            out.append("  " + entry["plan"].replace("\n", "\n  "))
    return out


def sql_figures(size: str, explain: bool) -> dict:
    command = [PYTHON, "benchmarks/sql.py", "--size", size, "--json"]
    if explain:
        command.append("--explain")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"benchmarks/sql.py --size {size} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def flush_redis_db(url: str) -> None:
    """The benchmark's own Redis database emptied (the cache and any queued tasks of an
    earlier run; no worker consumes them here)."""
    host_port, _, db = url.removeprefix("redis://").partition("/")
    host, _, port = host_port.partition(":")
    subprocess.run(
        ["redis-cli", "-h", host, "-p", port or "6379", "-n", db or "0", "flushdb"],
        capture_output=True,
        check=True,
    )


# --- Main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per page run")
    parser.add_argument("--bare-duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--sizes", default="10k,100k", help="of the SQL: 10k, 100k or both")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated pages: " + ",".join(p.key for p in common.pages(0)[1:]),
    )
    parser.add_argument("--skip-seed-check", action="store_true")
    parser.add_argument("--skip-redis-stopped", action="store_true")
    parser.add_argument("--skip-sql", action="store_true")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest queries"
    )
    args = parser.parse_args()
    sizes = [s for s in common.SIZES if s in args.sizes.split(",")]
    if not sizes:
        raise SystemExit(f"--sizes: one or both of {', '.join(common.SIZES)}")
    load_size = args.load_size = common.LOAD_SIZE if common.LOAD_SIZE in sizes else sizes[-1]

    started = time.monotonic()
    wrk = load.ensure_wrk()
    if not args.skip_seed_check:
        for size in sizes:
            ensure_data(size)
    every_page, write_ids = targets(load_size)
    pages = every_page
    if args.only:
        wanted = {"bare", *args.only.split(",")}
        pages = [p for p in every_page if p.key in wanted]
    _, count = common.SIZES[load_size]

    say(f"With Redis ({common.REDIS_URL}), {count:,} candidates:")
    flush_redis_db(common.REDIS_URL)
    with Server(common.env(load_size), "redis"):
        members = members_logged_in(every_page, write_ids)
        with_redis = drive_pages(wrk, pages, members, write_ids, args)

    stopped = {}
    if not args.skip_redis_stopped:
        with OwnRedis() as redis:
            say(f"Redis stopped (redis-server of our own on port {redis.port}, shut down):")
            with Server(common.env(load_size, redis_url=redis.url), "redis-stopped"):
                members = members_logged_in(every_page, write_ids)
                redis.stop()
                stopped = drive_pages(wrk, pages, members, write_ids, args)

    sql: dict[str, dict] = {}
    if not args.skip_sql:
        # Each size twice, the sizes interleaved, and per page the quicker of the two: the
        # machine's other work moves a run's timings by half again within a minute, which
        # would pass for a difference between the sizes.
        for attempt in (1, 2):
            for size in sizes:
                say(f"SQL per page at {size} ({attempt} of 2)")
                figures = sql_figures(size, args.explain)
                for key, entry in figures.items():
                    kept = sql.setdefault(size, {}).get(key)
                    if kept is None or entry["sql_ms"] < kept["sql_ms"]:
                        sql[size][key] = entry

    print()
    print(
        f"Recovery benchmark: {count:,} candidates; gunicorn as docker-compose.yml runs it "
        f"({os.environ.get('WEB_WORKERS', '4')} workers x {os.environ.get('WEB_THREADS', '2')} "
        f"threads); {common.BENCH_MEMBERS} members at once, each its own session, one write "
        f"(event or risk note, through the form) per {load.READS_PER_WRITE} reads; "
        f"{args.duration:.0f} s per page; wrk on the same {os.cpu_count()} CPUs as PostgreSQL "
        "and Redis. x bare: the page's reads per second over the bare view's, driven just "
        "before by the same connections."
    )
    print()
    print("With Redis (as deployed):")
    print()
    print(with_redis_table(with_redis))
    if stopped:
        print()
        print("Redis stopped (the app's Redis shut down after the members logged in):")
        print()
        print(stopped_table(stopped, with_redis))
    if sql:
        print()
        print(
            "SQL per page, in-process (first view: nothing cached), median of 7 requests, "
            f"the quicker of two runs at each size, interleaved; at {' and '.join(sizes)} "
            "candidates:"
        )
        print()
        print("\n".join(sql_report(sql, sizes)))
    say(f"\nDone in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
