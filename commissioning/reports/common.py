"""What every commissioning report shares: the scope, the grouping and the table shape.

A report answers for a set of groups: every provider the user may see
(``Level.PROVIDER``), or every team of one provider (``Level.TEAM``). Each metric
family is one module and one (or two) set-based queries, whatever the headcount.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from accounts.roles import Role, roles_of
from config.exports import Sheet
from workforce.models import (
    CommissioningContract,
    Organisation,
    PersonKind,
    StaffProfile,
    StaffProfileQuerySet,
    Team,
)
from workforce.scoping import own_profile

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# Every figure is shown only for groups of this size or more (see
# ``suppress_small_groups``, the one rule pages, exports, the API and snapshots share).
SUPPRESSION_THRESHOLD = 5
# What a suppressed cell holds in pages and exports; the API sends null instead.
SUPPRESSED = f"Suppressed (fewer than {SUPPRESSION_THRESHOLD} people)"
# A caseload snapshot older than this many days no longer describes today's load.
CASELOAD_WINDOW_DAYS = 45
NO_TEAM = "No team"


class Level(StrEnum):
    """The grain of a report: one row per provider, or per team of one provider."""

    PROVIDER = "provider"
    TEAM = "team"


@dataclass(frozen=True)
class Group:
    """One row's subject: a provider, or a team (``team_id`` None: people with none)."""

    provider_id: int
    provider_name: str
    team_id: int | None = None
    team_name: str = ""

    @property
    def label(self) -> str:
        return self.team_name or self.provider_name


@dataclass(frozen=True)
class ReportScope:
    """Who is asking, about which groups, on which date: resolved once per request.

    ``contracts`` holds the active contracts that set the thresholds: a
    commissioner's own contracts with each provider; for anyone else, every active
    contract of the provider (the strictest figure wins).
    """

    as_of: date
    level: Level
    providers: tuple[Organisation, ...]
    contracts: QuerySet[CommissioningContract]
    provider: Organisation | None = None
    teams: tuple[Team, ...] = ()
    # Figures more than one table needs, kept the first time a query gives them
    # (the staffing query counts the people in post, which suppression needs too).
    known: dict[str, Any] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def provider_ids(self) -> list[int]:
        return [p.pk for p in self.providers]

    @property
    def group_field(self) -> str:
        """The StaffProfile field a report groups by."""
        return "organisation_id" if self.level is Level.PROVIDER else "team_id"

    def people(self) -> StaffProfileQuerySet:
        """Return the staff in post on ``as_of`` in the groups of this report.

        Foster carers are not staff: they are in no staff figure (ratios, caseloads,
        supervision, training).
        """
        return (
            StaffProfile.objects.active(as_of=self.as_of)
            .staff()
            .filter(organisation_id__in=self.provider_ids)
        )

    def people_through(self, relation: str) -> Q:
        """Keep rows whose ``relation`` (a StaffProfile) is one of ``people()``.

        A filter across the one join the grouping needs anyway, rather than
        ``relation__in=people()``, which joins the staff table a second time.
        """
        return self._in_post(relation, PersonKind.STAFF, self.provider_ids)

    def _in_post(self, relation: str, kind: str, provider_ids: list[int]) -> Q:
        """``relation`` is a person of ``kind`` at these providers, in post on
        ``as_of`` (no leaving date, or one not before it)."""
        return Q(
            **{
                f"{relation}__organisation_id__in": provider_ids,
                f"{relation}__kind": kind,
            }
        ) & (
            Q(**{f"{relation}__left_on__isnull": True})
            | Q(**{f"{relation}__left_on__gte": self.as_of})
        )

    def supervised_through(self, relation: str) -> Q:
        """Keep rows whose ``relation`` counts in this report's supervision figures.

        Staff, as ``people_through``; and the foster carers of a provider whose
        contract in this scope counts them (``foster_carers_in_supervision``).
        """
        providers = [
            provider_id
            for provider_id, terms in contract_terms(self).items()
            if terms.foster_carers_in_supervision
        ]
        staff = self.people_through(relation)
        if not providers:
            return staff
        return staff | self._in_post(relation, PersonKind.FOSTER_CARER, providers)

    def groups(self) -> list[Group]:
        """Return the rows of this report, in display order."""
        if self.level is Level.PROVIDER:
            return [Group(p.pk, p.name) for p in self.providers]
        assert self.provider is not None
        rows = [
            Group(self.provider.pk, self.provider.name, t.pk, t.name)
            for t in self.teams
        ]
        rows.append(Group(self.provider.pk, self.provider.name, None, NO_TEAM))
        return rows

    def key_of(self, group: Group) -> int | None:
        """Return the value of ``group_field`` for this group."""
        return group.provider_id if self.level is Level.PROVIDER else group.team_id


