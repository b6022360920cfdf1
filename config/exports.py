"""Every CSV and XLSX download Sustain offers: one module, streamed, safe to open.

Pages, the commissioner's tables and the Wagtail reports describe a download as a
``Sheet`` (a title, headings and an iterable of rows) and hand it to
``csv_response`` or ``xlsx_response``. Rows are consumed one at a time, so memory
stays flat whatever the headcount.

A spreadsheet program treats a cell that begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return as a formula, so a name chosen by one person could run in
another person's Excel. Following the OWASP guidance on CSV injection, every such
text cell is prefixed with a single quote; real numbers keep their sign. In XLSX,
text is written with an explicit string type, so openpyxl never emits a formula.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
# The characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# Text that is only a number ("-3", "+4.5") is not a formula in any program.
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Excel refuses a sheet title longer than this, or holding any of these characters.
_TITLE_LIMIT = 31
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    """One table to download: a title, its headings and its rows, in order."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    note: str = ""


def safe_text(value: str) -> str:
    """Neutralise text a spreadsheet would run as a formula, by a leading quote."""
    if value.startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """Return a value as a spreadsheet cell should hold it: a number, date or text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, list | tuple):
        return safe_text("; ".join(force_str(v) for v in value))
    return safe_text(force_str(value))


def csv_cell(value: Any) -> Any:
    """Return a value ready for a CSV cell: dates in ISO form, text neutralised."""
    value = _plain(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Echo:
    """A file-like object whose ``write`` returns the text, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def csv_lines(sheet: Sheet) -> Iterator[str]:
    """Yield a sheet as CSV: a byte-order mark for Excel, the headings, each row."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([csv_cell(h) for h in sheet.headers])
    for row in sheet.rows:
        yield writer.writerow([csv_cell(c) for c in row])
    if sheet.note:
        yield writer.writerow([])
        yield writer.writerow([csv_cell(sheet.note)])


def download_stem(*parts: str | date) -> str:
    """Name a download from its parts: ("Alpha Care", "coverage", as_of) -> slug."""
    words = [p.isoformat() if isinstance(p, date) else slugify(p) for p in parts]
    return "-".join(w for w in words if w)


def _private(response: Any) -> Any:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(sheet: Sheet, *, filename: str) -> StreamingHttpResponse:
    """Stream a sheet as a CSV attachment."""
    response = StreamingHttpResponse(csv_lines(sheet), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


def _xlsx_cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    value = _plain(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never "f": text stays text, whatever it begins with
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def sheet_title(title: str, taken: set[str]) -> str:
    """Return a title Excel accepts, unique within the workbook."""
    base = _TITLE_FORBIDDEN.sub(" ", title).strip()[:_TITLE_LIMIT] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate = base[: _TITLE_LIMIT - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


def write_xlsx(sheets: Iterable[Sheet], output: Any) -> None:
    """Write sheets to ``output`` in openpyxl's write-only mode, a row at a time."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=sheet_title(sheet.title, taken))
        worksheet.freeze_panes = "A2"
        worksheet.append([_xlsx_cell(worksheet, h, bold=True) for h in sheet.headers])
        for row in sheet.rows:
            worksheet.append([_xlsx_cell(worksheet, c) for c in row])
        if sheet.note:
            worksheet.append([])
            worksheet.append([_xlsx_cell(worksheet, sheet.note)])
    workbook.save(output)


def xlsx_response(sheets: Iterable[Sheet], *, filename: str) -> FileResponse:
    """Write sheets to a workbook spooled on disk, then stream it as an attachment."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(sheets, spool)
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )
    return _private(response)


def response(sheets: Sequence[Sheet], fmt: str, *, filename: str) -> Any:
    """Answer with one CSV (of the first sheet) or an XLSX of every sheet."""
    if fmt == "csv":
        return csv_response(sheets[0], filename=f"{filename}.csv")
    return xlsx_response(sheets, filename=f"{filename}.xlsx")


class ReportExportMixin:
    """Route a Wagtail ``ReportView``'s CSV and XLSX export through this module.

    Wagtail's own ``SpreadsheetExportMixin`` writes CSV cells raw; this keeps its
    ``list_export`` and ``export_headings`` but writes through ``Sheet``.
    """

    list_export: Sequence[str]

    def as_spreadsheet(self, queryset: Any, spreadsheet_format: str) -> Any:
        headers = [self.get_heading(queryset, f) for f in self.list_export]  # type: ignore[attr-defined]
        rows = (
            list(self.to_row_dict(item).values())  # type: ignore[attr-defined]
            for item in queryset
        )
        title = force_str(getattr(self, "page_title", "") or "Report")
        name = slugify(self.get_filename())  # type: ignore[attr-defined]
        return response(
            [Sheet(title=title, headers=headers, rows=rows)],
            spreadsheet_format,
            filename=name,
        )
