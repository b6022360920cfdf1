from django.urls import path

from workforce import views

app_name = "workforce"

urlpatterns = [
    path("roster/import/", views.import_roster_view, name="import_roster"),
]
