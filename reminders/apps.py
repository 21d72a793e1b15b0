from django.apps import AppConfig


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from candidates import org_cache
        from candidates.access import ORG_PATHS

        from .models import Reminder

        # Views load reminders through candidates.access like everything else: another
        # organization's reminder is a 404.
        ORG_PATHS[Reminder] = "organization"
        # The nav's count, Today's and the candidate page's reminders are cached with the
        # organization's pages: a reminder saved or deleted empties that cache, like the
        # writes that bypass signals (services._record, delivery's failures).
        org_cache.watch(Reminder)
