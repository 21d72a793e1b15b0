"""The history importer: an events CSV (and optionally a risk-notes CSV) into one organization.

One importer for every way in: `manage.py import_history` and the web upload page both call
`import_history()`. The file format is the contract's ("Import and report" in
`docs/recovery-model.md`):

    events:     candidate_email, candidate_name, client, job_title, kind, occurred_on, reason, notes
    risk notes: candidate_email, dimension, level, author_email, noted_on, note

Steps:
1. read and check every row of both files, with no database access, collecting every problem
   with its line number (the header is line 1);
2. in one transaction, with the organization's row locked so that two imports into one
   organization run one after the other: read what the organization already has (a fixed
   number of queries, whatever the number of rows) and check what needs it (a new candidate
   needs a name; a note's candidate must exist somewhere);
3. if anything is wrong, write nothing; otherwise create candidates, clients, jobs, events
   and notes with bulk inserts, skipping rows already there (so a second import of the same
   file adds nothing), and re-evaluate every candidate that changed, once.

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
- safety limits: at most 50,000 rows and 25 MB per file, 10,000 characters per row, and no
  date more than a year ahead.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO, TextIO, TypeVar

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from simple_history.utils import bulk_create_with_history

from . import services
from .duplicates import Person, name_key, probable_duplicates
from .engine import FLAG_KINDS, LEVEL_MAX, LEVEL_MIN, MISSTEPS, Dimension, Kind, Reason
from .models import Candidate, CandidateAddress, Client, Event, Job, Organization, RiskNote, User

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
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_ROW_CHARS = 10_000
FUTURE_LIMIT = relativedelta(years=1)
# Lengths of the model fields the cells go into.
MAX_EMAIL = 254
MAX_NAME = 200

# Kept well under every database's limit on query parameters.
IN_CHUNK = 2000

M = TypeVar("M", bound=models.Model)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KINDS = ", ".join(k.value for k in Kind)
_REASONS = ", ".join(r.value for r in Reason)
_DIMENSIONS = ", ".join(d.value for d in Dimension)
_REASON_VALUES = frozenset(r.value for r in Reason)


@dataclass(frozen=True)
class RowError:
    file: str  # "events" or "risk notes"
    line: int  # line number in the file as a user counts it (header is line 1)
    message: str  # what is wrong, in words a recruiter understands

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.message}"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    # Imported all the same, but worth a look: a new candidate who is probably someone
    # already here.
    warnings: list[RowError] = field(default_factory=list)
    candidates_created: int = 0
    clients_created: int = 0
    jobs_created: int = 0
    events_created: int = 0
    notes_created: int = 0
    duplicates_skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Reading the files --------------------------------------------------------------------


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class _NoteRow:
    line: int
    email: str
    dimension: Dimension
    level: int
    author_email: str
    noted_on: date
    note: str


class _Problems:
    """Collects the problems of one file into the import's list of errors."""

    def __init__(self, file: str, errors: list[RowError]):
        self.file = file
        self.errors = errors

    def add(self, line: int, message: str) -> None:
        self.errors.append(RowError(self.file, line, message))


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


def _read_stream(stream: TextIO | BinaryIO, problems: _Problems) -> str | None:
    try:
        return _read_text(stream, problems)
    except UnicodeDecodeError:
        # A text stream opened by the caller with a strict decoder; it decodes in chunks, so
        # the line is not known.
        problems.add(
            1, 'the file is not UTF-8 text; save it again as "CSV UTF-8" and import it again'
        )
        return None


