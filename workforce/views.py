"""The provider manager's pages: the roster upload, and a person's registration."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from accounts.roles import Role, has_role
from config import exports
from workforce.dates import today
from workforce.forms import RegistrationForm, RosterUploadForm
from workforce.models import StaffProfile
from workforce.registration import RegistrationError, record_registration
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


@never_cache
@login_required
def registration_edit(request: HttpRequest, person_pk: int) -> HttpResponse:
    """A manager records, updates or clears a person's professional registration."""
    _require_roster_role(request)
    person = get_object_or_404(
        StaffProfile.objects.for_user(request.user).select_related("job_role"),
        pk=person_pk,
    )
    as_of = today()
    initial = {
        "body": person.registration_body or RegistrationForm.NONE,
        "number": person.registration_number,
        "checked_on": person.registration_checked_on,
        "expires_on": person.registration_expires_on,
    }
    form = RegistrationForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        as_of=as_of,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        clear = data["body"] == RegistrationForm.NONE
        try:
            record_registration(
                by=request.user,
                person_id=person.pk,
                body="" if clear else data["body"],
                number="" if clear else data["number"],
                checked_on=None if clear else data["checked_on"],
                expires_on=None if clear else data["expires_on"],
                as_of=as_of,
            )
        except RegistrationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Registration {'cleared' if clear else 'saved'} for "
                f"{person.full_name}.",
            )
            return redirect("learning:person_training", person.pk)
    return render(
        request,
        "workforce/registration_form.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )
