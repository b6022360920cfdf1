"""Supervision pages. Thin: parse, call one service or read, render.

Content pages load sessions through ``SupervisionSession.objects.for_user`` (the
supervisor and supervisees only), log every read, and send ``Cache-Control:
no-store``. List pages use ``metadata_for_user`` or the reports, which never load
content. Anything out of scope is a 404.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator  # noqa: F401
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role
from config import exports
from config.exports import download_stem
from home import listing
from home.templatetags.govuk_dates import govuk_date, govuk_datetime
from supervision import agreements, bookings, sealed_notes, services
from supervision import incidents as incident_service
from supervision.cpd import cpd_pdf, cpd_sheet
from supervision.forms import (
    ActionForm,
    AgreementForm,
    BookingForm,
    CancelForm,
    CheckInForm,
    CPDRecordForm,
    DisagreementForm,
    HoursForm,
    IncidentForm,
    PreSessionCheckInForm,
    ReflectionForm,
    SealedNoteForm,
    SessionForm,
)
from supervision.models import (
    CONTENT_FIELDS,
    AccessEvent,
    PreSessionCheckIn,
    SealedNote,
    SessionAction,
    SessionAttendance,
    SessionBooking,
    SupervisionSession,
    SupervisionStatus,
)
from supervision.reports import hours_rows, organisation_summary, supervisee_rows
from supervision.rules import REBOOK_WORKING_DAYS, Status
from workforce.dates import add_months, today
from workforce.models import Organisation, StaffProfile
from workforce.scoping import own_profile

# Every field a content form posts: kept out of error reports.
SENSITIVE = (
    *CONTENT_FIELDS,
    "impact",
    "switching_off",
    "support",
    "workload",
    "support_offered",
    "text",
    "description",
    "what_would_help",
    "support_wanted",
)


def _profile_or_404(request: HttpRequest):
    profile = own_profile(request.user)
    if profile is None:
        raise Http404("You have no staff record.")
    return profile


def _require_supervisor(request: HttpRequest):
    if not has_role(request.user, Role.SUPERVISOR):
        raise PermissionDenied
    return _profile_or_404(request)


def _content_session(request: HttpRequest, pk: int) -> SupervisionSession:
    return get_object_or_404(
        SupervisionSession.objects.for_user(request.user).select_related(
            "supervisor__user"
        ),
        pk=pk,
    )


def _own_session(request: HttpRequest, pk: int) -> SupervisionSession:
    """A session the signed-in supervisor may still change; anyone else, a former
    supervisor included, gets a 404."""
    return get_object_or_404(
        SupervisionSession.objects.writable_by(request.user).select_related(
            "supervisor__user"
        ),
        pk=pk,
    )


# --- Supervisee ---------------------------------------------------------------------
@never_cache
@login_required
def my_supervision(request: HttpRequest) -> HttpResponse:
    """The supervisee's record: sessions (no content), actions, status, access log."""
    as_of = today()
    profile = _profile_or_404(request)
    attendances = (
        SessionAttendance.objects.filter(person=profile)
        .exclude(session__state=SupervisionSession.State.DRAFT)
        .select_related("session__supervisor__user")
        .defer(
            *SessionAttendance.CONTENT_FIELDS,
            *(f"session__{name}" for name in CONTENT_FIELDS),
        )
        .order_by("-session__held_on", "-session_id")
    )
    actions = (
        SessionAction.objects.open()
        .filter(owner=profile)
        .select_related("session")
        .defer(*(f"session__{name}" for name in CONTENT_FIELDS))
    )
    status_row = SupervisionStatus.objects.filter(person=profile).first()
    next_booking = (
        SessionBooking.objects.for_user(request.user)
        .open()
        .filter(supervisee=profile, starts_at__gt=timezone.now())
        .select_related("supervisor__user")
        .first()
    )
    actions_by_label = dict(AccessEvent.Action.choices)
    access_log = [
        {
            **row,
            "who": (
                f"{row['user__first_name']} {row['user__last_name']}".strip()
                or row["user__username"]
                if row["user_id"]
                else "A removed account"
            ),
            "what": actions_by_label.get(row["action"], row["action"]),
        }
        for row in AccessEvent.objects.grouped_reads(person=profile)[:50]
    ]
    return render(
        request,
        "supervision/my_supervision.html",
        {
            "as_of": as_of,
            "profile": profile,
            "attendances": attendances,
            "actions": actions,
            "status_row": status_row,
            "next_booking": next_booking,
            "status": status_row.status_on(as_of) if status_row else None,
            "access_log": access_log,
            # That a note exists and who keeps it; its text only on its own page.
            "sealed_notes": SealedNote.objects.for_user(request.user)
            .filter(supervisee=profile)
            .defer("text")
            .select_related("supervisor__user"),
        },
    )


