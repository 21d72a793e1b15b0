"""`python manage.py dispatch_reminders`: what the beat does every minute, once, for
deployments that prefer cron. Safe beside a running beat (see reminders/delivery.py)."""

from django.core.management.base import BaseCommand

from reminders import delivery


class Command(BaseCommand):
    help = "Email the reminders that are due now, and the 08:00 digests that are due."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=delivery.BATCH_SIZE)
        parser.add_argument(
            "--no-digests", action="store_true", help="Only the reminders, not the digests."
        )

    def handle(self, *args, batch_size: int, no_digests: bool, **options) -> None:
        result = delivery.dispatch_due(batch_size=batch_size)
        digests = 0 if no_digests else delivery.send_digests()
        self.stdout.write(
            f"Reminders: {result.sent} sent, {result.retrying} to retry, "
            f"{result.failed} failed, {result.skipped} skipped. Digests: {digests} sent."
        )
