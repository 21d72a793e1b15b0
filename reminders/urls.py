from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("", views.reminder_list, name="list"),
    path("<int:pk>/done/", views.reminder_done, name="done"),
    path("<int:pk>/snooze/", views.reminder_snooze, name="snooze"),
    path("<int:pk>/cancel/", views.reminder_cancel, name="cancel"),
    path("candidates/<int:candidate_pk>/new/", views.reminder_add, name="add"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
]
