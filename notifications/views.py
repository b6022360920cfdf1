"""The signed-in user's notifications, and the health check."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notifications.health import outbox_health
from notifications.models import Notification
from notifications.services import mark_read

PAGE_SIZE = 25


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """Show the user's notifications, newest first, and mark them read."""
    notifications = Notification.objects.for_recipient(request.user).only(
        "kind", "subject", "body_text", "key_date", "created_at", "read_at"
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    # Evaluate the page before marking read, so this visit still shows what was new.
    rows = list(page.object_list)
    with transaction.atomic():
        mark_read(
            user=request.user,
            notification_ids=[row.pk for row in rows],
            now=timezone.now(),
        )
    return render(
        request,
        "notifications/notification_list.html",
        {
            "page": page,
            "notifications": rows,
            "unread_count": sum(row.is_unread for row in rows),
        },
    )


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Report database, Redis, last sweep and outbox lag as JSON; 503 if the
    database is down."""
    report = outbox_health(now=timezone.now())
    return JsonResponse(report, status=200 if report["database"] == "ok" else 503)
