"""`make bench`: how fast the pages are at agency scale, on this machine.

1. Makes sure PostgreSQL database `recovery_bench` (127.0.0.1, user postgres) exists, is
   migrated and holds the bench data: `seed_demo --candidates 100000` (about 10 events and 3
   risk notes each) plus a few candidates with a long history (60 events) for the candidate
   page. Seeding happens once (several minutes); later runs find the data and go on.
2. Starts gunicorn exactly as docker-compose.yml's `web` service does (its command, read from
   the file: gthread, 4 workers x 2 threads, --preload...), with Redis as the cache, on
   127.0.0.1:8765, DEBUG off.
3. Logs in as the demo recruiter and, per page, warms up and then drives it for a fixed time
   with wrk (installed with apt-get when missing) at 1 and at 8 concurrent clients.
4. Prints one table (requests per second, p50/p95/p99 latency, throughput as a ratio of the
   bare view's at the same number of clients), the goals met or not, and per page the SQL it
   runs with the slowest query and its EXPLAIN ANALYZE (from one request made in-process
   with the counts cache emptied first, so the worst case shows).

The bare view is `/livez`: the whole middleware stack and a view that touches nothing, no
database and no cache (requested without the session cookie, which would make the session
middleware read the database). `/healthz` is not bare: it queries the database.

Options: --duration SECONDS per run (default 8), --candidates N (default 100000),
--clients 1,8, --skip-explain. Environment: BENCH_DB, BENCH_PORT, BENCH_REDIS_URL.
The machine is shared: absolute figures move from run to run; ratios within one run are what
the goals are about.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
DB = os.environ.get("BENCH_DB", "recovery_bench")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
USERNAME = "recruiter@demo.recovery.test"  # candidates/demo.py's logins
MANAGER = "manager@demo.recovery.test"
PASSWORD = "second-chance-demo"  # noqa: S105 (the published demo password)
LONG_HISTORIES = 10
LONG_HISTORY_EVENTS = 60
PER_PAGE = 50
GOALS = {"list": 0.25, "search": 0.25, "today": 0.25, "candidate": 0.2}
P99_LIMIT_MS = 250
AB_ROUNDS = 5

ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
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


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=ENV, check=True, **kwargs)


# --- Data ---------------------------------------------------------------------------------


def ensure_database() -> None:
    listed = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-lqtA"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if DB not in {line.split("|")[0] for line in listed.splitlines()}:
        say(f"Creating database {DB}")
        run("createdb", "-h", "127.0.0.1", "-U", "postgres", DB)
    run(PYTHON, "manage.py", "migrate", "--noinput", "-v0")


def setup_django() -> None:
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def bench_candidates_present() -> int:
    from candidates.demo import BENCH_DOMAIN
    from candidates.models import Candidate

    return Candidate.objects.filter(
        organization__slug="demo", email__startswith="bench-", email__endswith=BENCH_DOMAIN
    ).count()


def ensure_long_histories() -> list[int]:
    """A few candidates with 60 events each (the seeded ones have 8 to 15), written in bulk and
    evaluated by services.reevaluate, like the seeder."""
    import random
    from datetime import timedelta

    from django.db import transaction

    from candidates import demo, services
    from candidates.models import Candidate, Event, Organization, RiskNote

    org = Organization.objects.get(slug="demo")
    emails = [f"long-history-{i:02d}@{demo.BENCH_DOMAIN}" for i in range(1, LONG_HISTORIES + 1)]
    found = dict(
        Candidate.objects.filter(organization=org, email__in=emails).values_list("email", "pk")
    )
    missing = [e for e in emails if e not in found]
    if missing:
        say(f"Adding {len(missing)} candidates with {LONG_HISTORY_EVENTS} events each")
        jobs = list(demo.ensure_jobs(org).values())
        today = services.today()
        kinds = ["scheduled", "attended", "scheduled", "attended", "offer_made", "late"]
        with transaction.atomic():
            for email in missing:
                rng = random.Random(email)
                candidate = services.candidate_create(
                    organization=org, email=email, name=f"Lena Longhistory {email[13:15]}"
                )
                day = today - timedelta(days=3 * LONG_HISTORY_EVENTS)
                events = []
                for i in range(LONG_HISTORY_EVENTS):
                    kind = kinds[i % len(kinds)]
                    events.append(
                        Event(
                            candidate=candidate,
                            kind=kind,
                            reason="commute" if kind == "late" else "",
                            job=rng.choice(jobs),
                            occurred_on=day + timedelta(days=3 * i),
                            notes="Steady, turned up on time." if kind == "attended" else "",
                        )
                    )
                Event.objects.bulk_create(events)
                RiskNote.objects.bulk_create(
                    RiskNote(
                        candidate=candidate,
                        dimension=d,
                        level=rng.randint(1, 4),
                        author_email="recruiter@demo.recovery.test",
                        noted_on=day + timedelta(days=20 * i),  # all in the past
                    )
                    for i, d in enumerate(["flakiness", "commute", "trust"] * 3)
                )
                services.reevaluate([candidate.pk])
        found = dict(
            Candidate.objects.filter(organization=org, email__in=emails).values_list("email", "pk")
        )
    return [found[e] for e in emails]


def ensure_data(candidates: int) -> list[int]:
    ensure_database()
    setup_django()
    present = bench_candidates_present()
    seeded = False
    if present < candidates:
        say(f"Seeding {candidates:,} candidates ({present:,} there): a few minutes, once")
        run(PYTHON, "manage.py", "seed_demo", "--candidates", str(candidates))
        seeded = True
    else:
        run(PYTHON, "manage.py", "seed_demo", stdout=subprocess.DEVNULL)  # the demo logins
    long_ids = ensure_long_histories()
    if seeded:
        say("VACUUM ANALYZE (index-only scans need the visibility map)")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if seeded else "ANALYZE")
    return long_ids


# --- The server ---------------------------------------------------------------------------


def compose_web_command() -> list[str]:
    """The `web` service's command in docker-compose.yml, with its defaults filled in and the
    bind address moved to 127.0.0.1:PORT."""
    text = (ROOT / "docker-compose.yml").read_text()
    block = re.search(r"^  web:\n(.*?)(?=^  \S)", text, re.S | re.M)
    if not block:
        raise SystemExit("docker-compose.yml has no web service")
    command = re.search(r"^    command:\n((?:^      - .*\n)+)", block.group(1), re.M)
    if not command:
        raise SystemExit("docker-compose.yml's web service has no command list")
    args = [line.strip()[2:] for line in command.group(1).splitlines()]

    def fill(match: re.Match) -> str:
        return os.environ.get(match.group(1), match.group(2))

    args = [re.sub(r"\$\{(\w+):-([^}]*)\}", fill, a) for a in args]
    args = [f"--bind=127.0.0.1:{PORT}" if a.startswith("--bind") else a for a in args]
    return [str(ROOT / ".venv" / "bin" / args[0]), *args[1:]]


class Server:
    """gunicorn, started as docker-compose.yml starts it; `cache=False` leaves REDIS_URL out,
    so that the organization cache is off (candidates/org_cache.py) and every view is a
    first view."""

    def __init__(self, *, cache: bool = True) -> None:
        self.process: subprocess.Popen | None = None
        self.env = dict(ENV) if cache else {k: v for k, v in ENV.items() if k != "REDIS_URL"}
        if not cache:
            self.env["BROKER_DIR"] = str(Path(tempfile.gettempdir()) / "recovery-bench-broker")
        self.log = Path(tempfile.gettempdir()) / f"recovery-bench-gunicorn-{PORT}.log"

    def __enter__(self) -> Server:
        run(PYTHON, "manage.py", "collectstatic", "--noinput", "-v0")
        command = compose_web_command()
        say("Starting: " + " ".join(command[:1] + command[1:]))
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{BASE}/livez", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise SystemExit(f"gunicorn did not answer; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def login(username: str) -> str:
    """Log in through the login page like a browser; returns the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(f"{BASE}/accounts/login/", data=data)
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"Could not log in as {username}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def fetch(path: str, cookie: str) -> tuple[int, bytes]:
    # BASE is this benchmark's own http://127.0.0.1 server.
    headers = {"Cookie": cookie} if cookie else {}
    request = urllib.request.Request(BASE + path, headers=headers)  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# --- Pages --------------------------------------------------------------------------------


