"""`manage.py recovery_report --org SLUG [--as-of YYYY-MM-DD] [--format json|csv]`.

Prints the report and nothing else on stdout, so that it can be piped into `jq` or a file.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from candidates import services
from candidates.models import Organization
from candidates.reports import as_csv, as_json, recovery_report


def _as_of(value: str | None) -> date:
    if value is None:
        return services.today()
    # Not date.fromisoformat alone: it also takes 20260302 and 2026-W10-1.
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CommandError(f'--as-of "{value}" is not a date in YYYY-MM-DD form, like 2026-03-02')


class Command(BaseCommand):
    help = (
        "Print every candidate of an organization with their recovery status, risk score and "
        "advice as of a date (default today), as JSON or CSV."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="organization slug")
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="evaluate as of this date (default: today)"
        )
        parser.add_argument(
            "--format", choices=["json", "csv"], default="json", help="output format"
        )

    def handle(self, *args, **options) -> None:
        as_of = _as_of(options["as_of"])
        slug = options["org"]
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f'No organization with the slug "{slug}".')
        rows = recovery_report(organization=organization, as_of=as_of)
        if options["format"] == "csv":
            self.stdout.write(as_csv(rows), ending="")
        else:
            self.stdout.write(as_json(rows, as_of=as_of))
