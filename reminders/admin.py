from django.contrib import admin

from .models import DailyDigest, Reminder, ReminderAttempt, StoredEmail


class AttemptInline(admin.TabularInline):
    model = ReminderAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["round", "started_at", "finished_at", "outcome", "message_id", "error"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "user", "candidate", "due_at", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind", "organization"]
    search_fields = ["title", "candidate__name", "candidate__email", "user__email"]
    date_hierarchy = "due_at"
    raw_id_fields = ["user", "candidate", "job", "event", "created_by", "closed_by"]
    # Delivery bookkeeping is the dispatcher's: editing it by hand could send twice.
    readonly_fields = [
        "round",
        "next_attempt_at",
        "claim_token",
        "claimed_at",
        "attempts",
        "last_error",
        "sent_at",
        "closed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [AttemptInline]


@admin.register(DailyDigest)
class DailyDigestAdmin(admin.ModelAdmin):
    list_display = ["user", "on_date", "reminder_count", "sent_at"]
    raw_id_fields = ["user"]


@admin.register(StoredEmail)
class StoredEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "message_id", "created_at"]
    search_fields = ["subject", "to", "message_id"]
