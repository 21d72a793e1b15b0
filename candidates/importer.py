"""The history importer: an events CSV (and optionally a risk-notes CSV) into one organization.

One importer for every way in: `manage.py import_history` writes at once, the web upload page
checks the files and leaves the writing to a worker (an `ImportJob`, "Jobs" below). The file
format is the contract's ("Import and report" in `docs/recovery-model.md`):

    events:     candidate_email, candidate_name, client, job_title, kind, occurred_on, reason, notes
    risk notes: candidate_email, dimension, level, author_email, noted_on, note

Steps:
1. `check()`: read and check every row of both files, with no database access, collecting
   every problem with its line number (the header is line 1); then read what the organization
   already has (a query per 2,000 emails) and check what needs it (a new candidate needs a
   name; a note's candidate must exist somewhere). Any problem and nothing is written.
2. `write()`: the rows in batches of `BATCH_SIZE`, each batch its own transaction: lock the
   organization's row (`FOR NO KEY UPDATE`, for one batch only), create the batch's
   candidates, clients and jobs, then its events and notes, skipping those already there, and
   re-evaluate the candidates it touched. Skipping what is there makes a batch idempotent: a
   second import of the same file adds nothing, and a job taken over after a crash goes on
   from the last batch it committed.

Rights: an import holds only what its uploader may record through the forms
(`access.may_record_kind`, `access.may_write_note_as`): a recruiter's file with a decision on
a second chance, or a risk note in a colleague's name, has bad lines. The command line (no
`recorded_by`) is the operator's and imports everything, colleagues' notes included.

Choices the contract leaves open:
- the header's columns may come in any order (names are trimmed and case-insensitive), but
  the set must be exactly the contract's: a missing, unknown or repeated column is an error;
- every cell is trimmed; `kind`, `reason` and `dimension` are case-insensitive; emails are
  case-insensitive and stored lowercased; clients and jobs are matched case-insensitively
  and created with the first spelling met (a new job is `open`);
- rows whose cells are all empty (a spreadsheet's trailing rows) are skipped;
- a new candidate takes its name from the first row that names it, so later rows may leave
  `candidate_name` empty; an existing candidate keeps the name it has;
- the line number is the line the row starts on, as a text editor counts (a note with a line
  break inside quotes makes a row span two lines);
- safety limits: at most 50,000 lines after the header (every physical line counts, blank
  or not, and nothing after that line is read), 25 MB per file, 10,000 characters per row;
  every problem is counted, the first `MAX_LISTED` (by file, then line) are kept, so that a
  hostile file costs a bounded answer;
- no date after today: the forms' rule, from the same place (`clock.latest_date`), the
  uploader's day counting as the form counts it.
"""

from __future__ import annotations

import csv
import heapq
import io
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache, partial
from typing import BinaryIO, TextIO, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from . import csvsafe, services
from .access import DECISION_KINDS, may_record_kind, may_write_note_as
from .clock import latest_date
from .duplicates import Person, name_key, probable_duplicates
from .engine import (
    FLAG_KINDS,
    GUARDED_KINDS,
    LEVEL_MAX,
    LEVEL_MIN,
    MISSTEPS,
    SECOND_CHANCE_KINDS,
    Dimension,
    EventFact,
    Kind,
    Reason,
    RejectionReason,
    judge,
    reasons_for,
)
from .models import (
    Candidate,
    CandidateAddress,
    Client,
    Event,
    ImportJob,
    ImportState,
    Job,
    Organization,
    RiskNote,
    User,
)

logger = logging.getLogger(__name__)

EVENT_COLUMNS = (
    "candidate_email",
    "candidate_name",
    "client",
    "job_title",
    "kind",
    "occurred_on",
    "reason",
    "notes",
)
NOTE_COLUMNS = ("candidate_email", "dimension", "level", "author_email", "noted_on", "note")

EVENTS_FILE = "events"
NOTES_FILE = "risk notes"

MAX_ROWS = 50_000
# Problems kept (and shown); the rest are counted.
MAX_LISTED = 100
# Unknown header names shown in the header's problem.
MAX_NAMES_SHOWN = 10
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_ROW_CHARS = 10_000
# No good row has a physical line longer than this: its cells hold at most MAX_ROW_CHARS, and
# a quoted cell at most doubles them ("" for each quote inside).
MAX_LINE_CHARS = 2 * MAX_ROW_CHARS + 1000
# Lengths of the model fields the cells go into.
MAX_EMAIL = 254
MAX_NAME = 200

# Kept well under every database's limit on query parameters.
IN_CHUNK = 2000
# Rows written per transaction: the organization's lock, and the locks on the candidates a
# batch touches, are held for one batch (a fraction of a second), never for a whole file.
BATCH_SIZE = 500
# A failed batch (someone created one of its candidates, clients or jobs between our read and
# our insert) is tried again this many times in all.
BATCH_TRIES = 3

# Jobs: a worker's claim lasts JOB_LEASE and is renewed by every batch; a run hands the job
# on after JOB_BUDGET (well inside the task's time limit); a job that made no progress in
# MAX_ATTEMPTS claims (its worker died each time) fails; a pending job is swept up (its
# message may have been lost) after SWEEP_GRACE.
JOB_LEASE = timedelta(minutes=2)
JOB_BUDGET = timedelta(minutes=3)
MAX_ATTEMPTS = 3
SWEEP_GRACE = timedelta(seconds=60)

M = TypeVar("M", bound=models.Model)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KINDS = ", ".join(k.value for k in Kind)
_REASONS = ", ".join(r.value for r in Reason)
_DIMENSIONS = ", ".join(d.value for d in Dimension)
_EMPLOYER_REASONS = ", ".join(r.value for r in RejectionReason)
# Kinds that need no job: the flag, and an admin's override (which may stand before a flag's
# guarded row as well as a job's).
NO_JOB_KINDS = FLAG_KINDS | {Kind.OVERRIDE}


# --- What the import page says about the files ----------------------------------------------
# Made from the engine's enums and the checks' own sets, so that the page lists exactly what
# the checks take.


@dataclass(frozen=True)
class KindGroup:
    heading: str
    rule: str  # what the group's rows need, or who may import them
    kinds: tuple[Kind, ...]


