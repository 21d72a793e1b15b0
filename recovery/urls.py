from django.contrib import admin
from django.urls import include, path

from .views import healthz, livez

urlpatterns = [
    # The compose health check; exempt from the https redirect (SECURE_REDIRECT_EXEMPT).
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("reminders/", include("reminders.urls")),
    path("", include("candidates.urls")),
]
