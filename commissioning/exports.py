"""Stream report tables as CSV or XLSX, row by row, so memory stays flat."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify
from openpyxl import Workbook

from commissioning.reports.common import Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


class _Echo:
    """A file-like object whose write returns the text, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    return value


def csv_lines(table: Table) -> Iterator[str]:
    """Yield the table as CSV lines: a header, then one line per row."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so spreadsheet programs read it as UTF-8
    yield writer.writerow([column.label for column in table.columns])
    for cells in table.cells():
        yield writer.writerow(["" if c is None else c for c in cells])


def filename(table: Table, *, subject: str, as_of: date, extension: str) -> str:
    """Name a download after its table, subject and date."""
    return f"{slugify(subject)}-{table.key}-{as_of.isoformat()}.{extension}"


def csv_response(table: Table, *, name: str) -> StreamingHttpResponse:
    """Stream a table as a CSV download."""
    response = StreamingHttpResponse(
        csv_lines(table), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def xlsx_response(tables: list[Table], *, name: str) -> FileResponse:
    """Write tables to an XLSX workbook in write-only mode, then stream the file.

    openpyxl's write-only mode keeps one row in memory at a time; the workbook is
    spooled to a temporary file and streamed from disk in chunks.
    """
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31])
        sheet.append([column.label for column in table.columns])
        for cells in table.cells():
            sheet.append([_plain(c) for c in cells])
        if table.note:
            sheet.append([])
            sheet.append([table.note])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(spool)
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=name, content_type=XLSX_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response
