from django.urls import path

from .views import (
    candidates,
    clients,
    imports,
    insights,
    members,
    merges,
    records,
    review,
    today,
)

app_name = "candidates"

urlpatterns = [
    path("", today.today, name="today"),
    # Candidates and everything logged on them.
    path("candidates/", candidates.candidate_list, name="list"),
    path("candidates/export.csv", candidates.candidate_export, name="export"),
    path("candidates/new/", candidates.candidate_create, name="create"),
    path("candidates/<int:pk>/", candidates.candidate_detail, name="detail"),
    path("candidates/<int:pk>/edit/", candidates.candidate_edit, name="edit"),
    path("candidates/<int:pk>/events/", candidates.event_create, name="log_event"),
    path("candidates/<int:pk>/notes/", candidates.note_create, name="add_note"),
    path("candidates/<int:pk>/request/", candidates.second_chance_request, name="request"),
    path("candidates/<int:pk>/decide/", candidates.second_chance_decide, name="decide"),
    path("candidates/<int:pk>/flag/", candidates.flag_set, name="flag"),
    path("candidates/<int:pk>/clear-flag/", candidates.flag_clear, name="clear_flag"),
    # Corrections (with a reason, kept in the history), export and erasure.
    path("candidates/<int:pk>/events/<int:event_pk>/", records.event_edit, name="event_edit"),
    path(
        "candidates/<int:pk>/events/<int:event_pk>/delete/",
        records.event_delete,
        name="event_delete",
    ),
    path("candidates/<int:pk>/notes/<int:note_pk>/", records.note_edit, name="note_edit"),
    path(
        "candidates/<int:pk>/notes/<int:note_pk>/delete/",
        records.note_delete,
        name="note_delete",
    ),
    path("candidates/<int:pk>/export.json", records.candidate_export_json, name="export_json"),
    path("candidates/<int:pk>/erase/", records.candidate_erase, name="erase"),
    path("candidates/<int:pk>/audit/", candidates.candidate_audit, name="audit"),
    # One person, one history.
    path("candidates/<int:pk>/merge/", merges.candidate_merge, name="merge"),
    path("merges/<int:pk>/undo/", merges.merge_undo, name="merge_undo"),
    # Deciding.
    path("review/", review.review_queue, name="review"),
    path("resubmit/", review.resubmit, name="resubmit"),
    # Clients and jobs.
    path("clients/", clients.client_list, name="clients"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/<int:pk>/edit/", clients.client_edit, name="client_edit"),
    path("jobs/new/", clients.job_create, name="job_create"),
    path("jobs/<int:pk>/", clients.job_detail, name="job_detail"),
    path("jobs/<int:pk>/edit/", clients.job_edit, name="job_edit"),
    # Data in and pictures out.
    path("import/", imports.import_upload, name="import"),
    path("import/template.csv", imports.import_template, name="import_template"),
    path("insights/", insights.insights, name="insights"),
    # Organization admins.
    path("members/", members.member_list, name="members"),
    path("members/<int:pk>/", members.member_edit, name="member_edit"),
]
