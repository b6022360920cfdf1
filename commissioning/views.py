"""Commissioning pages: thin views over the reports, every one through the scope.

An out-of-scope provider answers 404; a role that sees no figures answers 403.
Commissioners see aggregates only: no page here shows them anyone's name.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import tokens
from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.roles import Role, has_role
from commissioning.reports import (
    provider_scope,
    scoped_provider,
    table_for,
    tables_for,
    team_scope,
)
from commissioning.reports.common import Table
from commissioning.reports.headline import headline_table, headline_trends
from commissioning.reports.people import people_rows, people_table
from commissioning.reports.people import urgency as people_urgency
from commissioning.reports.training import coverage_summary
from commissioning.reports.trends import (
    last_complete_month,
    month_starts,
    snapshot_download,
    trend_series,
)
from config import exports
from home import listing
from supervision.rules import Status as SupervisionState
from workforce.dates import today
from workforce.models import Organisation

REPORTING_ROLES = (Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN)


def _require_reporting_role(request: HttpRequest) -> None:
    if not has_role(request.user, *REPORTING_ROLES):
        raise PermissionDenied


def _provider_or_404(request: HttpRequest, provider_id: int, as_of) -> Organisation:
    provider = scoped_provider(request.user, provider_id, as_of=as_of)
    if provider is None:
        raise Http404("No such provider in your scope.")
    return provider


def may_see_people(request: HttpRequest, provider: Organisation) -> bool:
    """Say whether the user may see this provider's people by name (never content)."""
    from workforce.scoping import own_profile

    if has_role(request.user, Role.PLATFORM_ADMIN):
        return True
    profile = own_profile(request.user)
    return (
        has_role(request.user, Role.PROVIDER_MANAGER)
        and profile is not None
        and profile.organisation_id == provider.pk
    )


def _labels(tables: list[Table]) -> dict[str, str]:
    return {
        row["dimension"]: row["requirement"]
        for table in tables
        for row in table.rows
        if row.get("dimension") and row.get("requirement")
    }


