from django.urls import path

from supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.my_supervision, name="my_supervision"),
    path("check-ins/", views.my_check_ins, name="my_check_ins"),
    path("cpd/", views.my_cpd_record, name="my_cpd_record"),
    path(
        "before-your-session/",
        views.pre_session_check_in,
        name="pre_session_check_in",
    ),
    path(
        "before-your-session/delete/",
        views.pre_session_check_in_remove,
        name="pre_session_check_in_remove",
    ),
    path("supervisees/", views.supervisor_dashboard, name="supervisor_dashboard"),
    path(
        "supervisees/<int:person_pk>/agreement/",
        views.agreement_edit,
        name="agreement_edit",
    ),
    path(
        "supervisees/<int:person_pk>/sealed-note/",
        views.sealed_note_edit,
        name="sealed_note_edit",
    ),
    path("sealed-notes/<int:pk>/", views.sealed_note_detail, name="sealed_note_detail"),
    path("supervisees/<int:person_pk>/book/", views.booking_new, name="booking_new"),
    path("people/<int:person_pk>/incidents/", views.incidents, name="incidents"),
    path("bookings/<int:pk>/change/", views.booking_change, name="booking_change"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("agreement/", views.my_agreement, name="my_agreement"),
    path("organisation/", views.manager_view, name="manager_view"),
    path("hours/", views.hours, name="hours"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path(
        "sessions/<int:pk>/finalise/", views.session_finalise, name="session_finalise"
    ),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path(
        "sessions/<int:pk>/check-in/<int:person_pk>/",
        views.record_check_in,
        name="record_check_in",
    ),
    path("sessions/<int:pk>/actions/new/", views.action_new, name="action_new"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("sessions/<int:pk>/sign-off/<slug:kind>/", views.sign_off, name="sign_off"),
]
