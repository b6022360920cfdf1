"""The staff roster import: check the whole file, report bad rows, save all or none.

Used by ``manage.py import_staff``, the provider manager's upload page and the roster
API. Re-importing a file updates people by email; it never duplicates them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from accounts.roles import Role
from config.exports import FORMULA_LEADS
from home.forms import parse_date_text
from workforce.audit import record_audit
from workforce.dates import today
from workforce.models import JobRole, Organisation, PersonKind, StaffProfile, Team
from workforce.signals import roster_preview_requested, staff_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "organisation",
    "team",
    "job_role",
    "started_in_role",
    "qualified_on",
    "fte",
    "supervisor_email",
    "line_manager_email",
]
# Optional: a file without the column leaves leaving dates as they are (issue #10).
# last_supervised_on: when the person was last supervised before Sustain's records,
# so long-serving staff are not overdue on day one. training_history: modules
# completed before go-live, "Module title: 30/04/2025; Other module: 2025-01-10".
# foster_carer: "yes" marks a foster carer (supervised under the fostering
# standards and left out of staff figures); "no" or blank, a member of staff.
OPTIONAL_COLUMNS = ["left_on", "last_supervised_on", "training_history", "foster_carer"]
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
HISTORY_FORMAT = "Module title: 30/04/2025; Another module: 2025-01-10"
REQUIRED = [
    "email",
    "first_name",
    "last_name",
    "organisation",
    "job_role",
    "started_in_role",
]
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    """A problem with one line of the file (line 1 is the header)."""

    line: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass
class RosterResult:
    """What an import did, or, with errors, why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    # Teams this import creates (or, in a check, would create), for the preview.
    new_teams: list[str] = field(default_factory=list)
    # "created", "updated" or "unchanged" per person, in file order, for the preview.
    outcomes: list[tuple[str, str, str]] = field(default_factory=list)

    def people(self, outcome: str) -> list[tuple[str, str]]:
        """(name, email) of the people with this outcome."""
        return [(name, email) for name, email, o in self.outcomes if o == outcome]

    @property
    def to_create(self) -> list[tuple[str, str]]:
        return self.people("created")

    @property
    def to_update(self) -> list[tuple[str, str]]:
        return self.people("updated")

    @property
    def left_unchanged(self) -> list[tuple[str, str]]:
        return self.people("unchanged")

    # The accounts this import made, to be sent an invitation (issue #10).
    new_users: list[User] = field(default_factory=list, repr=False)
    # Training history completions recorded (or, in a check, that would be).
    history_recorded: int = 0
    quiet_start: bool = False
    # What the first sweep after the import would email, by kind (the preview), and
    # what quiet start holds back, by kind. Kinds are notification kind labels.
    would_send: dict[str, int] = field(default_factory=dict)
    would_hold: dict[str, int] = field(default_factory=dict)
    kind_labels: dict[str, str] = field(default_factory=dict)

    def by_label(self, counts: dict[str, int]) -> list[tuple[str, int]]:
        """Message counts named as people read them, largest first."""
        return sorted(
            (
                (self.kind_labels.get(kind, kind.replace("_", " ").capitalize()), n)
                for kind, n in counts.items()
                if n
            ),
            key=lambda pair: (-pair[1], pair[0]),
        )

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"Nothing was saved: {len(self.errors)} problem(s) found."
        verb = "Would create" if self.dry_run else "Created"
        return (
            f"{verb} {self.created}, "
            f"{'would update' if self.dry_run else 'updated'} {self.updated}, "
            f"{self.unchanged} unchanged."
            + (f" New teams: {', '.join(self.new_teams)}." if self.new_teams else "")
        )


@dataclass
class RosterRow:
    """One checked row, ready to save."""

    line: int
    email: str
    first_name: str
    last_name: str
    organisation: Organisation
    team_name: str
    job_role: JobRole
    started_in_role: date
    qualified_on: date | None
    fte: Decimal
    supervisor_email: str
    line_manager_email: str
    left_on: date | None = None
    left_on_given: bool = False
    last_supervised_on: date | None = None
    last_supervised_given: bool = False
    kind: str = PersonKind.STAFF
    kind_given: bool = False
    # (module page, completed on) pairs from the training_history column.
    history: list[tuple[object, date]] = field(default_factory=list)


