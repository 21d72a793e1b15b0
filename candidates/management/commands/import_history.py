"""`manage.py import_history --org SLUG EVENTS.csv [--risk-notes NOTES.csv]`.

All or nothing, like the web upload (both call `candidates.importer.import_history`): every bad
line goes to stderr and the command exits non-zero; the organization, when this command would
have created it, is not created either.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import transaction

from candidates.importer import ImportResult, import_history
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


class Command(BaseCommand):
    help = (
        "Import candidates' histories from an events CSV (and a risk-notes CSV) into an "
        "organization, creating it if needed. All or nothing: any bad row and nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="organization slug")
        parser.add_argument("events", metavar="EVENTS.csv", help="the events file")
        parser.add_argument("--risk-notes", metavar="NOTES.csv", help="the risk notes file")

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

        with ExitStack() as files, transaction.atomic():
            try:
                # Binary: the importer decodes, so an unreadable byte is reported with its line.
                streams = [files.enter_context(path.open("rb")) for path in paths]
            except OSError as exc:
                raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from exc
            organization = Organization.objects.filter(slug=slug).first()
            created = organization is None
            if organization is None:
                organization = Organization.objects.create(
                    slug=slug, name=slug.replace("-", " ").replace("_", " ").title()
                )
            result = import_history(
                organization=organization,
                events=streams[0],
                risk_notes=streams[1] if len(streams) > 1 else None,
            )
            if not result.ok:
                for error in result.errors:
                    self.stderr.write(str(error))
                # Raised inside the transaction: a new organization is rolled back with the rest.
                raise CommandError(
                    f"Nothing was imported: {_plural(len(result.errors), 'problem')} "
                    "(listed above). Fix the files and import them again."
                )

        where = f"{organization.name} ({organization.slug})"
        if created:
            self.stdout.write(f"Created organization {where}.")
        self.stdout.write(self.style.SUCCESS(f"Imported into {where}: {summary(result)}."))
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
