"""`manage.py export_candidate --org SLUG --email EMAIL`: everything held about one candidate,
as JSON on stdout (for a subject access request)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from candidates.privacy import candidate_by_email, export_candidate


class Command(BaseCommand):
    help = "Print everything held about one candidate as JSON (events, notes, history…)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="organization slug")
        parser.add_argument("--email", required=True, help="the candidate's email")

    def handle(self, *args, **options) -> None:
        try:
            candidate = candidate_by_email(org_slug=options["org"], email=options["email"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        data = export_candidate(candidate)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