def read_csv(
    content: bytes | str, *, columns: Sequence[str] = COLUMNS
) -> list[dict[str, str]] | RowError:
    """Decode and parse CSV text; return its rows, or an error about the header.

    ``columns`` are the ones the header must name (the roster's by default; the
    training records import passes its own).
    """
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return RowError(1, "The file is not UTF-8 text. Save it as CSV UTF-8.")
    reader = csv.DictReader(io.StringIO(content))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    return _header_and_rows(
        header,
        (
            {key: _unescape((value or "").strip()) for key, value in row.items() if key}
            for row in reader
        ),
        columns,
    )


def _unescape(value: str) -> str:
    """Undo the leading quote our downloads put before formula-like text."""
    if value.startswith("'") and value[1:].startswith(FORMULA_LEADS):
        return value[1:]
    return value


def _header_and_rows(
    header: list[str], lines: Iterable[dict[str, str]], columns: Sequence[str]
) -> list[dict[str, str]] | RowError:
    missing = [name for name in columns if name not in header]
    if missing:
        return RowError(1, f"The header is missing column(s): {', '.join(missing)}.")
    rows: list[dict[str, str]] = []
    for row in lines:
        rows.append(row)
        if len(rows) > MAX_ROWS:
            break  # enough to say the file is too long, without reading it all
    return rows


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _unescape(str(value).strip())


def read_xlsx(
    content: bytes, *, columns: Sequence[str] = COLUMNS
) -> list[dict[str, str]] | RowError:
    """Read the first sheet of an Excel workbook (values only, never formulas)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # any unreadable upload gets the same answer
        return RowError(1, "The file is not a readable Excel (.xlsx) workbook.")
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return RowError(1, "The workbook has no sheets.")
        lines = sheet.iter_rows(values_only=True)
        first = next(lines, None)
        header = [_xlsx_text(name).lower() for name in (first or ())]

        def records() -> Iterator[dict[str, str]]:
            for values in lines:
                cells = [_xlsx_text(v) for v in values]
                if not any(cells):
                    continue  # Excel keeps formatted empty rows
                yield {
                    name: cells[i] if i < len(cells) else ""
                    for i, name in enumerate(header)
                    if name
                }

        return _header_and_rows(header, records(), columns)
    except Exception:  # a damaged sheet part
        return RowError(1, "The file is not a readable Excel (.xlsx) workbook.")
    finally:
        workbook.close()


def read_upload(
    content: bytes | str, file_format: str = "csv", *, columns: Sequence[str] = COLUMNS
) -> list[dict[str, str]] | RowError:
    """Read an uploaded file of either format into rows of text by column name."""
    if file_format == "xlsx" and isinstance(content, bytes):
        return read_xlsx(content, columns=columns)
    return read_csv(content, columns=columns)


def current_roster(user: User | AnonymousUser, *, as_of: date) -> list[list[object]]:
    """Everyone in post the user may see by name, in the import's own columns."""
    people = (
        StaffProfile.objects.for_user(user)
        .active(as_of=as_of)
        .select_related(
            "user",
            "organisation",
            "team",
            "job_role",
            "supervisor__user",
            "line_manager__user",
        )
        .order_by("organisation__name", "user__last_name", "user__first_name", "pk")
    )
    return [
        [
            p.user.email,
            p.user.first_name,
            p.user.last_name,
            p.organisation.name,
            p.team.name if p.team else "",
            p.job_role.name,
            p.started_in_role,
            p.qualified_on,
            p.fte,
            p.supervisor.user.email if p.supervisor else "",
            p.line_manager.user.email if p.line_manager else "",
        ]
        for p in people
    ]


# No one on a roster started or qualified before this, and no one starts more
# than a year ahead: a date outside is a typing mistake.
EARLIEST_DATE = date(1950, 1, 1)
START_AT_MOST_DAYS_AHEAD = 366


