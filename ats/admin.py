"""The platform admin's view of the ATS tables. A mapping row is saved through the same
rule as the pages' (ReasonMapping.clean, run by the admin's form); sources are made on the
ATS connections page only (their URL and secret are shown once there), so the admin lists
them and can revoke, never shows a secret. Neither a source nor a delivery is deleted here:
the deliveries' keys are what make an ATS's replay a replay."""

from __future__ import annotations

from django.contrib import admin

from . import services
from .models import InboundItem, InboundSource, ReasonMapping


@admin.register(ReasonMapping)
class ReasonMappingAdmin(admin.ModelAdmin):
    list_display = ("external_reason", "vendor", "kind", "reason", "organization")
    list_filter = ("vendor", "kind", "organization")
    search_fields = ("external_reason",)
    fields = ("organization", "vendor", "external_reason", "kind", "reason")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # As on the table's page: what waited for this row is tried again.
        services.retry_waiting(organization=obj.organization)


@admin.register(InboundSource)
class InboundSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "vendor", "organization", "client_name", "created_at", "revoked_at")
    list_filter = ("vendor", "organization")
    fields = ("organization", "vendor", "name", "client_name", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a source would delete its deliveries, and with them the keys that make
        # an ATS's replay a replay: revoke it instead.
        return False

    @admin.action(description="Revoke the selected sources")
    def revoke(self, request, queryset) -> None:
        revoked = sum(services.source_revoke(source=source) for source in queryset)
        self.message_user(request, f"{revoked} source(s) revoked.")


@admin.register(InboundItem)
class InboundItemAdmin(admin.ModelAdmin):
    list_display = ("key", "vendor", "organization", "state", "occurred_on", "created_at")
    list_filter = ("state", "vendor", "organization")
    readonly_fields = [f.name for f in InboundItem._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # An item's key is what makes the ATS's replay a replay: deleted, the rejection
        # would be recorded again. Dismiss it from the review list instead.
        return False
