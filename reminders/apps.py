from django.apps import AppConfig


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from candidates.access import ORG_PATHS

        from .models import Reminder

        # Views load reminders through candidates.access like everything else: another
        # organization's reminder is a 404.
        ORG_PATHS[Reminder] = "organization"