def kind_groups() -> list[KindGroup]:
    """Every event kind, once, in groups as the page lists them (in the enum's order within
    each); a kind added to the engine lands in "Progress" until it is given a group."""
    employer = tuple(k for k in Kind if k not in MISSTEPS and reasons_for(k))
    decisions = " and ".join(DECISION_KINDS)
    groups = [
        KindGroup(
            "Missteps",
            "reason: one of the misstep reasons below",
            tuple(k for k in Kind if k in MISSTEPS),
        ),
        KindGroup("The employer's no", "reason: one of the employer's reasons below", employer),
        KindGroup(
            "Second chances",
            f"no reason; {decisions} are a manager's or an admin's",
            tuple(k for k in Kind if k in SECOND_CHANCE_KINDS),
        ),
        KindGroup(
            "Flags",
            "no reason; client and job_title may be empty",
            tuple(k for k in Kind if k in FLAG_KINDS),
        ),
        KindGroup(
            "Admins only",
            "an admin's: lets the next row through a guard; no reason; client and job_title "
            "may be empty",
            (Kind.OVERRIDE,),
        ),
    ]
    grouped = {k for group in groups for k in group.kinds}
    progress = tuple(k for k in Kind if k not in grouped)
    return [*groups[:2], KindGroup("Progress", "no reason", progress), *groups[2:]]


# The template offered for download (`import/template.csv`), and the page's example: good
# rows (tests/test_views_import.py imports them).
TEMPLATE_EVENT_ROWS = (
    (
        "ann@example.com",
        "Ann Lee",
        "Acme",
        "Forklift operator",
        Kind.SCHEDULED.value,
        "2026-02-20",
        "",
        "Interview on 2 March",
    ),
    (
        "ann@example.com",
        "",
        "Acme",
        "Forklift operator",
        Kind.NO_SHOW.value,
        "2026-03-02",
        Reason.COMMUTE.value,
        "Bus cancelled",
    ),
    (
        "bob@example.com",
        "Bob Stone",
        "Globex",
        "Picker",
        Kind.REJECTED.value,
        "2026-03-04",
        RejectionReason.ANOTHER_CANDIDATE.value,
        "",
    ),
)
NOTE_EXAMPLE_ROW = (
    "ann@example.com",
    Dimension.COMMUTE.value,
    "4",
    "rita@example.com",
    "2026-03-03",
    "Two buses each way",
)


def _csv_text(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    # Through the app's one CSV neutraliser, like every CSV it writes (our own rows here).
    out = io.StringIO()
    writer = csvsafe.Writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def events_template() -> str:
    """The events file's header and a few good rows, as CSV."""
    return _csv_text(EVENT_COLUMNS, TEMPLATE_EVENT_ROWS)


def notes_example() -> str:
    return _csv_text(NOTE_COLUMNS, [NOTE_EXAMPLE_ROW])


@dataclass(frozen=True)
class RowError:
    file: str  # "events" or "risk notes"
    line: int  # line number in the file as a user counts it (header is line 1)
    message: str  # what is wrong, in words a recruiter understands

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.message}"


COUNTS = (
    "candidates_created",
    "clients_created",
    "jobs_created",
    "events_created",
    "notes_created",
    "duplicates_skipped",
)


@dataclass
class ImportResult:
    # The first MAX_LISTED problems, by file then line; `problem_count` counts them all.
    errors: list[RowError] = field(default_factory=list)
    problem_count: int = 0
    candidates_created: int = 0
    clients_created: int = 0
    jobs_created: int = 0
    events_created: int = 0
    notes_created: int = 0
    duplicates_skipped: int = 0
    # Rows of the files written (or skipped as already there) so far.
    done: int = 0
    # Imported all the same, but worth a look: a new candidate who is probably someone
    # already here (the check's Plan.warnings).
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def more_problems(self) -> int:
        return max(0, self.problem_count - len(self.errors))

    @property
    def problem_count_text(self) -> str:
        return f"{self.problem_count:,} problem{'' if self.problem_count == 1 else 's'}"

    @property
    def more_problems_text(self) -> str:
        more = self.more_problems
        return f"{more:,} more problem{'' if more == 1 else 's'}"

    def add(self, other: ImportResult) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# --- Reading the files --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _EventRow:
    line: int
    email: str
    name: str
    client: str
    job_title: str
    kind: Kind
    occurred_on: date
    reason: str
    notes: str


@dataclass(frozen=True, slots=True)
class _NoteRow:
    line: int
    email: str
    dimension: Dimension
    level: int
    author_email: str
    noted_on: date
    note: str


class _ErrorLog:
    """Every problem counted; the first MAX_LISTED by (file, line) kept, in a heap, so that a
    file of 50,000 bad lines costs a hundred of them in memory and on the page."""

    _FILE_ORDER = {EVENTS_FILE: 0, NOTES_FILE: 1}

    def __init__(self) -> None:
        self.count = 0
        self._kept: list[tuple[int, int, int, RowError]] = []  # negated keys: a max-heap

    def add(self, file: str, line: int, message: str) -> None:
        self.count += 1
        item = (-self._FILE_ORDER[file], -line, -self.count, RowError(file, line, message))
        if len(self._kept) < MAX_LISTED:
            heapq.heappush(self._kept, item)
        elif item > self._kept[0]:
            heapq.heapreplace(self._kept, item)

    def listed(self) -> list[RowError]:
        return [error for *_key, error in sorted(self._kept, reverse=True)]


class _Problems:
    """Collects the problems of one file into the import's error log."""

    def __init__(self, file: str, log: _ErrorLog):
        self.file = file
        self.log = log

    @property
    def count(self) -> int:
        return self.log.count

    def add(self, line: int, message: str) -> None:
        self.log.add(self.file, line, message)