@dataclass
class Target:
    key: str  # the goal it is held to
    name: str
    path: str
    needs_login: bool = True
    expect: str = ""  # text the page must contain (a check that the bench sees the real page)


def targets(long_ids: list[int]) -> list[Target]:
    from candidates import selectors
    from candidates.models import Candidate, Event, Organization

    org = Organization.objects.get(slug="demo")
    candidates = Candidate.objects.filter(organization=org)
    # Page 2,000 as a member reaches it: by "Next" from page 1,999, whose link carries the
    # last row of page 1,999.
    before = selectors.candidate_list(
        candidates,
        Event.objects.filter(candidate__organization=org),
        organization=org,
        filters={},
        page=1999,
        per_page=PER_PAGE,
    ).page
    after = before.next_after
    total = before.count
    return [
        Target("bare", "bare view (/livez)", "/livez", needs_login=False, expect="ok"),
        Target(
            "list",
            "list: stumbled, by risk",
            f"/candidates/?status=stumbled&sort=risk&per_page={PER_PAGE}",
            expect="page 1 of",
        ),
        Target(
            "search",
            "search 'noah murp'",
            f"/candidates/?q=noah+murp&per_page={PER_PAGE}",
            expect="Noah Murphy",
        ),
        Target(
            "search",
            "search 'murph' (2,000 hits)",
            f"/candidates/?q=murph&per_page={PER_PAGE}",
            expect="Murphy",
        ),
        Target(
            "candidate",
            f"candidate, {LONG_HISTORY_EVENTS} events",
            f"/candidates/{long_ids[0]}/",
            expect="Lena Longhistory",
        ),
        Target("today", "today", "/", expect="Stumbled, no follow-up"),
        Target(
            "page1",
            "list: all, page 1",
            f"/candidates/?per_page={PER_PAGE}",
            expect=f"page 1 of {-(-total // PER_PAGE)}",
        ),
        Target(
            "page2000",
            "list: all, page 2,000",
            f"/candidates/?per_page={PER_PAGE}&page=2000&after={after}",
            expect="page 2000 of",
        ),
        Target(
            "offset",
            "list: page 2,000 typed (OFFSET)",
            f"/candidates/?per_page={PER_PAGE}&page=2000",
            expect="page 2000 of",
        ),
    ]


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    say("Installing wrk (apt-get)")
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=apt, check=False)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], env=apt, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=apt, check=True)
    return shutil.which("wrk")


