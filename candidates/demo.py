# ruff: noqa: E501 -- the stories are a table of prose: one step a line reads best.
"""Demo data: a believable agency to click through.

`seed_demo()` writes "Brightside Recruitment" (slug `demo`): four members (one per role), a
platform superuser for the Django admin, five clients with jobs in every state, and about
fifty hand-written candidate histories that cover every recovery status several times. Each
history goes through the services (never a direct write to events), with dates counted back
from today so that the demo stays current whenever it is seeded.

It is idempotent: a candidate whose email already exists is left alone. The synthetic
volume for performance work is benchmarks/seed.py's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from reminders import services as reminder_services
from reminders.models import OPEN_STATES, Reminder

from . import services
from .engine import Kind, Reason, RejectionReason, Status
from .models import Candidate, Client, Job, JobState, Organization, Role, User

DEMO_SLUG = "demo"
DEMO_NAME = "Brightside Recruitment"
# Printed by `seed_demo` (so by `make run`): a published password, for demo sites only.
DEMO_PASSWORD = "second-chance-demo"  # noqa: S105
DEMO_TIME_ZONE = "Europe/London"
SUPERUSER_USERNAME = "admin"

# Role key -> (username = email, first name, last name, role).
MEMBERS: dict[str, tuple[str, str, str, str]] = {
    "recruiter": ("recruiter@demo.recovery.test", "Priya", "Shah", Role.RECRUITER),
    "headhunter": ("headhunter@demo.recovery.test", "Tom", "Becker", Role.HEADHUNTER),
    "manager": ("manager@demo.recovery.test", "Maria", "Lopez", Role.MANAGER),
    "orgadmin": ("orgadmin@demo.recovery.test", "Sam", "Okafor", Role.ADMIN),
}
# Notes imported from a former colleague's spreadsheet: an author without an account.
FORMER_COLLEAGUE = "jo.hughes@example.org"

# Client -> [(job key, title, hiring manager, state)].
CLIENTS: dict[str, list[tuple[str, str, str, str]]] = {
    "Northgate Logistics": [
        ("forklift_nights", "Forklift operator (nights)", "Dave Pritchard", JobState.OPEN),
        ("forklift_days", "Forklift operator (days)", "Dave Pritchard", JobState.ON_HOLD),
        ("warehouse_lead", "Warehouse team leader", "Karen Holt", JobState.FILLED),
        ("picker", "Picker packer", "Karen Holt", JobState.OPEN),
    ],
    "Harbour Bank": [
        ("compliance", "Compliance analyst", "Olivia Grant", JobState.OPEN),
        ("relationship", "Relationship manager", "Marcus Bell", JobState.CLOSED),
        ("adviser", "Customer service adviser", "Marcus Bell", JobState.FILLED),
    ],
    "St Mary's Hospital": [
        ("icu_nurse", "Staff nurse (ICU)", "Anne Murphy", JobState.OPEN),
        ("ward_clerk", "Ward clerk", "Ian Fraser", JobState.FILLED),
        ("hca", "Healthcare assistant", "Anne Murphy", JobState.OPEN),
    ],
    "Lumen Software": [
        ("backend", "Backend engineer (Python)", "Chloe Park", JobState.OPEN),
        ("eng_manager", "Engineering manager", "Raj Menon", JobState.ON_HOLD),
        ("qa", "QA engineer", "Chloe Park", JobState.CLOSED),
        ("support", "Support engineer", "Raj Menon", JobState.OPEN),
    ],
    "Greenfield Foods": [
        ("store_manager", "Store manager", "Helen Carter", JobState.OPEN),
        ("driver", "Delivery driver", "Gary Moss", JobState.OPEN),
    ],
}


# --- The steps of a hand-written history ---------------------------------------------------
# `ago` counts days back from the day the demo is seeded. `by` is a member's role key (see
# MEMBERS) or, for notes, an email without an account.


@dataclass(frozen=True)
class _Ctx:
    today: date
    users: dict[str, User]
    jobs: dict[str, Job]

    def day(self, ago: int) -> date:
        return self.today - timedelta(days=ago)

    def job(self, key: str | None) -> Job | None:
        return self.jobs[key] if key else None

    def interview(self, days_ahead: int) -> datetime:
        day = self.today + timedelta(days=days_ahead)
        return datetime.combine(day, clock(10, 0), ZoneInfo(DEMO_TIME_ZONE))


@dataclass(frozen=True)
class Ev:
    """A plain event: interviews, offers, hires and missteps (with their reason)."""

    ago: int
    kind: str
    job: str | None = None
    reason: str = ""
    notes: str = ""
    by: str = "recruiter"
    # For a scheduled interview: the day it takes place (days ago); set by `_with_interviews`.
    interview_ago: int | None = None
    # An admin letting a guarded action through for a burned candidate: why (an `override`).
    override: str = ""

    def write(self, ctx: _Ctx, candidate: Candidate) -> None:
        services.event_log(
            candidate=candidate,
            kind=self.kind,
            occurred_on=ctx.day(self.ago),
            reason=self.reason,
            notes=self.notes,
            job=ctx.job(self.job),
            recorded_by=ctx.users[self.by],
            interview_at=(
                ctx.interview(-self.interview_ago)
                if self.kind == Kind.SCHEDULED and self.interview_ago is not None
                else None
            ),
            override_reason=self.override,
        )


@dataclass(frozen=True)
class Ask:
    """The candidate asks for a second chance; `pitch` is what they said."""

    ago: int
    pitch: str
    job: str | None = None
    by: str = "recruiter"

    def write(self, ctx: _Ctx, candidate: Candidate) -> None:
        services.second_chance_request(
            candidate=candidate,
            pitch=self.pitch,
            job=ctx.job(self.job),
            recorded_by=ctx.users[self.by],
            occurred_on=ctx.day(self.ago),
        )


def _decide(ctx: _Ctx, candidate: Candidate, step: Grant | Refuse, at: datetime | None) -> None:
    services.second_chance_decide(
        candidate=candidate,
        grant=isinstance(step, Grant),
        note=step.note,
        job=ctx.job(step.job),
        decided_by=ctx.users[step.by],
        occurred_on=ctx.day(step.ago),
        interview_at=at,
    )


@dataclass(frozen=True)
class Grant:
    """A second chance granted; the interview is `interview_in` days from today, or (left
    out) a few days after the decision."""

    ago: int
    note: str
    job: str | None = None
    interview_in: int | None = None
    by: str = "manager"

    def write(self, ctx: _Ctx, candidate: Candidate) -> None:
        days_ahead = self.interview_in if self.interview_in is not None else 4 - self.ago
        _decide(ctx, candidate, self, ctx.interview(days_ahead))


@dataclass(frozen=True)
class Refuse:
    ago: int
    note: str
    job: str | None = None
    by: str = "manager"

    def write(self, ctx: _Ctx, candidate: Candidate) -> None:
        _decide(ctx, candidate, self, None)


@dataclass(frozen=True)
class Flag:
    ago: int
    reason: str
    by: str = "headhunter"

    def write(self, ctx: _Ctx, candidate: Candidate) -> None:
        services.flag_set(
            candidate=candidate,
            reason=self.reason,
            recorded_by=ctx.users[self.by],
            occurred_on=ctx.day(self.ago),
        )


@dataclass(frozen=True)
class Clear:
    ago: int
    reason: str
    by: str = "manager"

    def write(self, ctx: _Ctx, candidate: Candidate) -> None:
        services.flag_clear(
            candidate=candidate,
            reason=self.reason,
            recorded_by=ctx.users[self.by],
            occurred_on=ctx.day(self.ago),
        )


@dataclass(frozen=True)
class Note:
    """A risk note: dimension, level 1 (no concern) to 5 (serious concern), text."""

    ago: int
    dimension: str
    level: int
    note: str
    by: str = "recruiter"

    def write(self, ctx: _Ctx, candidate: Candidate) -> None:
        author = ctx.users.get(self.by)
        services.risk_note_add(
            candidate=candidate,
            dimension=self.dimension,
            level=self.level,
            author=author,
            author_email="" if author else self.by,
            noted_on=ctx.day(self.ago),
            note=self.note,
        )


Step = Ev | Ask | Grant | Refuse | Flag | Clear | Note


@dataclass(frozen=True)
class Story:
    name: str
    email: str
    expect: Status  # what the story is written to show; tests hold the seed to it
    steps: tuple[Step, ...] = ()
    owner: str = "recruiter"
    rating: int | None = 3
    phone: str = ""


S = Status
SCHED, ATT, OFFER, HIRED = Kind.SCHEDULED, Kind.ATTENDED, Kind.OFFER_MADE, Kind.HIRED
COMMUTE, ILLNESS, HEART = Reason.COMMUTE, Reason.ILLNESS, Reason.CHANGE_OF_HEART
COMPETING, PAY, PERSONAL = Reason.COMPETING_OFFER, Reason.COMPENSATION, Reason.PERSONAL
UNKNOWN, OTHER = Reason.UNKNOWN, Reason.OTHER
SUBMIT, REJECTED, LEFT_EARLY = Kind.SUBMITTED, Kind.REJECTED, Kind.LEFT_EARLY
R = RejectionReason

# One story per candidate, oldest step first. `fmt: off` keeps one step a line: it is a table.
# fmt: off
STORIES: tuple[Story, ...] = (
    # --- clean: no live misstep (some never slipped, some slipped over 24 months ago) -----
    Story("Aisha Khan", "aisha.khan@example.com", S.CLEAN, (
        Ev(40, SCHED, "icu_nurse"),
        Ev(33, ATT, "icu_nurse", notes="Strong on sepsis protocols; Anne wants her."),
        Ev(20, OFFER, "icu_nurse"),
        Ev(12, HIRED, "icu_nurse", notes="Starts on the ICU rota next month."),
        Note(30, "flakiness", 1, "Returns every call the same day."),
    ), rating=5),
    Story("Daniel Okoro", "daniel.okoro@example.com", S.CLEAN, (
        Ev(25, SCHED, "backend"),
        Ev(18, ATT, "backend", notes="Good pairing session; second round booked."),
        Ev(6, SCHED, "backend"),
    ), owner="headhunter", rating=4),
    Story("Sophie Turner", "sophie.turner@example.net", S.CLEAN, (
        Ev(830, OFFER, "adviser"),
        Ev(820, "declined_offer", "adviser", PAY, "Wanted £2k more than the band allowed."),
        Ev(60, SCHED, "compliance"),
        Ev(52, ATT, "compliance", notes="Olivia liked her AML experience."),
        Ev(10, SCHED, "compliance"),
    ), rating=4),
    Story("Grzegorz Wiśniewski", "grzegorz.wisniewski@example.com", S.CLEAN, (
        Ev(95, SCHED, "forklift_days"),
        Ev(90, ATT, "forklift_days", notes="Counterbalance and reach licences, both current."),
        Ev(85, OFFER, "forklift_days"),
        Ev(80, HIRED, "forklift_days"),
        Note(92, "commute", 1, "Drives; lives ten minutes from the Northgate depot."),
    )),
    Story("Emily Chen", "emily.chen@example.com", S.CLEAN, (
        Ev(14, SCHED, "backend"),
        Ev(9, ATT, "backend", notes="Clear thinker; a bit quiet in the group exercise."),
        Note(9, "trust", 1, "References checked out word for word.", by="headhunter"),
    ), owner="headhunter", rating=4),
    Story("Liam O'Connor", "liam.oconnor@example.com", S.CLEAN, (), rating=None),
    Story("Fatima Zahra Benali", "fatima.benali@example.org", S.CLEAN, (
        Ev(785, SCHED, "store_manager"),
        Ev(780, "no_show", "store_manager", ILLNESS, "In hospital; her partner called a day later."),
        Ev(45, SCHED, "store_manager"),
        Ev(40, ATT, "store_manager", notes="Has run a store twice the size."),
        Note(45, "flakiness", 2, "One old no-show, long explained.", by=FORMER_COLLEAGUE),
    ), rating=4),
    Story("Jack Robinson", "jack.robinson@example.com", S.CLEAN, (
        Ev(3, SCHED, "support"),
    ), owner="headhunter"),
    Story("Hannah Schmidt", "hannah.schmidt@example.de", S.CLEAN, (
        Ev(215, SCHED, "ward_clerk"),
        Ev(210, ATT, "ward_clerk"),
        Ev(200, HIRED, "ward_clerk", notes="Placed; Ian says she runs the ward desk."),
    ), rating=5),
    # --- stumbled: a live misstep, no second chance in motion -----------------------------
    Story("Kwame Mensah", "kwame.mensah@example.com", S.STUMBLED, (
        Ev(12, SCHED, "forklift_nights"),
        Ev(10, "no_show", "forklift_nights", COMMUTE, "Night bus cancelled; he called the next morning."),
        Note(10, "commute", 4, "Two buses to Northgate at night and no car."),
    )),
    Story("Chloé Martin", "chloe.martin@example.fr", S.STUMBLED, (
        Ev(30, SCHED, "backend"),
        Ev(28, "blew_interview", "backend", ILLNESS, "Heavy cold; on cold medicine and lost in the system design."),
        Note(27, "flakiness", 2, "Should have rescheduled; otherwise dependable.", by="headhunter"),
    ), owner="headhunter", rating=4),
    Story("Ryan Walsh", "ryan.walsh@example.com", S.STUMBLED, (
        Ev(9, SCHED, "compliance"),
        Ev(5, "declined_interview", "compliance", COMMUTE, "Train strike; cancelled the evening before."),
    )),
    Story("Olga Petrova", "olga.petrova@example.com", S.STUMBLED, (
        Ev(75, SCHED, "icu_nurse"),
        Ev(70, ATT, "icu_nurse"),
        Ev(60, OFFER, "icu_nurse"),
        Ev(55, "declined_offer", "icu_nurse", PAY, "Night allowance below what her current trust pays."),
    ), rating=4),
    Story("Ben Carter", "ben.carter@example.com", S.STUMBLED, (
        Ev(22, SCHED, "picker"),
        Ev(20, "late", "picker", COMMUTE, "45 minutes late: roadworks on the A45."),
    ), rating=2),
    Story("Nadia Haddad", "nadia.haddad@example.com", S.STUMBLED, (
        Ev(55, SCHED, "eng_manager"),
        Ev(50, ATT, "eng_manager"),
        Ev(40, "withdrew", "eng_manager", COMPETING, "Stayed after her employer matched the offer."),
        Note(40, "trust", 2, "Upfront about the counter-offer.", by="headhunter"),
    ), owner="headhunter", rating=5),
    Story("Tomasz Zieliński", "tomasz.zielinski@example.com", S.STUMBLED, (
        Ev(300, "declined_interview", "forklift_days", COMMUTE, "Car in the garage."),
        Ev(255, SCHED, "forklift_days"),
        Ev(250, ATT, "forklift_days"),
        Ev(17, SCHED, "forklift_nights"),
        Ev(15, "late", "forklift_nights", COMMUTE, "Twenty minutes late; went to the wrong gate."),
        Note(15, "commute", 3, "Commute trouble twice now."),
    )),
    Story("Grace Adeyemi", "grace.adeyemi@example.com", S.STUMBLED, (
        Ev(50, SCHED, "hca"),
        Ev(45, ATT, "hca", notes="Warm, good with the patient scenario."),
        Ev(35, "unprepared", "hca", UNKNOWN, "Second round: didn't know the role was on wards; a different person from the phone screen."),
        Note(35, "trust", 3, "Hard to square with how she came across first time."),
    )),
    # --- requested: a misstep, then the candidate asked for another chance -----------------
    Story("Marcus Johnson", "marcus.johnson@example.com", S.REQUESTED, (
        Ev(21, SCHED, "forklift_nights"),
        Ev(19, "no_show", "forklift_nights", PERSONAL, "Childcare fell through and his phone died."),
        Note(18, "flakiness", 3, "First no-show in four placements."),
        Ask(4, "My sister now has the kids on my night shifts. Can I have another go at the nights role?", "forklift_nights"),
    )),
    Story("Isabel Costa", "isabel.costa@example.pt", S.REQUESTED, (
        Ev(18, SCHED, "backend"),
        Ev(16, "blew_interview", "backend", ILLNESS, "Fever; could barely talk through the take-home."),
        Ask(9, "I was ill and should have moved it. I'd like to redo the technical round.", "backend", by="headhunter"),
    ), owner="headhunter", rating=4),
    Story("Ahmed Hassan", "ahmed.hassan@example.com", S.REQUESTED, (
        Ev(27, SCHED, "compliance"),
        Ev(25, "declined_interview", "compliance", COMMUTE, "Cancelled: the office move put Harbour Bank 90 minutes away."),
        Ask(20, "I've found a route with one change, and I can do the hybrid pattern.", "compliance"),
    )),
    Story("Laura Rossi", "laura.rossi@example.it", S.REQUESTED, (
        Ev(70, SCHED, "icu_nurse"),
        Ev(66, ATT, "icu_nurse"),
        Ev(60, "withdrew", "icu_nurse", PERSONAL, "Family move to Leeds."),
        Ask(7, "The move is off; I'm still keen on St Mary's ICU.", "icu_nurse"),
    ), rating=5),
    Story("Connor Byrne", "connor.byrne@example.ie", S.REQUESTED, (
        Ev(13, SCHED, "support"),
        Ev(11, "late", "support", COMMUTE, "Missed his connection at Birmingham New Street."),
        Ask(10, "I'll travel the night before next time.", "support"),
    ), owner="headhunter"),
    Story("Mei Lin", "mei.lin@example.com", S.REQUESTED, (
        Ev(48, ATT, "store_manager"),
        Ev(44, OFFER, "store_manager"),
        Ev(40, "declined_offer", "store_manager", PAY, "Wanted a car allowance."),
        Ask(3, "Her employer cut her hours; she'd like to reopen talks.", "store_manager"),
    ), rating=4),
    # --- second chance: granted, and the interview is in the next few days -----------------
    Story("Piotr Kowalski", "piotr.kowalski@example.com", S.SECOND_CHANCE, (
        Ev(34, SCHED, "forklift_nights"),
        Ev(32, "no_show", "forklift_nights", COMMUTE, "Car broke down on the A5; no call."),
        Note(30, "commute", 4, "Relies on one old car for a 25-mile commute."),
        Note(29, "commute", 3, "Has a lift share lined up now.", by="headhunter"),
        Ask(12, "Car's fixed and I've got a lift share as backup. I'll call if anything goes wrong.", "forklift_nights"),
        Grant(5, "One more go. Dave asks that he rings the gatehouse if he is running late.", "forklift_nights", interview_in=2),
    ), rating=4),
    Story("Sarah Whitfield", "sarah.whitfield@example.com", S.SECOND_CHANCE, (
        Ev(47, SCHED, "backend"),
        Ev(45, "blew_interview", "backend", ILLNESS, "Cold medicine: slow and foggy in the pairing exercise."),
        Ask(30, "I was full of cold medicine. I'd love to pair again when I can think.", "backend", by="headhunter"),
        Grant(6, "Chloe agreed: same exercise, fresh day.", "backend", interview_in=3),
    ), owner="headhunter", rating=5),
    Story("Jamal Reid", "jamal.reid@example.com", S.SECOND_CHANCE, (
        Ev(22, SCHED, "compliance"),
        Ev(20, "declined_interview", "compliance", COMMUTE, "Cancelled with a day's notice: rail replacement buses."),
        Ask(14, "I can come in on any day without engineering works.", "compliance"),
        Grant(2, "Olivia will see him on a video call first.", "compliance", interview_in=5),
    )),
    Story("Ana Ferreira", "ana.ferreira@example.pt", S.SECOND_CHANCE, (
        Ev(30, SCHED, "hca"),
        Ev(28, "late", "hca", COMMUTE, "Thirty minutes late; the hospital car park was full."),
        Ask(21, "I'll take the park-and-ride this time.", "hca"),
        Grant(3, "Anne is happy to see her again.", "hca", interview_in=1),
    ), rating=4),
    Story("Oliver Bennett", "oliver.bennett@example.co.uk", S.SECOND_CHANCE, (
        Ev(100, ATT, "eng_manager"),
        Ev(90, "withdrew", "eng_manager", COMPETING, "Took a role at a fintech; it folded within two months."),
        Ask(15, "The fintech folded. Lumen was my first choice.", "eng_manager", by="headhunter"),
        Note(15, "trust", 2, "Straight with us about why he left.", by="headhunter"),
        Grant(4, "Raj will meet him, though the role is on hold.", "eng_manager", interview_in=6),
    ), owner="headhunter", rating=5),
    Story("Zainab Mohammed", "zainab.mohammed@example.com", S.SECOND_CHANCE, (
        Ev(80, ATT, "icu_nurse"),
        Ev(75, OFFER, "icu_nurse"),
        Ev(70, "declined_offer", "icu_nurse", PERSONAL, "Caring for her mother; couldn't do nights."),
        Ask(10, "My brother has moved in with Mum; I can do the rota now.", "icu_nurse"),
        Grant(1, "Anne will see her this week.", "icu_nurse", interview_in=4),
    ), rating=5),
    # --- refused: a second chance was asked for and turned down ---------------------------
    Story("Kevin Doyle", "kevin.doyle@example.com", S.REFUSED, (
        Ev(62, SCHED, "forklift_days"),
        Ev(60, "no_show", "forklift_days", UNKNOWN, "Ghosted: no answer to three calls."),
        Note(59, "flakiness", 4, "No explanation, ever."),
        Note(41, "trust", 3, "Story changed between calls.", by="headhunter"),
        Ask(40, "Had a rough patch. I want to get back to work.", "forklift_days"),
        Refuse(35, "Dave won't see him again this quarter.", "forklift_days"),
    ), rating=2),
    Story("Elena Popescu", "elena.popescu@example.ro", S.REFUSED, (
        Ev(130, OFFER, "relationship"),
        Ev(120, "reneged", "relationship", COMPETING, "Accepted, then took a counter-offer a week before her start date."),
        Note(119, "trust", 4, "Reneged with a week to go.", by="orgadmin"),
        Ask(90, "I regret it; the counter-offer was a mistake.", "relationship"),
        Refuse(85, "Harbour Bank said no after the reneged start.", "relationship"),
    ), owner="headhunter", rating=4),
    Story("Samuel Owusu", "samuel.owusu@example.com", S.REFUSED, (
        Ev(60, SCHED, "backend"),
        Ev(56, ATT, "backend", notes="Excellent first round."),
        Ev(50, "unprepared", "backend", OTHER, "Final round: a different person from the first interview; couldn't explain his own project."),
        Note(49, "trust", 4, "Chloe suspects a stand-in on the video round.", by="headhunter"),
        Note(48, "trust", 3, "Seen this pattern before with other agencies.", by=FORMER_COLLEAGUE),
        Ask(30, "I was nervous. Let me walk Chloe through the project properly.", "backend", by="headhunter"),
        Refuse(25, "Chloe doubts it was him in the first round.", "backend"),
    ), owner="headhunter"),
    Story("Rachel Amos", "rachel.amos@example.com", S.REFUSED, (
        Ev(70, "declined_interview", "store_manager", COMMUTE, "Bus strike."),
        Ev(50, "declined_interview", "store_manager", COMMUTE, "Bus strike again."),
        Note(50, "commute", 4, "No car; the store is off the bus routes at weekends."),
        Ask(30, "The strike is over; please put me forward again.", "store_manager"),
        Refuse(28, "Helen has filled the interview slots she had.", "store_manager"),
    )),
    Story("Viktor Horváth", "viktor.horvath@example.hu", S.REFUSED, (
        Ev(42, SCHED, "picker"),
        Ev(40, "late", "picker", COMMUTE, "An hour late on a 7am start."),
        Ask(30, "Wrong shift time in my phone. It won't happen again.", "picker"),
        Refuse(29, "Karen says punctuality is the whole job.", "picker"),
    ), rating=2),
    Story("Priyanka Nair", "priyanka.nair@example.in", S.REFUSED, (
        Ev(110, ATT, "qa"),
        Ev(100, "withdrew", "qa", PAY, "Salary band too low after the second round."),
        Ask(60, "I'd take the band now.", "qa", by="headhunter"),
        Refuse(55, "The QA role is closed; nothing to put her forward for.", "qa"),
    ), owner="headhunter", rating=4),
    # --- recovered: after the last misstep the candidate attended or was hired ------------
    Story("Jordan Price", "jordan.price@example.com", S.RECOVERED, (
        Ev(152, SCHED, "forklift_nights"),
        Ev(150, "no_show", "forklift_nights", COMMUTE, "Missed the last bus."),
        Note(150, "commute", 3, "Was two buses away; has moved since."),
        Ask(130, "I've moved closer to the depot.", "forklift_nights"),
        Grant(125, "Dave will see him.", "forklift_nights"),
        Ev(121, ATT, "forklift_nights", notes="Early, sharp, and apologised to Dave."),
        Ev(110, HIRED, "forklift_nights"),
        Note(110, "commute", 1, "Walks to the depot now.", by="headhunter"),
    ), rating=4),
    Story("Lucy Evans", "lucy.evans@example.com", S.RECOVERED, (
        Ev(82, SCHED, "backend"),
        Ev(80, "blew_interview", "backend", ILLNESS, "Cold medicine; couldn't follow the whiteboard."),
        Ev(45, SCHED, "support"),
        Ev(40, ATT, "support", notes="Back to her best."),
    ), owner="headhunter", rating=4),
    Story("Mohammed Ali", "mohammed.ali@example.com", S.RECOVERED, (
        Ev(200, "declined_interview", "icu_nurse", ILLNESS, "Flu; cancelled the morning before."),
        Ev(155, SCHED, "icu_nurse"),
        Ev(150, ATT, "icu_nurse"),
        Ev(140, HIRED, "icu_nurse"),
    ), rating=5),
    Story("Hugo Lambert", "hugo.lambert@example.fr", S.RECOVERED, (
        Ev(310, OFFER, "relationship"),
        Ev(300, "declined_offer", "relationship", PAY, "Bonus structure too thin."),
        Ask(250, "I'd reconsider Harbour Bank for the right role.", "relationship"),
        Refuse(245, "Marcus has moved on."),
        Ev(65, SCHED, "compliance"),
        Ev(60, ATT, "compliance", notes="Olivia: sharp, knows the regulations."),
    ), owner="headhunter", rating=4),
    Story("Stella Nwosu", "stella.nwosu@example.com", S.RECOVERED, (
        Ev(32, SCHED, "hca"),
        Ev(30, "late", "hca", COMMUTE, "Fifteen minutes late: ward 7 is a long walk."),
        Ev(22, ATT, "hca"),
        Ev(15, OFFER, "hca"),
    )),
    Story("Erik Lindqvist", "erik.lindqvist@example.se", S.RECOVERED, (
        Ev(400, "withdrew", "eng_manager", PERSONAL, "Pulled out the day before the final round."),
        Flag(390, "Withdrew twice in one month with two clients; hold off."),
        Note(390, "flakiness", 4, "Two withdrawals in a month.", by="headhunter"),
        Clear(200, "Spoke with him at length: the family situation is resolved."),
        Note(200, "flakiness", 2, "Resolved; steady since.", by="orgadmin"),
        Ev(125, SCHED, "eng_manager"),
        Ev(120, ATT, "eng_manager"),
    ), owner="headhunter", rating=4),
    Story("Amira Saleh", "amira.saleh@example.com", S.RECOVERED, (
        Ev(500, "no_show", "ward_clerk", ILLNESS, "Migraine; called two days later."),
        Ev(485, SCHED, "ward_clerk"),
        Ev(480, ATT, "ward_clerk"),
        Note(480, "flakiness", 2, "Migraines: ask her to call early."),
    )),
    Story("Patrick Murphy", "patrick.murphy@example.ie", S.RECOVERED, (
        Ev(175, OFFER, "forklift_days"),
        Ev(165, "reneged", "forklift_days", COMPETING, "Accepted, then took a job at a rival depot."),
        Note(165, "trust", 4, "Reneged with a start date agreed.", by="orgadmin"),
        Ask(100, "The rival depot closed. I'd work for Northgate on any shift.", "forklift_nights"),
        Grant(95, "Dave will see him for nights only.", "forklift_nights"),
        Note(95, "trust", 3, "Better, but watch him.", by="headhunter"),
        Ev(91, ATT, "forklift_nights"),
    )),
    # --- the employer's no: rejected, reconsidered, and (seed-001) hired after all ---------
    Story("Nia Campbell", "nia.campbell@example.com", S.RECOVERED, (
        Ev(75, SUBMIT, "compliance", by="headhunter", notes="Strong AML background; Olivia asked for more like her."),
        Ev(70, SCHED, "compliance"),
        Ev(65, ATT, "compliance", notes="First round went well."),
        Ev(55, SCHED, "compliance"),
        Ev(50, ATT, "compliance", notes="Final round with Olivia and the head of risk."),
        Ev(48, REJECTED, "compliance", R.ANOTHER_CANDIDATE, "Turned down after the final round: another candidate had more regulatory reporting."),
        Ask(45, "I respect your decision, but I'd love another chance to show how my skills align with your needs.", "compliance", by="headhunter"),
        Grant(42, "Olivia will see her again: the other candidate withdrew.", "compliance"),
        Ev(38, ATT, "compliance", notes="Brought a worked example of a regulatory return."),
        Ev(30, HIRED, "compliance", notes="Reconsidered and hired."),
    ), owner="headhunter", rating=5),
    Story("Oliver Hughes", "oliver.hughes@example.com", S.REJECTED, (
        Ev(30, SUBMIT, "support", by="headhunter"),
        Ev(25, SCHED, "support"),
        Ev(20, ATT, "support"),
        Ev(15, REJECTED, "support", R.EXPERIENCE, "Raj wants two years on a service desk; he has one."),
    ), owner="headhunter", rating=3),
    Story("Priyanka Iyer", "priyanka.iyer@example.com", S.REJECTED, (
        Ev(12, SUBMIT, "backend", by="headhunter"),
        Ev(8, REJECTED, "backend", R.SKILLS, "CV screen: no Django yet."),
    ), owner="headhunter", rating=3),
    Story("Mateo Rossi", "mateo.rossi@example.it", S.REJECTED, (
        Ev(800, "late", "driver", COMMUTE, "Roadworks; long ago."),
        Ev(40, SUBMIT, "store_manager"),
        Ev(35, ATT, "store_manager"),
        Ev(33, REJECTED, "store_manager", R.FIT, "Helen wants someone who has run a night shift."),
    )),
    Story("Zara Ahmed", "zara.ahmed@example.com", S.REQUESTED, (
        Ev(20, SUBMIT, "hca"),
        Ev(14, ATT, "hca"),
        Ev(10, REJECTED, "hca", R.ANOTHER_CANDIDATE, "Anne chose an internal candidate."),
        Ask(6, "I'd still love to work on ward 7: could Anne keep me in mind for the next opening?", "hca"),
    )),
    Story("Callum Reid", "callum.reid@example.com", S.STUMBLED, (
        Ev(120, SUBMIT, "driver"),
        Ev(110, ATT, "driver"),
        Ev(100, HIRED, "driver"),
        Ev(60, LEFT_EARLY, "driver", PERSONAL, "Left in week six of the twelve-week guarantee."),
    ), rating=2),
    # --- burned: a flag stands, a second chance was spent, or missteps weigh 6 or more ----
    Story("Dean Harper", "dean.harper@example.com", S.BURNED, (
        Ev(92, SCHED, "forklift_nights"),
        Ev(90, "no_show", "forklift_nights", UNKNOWN, "No call, no answer."),
        Flag(85, "Abusive on the phone to the Northgate gatehouse afterwards."),
        Note(85, "trust", 5, "Gatehouse complaint on file.", by="orgadmin"),
    ), rating=1),
    Story("Wayne Doyle", "wayne.doyle@example.com", S.BURNED, (
        Ev(200, "no_show", "picker", UNKNOWN, "No call."),
        Flag(190, "Two sites refused him after the no-show."),
        Ev(9, SUBMIT, "picker", by="orgadmin", override="Karen asked for him by name for the peak season: her call, on the record."),
    ), rating=2),
    Story("Natalie Brooks", "natalie.brooks@example.com", S.BURNED, (
        Ev(40, ATT, "relationship"),
        Flag(30, "A reference from her previous bank was falsified.", by="orgadmin"),
        Note(30, "trust", 5, "Reference forged; Marcus informed.", by="orgadmin"),
    ), owner="headhunter"),
    Story("Craig Fletcher", "craig.fletcher@example.com", S.BURNED, (
        Ev(60, "late", "picker", COMMUTE, "Ten minutes late."),
        Ev(55, ATT, "picker"),
        Flag(50, "Site reported a safety concern at induction; not for warehouse roles."),
    ), rating=2),
    Story("Leon Fischer", "leon.fischer@example.de", S.BURNED, (
        Ev(102, SCHED, "forklift_nights"),
        Ev(100, "no_show", "forklift_nights", COMMUTE, "His lift didn't turn up."),
        Ask(80, "I've bought a car.", "forklift_nights"),
        Grant(75, "One more go.", "forklift_nights"),
        Ev(72, SCHED, "forklift_nights"),
        Ev(70, "no_show", "forklift_nights", COMMUTE, "Second no-show: the car failed its MOT."),
        Note(70, "flakiness", 5, "Two no-shows on the same role.", by="headhunter"),
        Note(69, "commute", 4, "No reliable transport."),
    )),
    Story("Aaron Mitchell", "aaron.mitchell@example.com", S.BURNED, (
        Ev(142, SCHED, "backend"),
        Ev(140, "blew_interview", "backend", ILLNESS, "Cold medicine, again."),
        Ask(120, "Please let me redo the technical round.", "backend", by="headhunter"),
        Grant(115, "Chloe agreed.", "backend"),
        Ev(110, ATT, "backend"),
        Ev(100, "unprepared", "backend", UNKNOWN, "Final round: 'a different person'; couldn't reproduce the take-home he'd submitted."),
        Note(100, "trust", 4, "Take-home probably not his own work.", by="headhunter"),
    ), owner="headhunter"),
    Story("Joanna Wright", "joanna.wright@example.com", S.BURNED, (
        Ev(60, "declined_interview", "icu_nurse", COMMUTE, "Cancelled: no train on Sundays."),
        Ask(50, "I'll drive down the night before.", "icu_nurse"),
        Grant(45, "Anne agreed to a weekday slot.", "icu_nurse"),
        Ev(40, "declined_interview", "icu_nurse", COMMUTE, "Cancelled the second-chance interview: the same commute."),
    )),
    Story("Ricky Stone", "ricky.stone@example.com", S.BURNED, (
        Ev(300, "no_show", "forklift_days", COMMUTE, "Overslept; lives 30 miles out."),
        Ev(120, "no_show", "picker", UNKNOWN, "Ghosted the induction."),
        Note(120, "flakiness", 5, "Two no-shows in a year."),
        Note(119, "flakiness", 4, "Agree: not again.", by=FORMER_COLLEAGUE),
    ), rating=2),
    Story("Megan Lloyd", "megan.lloyd@example.com", S.BURNED, (
        Ev(210, OFFER, "store_manager"),
        Ev(200, "reneged", "store_manager", COMPETING, "Accepted, then went to a competitor."),
        Ev(90, "declined_interview", "driver", COMMUTE, "Van depot too far."),
        Ev(30, "late", "store_manager", COMMUTE, "Late for the area manager."),
    )),
    Story("Callum Shaw", "callum.shaw@example.com", S.BURNED, (
        Ev(250, "withdrew", "eng_manager", HEART, "Decided against management."),
        Ev(150, "declined_offer", "support", PAY, "Below his current salary."),
        Ev(60, "blew_interview", "backend", PERSONAL, "Distracted; moving house that week."),
        Ev(20, "withdrew", "qa", HEART, "Wants to stay technical after all."),
        Ev(10, "late", "support", COMMUTE, "Late to the final round."),
    ), owner="headhunter"),
)
# fmt: on


# --- Writing the demo --------------------------------------------------------------------


@dataclass
class SeedResult:
    organization: Organization
    created: int
    existing: int
    logins: list[tuple[str, str]] = field(default_factory=list)  # (role label, username)
    reminder: Reminder | None = None  # the one falling due a minute after the seed


def _member(org: Organization, key: str) -> User:
    username, first, last, role = MEMBERS[key]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            email=username,
            first_name=first,
            last_name=last,
            organization=org,
            role=role,
            time_zone=DEMO_TIME_ZONE,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _superuser() -> User:
    user = User.objects.filter(username=SUPERUSER_USERNAME).first()
    if user is None:
        user = User.objects.create_superuser(
            SUPERUSER_USERNAME, "admin@recovery.test", DEMO_PASSWORD
        )
    return user


def ensure_jobs(org: Organization) -> dict[str, Job]:
    """The demo's clients and jobs in `org` (created when missing), by job key."""
    jobs: dict[str, Job] = {}
    for client_name, openings in CLIENTS.items():
        client = Client.objects.filter(organization=org, name__iexact=client_name).first()
        if client is None:
            client = Client.objects.create(organization=org, name=client_name)
        for key, title, hiring_manager, state in openings:
            job = Job.objects.filter(client=client, title__iexact=title).first()
            if job is None:
                # Recorded open, then put in its state: the histories below happened while
                # the job was open, and the guards judge an event by the job's state on its
                # own date (services.job_state_on).
                job = Job.objects.create(
                    organization=org,
                    client=client,
                    title=title,
                    hiring_manager=hiring_manager,
                    state=JobState.OPEN,
                )
                if state != JobState.OPEN:
                    job.state = state
                    job.save(update_fields=["state"])
            jobs[key] = job
    return jobs


