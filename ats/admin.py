"""The platform admin's view of the ATS tables. A mapping row is saved through the same
rule as the pages' (ReasonMapping.clean, run by the admin's form); sources are made on the
ATS connections page only (their URL and secret are shown once there), so the admin lists
them and can revoke, never shows a secret."""

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
