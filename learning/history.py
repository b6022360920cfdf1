"""Training records from before Sustain: a file of past completions, checked whole.

A provider manager uploads one row per completion (``email``, ``module``,
``completed_on``, ``evidence_reference``), as CSV or Excel, read by the roster
import's own machinery (:mod:`workforce.roster`), so dates, formats and file
problems read the same in both. The whole file is checked first and every problem
is given beside its line. The check also says where each record stands today:
one whose renewal cycle has already run out is shown as expired, so the manager
sees that importing it will not put the person in date.

Saving is all or nothing, through :func:`learning.services.record_training_history`
(each record audited, approved by the importer, no "completed" email), one import
at a time; a record already on Sustain (the same person, module and day) is left
as it is, so a repeated upload records nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models.functions import Lower

from accounts.models import User
from config.exports import FORMULA_LEADS, safe_text
from learning.models import Completion, ModulePage, Requirement
from learning.rules import RecordStanding, record_standing
from learning.services import HistoryRecord, record_training_history
from workforce.audit import record_audit
from workforce.dates import today
from workforce.models import Organisation, StaffProfile
from workforce.roster import (
    MAX_ROWS,
    ImportBusy,
    RowError,
    one_at_a_time,
    parse_date_cell,
    read_upload,
)

COLUMNS = ["email", "module", "completed_on", "evidence_reference"]
EVIDENCE_LIMIT = 200
# The advisory lock training record imports take (the roster's is 7_310_001).
RECORDS_LOCK_KEY = 7_310_002


class RecordsBusy(ImportBusy):
    """Another training records import is running and did not finish in time."""


@dataclass
class RecordLine:
    """One line of the file as the check read it, with its problems or standing."""

    line: int
    email: str
    module_text: str
    completed_text: str
    evidence_reference: str
    errors: list[RowError] = field(default_factory=list)
    person: StaffProfile | None = None
    module: ModulePage | None = None
    completed_on: date | None = None
    already_recorded: bool = False
    standing: RecordStanding | None = None
    valid_until: date | None = None

    @property
    def problems(self) -> str:
        return " ".join(error.message for error in self.errors)

    @property
    def to_record(self) -> bool:
        return not self.errors and not self.already_recorded


@dataclass
class RecordsResult:
    """What a check found, or what an import saved; with errors, why nothing was."""

    lines: list[RecordLine] = field(default_factory=list)
    file_errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    recorded: int = 0

    @property
    def errors(self) -> list[RowError]:
        return [*self.file_errors, *(e for line in self.lines for e in line.errors)]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def to_record(self) -> list[RecordLine]:
        return [line for line in self.lines if line.to_record]

    @property
    def already_recorded(self) -> list[RecordLine]:
        return [line for line in self.lines if line.already_recorded]

    @property
    def expired(self) -> list[RecordLine]:
        return [
            line for line in self.to_record if line.standing == RecordStanding.EXPIRED
        ]

    def summary(self) -> str:
        if self.errors:
            return f"Nothing was saved: {len(self.errors)} problem(s) found."
        count = len(self.to_record) if self.dry_run else self.recorded
        verb = "Would record" if self.dry_run else "Recorded"
        return (
            f"{verb} {count} training record{'s' if count != 1 else ''}, "
            f"{len(self.already_recorded)} already on Sustain, "
            f"{len(self.expired)} of them already expired."
        )


def import_training_records(
    content: bytes | str,
    *,
    importer: User,
    dry_run: bool = False,
    file_format: str = "csv",
    as_of: date | None = None,
) -> RecordsResult:
    """Check a file of past completions whole, then record all of it or none.

    Raises :class:`RecordsBusy` if another import holds the lock for longer than
    ``ROSTER_LOCK_WAIT_SECONDS``. The rows are checked only once the lock is held,
    so a second identical upload finds the first one's records already there.
    """
    as_of = as_of or today()
    rows = read_upload(content, file_format, columns=COLUMNS)
    if isinstance(rows, RowError):
        return RecordsResult(file_errors=[rows], dry_run=dry_run)
    with transaction.atomic():
        one_at_a_time(
            lock_key=RECORDS_LOCK_KEY,
            busy=RecordsBusy(
                "Another training records import is running. Try again in a minute."
            ),
        )
        result = check_records(rows, importer=importer, as_of=as_of)
        result.dry_run = dry_run
        if dry_run or not result.ok:
            return result
        records = [
            HistoryRecord(
                person=line.person,
                module=line.module,
                completed_on=line.completed_on,
                evidence_reference=line.evidence_reference,
            )
            for line in result.to_record
            if line.person and line.module and line.completed_on
        ]
        result.recorded = record_training_history(
            records=records, recorded_by=importer, as_of=as_of
        )
        _audit(result, importer)
    return result


def check_records(
    rows: list[dict[str, str]], *, importer: User, as_of: date
) -> RecordsResult:
    """Check every row against the database and each other; collect every problem.

    A person is found only among the people the importer may see by name, and an
    unknown email and someone else's get the same answer, so the check says
    nothing about who works elsewhere.
    """
    if not rows:
        return RecordsResult(
            file_errors=[
                RowError(1, "The file has a header but no records. Add a row each.")
            ]
        )
    if len(rows) > MAX_ROWS:
        return RecordsResult(
            file_errors=[RowError(1, f"The file has over {MAX_ROWS} rows; split it.")]
        )
    emails = {row.get("email", "").lower() for row in rows} - {""}
    people: dict[str, StaffProfile] = {
        person.user.email.lower(): person
        for person in StaffProfile.objects.for_user(importer)
        .annotate(email_ci=Lower("user__email"))
        .filter(email_ci__in=emails)
        .select_related("user")
    }
    modules = {
        key: module
        for module in ModulePage.objects.live()
        for key in (module.title.lower(), module.slug)
    }
    result = RecordsResult()
    seen: dict[tuple[int, int, date], int] = {}
    for index, row in enumerate(rows):
        line = _check_line(index + 2, row, people, modules, as_of)  # header: line 1
        if line.person and line.module and line.completed_on:
            key = (line.person.pk, line.module.pk, line.completed_on)
            if key in seen:
                line.errors.append(
                    RowError(
                        line.line,
                        f"The same person, module and date are already on line "
                        f"{seen[key]}.",
                    )
                )
            seen.setdefault(key, line.line)
        result.lines.append(line)
    _find_recorded(result.lines)
    _add_standings(result.lines, as_of=as_of)
    return result


def _check_line(
    number: int,
    row: dict[str, str],
    people: dict[str, StaffProfile],
    modules: dict[str, ModulePage],
    as_of: date,
) -> RecordLine:
    line = RecordLine(
        line=number,
        email=row.get("email", ""),
        module_text=row.get("module", ""),
        completed_text=row.get("completed_on", ""),
        evidence_reference=row.get("evidence_reference", ""),
    )
    errors = line.errors
    for column in COLUMNS:
        if not row.get(column):
            errors.append(RowError(number, f"{column} is empty.", column))
    if line.email:
        line.person = people.get(line.email.lower())
        if line.person is None:
            errors.append(
                RowError(
                    number,
                    f"email '{line.email[:80]}' is not anyone on the staff you manage.",
                    "email",
                )
            )
    if line.module_text:
        line.module = modules.get(line.module_text.lower())
        if line.module is None:
            errors.append(
                RowError(
                    number,
                    f"module '{line.module_text[:80]}' is not a training module on "
                    "Sustain: use its title or its address name.",
                    "module",
                )
            )
    if line.completed_text:
        line.completed_on = parse_date_cell(
            line.completed_text,
            "completed_on",
            number,
            errors,
            latest=as_of,
            too_late="is in the future",
        )
    _check_evidence(line)
    return line


def _check_evidence(line: RecordLine) -> None:
    """Refuse a reference too long to keep, or one a spreadsheet would run."""
    reference = line.evidence_reference
    if len(reference) > EVIDENCE_LIMIT:
        line.errors.append(
            RowError(
                line.line,
                f"evidence_reference is longer than {EVIDENCE_LIMIT} characters.",
                "evidence_reference",
            )
        )
    elif reference.startswith(FORMULA_LEADS) and safe_text(reference) != reference:
        line.errors.append(
            RowError(
                line.line,
                "evidence_reference cannot begin with =, +, -, @ or a tab: a "
                "spreadsheet would read it as a formula.",
                "evidence_reference",
            )
        )
    elif any(ord(char) < 32 for char in reference):
        line.errors.append(
            RowError(
                line.line,
                "evidence_reference has a line break or other control character.",
                "evidence_reference",
            )
        )


def _find_recorded(lines: list[RecordLine]) -> None:
    """Mark the records Sustain already holds (a completion that person and day),
    and refuse one whose completion was revoked: importing it again would undo
    the revocation without anyone deciding to."""
    wanted = [line for line in lines if not line.errors]
    if not wanted:
        return
    held: dict[tuple[int, int, date], bool] = {}
    for person_id, module_id, completed_on, revoked_at in Completion.objects.filter(
        person_id__in={line.person.pk for line in wanted if line.person},
        module_id__in={line.module.pk for line in wanted if line.module},
    ).values_list("person_id", "module_id", "completed_on", "revoked_at"):
        key = (person_id, module_id, completed_on)
        held[key] = held.get(key, False) or revoked_at is None
    for line in wanted:
        if not (line.person and line.module and line.completed_on):
            continue
        standing = held.get((line.person.pk, line.module.pk, line.completed_on))
        if standing is False:
            line.errors.append(
                RowError(
                    line.line,
                    "This completion was revoked on Sustain, so it cannot be "
                    "imported again.",
                )
            )
        line.already_recorded = bool(standing)


def _add_standings(lines: list[RecordLine], *, as_of: date) -> None:
    """Say where each record to import stands today, by the person's requirements.

    A requirement applies as the status sync decides: the person's job role is
    one of its roles, and its organisations (if it names any) include theirs.
    """
    wanted = [line for line in lines if line.to_record]
    if not wanted:
        return
    requirements = list(
        Requirement.objects.filter(
            module_id__in={line.module.pk for line in wanted if line.module}
        ).prefetch_related("job_roles", "organisations")
    )
    for line in wanted:
        if not (line.person and line.module and line.completed_on):
            continue
        person = line.person
        cycles = [
            requirement.renewal_months
            for requirement in requirements
            if requirement.module_id == line.module.pk
            and any(r.pk == person.job_role_id for r in requirement.job_roles.all())
            and (
                not (orgs := requirement.organisations.all())
                or any(o.pk == person.organisation_id for o in orgs)
            )
        ]
        line.standing, line.valid_until = record_standing(
            completed_on=line.completed_on, renewal_cycles=cycles, as_of=as_of
        )


def _audit(result: RecordsResult, importer: User) -> None:
    """Record the import against each organisation it touched (counts, no names)."""
    by_organisation: dict[int, int] = defaultdict(int)
    for line in result.to_record:
        if line.person:
            by_organisation[line.person.organisation_id] += 1
    for organisation in Organisation.objects.filter(pk__in=by_organisation):
        record_audit(
            actor=importer,
            action="sustain.training_history.import",
            instance=organisation,
            summary=result.summary(),
            data={"records": by_organisation[organisation.pk]},
        )
