"""The bench data: synthetic candidates in bulk, the members who drive the pages, a few long
histories, and a second organization.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery_bench \\
        .venv/bin/python benchmarks/seed.py --candidates 100000

`make bench` runs it for each of its databases (benchmarks/web.py). It writes:

- the demo organization (`candidates.demo.seed_demo()`, slug `demo`) and in it N synthetic
  candidates (`bench-000001@bench.recovery.test`, ...), about 10 events and 3 risk notes
  each, with bulk inserts and then `services.reevaluate()` per batch: a service call per
  event would take hours;
- `BENCH_MEMBERS` members in that organization (recruiters, headhunters and an admin: every
  one may log events and notes) whose password is `BENCH_PASSWORD`;
- `LONG_HISTORIES` candidates with `LONG_HISTORY_EVENTS` events each, for the candidate page;
- a second organization (slug `bench-other`) with a twentieth as many candidates, so that
  every query has another organization's rows to leave out.

Everything is idempotent: what exists (by email) is left alone, and a larger count adds only
the missing numbers. After writing it runs VACUUM ANALYZE (index-only scans need the
visibility map).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

if __name__ == "__main__":  # a script, like manage.py: the settings from the environment
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
    import django

    django.setup()

from django.db import connection, transaction

from benchmarks.common import (
    BENCH_DOMAIN,
    BENCH_MEMBERS,
    BENCH_PASSWORD,
    LONG_HISTORIES,
    LONG_HISTORY_EVENTS,
    OTHER_ORGANIZATION,
    long_history_email,
    member_username,
)
from candidates import services
from candidates.demo import FORMER_COLLEAGUE, ensure_jobs, seed_demo
from candidates.duplicates import name_key
from candidates.engine import Kind, Reason
from candidates.models import (
    Candidate,
    Event,
    Organization,
    RiskNote,
    Role,
    User,
)

SCHED, ATT, OFFER, HIRED = Kind.SCHEDULED, Kind.ATTENDED, Kind.OFFER_MADE, Kind.HIRED
COMMUTE, ILLNESS, HEART = Reason.COMMUTE, Reason.ILLNESS, Reason.CHANGE_OF_HEART
COMPETING, PAY, PERSONAL = Reason.COMPETING_OFFER, Reason.COMPENSATION, Reason.PERSONAL
UNKNOWN, OTHER = Reason.UNKNOWN, Reason.OTHER

_MEMBER_ROLES = (Role.RECRUITER, Role.RECRUITER, Role.HEADHUNTER, Role.RECRUITER, Role.ADMIN)
OTHER_SLUG = OTHER_ORGANIZATION

# fmt: off
FIRST_NAMES = [
    "Adam", "Alice", "Amir", "Anna", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Daniel", "Dara",
    "Ella", "Emeka", "Eva", "Farah", "Finn", "Gemma", "George", "Hana", "Harry", "Ibrahim",
    "Isla", "Jack", "Jade", "Kai", "Karen", "Leah", "Liam", "Lucia", "Luke", "Maya", "Mohammed",
    "Nadia", "Noah", "Olivia", "Omar", "Paul", "Priya", "Rosa", "Ryan", "Sara", "Sean", "Sofia",
    "Tariq", "Tess", "Tom", "Uma", "Victor", "Wei", "Yusuf", "Zoe",
]
LAST_NAMES = [
    "Ahmed", "Baker", "Bianchi", "Brown", "Campbell", "Chen", "Clarke", "Costa", "Davies",
    "Dubois", "Evans", "Fischer", "Garcia", "Green", "Hall", "Hughes", "Ivanova", "Jackson",
    "Jones", "Kaur", "Khan", "Kowalski", "Lee", "Lewis", "Martin", "Mensah", "Moreau", "Murphy",
    "Nguyen", "Novak", "Okafor", "Patel", "Petrov", "Reid", "Roberts", "Rossi", "Santos", "Shah",
    "Silva", "Singh", "Smith", "Taylor", "Thomas", "Walker", "Ward", "Weber", "White", "Wilson",
    "Wright", "Young",
]
# fmt: on

# How often each misstep happens and with which reasons: commute trouble dominates the
# early-stage kinds, money and other offers the late-stage ones.
MISSTEP_MIX: dict[str, tuple[int, tuple[str, ...]]] = {
    "declined_interview": (25, (COMMUTE, COMMUTE, ILLNESS, PERSONAL, COMPETING)),
    "late": (15, (COMMUTE, COMMUTE, COMMUTE, OTHER)),
    "no_show": (15, (COMMUTE, UNKNOWN, UNKNOWN, PERSONAL, ILLNESS)),
    "blew_interview": (12, (ILLNESS, ILLNESS, PERSONAL, OTHER)),
    "withdrew": (10, (HEART, COMPETING, PERSONAL, PAY)),
    "declined_offer": (10, (PAY, PAY, COMPETING, HEART)),
    "unprepared": (8, (UNKNOWN, OTHER, PERSONAL)),
    "reneged": (5, (COMPETING, COMPETING, PAY, HEART)),
}
_MISSTEP_KINDS = list(MISSTEP_MIX)
_MISSTEP_WEIGHTS = [MISSTEP_MIX[k][0] for k in _MISSTEP_KINDS]
EVENT_TEXT: dict[str, tuple[str, ...]] = {
    COMMUTE: (
        "Train cancelled.",
        "Bus didn't come.",
        "Car trouble.",
        "Roadworks on the ring road.",
    ),
    ILLNESS: ("Heavy cold; on cold medicine.", "Flu.", "Migraine.", "Stomach bug."),
    HEART: ("Decided it wasn't for them.", "Wants to stay put after all."),
    COMPETING: ("Took another offer.", "Counter-offer from current employer."),
    PAY: ("Salary below expectations.", "No car allowance."),
    PERSONAL: ("Childcare fell through.", "Family emergency."),
    UNKNOWN: ("No reason given.", "Ghosted."),
    OTHER: ("A different person from the first round.", "Wrong day in the calendar."),
}
NOTE_TEXT = (
    "Reliable so far.",
    "Long commute; watch early starts.",
    "References mixed.",
    "Keen, communicates well.",
    "Has let us down before.",
    "Story changes between calls.",
    "Needs a reminder the day before.",
)
# Arcs a synthetic history can follow, with how common each is; the engine decides the
# final status (a prefix can shift an arc), so the mix is realistic rather than exact.
ARCS: dict[str, int] = {
    "clean": 20,
    "expired": 10,
    "stumbled": 18,
    "requested": 7,
    "second_chance": 6,
    "refused": 6,
    "recovered": 20,
    "burned_flag": 4,
    "burned_spent": 4,
    "burned_weight": 5,
}
_ARC_NAMES = list(ARCS)
_ARC_WEIGHTS = list(ARCS.values())
DIMENSIONS = ("flakiness", "commute", "trust")


def bench_email(number: int) -> str:
    return f"bench-{number:06d}@{BENCH_DOMAIN}"


@dataclass
class BenchResult:
    created: int = 0
    existing: int = 0
    events: int = 0
    notes: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Pools:
    job_ids: list[int]
    member_ids: list[int]
    authors: list[tuple[int | None, str]]  # (user id or None, email)


# One planned event: (kind, reason, job id or None, notes); dated afterwards.
_Planned = tuple[str, str, int | None, str]


def _misstep(rng: random.Random, job_id: int | None, kind: str | None = None) -> _Planned:
    kind = kind or rng.choices(_MISSTEP_KINDS, _MISSTEP_WEIGHTS)[0]
    reason = rng.choice(MISSTEP_MIX[kind][1])
    return (kind, reason, job_id, rng.choice(EVENT_TEXT[reason]))


def _plain(kind: str, job_id: int | None, notes: str = "") -> _Planned:
    return (kind, "", job_id, notes)


def _good_process(rng: random.Random, job_id: int) -> list[_Planned]:
    steps = [_plain(SCHED, job_id), _plain(ATT, job_id)]
    if rng.random() < 0.25:
        steps += [_plain(OFFER, job_id), _plain(HIRED, job_id)]
    return steps


def _tail(arc: str, rng: random.Random, job: Callable[[], int]) -> list[_Planned]:
    """The recent events that give the arc its status (before the engine has its say)."""
    j = job()
    slip = [_plain(SCHED, j), _misstep(rng, j)]
    ask = _plain(Kind.SECOND_CHANCE_REQUESTED, j, "Asked for another chance.")
    if arc in ("clean", "expired"):
        return _good_process(rng, j)
    if arc == "stumbled":
        return slip
    if arc == "requested":
        return [*slip, ask]
    if arc == "second_chance":
        return [*slip, ask, _plain(Kind.SECOND_CHANCE_GRANTED, j, "One more go.")]
    if arc == "refused":
        return [*slip, ask, _plain(Kind.SECOND_CHANCE_REFUSED, j, "Client said no.")]
    if arc == "recovered":
        if rng.random() < 0.4:
            granted = _plain(Kind.SECOND_CHANCE_GRANTED, j, "One more go.")
            return [*slip, ask, granted, _plain(SCHED, j), _plain(ATT, j)]
        return [*slip, *_good_process(rng, job())]
    if arc == "burned_flag":
        return [*slip, _plain(Kind.DO_NOT_RESUBMIT, None, "Not to be put forward again.")]
    if arc == "burned_spent":
        granted = _plain(Kind.SECOND_CHANCE_GRANTED, j, "Last chance.")
        return [*slip, ask, granted, _plain(SCHED, j), _misstep(rng, j)]
    # burned_weight: a no-show and a reneged offer (or a second no-show) weigh 6 or more.
    k = job()
    second = _misstep(rng, k, rng.choice(["no_show", "reneged"]))
    return [_plain(SCHED, j), _misstep(rng, j, "no_show"), _plain(OFFER, k), second]


def _history(number: int, pools: _Pools, today: date) -> tuple[list[tuple], list[tuple]]:
    """Candidate `number`'s events and notes, the same on every run for the same number and
    day: (kind, reason, job, notes, occurred_on, interview_at, recorded_by) and
    (dimension, level, author id, author email, noted_on, note)."""
    rng = random.Random(number)
    arc = rng.choices(_ARC_NAMES, _ARC_WEIGHTS)[0]

    def job() -> int:
        return rng.choice(pools.job_ids)

    tail = _tail(arc, rng, job)
    planned: list[_Planned] = []
    target = rng.randint(8, 12)
    while len(planned) + len(tail) < target:
        if rng.random() < 0.1:  # an old, light slip somewhere in the past
            j = job()
            planned += [
                _plain(SCHED, j),
                _misstep(rng, j, rng.choice(["late", "declined_interview"])),
            ]
        else:
            planned += _good_process(rng, job())
    planned += tail

    # Date backwards from today: a few days between the steps of one process, weeks between
    # processes; a second chance in motion is recent, and an "expired" slip is over 24 months old.
    day = today - timedelta(days=rng.randint(1, 10 if arc == "second_chance" else 45))
    dated: list[tuple] = []
    for kind, reason, job_id, notes in reversed(planned):
        interview_at = None
        if kind in (SCHED, Kind.SECOND_CHANCE_GRANTED):
            interview_at = datetime.combine(day + timedelta(days=rng.randint(2, 7)), clock(10), UTC)
        recorded_by = rng.choice(pools.member_ids) if pools.member_ids else None
        dated.append((kind, reason, job_id, notes, day, interview_at, recorded_by))
        day -= timedelta(days=rng.randint(2, 9) if kind != SCHED else rng.randint(15, 90))
    dated.reverse()
    if arc == "expired":
        j = job()
        old = today - timedelta(days=rng.randint(760, 1100))
        kind, reason, _, notes = _misstep(rng, j)
        dated.insert(0, (kind, reason, j, notes, old, None, None))

    first_day, last_day = dated[0][4], dated[-1][4]
    span = max((last_day - first_day).days, 1)
    worry = 3 if arc.startswith("burned") or arc == "refused" else 1
    notes_out = []
    for _ in range(rng.randint(2, 4)):
        author_id, author_email = rng.choice(pools.authors)
        level = min(5, max(1, worry + rng.randint(-1, 2)))
        noted_on = first_day + timedelta(days=rng.randint(0, span))
        notes_out.append(
            (
                rng.choice(DIMENSIONS),
                level,
                author_id,
                author_email,
                noted_on,
                rng.choice(NOTE_TEXT),
            )
        )
    return dated, notes_out


def _name(number: int) -> str:
    rng = random.Random(-number)
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _pools(org: Organization) -> _Pools:
    jobs = ensure_jobs(org)
    members = list(
        User.objects.filter(organization=org, is_active=True)
        .order_by("pk")
        .values_list("pk", "email")
    )
    authors: list[tuple[int | None, str]] = [(pk, email) for pk, email in members if email]
    authors += [(None, FORMER_COLLEAGUE), (None, "notes.import@example.org")]
    return _Pools(
        job_ids=sorted(job.pk for job in jobs.values()),
        member_ids=[pk for pk, _ in members],
        authors=authors,
    )


def seed_bench(
    *,
    organization: Organization,
    count: int,
    batch_size: int = 2000,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Make sure candidates bench-000001 .. bench-{count} exist in `organization`.

    Per batch of `batch_size` numbers: one query finds which already exist, three bulk
    inserts write the missing candidates, their events and their notes, and one
    `services.reevaluate()` stores their status, all in one transaction. Running it again
    with the same count adds nothing; a larger count adds only the new numbers.
    """
    today = today or services.today()
    started = time.monotonic()
    result = BenchResult()
    pools = _pools(organization)
    owners = pools.member_ids or [None]
    for start in range(1, count + 1, batch_size):
        numbers = range(start, min(start + batch_size, count + 1))
        emails = {bench_email(n): n for n in numbers}
        existing = set(
            Candidate.objects.filter(organization=organization, email__in=list(emails)).values_list(
                "email", flat=True
            )
        )
        result.existing += len(existing)
        todo = [n for email, n in emails.items() if email not in existing]
        if todo:
            with transaction.atomic():
                _write_batch(organization, todo, pools, owners, today, result)
        if progress:
            done = numbers[-1]
            progress(
                f"{done:>8,}/{count:,} candidates ({done * 100 // count}%): "
                f"{result.created:,} created, {result.existing:,} already there, "
                f"{result.events:,} events, {result.notes:,} notes, "
                f"{time.monotonic() - started:.1f} s"
            )
    result.seconds = time.monotonic() - started
    return result


