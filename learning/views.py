"""Learner, supervisor and manager pages: thin, scoped, one service or query each."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role
from config import exports
from home import listing
from learning import history, papers, queries
from learning.certificates import certificate_facts, certificate_pdf
from learning.evidence import content_type_of, stored_extension
from learning.forms import (
    CloseExceptionForm,
    ExceptionForm,
    ExternalTrainingForm,
    FeedbackForm,
    RevokeCertificateForm,
    TrainingRecordsUploadForm,
)
from learning.models import (
    Attempt,
    Completion,
    ExternalTraining,
    ModulePage,
    Requirement,
    SectionProgress,
    SectionVisit,
    TrainingException,
)
from learning.rules import RecordStanding, Status
from learning.services import (
    InvalidAnswers,
    LearningError,
    approve_external_training,
    completion_on,
    end_exception,
    give_feedback,
    record_exception,
    record_external_training,
    record_section_visit,
    revoke_certificate,
    save_section_progress,
    submit_knowledge_check,
    withdraw_exception,
)
from workforce.dates import today
from workforce.models import JobRole, StaffProfile, Team
from workforce.scoping import own_profile

if TYPE_CHECKING:
    from accounts.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        """A request behind ``login_required``: its user is signed in."""

        user: User


MATRIX_ROLES = (Role.SUPERVISOR, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN)
MANAGER_ROLES = (Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN)
# Audit entries per page on a person's page.
AUDIT_PER_PAGE = 20


def _profile_or_403(request: HttpRequest) -> StaffProfile:
    profile = own_profile(request.user)
    if profile is None:
        raise PermissionDenied("Your account has no staff record yet.")
    return profile


# --- Learner pages ---------------------------------------------------------------


@login_required
def my_training(request: HttpRequest) -> HttpResponse:
    """List the learner's required modules with status, history and certificates."""
    as_of = today()
    profile = own_profile(request.user)
    training = queries.my_training(profile, as_of=as_of) if profile else None
    return render(
        request,
        "learning/my_training.html",
        {"training": training, "as_of": as_of, "profile": profile},
    )