@never_cache
@login_required
def my_cpd_record(request: HttpRequest) -> HttpResponse:
    """The practitioner's own CPD record for a CPD year, as CSV, XLSX or PDF.

    Always the signed-in person's own: there is no way to ask for anyone else's."""
    profile = _profile_or_404(request)
    as_of = today()
    form = CPDRecordForm(request.GET or None, as_of=as_of)
    if request.GET and form.is_valid():
        start, end = form.period_dates()
        stem = download_stem(profile.full_name, "cpd", start, end)
        if form.cleaned_data["format"] == "pdf":
            response = HttpResponse(
                cpd_pdf(profile, start=start, end=end), content_type="application/pdf"
            )
            response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
            response["Cache-Control"] = "private, no-store"
            return response
        sheet = cpd_sheet(profile, start=start, end=end)
        return exports.response([sheet], form.cleaned_data["format"], filename=stem)
    return render(
        request,
        "supervision/my_cpd_record.html",
        {"form": form},
        status=400 if request.GET else 200,
    )


@never_cache
@login_required
@sensitive_variables()
def my_check_ins(request: HttpRequest) -> HttpResponse:
    """The supervisee's own check-in trend: a chart with its data table."""
    profile = _profile_or_404(request)
    attendances = list(
        SessionAttendance.objects.filter(
            person=profile, session__state=SupervisionSession.State.FINALISED
        )
        .select_related("session")
        .defer(*(f"session__{name}" for name in CONTENT_FIELDS))
        .order_by("session__held_on", "session_id")
    )
    points = [
        a
        for a in attendances
        if any(
            score is not None
            for score in (
                a.impact_score,
                a.switching_off_score,
                a.support_score,
                a.workload_score,
            )
        )
    ]
    services.log_access(
        user=request.user,
        session=None,
        person_ids=[profile.pk],
        action=AccessEvent.Action.VIEWED_CHECK_INS,
    )
    width = max(1, len(points) - 1)
    series = []
    for key, label, colour in (
        ("impact_score", "Work staying with you", "#d4351c"),
        ("switching_off_score", "Switching off and sleeping", "#1d70b8"),
        ("support_score", "Feeling supported", "#00703c"),
        ("workload_score", "Workload manageable", "#4c2c92"),
    ):
        coords = [
            (40 + 520 * i / width, 210 - 19 * getattr(a, key))
            for i, a in enumerate(points)
            if getattr(a, key) is not None
        ]
        series.append(
            {
                "label": label,
                "colour": colour,
                "points": " ".join(f"{x:.0f},{y:.0f}" for x, y in coords),
                "dots": coords,
            }
        )
    return render(
        request,
        "supervision/my_check_ins.html",
        {"points": points, "series": series, "ticks": range(0, 11, 2)},
    )


