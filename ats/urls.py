from django.urls import path

from . import views

app_name = "ats"

urlpatterns = [
    # Public: the ATS posts here; the token in the path names the source.
    path("ats/in/<str:token>/", views.inbound, name="inbound"),
    # Members.
    path("ats/review/", views.review, name="review"),
    path("ats/review/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("ats/review/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("settings/ats/", views.source_list, name="sources"),
    path("settings/ats/<int:pk>/revoke/", views.source_revoke, name="source_revoke"),
    path("settings/ats/reasons/", views.mapping_list, name="mappings"),
    path("settings/ats/reasons/defaults/", views.mapping_defaults, name="mapping_defaults"),
    path("settings/ats/reasons/<int:pk>/", views.mapping_edit, name="mapping_edit"),
    path("settings/ats/reasons/<int:pk>/delete/", views.mapping_delete, name="mapping_delete"),
]
