"""The load: wrk (benchmarks/load.lua) with one connection per member, each reading one page
with its own session, and one write for every ten reads: a risk note or an event posted
through the candidate page's own forms (their fields as the page renders them, the member's
CSRF token) on varied candidates.

Counted as an error: a read that does not answer 200, a write that does not answer the
302 of a saved form (a form sent back with errors is a 200: an error here), and socket
errors (wrk's connect, read, write errors and timeouts). benchmarks/web.py also counts the
events and notes each run stored, against the writes answered as saved.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.common import ROOT, Page, say
from benchmarks.server import BASE, Member, fetch, forms_of

READS_PER_WRITE = 10
# Per member: the plan repeats after this many writes, more than any run makes (each write's
# form key is its own, and a plan that came round again would post the same keys twice).
WRITES_PER_PLAN = 400
TIMEOUT_S = 10

# What the writes log, in turn: progress, and missteps with their reason (as a recruiter
# would pick them in the form).
# No kind a guard may refuse (submitted, scheduled, a second-chance request): the writes are
# stored and add up run after run, and a candidate they burn would have its form sent back.
EVENTS = [
    ("attended", ""),
    ("late", "commute"),
    ("left_early", "commute"),
    ("no_show", "illness"),
    ("offer_made", ""),
    ("declined_interview", "commute"),
]
NOTE_TEXT = ["Called back the same day.", "Long commute; watch early starts.", "Keen."]


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return path


# --- The writes, through the forms as rendered ---------------------------------------------


def read_forms(member: Member, candidate_path: str) -> None:
    """The event and risk-note forms of a candidate page as this member sees them (their
    actions and fields), and the member's CSRF token from them."""
    status, _, body = fetch(candidate_path, member.cookie)
    if status != 200:
        raise SystemExit(f"{candidate_path} answered {status} to {member.username}")
    member.forms = {}
    for action, fields in forms_of(body).items():
        for kind, ending in (("event", "/events/"), ("note", "/notes/")):
            if action.endswith(ending):
                member.forms[kind] = (action, fields)
    if set(member.forms) != {"event", "note"}:
        raise SystemExit(f"No event and risk-note forms on {candidate_path} for {member.username}")
    _, fields = member.forms["event"]
    member.csrf_token = {name: value for name, value, _ in fields}["csrfmiddlewaretoken"]


def write_request(member: Member, kind: str, candidate_id: int, n: int) -> tuple[str, dict]:
    """Write number `n` of a kind on a candidate: the form's action for that candidate, and
    every field the page renders filled as a person would (a choice the page offers, in turn;
    yesterday's date; a line of text; a new submission key), the others left as rendered."""
    action, fields = member.forms[kind]
    yesterday = (date.today() - timedelta(days=1)).isoformat()  # noqa: DTZ011 (any zone)
    event_kind, reason = EVENTS[n % len(EVENTS)]
    wanted = {"kind": event_kind, "reason": reason, "level": str(1 + n % 5)}
    data: dict[str, str] = {}
    for name, value, options in fields:
        if name == "csrfmiddlewaretoken":
            data[name] = member.csrf_token
        elif name == "submission":
            # A new key per write, as a page loaded again gives: one key posted twice is a
            # double submit, answered as saved and stored once (a write that writes nothing).
            data[name] = str(uuid.uuid4())
        elif name.endswith("_on"):
            data[name] = yesterday
        elif name in ("notes", "note"):
            data[name] = NOTE_TEXT[n % len(NOTE_TEXT)]
        elif options:
            choices = [o for o in options if o]
            want = wanted.get(name, value)
            if name in ("dimension", "job") and choices:
                want = choices[n % len(choices)]
            if want not in options:
                raise SystemExit(f"The {kind} form offers no {want!r} for {name}: {options}")
            data[name] = want
        else:
            data[name] = value
    return re.sub(r"/candidates/\d+/", f"/candidates/{candidate_id}/", action, count=1), data