def _write_batch(
    org: Organization,
    numbers: list[int],
    pools: _Pools,
    owners: list[int | None],
    today: date,
    result: BenchResult,
) -> None:
    candidates = [
        Candidate(
            organization=org,
            email=bench_email(n),
            name=_name(n),
            # A bulk insert skips Candidate.save, which sets the duplicate keys.
            name_key=name_key(_name(n)),
            owner_id=owners[n % len(owners)],
            rating=1 + n % 5,
        )
        for n in numbers
    ]
    # Both backends return the new ids from a bulk insert (SQLite 3.35+, PostgreSQL).
    Candidate.objects.bulk_create(candidates, batch_size=5000)
    events: list[Event] = []
    notes: list[RiskNote] = []
    for number, candidate in zip(numbers, candidates, strict=True):
        dated, noted = _history(number, pools, today)
        events += [
            Event(
                candidate_id=candidate.pk,
                kind=kind,
                reason=reason,
                job_id=job_id,
                notes=text,
                occurred_on=day,
                interview_at=interview_at,
                recorded_by_id=recorded_by,
            )
            for kind, reason, job_id, text, day, interview_at, recorded_by in dated
        ]
        notes += [
            RiskNote(
                candidate_id=candidate.pk,
                dimension=dimension,
                level=level,
                author_id=author_id,
                author_email=author_email,
                noted_on=noted_on,
                note=text,
            )
            for dimension, level, author_id, author_email, noted_on, text in noted
        ]
    Event.objects.bulk_create(events, batch_size=5000)
    RiskNote.objects.bulk_create(notes, batch_size=5000)
    services.reevaluate([c.pk for c in candidates], as_of=today)
    result.created += len(candidates)
    result.events += len(events)
    result.notes += len(notes)