def _read_text(stream: TextIO | BinaryIO, problems: _Problems) -> str | None:
    """The whole file as text, or None (with the problem recorded) when it cannot be read."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        problems.add(
            1,
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
            "split it into smaller files",
        )
        return None
    if isinstance(data, bytes):
        try:
            # utf-8-sig: spreadsheets often save UTF-8 with a byte-order mark.
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            problems.add(
                line,
                "the file is not UTF-8 text (a character on this line cannot be read); "
                'save it again as "CSV UTF-8"',
            )
            return None
    return data.removeprefix("\ufeff")


def _read_stream(stream: TextIO | BinaryIO | str, problems: _Problems) -> str | None:
    if isinstance(stream, str):
        # Already text (the upload form decoded it): not copied again.
        if len(stream) > MAX_FILE_BYTES:
            problems.add(1, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            return None
        return stream.removeprefix("\ufeff")
    try:
        return _read_text(stream, problems)
    except UnicodeDecodeError:
        # A text stream opened by the caller with a strict decoder; it decodes in chunks, so
        # the line is not known.
        problems.add(
            1, 'the file is not UTF-8 text; save it again as "CSV UTF-8" and import it again'
        )
        return None


_LINE_END = re.compile(r"\r\n|\r|\n")


class _Lines:
    """The physical lines of a text, with their endings, as `io.StringIO(newline="")` gives
    them, but without copying the text and stopping after `limit` lines: whatever a file
    holds after that is never read, so a file of a million lines costs what 50,000 cost.

    A line longer than any good row can be (MAX_LINE_CHARS) is not handed to the CSV reader,
    which would make a list of its every cell (a 10 MB line of commas: 5 million strings):
    only its line ending is, and `last_long` says which line it was and how long."""

    def __init__(self, text: str, limit: int):
        self.text, self.limit = text, limit
        self.overflow = False
        self.last_long: tuple[int, int] = (0, 0)  # (line, characters)

    def __iter__(self) -> Iterator[str]:
        text, start, count = self.text, 0, 0
        for match in _LINE_END.finditer(text):
            if count == self.limit:
                self.overflow = True
                return
            count += 1
            yield self._line(start, match.start(), match.end(), count)
            start = match.end()
        if start < len(text):
            if count == self.limit:
                self.overflow = True
                return
            yield self._line(start, len(text), len(text), count + 1)

    def _line(self, start: int, end: int, next_start: int, number: int) -> str:
        if end - start > MAX_LINE_CHARS:
            self.last_long = (number, end - start)
            return self.text[end:next_start] or "\n"
        return self.text[start:next_start]


def _header_problem(header: list[str], columns: Sequence[str]) -> str | None:
    names = [cell.strip().lower() for cell in header]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    missing = [c for c in columns if c not in counts]
    unknown = [n for n in names if n not in columns]
    repeated = [c for c in sorted(columns) if counts.get(c, 0) > 1]
    wrong = []
    if missing:
        wrong.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    if unknown:
        shown = ", ".join(
            f'"{n[:MAX_NAME]}"' if n else "(empty)" for n in unknown[:MAX_NAMES_SHOWN]
        )
        if len(unknown) > MAX_NAMES_SHOWN:
            shown += f" and {len(unknown) - MAX_NAMES_SHOWN:,} more"
        wrong.append(f"unknown column{'s' if len(unknown) > 1 else ''}: {shown}")
    if repeated:
        wrong.append(f"repeated column{'s' if len(repeated) > 1 else ''}: {', '.join(repeated)}")
    if not wrong:
        return None
    hint = f"the header must have exactly these columns: {', '.join(columns)}"
    if len(header) == 1 and ";" in header[0]:
        # A spreadsheet set to a European locale saves "CSV" with semicolons.
        hint = "the values are separated by semicolons; save the file with commas"
    return f"{'; '.join(wrong)} ({hint})"


def _records(
    text: str, columns: Sequence[str], problems: _Problems
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yields (line, {column: trimmed cell}) for every data row after checking the header."""
    lines = _Lines(text, MAX_ROWS + 1)
    # strict: a quote never closed is an error, not the rest of the file read into one cell.
    reader = csv.reader(iter(lines), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.add(1, f"the header line cannot be read as CSV ({exc})")
        return
    if lines.last_long[0] == 1:
        problems.add(1, f"the header line is too long ({lines.last_long[1]:,} characters)")
        return
    if header is None or not any(cell.strip() for cell in header):
        problems.add(
            1, f"the file is empty; its first line must be the header: {', '.join(columns)}"
        )
        return
    wrong = _header_problem(header, columns)
    if wrong:
        problems.add(1, wrong)
        return
    names = [cell.strip().lower() for cell in header]

    yield from _data_rows(reader, lines, names, problems)
    if lines.overflow:
        problems.add(
            MAX_ROWS + 2,
            f"the file has more than {MAX_ROWS:,} rows; split it into smaller files",
        )


def _data_rows(reader, lines: _Lines, names: list[str], problems: _Problems):
    previous_end = reader.line_num
    while True:
        line = previous_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                problems.add(
                    line,
                    'a quote (") opened in this row is never closed, '
                    "so the rest of the file cannot be read",
                )
                return
            # The reader drops the rest of the bad line and goes on with the next one.
            problems.add(line, f"this line cannot be read as CSV ({exc})")
            previous_end = reader.line_num
            continue
        previous_end = reader.line_num
        long_line, length = lines.last_long
        if long_line >= line:
            # A line of this row was too long to be read (_Lines).
            problems.add(
                line,
                f"the row is too long (line {long_line:,} has {length:,} characters; "
                f"a row holds at most {MAX_ROW_CHARS:,})",
            )
            continue
        if not any(cell.strip() for cell in cells):
            continue
        size = sum(len(cell) for cell in cells)
        if size > MAX_ROW_CHARS:
            problems.add(
                line, f"the row is too long ({size:,} characters; at most {MAX_ROW_CHARS:,})"
            )
            continue
        if any("\x00" in cell for cell in cells):
            # PostgreSQL cannot store it, and no spreadsheet writes it into a CSV.
            problems.add(line, "the row contains a NUL character: is this really a CSV file?")
            continue
        if len(cells) != len(names):
            hint = "a comma inside a value needs quotes around the value"
            if any("\n" in cell or "\r" in cell for cell in cells):
                hint = 'a quote (") opened in this row may never be closed'
            problems.add(
                line,
                f"the row has {len(cells):,} values but the header has {len(names)} columns "
                f"({hint})",
            )
            continue
        yield line, {name: cell.strip() for name, cell in zip(names, cells, strict=True)}


def _compiled(pattern) -> re.Pattern:
    return re.compile(pattern.pattern, pattern.flags)


class _EmailValidator(EmailValidator):
    """Django's email validator, its own patterns compiled once here: Django reaches them
    through lazy wrappers, several attribute lookups an address (a file has 50,000)."""

    user_regex = _compiled(EmailValidator.user_regex)
    domain_regex = _compiled(EmailValidator.domain_regex)
    literal_regex = _compiled(EmailValidator.literal_regex)


_validate_email = _EmailValidator()


@lru_cache(maxsize=4096)
def _is_email(value: str) -> bool:
    """Django's validator, remembered: a file names each candidate and author many times."""
    if len(value) > MAX_EMAIL:
        return False
    try:
        _validate_email(value)
    except ValidationError:
        return False
    return True


def _email(value: str, column: str, line: int, problems: _Problems) -> str | None:
    if not value:
        problems.add(line, f"{column} is empty")
        return None
    if not _is_email(value.lower()):
        # Quoted as the file has it: the line is found by what it says.
        problems.add(line, f'{column} "{value}" is not an email address')
        return None
    return value.lower()


def _date(value: str, column: str, line: int, problems: _Problems, latest: date) -> date | None:
    if not value:
        problems.add(line, f"{column} is empty (a date like 2026-03-02)")
        return None
    # Not date.fromisoformat alone: it also takes 20260302 and 2026-W10-1.
    if not _DATE_RE.match(value):
        problems.add(line, f'{column} "{value}" is not a date in YYYY-MM-DD form, like 2026-03-02')
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        problems.add(line, f'{column} "{value}" is not a real date')
        return None
    if day > latest:
        problems.add(
            line, f"{column} {value} is in the future: no date may be after today ({latest})"
        )
        return None
    return day


def _text(value: str, column: str, line: int, problems: _Problems) -> bool:
    if len(value) > MAX_NAME:
        problems.add(line, f"{column} is too long ({len(value)} characters; at most {MAX_NAME})")
        return False
    return True


@dataclass(frozen=True)
class _Context:
    # The latest date a row may hold: today (`clock.latest_date`, the forms' rule).
    latest: date
    # The member whose rights the rows must stay within; None for the operator (command line).
    member: User | None


def _event_row(line: int, cells: dict[str, str], problems: _Problems, ctx: _Context):
    before = problems.count
    email = _email(cells["candidate_email"], "candidate_email", line, problems)
    name = cells["candidate_name"]
    _text(name, "candidate_name", line, problems)
    client, job_title = cells["client"], cells["job_title"]
    _text(client, "client", line, problems)
    _text(job_title, "job_title", line, problems)

    kind: Kind | None = None
    try:
        kind = Kind(cells["kind"].lower())
    except ValueError:
        if cells["kind"]:
            problems.add(
                line, f'kind "{cells["kind"]}" is not an event kind (use one of: {_KINDS})'
            )
        else:
            problems.add(line, f"kind is empty (use one of: {_KINDS})")

    occurred_on = _date(cells["occurred_on"], "occurred_on", line, problems, ctx.latest)

    reason = cells["reason"].lower()
    if kind is not None:
        # The misstep list for a misstep, the employer's list for `rejected`, none otherwise.
        allowed = reasons_for(kind)
        listed = _REASONS if kind in MISSTEPS else _EMPLOYER_REASONS
        what = "a reason" if kind in MISSTEPS else "an employer's reason"
        if allowed and not reason:
            problems.add(line, f'reason is required for kind "{kind.value}" (use one of: {listed})')
        elif allowed and reason not in allowed:
            problems.add(line, f'reason "{cells["reason"]}" is not {what} (use one of: {listed})')
        elif not allowed and reason:
            problems.add(
                line,
                f'reason must be empty for kind "{kind.value}": only missteps and rejections '
                "have a reason (put any explanation in notes)",
            )
        if kind not in NO_JOB_KINDS:
            if not client:
                problems.add(line, f'client is empty (required for kind "{kind.value}")')
            if not job_title:
                problems.add(line, f'job_title is empty (required for kind "{kind.value}")')
        elif bool(client) != bool(job_title):
            problems.add(line, "client and job_title go together: give both or neither")
        if ctx.member is not None and not may_record_kind(ctx.member, kind.value):
            problems.add(
                line,
                f'only a manager or an admin may record a decision ("{kind.value}"); '
                "ask one of them to import this row",
            )

    if problems.count > before or email is None or kind is None or occurred_on is None:
        return None
    return _EventRow(
        line, email, name, client, job_title, kind, occurred_on, reason, cells["notes"]
    )


def _note_row(line: int, cells: dict[str, str], problems: _Problems, ctx: _Context):
    before = problems.count
    email = _email(cells["candidate_email"], "candidate_email", line, problems)
    author_email = _email(cells["author_email"], "author_email", line, problems)
    member = ctx.member
    if author_email and member is not None and not may_write_note_as(member, author_email):
        own = (member.email or "").strip().lower()
        problems.add(
            line,
            f"author_email must be your own address ({own}): a risk note uploaded here is "
            "its uploader's; notes written by colleagues are imported from the command line"
            if own
            else "your account has no email address, so it cannot sign risk notes",
        )
    dimension: Dimension | None = None
    try:
        dimension = Dimension(cells["dimension"].lower())
    except ValueError:
        shown = (
            f'"{cells["dimension"]}" is not a risk dimension'
            if cells["dimension"]
            else ("is empty")
        )
        problems.add(line, f"dimension {shown} (use one of: {_DIMENSIONS})")
    level: int | None = None
    if re.fullmatch(r"\d{1,2}", cells["level"]) and LEVEL_MIN <= int(cells["level"]) <= LEVEL_MAX:
        level = int(cells["level"])
    else:
        shown = f'"{cells["level"]}"' if cells["level"] else "is empty; it"
        problems.add(
            line,
            f"level {shown} must be a whole number from {LEVEL_MIN} (no concern) "
            f"to {LEVEL_MAX} (serious concern)",
        )
    noted_on = _date(cells["noted_on"], "noted_on", line, problems, ctx.latest)
    if (
        problems.count > before
        or email is None
        or author_email is None
        or dimension is None
        or level is None
        or noted_on is None
    ):
        return None
    return _NoteRow(line, email, dimension, level, author_email, noted_on, cells["note"])


@dataclass(frozen=True, slots=True)
class _Mention:
    """A row's candidate, even when the row is bad: checks that look across rows use it, so
    one bad row does not make its neighbours look wrong too."""

    line: int
    email: str  # lowercased, as stored
    name: str
    written: str  # the address as the file has it, for the messages that quote it


def _parse(stream, columns, problems: _Problems, parse_row, ctx: _Context):
    text = _read_stream(stream, problems)
    rows: list = []
    mentions: list[_Mention] = []
    if text is None:
        return rows, mentions
    for line, cells in _records(text, columns, problems):
        email = cells["candidate_email"].lower()
        if email:
            mentions.append(
                _Mention(line, email, cells.get("candidate_name", ""), cells["candidate_email"])
            )
        row = parse_row(line, cells, problems, ctx)
        if row is not None:
            rows.append(row)
    return rows, mentions


# --- Checking -----------------------------------------------------------------------------


@dataclass
class Plan:
    """Two files read and checked: the rows to write, or the problems that stop them."""

    event_rows: list[_EventRow]
    note_rows: list[_NoteRow]
    # A candidate's name, for creating it: the first row that gives one.
    names: dict[str, str]
    errors: list[RowError]
    problem_count: int
    # Imported all the same, but worth a look: a new candidate who is probably someone
    # already here (candidates/duplicates.py).
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem_count

    @property
    def total(self) -> int:
        return len(self.event_rows) + len(self.note_rows)

    def failure(self) -> ImportResult:
        return ImportResult(errors=self.errors, problem_count=self.problem_count)


def _existing_candidates(organization: Organization, emails: Iterable[str]) -> dict[str, tuple]:
    """{lowercased email: (id, name)} for the organization's candidates among `emails`, by
    their primary address or another of theirs."""
    found: dict[str, tuple] = {}
    if organization.pk is None:  # an organization the command is about to create
        return found
    for chunk in _chunks(sorted(set(emails))):
        for pk, email, name in Candidate.objects.filter(
            organization=organization, email__any=chunk
        ).values_list("pk", "email", "name"):
            found[email.lower()] = (pk, name)
        # A row naming a candidate's other address lands on that candidate.
        for pk, email, name in CandidateAddress.objects.filter(
            organization=organization, email__any=chunk
        ).values_list("candidate_id", "email", "candidate__name"):
            found[email.lower()] = (pk, name)
    return found


def _check_candidates(
    organization: Organization,
    event_rows: list[_EventRow],
    event_mentions: list[_Mention],
    note_mentions: list[_Mention],
    log: _ErrorLog,
    recorded_by: User | None,
) -> dict[str, str]:
    """The name the file gives each candidate (its first row that names one), used when the
    candidate is created; a new one without a name, and a note whose candidate is nowhere,
    are problems; so is a row the guards refuse (`_guard_rows`)."""
    emails = {m.email for m in event_mentions} | {m.email for m in note_mentions}
    existing = _existing_candidates(organization, emails)
    names: dict[str, str] = {}
    first: dict[str, _Mention] = {}
    for mention in event_mentions:
        first.setdefault(mention.email, mention)
        if mention.name and mention.email not in names:
            names[mention.email] = mention.name
    _guard_rows(organization, event_rows, existing, _Problems(EVENTS_FILE, log), recorded_by)
    # The messages quote the address as the line they name has it.
    for email, mention in first.items():
        if email not in existing and email not in names:
            log.add(
                EVENTS_FILE,
                mention.line,
                f"candidate_name is empty and {mention.written} is a new candidate: give a name",
            )
    for mention in note_mentions:
        if mention.email not in existing and mention.email not in first:
            log.add(
                NOTES_FILE,
                mention.line,
                f"{mention.written} is neither in the events file nor a candidate of "
                f"{organization.name}",
            )
    return names


def _duplicate_warnings(
    organization: Organization,
    new_emails: list[str],
    names: dict[str, str],
    first_line: dict[str, int],
    event_rows: list[_EventRow],
    clients: dict[str, int],
) -> list[RowError]:
    """A new candidate who is probably someone already here (candidates/duplicates.py) is
    imported, and named as a warning with that record's status and advice: a burned person
    does not come back clean unnoticed. The clients its rows name count as shared."""
    client_ids: dict[str, set[int]] = {}
    for row in event_rows:
        if row.client.lower() in clients:
            client_ids.setdefault(row.email, set()).add(clients[row.client.lower()])
    people = [
        Person(
            name=names[email],
            emails=(email,),
            client_ids=frozenset(client_ids.get(email, ())),
        )
        for email in new_emails
    ]
    warnings = []
    for email, matches in zip(new_emails, probable_duplicates(organization, people), strict=True):
        for match in matches:
            other = match.candidate
            warnings.append(
                RowError(
                    EVENTS_FILE,
                    first_line[email],
                    f"{names[email]} <{email}> is probably the same person as {other.name} "
                    f"<{other.email}> ({other.get_status_display()}, advice: "
                    f"{other.get_advice_display()}): {match.why}. Imported as a new "
                    "candidate: merge them if they are one person",
                )
            )
    return warnings


def check(
    *,
    organization: Organization,
    events: TextIO | BinaryIO | str,
    risk_notes: TextIO | BinaryIO | str | None = None,
    recorded_by: User | None = None,
) -> Plan:
    """Read and check both files; nothing is written. `recorded_by` is the member whose rights
    the rows must stay within (None: the operator, from the command line). `organization` may
    be unsaved (the command creates it only when the files are good)."""
    log = _ErrorLog()
    # The uploader's day as their forms count it (the worker's check counts the same);
    # the command line's is the organization's.
    zone = recorded_by.time_zone if recorded_by is not None else ""
    ctx = _Context(latest=latest_date(zone), member=recorded_by)
    event_rows, event_mentions = _parse(
        events, EVENT_COLUMNS, _Problems(EVENTS_FILE, log), _event_row, ctx
    )
    note_rows, note_mentions = [], []
    if risk_notes is not None:
        note_rows, note_mentions = _parse(
            risk_notes, NOTE_COLUMNS, _Problems(NOTES_FILE, log), _note_row, ctx
        )
    names = _check_candidates(
        organization, event_rows, event_mentions, note_mentions, log, recorded_by
    )
    plan = Plan(event_rows, note_rows, names, log.listed(), log.count)
    if plan.ok and organization.pk is not None:
        plan.warnings = _new_people_warnings(organization, plan)
    return plan


def _new_people_warnings(organization: Organization, plan: Plan) -> list[RowError]:
    """The file's new candidates who are probably someone already here, by line."""
    emails = list(dict.fromkeys(row.email for row in plan.event_rows))
    existing = _existing_candidates(organization, emails)
    first_line: dict[str, int] = {}
    for row in plan.event_rows:
        first_line.setdefault(row.email, row.line)
    new_emails = [email for email in emails if email not in existing and email in plan.names]
    if not new_emails:
        return []
    clients = {
        name.lower(): pk
        for pk, name in Client.objects.filter(organization=organization).values_list("pk", "name")
    }
    return _duplicate_warnings(
        organization, new_emails, plan.names, first_line, plan.event_rows, clients
    )


# --- Writing ------------------------------------------------------------------------------


class Stale(Exception):
    """The organization changed since the files were checked, so that a row can no longer be
    written as checked (its candidate was deleted, say)."""


def _chunks(values: Sequence, size: int = IN_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _create(objs: list[M], model: type[M], recorded_by: User | None) -> list[M]:
    """Insert the rows and their "created" rows of the audit trail, attributed to whoever
    imported (no one, from the command line), with the reason "import".

    A bulk insert sends no signals, so django-simple-history would not see these rows: its
    helper writes their history in one more bulk insert per table. Every backend we run on
    returns the new primary keys from a bulk insert (PostgreSQL, SQLite >= 3.35), which the
    rows after these need (an event's candidate, a job's client); on one that does not, the
    helper reads the rows back (one more query per table)."""
    if not objs:
        return objs
    return bulk_create_with_history(
        objs,
        model,
        batch_size=1000,
        default_user=recorded_by,
        default_change_reason="import",
    )


def _row_key(row: _EventRow) -> tuple:
    job_key = (row.client.lower(), row.job_title.lower()) if row.job_title else None
    return (row.email, job_key, row.kind.value, row.occurred_on, row.reason, row.notes)


def _guard_rows(
    organization: Organization,
    event_rows: list[_EventRow],
    existing: dict[str, tuple],
    problems: _Problems,
    recorded_by: User | None,
) -> None:
    """The guards (docs/recovery-model.md, "Guards") on every guarded row, as of the row's
    own date: the advice from the rows dated before it (the organization's events and the
    file's, each counted once), the job's state on that date. A row just after an `override`
    row of the same candidate on the same date goes through (but not onto a closed job);
    only an admin (or the command line, run by the platform's staff) may import an override.
    A fixed number of queries: the jobs, their history, the candidates' events."""
    can_override = recorded_by is None or services.may_override(recorded_by)
    if not can_override:
        for row in event_rows:
            if row.kind == Kind.OVERRIDE:
                problems.add(
                    row.line,
                    'kind "override" is for admins: only an admin may let a refused action through',
                )
    guarded = [(i, row) for i, row in enumerate(event_rows) if row.kind in GUARDED_KINDS]
    if not guarded:
        return
    emails = {row.email for _, row in guarded}

    # What each concerned candidate already has, keyed as the importer dedupes rows.
    jobs = (
        {
            (job.client.name.lower(), job.title.lower()): job
            for job in Job.objects.filter(organization=organization).select_related("client")
        }
        if organization.pk is not None
        else {}
    )  # an organization the command is to create
    job_keys = {job.pk: key for key, job in jobs.items()}
    ids = {existing[email][0]: email for email in emails if email in existing}
    facts: dict[str, dict[tuple, EventFact]] = {email: {} for email in emails}
    for chunk in _chunks(list(ids)):
        for event in Event.objects.filter(candidate_id__any=chunk).select_related("job__client"):
            key = (
                ids[event.candidate_id],
                job_keys.get(event.job_id),
                event.kind,
                event.occurred_on,
                event.reason,
                event.notes,
            )
            facts[ids[event.candidate_id]].setdefault(key, event.as_fact())
    already = {key for by_key in facts.values() for key in by_key}
    # The file's own rows, after every event already recorded (seq: their order in the file).
    offset = max((f.seq for by_key in facts.values() for f in by_key.values()), default=0) + 1
    for i, row in enumerate(event_rows):
        if row.email in facts:
            facts[row.email].setdefault(
                _row_key(row),
                EventFact(
                    kind=row.kind,
                    occurred_on=row.occurred_on,
                    seq=offset + i,
                    reason=row.reason,
                    client=row.client,
                    job=row.job_title,
                ),
            )

    concerned = {
        jobs[(row.client.lower(), row.job_title.lower())].pk
        for _, row in guarded
        if (row.client.lower(), row.job_title.lower()) in jobs
    }
    history: dict[int, list] = {pk: [] for pk in concerned}
    for chunk in _chunks(list(concerned)):
        for pk, at, state in (
            Job.history.filter(id__any=chunk)
            .order_by("history_date", "history_id")
            .values_list("id", "history_date", "state")
        ):
            history[pk].append((at, state))

    previous: dict[str, _EventRow] = {}
    before_guarded = {}
    for i, row in enumerate(event_rows):
        before_guarded[i] = previous.get(row.email)
        previous[row.email] = row
    for i, row in guarded:
        if _row_key(row) in already:
            continue  # imported before: skipped below, nothing to judge
        job = jobs.get((row.client.lower(), row.job_title.lower()))
        state = (
            services.state_on(history.get(job.pk, []), job.state, row.occurred_on)
            if job is not None
            else "open"  # a job this file creates is open
        )
        before = before_guarded[i]
        overridden = (
            can_override
            and before is not None
            and before.kind == Kind.OVERRIDE
            and before.occurred_on == row.occurred_on
        )
        prior = [f for f in facts[row.email].values() if f.occurred_on < row.occurred_on]
        verdict = judge(
            row.kind,
            prior,
            on=row.occurred_on,
            job_state=state,
            job_name=f"{row.job_title} ({row.client})" if row.job_title else "",
            overridden=overridden,
        )
        if not verdict.allowed:
            problems.add(row.line, verdict.message)


def _ensure_candidates(
    organization: Organization,
    emails: list[str],
    names: dict[str, str],
    recorded_by: User | None,
    counts: ImportResult,
) -> dict[str, int]:
    """{email: candidate id} for the batch's candidates, creating the new ones."""
    existing = _existing_candidates(organization, emails)
    new: list[Candidate] = []
    for email in dict.fromkeys(emails):
        if email in existing:
            continue
        if email not in names:
            raise Stale(f"{email} is no longer a candidate of {organization.name}")
        name = names[email]
        # A bulk insert skips Candidate.save(): the duplicate rule's key is set here.
        new.append(
            Candidate(organization=organization, email=email, name=name, name_key=name_key(name))
        )
    new = _create(new, Candidate, recorded_by)
    counts.candidates_created += len(new)
    ids = {email: pk for email, (pk, _name) in existing.items()}
    ids.update({c.email: c.pk for c in new})
    return ids


def _ensure_clients(
    organization: Organization, rows: list[_EventRow], recorded_by: User | None, counts
) -> dict[str, int]:
    """{lowercased name: client id} for the organization's clients, creating the batch's new
    ones with the first spelling met. Matched in Python: SQLite's LOWER() is ASCII-only."""
    clients = {
        name.lower(): pk
        for pk, name in Client.objects.filter(organization=organization).values_list("pk", "name")
    }
    new: dict[str, Client] = {}
    for row in rows:
        key = row.client.lower()
        if row.client and key not in clients and key not in new:
            new[key] = Client(organization=organization, name=row.client)
    created = _create(list(new.values()), Client, recorded_by)
    clients.update({key: c.pk for key, c in zip(new, created, strict=True)})
    counts.clients_created += len(created)
    return clients


def _ensure_jobs(
    organization: Organization,
    rows: list[_EventRow],
    clients: dict[str, int],
    recorded_by: User | None,
    counts: ImportResult,
) -> dict[tuple[int, str], int]:
    """{(client id, lowercased title): job id} for the batch's clients, creating new jobs."""
    wanted = {clients[row.client.lower()] for row in rows if row.job_title}
    jobs: dict[tuple[int, str], int] = {}
    for chunk in _chunks(sorted(wanted)):
        for pk, client_id, title in Job.objects.filter(
            organization=organization, client_id__any=chunk
        ).values_list("pk", "client_id", "title"):
            jobs[(client_id, title.lower())] = pk
    new: dict[tuple[int, str], Job] = {}
    for row in rows:
        if not row.job_title:
            continue
        key = (clients[row.client.lower()], row.job_title.lower())
        if key not in jobs and key not in new:
            new[key] = Job(organization=organization, client_id=key[0], title=row.job_title)
    created = _create(list(new.values()), Job, recorded_by)
    jobs.update({key: j.pk for key, j in zip(new, created, strict=True)})
    counts.jobs_created += len(created)
    return jobs


def _write_events(
    rows: list[_EventRow],
    candidate_ids: dict[str, int],
    clients: dict[str, int],
    jobs: dict[tuple[int, str], int],
    recorded_by: User | None,
    counts: ImportResult,
) -> list[Event]:
    """The batch's events, skipping those already recorded (by an earlier import, an earlier
    batch, or earlier in this batch), compared on what the file says, by ids."""
    ids = sorted({candidate_ids[row.email] for row in rows})
    seen: set[tuple] = set()
    for chunk in _chunks(ids):
        seen.update(
            Event.objects.filter(candidate_id__any=chunk).values_list(
                "candidate_id", "job_id", "kind", "occurred_on", "reason", "notes"
            )
        )
    new = []
    for row in rows:
        job_id = None
        if row.job_title:
            job_id = jobs[(clients[row.client.lower()], row.job_title.lower())]
        candidate_id = candidate_ids[row.email]
        key = (candidate_id, job_id, row.kind.value, row.occurred_on, row.reason, row.notes)
        if key in seen:
            counts.duplicates_skipped += 1
            continue
        seen.add(key)
        new.append(
            Event(
                candidate_id=candidate_id,
                job_id=job_id,
                kind=row.kind.value,
                occurred_on=row.occurred_on,
                reason=row.reason,
                notes=row.notes,
                recorded_by=recorded_by,
            )
        )
    # In file order: on one date, history follows the order events were recorded (their id).
    new = _create(new, Event, recorded_by)
    counts.events_created += len(new)
    return new


def _note_authors(organization: Organization, recorded_by: User | None) -> dict[str, int]:
    """{email: member id} of the members a note may be linked to: the uploader alone through
    the web; from the command line, any member of the organization with that email."""
    if recorded_by is not None:
        return {(recorded_by.email or "").strip().lower(): recorded_by.pk}
    members: dict[str, int] = {}
    for pk, email in (
        User.objects.filter(organization=organization)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", "email")
    ):
        members.setdefault(email.lower(), pk)
    return members


def _write_notes(
    rows: list[_NoteRow],
    candidate_ids: dict[str, int],
    organization: Organization,
    recorded_by: User | None,
    counts: ImportResult,
) -> list[RiskNote]:
    """The batch's risk notes, likewise; the author is linked when a member has that email."""
    if not rows:
        return []
    authors = _note_authors(organization, recorded_by)
    ids = sorted({candidate_ids[row.email] for row in rows})
    seen: set[tuple] = set()
    for chunk in _chunks(ids):
        for candidate_id, dimension, author_email, *rest in RiskNote.objects.filter(
            candidate_id__any=chunk
        ).values_list("candidate_id", "dimension", "author_email", "noted_on", "level", "note"):
            seen.add((candidate_id, dimension, author_email.lower(), *rest))
    new = []
    for row in rows:
        candidate_id = candidate_ids[row.email]
        key = (
            candidate_id,
            row.dimension.value,
            row.author_email,
            row.noted_on,
            row.level,
            row.note,
        )
        if key in seen:
            counts.duplicates_skipped += 1
            continue
        seen.add(key)
        new.append(
            RiskNote(
                candidate_id=candidate_id,
                dimension=row.dimension.value,
                level=row.level,
                author_id=authors.get(row.author_email),
                author_email=row.author_email,
                noted_on=row.noted_on,
                note=row.note,
            )
        )
    new = _create(new, RiskNote, recorded_by)
    counts.notes_created += len(new)
    return new


# Called inside each batch's transaction with the batch's counts and the rows done so far;
# what it writes commits (or rolls back) with the batch.
OnBatch = Callable[[ImportResult, int], None]


def _write_batch(
    organization: Organization,
    event_rows: list[_EventRow],
    note_rows: list[_NoteRow],
    names: dict[str, str],
    recorded_by: User | None,
) -> ImportResult:
    """One batch, in the caller's transaction."""
    # Two imports into one organization take turns batch by batch, so each batch sees the
    # other's candidates, clients, jobs and events and adds none of them twice. NO KEY: the
    # lock does not conflict with the key-share lock a member's insert takes on the row it
    # refers to, so adding a candidate or a client elsewhere in the organization never waits.
    Organization.objects.select_for_update(no_key=True).only("pk").get(pk=organization.pk)
    counts = ImportResult()
    emails = [row.email for row in event_rows] + [row.email for row in note_rows]
    candidate_ids = _ensure_candidates(organization, emails, names, recorded_by, counts)
    clients = _ensure_clients(organization, event_rows, recorded_by, counts)
    jobs = _ensure_jobs(organization, event_rows, clients, recorded_by, counts)
    events = _write_events(event_rows, candidate_ids, clients, jobs, recorded_by, counts)
    notes = _write_notes(note_rows, candidate_ids, organization, recorded_by, counts)
    # Every new candidate has a row written in this batch, so is among these.
    touched = {e.candidate_id for e in events}
    touched.update(n.candidate_id for n in notes)
    services.reevaluate(touched)
    return counts


def write(
    plan: Plan,
    *,
    organization: Organization,
    recorded_by: User | None = None,
    start: int = 0,
    batch_size: int | None = None,
    on_batch: OnBatch | None = None,
    deadline: float | None = None,
) -> ImportResult:
    """Write a checked plan's rows from `start` on, batch after batch, each in its own
    transaction, until the end or, after a batch, `deadline` (time.monotonic()). The result
    counts what this call wrote; `done` is where it stopped. A batch that stays in conflict
    with other writers, or that the organization's changes made impossible, stops the import
    with an error: the batches before it are written, and importing the files again adds
    only what is missing."""
    batch_size = batch_size or BATCH_SIZE
    result = ImportResult(done=start)
    events_total = len(plan.event_rows)
    while result.done < plan.total:
        end = min(result.done + batch_size, plan.total)
        event_rows = plan.event_rows[result.done : min(end, events_total)]
        note_rows = plan.note_rows[max(0, result.done - events_total) : max(0, end - events_total)]
        for attempt in range(BATCH_TRIES):
            try:
                with transaction.atomic():
                    counts = _write_batch(
                        organization, event_rows, note_rows, plan.names, recorded_by
                    )
                    if on_batch is not None:
                        on_batch(counts, end)
                break
            except IntegrityError:
                # A member created one of these candidates, clients or jobs between our read
                # and our insert (the forms do not take the organization's lock): again.
                if attempt + 1 == BATCH_TRIES:
                    return _stopped(result, "someone kept changing these candidates")
            except Stale as exc:
                return _stopped(result, str(exc))
        result.add(counts)
        result.done = end
        if deadline is not None and time.monotonic() > deadline:
            break
    return result


def _stopped(result: ImportResult, why: str) -> ImportResult:
    line = 1
    message = (
        f"{why}; the import stopped after {result.done:,} rows. Import the files again: "
        "the rows already imported are skipped"
    )
    result.errors = [RowError(EVENTS_FILE, line, message)]
    result.problem_count = 1
    return result


def import_history(
    *,
    organization: Organization,
    events: TextIO | BinaryIO | str,
    risk_notes: TextIO | BinaryIO | str | None = None,
    recorded_by: User | None = None,
    on_batch: OnBatch | None = None,
) -> ImportResult:
    """Check, then write at once (the command line, and tests); see the module docstring.

    `events` and `risk_notes` are open files: text streams, or binary ones (such as an uploaded
    file), which are decoded here as UTF-8 so that an unreadable byte is reported with its line;
    or text already read.
    """
    plan = check(
        organization=organization, events=events, risk_notes=risk_notes, recorded_by=recorded_by
    )
    if not plan.ok:
        return plan.failure()
    result = write(plan, organization=organization, recorded_by=recorded_by, on_batch=on_batch)
    result.warnings = plan.warnings
    return result


# --- Jobs ---------------------------------------------------------------------------------
# The web upload is checked in the request and written by a worker. How a job is written
# once, in effect, whatever happens to workers and messages:
# - the job row commits with the request; its task is sent after the commit, and if the
#   broker is down the job simply stays `pending` (the request still succeeds): the sweep
#   (beat, every minute) sends pending jobs again;
# - a worker claims the job with a conditional UPDATE (pending, or running with its lease
#   run out), which only one claimant can win, and renews the lease with every batch;
# - each batch commits its rows together with `done` and the counts, and only while the claim
#   is still ours (a worker that lost its lease rolls its batch back); so a job taken over
#   goes on from the last batch committed, and the counts are exact;
# - a job is `done` only when every row is written; a job that keeps losing its worker
#   without progress, or whose file no longer passes its checks, is `failed` with why.


class _Superseded(Exception):
    """Our claim on the job ran out and someone else holds it: stop, writing nothing more."""


def start_job(
    *,
    organization: Organization,
    created_by: User,
    plan: Plan,
    events: str,
    risk_notes: str | None,
    events_name: str = "",
    notes_name: str = "",
) -> ImportJob:
    """Store a checked upload as a job and ask a worker for it once the transaction commits."""
    job = ImportJob.objects.create(
        organization=organization,
        created_by=created_by,
        events_csv=events,
        notes_csv=risk_notes or "",
        events_name=events_name[:255],
        notes_name=notes_name[:255],
        total=plan.total,
    )
    transaction.on_commit(partial(enqueue, job.pk))
    return job


def enqueue(job_id: int) -> bool:
    """Send the job's task; False (and the job stays pending, for the sweep) if the broker
    cannot take it."""
    from .tasks import run_import

    try:
        run_import.delay(job_id)
    except Exception:
        logger.warning("import job %s: the broker is unreachable; the sweep will send it", job_id)
        return False
    return True


def _claim(job_id: int, token: str) -> ImportJob | None:
    now = timezone.now()
    claimable = Q(state=ImportState.PENDING) | Q(state=ImportState.RUNNING, lease_until__lt=now)
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        state=ImportState.RUNNING,
        claim_token=token,
        lease_until=now + JOB_LEASE,
        attempts=F("attempts") + 1,
        started_at=Coalesce("started_at", now),
    )
    if not claimed:
        return None
    return ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)


