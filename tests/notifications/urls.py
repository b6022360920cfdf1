"""A stand-in web path for the broker-outage test: record a change, notify, answer.

No app records changes yet that notify someone (the sweep comes later), so this view
does what such a view will: write the notification inside the request's transaction.
"""

from datetime import date

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from notifications.models import NotificationKind
from notifications.services import enqueue


@csrf_exempt
def record_and_notify(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        enqueue(
            recipient=request.user,
            kind=NotificationKind.TRAINING_OVERDUE,
            subject_person=request.user.profile,
            key_date=date.fromisoformat(request.POST["deadline"]),
            context={"requirement": "CSE awareness"},
        )
    return HttpResponse("Recorded", status=201)


urlpatterns = [
    path("record/", record_and_notify),
    # The emails link to the notifications list, so its name must resolve here too.
    path("notifications/", include("notifications.urls")),
]