# --- The members, the long histories, the second organization ------------------------------


def ensure_members(organization: Organization, count: int = BENCH_MEMBERS) -> list[User]:
    """`count` members of `organization` who may log events and risk notes, each with the
    bench password; half see the pages in London time, half in UTC."""
    members = []
    for number in range(1, count + 1):
        username = member_username(number)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                email=username,
                first_name="Member",
                last_name=f"{number:02d}",
                organization=organization,
                role=_MEMBER_ROLES[(number - 1) % len(_MEMBER_ROLES)],
                time_zone="Europe/London" if number % 2 else "UTC",
            )
            user.set_password(BENCH_PASSWORD)
            user.save()
        members.append(user)
    return members


def ensure_long_histories(organization: Organization, *, today: date | None = None) -> list[int]:
    """`LONG_HISTORIES` candidates with `LONG_HISTORY_EVENTS` events each (the synthetic ones
    have 8 to 15), written in bulk and evaluated by `services.reevaluate`, like the rest.
    Returns their ids, first to last."""
    today = today or services.today()
    emails = [long_history_email(i) for i in range(1, LONG_HISTORIES + 1)]
    found = dict(
        Candidate.objects.filter(organization=organization, email__in=emails).values_list(
            "email", "pk"
        )
    )
    missing = [e for e in emails if e not in found]
    if missing:
        jobs = list(ensure_jobs(organization).values())
        kinds = [SCHED, ATT, SCHED, ATT, OFFER, Kind.LATE]
        with transaction.atomic():
            for email in missing:
                rng = random.Random(email)
                candidate = services.candidate_create(
                    organization=organization, email=email, name=f"Lena Longhistory {email[13:15]}"
                )
                day = today - timedelta(days=3 * LONG_HISTORY_EVENTS)
                events = []
                for i in range(LONG_HISTORY_EVENTS):
                    kind = kinds[i % len(kinds)]
                    events.append(
                        Event(
                            candidate=candidate,
                            kind=kind,
                            reason=COMMUTE if kind == Kind.LATE else "",
                            job=rng.choice(jobs),
                            occurred_on=day + timedelta(days=3 * i),
                            notes="Steady, turned up on time." if kind == ATT else "",
                        )
                    )
                Event.objects.bulk_create(events)
                RiskNote.objects.bulk_create(
                    RiskNote(
                        candidate=candidate,
                        dimension=dimension,
                        level=rng.randint(1, 4),
                        author_email=FORMER_COLLEAGUE,
                        noted_on=day + timedelta(days=20 * i),  # all in the past
                    )
                    for i, dimension in enumerate(DIMENSIONS * 3)
                )
                services.reevaluate([candidate.pk], as_of=today)
                found[email] = candidate.pk
    return [found[e] for e in emails]


