"""Make a personal API token for a member from the command line (the README's curl example
on `make run`'s demo): `manage.py api_token ada@northwind.test --name demo --scope read`.
Prints the token alone on stdout (nothing else), so that `TOKEN=$(...)` works."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api import tokens
from api.models import Scope
from candidates.models import User


class Command(BaseCommand):
    help = "Create a personal API token for a member and print it (shown this once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="The member's email (their login).")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument("--scope", choices=Scope.values, default=Scope.READ)

    def handle(self, *args, email: str, name: str, scope: str, **options) -> None:
        member = User.objects.filter(email__iexact=email.strip()).first()
        if member is None:
            raise CommandError(f"No member with the email {email!r}.")
        try:
            made = tokens.token_create(member=member, name=name, scope=scope)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(
            f"Token “{made.token.name}” ({made.token.get_scope_display().lower()}) for "
            f"{member.email}, acting as {member.get_role_display().lower()} of "
            f"{member.organization}:"
        )
        self.stdout.write(made.raw)