def _ordered_steps(steps: Iterable[Step]) -> list[Step]:
    # Oldest first; on the same day, in the order the story lists them (recording order).
    return _with_interviews(sorted(steps, key=lambda s: -s.ago))


def _with_interviews(steps: list[Step]) -> list[Step]:
    """A scheduled interview takes place on the day of the story's next event for that job
    (the attendance or the misstep it led to), or four days after scheduling if none."""
    dated: list[Step] = []
    for i, step in enumerate(steps):
        if isinstance(step, Ev) and step.kind == Kind.SCHEDULED:
            later = (s.ago for s in steps[i + 1 :] if isinstance(s, Ev) and s.job == step.job)
            step = replace(step, interview_ago=next(later, step.ago - 4))
        dated.append(step)
    return dated


@transaction.atomic
def seed_demo(*, today: date | None = None) -> SeedResult:
    """Write the demo organization. Running it again adds nothing: members, clients and jobs
    are looked up before they are created, and a story whose candidate (by email) is already
    in the organization is skipped whole, so its history is never written twice. Last, one
    reminder is put a minute ahead of now, each run (`_reminder_due_soon`)."""
    today = today or services.today()
    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    if org is None:
        org = Organization.objects.create(slug=DEMO_SLUG, name=DEMO_NAME)
    users = {key: _member(org, key) for key in MEMBERS}
    _superuser()
    ctx = _Ctx(today=today, users=users, jobs=ensure_jobs(org))

    already = set(
        Candidate.objects.filter(
            organization=org, email__in=[s.email for s in STORIES]
        ).values_list("email", flat=True)
    )
    created = 0
    for story in STORIES:
        if story.email in already:
            continue
        candidate = services.candidate_create(
            organization=org,
            email=story.email,
            name=story.name,
            owner=users[story.owner],
            rating=story.rating,
            phone=story.phone,
        )
        for step in _ordered_steps(story.steps):
            step.write(ctx, candidate)
        created += 1

    return SeedResult(
        org,
        created=created,
        existing=len(already),
        logins=demo_logins(),
        reminder=_reminder_due_soon(org, users, ctx.jobs),
    )