def parse_date_cell(
    value: str,
    column: str,
    line: int,
    errors: list[RowError],
    *,
    latest: date | None = None,
    too_late: str = "is more than a year ahead: check the year",
) -> date | None:
    """Read 2025-04-30 or 30/04/2025 within the roster's bounds, or record why not.

    Shared by every file import (the roster, training records), so a date means
    the same and is refused in the same words in each.
    """
    try:
        parsed = parse_date_text(value)
    except ValueError as error:
        if str(error) == "impossible":
            message = (
                f"{column} '{value}' is an impossible date: that day does not exist."
            )
        else:
            message = f"{column} '{value}' is not a date like 30/04/2025 or 2025-04-30."
        errors.append(RowError(line, message, column))
        return None
    if parsed < EARLIEST_DATE:
        errors.append(
            RowError(
                line, f"{column} '{value}' is before 1950: check the year.", column
            )
        )
        return None
    if latest and parsed > latest:
        errors.append(
            RowError(
                line,
                f"{column} '{value}' {too_late}.",
                column,
            )
        )
        return None
    return parsed


def _parse_history(
    value: str,
    line: int,
    errors: list[RowError],
    *,
    modules: dict[str, object],
    as_of: date,
) -> list[tuple[object, date]]:
    """Read "Module title: 30/04/2025; ..." into (module, date) pairs."""
    column = "training_history"
    found: dict[tuple[int, date], tuple[object, date]] = {}
    for entry in (part.strip() for part in value.split(";")):
        if not entry:
            continue
        title, colon, when = entry.rpartition(":")
        if not colon or not title.strip() or not when.strip():
            errors.append(
                RowError(
                    line,
                    f"{column} entry '{entry[:80]}' is not like '{HISTORY_FORMAT}'.",
                    column,
                )
            )
            continue
        module = modules.get(title.strip().lower())
        if module is None:
            errors.append(
                RowError(
                    line,
                    f"{column}: module '{title.strip()[:80]}' does not exist.",
                    column,
                )
            )
        completed = parse_date_cell(
            when.strip(),
            column,
            line,
            errors,
            latest=as_of,
            too_late="is in the future",
        )
        if module is not None and completed is not None:
            found[(module.pk, completed)] = (module, completed)  # type: ignore[attr-defined]
    return list(found.values())


def _history_modules() -> dict[str, object]:
    """Live modules by lower-cased title and by slug, for the history column."""
    from learning.models import ModulePage

    return {
        key: module
        for module in ModulePage.objects.live()
        for key in (module.title.lower(), module.slug)
    }


def _check_lengths(row: dict[str, str], line: int, errors: list[RowError]) -> None:
    """Refuse text longer than the database column that will hold it."""
    limits = {
        "email": User._meta.get_field("email").max_length,
        "first_name": User._meta.get_field("first_name").max_length,
        "last_name": User._meta.get_field("last_name").max_length,
        "team": Team._meta.get_field("name").max_length,
    }
    for column, limit in limits.items():
        if limit and len(row.get(column, "")) > limit:
            errors.append(
                RowError(line, f"{column} is longer than {limit} characters.", column)
            )


def _check_team(
    row: dict[str, str],
    organisation: Organisation | None,
    known_teams: dict[tuple[int, str], str],
    line: int,
    errors: list[RowError],
    *,
    create_teams: bool,
) -> str:
    """Return the team as stored; an unknown team is an error unless confirmed."""
    name = row.get("team", "")
    if not name or organisation is None:
        return name
    known = known_teams.get((organisation.pk, name.lower()))
    if known:
        return known
    if not create_teams:
        errors.append(
            RowError(
                line,
                f"team '{name}' does not exist in {organisation.name}. Check the "
                "spelling, or confirm that new teams should be created.",
                "team",
            )
        )
    return name


def new_team_names(rows: list[RosterRow]) -> list[str]:
    """Name the teams a checked roster would create, for the preview."""
    wanted = {(row.organisation.pk, row.team_name) for row in rows if row.team_name}
    existing = set(
        Team.objects.filter(organisation_id__in={org for org, _ in wanted}).values_list(
            "organisation_id", "name"
        )
    )
    return sorted(name for org, name in wanted - existing)


def check_rows(
    rows: list[dict[str, str]],
    *,
    importer: User | AnonymousUser | None = None,
    create_teams: bool = True,
    as_of: date | None = None,
) -> tuple[list[RosterRow], list[RowError]]:
    """Check every row against the database and each other; collect every problem.

    A provider manager (``importer``) may only import people into their own
    organisation; a platform admin or a command-line import (``None``) any.
    """
    errors: list[RowError] = []
    as_of = as_of or today()
    latest_start = as_of + timedelta(days=START_AT_MOST_DAYS_AHEAD)
    known_teams = {
        (org_id, name.lower()): name
        for org_id, name in Team.objects.values_list("organisation_id", "name")
    }
    if not rows:
        return [], [
            RowError(
                1, "The file has a header but no people in it. Add a row per person."
            )
        ]
    if len(rows) > MAX_ROWS:
        return [], [RowError(1, f"The file has over {MAX_ROWS} rows; split it.")]
    organisations = {
        key: org
        for org in Organisation.objects.filter(is_provider=True)
        for key in (org.name.lower(), org.slug)
    }
    job_roles = {
        key: role
        for role in JobRole.objects.all()
        for key in (role.name.lower(), role.slug)
    }
    allowed_org_id = _importer_organisation_id(importer)
    emails_in_file = {row.get("email", "").lower() for row in rows}
    known_emails = set(
        User.objects.annotate(email_ci=Lower("email"))
        .filter(email_ci__in=[e for e in emails_in_file if e])
        .values_list("email_ci", flat=True)
    )
    existing_orgs = dict(
        StaffProfile.objects.annotate(email_ci=Lower("user__email"))
        .filter(email_ci__in=known_emails)
        .values_list("email_ci", "organisation_id")
    )
    referenced = {
        row.get(column, "").lower()
        for row in rows
        for column in ("supervisor_email", "line_manager_email")
    } - {""}
    referenced_known = _visible_emails(referenced, importer)
    # Whose organisation each possible supervisor is in: their row in this file
    # decides, else their staff record.
    organisation_of = dict(
        StaffProfile.objects.annotate(email_ci=Lower("user__email"))
        .filter(email_ci__in=referenced_known)
        .values_list("email_ci", "organisation_id")
    )
    for row in rows:
        in_file = organisations.get(row.get("organisation", "").lower())
        if row.get("email") and in_file:
            organisation_of[row["email"].lower()] = in_file.pk
    refused = _refused_accounts({e for e in emails_in_file if e})
    modules = (
        _history_modules() if any(row.get("training_history") for row in rows) else {}
    )
    if modules and not isinstance(importer, User):
        # History is vouched for by the person importing it (they approve it).
        return [], [
            RowError(
                1,
                "training_history can only be imported by a signed-in provider "
                "manager or admin, who approves it: upload the file on the site.",
                "training_history",
            )
        ]

    checked: list[RosterRow] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        row_errors: list[RowError] = []
        for column in REQUIRED:
            if not row.get(column):
                row_errors.append(RowError(line, f"{column} is empty.", column))
        email = row.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(
                    RowError(line, f"email '{email}' is not valid.", "email")
                )
            if email in seen:
                row_errors.append(
                    RowError(
                        line, f"{email} is already on line {seen[email]}.", "email"
                    )
                )
            seen.setdefault(email, line)
        if email in refused:
            row_errors.append(RowError(line, refused[email], "email"))
        organisation = organisations.get(row.get("organisation", "").lower())
        if row.get("organisation") and organisation is None:
            row_errors.append(
                RowError(
                    line,
                    f"organisation '{row['organisation']}' does not exist.",
                    "organisation",
                )
            )
        if organisation and allowed_org_id and organisation.pk != allowed_org_id:
            row_errors.append(
                RowError(
                    line,
                    f"you can only import staff into your own organisation, "
                    f"not '{organisation.name}'.",
                    "organisation",
                )
            )
        if (
            email in existing_orgs
            and allowed_org_id
            and existing_orgs[email] != allowed_org_id
        ):
            row_errors.append(
                RowError(line, f"{email} belongs to another organisation.", "email")
            )
        job_role = job_roles.get(row.get("job_role", "").lower())
        if row.get("job_role") and job_role is None:
            row_errors.append(
                RowError(
                    line, f"job_role '{row['job_role']}' does not exist.", "job_role"
                )
            )
        started = None
        if row.get("started_in_role"):
            started = parse_date_cell(
                row["started_in_role"],
                "started_in_role",
                line,
                row_errors,
                latest=latest_start,
            )
        qualified = None
        if row.get("qualified_on"):
            qualified = parse_date_cell(
                row["qualified_on"], "qualified_on", line, row_errors, latest=as_of
            )
        left_on = None
        if row.get("left_on"):
            left_on = parse_date_cell(row["left_on"], "left_on", line, row_errors)
        last_supervised = None
        if row.get("last_supervised_on"):
            last_supervised = parse_date_cell(
                row["last_supervised_on"],
                "last_supervised_on",
                line,
                row_errors,
                latest=as_of,
                too_late="is in the future",
            )
        kind = PersonKind.STAFF
        answer = row.get("foster_carer", "").strip().lower()
        if answer in YES:
            kind = PersonKind.FOSTER_CARER
        elif answer not in NO:
            row_errors.append(
                RowError(
                    line,
                    f"foster_carer '{row['foster_carer'][:20]}' must be yes, no "
                    "or blank.",
                    "foster_carer",
                )
            )
        history = []
        if row.get("training_history"):
            history = _parse_history(
                row["training_history"], line, row_errors, modules=modules, as_of=as_of
            )
        fte = Decimal("1")
        if row.get("fte"):
            try:
                fte = Decimal(row["fte"])
                if not Decimal("0") < fte <= Decimal("1"):
                    raise InvalidOperation
            except InvalidOperation:
                row_errors.append(
                    RowError(
                        line,
                        f"fte '{row['fte']}' must be a number above 0 and at most 1.",
                        "fte",
                    )
                )
        for column in ("supervisor_email", "line_manager_email"):
            other = row.get(column, "").lower()
            if not other:
                continue
            if other == email:
                row_errors.append(
                    RowError(line, f"{column} cannot be the person themself.", column)
                )
            elif (other not in emails_in_file and other not in referenced_known) or (
                organisation and organisation_of.get(other) != organisation.pk
            ):
                # One answer for both, so the message does not say who works where.
                row_errors.append(
                    RowError(
                        line,
                        f"{column} '{other}' is not in this file or among "
                        f"the staff of {row.get('organisation')} you can see.",
                        column,
                    )
                )
        _check_lengths(row, line, row_errors)
        team_name = _check_team(
            row,
            organisation,
            known_teams,
            line,
            row_errors,
            create_teams=create_teams,
        )
        if row_errors:
            errors.extend(row_errors)
            continue
        assert organisation and job_role and started
        checked.append(
            RosterRow(
                line=line,
                email=email,
                first_name=row["first_name"],
                last_name=row["last_name"],
                organisation=organisation,
                team_name=team_name,
                job_role=job_role,
                started_in_role=started,
                qualified_on=qualified,
                fte=fte,
                supervisor_email=row.get("supervisor_email", "").lower(),
                line_manager_email=row.get("line_manager_email", "").lower(),
                left_on=left_on,
                left_on_given="left_on" in row,
                last_supervised_on=last_supervised,
                last_supervised_given="last_supervised_on" in row,
                kind=kind,
                kind_given="foster_carer" in row,
                history=history,
            )
        )
    return checked, errors