def drive(wrk: str, target: Target, cookie: str, clients: int, seconds: float) -> dict:
    threads = min(clients, 2)
    result = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "benchmarks" / "report.lua"),
            BASE + target.path,
        ],
        env={**os.environ, "BENCH_COOKIE": cookie if target.needs_login else ""},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(li for li in result.stdout.splitlines() if li.startswith("{"))
    data = json.loads(line)
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


# --- SQL ----------------------------------------------------------------------------------


def slowest_queries(pages: list[Target], long_ids: list[int]) -> list[tuple[Target, dict]]:
    """Per page, in-process through Django's test client: the queries of one request made
    after the organization's counts were dropped from the cache (the worst case), the
    slowest of them, and its EXPLAIN (ANALYZE, BUFFERS)."""
    from django.db import connection
    from django.test import Client

    from candidates import org_cache
    from candidates.models import Organization, User

    org = Organization.objects.get(slug="demo")
    report = []
    for target in pages:
        members = [USERNAME, MANAGER] if target.key == "today" else [USERNAME]
        for username in members:
            client = Client()
            if target.needs_login:
                client.force_login(User.objects.get(username=username))
            client.get(target.path)  # warm: templates compiled, connection open
            org_cache.invalidate([org.pk])
            captured: list[tuple[float, str, tuple]] = []

            def timer(execute, sql, params, many, context, captured=captured):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    captured.append(((time.perf_counter() - started) * 1000, sql, params))

            with connection.execute_wrapper(timer):
                client.get(target.path)
            cached: list = []
            with connection.execute_wrapper(
                lambda execute, sql, params, many, context, cached=cached: (
                    cached.append(sql) or execute(sql, params, many, context)
                )
            ):
                client.get(target.path)
            entry = {
                "queries": len(captured),
                "cached_queries": len(cached),
                "sql_ms": sum(c[0] for c in captured),
                "member": username,
            }
            if captured:
                ms, sql, params = max(captured, key=lambda c: c[0])
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                entry.update(slowest_ms=ms, sql=_interpolated(sql, params), plan=plan)
            report.append((target, entry))
    return report