# Providers per dashboard page: every table shows the same page of providers.
PROVIDERS_PER_PAGE = 25


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the providers in the user's scope, a page at a time, with each family's
    figures; training coverage summed over the requirements (a row per provider).

    Only the page's providers are queried, so the page costs the same at any size;
    the downloads hold every provider, requirement by requirement.
    """
    _require_reporting_role(request)
    as_of = today()
    scope = provider_scope(request.user, as_of=as_of)
    pages = listing.paginate(
        request,
        scope.providers,
        sorts={"name": listing.Sort("Provider name", lambda p: (p.name, p.pk))},
        default_sort="name",
        per_page=PROVIDERS_PER_PAGE,
    )
    shown = replace(scope, providers=tuple(pages.rows))
    tables = tables_for(shown) if shown.providers else []
    tables = [coverage_summary(t, shown) if t.key == "coverage" else t for t in tables]
    by_key = {t.key: t for t in tables}
    return render(
        request,
        "commissioning/dashboard.html",
        {
            "as_of": as_of,
            "scope": scope,
            "listing": pages,
            "tables": tables,
            "headline": headline_table(
                shown, by_key.get("coverage"), by_key.get("supervision")
            )
            if shown.providers
            else None,
            "trends": headline_trends(
                shown.provider_ids,
                months=month_starts(last=last_complete_month(as_of)),
            )
            if shown.providers
            else [],
        },
    )


@login_required
def provider_detail(request: HttpRequest, provider_id: int) -> HttpResponse:
    """Show one provider team by team, with trends and the expiry forecast."""
    _require_reporting_role(request)
    as_of = today()
    provider = _provider_or_404(request, provider_id, as_of)
    scope = team_scope(request.user, provider, as_of=as_of)
    tables = tables_for(scope)
    own = provider_scope(request.user, as_of=as_of, only=provider)
    return render(
        request,
        "commissioning/provider_detail.html",
        {
            "as_of": as_of,
            "provider": provider,
            "tables": tables,
            "series": trend_series(
                provider_id=provider.pk, as_of=as_of, labels=_labels(tables)
            ),
            "forecast": _forecast(own, provider, tables),
            "may_see_people": may_see_people(request, provider),
        },
    )


def _forecast(  # type: ignore[no-untyped-def]
    scope, provider: Organisation, tables: list[Table] | None = None
) -> Table | None:
    """The provider's expiry forecast; requirement names come from ``tables``'
    coverage rows when it has them (no second look-up)."""
    from commissioning.reports import forecast

    if not forecast.AVAILABLE:
        return None
    labels = {
        row["requirement_id"]: row["requirement"]
        for table in tables or []
        if table.key == "coverage"
        for row in table.rows
    }
    return forecast.forecast_table(
        scope, provider_ids=[provider.pk], labels=labels or None
    )


@login_required
def provider_report(request: HttpRequest, provider_id: int) -> HttpResponse:
    """Show the printable contract-monitoring report of one provider."""
    _require_reporting_role(request)
    as_of = today()
    provider = _provider_or_404(request, provider_id, as_of)
    own = provider_scope(request.user, as_of=as_of, only=provider)
    tables = tables_for(team_scope(request.user, provider, as_of=as_of))
    summary = tables_for(own)
    by_key = {t.key: t for t in summary}
    coverage = by_key.get("coverage")
    return render(
        request,
        "commissioning/provider_report.html",
        {
            "as_of": as_of,
            "provider": provider,
            "contracts": list(
                own.contracts.filter(provider=provider).select_related("commissioner")
            ),
            "headline": headline_table(
                own,
                coverage_summary(coverage, own) if coverage else None,
                by_key.get("supervision"),
            ),
            "summary": summary,
            "tables": tables,
            "forecast": _forecast(own, provider, tables),
        },
    )


@login_required
def provider_people(request: HttpRequest, provider_id: int) -> HttpResponse:
    """List a provider's people by name with their statuses (managers only)."""
    _require_reporting_role(request)
    as_of = today()
    provider = _provider_or_404(request, provider_id, as_of)
    if not may_see_people(request, provider):
        raise Http404("No such provider in your scope.")
    rows = list(people_rows(request.user, provider, as_of=as_of))
    filters = [
        listing.Filter.from_request(
            request,
            "status",
            "Supervision status",
            [(status.value, status.label) for status in SupervisionState],
            any_label="Any status",
        ),
        listing.Filter.from_request(
            request,
            "team",
            "Team",
            sorted({(r["team_id"], r["team"]) for r in rows if r["team_id"]}, key=str),
            any_label="All teams",
        ),
        listing.Filter.from_request(
            request,
            "job_role",
            "Job role",
            sorted({(r["job_role_id"], r["job_role"]) for r in rows}, key=str),
            any_label="All job roles",
        ),
        listing.Filter.from_request(
            request,
            "training",
            "Training",
            [("overdue", "Some overdue"), ("due_soon", "Some due soon")],
            any_label="Any training status",
        ),
    ]
    chosen = {f.name: f.value for f in filters if f.value}
    query = listing.search_text(request)

    def keep(row: dict[str, Any]) -> bool:
        if chosen.get("status", row["supervision_status"]) != row["supervision_status"]:
            return False
        if chosen.get("team", str(row["team_id"])) != str(row["team_id"]):
            return False
        if chosen.get("job_role", str(row["job_role_id"])) != str(row["job_role_id"]):
            return False
        training = chosen.get("training")
        if training and not row[f"training_{training}"]:
            return False
        return listing.matches(
            query, row["name"], row["email"], row["team"], row["job_role"]
        )

    def by_name(row: dict[str, Any]) -> tuple[str, str, int]:
        return (
            row["last_name"].casefold(),
            row["first_name"].casefold(),
            row["person_id"],
        )

    page = listing.paginate(
        request,
        [row for row in rows if keep(row)],
        sorts={
            "urgency": listing.Sort(
                "Most urgent first", lambda row: (people_urgency(row), by_name(row))
            ),
            "name": listing.Sort("Name (A to Z)", by_name),
            "team": listing.Sort(
                "Team", lambda row: (row["team"].casefold(), by_name(row))
            ),
        },
        default_sort="urgency",
        query=query,
        filters=filters,
    )
    return render(
        request,
        "commissioning/provider_people.html",
        {
            "as_of": as_of,
            "provider": provider,
            "listing": page,
            "table": people_table(request.user, provider, as_of=as_of, rows=page.rows),
        },
    )


