"""Training records from before Sustain, uploaded as their own file by a manager.

Tested as the provider manager who uploads them (check first, then import), as
the practitioner whose record it is (in date, no "completed" email), and as an
attacker: other organisations' people, hostile text, huge or wrong files, and two
uploads of one file at once.
"""

import io
import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from learning.history import COLUMNS, RECORDS_LOCK_KEY, import_training_records
from learning.models import Completion, ExternalTraining, TrainingStatus
from learning.rules import RecordStanding, Status, record_standing
from notifications.models import Notification
from notifications.services import deliver_pending
from tests.factories import (
    JobRoleFactory,
    OrganisationFactory,
    StaffProfileFactory,
    UserFactory,
)
from tests.factories.learning import RequirementFactory, make_module
from tests.workforce.test_roster_concurrency import hold_the_lock
from workforce.dates import today
from workforce.roster import COLUMNS as ROSTER_COLUMNS
from workforce.roster import import_roster

pytestmark = pytest.mark.django_db
URL = "/learning/team/history/import/"
HEADER = ",".join(COLUMNS)


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def harbour():
    """A provider with a manager, a practitioner, and a module renewed yearly."""
    org = OrganisationFactory(name="Safe Harbour", slug="safe-harbour")
    role = JobRoleFactory(name="Social worker", slug="social-worker")
    module = make_module("Understanding CSE", slug="understanding-cse")
    RequirementFactory(module=module, job_roles=[role], renewal_months=12)
    manager = StaffProfileFactory(
        organisation=org,
        job_role=role,
        user=UserFactory(roles=[Role.PROVIDER_MANAGER]),
    )
    sam = StaffProfileFactory(
        organisation=org,
        job_role=role,
        started_in_role=date(2020, 1, 6),
        user=UserFactory(
            email="sam@harbour.example", first_name="Sam", last_name="Patel"
        ),
    )
    return {"org": org, "manager": manager, "sam": sam, "module": module}