def _visible_emails(
    emails: set[str], importer: User | AnonymousUser | None
) -> set[str]:
    """Return the emails of people on the roster the importer may see by name."""
    from workforce.scoping import person_scope

    profiles = StaffProfile.objects.all()
    if importer is not None:
        profiles = person_scope(profiles, importer)
    return set(
        profiles.annotate(email_ci=Lower("user__email"))
        .filter(email_ci__in=emails)
        .values_list("email_ci", flat=True)
    )


PRIVILEGED_ROLES = (Role.PLATFORM_ADMIN, Role.CONTENT_EDITOR, Role.COMMISSIONER)


def _refused_accounts(emails: set[str]) -> dict[str, str]:
    """Name the accounts an import must never take over, with the reason.

    An account with no staff profile (an admin, an editor) or with a privileged
    role belongs to someone the roster does not manage.
    """
    matching = User.objects.annotate(
        email_ci=Lower("email"), username_ci=Lower("username")
    ).filter(Q(email_ci__in=emails) | Q(username_ci__in=emails))
    refused = {
        email: (
            f"{email} belongs to an account the roster cannot change "
            "(it has no staff record or has admin rights). Ask a platform admin."
        )
        for email_ci, username_ci in matching.filter(
            Q(profile__isnull=True)
            | Q(is_superuser=True)
            | Q(is_staff=True)
            | Q(groups__name__in=[role.value for role in PRIVILEGED_ROLES])
        )
        .values_list("email_ci", "username_ci")
        .distinct()
        for email in {email_ci, username_ci} & emails
    }
    # An account whose username is this address but whose email is another's.
    for email_ci, username_ci in matching.values_list("email_ci", "username_ci"):
        if username_ci in emails and username_ci != email_ci:
            refused.setdefault(
                username_ci,
                f"{username_ci} is the username of another account. "
                "Ask a platform admin.",
            )
    return refused