def demo_logins() -> list[tuple[str, str]]:
    """(role label, username) of every demo account that exists, members first."""
    roles = {username: Role(role).label for username, _, _, role in MEMBERS.values()}
    roles[SUPERUSER_USERNAME] = "Platform superuser (Django admin)"
    existing = set(User.objects.filter(username__in=roles).values_list("username", flat=True))
    return [(role, username) for username, role in roles.items() if username in existing]


# The demo's email: the recruiter calls Kwame back after his night-bus no-show.
FIRST_REMINDER_CANDIDATE = "kwame.mensah@example.com"
FIRST_REMINDER_TITLE = "Call Kwame Mensah back about the night shifts"
FIRST_REMINDER_BODY = (
    "He missed his forklift interview when the night bus was cancelled, and called the next "
    "morning. Ask whether he still wants the nights role and how he would get to Northgate."
)
FIRST_REMINDER_DELAY = timedelta(minutes=1)


def _reminder_due_soon(
    org: Organization, users: dict[str, User], jobs: dict[str, Job]
) -> Reminder | None:
    """The recruiter's reminder to call Kwame, due a minute from now, so that `make run`
    emails it to its console soon after it starts (beat dispatches every minute).

    Seeding again moves the same reminder a minute ahead again, as a new round (what a
    snooze does) rather than adding one; once someone marked it done or cancelled it, a new
    one is made. Either way there is one open such reminder, due a minute after the seed."""
    candidate = Candidate.objects.filter(organization=org, email=FIRST_REMINDER_CANDIDATE).first()
    if candidate is None:
        return None
    recruiter = users["recruiter"]
    reminder = (
        Reminder.objects.filter(
            candidate=candidate,
            user=recruiter,
            title=FIRST_REMINDER_TITLE,
            state__in=OPEN_STATES,
        )
        .order_by("-pk")
        .first()
    )
    if reminder is not None:
        return reminder_services.reminder_snooze(
            reminder=reminder, by=recruiter, delay=FIRST_REMINDER_DELAY
        )
    return reminder_services.reminder_create(
        candidate=candidate,
        user=recruiter,
        title=FIRST_REMINDER_TITLE,
        body=FIRST_REMINDER_BODY,
        due_at=timezone.now() + FIRST_REMINDER_DELAY,
        created_by=recruiter,
        job=jobs["forklift_nights"],
    )