@dataclass
class Seeded:
    organization: Organization
    members: list[User]
    long_history_ids: list[int]
    created: int  # rows of candidates written by this run, in both organizations


def ensure(
    *, candidates: int, batch_size: int = 2000, progress: Callable[[str], None] | None = None
) -> Seeded:
    """Everything the benchmark needs, written when missing (see the module docstring)."""
    organization = seed_demo().organization
    members = ensure_members(organization)
    created = seed_bench(
        organization=organization, count=candidates, batch_size=batch_size, progress=progress
    ).created
    long_ids = ensure_long_histories(organization)
    other = Organization.objects.filter(slug=OTHER_SLUG).first()
    if other is None:
        other = Organization.objects.create(slug=OTHER_SLUG, name="Other Bench Agency")
    created += seed_bench(
        organization=other, count=max(candidates // 20, 1), batch_size=batch_size
    ).created
    return Seeded(organization, members, long_ids, created)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000, metavar="N")
    parser.add_argument("--batch-size", type=int, default=2000, help="candidates a transaction")
    args = parser.parse_args()
    if args.candidates < 1 or args.batch_size < 1:
        raise SystemExit("--candidates and --batch-size must be at least 1")

    started = time.monotonic()
    seeded = ensure(
        candidates=args.candidates,
        batch_size=args.batch_size,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    with connection.cursor() as cursor:
        # A fresh seed needs the visibility map (index-only scans); otherwise fresh statistics.
        cursor.execute("VACUUM ANALYZE" if seeded.created else "ANALYZE")
    print(
        f"{seeded.organization.slug}: {args.candidates:,} synthetic candidates "
        f"({seeded.created:,} written now), {len(seeded.members)} members "
        f"({member_username(1)} .. {member_username(len(seeded.members))}, password "
        f"{BENCH_PASSWORD}), {len(seeded.long_history_ids)} long histories; "
        f"{time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