def _importer_organisation_id(importer: User | AnonymousUser | None) -> int | None:
    """Return the organisation a provider manager may import into (None: any)."""
    from accounts.roles import roles_of
    from workforce.scoping import own_profile

    if importer is None or Role.PLATFORM_ADMIN in roles_of(importer):
        return None
    profile = own_profile(importer)
    return profile.organisation_id if profile else -1


def import_roster(
    content: bytes | str,
    *,
    importer: User | AnonymousUser | None = None,
    dry_run: bool = False,
    create_teams: bool = True,
    file_format: str = "csv",
    quiet_start: bool = False,
) -> RosterResult:
    """Check the whole roster, then create or update every person in one transaction."""
    rows = read_upload(content, file_format)
    if isinstance(rows, RowError):
        return RosterResult(errors=[rows], dry_run=dry_run)
    return save_roster_rows(
        rows,
        importer=importer,
        dry_run=dry_run,
        create_teams=create_teams,
        quiet_start=quiet_start,
    )


def save_roster_rows(
    rows: list[dict[str, str]],
    *,
    importer: User | AnonymousUser | None = None,
    dry_run: bool = False,
    create_teams: bool = True,
    quiet_start: bool = False,
    as_of: date | None = None,
) -> RosterResult:
    """Check parsed rows and save them all, or none if any row is bad.

    One import runs at a time (:func:`_one_import_at_a_time`), checking the rows
    only once it holds the lock, so a second identical upload finds the people the
    first created and changes nothing. Raises :class:`RosterBusy` if the lock is
    not free within ``ROSTER_LOCK_WAIT_SECONDS``.

    With ``quiet_start``, the file's organisations are started quietly (see
    :func:`start_quietly`) and no invitations are sent. A check (``dry_run``) does
    everything in a transaction it rolls back, so its preview, including what the
    first sweep after the import would email, is what the import would do.
    """
    as_of = as_of or today()
    actor = importer if isinstance(importer, User) else None
    with transaction.atomic():
        _one_import_at_a_time()
        checked, errors = check_rows(
            rows, importer=importer, create_teams=create_teams, as_of=as_of
        )
        result = RosterResult(errors=errors, dry_run=dry_run, quiet_start=quiet_start)
        if errors:
            return result
        result.new_teams = new_team_names(checked)
        changed_ids = _apply(checked, result)
        if quiet_start:
            start_quietly(
                organisation_ids={row.organisation.pk for row in checked},
                as_of=as_of,
                actor=actor,
            )
        else:
            result.would_send["invitation"] = len(result.new_users)
            if not dry_run:
                _invite(result.new_users, importer)
        if changed_ids:
            staff_changed.send(sender=StaffProfile, profile_ids=changed_ids)
        result.history_recorded = _record_history(checked, actor=actor, as_of=as_of)
        if dry_run:
            _preview_messages(checked, result, as_of=as_of)
            transaction.set_rollback(True)
        else:
            _audit(checked, result, importer)
    return result


class ImportBusy(Exception):
    """Another import of the same kind is running and did not finish in time."""


