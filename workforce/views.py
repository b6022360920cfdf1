"""The provider manager's roster upload page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from accounts.roles import Role, has_role
from config import exports
from workforce.dates import today
from workforce.forms import RosterUploadForm
from workforce.roster import (
    COLUMNS,
    HISTORY_FORMAT,
    OPTIONAL_COLUMNS,
    RosterBusy,
    current_roster,
    import_roster,
)


def _require_roster_role(request: HttpRequest) -> None:
    if not has_role(request.user, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN):
        raise PermissionDenied


@login_required
def roster_template(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """An empty roster in the columns the import reads, to fill in."""
    _require_roster_role(request)
    if fmt not in exports.FORMATS:
        raise Http404
    sheet = exports.Sheet(title="Roster", headers=COLUMNS, rows=[])
    return exports.response([sheet], fmt, filename="staff-roster-template")


@login_required
def roster_download(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Everyone in post the manager may see, in the import's columns: edit, upload."""
    _require_roster_role(request)
    if fmt not in exports.FORMATS:
        raise Http404
    as_of = today()
    sheet = exports.Sheet(
        title="Roster", headers=COLUMNS, rows=current_roster(request.user, as_of=as_of)
    )
    return exports.response(
        [sheet], fmt, filename=exports.download_stem("staff-roster", as_of)
    )


@login_required
def import_roster_view(request: HttpRequest) -> HttpResponse:
    """Upload a staff roster: list every bad row; save nothing until all pass."""
    _require_roster_role(request)
    result = None
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = import_roster(
                form.cleaned_data["file"],
                importer=request.user,
                dry_run=form.cleaned_data["dry_run"],
                create_teams=form.cleaned_data["create_teams"],
                file_format=form.file_format,
                quiet_start=form.cleaned_data["quiet_start"],
            )
        except RosterBusy as busy:
            form.add_error(None, str(busy))
        if result is not None and result.ok and not result.dry_run:
            messages.success(request, f"Roster imported. {result.summary()}")
            return redirect("workforce:import_roster")
    return render(
        request,
        "workforce/import_roster.html",
        {
            "form": form,
            "result": result,
            "columns": COLUMNS,
            "optional_columns": OPTIONAL_COLUMNS,
            "history_format": HISTORY_FORMAT,
            "would_send": result.by_label(result.would_send) if result else [],
            "would_hold": result.by_label(result.would_hold) if result else [],
        },
        status=400 if form.errors or (result is not None and not result.ok) else 200,
    )
