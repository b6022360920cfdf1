"""Every CSV and XLSX download, opened as a spreadsheet would open it.

A hostile roster (surnames and names that spreadsheet programs run as formulas) is
exported through every download Sustain offers; no cell may begin with a formula
character and no XLSX may hold a formula.
"""

import csv
import io
import tempfile
import uuid
import zipfile
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from commissioning.reports import table_keys
from config import exports
from learning.services import (
    give_feedback,
    submit_knowledge_check,
    sync_training_status,
)
from tests.factories.commissioning import build_county
from tests.factories.learning import make_module, right_answers
from tests.factories.workforce import UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://x.invalid","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
]
HOSTILE_TEAM = "-1+1"
LEADS = tuple(exports.FORMULA_LEADS)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    for module in ("commissioning.views", "learning.views"):
        monkeypatch.setattr(f"{module}.today", lambda: date(2026, 3, 15))


@pytest.fixture
def county():
    county = build_county()
    for worker, surname in zip(county.workers, HOSTILE * 2, strict=False):
        worker.user.first_name = ""  # so the full name begins with the surname
        worker.user.last_name = surname
        worker.user.save()
    county.team_a1.name = HOSTILE_TEAM
    county.team_a1.save()
    county.alpha.name = "=1+2"
    county.alpha.save()
    return county


