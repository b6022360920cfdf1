from django.urls import path

from workforce import views

app_name = "workforce"

urlpatterns = [
    path("roster/import/", views.import_roster_view, name="import_roster"),
    path("roster/template.<str:fmt>", views.roster_template, name="roster_template"),
    path("roster/current.<str:fmt>", views.roster_download, name="roster_download"),
    path(
        "people/<int:person_pk>/registration/",
        views.registration_edit,
        name="registration_edit",
    ),
]