def csv_file(*rows: str, name: str = "records.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *rows]) + "\n").encode())


def row(email="sam@harbour.example", module="Understanding CSE", done=None, ref="C-1"):
    return f"{email},{module},{done or uk(today() - timedelta(days=60))},{ref}"


def upload(client: Client, file: SimpleUploadedFile, *, check: bool):
    return client.post(URL, {"file": file, **({"dry_run": "on"} if check else {})})


@pytest.fixture
def manager_client(client, harbour):
    client.force_login(harbour["manager"].user)
    return client


class TestTheManagersJourney:
    def test_the_page_offers_a_template_in_the_imports_columns(self, manager_client):
        page = manager_client.get(URL)
        template = manager_client.get(
            reverse("learning:training_records_template", args=["xlsx"])
        )

        assert page.status_code == 200
        assert "Import training records from before Sustain" in page.content.decode()
        sheet = load_workbook(io.BytesIO(b"".join(template.streaming_content)))
        assert [c.value for c in next(sheet.active.iter_rows())] == COLUMNS

    def test_a_check_shows_each_record_and_saves_nothing(self, manager_client, harbour):
        done = today() - timedelta(days=60)

        page = upload(manager_client, csv_file(row(done=uk(done))), check=True)

        html = page.content.decode()
        assert page.status_code == 200
        assert "Would record 1 training record" in html
        assert "Sam Patel" in html and "In date" in html
        assert not Completion.objects.exists()
        assert not ModelLogEntry.objects.filter(
            action__startswith="sustain.training_history"
        ).exists()

    def test_the_check_shows_a_record_whose_cycle_has_run_out_as_expired(
        self, manager_client
    ):
        long_ago = today() - timedelta(days=500)  # renewed every 12 months

        page = upload(manager_client, csv_file(row(done=uk(long_ago))), check=True)

        html = page.content.decode()
        assert page.status_code == 200
        assert "Expired" in html
        assert "will not put anyone in date" in html
        assert "1 of them already expired" in html

    def test_importing_records_them_and_puts_the_practitioner_in_date_silently(
        self, manager_client, harbour
    ):
        page = upload(manager_client, csv_file(row(ref="CERT-77")), check=False)

        assert page.status_code == 302
        completion = Completion.objects.get(person=harbour["sam"])
        assert completion.external.evidence_reference == "CERT-77"
        assert completion.external.approved_by == harbour["manager"].user
        status = TrainingStatus.objects.with_status(as_of=today()).get(
            person=harbour["sam"]
        )
        assert status.status == Status.IN_DATE
        # The practitioner sees it on their own page, and was told nothing.
        sam = Client()
        sam.force_login(harbour["sam"].user)
        assert (
            "In date until" in sam.get(reverse("learning:my_training")).content.decode()
        )
        deliver_pending(now=timezone.now())
        assert mail.outbox == []
        assert not Notification.objects.filter(kind="training_completed").exists()

    def test_an_import_is_audited_per_record_and_per_organisation(
        self, manager_client, harbour
    ):
        other = make_module("Online exploitation", slug="online")
        upload(manager_client, csv_file(row(), row(module="online")), check=False)

        assert (
            ModelLogEntry.objects.filter(
                action="sustain.training_history.record"
            ).count()
            == 2
        )
        entry = ModelLogEntry.objects.get(action="sustain.training_history.import")
        assert entry.user_id == harbour["manager"].user.pk
        assert entry.object_id == str(harbour["org"].pk)
        assert entry.data["records"] == 2
        assert "sam@harbour.example" not in str(entry.data)
        assert Completion.objects.filter(module=other).count() == 1

    def test_uploading_the_same_file_again_records_nothing_twice(
        self, manager_client, harbour
    ):
        upload(manager_client, csv_file(row()), check=False)

        again = upload(manager_client, csv_file(row()), check=True)

        assert "Would record 0 training records, 1 already on Sustain" in (
            again.content.decode()
        )
        assert "Already recorded" in again.content.decode()
        assert Completion.objects.count() == 1

    def test_an_excel_file_is_read_like_a_csv(self, manager_client, harbour):
        book = Workbook()
        book.active.append(COLUMNS)
        book.active.append(
            ["sam@harbour.example", "understanding-cse", today() - timedelta(1), "X"]
        )
        out = io.BytesIO()
        book.save(out)

        page = upload(
            manager_client,
            SimpleUploadedFile("records.xlsx", out.getvalue()),
            check=False,
        )

        assert page.status_code == 302
        assert Completion.objects.filter(person=harbour["sam"]).count() == 1


class TestRowsThatAreRefused:
    @pytest.mark.parametrize(
        ("bad_row", "message"),
        [
            (row(email="nobody@harbour.example"), "is not anyone on the staff"),
            (row(module="No such module"), "is not a training module"),
            (row(done=uk(today() + timedelta(days=1))), "is in the future"),
            (row(done="30/02/2024"), "impossible date"),
            (row(done="last spring"), "is not a date like"),
            (row(done=uk(today()), ref=""), "evidence_reference is empty"),
            (row(done=uk(today()), ref="x" * 201), "longer than 200 characters"),
        ],
    )
    def test_a_bad_row_is_refused_beside_its_line_and_nothing_is_saved(
        self, manager_client, bad_row, message
    ):
        page = upload(manager_client, csv_file(row(), bad_row), check=False)

        html = page.content.decode().replace("&#x27;", "'")
        assert page.status_code == 400
        assert "Nothing was saved: 1 problem(s) found." in html
        assert 'href="#line-3">Line 3: ' in html
        # The message sits beside line 3 itself, not only in the summary.
        line_3 = html.split('id="line-3"')[1].split("</tr>")[0]
        assert message in line_3
        assert not Completion.objects.exists()

    def test_a_duplicate_row_is_refused_naming_the_first(self, manager_client):
        page = upload(manager_client, csv_file(row(), row()), check=True)

        assert page.status_code == 400
        assert "already on line 2" in page.content.decode()
        assert not Completion.objects.exists()

    def test_someone_in_another_organisation_is_answered_as_unknown(
        self, manager_client
    ):
        StaffProfileFactory(user=UserFactory(email="elsewhere@other.example"))

        page = upload(
            manager_client, csv_file(row(email="elsewhere@other.example")), check=False
        )

        assert page.status_code == 400
        assert "is not anyone on the staff you manage" in page.content.decode()
        assert not Completion.objects.exists()


class TestHostileFiles:
    def test_formula_leading_evidence_is_refused(self, manager_client):
        page = upload(
            manager_client,
            csv_file(row(ref='=HYPERLINK("http://x.example")')),
            check=True,
        )

        assert page.status_code == 400
        assert "would read it as a formula" in page.content.decode()

    def test_a_plain_negative_number_is_not_a_formula(self, manager_client):
        page = upload(manager_client, csv_file(row(ref="-1234")), check=True)

        assert page.status_code == 200

    def test_html_in_the_file_is_shown_as_text(self, manager_client):
        page = upload(
            manager_client,
            csv_file(row(ref="<script>alert(1)</script>"), row(module="<b>x</b>")),
            check=True,
        )

        html = page.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;" in html
        assert "<b>x</b>" not in html

    def test_a_file_over_5_mb_is_refused_unread(self, manager_client):
        huge = SimpleUploadedFile("records.csv", b"a" * (5 * 1024 * 1024 + 1))

        page = upload(manager_client, huge, check=True)

        assert page.status_code == 400
        assert "larger than 5 MB" in page.content.decode()

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("records.pdf", b"%PDF-1.4", "Choose a .csv or .xlsx file"),
            ("records.csv", b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not UTF-8 text"),
            ("records.xlsx", b"email,module\n", "not a readable Excel"),
            ("records.csv", b"name,date\nSam,2025-01-01\n", "missing column(s)"),
        ],
    )
    def test_a_file_of_the_wrong_kind_is_refused_with_a_reason(
        self, manager_client, name, content, message
    ):
        page = upload(manager_client, SimpleUploadedFile(name, content), check=True)

        assert page.status_code == 400
        assert message in page.content.decode()
        assert not Completion.objects.exists()