def _records(
    text: str, columns: Sequence[str], problems: _Problems
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yields (line, {column: trimmed cell}) for every data row after checking the header."""
    # strict: a quote never closed is an error, not the rest of the file read into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    expected = ", ".join(columns)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.add(1, f"the header line cannot be read as CSV ({exc})")
        return
    if header is None or not any(cell.strip() for cell in header):
        problems.add(1, f"the file is empty; its first line must be the header: {expected}")
        return
    names = [cell.strip().lower() for cell in header]
    missing = [c for c in columns if c not in names]
    unknown = [n for n in names if n not in columns]
    repeated = sorted({n for n in names if n in columns and names.count(n) > 1})
    wrong = []
    if missing:
        wrong.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    if unknown:
        shown = ", ".join(f'"{n}"' if n else "(empty)" for n in unknown)
        wrong.append(f"unknown column{'s' if len(unknown) > 1 else ''}: {shown}")
    if repeated:
        wrong.append(f"repeated column{'s' if len(repeated) > 1 else ''}: {', '.join(repeated)}")
    if wrong:
        hint = f"the header must have exactly these columns: {expected}"
        if len(header) == 1 and ";" in header[0]:
            # A spreadsheet set to a European locale saves "CSV" with semicolons.
            hint = "the values are separated by semicolons; save the file with commas"
        problems.add(1, f"{'; '.join(wrong)} ({hint})")
        return

    rows = 0
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
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        if rows > MAX_ROWS:
            problems.add(
                line, f"the file has more than {MAX_ROWS:,} rows; split it into smaller files"
            )
            return
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
                f"the row has {len(cells)} values but the header has {len(names)} columns ({hint})",
            )
            continue
        yield line, {name: cell.strip() for name, cell in zip(names, cells, strict=True)}


def _email(value: str, column: str, line: int, problems: _Problems) -> str | None:
    if not value:
        problems.add(line, f"{column} is empty")
        return None
    value = value.lower()
    try:
        if len(value) > MAX_EMAIL:
            raise ValidationError("too long")
        validate_email(value)
    except ValidationError:
        problems.add(line, f'{column} "{value}" is not an email address')
        return None
    return value


def _date(value: str, column: str, line: int, problems: _Problems, today: date) -> date | None:
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
    if day > today + FUTURE_LIMIT:
        problems.add(line, f"{column} {value} is a date in the future (more than a year ahead)")
        return None
    return day


def _text(value: str, column: str, line: int, problems: _Problems) -> bool:
    if len(value) > MAX_NAME:
        problems.add(line, f"{column} is too long ({len(value)} characters; at most {MAX_NAME})")
        return False
    return True


def _event_row(line: int, cells: dict[str, str], problems: _Problems, today: date):
    before = len(problems.errors)
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

    occurred_on = _date(cells["occurred_on"], "occurred_on", line, problems, today)

    reason = cells["reason"].lower()
    if kind is not None:
        if kind in MISSTEPS:
            if not reason:
                problems.add(
                    line, f'reason is required for kind "{kind.value}" (use one of: {_REASONS})'
                )
            elif reason not in _REASON_VALUES:
                problems.add(
                    line, f'reason "{cells["reason"]}" is not a reason (use one of: {_REASONS})'
                )
        elif reason:
            problems.add(
                line,
                f'reason must be empty for kind "{kind.value}": only missteps have a reason '
                "(put any explanation in notes)",
            )
        if kind not in FLAG_KINDS:
            if not client:
                problems.add(line, f'client is empty (required for kind "{kind.value}")')
            if not job_title:
                problems.add(line, f'job_title is empty (required for kind "{kind.value}")')
        elif bool(client) != bool(job_title):
            problems.add(line, "client and job_title go together: give both or neither")

    if len(problems.errors) > before or email is None or kind is None or occurred_on is None:
        return None
    return _EventRow(
        line, email, name, client, job_title, kind, occurred_on, reason, cells["notes"]
    )


def _note_row(line: int, cells: dict[str, str], problems: _Problems, today: date):
    before = len(problems.errors)
    email = _email(cells["candidate_email"], "candidate_email", line, problems)
    author_email = _email(cells["author_email"], "author_email", line, problems)
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
    noted_on = _date(cells["noted_on"], "noted_on", line, problems, today)
    if (
        len(problems.errors) > before
        or email is None
        or author_email is None
        or dimension is None
        or level is None
        or noted_on is None
    ):
        return None
    return _NoteRow(line, email, dimension, level, author_email, noted_on, cells["note"])


@dataclass(frozen=True)
class _Mention:
    """A row's candidate, even when the row is bad: checks that look across rows use it, so
    one bad row does not make its neighbours look wrong too."""

    line: int
    email: str
    name: str


def _parse(stream, columns, problems: _Problems, parse_row, today: date):
    text = _read_stream(stream, problems)
    rows: list = []
    mentions: list[_Mention] = []
    if text is None:
        return rows, mentions
    for line, cells in _records(text, columns, problems):
        email = cells["candidate_email"].lower()
        if email:
            mentions.append(_Mention(line, email, cells.get("candidate_name", "")))
        row = parse_row(line, cells, problems, today)
        if row is not None:
            rows.append(row)
    return rows, mentions


# --- Writing ------------------------------------------------------------------------------


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


def _existing_candidates(organization: Organization, emails: Iterable[str]) -> dict[str, tuple]:
    """{lowercased email: (id, name)} for the organization's candidates among `emails`: a
    row lands on the candidate whose primary address or other address it names."""
    found: dict[str, tuple] = {}
    for chunk in _chunks(sorted(set(emails))):
        for pk, email, name in Candidate.objects.filter(
            organization=organization, email__in=chunk
        ).values_list("pk", "email", "name"):
            found[email.lower()] = (pk, name)
        for pk, email, name in CandidateAddress.objects.filter(
            organization=organization, email__in=chunk
        ).values_list("candidate_id", "email", "candidate__name"):
            found[email.lower()] = (pk, name)
    return found


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


def import_history(
    *,
    organization: Organization,
    events: TextIO | BinaryIO,
    risk_notes: TextIO | BinaryIO | None = None,
    recorded_by: User | None = None,
) -> ImportResult:
    """Import a history; all or nothing. See the module docstring for the rules.

    `events` and `risk_notes` are open files: text streams, or binary ones (such as an uploaded
    file), which are decoded here as UTF-8 so that an unreadable byte is reported with its line.
    """
    today = services.today()
    errors: list[RowError] = []
    event_rows, event_mentions = _parse(
        events, EVENT_COLUMNS, _Problems(EVENTS_FILE, errors), _event_row, today
    )
    note_rows, note_mentions = [], []
    if risk_notes is not None:
        note_rows, note_mentions = _parse(
            risk_notes, NOTE_COLUMNS, _Problems(NOTES_FILE, errors), _note_row, today
        )

    try:
        with transaction.atomic():
            result = _write(
                organization,
                event_rows,
                note_rows,
                event_mentions,
                note_mentions,
                errors,
                recorded_by,
            )
            if not result.ok:
                transaction.set_rollback(True)
            return result
    except IntegrityError:
        # Someone else created one of these candidates, clients or jobs between our read and
        # our write (the web pages do not take the organization's lock). Nothing was written.
        return ImportResult(
            errors=[
                RowError(
                    EVENTS_FILE,
                    1,
                    "someone changed these candidates while the file was being imported; "
                    "nothing was imported, please import the file again",
                )
            ]
        )


def _write(
    organization: Organization,
    event_rows: list[_EventRow],
    note_rows: list[_NoteRow],
    event_mentions: list[_Mention],
    note_mentions: list[_Mention],
    errors: list[RowError],
    recorded_by: User | None,
) -> ImportResult:
    # Two imports into one organization wait for each other, so each sees the other's rows.
    Organization.objects.select_for_update().only("pk").get(pk=organization.pk)

    event_problems = _Problems(EVENTS_FILE, errors)
    note_problems = _Problems(NOTES_FILE, errors)

    emails = {m.email for m in event_mentions} | {m.email for m in note_mentions}
    existing = _existing_candidates(organization, emails)

    # A new candidate needs a name: the first row that gives one.
    names: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for mention in event_mentions:
        first_line.setdefault(mention.email, mention.line)
        if mention.name and mention.email not in names:
            names[mention.email] = mention.name
    for email, line in first_line.items():
        if email not in existing and email not in names:
            event_problems.add(
                line, f"candidate_name is empty and {email} is a new candidate: give a name"
            )
    for mention in note_mentions:
        if mention.email not in existing and mention.email not in first_line:
            note_problems.add(
                mention.line,
                f"{mention.email} is neither in the events file nor a candidate of "
                f"{organization.name}",
            )
    if errors:
        errors.sort(key=lambda e: (e.file != EVENTS_FILE, e.line))
        return ImportResult(errors=errors)

    result = ImportResult(errors=[])

    # Candidates.
    new_emails = [email for email in first_line if email not in existing]
    existing_clients = {
        name.lower(): pk
        for pk, name in Client.objects.filter(organization=organization).values_list("pk", "name")
    }
    result.warnings = _duplicate_warnings(
        organization, new_emails, names, first_line, event_rows, existing_clients
    )
    new_candidates = [
        Candidate(
            organization=organization,
            email=email,
            name=names[email],
            name_key=name_key(names[email]),
        )
        for email in new_emails
    ]
    new_candidates = _create(new_candidates, Candidate, recorded_by)
    result.candidates_created = len(new_candidates)
    candidate_ids = {email: pk for email, (pk, _name) in existing.items()}
    candidate_ids.update({c.email: c.pk for c in new_candidates})

    # Clients and jobs, matched case-insensitively.
    clients = dict(existing_clients)
    new_clients: dict[str, Client] = {}
    for row in event_rows:
        key = row.client.lower()
        if row.client and key not in clients and key not in new_clients:
            new_clients[key] = Client(organization=organization, name=row.client)
    new_clients = dict(
        zip(new_clients, _create(list(new_clients.values()), Client, recorded_by), strict=True)
    )
    clients.update({key: c.pk for key, c in new_clients.items()})
    result.clients_created = len(new_clients)

    jobs: dict[tuple[int, str], int] = {}
    job_keys: dict[int, tuple[str, str]] = {}  # job id -> (client key, title key)
    client_keys = {pk: key for key, pk in clients.items()}
    for pk, client_id, title in Job.objects.filter(organization=organization).values_list(
        "pk", "client_id", "title"
    ):
        jobs[(client_id, title.lower())] = pk
        job_keys[pk] = (client_keys.get(client_id, ""), title.lower())
    new_jobs: dict[tuple[int, str], Job] = {}
    for row in event_rows:
        if not row.job_title:
            continue
        key = (clients[row.client.lower()], row.job_title.lower())
        if key not in jobs and key not in new_jobs:
            new_jobs[key] = Job(organization=organization, client_id=key[0], title=row.job_title)
    new_jobs = dict(zip(new_jobs, _create(list(new_jobs.values()), Job, recorded_by), strict=True))
    jobs.update({key: j.pk for key, j in new_jobs.items()})
    result.jobs_created = len(new_jobs)

    # Events, skipping those already recorded (by an earlier import or earlier in this file).
    # Keyed by candidate, not by email: rows naming a candidate's other address are theirs.
    existing_ids = sorted({pk for pk, _name in existing.values()})
    seen_events: set[tuple] = set()
    for chunk in _chunks(existing_ids):
        for candidate_id, job_id, kind, occurred_on, reason, notes in Event.objects.filter(
            candidate_id__in=chunk
        ).values_list("candidate_id", "job_id", "kind", "occurred_on", "reason", "notes"):
            seen_events.add((candidate_id, job_keys.get(job_id), kind, occurred_on, reason, notes))
    new_events = []
    for row in event_rows:
        job_key = (row.client.lower(), row.job_title.lower()) if row.job_title else None
        key = (
            candidate_ids[row.email],
            job_key,
            row.kind.value,
            row.occurred_on,
            row.reason,
            row.notes,
        )
        if key in seen_events:
            result.duplicates_skipped += 1
            continue
        seen_events.add(key)
        job_id = jobs[(clients[row.client.lower()], row.job_title.lower())] if job_key else None
        new_events.append(
            Event(
                candidate_id=candidate_ids[row.email],
                job_id=job_id,
                kind=row.kind.value,
                occurred_on=row.occurred_on,
                reason=row.reason,
                notes=row.notes,
                recorded_by=recorded_by,
            )
        )
    # In file order: on one date, history follows the order events were recorded (their id).
    new_events = _create(new_events, Event, recorded_by)
    result.events_created = len(new_events)

    # Risk notes, likewise; the author is linked when a member of the organization has that email.
    new_notes = []
    if note_rows:
        members: dict[str, int] = {}
        for pk, email in (
            User.objects.filter(organization=organization)
            .exclude(email="")
            .order_by("pk")
            .values_list("pk", "email")
        ):
            members.setdefault(email.lower(), pk)
        seen_notes: set[tuple] = set()
        for chunk in _chunks(existing_ids):
            for values in RiskNote.objects.filter(candidate_id__in=chunk).values_list(
                "candidate_id", "dimension", "author_email", "noted_on", "level", "note"
            ):
                candidate_id, dimension, author_email, *rest = values
                seen_notes.add((candidate_id, dimension, author_email.lower(), *rest))
        for row in note_rows:
            key = (
                candidate_ids[row.email],
                row.dimension.value,
                row.author_email,
                row.noted_on,
                row.level,
                row.note,
            )
            if key in seen_notes:
                result.duplicates_skipped += 1
                continue
            seen_notes.add(key)
            new_notes.append(
                RiskNote(
                    candidate_id=candidate_ids[row.email],
                    dimension=row.dimension.value,
                    level=row.level,
                    author_id=members.get(row.author_email),
                    author_email=row.author_email,
                    noted_on=row.noted_on,
                    note=row.note,
                )
            )
        new_notes = _create(new_notes, RiskNote, recorded_by)
    result.notes_created = len(new_notes)

    touched = {c.pk for c in new_candidates}
    touched.update(e.candidate_id for e in new_events)
    touched.update(n.candidate_id for n in new_notes)
    services.reevaluate(touched)
    return result
