from django.apps import AppConfig


class AtsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ats"
    verbose_name = "Rejections from applicant tracking systems"

    def ready(self) -> None:
        # Views load these through candidates.access like every other model of an
        # organization, so that another organization's row is a 404 by construction.
        from candidates.access import register_org_path

        from .models import InboundItem, InboundSource, ReasonMapping

        register_org_path(InboundSource, "organization")
        register_org_path(ReasonMapping, "organization")
        register_org_path(InboundItem, "organization")
