from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    # Public: no login, a private token in the path.
    path("r/<str:token>/", views.request_page, name="request"),
    path("b/<str:token>/", views.brief_page, name="brief"),
    path("o/<str:token>/", views.opt_out, name="opt_out"),
    # Members.
    path("candidates/<int:pk>/ask/", views.request_link_create, name="request_link"),
    path("candidates/<int:pk>/brief/", views.brief, name="brief_make"),
    path("candidates/<int:pk>/brief/share/", views.brief_share, name="brief_share"),
    path(
        "candidates/<int:pk>/events/<int:event_pk>/email/",
        views.decision_email,
        name="decision_email",
    ),
    path("links/<int:pk>/revoke/", views.link_revoke, name="link_revoke"),
    path("settings/candidate-emails/", views.template_list, name="templates"),
    path("settings/candidate-emails/<str:kind>/", views.template_edit, name="template_edit"),
]