def check_writes(member: Member, candidate_ids: list[int]) -> None:
    """One event and one risk note through the forms: each must be saved (a redirect)."""
    for n, kind in enumerate(("event", "note")):
        path, data = write_request(member, kind, candidate_ids[n], n)
        status, _, body = fetch(path, member.cookie, data)
        if status != 302:
            errors = " ".join(
                part.split("</ul>")[0] for part in body.split('class="errorlist')[1:3]
            )
            raise SystemExit(f"POST {path} answered {status}, not a redirect: {errors[:500]}")


# --- Plans, runs, results ------------------------------------------------------------------


@dataclass
class Figures:
    """One label's figures over one or more runs (latencies in milliseconds)."""

    label: str
    seconds: float
    rows: list[tuple[int, int]] = field(default_factory=list, repr=False)  # (status, µs)

    @property
    def requests(self) -> int:
        return len(self.rows)

    @property
    def rps(self) -> float:
        """Answers per second with the expected status: an error page is no throughput."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    @property
    def statuses(self) -> Counter:
        return Counter(status for status, _ in self.rows)

    @property
    def expected(self) -> int:
        return 302 if self.label.startswith("write") else 200

    @property
    def errors(self) -> int:
        return sum(1 for status, _ in self.rows if status != self.expected)

    def percentile(self, p: float) -> float:
        latencies = self._sorted()
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] / 1000

    def _sorted(self) -> list[int]:
        if getattr(self, "_cache", None) is None or len(self._cache) != len(self.rows):
            self._cache = sorted(micros for _, micros in self.rows)
        return self._cache


@dataclass
class Run:
    seconds: float
    socket_errors: int
    by_label: dict[str, Figures]


def _plan_line(label: str, method: str, path: str, cookie: str, data: dict | None) -> str:
    return "\t".join([label, method, path, cookie, urlencode(data) if data else ""]) + "\n"


def write_plans(
    plan_dir: Path, page: Page, members: list[Member], write_ids: list[int] | None
) -> None:
    """Per member (one wrk thread each): the page ten times, then a write, over and over;
    `write_ids` None: the page alone (the bare view). Members write on different
    candidates, alternating events and risk notes."""
    for number, member in enumerate(members, start=1):
        cookie = "" if page.anonymous else member.cookie
        lines = []
        writes = WRITES_PER_PLAN if write_ids else 1
        for n in range(writes):
            lines += [_plan_line("read", "GET", page.path, cookie, None)] * READS_PER_WRITE
            if write_ids:
                kind = ("event", "note")[n % 2]
                candidate = write_ids[(number * 131 + n * 17) % len(write_ids)]
                path, data = write_request(member, kind, candidate, n + number)
                lines.append(_plan_line(f"write:{kind}", "POST", path, member.cookie, data))
        (plan_dir / f"plan-{number}.tsv").write_text("".join(lines))


def drive(
    wrk: str, page: Page, members: list[Member], write_ids: list[int] | None, seconds: float
) -> Run:
    """The page (and the writes) from every member at once for `seconds`."""
    with tempfile.TemporaryDirectory(prefix="recovery-bench-load-") as tmp:
        plan_dir = Path(tmp)
        write_plans(plan_dir, page, members, write_ids)
        threads = len(members)
        result = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{threads}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                f"{TIMEOUT_S}s",
                "-s",
                str(ROOT / "benchmarks" / "load.lua"),
                BASE,
            ],
            env={"BENCH_PLAN_DIR": str(plan_dir), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"wrk failed: {result.stderr or result.stdout}")
        summary = json.loads(next(li for li in result.stdout.splitlines() if li.startswith("{")))
        elapsed = summary["duration_us"] / 1e6
        samples: dict[str, list[tuple[int, int]]] = {}
        for path in plan_dir.glob("latency-*.tsv"):
            for line in path.read_text().splitlines():
                label, status, micros = line.split("\t")
                samples.setdefault(label, []).append((int(status), int(micros)))
    by_label = {label: Figures(label, elapsed, rows) for label, rows in samples.items()}
    recorded = sum(f.requests for f in by_label.values())
    if abs(recorded - summary["requests"]) > len(members):
        say(f"!! {recorded} responses recorded, wrk counted {summary['requests']}")
    return Run(elapsed, summary["socket_errors"], by_label)