def _interpolated(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        try:
            return cursor.mogrify(sql, params)
        except Exception:  # a display nicety only
            return f"{sql}  -- params: {params!r}"


# --- Report -------------------------------------------------------------------------------


@dataclass
class Run:
    target: Target
    clients: int
    result: dict
    bare: dict  # the bare view, driven just before, at the same number of clients

    @property
    def ratio(self) -> float:
        return self.result["rps"] / self.bare["rps"]


def measure(wrk: str, pages: list[Target], cookie: str, clients: list[int], args) -> list[Run]:
    """Each page, warmed up, then at each number of clients right after the bare view at the
    same number of clients: the machine is shared, and a ratio of two runs a minute apart
    would measure the neighbours."""
    bare = next(t for t in pages if t.key == "bare")
    runs = []
    for target in pages:
        if target.key == "bare":
            continue
        status, body = fetch(target.path, cookie)
        if status != 200 or target.expect.encode() not in body:
            raise SystemExit(f"{target.path} answered {status} without {target.expect!r}")
        size = len(body)
        drive(wrk, target, cookie, max(clients), args.warmup)  # every worker and thread
        for n in clients:
            ceiling = drive(wrk, bare, "", n, args.bare_duration)
            r = drive(wrk, target, cookie, n, args.duration)
            if r["non_2xx_3xx"] or r["socket_errors"]:
                say(f"!! {target.name}: {r['non_2xx_3xx']} errors, {r['socket_errors']} socket")
            if abs(r["bytes"] / max(r["requests"], 1) - size) > 0.2 * size + 600:
                say(f"!! {target.name}: the responses are not the page (logged out?)")
            run_ = Run(target, n, r, ceiling)
            runs.append(run_)
            say(
                f"  {target.name:<34} {n} client(s): {r['rps']:6.0f} req/s "
                f"(bare {ceiling['rps']:5.0f}, x{run_.ratio:.2f}), p99 {r['p99'] / 1000:6.1f} ms"
            )
    return runs


def page_2000_against_page_1(wrk: str, pages: list[Target], cookie: str, clients: int, args):
    """Page 1 and page 2,000 of the same list, alternately, five times each: the median
    throughputs, whose ratio is the goal's (a single pair of runs a minute apart measures
    the neighbours as much as the pages)."""
    p1 = next((t for t in pages if t.key == "page1"), None)
    p2000 = next((t for t in pages if t.key == "page2000"), None)
    if not (p1 and p2000):
        return None
    rates: dict[str, list[float]] = {"page1": [], "page2000": []}
    for _ in range(AB_ROUNDS):
        for target in (p1, p2000):
            rates[target.key].append(drive(wrk, target, cookie, clients, args.ab_duration)["rps"])
    medians = {key: statistics.median(values) for key, values in rates.items()}
    shown = {key: [round(v) for v in values] for key, values in rates.items()}
    say(f"  page 1 / page 2,000 at {clients} clients, alternating: {shown}")
    return medians


def table(runs: list[Run]) -> str:
    rows = [("page", "clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "bare req/s", "x bare")]
    for run_ in runs:
        r = run_.result
        rows.append(
            (
                run_.target.name,
                str(run_.clients),
                f"{r['rps']:.0f}",
                f"{r['p50'] / 1000:.1f}",
                f"{r['p95'] / 1000:.1f}",
                f"{r['p99'] / 1000:.1f}",
                f"{run_.bare['rps']:.0f}",
                f"{run_.ratio:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            rule = ["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]]
            lines.append("|" + "|".join(rule) + "|")
    return "\n".join(lines)


def goals(runs: list[Run], clients: int, ab: dict | None) -> list[str]:
    at = [run_ for run_ in runs if run_.clients == clients]
    lines = []

    def say_goal(ok: bool, text: str) -> None:
        lines.append(f"{'met   ' if ok else 'MISSED'}  {text}")

    for run_ in at:
        goal = GOALS.get(run_.target.key)
        if goal:
            say_goal(
                run_.ratio >= goal, f"{run_.target.name}: {run_.ratio:.2f} of bare (goal {goal})"
            )
    if ab:
        relative = ab["page2000"] / ab["page1"]
        say_goal(
            relative >= 0.9,
            f"page 2,000: {relative:.2f} of page 1's throughput (medians of {AB_ROUNDS} "
            f"alternating runs: {ab['page2000']:.0f} and {ab['page1']:.0f} req/s; "
            "goal: within 10%)",
        )
    worst = max(at, key=lambda r: r.result["p99"])
    say_goal(
        worst.result["p99"] / 1000 < P99_LIMIT_MS,
        f"p99 under {P99_LIMIT_MS} ms on every page (worst {worst.result['p99'] / 1000:.0f} ms:"
        f" {worst.target.name})",
    )
    return lines


def report(title: str, runs: list[Run], clients: list[int], ab: dict | None) -> None:
    print()
    print(title)
    print()
    print(table(runs))
    print()
    print(f"Goals at {max(clients)} clients:")
    for line in goals(runs, max(clients), ab):
        print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per page run")
    parser.add_argument("--bare-duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--ab-duration", type=float, default=4.0, help="page 1 / 2,000 runs")
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--only", default="", help="comma-separated page keys")
    parser.add_argument("--skip-uncached", action="store_true", help="skip the second table")
    parser.add_argument("--skip-explain", action="store_true")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    started = time.monotonic()
    wrk = ensure_wrk()
    long_ids = ensure_data(args.candidates)
    pages = targets(long_ids)
    if args.only:
        pages = [p for p in pages if p.key in {"bare", *args.only.split(",")}]

    say("As deployed (docker-compose.yml: Redis, so the organization cache is on):")
    with Server():
        cookie = login(USERNAME)
        cached = measure(wrk, [p for p in pages if p.key != "offset"], cookie, clients, args)
        cached_ab = page_2000_against_page_1(wrk, pages, cookie, max(clients), args)
    uncached, uncached_ab = [], None
    if not args.skip_uncached:
        say("Every view a first view (no Redis: nothing cached, every query runs):")
        with Server(cache=False):
            cookie = login(USERNAME)
            uncached = measure(wrk, pages, cookie, clients, args)
            uncached_ab = page_2000_against_page_1(wrk, pages, cookie, max(clients), args)

    print()
    print(
        f"Recovery benchmark: {args.candidates:,} candidates, gunicorn as docker-compose.yml "
        f"runs it (2 workers x 4 threads), {args.duration:.0f} s per run, wrk from a second "
        f"process, {os.cpu_count()} CPUs shared with PostgreSQL, Redis and wrk. "
        "x bare: throughput over the bare view's, driven just before at the same clients."
    )
    report(
        "As deployed (Redis: counts and rendered fragments cached per organization)",
        cached,
        clients,
        cached_ab,
    )
    if uncached:
        report(
            "Every view a first view (no cache): the cost after each write",
            uncached,
            clients,
            uncached_ab,
        )

    if not args.skip_explain:
        print()
        print("SQL per page (one request after the organization's cache was emptied: all of its")
        print("queries run; then how many remain once cached), slowest query with EXPLAIN ANALYZE")
        for target, entry in slowest_queries(pages, long_ids):
            print()
            print(
                f"## {target.name} ({entry['member'] if target.needs_login else 'anonymous'}): "
                f"{entry['queries']} queries, {entry['sql_ms']:.1f} ms of SQL; "
                f"{entry['cached_queries']} queries once cached"
            )
            if "sql" in entry:
                print(f"slowest: {entry['slowest_ms']:.2f} ms")
                print(entry["sql"])
                print(entry["plan"])
    say(f"\nDone in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
