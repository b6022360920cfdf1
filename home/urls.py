from django.urls import path

from home import views

app_name = "home"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("my-data/", views.my_data, name="my_data"),
    path("people/<int:person_id>/data/", views.person_data, name="person_data"),
]