def _ours(job: ImportJob, token: str):
    return ImportJob.objects.filter(pk=job.pk, claim_token=token, state=ImportState.RUNNING)


def _end(job: ImportJob, token: str, state: str, **fields) -> None:
    """Finish the job (if it is still ours) and drop the files it held."""
    _ours(job, token).update(
        state=state,
        finished_at=timezone.now(),
        claim_token="",
        lease_until=None,
        events_csv="",
        notes_csv="",
        **fields,
    )


def _fail(job: ImportJob, token: str, error: str, result: ImportResult | None = None) -> str:
    problems = [[e.file, e.line, e.message] for e in result.errors] if result else []
    _end(
        job,
        token,
        ImportState.FAILED,
        error=error,
        problems=problems,
        problem_count=result.problem_count if result else 0,
    )
    logger.warning("import job %s failed: %s", job.pk, error)
    return ImportState.FAILED


class _NoLongerAllowed(Exception):
    """The uploader was deactivated or left the organization while their import ran."""


def _may_still_import(job: ImportJob) -> bool:
    return User.objects.filter(
        pk=job.created_by_id, is_active=True, organization_id=job.organization_id
    ).exists()


def _progress(job: ImportJob, token: str) -> OnBatch:
    def on_batch(counts: ImportResult, done: int) -> None:
        # Rights are the uploader's as they stand now, batch after batch, not as claimed.
        if not _may_still_import(job):
            raise _NoLongerAllowed
        updated = _ours(job, token).update(
            done=done,
            lease_until=timezone.now() + JOB_LEASE,
            attempts=0,  # progress: only claims that end without any count towards failing
            **{name: F(name) + getattr(counts, name) for name in COUNTS},
        )
        if not updated:
            raise _Superseded

    return on_batch


