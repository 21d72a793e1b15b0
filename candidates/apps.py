from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "candidates"
    verbose_name = "Recovery"

    def ready(self) -> None:
        # Login logging, the session clock, ending a deactivated member's sessions.
        from . import accounts  # noqa: F401

        # Cached counts are dropped by any write, including those outside the services.
        from .org_cache import connect_signals

        connect_signals()
