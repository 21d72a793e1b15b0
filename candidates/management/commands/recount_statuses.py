"""`python manage.py recount_statuses`: repair the counts per status (services.recount_statuses;
the hourly task runs it too). Safe at any time, while the app serves."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from candidates import services


class Command(BaseCommand):
    help = "Recount the candidates per status of every organization (repairs any drift)."

    def handle(self, *args, **options) -> None:
        repaired = services.recount_statuses()
        self.stdout.write(f"Counts per status repaired in {repaired} organization(s).")
