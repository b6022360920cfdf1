from django.urls import path

from commissioning import views

app_name = "commissioning"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.<str:fmt>", views.export_dashboard, name="export_dashboard"),
    path("export/<slug:key>.<str:fmt>", views.export_dashboard, name="export_table"),
    path("providers/<int:provider_id>/", views.provider_detail, name="provider"),
    path(
        "providers/<int:provider_id>/report/",
        views.provider_report,
        name="provider_report",
    ),
    path(
        "providers/<int:provider_id>/people/",
        views.provider_people,
        name="provider_people",
    ),
    path(
        "providers/<int:provider_id>/export.<str:fmt>",
        views.export_provider,
        name="export_provider",
    ),
    path(
        "providers/<int:provider_id>/export/<slug:key>.<str:fmt>",
        views.export_provider,
        name="export_provider_table",
    ),
    path("api-token/", views.api_token, name="api_token"),
    path("api-token/create/", views.create_token, name="create_token"),
    path("api-token/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
]
