from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from candidates.access import ORG_PATHS

        from .models import Delivery, Endpoint

        # Loaded through candidates.access like everything else: another organization's
        # endpoint or delivery is a 404.
        ORG_PATHS[Endpoint] = "organization"
        ORG_PATHS[Delivery] = "endpoint__organization"
