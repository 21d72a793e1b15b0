"""/api/v1/: the REST API, its OpenAPI schema and its documentation page."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

app_name = "api"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("candidates/", views.CandidateListView.as_view(), name="candidates"),
    path("candidates/<int:pk>/", views.CandidateDetailView.as_view(), name="candidate"),
    path("candidates/<int:pk>/events/", views.CandidateEventsView.as_view(), name="events"),
    path(
        "candidates/<int:pk>/risk-notes/",
        views.CandidateRiskNotesView.as_view(),
        name="risk_notes",
    ),
    path(
        "candidates/<int:pk>/second-chance-requests/",
        views.SecondChanceRequestView.as_view(),
        name="second_chance_requests",
    ),
    path(
        "candidates/<int:pk>/second-chance-decisions/",
        views.SecondChanceDecisionView.as_view(),
        name="second_chance_decisions",
    ),
    path(
        "candidates/<int:pk>/reminders/",
        views.CandidateRemindersView.as_view(),
        name="candidate_reminders",
    ),
    path("clients/", views.ClientListView.as_view(), name="clients"),
    path("jobs/", views.JobListView.as_view(), name="jobs"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job"),
    path("reminders/", views.ReminderListView.as_view(), name="reminders"),
    path("reminders/<int:pk>/done/", views.ReminderDoneView.as_view(), name="reminder_done"),
    path("reminders/<int:pk>/snooze/", views.ReminderSnoozeView.as_view(), name="reminder_snooze"),
    path("reminders/<int:pk>/cancel/", views.ReminderCancelView.as_view(), name="reminder_cancel"),
    # The schema is public (it describes, it holds no data); so is the page that shows it.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