def contracts_for(user: User | AnonymousUser | None, *, as_of: date) -> QuerySet:
    """Return the active contracts whose terms apply to this user's figures."""
    contracts = CommissioningContract.objects.active(as_of=as_of)
    if user is None:
        return contracts
    roles = roles_of(user)
    if Role.PLATFORM_ADMIN in roles or Role.PROVIDER_MANAGER in roles:
        return contracts
    profile = own_profile(user)
    return contracts.filter(commissioner_id=profile.organisation_id if profile else -1)


def provider_scope(
    user: User | AnonymousUser | None,
    *,
    as_of: date,
    only: Organisation | None = None,
) -> ReportScope:
    """Return one row per provider the user may see (``None``: every provider).

    ``only`` narrows the report to one provider already checked to be in scope.
    """
    if only is not None:
        providers: tuple[Organisation, ...] = (only,)
    elif user is None:
        providers = tuple(Organisation.objects.providers().order_by("name"))
    else:
        providers = tuple(
            Organisation.objects.for_user(user, as_of=as_of).order_by("name")
        )
    return ReportScope(
        as_of=as_of,
        level=Level.PROVIDER,
        providers=providers,
        contracts=contracts_for(user, as_of=as_of),
    )


def team_scope(
    user: User | AnonymousUser | None, provider: Organisation, *, as_of: date
) -> ReportScope:
    """Return one row per team of ``provider`` (already checked to be in scope)."""
    return ReportScope(
        as_of=as_of,
        level=Level.TEAM,
        providers=(provider,),
        provider=provider,
        teams=tuple(Team.objects.filter(organisation=provider).order_by("name")),
        contracts=contracts_for(user, as_of=as_of),
    )


def scoped_provider(
    user: User | AnonymousUser, provider_id: int | str, *, as_of: date
) -> Organisation | None:
    """Return the provider if the user may see its figures, else None (a 404)."""
    try:
        pk = int(provider_id)
    except (TypeError, ValueError):
        return None
    return Organisation.objects.for_user(user, as_of=as_of).filter(pk=pk).first()


def percent(part: int | None, whole: int | None) -> Decimal | None:
    """Return ``part`` as a percentage of ``whole`` to one place, or None if empty."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def one_place(value: Any) -> Decimal | None:
    """Round a number to one decimal place (None stays None)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Column:
    """One column of a table: its key in each row, its heading, and its kind."""

    key: str
    label: str
    numeric: bool = True


@dataclass
class Table:
    """A report table, as pages, exports and the API all show it."""

    key: str
    title: str
    columns: list[Column]
    rows: Iterable[Mapping[str, Any]] = field(default_factory=list)
    note: str = ""

    def cells(self) -> Iterator[list[Any]]:
        """Yield each row's values in column order (streamed, never all in memory)."""
        for row in self.rows:
            yield [row.get(column.key) for column in self.columns]

    def as_sheet(self) -> Sheet:
        """Describe this table as a download (see ``config.exports``)."""
        return Sheet(
            title=self.title,
            headers=[column.label for column in self.columns],
            rows=self.cells(),
            note=self.note,
        )


def group_columns(level: Level) -> list[Column]:
    """Return the leading column(s) that name a row's provider or team."""
    if level is Level.PROVIDER:
        return [Column("provider", "Provider", numeric=False)]
    return [Column("team", "Team", numeric=False)]


def group_cells(group: Group, level: Level) -> dict[str, Any]:
    """Return the naming cells of a row, plus ids the API and links use."""
    cells: dict[str, Any] = {
        "provider_id": group.provider_id,
        "provider": group.provider_name,
    }
    if level is Level.TEAM:
        cells.update(team_id=group.team_id, team=group.team_name)
    return cells