@never_cache
@login_required
@sensitive_post_parameters(*SENSITIVE)
@sensitive_variables()
def pre_session_check_in(request: HttpRequest) -> HttpResponse:
    """The supervisee's own check-in before their next session, private until then."""
    profile = _profile_or_404(request)
    mine = PreSessionCheckIn.objects.for_user(request.user).filter(person=profile)
    waiting = mine.open().first()
    initial = None
    if waiting is not None:
        initial = {
            "impact": waiting.impact_score,
            "switching_off": waiting.switching_off_score,
            "support": waiting.support_score,
            "workload": waiting.workload_score,
            "what_would_help": waiting.what_would_help,
            "support_wanted": [c for c in waiting.support_wanted.split(",") if c],
        }
    form = PreSessionCheckInForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.write_pre_session_check_in(
                by=request.user,
                impact=data["impact"],
                switching_off=data["switching_off"],
                support=data["support"],
                workload=data["workload"],
                what_would_help=data["what_would_help"],
                support_wanted=data["support_wanted"],
                as_of=today(),
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "Check-in saved. Only you can see it until your supervisor "
                "records your next session.",
            )
            return redirect("supervision:pre_session_check_in")
    shared = (
        mine.filter(session__isnull=False)
        .select_related("session__supervisor__user")
        .order_by("-session__held_on")[:12]
    )
    return render(
        request,
        "supervision/pre_session_check_in.html",
        {"form": form, "waiting": waiting, "shared": shared, "profile": profile},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def pre_session_check_in_remove(request: HttpRequest) -> HttpResponse:
    """Delete the waiting check-in; one already shared stays with its session."""
    if services.remove_pre_session_check_in(by=request.user):
        messages.success(request, "Your check-in has been deleted.")
    return redirect("supervision:pre_session_check_in")


# --- One session (content) ----------------------------------------------------------
@never_cache
@login_required
@sensitive_variables()
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a session's content to its supervisor or supervisees, and log the read."""
    session = _content_session(request, pk)
    attendances = list(session.attendances.select_related("person__user"))
    profile = own_profile(request.user)
    is_supervisor = session.supervisor_id == profile.pk
    if session.is_draft and not is_supervisor:
        raise Http404("Drafts are visible to the supervisor only.")
    # What of each attendee this reader sees is the access layer's decision.
    visible = list(
        SessionAttendance.objects.content_for_user(request.user)
        .filter(session=session)
        .select_related("person__user")
    )
    mine = next((a for a in visible if a.person_id == profile.pk), None)
    services.log_access(
        user=request.user,
        session=session,
        person_ids=[a.person_id for a in visible],
        action=AccessEvent.Action.VIEWED_SESSION,
    )
    pre_session = PreSessionCheckIn.objects.for_user(request.user).filter(
        session=session
    )
    # The next session booked for each person at this session whom the reader may
    # see a booking of: the supervisor, everyone they still supervise; a
    # supervisee, themself.
    attendee_ids = [a.person_id for a in visible]
    open_bookings = {
        booking.supervisee_id: booking
        for booking in SessionBooking.objects.for_user(request.user)
        .open()
        .filter(supervisee_id__in=attendee_ids, starts_at__gt=timezone.now())
        .select_related("supervisor__user")
    }
    can_write = (
        SupervisionSession.objects.writable_by(request.user)
        .filter(pk=session.pk)
        .exists()
    )
    next_sessions = [
        {
            "person": a.person,
            "booking": open_bookings.get(a.person_id),
            "can_book": can_write
            and not session.is_cancelled
            and a.person.supervisor_id == profile.pk,
        }
        for a in visible
        if is_supervisor or a.person_id == profile.pk
    ]
    return render(
        request,
        "supervision/session_detail.html",
        {
            "session": session,
            "pre_session_check_ins": list(pre_session.select_related("person__user")),
            "attendances": attendances,
            "visible_attendances": visible,
            "mine": mine,
            "is_supervisor": is_supervisor,
            "can_write": can_write,
            "next_sessions": next_sessions,
            "actions": SessionAction.objects.for_user(request.user)
            .filter(session=session)
            .select_related("owner__user"),
            "versions": session.versions.select_related("saved_by")
            if is_supervisor
            else [],
            "reflection_form": ReflectionForm(
                initial={
                    "text": mine.supervisee_reflection,
                    "practice_change": mine.practice_change,
                    "include_in_cpd": mine.reflection_in_cpd,
                    "discussed_with_peer": mine.reflection_discussed_with_peer,
                }
                if mine
                else None
            ),
            "disagreement_form": DisagreementForm(),
        },
    )


def _details(data: dict) -> services.SessionDetails:
    return services.SessionDetails(
        **{
            name: data[name]
            for name in services.SessionDetails.__dataclass_fields__
            if name in data
        }
    )


@never_cache
@login_required
@sensitive_post_parameters(*SENSITIVE)
@sensitive_variables()
def session_new(request: HttpRequest) -> HttpResponse:
    """Record a new session (a draft until finalised)."""
    supervisor = _require_supervisor(request)
    as_of = today()
    form = SessionForm(
        request.POST or None,
        supervisor=supervisor,
        as_of=as_of,
        initial={"held_on": as_of, "duration_minutes": 90},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.create_session(
                supervisor=supervisor,
                supervisee_ids=[p.pk for p in data["supervisees"]],
                details=_details(data),
                as_of=as_of,
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Session saved as a draft.")
            return redirect("supervision:session_detail", pk=session.pk)
    return render(
        request,
        "supervision/session_form.html",
        {"form": form, "session": None},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@sensitive_post_parameters(*SENSITIVE)
@sensitive_variables()
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a session; an edit after finalising keeps the old text as a version."""
    session = _own_session(request, pk)
    as_of = today()
    if session.is_cancelled:
        raise Http404("A cancelled session cannot be edited.")
    initial = {name: getattr(session, name) for name in CONTENT_FIELDS}
    initial.update(
        version=session.version,
        held_on=session.held_on,
        duration_minutes=session.duration_minutes,
        format=session.format,
        next_session_on=session.next_session_on,
        wellbeing_discussed=session.wellbeing_discussed,
        unannounced=session.unannounced,
        supervisees=list(session.attendances.values_list("person_id", flat=True)),
    )
    form = SessionForm(
        request.POST or None,
        supervisor=session.supervisor,
        as_of=as_of,
        initial=initial,
    )
    form.fields["supervisees"].required = False
    form.fields["supervisees"].disabled = True
    if request.method == "GET":
        services.log_access(
            user=request.user,
            session=session,
            person_ids=initial["supervisees"],
            action=AccessEvent.Action.EDITED_SESSION,
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_session(
                session_id=session.pk,
                expected_version=form.cleaned_data["version"] or 0,
                details=_details(form.cleaned_data),
                by=request.user,
                as_of=as_of,
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Session saved.")
            return redirect("supervision:session_detail", pk=session.pk)
    return render(
        request,
        "supervision/session_form.html",
        {"form": form, "session": session},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def session_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a draft's details for checking; finalise it when the supervisor confirms.

    Finalising tells each supervisee and starts their sign-off, so it is the GOV.UK
    "check your answers" step: a GET shows what will be sent, the POST acts.
    """
    session = _own_session(request, pk)
    if not session.is_draft:
        return redirect("supervision:session_detail", pk=session.pk)
    if request.method == "POST":
        try:
            services.finalise_session(
                session_id=session.pk, by=request.user, as_of=today()
            )
        except services.SupervisionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, "Session finalised. Your supervisees can now read it."
            )
        return redirect("supervision:session_detail", pk=session.pk)
    return render(
        request,
        "supervision/session_finalise.html",
        {
            "session": session,
            "attendances": session.attendances.select_related("person__user"),
            "action_count": session.actions.count(),
        },
    )


@never_cache
@login_required
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a session with a reason; it stops counting."""
    session = _own_session(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_session(
                session_id=session.pk,
                reason=form.cleaned_data["reason"],
                by=request.user,
                as_of=today(),
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Session cancelled.")
            return redirect("supervision:session_detail", pk=session.pk)
    return render(
        request,
        "supervision/session_cancel.html",
        {"form": form, "session": session},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@sensitive_post_parameters(*SENSITIVE)
@sensitive_variables()
def record_check_in(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    """Record one supervisee's check-in, support offered and caseload."""
    session = _own_session(request, pk)
    attendance = get_object_or_404(
        session.attendances.filter(
            person__supervisor=session.supervisor
        ).select_related("person__user"),
        person_id=person_pk,
    )
    initial = {
        "impact": attendance.impact_score,
        "switching_off": attendance.switching_off_score,
        "support": attendance.support_score,
        "workload": attendance.workload_score,
        "support_offered": [c for c in attendance.support_offered.split(",") if c],
        "wellbeing_notes": attendance.wellbeing_notes,
        "caseload": attendance.caseload,
    }
    theirs = (
        PreSessionCheckIn.objects.for_user(request.user)
        .filter(session=session, person_id=person_pk)
        .first()
    )
    if theirs is not None and all(
        initial[name] is None
        for name in ("impact", "switching_off", "support", "workload")
    ):
        # Start from what the supervisee said before the session.
        initial.update(
            impact=theirs.impact_score,
            switching_off=theirs.switching_off_score,
            support=theirs.support_score,
            workload=theirs.workload_score,
        )
    form = CheckInForm(request.POST or None, initial=initial)
    if request.method == "GET":
        # The form shows what is stored: opening it is a read.
        services.log_access(
            user=request.user,
            session=session,
            person_ids=[person_pk],
            action=AccessEvent.Action.OPENED_CHECK_IN,
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_check_in(
                session_id=session.pk,
                person_id=person_pk,
                impact=data["impact"],
                switching_off=data["switching_off"],
                support=data["support"],
                workload=data["workload"],
                support_offered=data["support_offered"],
                caseload=data["caseload"],
                wellbeing_notes=data["wellbeing_notes"],
                by=request.user,
                as_of=today(),
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Check-in saved for {attendance.person}.")
            return redirect("supervision:session_detail", pk=session.pk)
    return render(
        request,
        "supervision/check_in_form.html",
        {
            "form": form,
            "session": session,
            "attendance": attendance,
            "theirs": theirs,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@sensitive_post_parameters(*SENSITIVE)
def action_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an action with an owner and a due date."""
    session = _own_session(request, pk)
    form = ActionForm(request.POST or None, session=session, as_of=today())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_action(
                session_id=session.pk,
                owner_id=data["owner"].pk,
                description=data["description"],
                due_on=data["due_on"],
                by=request.user,
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Action added.")
            return redirect("supervision:session_detail", pk=session.pk)
    return render(
        request,
        "supervision/action_form.html",
        {"form": form, "session": session},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an action done."""
    action = get_object_or_404(SessionAction.objects.for_user(request.user), pk=pk)
    try:
        services.complete_action(action_id=action.pk, by=request.user, as_of=today())
    except services.SupervisionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Action marked as done.")
    return redirect("supervision:session_detail", pk=action.session_id)


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("text")
@sensitive_variables()
def sign_off(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The supervisee acknowledges, adds a reflection to, or disputes a session."""
    session = _content_session(request, pk)
    forms = {"reflection": ReflectionForm, "disagreement": DisagreementForm}
    try:
        if kind == "acknowledge":
            services.acknowledge_session(session_id=session.pk, by=request.user)
            messages.success(request, "You have acknowledged this record.")
        elif kind in forms:
            form = forms[kind](request.POST)
            if not form.is_valid():
                messages.error(request, next(iter(form.errors.values()))[0])
                return redirect("supervision:session_detail", pk=session.pk)
            text = form.cleaned_data["text"]
            if kind == "reflection":
                services.add_supervisee_reflection(
                    session_id=session.pk,
                    text=text,
                    by=request.user,
                    practice_change=form.cleaned_data["practice_change"],
                    include_in_cpd=form.cleaned_data["include_in_cpd"],
                    discussed_with_peer=form.cleaned_data["discussed_with_peer"],
                )
            else:
                services.record_disagreement(
                    session_id=session.pk, text=text, by=request.user
                )
            messages.success(request, "Saved. Your supervisor can read it.")
        else:
            raise Http404
    except services.SupervisionError as error:
        messages.error(request, str(error))
    return redirect("supervision:session_detail", pk=session.pk)


# --- Dashboards (metadata only) -----------------------------------------------------
def _status_filter(request: HttpRequest) -> listing.Filter:
    return listing.Filter.from_request(
        request,
        "status",
        "Supervision status",
        [(status.value, status.label) for status in Status],
        any_label="Any status",
    )


def _team_filter(request: HttpRequest, people: list[StaffProfile]) -> listing.Filter:
    teams = sorted(
        {(p.team.pk, p.team.name) for p in people if p.team}, key=lambda t: t[1]
    )
    return listing.Filter.from_request(
        request, "team", "Team", teams, any_label="All teams"
    )


def _role_filter(request: HttpRequest, people: list[StaffProfile]) -> listing.Filter:
    roles = sorted(
        {(p.job_role.pk, p.job_role.name) for p in people}, key=lambda r: r[1]
    )
    return listing.Filter.from_request(
        request, "job_role", "Job role", roles, any_label="All job roles"
    )


def _narrow(rows, query: str, filters: list[listing.Filter]):  # type: ignore[no-untyped-def]
    """Keep the rows whose person matches the search and every chosen filter."""
    chosen = {f.name: f.value for f in filters if f.value}

    def keep(row) -> bool:  # type: ignore[no-untyped-def]
        person = row.person
        if "status" in chosen and row.status.value != chosen["status"]:
            return False
        if "team" in chosen and str(person.team_id) != chosen["team"]:
            return False
        if "job_role" in chosen and str(person.job_role_id) != chosen["job_role"]:
            return False
        return listing.matches(
            query,
            person.full_name,
            person.user.email,
            person.team.name if person.team else "",
            person.job_role.name,
        )

    return [row for row in rows if keep(row)]


def _people_sorts(extra: dict[str, listing.Sort]) -> dict[str, listing.Sort]:  # type: ignore[type-arg]
    return {
        "urgency": listing.Sort(
            "Most urgent first", lambda row: (row.urgency, listing.by_name(row.person))
        ),
        "name": listing.Sort("Name (A to Z)", lambda row: listing.by_name(row.person)),
        "due": listing.Sort(
            "Due by (soonest first)",
            lambda row: (row.due_on or date.max, listing.by_name(row.person)),
        ),
        **extra,
    }


SUPERVISEE_SORTS = _people_sorts({})
ORGANISATION_SORTS = _people_sorts(
    {
        "team": listing.Sort(
            "Team",
            lambda row: (
                row.person.team.name.casefold() if row.person.team else "~",
                listing.by_name(row.person),
            ),
        ),
    }
)


@login_required
def supervisor_dashboard(request: HttpRequest) -> HttpResponse:
    """The supervisor's supervisees: status, actions, sign-off and prompts."""
    supervisor = _require_supervisor(request)
    as_of = today()
    rows = supervisee_rows(supervisor, as_of=as_of)
    people = [row.person for row in rows]
    filters = [
        _status_filter(request),
        _team_filter(request, people),
        _role_filter(request, people),
    ]
    query = listing.search_text(request)
    page = listing.paginate(
        request,
        _narrow(rows, query, filters),
        sorts=SUPERVISEE_SORTS,
        default_sort="urgency",
        query=query,
        filters=filters,
    )
    drafts = (
        SupervisionSession.objects.filter(
            supervisor=supervisor, state=SupervisionSession.State.DRAFT
        )
        .without_content()
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=SessionAttendance.objects.select_related("person__user"),
            )
        )
        .order_by("-held_on")
    )
    now = timezone.now()
    upcoming = list(
        SessionBooking.objects.for_user(request.user)
        .open()
        .filter(supervisor=supervisor, starts_at__gt=now)
        .select_related("supervisee__user")
        .order_by("starts_at")
    )
    booked = {booking.supervisee_id: booking for booking in upcoming}
    for row in rows:
        row.booking = booked.get(row.person.pk)
    return render(
        request,
        "supervision/supervisor_dashboard.html",
        {
            "as_of": as_of,
            "upcoming": upcoming,
            "rows": rows,
            "listing": page,
            "agreement_rows": agreements.agreement_rows(supervisor, as_of=as_of),
            "drafts": drafts,
            "show_training": any(row.training is not None for row in rows),
        },
    )


@login_required
def manager_view(request: HttpRequest) -> HttpResponse:
    """Supervision status and caseloads of everyone in an organisation."""
    if not has_role(request.user, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN):
        raise PermissionDenied
    as_of = today()
    organisations = Organisation.objects.for_user(request.user, as_of=as_of)
    if has_role(request.user, Role.PLATFORM_ADMIN):
        chosen = request.GET.get("organisation")
        organisation = (
            get_object_or_404(organisations, slug=chosen)
            if chosen
            else organisations.first()
        )
    else:
        profile = _profile_or_404(request)
        organisation = get_object_or_404(organisations, pk=profile.organisation_id)
    if organisation is None:
        raise Http404
    summary = organisation_summary(organisation.pk, as_of=as_of)
    people = [row.person for row in summary.rows]
    filters = [
        _status_filter(request),
        _team_filter(request, people),
        _role_filter(request, people),
    ]
    query = listing.search_text(request)
    page = listing.paginate(
        request,
        _narrow(summary.rows, query, filters),
        sorts=ORGANISATION_SORTS,
        default_sort="urgency",
        query=query,
        filters=filters,
    )
    is_admin = has_role(request.user, Role.PLATFORM_ADMIN)
    return render(
        request,
        "supervision/manager_view.html",
        {
            "as_of": as_of,
            "listing": page,
            "keep": [("organisation", organisation.slug)] if is_admin else [],
            "organisation": organisation,
            "organisations": organisations
            if has_role(request.user, Role.PLATFORM_ADMIN)
            else None,
            "summary": summary,
            "statuses": list(Status),
        },
    )


# --- Supervision agreements ---------------------------------------------------------
@never_cache
@login_required
def agreement_edit(request: HttpRequest, person_pk: int) -> HttpResponse:
    """The supervisor writes (or reviews) one supervisee's agreement."""
    supervisor = _require_supervisor(request)
    person = get_object_or_404(
        StaffProfile.objects.filter(supervisor=supervisor).select_related("user"),
        pk=person_pk,
    )
    current = agreements.current_agreement(person)
    initial = None
    if current is not None:
        initial = {
            "frequency": current.frequency,
            "place": current.place,
            "confidentiality": current.confidentiality,
            "missed_sessions": current.missed_sessions,
        }
    form = AgreementForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreements.make_agreement(
                by=request.user,
                supervisee_id=person.pk,
                terms=agreements.AgreementTerms(**form.cleaned_data),
                as_of=today(),
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Agreement saved. {person} will be asked to acknowledge it.",
            )
            return redirect("supervision:supervisor_dashboard")
    return render(
        request,
        "supervision/agreement_form.html",
        {
            "form": form,
            "person": person,
            "current": current,
            "state": current.state_on(today()) if current else None,
        },
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def my_agreement(request: HttpRequest) -> HttpResponse:
    """The supervisee reads their agreement and acknowledges it."""
    profile = _profile_or_404(request)
    current = agreements.current_agreement(profile)
    if request.method == "POST" and current is not None:
        try:
            agreements.acknowledge_agreement(
                by=request.user, agreement_id=current.pk, now=timezone.now()
            )
        except services.SupervisionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "You have acknowledged your agreement.")
        return redirect("supervision:my_agreement")
    return render(
        request,
        "supervision/my_agreement.html",
        {
            "current": current,
            "state": current.state_on(today()) if current else None,
            "profile": profile,
        },
    )


# --- Sealed notes -------------------------------------------------------------------
@never_cache
@login_required
@sensitive_post_parameters("text")
@sensitive_variables()
def sealed_note_edit(request: HttpRequest, person_pk: int) -> HttpResponse:
    """The supervisor reads and writes the sealed note kept with one supervisee."""
    supervisor = _require_supervisor(request)
    person = get_object_or_404(
        StaffProfile.objects.filter(supervisor=supervisor).select_related("user"),
        pk=person_pk,
    )
    form = SealedNoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sealed_notes.write_sealed_note(
                by=request.user, supervisee_id=person.pk, text=form.cleaned_data["text"]
            )
        except services.SupervisionError as error:
            form.add_error("text", str(error))
        else:
            messages.success(request, f"Sealed note with {person} saved.")
            return redirect("supervision:sealed_note_edit", person_pk=person.pk)
    note = None
    if request.method != "POST":
        note = sealed_notes.note_for_supervisee(
            by=request.user, supervisee_id=person.pk
        )
        if note is not None:
            form = SealedNoteForm(initial={"text": note.text})
    return render(
        request,
        "supervision/sealed_note_form.html",
        {"form": form, "person": person, "note": note},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@sensitive_variables()
def sealed_note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Read a sealed note: the supervisee, or the supervisor who kept it (read-only
    once the person has moved to another supervisor). Anyone else: 404."""
    try:
        note = sealed_notes.read_sealed_note(by=request.user, note_id=pk)
    except SealedNote.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "supervision/sealed_note.html",
        {
            "note": note,
            "is_supervisee": note.supervisee.user_id == request.user.pk,
            "can_write": SealedNote.objects.writable_by(request.user)
            .filter(pk=note.pk)
            .exists(),
        },
    )


# --- Booking the next session -------------------------------------------------------
def _booking_person(request: HttpRequest, person_pk: int) -> StaffProfile:
    """One of the signed-in supervisor's own supervisees, or a 404."""
    supervisor = _require_supervisor(request)
    return get_object_or_404(
        StaffProfile.objects.for_user(request.user)
        .filter(supervisor=supervisor)
        .active(as_of=today())
        .select_related("user"),
        pk=person_pk,
    )


def _from_session(
    request: HttpRequest, person: StaffProfile
) -> SupervisionSession | None:
    """The session a booking is made from (``?from=``), if the supervisor may
    write to it and the person attended it; anything else is ignored."""
    raw = request.POST.get("from_session") or request.GET.get("from") or ""
    if not raw.isdigit():
        return None
    return (
        SupervisionSession.objects.writable_by(request.user)
        .without_content()
        .filter(pk=int(raw), attendances__person=person)
        .first()
    )


def _after_booking(session: SupervisionSession | None) -> HttpResponse:
    if session is not None:
        return redirect("supervision:session_detail", pk=session.pk)
    return redirect(reverse("supervision:supervisor_dashboard") + "#bookings")


def _booking_flow(
    request: HttpRequest,
    *,
    person: StaffProfile,
    booking: SessionBooking | None,
    session: SupervisionSession | None,
    save,  # type: ignore[no-untyped-def]
) -> HttpResponse:
    """The GOV.UK question page, then check your answers, then the change.

    A valid POST shows the answers to check, carried in hidden fields; the
    confirming POST checks them again and calls the service, which sends the
    calendar invitation. Bad input shows the question page with each error
    beside its field and saves nothing.
    """
    now = timezone.now()
    shortest = bookings.minimum_minutes(person)
    initial = (
        BookingForm.initial_from(booking)
        if booking is not None
        else {"duration_minutes": max(shortest, 60), "mode": "in_person"}
    )
    form = BookingForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        now=now,
        shortest=shortest,
    )
    context = {
        "form": form,
        "person": person,
        "booking": booking,
        "session": session,
        "back_url": reverse("supervision:session_detail", args=[session.pk])
        if session is not None
        else reverse("supervision:supervisor_dashboard") + "#bookings",
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "confirm" in request.POST:
            try:
                saved = save(data, now)
            except bookings.BookingError as error:
                form.add_error(error.field, str(error))
            except services.SupervisionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"Session {'changed' if booking else 'booked'} for "
                    f"{govuk_datetime(saved.starts_at)}. {person.full_name} and you "
                    "have been sent the calendar invitation.",
                )
                return _after_booking(session)
        elif "edit" not in request.POST:
            hidden = [
                (name, value)
                for name, values in request.POST.lists()
                if name not in ("csrfmiddlewaretoken", "confirm", "edit")
                for value in values
            ]
            return render(
                request,
                "supervision/booking_check.html",
                {**context, "data": data, "hidden": hidden},
            )
    return render(
        request,
        "supervision/booking_form.html",
        context,
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def booking_new(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Book a supervisee's next session (from their session, or the dashboard)."""
    person = _booking_person(request, person_pk)
    session = _from_session(request, person)
    upcoming = (
        SessionBooking.objects.writable_by(request.user)
        .open()
        .filter(supervisee=person, starts_at__gt=timezone.now())
        .first()
    )
    if upcoming is not None:
        messages.info(
            request,
            f"{person.full_name} already has a session booked: change it here, or "
            "cancel it first.",
        )
        url = reverse("supervision:booking_change", args=[upcoming.pk])
        return redirect(f"{url}?from={session.pk}" if session else url)

    def save(data, now):  # type: ignore[no-untyped-def]
        return bookings.book_session(
            by=request.user,
            supervisee_id=person.pk,
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            place=data["place"],
            online_link=data["online_link"],
            booked_from_id=session.pk if session else None,
            now=now,
        )

    return _booking_flow(
        request, person=person, booking=None, session=session, save=save
    )


def _own_booking(request: HttpRequest, pk: int) -> SessionBooking:
    """An open booking the signed-in supervisor made and may change, or a 404."""
    _require_supervisor(request)
    return get_object_or_404(
        SessionBooking.objects.writable_by(request.user)
        .open()
        .select_related("supervisee__user", "supervisor__user"),
        pk=pk,
    )


@never_cache
@login_required
def booking_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a booking: a new time, length or place; both get the update."""
    booking = _own_booking(request, pk)
    session = _from_session(request, booking.supervisee)

    def save(data, now):  # type: ignore[no-untyped-def]
        return bookings.rebook_session(
            by=request.user,
            booking_id=booking.pk,
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            place=data["place"],
            online_link=data["online_link"],
            now=now,
        )

    return _booking_flow(
        request, person=booking.supervisee, booking=booking, session=session, save=save
    )


@never_cache
@login_required
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a booking after confirming; both get the cancellation."""
    booking = _own_booking(request, pk)
    session = _from_session(request, booking.supervisee)
    if request.method == "POST":
        try:
            bookings.cancel_booking(
                by=request.user, booking_id=booking.pk, now=timezone.now()
            )
        except services.SupervisionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Session cancelled. {booking.supervisee.full_name} and you have been "
                "sent the cancellation. Book a new date: a cancelled session with "
                f"no new date is flagged after {REBOOK_WORKING_DAYS} working days.",
            )
        return _after_booking(session)
    return render(
        request,
        "supervision/booking_cancel.html",
        {"booking": booking, "session": session},
    )


# --- Critical incidents -------------------------------------------------------------
@never_cache
@login_required
def incidents(request: HttpRequest, person_pk: int) -> HttpResponse:
    """A worker's critical incidents and their debriefs; record a new one.

    For the worker's supervisor and provider managers who may see them; the
    service decides who may record (``incidents.record_incident``).
    """
    if not has_role(request.user, Role.SUPERVISOR, Role.PROVIDER_MANAGER):
        raise PermissionDenied
    person = get_object_or_404(
        StaffProfile.objects.for_user(request.user).select_related("supervisor"),
        pk=person_pk,
    )
    profile = own_profile(request.user)
    if not (
        has_role(request.user, Role.PROVIDER_MANAGER)
        or (profile is not None and person.supervisor_id == profile.pk)
    ):
        raise Http404("Only the worker's supervisor or a manager sees this.")
    as_of = today()
    form = IncidentForm(request.POST if request.method == "POST" else None, as_of=as_of)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = incident_service.record_incident(
                by=request.user,
                person_id=person.pk,
                kind=data["kind"],
                case_reference=data["case_reference"],
                occurred_on=data["occurred_on"],
                as_of=as_of,
            )
        except services.SupervisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Incident recorded. A debrief for {person.full_name} is due by "
                f"{govuk_date(incident.debrief_due_on)}: record it as a session in "
                "the debrief format. It comes on top of scheduled supervision.",
            )
            return redirect("supervision:incidents", person_pk=person.pk)
    return render(
        request,
        "supervision/incidents.html",
        {
            "form": form,
            "person": person,
            "rows": incident_service.incident_rows(person, as_of=as_of),
        },
        status=400 if form.errors else 200,
    )


# --- Hours over a period ------------------------------------------------------------
@login_required
def hours(request: HttpRequest) -> HttpResponse:
    """Supervision hours per person and team over a chosen period, against what
    each person's policy requires: a supervisor's supervisees, or everyone in a
    provider manager's organisation (names, dates and durations only)."""
    if not has_role(request.user, Role.SUPERVISOR, Role.PROVIDER_MANAGER):
        raise PermissionDenied
    profile = _profile_or_404(request)
    as_of = today()
    start = add_months(as_of, -12) + timedelta(days=1)
    form = HoursForm(
        request.GET or None, as_of=as_of, initial={"start": start, "end": as_of}
    )
    rows, teams = [], []
    if not request.GET or form.is_valid():
        if request.GET:
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            end = as_of
        people = (
            StaffProfile.objects.for_user(request.user)
            .active(as_of=as_of)
            .filter(supervisor__isnull=False)
            .exclude(pk=profile.pk)
        )
        if not has_role(request.user, Role.PROVIDER_MANAGER):
            people = people.filter(supervisor=profile)
        rows, teams = hours_rows(people, start=start, end=end)
    return render(
        request,
        "supervision/hours.html",
        {
            "form": form,
            "rows": rows,
            "teams": teams,
            "start": start,
            "end": end if rows or not request.GET else None,
        },
        status=400 if form.errors else 200,
    )