class RosterBusy(ImportBusy):
    """Another roster import is running and did not finish in time."""


# The keys of the PostgreSQL advisory locks imports take (numbers no one else uses).
ROSTER_LOCK_KEY = 7_310_001


def _one_import_at_a_time() -> None:
    """Wait for any other roster import to finish, within this transaction.

    One lock for every organisation, because an email is unique across all of
    them: two organisations importing one new address at once would collide.
    """
    one_at_a_time(
        lock_key=ROSTER_LOCK_KEY,
        busy=RosterBusy("Another roster import is running. Try again in a minute."),
    )


def one_at_a_time(*, lock_key: int, busy: ImportBusy) -> None:
    """Wait, within this transaction, for any other holder of ``lock_key`` to finish.

    Raises ``busy`` if that takes longer than ``ROSTER_LOCK_WAIT_SECONDS``, so the
    page or the API can ask to try again. SQLite (the embedded default) already
    lets one writer in at a time.
    """
    if connection.vendor != "postgresql":
        return
    wait = int(settings.ROSTER_LOCK_WAIT_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{wait}s'")
        try:
            with transaction.atomic():  # a savepoint, so the refusal can be reported
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])
        except OperationalError as error:
            raise busy from error
        cursor.execute("SET LOCAL lock_timeout = DEFAULT")