def serve_module(request: HttpRequest, page: ModulePage) -> HttpResponse:
    """Show one section of a module; 'continue' saves progress and moves on."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    profile = own_profile(request.user)
    sections = page.sections
    total = len(sections)
    done = 0
    if profile is not None and page.pk:
        done = (
            SectionProgress.objects.filter(person=profile, module=page)
            .values_list("sections_done", flat=True)
            .first()
            or 0
        )
    try:
        number = int(request.GET.get("section", min(done + 1, max(total, 1))))
    except ValueError:
        number = 1
    number = max(1, min(number, max(total, 1)))
    if request.method == "GET" and profile is not None and page.pk and sections:
        record_section_visit(person=profile, module=page, section=number)
    if request.method == "POST":
        if profile is not None and page.pk:
            save_section_progress(person=profile, module=page, sections_done=number)
        if number < total:
            return redirect(f"{page.url}?section={number + 1}")
        return redirect("learning:knowledge_check", page_id=page.pk)
    return render(
        request,
        "learning/module_page.html",
        {
            "page": page,
            "self": page,
            "section": sections[number - 1] if sections else None,
            "number": number,
            "total": total,
            "done": done,
            "numbers": range(1, total + 1),
        },
    )


def _answers_from(request: HttpRequest) -> dict[str, list[str]]:
    return {
        key[2:]: request.POST.getlist(key)
        for key in request.POST
        if key.startswith("q-")
    }


def _retake_block(
    profile: StaffProfile, module: ModulePage
) -> tuple[Attempt | None, list[tuple[int, str]]]:
    """After a fail not yet followed up: the attempt and the sections to revisit."""
    last = (
        Attempt.objects.filter(person=profile, module=module)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if last is None or last.passed:
        return None, []
    to_revisit = papers.sections_to_revisit(
        last.paper, last.missed_question_ids, module.questions()
    )
    visits = dict(
        SectionVisit.objects.filter(person=profile, module=module).values_list(
            "section", "visited_at"
        )
    )
    if papers.retake_open(
        failed_at=last.submitted_at,
        to_revisit=to_revisit,
        visits=visits,
        wait_hours=module.retake_wait_hours,
        now=timezone.now(),
    ):
        return None, []
    headings = [section["heading"] for section in module.sections]
    return last, [
        (n, headings[n - 1])
        for n in to_revisit
        if 0 < n <= len(headings)
        and not (n in visits and visits[n] > last.submitted_at)
    ]


@login_required
def knowledge_check(request: HttpRequest, page_id: int) -> HttpResponse:
    """Show a paper drawn from the bank with a one-use token; mark it on the server."""
    profile = _profile_or_403(request)
    module = get_object_or_404(ModulePage.objects.live(), pk=page_id)
    error = ""
    unanswered: list[int] = []
    token = uuid.uuid4()
    chosen: dict[str, list[str]] = {}
    bank = {q.id: q for q in module.questions()}
    if request.method == "POST":
        try:
            token = uuid.UUID(request.POST.get("token", ""))
        except ValueError:
            return HttpResponseBadRequest("This form is out of date. Start again.")
        paper = papers.unsign_paper(
            request.POST.get("paper", ""),
            token=str(token),
            module_id=module.pk,
            person_id=profile.pk,
        )
        if paper is None or any(e["question"] not in bank for e in paper):
            return HttpResponseBadRequest("This form is out of date. Start again.")
        chosen = _answers_from(request)
        try:
            result = submit_knowledge_check(
                person=profile,
                module=module,
                token=token,
                answers=chosen,
                as_of=today(),
                paper=paper,
            )
        except InvalidAnswers as refusal:
            error = str(refusal)
            unanswered = refusal.unanswered
        except LearningError as refusal:
            error = str(refusal)
        else:
            return redirect("learning:attempt_result", pk=result.attempt.pk)
    else:
        last, revisit = _retake_block(profile, module)
        if last is not None:
            return render(
                request,
                "learning/retake_wait.html",
                {"module": module, "attempt": last, "revisit": revisit},
            )
        previous = (
            Attempt.objects.filter(person=profile, module=module)
            .order_by("-submitted_at", "-pk")
            .values_list("paper", flat=True)
            .first()
        )
        paper = papers.draw_paper(
            list(bank.values()),
            shown=module.questions_shown,
            rng=random.SystemRandom(),
            previous=previous,
        )
    questions = []
    for n, entry in enumerate(paper, start=1):
        q = bank[entry["question"]]
        questions.append(
            {
                "id": q.id,
                "number": n,
                "text": q.text,
                "kind": q.kind,
                "error": n in unanswered,
                "options": [
                    {
                        "value": key,
                        "text": q.text_for(key),
                        "checked": key in chosen.get(q.id, []),
                    }
                    for key in entry["options"]
                ],
            }
        )
    signed = papers.sign_paper(
        paper, token=str(token), module_id=module.pk, person_id=profile.pk
    )
    return render(
        request,
        "learning/knowledge_check.html",
        {
            "module": module,
            "questions": questions,
            "token": token,
            "paper": signed,
            "error": error,
            "unanswered": [q for q in questions if q["error"]],
        },
        status=400 if error else 200,
    )


@login_required
def attempt_result(request: HttpRequest, pk: int) -> HttpResponse:
    """A pass shows the full review; a fail shows what to revisit, not the answers."""
    profile = _profile_or_403(request)
    attempt = get_object_or_404(
        Attempt.objects.select_related("module", "revision", "completion"),
        pk=pk,
        person=profile,
    )
    as_taken = attempt.revision.as_object() if attempt.revision else attempt.module
    bank = {q.id: q for q in as_taken.questions()}
    paper = attempt.paper or papers.whole_bank(list(bank.values()))
    headings = [section["heading"] for section in as_taken.sections]
    missed = set(attempt.missed_question_ids)
    results = []
    for n, entry in enumerate(paper, start=1):
        q = bank.get(entry["question"])
        if q is None:
            continue
        section = q.section if q.section and q.section <= len(headings) else None
        result = {
            "number": n,
            "text": q.text,
            "right": q.id not in missed,
            "section": section,
            "section_heading": headings[section - 1] if section else "",
        }
        if attempt.passed:
            # Full review only after a pass (Moodle's "after the quiz is closed").
            result["chosen"] = [
                q.text_for(key) for key in attempt.answers.get(q.id, [])
            ]
            result["correct"] = [
                q.text_for(key) for key in entry["options"] if key in q.correct_keys
            ]
            result["explanation"] = q.explanation
        results.append(result)
    completion = getattr(attempt, "completion", None)
    if completion is None and attempt.passed:
        # A repeat pass on the same day: show the day's certificate, not a new one.
        completion = completion_on(
            person=profile, module=attempt.module, day=attempt.submitted_on
        )
    feedback_form = None
    if completion is not None and not hasattr(completion, "feedback"):
        feedback_form = FeedbackForm()
    return render(
        request,
        "learning/attempt_result.html",
        {
            "attempt": attempt,
            "module": attempt.module,
            "results": results,
            "wrong": [r for r in results if not r["right"]],
            "completion": completion,
            "feedback_form": feedback_form,
        },
    )


@login_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the learner's rating and comment on a module they completed."""
    profile = _profile_or_403(request)
    completion = get_object_or_404(Completion, pk=pk, person=profile)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        give_feedback(
            completion=completion,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, "Thank you for your feedback.")
        return redirect("learning:my_training")
    return render(
        request,
        "learning/feedback.html",
        {"form": form, "completion": completion},
        status=400,
    )


