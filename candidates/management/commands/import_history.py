"""`manage.py import_history --org SLUG EVENTS.csv [--risk-notes NOTES.csv]`.

All or nothing, like the web upload (both check the files with `candidates.importer.check`):
every bad line goes to stderr and the command exits non-zero; the organization, when this
command would have created it, is not created either. Good files are written at once, in
batches (no worker needed), with a progress bar on stderr, so that stdout keeps only the
summary for scripts.

The command line is the operator's tool: it imports every kind of event (decisions on second
chances included) and risk notes in anyone's name, linked to the member with that email.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import IntegrityError
from tqdm import tqdm

from candidates import importer
from candidates.importer import ImportResult
from candidates.models import Organization


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(result: ImportResult) -> str:
    return (
        f"{_plural(result.candidates_created, 'candidate')}, "
        f"{_plural(result.clients_created, 'client')}, "
        f"{_plural(result.jobs_created, 'job')}, "
        f"{_plural(result.events_created, 'event')} and "
        f"{_plural(result.notes_created, 'risk note')} created; "
        f"{_plural(result.duplicates_skipped, 'row')} already there skipped"
    )


def _organization(slug: str) -> Organization:
    """The organization, or a new one not saved yet (saved only when the files are good)."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = Organization(
            slug=slug, name=slug.replace("-", " ").replace("_", " ").title()
        )
    return organization


class Command(BaseCommand):
    help = (
        "Import candidates' histories from an events CSV (and a risk-notes CSV) into an "
        "organization, creating it if needed. All or nothing: any bad row and nothing is written. "
        "This is the operator's tool: unlike the web upload, which holds a member to what they "
        "may record, it imports every kind of event (decisions on second chances included) and "
        "risk notes by anyone (author_email; linked to the member with that email). A progress "
        "bar goes to stderr."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="organization slug")
        parser.add_argument("events", metavar="EVENTS.csv", help="the events file")
        parser.add_argument("--risk-notes", metavar="NOTES.csv", help="the risk notes file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, **options) -> None:
        slug = options["org"].strip()
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(
                f'"{slug}" is not a valid organization slug (letters, digits, - and _)'
            ) from exc
        paths = [Path(options["events"])]
        if options["risk_notes"]:
            paths.append(Path(options["risk_notes"]))
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")

        organization = _organization(slug)
        with ExitStack() as files:
            try:
                # Binary: the importer decodes, so an unreadable byte is reported with its line.
                streams = [files.enter_context(path.open("rb")) for path in paths]
            except OSError as exc:
                raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from exc
            plan = importer.check(
                organization=organization,
                events=streams[0],
                risk_notes=streams[1] if len(streams) > 1 else None,
            )
        if not plan.ok:
            self._fail(plan.failure(), "Nothing was imported")

        created = organization.pk is None
        if created:
            try:
                organization.save()
            except IntegrityError:  # created meanwhile by someone else: import into it
                organization = Organization.objects.get(slug=slug)
                created = False
        # The stream Django's OutputWrapper wraps: the bar redraws its line with "\r", which
        # the wrapper would end with a newline.
        stream = options.get("stderr") or sys.stderr
        # Redrawn after every batch (at most 101 times), however fast it went.
        with tqdm(
            total=plan.total,
            unit=" rows",
            file=stream,
            disable=options["no_progress"],
            mininterval=0,
            miniters=1,
        ) as bar:

            def progress(counts: ImportResult, done: int) -> None:
                bar.update(done - bar.n)

            result = importer.write(plan, organization=organization, on_batch=progress)
        where = f"{organization.name} ({organization.slug})"
        if created:
            self.stdout.write(f"Created organization {where}.")
        if not result.ok:
            self._fail(result, f"Stopped: {summary(result)}")
        self.stdout.write(self.style.SUCCESS(f"Imported into {where}: {summary(result)}."))
        for warning in plan.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))

    def _fail(self, result: ImportResult, what: str) -> None:
        for error in result.errors:
            self.stderr.write(str(error))
        if result.more_problems:
            self.stderr.write(f"... and {result.more_problems_text}")
        raise CommandError(
            f"{what}: {result.problem_count_text} (listed above). "
            "Fix the files and import them again."
        )
