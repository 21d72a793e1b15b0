"""How fast a real Celery worker emails due reminders, beside how fast the same worker runs a
task that does nothing, measured in the same run on the same broker and database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python benchmarks/reminders_dispatch.py [--reminders 10000] [--concurrency 2]

It creates a throwaway database next to DATABASE_URL's (TEST_DATABASE_NAME, default
`test_reminders_bench`), starts `celery -A recovery worker` on it, and measures:

- no-op: publish N `reminders.tasks.noop` messages and wait until the worker has run them
  all (counted by the worker's own stats): the broker and worker's ceiling;
- reminders: make N reminders due, publish one `dispatch_due` per worker process, and wait
  until all N are emailed (through reminders.backends.DatabaseEmailBackend, which writes
  the message in the transaction that marks the reminder sent: the exactly-once path).

Then it checks that every reminder was emailed exactly once and prints a table. The ratio
reminders/no-op is the figure to quote: it says what the exactly-once bookkeeping (a claim
per batch, one transaction per reminder) costs against Celery's own per-task overhead.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "test_reminders_bench")
os.environ.setdefault("DEBUG", "1")  # no SECRET_KEY needed; DEBUG is off in the worker

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from candidates.models import Candidate, Organization, Role, User  # noqa: E402
from recovery.celery import app  # noqa: E402
from reminders.models import Reminder, State, StoredEmail  # noqa: E402
from reminders.tasks import dispatch_due, noop  # noqa: E402


def database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(concurrency: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "reminders.backends.DatabaseEmailBackend",
        "SECRET_KEY": "benchmark",
        "DEBUG": "0",  # DEBUG keeps every query in memory
        "LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "recovery",
                "worker",
                f"--concurrency={concurrency}",
                "--hostname=reminders-bench@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while b" ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"The worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return process


def tasks_run(name: str) -> int:
    replies = app.control.inspect(timeout=1.0, limit=1).stats() or {}
    return sum(reply.get("total", {}).get(name, 0) for reply in replies.values())


def wait_until(done, timeout: float, what: str, every: float) -> float:
    start = time.perf_counter()
    while not done():
        if time.perf_counter() - start > timeout:
            sys.exit(f"Timed out waiting for {what}.")
        time.sleep(every)
    return time.perf_counter()


def bench_noop(count: int) -> float:
    already = tasks_run(noop.name)
    start = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            noop.apply_async(producer=producer)
    # Asking the worker costs it a little: not too often.
    end = wait_until(
        lambda: tasks_run(noop.name) - already >= count, 600, "the no-op tasks", every=0.2
    )
    return end - start


def make_due(count: int) -> None:
    org = Organization.objects.create(name="Bench Agency", slug="bench")
    user = User.objects.create_user(
        "bench@example.com", "bench@example.com", organization=org, role=Role.RECRUITER
    )
    candidate = Candidate.objects.create(organization=org, email="c@example.com", name="Cand")
    past = timezone.now() - timedelta(minutes=1)
    Reminder.objects.bulk_create(
        (
            Reminder(
                organization=org,
                user=user,
                candidate=candidate,
                title=f"Reminder {n}",
                due_at=past,
                next_attempt_at=past,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )


def bench_reminders(count: int, dispatchers: int, batch_size: int) -> float:
    make_due(count)
    start = time.perf_counter()
    for _ in range(dispatchers):
        dispatch_due.delay(batch_size=batch_size)
    end = wait_until(lambda: StoredEmail.objects.count() >= count, 600, "the reminders", every=0.05)
    return end - start


def check_exactly_once(count: int) -> None:
    duplicates = (
        StoredEmail.objects.values("message_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    sent = Reminder.objects.filter(state=State.SENT).count()
    if duplicates or sent != count or StoredEmail.objects.count() != count:
        sys.exit(f"Not exactly once: {sent} sent, {duplicates} message ids emailed twice.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--noop", type=int, default=None, help="default: as many as reminders")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    noops = args.noop or args.reminders

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    # The worker's stats, which count the no-op tasks, need a broker with remote control.
    if engine != "postgresql" or not settings.REDIS_URL:
        sys.exit("Set DATABASE_URL=postgres://... and REDIS_URL=redis://...")

    old_name = settings.DATABASES["default"]["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    app.control.purge()
    log = Path(tempfile.mkdtemp(prefix="reminders-bench-")) / "worker.log"
    worker = start_worker(args.concurrency, log)
    try:
        noop_seconds = bench_noop(noops)
        reminder_seconds = bench_reminders(args.reminders, args.concurrency, args.batch_size)
        check_exactly_once(args.reminders)
    finally:
        worker.send_signal(signal.SIGTERM)  # the main process stops its pool
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)

    noop_rate = noops / noop_seconds
    reminder_rate = args.reminders / reminder_seconds
    broker = "Redis" if settings.REDIS_URL else "filesystem"
    print(
        f"\nReminder dispatch: {engine} + {broker} broker, one worker, "
        f"--concurrency={args.concurrency}, batches of {args.batch_size}\n"
    )
    print("| measured in the same run                      |  count | seconds |   per second |")
    print("|-----------------------------------------------|-------:|--------:|-------------:|")
    print(
        f"| no-op Celery task (publish, run, ack)         | {noops:>6,} "
        f"| {noop_seconds:>7.2f} | {noop_rate:>12,.0f} |"
    )
    print(
        f"| reminders claimed, emailed, marked sent       | {args.reminders:>6,} "
        f"| {reminder_seconds:>7.2f} | {reminder_rate:>12,.0f} |"
    )
    print(f"\nReminders per second / no-op tasks per second: {reminder_rate / noop_rate:.2f}")
    print("Every reminder was emailed exactly once.")


if __name__ == "__main__":
    main()
