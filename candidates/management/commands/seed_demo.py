"""`python manage.py seed_demo [--candidates N [--org SLUG]] [--no-logins | --logins-only]`

Without options: the demo organization "Brightside Recruitment" (slug `demo`) with its
members, clients, jobs and about fifty candidate histories, a reminder falling due a minute
later, then the logins to try it and the address (SITE_URL).
With `--candidates N`: also make sure N synthetic candidates (bench-000001@... to N) exist in
the organization `--org` (default `demo`), written in bulk, for performance work.
Both are safe to run again: nothing that exists is written twice.
`make run` seeds with `--no-logins`, then bin/devserver prints them with `--logins-only`
(which writes nothing) once the server is up, as the last thing on the screen.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from candidates import demo
from candidates.models import Organization


class Command(BaseCommand):
    help = (
        "Create the demo organization (slug 'demo') with believable candidate histories and "
        "print its logins; --candidates N adds N synthetic candidates for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--candidates",
            type=int,
            default=0,
            metavar="N",
            help="Also make sure N synthetic candidates (bench-000001 .. N) exist, in bulk.",
        )
        parser.add_argument(
            "--org",
            default=demo.DEMO_SLUG,
            metavar="SLUG",
            help="Organization for --candidates (created when missing; default: demo).",
        )
        shown = parser.add_mutually_exclusive_group()
        shown.add_argument(
            "--no-logins", action="store_true", help="Seed, but do not print the logins."
        )
        shown.add_argument(
            "--logins-only",
            action="store_true",
            help="Print the demo's logins and address, and write nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Candidates written per transaction with --candidates (default 2000).",
        )

    def handle(
        self,
        *args,
        candidates: int,
        org: str,
        batch_size: int,
        no_logins: bool,
        logins_only: bool,
        **options,
    ) -> None:
        if candidates < 0 or batch_size < 1:
            raise CommandError("--candidates must be 0 or more and --batch-size at least 1.")
        if org != demo.DEMO_SLUG and not candidates:
            raise CommandError("--org only applies with --candidates N.")
        if logins_only:
            if candidates:
                raise CommandError("--logins-only writes nothing: leave out --candidates.")
            logins = demo.demo_logins()
            if not logins:
                raise CommandError("No demo accounts yet: run `manage.py seed_demo` first.")
            self._print_logins(logins)
            return

        seeded = None
        if org == demo.DEMO_SLUG:
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

        if candidates:
            organization = seeded.organization if seeded else self._organization(org)
            self.stderr.write(f"Adding synthetic candidates to {organization.slug}:")
            result = demo.seed_bench(
                organization=organization,
                count=candidates,
                batch_size=batch_size,
                progress=self.stderr.write,
            )
            self.stdout.write(
                f"Synthetic candidates in {organization.slug}: {result.created} created "
                f"({result.events} events, {result.notes} risk notes), "
                f"{result.existing} already there, in {result.seconds:.1f} s."
            )

        if seeded and not no_logins:
            self._print_logins(seeded.logins)

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            organization = Organization.objects.create(
                slug=slug, name=slug.replace("-", " ").title()
            )
        return organization

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
