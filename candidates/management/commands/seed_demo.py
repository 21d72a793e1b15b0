"""`python manage.py seed_demo [--no-logins | --logins-only]`

The demo organization "Brightside Recruitment" (slug `demo`) with its members, clients, jobs
and about fifty candidate histories, a reminder falling due a minute later, then the logins
to try it and the address (SITE_URL). Safe to run again: nothing that exists is written
twice. (Synthetic volume for performance work: benchmarks/seed.py.)
`make run` seeds with `--no-logins`, then bin/devserver prints them with `--logins-only`
(which writes nothing) once the server is up, as the last thing on the screen.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from candidates import demo


class Command(BaseCommand):
    help = (
        "Create the demo organization (slug 'demo') with believable candidate histories and "
        "print its logins."
    )

    def add_arguments(self, parser) -> None:
        shown = parser.add_mutually_exclusive_group()
        shown.add_argument(
            "--no-logins", action="store_true", help="Seed, but do not print the logins."
        )
        shown.add_argument(
            "--logins-only",
            action="store_true",
            help="Print the demo's logins and address, and write nothing.",
        )

    def handle(self, *args, no_logins: bool, logins_only: bool, **options) -> None:
        if logins_only:
            logins = demo.demo_logins()
            if not logins:
                raise CommandError("No demo accounts yet: run `manage.py seed_demo` first.")
            self._print_logins(logins)
            return

        seeded = demo.seed_demo()
        self.stdout.write(
            f'Demo organization "{seeded.organization.name}" (slug {demo.DEMO_SLUG}): '
            f"{seeded.created} candidates created, {seeded.existing} already there."
        )
        if seeded.reminder is not None:
            due = seeded.reminder.due_at
            self.stdout.write(
                f'Reminder "{seeded.reminder.title}" for {seeded.reminder.user.email} '
                f"falls due at {due:%H:%M:%S} UTC: the worker emails it within the minute "
                "after that."
            )
        if not no_logins:
            self._print_logins(seeded.logins)

    def _print_logins(self, logins: list[tuple[str, str]]) -> None:
        width = max(len(role) for role, _ in logins)
        site = settings.SITE_URL
        self.stdout.write("")
        self.stdout.write(f"Demo logins (the app at {site}/, the Django admin at {site}/admin/):")
        self.stdout.write(f"  {'Role':<{width}}  {'Username':<32}  Password")
        for role, username in logins:
            self.stdout.write(f"  {role:<{width}}  {username:<32}  {demo.DEMO_PASSWORD}")
        self.stdout.write("Accounts that existed before the seed keep their own password.")
        if not settings.DEBUG:
            self.stderr.write(
                "These logins have a published password: seed a demo site, never a real one."
            )