def certificate(request: HttpRequest, verification_id: uuid.UUID) -> HttpResponse:
    """Verify a certificate, no sign-in needed: name, module, date and validity only.

    A revoked one answers 200 too, saying so plainly: whoever holds the paper needs
    to read that it is not valid. An unknown ID is the site's ordinary 404.
    """
    completion = get_object_or_404(
        Completion.objects.select_related("person__user", "module"),
        verification_id=verification_id,
    )
    return render(
        request,
        "learning/certificate.html",
        certificate_facts(completion, as_of=today()),
    )


def _visible_completion(request: HttpRequest, pk: int) -> Completion:
    return get_object_or_404(
        Completion.objects.for_user(request.user).select_related(
            "person__user", "person__organisation", "module", "attempt", "external"
        ),
        pk=pk,
    )


@login_required
def completion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a completion and its certificate to someone who may see the person."""
    completion = _visible_completion(request, pk)
    return render(
        request,
        "learning/completion_detail.html",
        {
            **certificate_facts(completion, as_of=today()),
            "can_revoke": _may_revoke(request, completion),
            # Why it was revoked: for the holder, and for managers and admins.
            "show_reason": completion.person.user_id == request.user.pk
            or has_role(request.user, *MANAGER_ROLES),
        },
    )


def _may_revoke(request: HttpRequest, completion: Completion) -> bool:
    return (
        not completion.is_revoked
        and has_role(request.user, *MANAGER_ROLES)
        and completion.person.user_id != request.user.pk
    )


@login_required
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the certificate as an A4 PDF to someone who may see the person.

    A revoked certificate is not issued again: 410, with a page that says so.
    """
    completion = _visible_completion(request, pk)
    if completion.is_revoked:
        return render(
            request,
            "learning/certificate_revoked.html",
            certificate_facts(completion, as_of=today()),
            status=410,
        )
    response = HttpResponse(
        certificate_pdf(completion, as_of=today()), content_type="application/pdf"
    )
    filename = f"certificate-{completion.verification_id}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Revoke a completion's certificate, with a reason: managers and admins only."""
    if not has_role(request.user, *MANAGER_ROLES):
        raise PermissionDenied
    completion = _visible_completion(request, pk)
    if completion.is_revoked:
        messages.info(request, "This certificate has already been revoked.")
        return redirect("learning:completion_detail", pk=completion.pk)
    form = RevokeCertificateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            revoke_certificate(
                completion_id=completion.pk,
                revoked_by=request.user,
                reason=form.cleaned_data["reason"],
                as_of=today(),
            )
        except Completion.DoesNotExist as missing:
            raise Http404 from missing
        except LearningError as refusal:
            form.add_error("reason", str(refusal))
        else:
            messages.success(
                request,
                f"Certificate revoked: {completion.module.title} for "
                f"{completion.person.full_name}. Its verification link now says "
                "it is not valid.",
            )
            return redirect("learning:completion_detail", pk=completion.pk)
    return render(
        request,
        "learning/revoke_certificate.html",
        {"form": form, "completion": completion},
        status=400 if form.errors else 200,
    )


