"""`python manage.py seed_demo [--candidates N [--org SLUG]]`

Without options: the demo organization "Brightside Recruitment" (slug `demo`) with its
members, clients, jobs and about fifty candidate histories, then the logins to try it.
With `--candidates N`: also make sure N synthetic candidates (bench-000001@... to N) exist in
the organization `--org` (default `demo`), written in bulk, for performance work.
Both are safe to run again: nothing that exists is written twice.
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
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Candidates written per transaction with --candidates (default 2000).",
        )

    def handle(self, *args, candidates: int, org: str, batch_size: int, **options) -> None:
        if candidates < 0 or batch_size < 1:
            raise CommandError("--candidates must be 0 or more and --batch-size at least 1.")
        if org != demo.DEMO_SLUG and not candidates:
            raise CommandError("--org only applies with --candidates N.")

        seeded = None
        if org == demo.DEMO_SLUG:
            seeded = demo.seed_demo()
            self.stdout.write(
                f'Demo organization "{seeded.organization.name}" (slug {demo.DEMO_SLUG}): '
                f"{seeded.created} candidates created, {seeded.existing} already there."
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

        if seeded:
            self._print_logins(seeded)

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            organization = Organization.objects.create(
                slug=slug, name=slug.replace("-", " ").title()
            )
        return organization

    def _print_logins(self, seeded: demo.SeedResult) -> None:
        width = max(len(role) for role, _ in seeded.logins)
        self.stdout.write("")
        self.stdout.write("Demo logins (the app at /, the Django admin at /admin/):")
        self.stdout.write(f"  {'Role':<{width}}  {'Username':<32}  Password")
        for role, username in seeded.logins:
            self.stdout.write(f"  {role:<{width}}  {username:<32}  {demo.DEMO_PASSWORD}")
        self.stdout.write("Accounts that existed before the seed keep their own password.")
        if not settings.DEBUG:
            self.stderr.write(
                "These logins have a published password: seed a demo site, never a real one."
            )
