"""The signed-in user's notifications, the flags page, and the health check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, QuerySet, When
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Role, has_role
from notifications.forms import SORTS, EmailFrequencyForm, FlagFilterForm
from notifications.health import outbox_health
from notifications.inbox import inbox_items
from notifications.models import Flag, Notification
from notifications.services import (
    email_frequency,
    mark_all_read,
    mark_read,
    set_email_frequency,
)
from notifications.sweep import LEVEL_RANK
from workforce.dates import today
from workforce.models import Team
from workforce.scoping import own_profile

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

PAGE_SIZE = 25
FLAG_ROLES = (Role.SUPERVISOR, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """Show the user's notifications, newest first, each a short message with a
    link; unread ones stay marked new until the user marks them read."""
    notifications = (
        Notification.objects.for_recipient(request.user)
        .in_inbox()
        .select_related("subject_person__user")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    items = inbox_items(page.object_list, viewer=request.user, as_of=today())
    return render(
        request,
        "notifications/notification_list.html",
        {
            "page": page,
            "items": items,
            "unread_count": Notification.objects.for_recipient(request.user)
            .in_inbox()
            .unread()
            .count(),
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (``id``), or every one (``all``)."""
    now = timezone.now()
    with transaction.atomic():
        if request.POST.get("all"):
            count = mark_all_read(user=request.user, now=now)
        else:
            raw = request.POST.get("id", "")
            if not raw.isdigit() or len(raw) > 18:
                return HttpResponseBadRequest("Choose a notification to mark as read.")
            count = mark_read(user=request.user, notification_ids=[int(raw)], now=now)
    if request.POST.get("all"):
        messages.success(
            request, f"{count} notification{'' if count == 1 else 's'} marked as read."
        )
    page = request.POST.get("page", "")
    suffix = f"?page={page}" if page.isdigit() and len(page) < 6 else ""
    return redirect(reverse("notifications:list") + suffix)


@login_required
def email_settings(request: HttpRequest) -> HttpResponse:
    """Choose between one summary email a day and an email for each message about
    the people one looks after; messages about oneself always go at once."""
    form = EmailFrequencyForm(
        request.POST or None,
        initial={"email_about_others": email_frequency(request.user)},
    )
    if request.method == "POST":
        if form.is_valid():
            set_email_frequency(
                user=request.user,
                frequency=form.cleaned_data["email_about_others"],
                now=timezone.now(),
            )
            messages.success(request, "Your email choice is saved.")
            return redirect("notifications:list")
        return render(
            request, "notifications/email_settings.html", {"form": form}, status=400
        )
    return render(request, "notifications/email_settings.html", {"form": form})


def visible_flags(user: User | AnonymousUser) -> QuerySet[Flag]:
    """Open flags on the people this user may see, leaving out their own."""
    flags = Flag.objects.open().for_user(user)
    profile = own_profile(user)
    if profile is not None:
        flags = flags.exclude(person=profile)  # their own show in their own pages
    return flags


@login_required
@require_GET
def flag_list(request: HttpRequest) -> HttpResponse:
    """Every open flag on the people the viewer may see, filtered and sorted."""
    if not has_role(request.user, *FLAG_ROLES):
        raise PermissionDenied
    flags = visible_flags(request.user)
    teams = list(
        Team.objects.filter(
            pk__in=flags.filter(person__team__isnull=False).values("person__team_id")
        )
        .order_by("name")
        .values_list("pk", "name")
    )
    form = FlagFilterForm(request.GET or None, teams=teams)
    sort = "urgency"
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            flags = flags.filter(kind=data["kind"])
        if data["level"]:
            flags = flags.filter(level=data["level"])
        if data["team"] is not None:
            flags = flags.filter(person__team_id=data["team"])
        sort = data["sort"] or sort
    flags = flags.annotate(
        level_rank=Case(
            *(When(level=level, then=rank) for level, rank in LEVEL_RANK.items()),
            default=0,
        )
    ).order_by(*SORTS[sort])
    total = flags.count()
    page = Paginator(
        flags.select_related("person__team", "requirement__module"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    as_of = today()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/flag_list.html",
        {
            "form": form,
            "page": page,
            "rows": [
                {"flag": flag, "days_overdue": max((as_of - flag.deadline).days, 0)}
                for flag in page.object_list
            ],
            "total": total,
            "as_of": as_of,
            "query": query.urlencode(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Report database, Redis, last sweep and outbox lag as JSON; 503 if the
    database is down."""
    report = outbox_health(now=timezone.now())
    return JsonResponse(report, status=200 if report["database"] == "ok" else 503)