def _audit(
    rows: list[RosterRow],
    result: RosterResult,
    importer: User | AnonymousUser | None,
) -> None:
    """Record the import against each organisation it touched (counts, no names)."""
    for organisation in {
        row.organisation.pk: row.organisation for row in rows
    }.values():
        record_audit(
            actor=importer,
            action="sustain.roster.import",
            instance=organisation,
            summary=result.summary(),
            data={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )


def start_quietly(
    *, organisation_ids: Iterable[int], as_of: date, actor: User | None
) -> int:
    """Hold the reminders and escalations of these organisations' first daily sweep
    on or after ``as_of`` (a go-live): their flags open, but nobody is told of the
    backlog. Returns how many organisations were set."""
    from workforce.services import set_quiet_start

    organisations = list(Organisation.objects.filter(pk__in=set(organisation_ids)))
    for organisation in organisations:
        set_quiet_start(organisation=organisation, starts_on=as_of, actor=actor)
    return len(organisations)


def _record_history(rows: list[RosterRow], *, actor: User | None, as_of: date) -> int:
    """Record the rows' training history through the learning service."""
    if not any(row.history for row in rows) or actor is None:
        return 0
    from learning.services import HistoryRecord, record_training_history

    profiles = {
        profile.user.email.lower(): profile
        for profile in StaffProfile.objects.select_related("user")
        .annotate(email_ci=Lower("user__email"))
        .filter(email_ci__in=[row.email for row in rows if row.history])
    }
    return record_training_history(
        records=[
            HistoryRecord(
                person=profiles[row.email],
                module=module,  # type: ignore[arg-type]
                completed_on=completed_on,
            )
            for row in rows
            if row.history
            for module, completed_on in row.history
        ],
        recorded_by=actor,
        as_of=as_of,
    )


def _preview_messages(
    rows: list[RosterRow], result: RosterResult, *, as_of: date
) -> None:
    """Fill in what the first sweep after this import would email, by kind (the
    notifications app answers ``roster_preview_requested``)."""
    emails = [row.email for row in rows]
    ids = list(
        StaffProfile.objects.annotate(email_ci=Lower("user__email"))
        .filter(email_ci__in=emails)
        .values_list("pk", flat=True)
    )
    for _receiver, response in roster_preview_requested.send(
        sender=StaffProfile, person_ids=ids, as_of=as_of
    ):
        answer: dict[str, dict[str, Any]] = response  # type: ignore[assignment]
        for kind, count in answer["send"].items():
            result.would_send[kind] = result.would_send.get(kind, 0) + count
        for kind, count in answer["hold"].items():
            result.would_hold[kind] = result.would_hold.get(kind, 0) + count
        result.kind_labels.update(answer["labels"])


def _invite(users: list[User], importer: User | AnonymousUser | None) -> None:
    from accounts.invitations import invite_new_people

    invite_new_people(
        users=users, invited_by=importer if isinstance(importer, User) else None
    )


def _apply(rows: Iterable[RosterRow], result: RosterResult) -> list[int]:
    rows = list(rows)
    users: dict[str, User] = {
        user.email.lower(): user
        for user in User.objects.annotate(email_ci=Lower("email")).filter(
            Q(email_ci__in=[r.email for r in rows])
            | Q(username__in=[r.email for r in rows])
        )
    }
    profiles = {
        p.user_id: p for p in StaffProfile.objects.filter(user__in=users.values())
    }
    teams: dict[tuple[int, str], Team] = {}
    saved: dict[str, StaffProfile] = {}
    changed_ids: list[int] = []
    outcome: dict[str, str] = {}
    for row in rows:
        user = users.get(row.email)
        if user is None:
            user = User(username=row.email, email=row.email)
            user.set_unusable_password()
        user_changed = (user.first_name, user.last_name) != (
            row.first_name,
            row.last_name,
        )
        user.first_name, user.last_name = row.first_name, row.last_name
        created = user.pk is None
        if created or user_changed:
            user.save()
        if created:
            result.new_users.append(user)
        team = None
        if row.team_name:
            key = (row.organisation.pk, row.team_name)
            if key not in teams:
                teams[key], _ = Team.objects.get_or_create(
                    organisation=row.organisation, name=row.team_name
                )
            team = teams[key]
        profile = profiles.get(user.pk) or StaffProfile(user=user)
        wanted: dict[str, object] = {
            "organisation_id": row.organisation.pk,
            "team_id": team.pk if team else None,
            "job_role_id": row.job_role.pk,
            "started_in_role": row.started_in_role,
            "qualified_on": row.qualified_on,
            "fte": row.fte,
        }
        if row.left_on_given:
            wanted["left_on"] = row.left_on
        if row.last_supervised_given:
            wanted["last_supervised_on"] = row.last_supervised_on
        if row.kind_given:
            wanted["kind"] = row.kind
        differs = profile.pk is None or any(
            getattr(profile, name) != value for name, value in wanted.items()
        )
        rules_differ = (
            profile.pk is None
            or any(
                getattr(profile, name) != wanted[name]
                for name in ("organisation_id", "job_role_id", "started_in_role")
            )
            or (row.kind_given and profile.kind != row.kind)
            or (
                row.last_supervised_given
                and profile.last_supervised_on != row.last_supervised_on
            )
        )
        for name, value in wanted.items():
            setattr(profile, name, value)
        if differs:
            profile.save()
        if rules_differ:
            changed_ids.append(profile.pk)
        saved[row.email] = profile
        outcome[row.email] = (
            "created"
            if created
            else "updated"
            if differs or user_changed
            else "unchanged"
        )
    links = _existing_profiles_by_email(
        {r.supervisor_email for r in rows} | {r.line_manager_email for r in rows},
        saved,
    )
    for row in rows:
        profile = saved[row.email]
        supervisor = links.get(row.supervisor_email)
        line_manager = links.get(row.line_manager_email)
        new = (
            supervisor.pk if supervisor else None,
            line_manager.pk if line_manager else None,
        )
        if (profile.supervisor_id, profile.line_manager_id) != new:
            profile.supervisor_id, profile.line_manager_id = new
            profile.save(update_fields=["supervisor", "line_manager"])
            if outcome[row.email] == "unchanged":
                outcome[row.email] = "updated"
    for row in rows:
        counter = outcome[row.email]
        setattr(result, counter, getattr(result, counter) + 1)
        result.outcomes.append(
            (f"{row.first_name} {row.last_name}", row.email, counter)
        )
    return changed_ids


def _existing_profiles_by_email(
    emails: set[str], saved: dict[str, StaffProfile]
) -> dict[str, StaffProfile]:
    wanted = {e for e in emails if e} - saved.keys()
    found = {
        p.user.email.lower(): p
        for p in StaffProfile.objects.select_related("user")
        .annotate(email_ci=Lower("user__email"))
        .filter(email_ci__in=wanted)
    }
    return {**found, **saved}
