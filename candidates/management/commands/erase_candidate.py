"""`manage.py erase_candidate --org SLUG --email EMAIL --reason "..." [--by EMAIL] [--yes]`.

Erases one candidate's personal data (see candidates/privacy.py): name and email replaced
by an anonymous token, phone and every note's text removed, earlier versions scrubbed; the
events stay so the agency's numbers stay right. Asks for confirmation unless --yes.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from candidates.models import User
from candidates.privacy import candidate_by_email, erase_candidate


class Command(BaseCommand):
    help = "Erase one candidate's personal data (keeps their events, anonymously)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="organization slug")
        parser.add_argument("--email", required=True, help="the candidate's email")
        parser.add_argument(
            "--reason", required=True, help='why, for the audit trail (e.g. "erasure request")'
        )
        parser.add_argument(
            "--by", metavar="EMAIL", help="the member of the organization who asked for it"
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, **options) -> None:
        try:
            candidate = candidate_by_email(org_slug=options["org"], email=options["email"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        erased_by = None
        if options["by"]:
            erased_by = User.objects.filter(
                organization=candidate.organization, email__iexact=options["by"].strip()
            ).first()
            if erased_by is None:
                raise CommandError(f'No member "{options["by"]}" in "{options["org"]}".')
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Not a terminal: add --yes to erase without a question.")
            answer = input(
                f"Erase {candidate.name} <{candidate.email}> from {candidate.organization}? "
                "This cannot be undone. Type 'erase' to go on: "
            )
            if answer.strip().lower() != "erase":
                raise CommandError("Nothing erased.")
        try:
            erased = erase_candidate(
                candidate=candidate, erased_by=erased_by, reason=options["reason"]
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Erased: candidate #{erased.pk} is now {erased.name} <{erased.email}>.")
