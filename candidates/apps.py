from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "candidates"
    verbose_name = "Recovery"

    def ready(self) -> None:
        # Login logging, the session clock, ending a deactivated member's sessions; and the
        # field__any lookup.
        from . import accounts, lookups  # noqa: F401