def is_empty_no_team(scope: ReportScope, group: Group, found: object) -> bool:
    """Say whether a row is the "no team" row of a team report with nothing in it."""
    if scope.level is not Level.TEAM or group.team_id is not None:
        return False
    figures = found.values() if isinstance(found, dict) else [found]
    return not any(value for value in figures if not isinstance(value, str))


def by_key(rows: Iterable[dict[str, Any]], field_name: str) -> dict[Any, dict]:
    """Index aggregate rows by their grouping value."""
    return {row[field_name]: row for row in rows}


def headcounts(scope: ReportScope) -> dict[Any, int]:
    """Return the people in post in each group of the scope (one query, or none
    when the staffing figures already counted them)."""
    from django.db.models import Count

    if "headcounts" not in scope.known:
        rows = (
            scope.people()
            .values(scope.group_field)
            .annotate(n=Count("pk"))
            .order_by()
            .values_list(scope.group_field, "n")
        )
        scope.known["headcounts"] = dict(rows)
    return scope.known["headcounts"]


@dataclass(frozen=True)
class ContractTerms:
    """A provider's strictest active contract terms in this scope (None: not set)."""

    caseload_threshold_per_fte: Decimal | None = None
    expected_worker_manager_ratio: Decimal | None = None
    # A contract in scope counts the provider's foster carers in supervision.
    foster_carers_in_supervision: bool = False


def contract_terms(scope: ReportScope) -> dict[int, ContractTerms]:
    """Return each provider's strictest contract terms (one query per scope).

    The caseload and staffing tables both need them; asking once per provider
    rather than once per caseload row keeps the caseload query a plain join.
    """
    from django.db.models import Min

    if "contract_terms" not in scope.known:
        scope.known["contract_terms"] = {
            provider_id: ContractTerms(threshold, ratio, carers > 0)
            for provider_id, threshold, ratio, carers in scope.contracts.filter(
                provider_id__in=scope.provider_ids
            )
            .values("provider_id")
            .annotate(
                threshold=Min("caseload_threshold_per_fte"),
                ratio=Min("expected_worker_manager_ratio"),
                carers=Count("pk", filter=Q(foster_carers_in_supervision=True)),
            )
            .values_list("provider_id", "threshold", "ratio", "carers")
        }
    return scope.known["contract_terms"]


def _hide(row: dict[str, Any], columns: list[Column]) -> None:
    row["suppressed"] = True
    for column in columns:
        if column.numeric:
            row[column.key] = SUPPRESSED


def suppress_small_groups(scope: ReportScope, tables: list[Table]) -> list[Table]:
    """Suppress every figure of a group with fewer than 5 people in post, in every
    table: the one suppression rule, applied where every table is built.

    In a team drill-down the provider's own figures are shown too, so one hidden
    team could be worked out by subtraction; the next smallest teams are hidden as
    well until the hidden ones hold 5 or more people between them (complementary
    suppression). A table may suppress more by its own rule (check-ins count the
    people who checked in); it never shows more.
    """
    counts = headcounts(scope)
    for table in tables:
        rows = [row for row in table.rows if "provider_id" in row]
        table.rows = rows
        if scope.level is Level.TEAM:
            size = {id(row): counts.get(row.get("team_id"), 0) for row in rows}
        else:
            size = {id(row): counts.get(row["provider_id"], 0) for row in rows}
        for row in rows:
            if size[id(row)] < SUPPRESSION_THRESHOLD or row.get("suppressed"):
                _hide(row, table.columns)  # type: ignore[arg-type]
        if scope.level is not Level.TEAM:
            continue

        shown = sorted(
            (row for row in rows if not row.get("suppressed")),
            key=lambda row: size[id(row)],
        )
        hidden = sum(size[id(row)] for row in rows if row.get("suppressed"))
        while 0 < hidden < SUPPRESSION_THRESHOLD and shown:
            row = shown.pop(0)
            _hide(row, table.columns)  # type: ignore[arg-type]
            hidden += size[id(row)]
    return tables


TableBuilder = Callable[[ReportScope], Table]
