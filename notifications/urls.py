from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read, name="read"),
    path("flags/", views.flag_list, name="flags"),
    path("email/", views.email_settings, name="email_settings"),
]
