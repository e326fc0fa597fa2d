"""CSV and XLSX exports of every API list (导出), with the list's filters and scope.

Chosen by ``?format=csv`` / ``?format=xlsx`` or by ``Accept: text/csv`` / the XLSX media
type. Rows are read in chunks and written as they come: CSV streams straight to the client;
XLSX goes through openpyxl's write-only workbook into a temporary file, then streams from
it. Memory stays flat however many rows. Every cell passes through ``ledger.workbooks`` so
text can never become a formula.
"""

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from rest_framework.renderers import BaseRenderer

from ledger.workbooks import append_row, csv_safe

CHUNK = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CSVRenderer(BaseRenderer):
    """Announces text/csv to content negotiation; list views stream the body themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False, default=str).encode()


class XLSXRenderer(CSVRenderer):
    media_type = XLSX
    format = "xlsx"
    charset = None


EXPORT_FORMATS = {CSVRenderer.format, XLSXRenderer.format}


def _cell(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def rows(serializer_class, queryset, context) -> tuple[list[str], Iterator[list]]:
    """The header (the serializer's fields) and the rows, read ``CHUNK`` at a time (with the
    queryset's prefetches done per chunk)."""
    fields = list(serializer_class().fields)

    # One list serializer per chunk: building a serializer (a deep copy of its fields, nested
    # ones included) per row cost more than the row itself.
    serializer = serializer_class(many=True, context=context)

    def flush(batch: list) -> Iterator[list]:
        for data in serializer.to_representation(batch):
            yield [_cell(data.get(name)) for name in fields]

    def generate() -> Iterator[list]:
        batch = []
        for instance in queryset.iterator(chunk_size=CHUNK):
            batch.append(instance)
            if len(batch) == CHUNK:
                yield from flush(batch)
                batch = []
        yield from flush(batch)

    return fields, generate()


def rows_of(serializer_class, instances) -> tuple[list[str], Iterator[list]]:
    """The header and rows of a list computed in Python (not a queryset)."""
    fields = list(serializer_class().fields)
    data = serializer_class(instances, many=True).data
    return fields, ([_cell(item.get(name)) for name in fields] for item in data)


class _Echo:
    def write(self, value):
        return value


def csv_response(name: str, header: list[str], body: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        # A byte-order mark so that Excel opens the UTF-8 (Chinese) text correctly.
        yield "\ufeff" + writer.writerow(header)
        for row in body:
            yield writer.writerow([csv_safe(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def xlsx_response(name: str, header: list[str], body: Iterable[list]) -> FileResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(name[:31])
    append_row(sheet, header)
    for row in body:
        append_row(sheet, row)
    # Spooled to disk past 10 MB: a large export never sits in memory.
    # FileResponse closes it once sent.
    handle = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX)
