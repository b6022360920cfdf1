"""The roster marks foster carers, who then leave the staff ladder and figures."""

import csv
import io

import pytest

from supervision.models import SupervisionStatus
from supervision.services import ensure_default_policies
from tests.workforce.test_roster import roster_rows, setting  # noqa: F401
from workforce.models import PersonKind, StaffProfile
from workforce.roster import COLUMNS, import_roster

pytestmark = pytest.mark.django_db


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "foster_carer"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def rows_with(answers: dict[int, str]) -> list[dict[str, str]]:
    rows = roster_rows(4)
    for index, row in enumerate(rows):
        row["foster_carer"] = answers.get(index, "")
    return rows


def kind_of(email: str) -> str:
    return StaffProfile.objects.get(user__email=email).kind


class TestTheFosterCarerColumn:
    def test_yes_marks_a_foster_carer_and_no_or_blank_a_member_of_staff(
        self,
        setting,  # noqa: F811
    ):
        ensure_default_policies()

        result = import_roster(
            as_csv(rows_with({1: "Yes", 2: "no"})), create_teams=True
        )

        assert result.ok, result.errors
        assert kind_of("worker1@harbour.example") == PersonKind.FOSTER_CARER
        assert kind_of("worker2@harbour.example") == PersonKind.STAFF
        assert kind_of("worker3@harbour.example") == PersonKind.STAFF
        carer = SupervisionStatus.objects.get(
            person__user__email="worker1@harbour.example"
        )
        assert carer.policy_id is None  # on the foster carer ladder, not a staff policy
        assert carer.due_on is not None

    def test_a_second_import_can_mark_them_staff_again_and_moves_their_ladder(
        self,
        setting,  # noqa: F811
    ):
        ensure_default_policies()
        assert import_roster(as_csv(rows_with({1: "yes"})), create_teams=True).ok

        result = import_roster(as_csv(rows_with({})), create_teams=True)

        assert result.ok
        assert kind_of("worker1@harbour.example") == PersonKind.STAFF
        row = SupervisionStatus.objects.get(
            person__user__email="worker1@harbour.example"
        )
        assert row.policy_id is not None

    def test_a_file_without_the_column_leaves_the_mark_alone(
        self,
        setting,  # noqa: F811
    ):
        assert import_roster(as_csv(rows_with({1: "yes"})), create_teams=True).ok
        plain = roster_rows(4)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(plain)

        assert import_roster(out.getvalue().encode(), create_teams=True).ok

        assert kind_of("worker1@harbour.example") == PersonKind.FOSTER_CARER

    def test_another_answer_is_refused_on_its_line_and_nothing_is_saved(
        self,
        setting,  # noqa: F811
    ):
        result = import_roster(
            as_csv(rows_with({2: "sometimes<script>"})), create_teams=True
        )

        assert not result.ok
        assert [(e.line, e.column) for e in result.errors] == [(4, "foster_carer")]
        assert "must be yes, no or blank" in str(result.errors[0])
        assert not StaffProfile.objects.exists()
