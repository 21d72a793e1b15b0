from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from candidates.forms import LoginForm
from candidates.password_reset import SitePasswordResetForm
from reminders.views import calendar_feed

from .views import healthz, livez

urlpatterns = [
    # The compose health check; exempt from the https redirect (SECURE_REDIRECT_EXEMPT).
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("admin/", admin.site.urls),
    # Before django.contrib.auth's own: the emailed link is built from SITE_URL, never from
    # the request's Host header (candidates/password_reset.py).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=SitePasswordResetForm),
        name="password_reset",
    ),
    # Members log in with their email: the form's words and errors say so.
    path("accounts/login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("reminders/", include("reminders.urls")),
    # A member's private calendar feed: no login, the token in the path is the credential
    # (reminders/calendars.py). Masked in the logs (recovery/gunicorn_logging.py).
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("", include("outreach.urls")),
    # Rejections from applicant tracking systems: the webhook endpoint, settings, review.
    path("", include("ats.urls")),
    path("api/v1/", include("api.urls")),
    path("settings/api-tokens/", include("api.web_urls")),
    path("settings/webhooks/", include("webhooks.urls")),
    path("", include("candidates.urls")),
]

# JSON for an unknown URL under /api/, Django's own page elsewhere.
handler404 = "api.errors.page_not_found"