def _export(tables: list[Table], fmt: str, *, subject: str, as_of: date) -> Any:
    key = tables[0].key if len(tables) == 1 else "all"
    return exports.response(
        [table.as_sheet() for table in tables],
        fmt,
        filename=exports.download_stem(subject, key, as_of),
    )


def _one_table(scope, key: str) -> Table:  # type: ignore[no-untyped-def]
    table = table_for(scope, key)
    if table is None:
        raise Http404("No such table.")
    return table


@login_required
def export_dashboard(request: HttpRequest, fmt: str, key: str = "") -> HttpResponse:
    """Download the dashboard's tables (one, or all as XLSX sheets)."""
    _require_reporting_role(request)
    if fmt not in exports.FORMATS or (fmt == "csv" and not key):
        raise Http404
    as_of = today()
    scope = provider_scope(request.user, as_of=as_of)
    if key == "snapshots":
        start = month_starts(last=last_complete_month(as_of))[0]
        tables = [
            snapshot_download(
                provider_ids=scope.provider_ids,
                start=start,
                end=last_complete_month(as_of),
            )
        ]
    else:
        tables = [_one_table(scope, key)] if key else tables_for(scope)
    return _export(tables, fmt, subject="providers", as_of=as_of)


@login_required
def export_provider(
    request: HttpRequest, provider_id: int, fmt: str, key: str = ""
) -> HttpResponse:
    """Download one provider's tables, team by team (one, or all as XLSX sheets)."""
    _require_reporting_role(request)
    if fmt not in exports.FORMATS or (fmt == "csv" and not key):
        raise Http404
    as_of = today()
    provider = _provider_or_404(request, provider_id, as_of)
    if key == "people":
        if not may_see_people(request, provider):
            raise Http404
        tables = [people_table(request.user, provider, as_of=as_of)]
    elif key == "forecast":
        forecast = _forecast(provider_scope(request.user, as_of=as_of), provider)
        if forecast is None:
            raise Http404
        tables = [forecast]
    elif key == "snapshots":
        last = last_complete_month(as_of)
        tables = [
            snapshot_download(
                provider_ids=[provider.pk], start=month_starts(last=last)[0], end=last
            )
        ]
    else:
        scope = team_scope(request.user, provider, as_of=as_of)
        tables = [_one_table(scope, key)] if key else tables_for(scope)
        if not key:
            forecast = _forecast(provider_scope(request.user, as_of=as_of), provider)
            if forecast is not None:
                tables.append(forecast)
    return _export(tables, fmt, subject=provider.name, as_of=as_of)


def _token_page(
    request: HttpRequest, *, new_key: str = "", form: ApiTokenForm | None = None
) -> HttpResponse:
    owned = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    now = timezone.now()
    # The new key is in this response only (PrivateCacheMiddleware: no-store).
    return render(
        request,
        "commissioning/api_token.html",
        {
            "tokens": [(token, token.status(now=now)) for token in owned],
            "new_key": new_key,
            "form": form or ApiTokenForm(),
            "token_days": settings.API_TOKEN_DAYS,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens, and let them make a new one or revoke one."""
    _require_reporting_role(request)
    return _token_page(request)


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Make a new API token and show its key, this once."""
    _require_reporting_role(request)
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _token_page(request, form=form)
    _, key = tokens.issue_token(user=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
    return _token_page(request, new_key=key)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own API tokens (anyone else's is 404)."""
    _require_reporting_role(request)
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    if tokens.revoke_token(token=token, actor=request.user):  # type: ignore[arg-type]
        messages.success(request, f"The API token {token} has been revoked.")
    return redirect("commissioning:api_token")