def run_job(job_id: int, *, budget: timedelta = JOB_BUDGET) -> str:
    """Claim the job and write it from where it stands; returns the state it is left in.
    After `budget` the job is handed on (its lease released, its task sent again)."""
    # The budget runs from the task's start: the check below counts towards it.
    deadline = time.monotonic() + budget.total_seconds()
    token = uuid.uuid4().hex
    job = _claim(job_id, token)
    if job is None:
        return "not claimed"
    if job.attempts > MAX_ATTEMPTS:
        return _fail(job, token, f"the import stopped {MAX_ATTEMPTS} times without progress")
    member = job.created_by
    if member is None or not member.is_active or member.organization_id != job.organization_id:
        return _fail(job, token, "the member who uploaded the files can no longer import")
    plan = check(
        organization=job.organization,
        events=job.events_csv,
        risk_notes=job.notes_csv or None,
        recorded_by=member,
    )
    if not plan.ok:
        return _fail(job, token, "the files no longer pass their checks", plan.failure())
    # A long check must not let the lease run out under a live worker.
    if not _ours(job, token).update(lease_until=timezone.now() + JOB_LEASE):
        return "superseded"
    try:
        result = write(
            plan,
            organization=job.organization,
            recorded_by=member,
            start=job.done,
            on_batch=_progress(job, token),
            deadline=deadline,
        )
    except _Superseded:
        return "superseded"
    except _NoLongerAllowed:
        return _fail(job, token, "the member who uploaded the files can no longer import")
    except Exception as exc:
        # Left running: its lease runs out and the sweep tries again (MAX_ATTEMPTS in all).
        _ours(job, token).update(lease_until=timezone.now(), error=f"{type(exc).__name__}: {exc}")
        raise
    if result.errors:
        return _fail(job, token, result.errors[0].message)
    if result.done < plan.total:
        # Out of time: release the claim for the next run, which goes on from `done`.
        _ours(job, token).update(lease_until=timezone.now())
        transaction.on_commit(partial(enqueue, job.pk))
        return ImportState.RUNNING
    _end(job, token, ImportState.DONE, error="")
    return ImportState.DONE


def sweep_jobs() -> int:
    """Send again the jobs no worker holds: pending ones whose message may have been lost
    (the broker was down at upload), running ones whose worker died (lease run out)."""
    now = timezone.now()
    waiting = ImportJob.objects.filter(
        Q(state=ImportState.PENDING, created_at__lt=now - SWEEP_GRACE)
        | Q(state=ImportState.RUNNING, lease_until__lt=now)
    ).values_list("pk", flat=True)[:100]
    sent = 0
    for job_id in waiting:
        sent += enqueue(job_id)
    return sent
