"""The provider manager's roster upload page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.roles import Role, has_role
from workforce.forms import RosterUploadForm
from workforce.roster import COLUMNS, import_roster


@login_required
def import_roster_view(request: HttpRequest) -> HttpResponse:
    """Upload a staff roster: list every bad row; save nothing until all pass."""
    if not has_role(request.user, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN):
        raise PermissionDenied
    result = None
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        result = import_roster(
            form.cleaned_data["file"],
            importer=request.user,
            dry_run=form.cleaned_data["dry_run"],
            create_teams=form.cleaned_data["create_teams"],
        )
        if result.ok and not result.dry_run:
            messages.success(request, f"Roster imported. {result.summary()}")
            return redirect("workforce:import_roster")
    return render(
        request,
        "workforce/import_roster.html",
        {"form": form, "result": result, "columns": COLUMNS},
        status=400 if result is not None and not result.ok else 200,
    )