class TestWhoMayImport:
    def test_a_practitioner_or_supervisor_is_refused(self, client, harbour):
        client.force_login(harbour["sam"].user)

        assert client.get(URL).status_code == 403
        assert upload(client, csv_file(row()), check=False).status_code == 403
        assert not Completion.objects.exists()


class TestRecordStanding:
    @pytest.mark.parametrize(
        ("completed_on", "cycles", "standing", "valid_until"),
        [
            (date(2025, 3, 1), [12], RecordStanding.EXPIRED, date(2026, 3, 1)),
            (date(2025, 3, 2), [12], RecordStanding.IN_DATE, date(2026, 3, 2)),
            (date(2025, 3, 2), [12, 6], RecordStanding.EXPIRED, date(2025, 9, 2)),
            (date(2000, 1, 1), [None], RecordStanding.NEVER_EXPIRES, None),
            (date(2025, 3, 2), [], RecordStanding.NOT_REQUIRED, None),
        ],
    )
    def test_a_record_stops_counting_on_the_day_its_shortest_cycle_ends(
        self, completed_on, cycles, standing, valid_until
    ):
        assert record_standing(
            completed_on=completed_on, renewal_cycles=cycles, as_of=date(2026, 3, 1)
        ) == (standing, valid_until)


class TestTheRostersHistoryColumnStillWorks:
    def test_a_roster_with_training_history_still_records_it(self, harbour):
        header = ",".join([*ROSTER_COLUMNS, "training_history"])
        line = (
            "new@harbour.example,New,Person,safe-harbour,,social-worker,2025-01-06,,"
            f"1,,,Understanding CSE: {uk(today() - timedelta(days=30))}"
        )

        result = import_roster(f"{header}\n{line}\n", importer=harbour["manager"].user)

        assert result.ok, result.errors
        external = ExternalTraining.objects.get(person__user__email=line.split(",")[0])
        assert external.evidence_reference == "Training history in the go-live roster"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentUploads:
    def test_two_identical_uploads_at_once_record_each_completion_once(self, harbour):
        rows = [row(), row(done=uk(today() - timedelta(days=400)))]
        body = ("\n".join([HEADER, *rows]) + "\n").encode()
        start = threading.Barrier(4)
        codes: list[int] = []

        def post() -> None:
            client = Client()
            client.force_login(harbour["manager"].user)
            try:
                start.wait()
                codes.append(
                    client.post(
                        URL, {"file": SimpleUploadedFile("r.csv", body)}
                    ).status_code
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert codes == [302, 302, 302, 302]
        assert Completion.objects.filter(person=harbour["sam"]).count() == 2
        assert ExternalTraining.objects.filter(person=harbour["sam"]).count() == 2
        assert (
            ModelLogEntry.objects.filter(
                action="sustain.training_history.record"
            ).count()
            == 2
        )

    def test_an_upload_that_cannot_wait_its_turn_asks_to_try_again(
        self, harbour, settings
    ):
        settings.ROSTER_LOCK_WAIT_SECONDS = 1
        held, release = threading.Event(), threading.Event()
        holder = threading.Thread(
            target=hold_the_lock, args=(held, release, RECORDS_LOCK_KEY)
        )
        holder.start()
        try:
            assert held.wait(timeout=10)
            client = Client()
            client.force_login(harbour["manager"].user)
            page = upload(client, csv_file(row()), check=False)
        finally:
            release.set()
            holder.join(timeout=30)

        assert page.status_code == 400
        assert "Another training records import is running" in page.content.decode()
        assert not Completion.objects.exists()


def test_a_check_through_the_service_writes_nothing(harbour):
    result = import_training_records(
        f"{HEADER}\n{row()}\n", importer=harbour["manager"].user, dry_run=True
    )

    assert result.ok and len(result.to_record) == 1
    assert not Completion.objects.exists()


def test_a_revoked_completion_cannot_come_back_by_import(manager_client, harbour):
    done = today() - timedelta(days=60)
    upload(manager_client, csv_file(row(done=uk(done))), check=False)
    Completion.objects.filter(person=harbour["sam"]).update(
        revoked_at=timezone.now(), revoked_by=harbour["manager"].user
    )

    page = upload(manager_client, csv_file(row(done=uk(done))), check=False)

    assert page.status_code == 400
    assert "was revoked on Sustain" in page.content.decode()
    assert Completion.objects.filter(revoked_at__isnull=True).count() == 0