# --- Supervisors and managers ------------------------------------------------------


class MatrixFilters(TypedDict):
    team_id: int | None
    job_role_id: int | None
    status: str


def _matrix_filters(request: HttpRequest) -> MatrixFilters:
    def as_int(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    status = request.GET.get("status", "")
    return MatrixFilters(
        team_id=as_int("team"),
        job_role_id=as_int("job_role"),
        status=status if status in Status.values else "",
    )


MATRIX_SORTS: dict[str, listing.Sort[queries.MatrixRow]] = {
    "urgency": listing.Sort(
        "Most urgent first", lambda row: (row.urgency, listing.by_name(row.person))
    ),
    "name": listing.Sort("Name (A to Z)", lambda row: listing.by_name(row.person)),
    "team": listing.Sort(
        "Team",
        lambda row: (
            row.person.team.name.casefold() if row.person.team else "~",
            listing.by_name(row.person),
        ),
    ),
}


def _matrix_rows(
    request: HttpRequest, matrix: queries.Matrix
) -> tuple[str, list[queries.MatrixRow]]:
    query = listing.search_text(request)
    rows = [
        row
        for row in matrix.rows
        if listing.matches(
            query,
            row.person.full_name,
            row.person.user.email,
            row.person.team.name if row.person.team else "",
            row.person.job_role.name,
        )
    ]
    return query, rows


@login_required
def team_matrix(request: HttpRequest) -> HttpResponse:
    """Show each person against each requirement, the status in words in each cell."""
    if not has_role(request.user, *MATRIX_ROLES):
        raise PermissionDenied
    as_of = today()
    filters = _matrix_filters(request)
    matrix = queries.team_matrix(request.user, as_of=as_of, **filters)
    people = StaffProfile.objects.for_user(request.user)
    query, rows = _matrix_rows(request, matrix)
    page = listing.paginate(
        request,
        rows,
        sorts=MATRIX_SORTS,
        default_sort="urgency",
        query=query,
        filters=[
            listing.Filter.from_request(
                request,
                "team",
                "Team",
                Team.objects.filter(pk__in=people.values("team_id"))
                .order_by("name")
                .values_list("pk", "name"),
                any_label="All teams",
            ),
            listing.Filter.from_request(
                request,
                "job_role",
                "Job role",
                JobRole.objects.filter(pk__in=people.values("job_role_id"))
                .order_by("name")
                .values_list("pk", "name"),
                any_label="All job roles",
            ),
            listing.Filter.from_request(
                request, "status", "Has a status of", Status.choices, "Any status"
            ),
        ],
    )
    return render(
        request,
        "learning/team_matrix.html",
        {
            "matrix": matrix,
            "listing": page,
            "as_of": as_of,
            "query": request.GET.urlencode(),
            "can_import_records": has_role(request.user, *MANAGER_ROLES),
        },
    )


def _status_date(cell: queries.StatusCell) -> date | None:
    """Return the date a status turns on: its deadline, expiry or exception end."""
    dates = cell.row.dates
    if cell.status == Status.IN_DATE:
        return dates.valid_until
    if cell.status in (Status.DUE_SOON, Status.OVERDUE, Status.NOT_YET_DUE):
        return dates.deadline
    return dates.exception_until


def _matrix_sheet(
    matrix: queries.Matrix, people: list[queries.MatrixRow]
) -> exports.Sheet:
    """One row per person: their most urgent status, then each requirement's.

    Each status is in words with its date beside it, so a sheet can be filtered on
    the status column and sorted on the date.
    """
    headers = ["Name", "Email", "Organisation", "Team", "Job role", "Overall status"]
    for requirement in matrix.requirements:
        title = requirement.module.title
        headers += [f"{title}: status", f"{title}: date"]

    def rows() -> Iterator[list[object]]:
        for row in people:
            person = row.person
            worst = row.most_urgent
            line: list[object] = [
                person.full_name,
                person.user.email,
                person.organisation.name,
                person.team.name if person.team else "",
                person.job_role.name,
                worst.status.label if worst else "Nothing required",
            ]
            for cell in row.cells:
                if cell is None:
                    line += ["Not required", None]
                else:
                    line += [cell.status.label, _status_date(cell)]
            yield line

    return exports.Sheet(title="Team training", headers=headers, rows=rows())


@login_required
def team_matrix_export(request: HttpRequest, file_format: str) -> HttpResponseBase:
    """Export the team matrix, with the same filters, as CSV or XLSX."""
    if not has_role(request.user, *MATRIX_ROLES):
        raise PermissionDenied
    if file_format not in exports.FORMATS:
        raise Http404("Download as csv or xlsx.")
    as_of = today()
    matrix = queries.team_matrix(
        request.user,
        as_of=as_of,
        **_matrix_filters(request),
    )
    _, rows = _matrix_rows(request, matrix)
    sort = MATRIX_SORTS.get(request.GET.get("sort", ""), MATRIX_SORTS["urgency"])
    rows.sort(key=sort.key)
    name = exports.download_stem("team-training", as_of)
    return exports.response([_matrix_sheet(matrix, rows)], file_format, filename=name)


def _scoped_person(request: HttpRequest, person_id: int) -> StaffProfile:
    return get_object_or_404(
        StaffProfile.objects.for_user(request.user).select_related(
            "user", "organisation", "team", "job_role"
        ),
        pk=person_id,
    )


def _with_open(exception: TrainingException, as_of: date) -> TrainingException:
    exception.open = exception.is_open(as_of)  # type: ignore[attr-defined]
    return exception


@login_required
def person_training(request: HttpRequest, person_id: int) -> HttpResponse:
    """Show one person's training to someone who may see them by name."""
    person = _scoped_person(request, person_id)
    as_of = today()
    # The audit trail about them: for their managers only (the scoping layer says).
    audit = None
    if StaffProfile.objects.audit_for_user(request.user).filter(pk=person.pk).exists():
        from home.audit_trail import entries_about

        audit = listing.paginate_query(
            request, entries_about(person), name="audit_page", per_page=AUDIT_PER_PAGE
        )
    return render(
        request,
        "learning/person_training.html",
        {
            "person": person,
            "audit": audit,
            "training": queries.my_training(person, as_of=as_of),
            "exceptions": [
                _with_open(exception, as_of)
                for exception in TrainingException.objects.filter(person=person)
                .select_related("requirement__module", "recorded_by")
                .order_by("-recorded_at")
            ],
            "external": ExternalTraining.objects.filter(person=person)
            .select_related("module", "recorded_by", "approved_by")
            .order_by("-completed_on"),
            "can_manage": has_role(request.user, *MANAGER_ROLES),
            # Incidents are for the worker's supervisor and provider managers.
            "can_record_incident": has_role(request.user, Role.PROVIDER_MANAGER)
            or (
                person.supervisor_id is not None
                and person.supervisor_id == getattr(own_profile(request.user), "pk", 0)
            ),
            "as_of": as_of,
        },
    )


@login_required
def new_exception(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """Record an extension, exemption or long-term absence, with a coded reason."""
    if not has_role(request.user, *MANAGER_ROLES):
        raise PermissionDenied
    person = _scoped_person(request, person_id)
    requirements = Requirement.objects.filter(statuses__person=person).select_related(
        "module"
    )
    form = ExceptionForm(request.POST or None, requirements=requirements)
    if request.method == "POST" and form.is_valid():
        try:
            record_exception(
                person=person,
                requirement=form.cleaned_data["requirement"],
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                until=form.cleaned_data["until"],
                note=form.cleaned_data["note"],
                recorded_by=request.user,
                as_of=today(),
            )
        except LearningError as refusal:
            form.add_error("until", str(refusal))
        else:
            messages.success(request, f"Exception recorded for {person.full_name}.")
            return redirect("learning:person_training", person_id=person.pk)
    return render(
        request,
        "learning/exception_form.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )


@login_required
def close_exception(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """End an exception from today, or withdraw one recorded in error."""
    if not has_role(request.user, *MANAGER_ROLES):
        raise PermissionDenied
    exception = get_object_or_404(
        TrainingException.objects.filter(
            person__in=StaffProfile.objects.for_user(request.user)
        ).select_related("person__user", "requirement__module"),
        pk=pk,
    )
    as_of = today()
    if not exception.is_open(as_of):
        messages.info(request, "This exception no longer applies.")
        return redirect("learning:person_training", person_id=exception.person_id)
    form = CloseExceptionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        how, note = form.cleaned_data["how"], form.cleaned_data["note"]
        verb = "ended" if how == "end" else "withdrawn"
        try:
            if how == "end":
                end_exception(
                    exception_id=exception.pk,
                    ended_by=request.user,
                    as_of=as_of,
                    note=note,
                )
            else:
                withdraw_exception(
                    exception_id=exception.pk,
                    withdrawn_by=request.user,
                    as_of=as_of,
                    note=note,
                )
        except LearningError as refusal:
            form.add_error("note", str(refusal))
        else:
            messages.success(
                request,
                f"{exception.get_kind_display()} {verb} for "
                f"{exception.person.full_name}.",
            )
            return redirect("learning:person_training", person_id=exception.person_id)
    return render(
        request,
        "learning/exception_close.html",
        {"form": form, "exception": exception, "person": exception.person},
        status=400 if form.errors else 200,
    )


@login_required
def new_external_training(
    request: AuthenticatedHttpRequest, person_id: int
) -> HttpResponse:
    """Record training done elsewhere, with evidence, for a manager to approve."""
    if not has_role(request.user, *MANAGER_ROLES):
        raise PermissionDenied
    person = _scoped_person(request, person_id)
    form = ExternalTrainingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_external_training(
                person=person,
                module=data["module"],
                title=data["title"],
                provider=data["provider"],
                completed_on=data["completed_on"],
                evidence=data["evidence"],
                evidence_reference=data["evidence_reference"],
                recorded_by=request.user,
                as_of=today(),
            )
        except LearningError as refusal:
            field = "completed_on" if "date" in str(refusal) else "evidence_reference"
            form.add_error(field, str(refusal))
        else:
            messages.success(
                request, "External training recorded. Approve it to count."
            )
            return redirect("learning:person_training", person_id=person.pk)
    return render(
        request,
        "learning/external_training_form.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def approve_external(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Approve external training so that it counts as a completion."""
    if not has_role(request.user, *MANAGER_ROLES):
        raise PermissionDenied
    record = get_object_or_404(
        ExternalTraining.objects.filter(
            person__in=StaffProfile.objects.for_user(request.user)
        ),
        pk=pk,
    )
    try:
        approve_external_training(
            record=record, approved_by=request.user, as_of=today()
        )
    except LearningError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Approved: it now counts as a completion.")
    return redirect("learning:person_training", person_id=record.person_id)


@login_required
def external_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download the evidence file of external training, for those who may see it.

    Evidence is never served from a public media URL: only the person and those the
    scoping layer lets see them (their supervisor, their managers) get the file.
    """
    record = get_object_or_404(
        ExternalTraining.objects.filter(
            person__in=StaffProfile.objects.for_user(request.user)
        ).exclude(evidence=""),
        pk=pk,
    )
    name = record.evidence.name or ""
    response = FileResponse(
        record.evidence.open("rb"),
        as_attachment=True,
        filename=f"evidence-{record.pk}.{stored_extension(name)}",
        content_type=content_type_of(name),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Training records from before Sustain ------------------------------------------


@login_required
def training_records_template(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """An empty training records file in the columns the import reads, to fill in."""
    if not has_role(request.user, *MANAGER_ROLES):
        raise PermissionDenied
    if fmt not in exports.FORMATS:
        raise Http404
    sheet = exports.Sheet(title="Training records", headers=history.COLUMNS, rows=[])
    return exports.response([sheet], fmt, filename="training-records-template")


@login_required
def import_training_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload training done before Sustain: check it whole, then record all or none."""
    if not has_role(request.user, *MANAGER_ROLES):
        raise PermissionDenied
    result = None
    form = TrainingRecordsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = history.import_training_records(
                form.cleaned_data["file"],
                importer=request.user,
                dry_run=form.cleaned_data["dry_run"],
                file_format=form.file_format,
            )
        except history.RecordsBusy as busy:
            form.add_error(None, str(busy))
        if result is not None and result.ok and not result.dry_run:
            messages.success(request, f"Training records imported. {result.summary()}")
            return redirect("learning:import_training_records")
    return render(
        request,
        "learning/import_training_records.html",
        {
            "form": form,
            "result": result,
            "columns": history.COLUMNS,
            "standing": RecordStanding,
        },
        status=400 if form.errors or (result is not None and not result.ok) else 200,
    )
