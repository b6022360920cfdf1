from django.urls import path

from learning import views

app_name = "learning"
urlpatterns = [
    path("", views.my_training, name="my_training"),
    path("modules/<int:page_id>/check/", views.knowledge_check, name="knowledge_check"),
    path("attempts/<int:pk>/", views.attempt_result, name="attempt_result"),
    path("completions/<int:pk>/", views.completion_detail, name="completion_detail"),
    path(
        "completions/<int:pk>/certificate.pdf",
        views.certificate_download,
        name="certificate_download",
    ),
    path("completions/<int:pk>/revoke/", views.revoke, name="revoke_certificate"),
    path("completions/<int:pk>/feedback/", views.feedback, name="feedback"),
    path(
        "certificates/<uuid:verification_id>/",
        views.certificate,
        name="certificate",
    ),
    path("team/", views.team_matrix, name="team_matrix"),
    path(
        "team/export.<str:file_format>",
        views.team_matrix_export,
        name="team_matrix_export",
    ),
    path(
        "team/history/import/",
        views.import_training_records,
        name="import_training_records",
    ),
    path(
        "team/history/template.<str:fmt>",
        views.training_records_template,
        name="training_records_template",
    ),
    path("people/<int:person_id>/", views.person_training, name="person_training"),
    path(
        "people/<int:person_id>/exceptions/new/",
        views.new_exception,
        name="new_exception",
    ),
    path(
        "people/<int:person_id>/external/new/",
        views.new_external_training,
        name="new_external_training",
    ),
    path("exceptions/<int:pk>/close/", views.close_exception, name="close_exception"),
    path("external/<int:pk>/approve/", views.approve_external, name="approve_external"),
    path(
        "external/<int:pk>/evidence/", views.external_evidence, name="external_evidence"
    ),
]
