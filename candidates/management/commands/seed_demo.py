"""`python manage.py seed_demo`

The demo organization "Brightside Recruitment" (slug `demo`) with its members, clients, jobs
and about fifty candidate histories, then the logins to try it. Safe to run again: nothing
that exists is written twice. (Synthetic volume for performance work: benchmarks/seed.py.)
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from candidates import demo


class Command(BaseCommand):
    help = (
        "Create the demo organization (slug 'demo') with believable candidate histories and "
        "print its logins."
    )

    def handle(self, *args, **options) -> None:
        seeded = demo.seed_demo()
        self.stdout.write(
            f'Demo organization "{seeded.organization.name}" (slug {demo.DEMO_SLUG}): '
            f"{seeded.created} candidates created, {seeded.existing} already there."
        )
        self._print_logins(seeded)

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