def csv_cells(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark for Excel"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def xlsx_cells(response) -> list[list[object]]:
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name
                assert b"<f " not in archive.read(name), name
    workbook = load_workbook(io.BytesIO(content))
    values: list[list[object]] = []
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
            values.append([cell.value for cell in row])
    return values


def assert_safe(rows: list[list[object]]) -> list[str]:
    texts = [c for row in rows for c in row if isinstance(c, str)]
    for text in texts:
        assert not text.startswith(LEADS), text
    return texts


class TestSafeText:
    @pytest.mark.parametrize(
        "hostile", [*HOSTILE, HOSTILE_TEAM, "\t=1", "\r=1", "-", "=", "+44 20"]
    )
    def test_formula_leading_text_gets_a_leading_quote(self, hostile):
        assert exports.safe_text(hostile) == "'" + hostile

    @pytest.mark.parametrize("plain", ["Smith", "", "-3", "+4.5", "O'Neil", "a=b"])
    def test_plain_text_and_signed_numbers_are_unchanged(self, plain):
        assert exports.safe_text(plain) == plain

    def test_real_numbers_keep_their_sign_in_csv(self):
        assert exports.csv_cell(-3) == -3
        assert exports.csv_cell(date(2026, 3, 1)) == "2026-03-01"
        assert exports.csv_cell(None) == ""


class TestHostileRoster:
    def test_the_team_matrix_csv_and_xlsx_hold_text_not_formulas(self, client, county):
        sync_training_status(as_of=date(2026, 3, 15))
        client.force_login(county.manager.user)
        for fmt, read in (("csv", csv_cells), ("xlsx", xlsx_cells)):
            rows = read(client.get(reverse("learning:team_matrix_export", args=[fmt])))
            texts = assert_safe(rows)
            for surname in HOSTILE:
                assert "'" + surname in texts, fmt
            assert "'" + HOSTILE_TEAM in texts, fmt
            header = rows[0]
            assert header[:6] == [
                "Name",
                "Email",
                "Organisation",
                "Team",
                "Job role",
                "Overall status",
            ]
            assert any(str(h).endswith(": status") for h in header)
            assert any(str(h).endswith(": date") for h in header)

    def test_matrix_statuses_are_words_and_dates_are_dates_in_xlsx(
        self, client, county
    ):
        sync_training_status(as_of=date(2026, 3, 15))
        client.force_login(county.manager.user)
        rows = xlsx_cells(
            client.get(reverse("learning:team_matrix_export", args=["xlsx"]))
        )
        header = rows[0]
        status_col = next(i for i, h in enumerate(header) if h.endswith(": status"))
        statuses = {row[status_col] for row in rows[1:]}
        assert statuses <= {
            "In date",
            "Due soon",
            "Overdue",
            "Not yet due",
            "Extension",
            "Exempt",
            "Long-term absence",
            "Not required",
        }
        dates = [row[status_col + 1] for row in rows[1:] if row[status_col + 1]]
        assert dates and all(hasattr(d, "year") for d in dates)

    def test_every_commissioning_download_holds_text_not_formulas(self, client, county):
        client.force_login(county.manager.user)
        alpha = county.alpha.pk
        seen: list[str] = []
        seen += assert_safe(
            xlsx_cells(
                client.get(reverse("commissioning:export_dashboard", args=["xlsx"]))
            )
        )
        seen += assert_safe(
            xlsx_cells(
                client.get(
                    reverse("commissioning:export_provider", args=[alpha, "xlsx"])
                )
            )
        )
        for key in [*table_keys(), "snapshots"]:
            url = reverse("commissioning:export_table", args=[key, "csv"])
            seen += assert_safe(csv_cells(client.get(url)))
        for key in [*table_keys(), "people", "forecast", "snapshots"]:
            url = reverse(
                "commissioning:export_provider_table", args=[alpha, key, "csv"]
            )
            seen += assert_safe(csv_cells(client.get(url)))
        assert "'=1+2" in seen  # the provider's name, as text
        assert "'" + HOSTILE_TEAM in seen  # the team's name, as text
        assert "'" + HOSTILE[0] in seen  # a surname, in the people list

    def test_the_wagtail_reports_hold_text_not_formulas(self, client, make_person):
        module = make_module("=Understanding CSE")
        learner = make_person(Role.PRACTITIONER)
        passed = submit_knowledge_check(
            person=learner,
            module=module,
            token=uuid.uuid4(),
            answers=right_answers(module),
            as_of=date(2026, 3, 15),
        )
        give_feedback(completion=passed.completion, rating=5, comment=HOSTILE[1])
        client.force_login(UserFactory(roles=[Role.CONTENT_EDITOR]))
        for name in ("learning_reports:feedback", "learning_reports:statistics"):
            url = reverse(name)
            csv_texts = assert_safe(csv_cells(client.get(url, {"export": "csv"})))
            xlsx_texts = assert_safe(xlsx_cells(client.get(url, {"export": "xlsx"})))
            for texts in (csv_texts, xlsx_texts):
                assert "'=Understanding CSE" in texts, name
        feedback = csv_cells(
            client.get(reverse("learning_reports:feedback"), {"export": "csv"})
        )
        assert "'" + HOSTILE[1] in feedback[1]


class TestEveryDownloadRoute:
    """Each route that serves a spreadsheet, in each format it offers."""

    # name -> the URL arguments before the format (None: a table key goes there).
    ROUTES = {
        "learning:team_matrix_export": [],
        "workforce:roster_template": [],
        "workforce:roster_download": [],
        "learning:training_records_template": [],
        "commissioning:export_dashboard": [],
        "commissioning:export_table": [None],
        "commissioning:export_provider": ["provider"],
        "commissioning:export_provider_table": ["provider", None],
    }

    def test_every_route_with_a_format_is_covered_here(self):
        from django.urls import get_resolver

        def walk(patterns, namespace=""):
            for entry in patterns:
                if hasattr(entry, "url_patterns"):
                    inner = entry.namespace or ""
                    yield from walk(
                        entry.url_patterns,
                        f"{namespace}{inner}:" if inner else namespace,
                    )
                elif "fmt>" in str(entry.pattern) or "format>" in str(entry.pattern):
                    yield f"{namespace}{entry.name}"

        assert set(walk(get_resolver().url_patterns)) == set(self.ROUTES)

    def test_every_route_in_csv_and_xlsx_holds_text_not_formulas(self, client, county):
        sync_training_status(as_of=date(2026, 3, 15))
        client.force_login(county.manager.user)
        seen: list[str] = []
        downloads = 0
        for name, parts in self.ROUTES.items():
            keys = [*table_keys(), "snapshots"] if None in parts else [""]
            if "provider" in parts and None in parts:
                keys = [*table_keys(), "people", "forecast", "snapshots"]
            for key in keys:
                args = [county.alpha.pk if p == "provider" else key for p in parts]
                for fmt, read in (("csv", csv_cells), ("xlsx", xlsx_cells)):
                    if fmt == "csv" and name.startswith("commissioning:") and not key:
                        continue  # every table at once: one workbook, no CSV
                    response = client.get(reverse(name, args=[*args, fmt]))
                    seen += assert_safe(read(response))
                    downloads += 1
        assert downloads >= 30
        assert "'=1+2" in seen
        assert "'" + HOSTILE_TEAM in seen
        for surname in HOSTILE:
            assert "'" + surname in seen


class TestPrivateDownloads:
    def test_downloads_are_attachments_that_no_cache_keeps(self, client, county):
        client.force_login(county.manager.user)
        for url in (
            reverse("learning:team_matrix_export", args=["csv"]),
            reverse("learning:team_matrix_export", args=["xlsx"]),
            reverse("commissioning:export_dashboard", args=["xlsx"]),
        ):
            response = client.get(url)
            assert "attachment" in response["Content-Disposition"]
            assert "no-store" in response["Cache-Control"]
            assert response["X-Content-Type-Options"] == "nosniff"


class TestFlatMemory:
    def test_a_large_sheet_streams_without_holding_its_rows(self):
        import tracemalloc

        def rows(n):
            for i in range(n):
                yield [f"=Person {i}", "Team", i, date(2026, 1, 1)]

        def peak(n):
            tracemalloc.start()
            sheet = exports.Sheet("People", ["Name", "Team", "N", "On"], rows(n))
            for _ in exports.csv_lines(sheet):
                pass
            with tempfile.TemporaryFile() as out:
                exports.write_xlsx([exports.Sheet("P", ["a"], rows(n))], out)
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            return top

        small, large = peak(1_000), peak(20_000)
        # Twenty times the rows, and the peak stays about the same: rows are
        # written as they come, to disk, never gathered in memory.
        assert large < small * 8, (small, large)
