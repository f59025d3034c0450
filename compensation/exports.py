"""A statement as CSV (streamed, flat memory) and as PDF (reportlab), with the same content: a
header block (party, month, scheme, budget programme, status, totals), then one row per line.

``statement_export`` is the one entry point: it records ``statement.export`` in the audit trail
(ids, format, line count) and returns what the admin serves. Cells of free text that a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``) are prefixed with ``'``.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from django.db import transaction
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from audit.services import audit_record
from compensation.models import Scheme, Statement
from compensation.services.statements import statement_lines

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A font with Latvian letters (ā, č, ē, ģ, ī, ķ, ļ, ņ, š, ū, ž) where the system has one;
# reportlab's built-in Helvetica has none of them.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def _text(value: Any) -> str:
    """A free-text cell, defused for spreadsheets."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def header_rows(statement: Statement) -> list[tuple[str, str]]:
    organisation = statement.organisation
    return [
        ("statement", str(statement.pk)),
        ("party", _text(organisation.name)),
        ("organisation_code", organisation.code),
        ("month", f"{statement.month:%Y-%m}"),
        ("scheme", statement.scheme),
        ("budget_programme", statement.budget_programme),
        ("status", statement.status),
        ("prepared_at", _when(statement.prepared_at)),
        ("approved_at", _when(statement.approved_at)),
        ("paid_at", _when(statement.paid_at)),
        ("payment_reference", _text(statement.payment_reference)),
        ("lines_accepted", str(statement.lines_accepted)),
        ("lines_rejected", str(statement.lines_rejected)),
        ("claimed_eur", _money(statement.claimed_eur)),
        ("accepted_eur", _money(statement.accepted_eur)),
        ("rejected_eur", _money(statement.rejected_eur)),
        ("admin_cost_eur", _money(statement.admin_cost_eur)),
        ("total_eur", _money(statement.total_eur)),
    ]


PROTECTED_COLUMNS = (
    "submission",
    "line_no",
    "contract_no",
    "sub_user_code",
    "amount_eur",
    "accepted",
    "reason",
    "message",
)
ENERGY_AID_COLUMNS = (
    "submission",
    "line_no",
    "resource",
    "object_code",
    "address_code",
    "amount_eur",
    "accepted",
    "reason",
    "message",
)


def line_columns(statement: Statement) -> tuple[str, ...]:
    return PROTECTED_COLUMNS if statement.scheme == Scheme.PROTECTED_USERS else ENERGY_AID_COLUMNS


def line_rows(statement: Statement) -> Iterator[list[str]]:
    """The statement's lines as text cells, streamed from the database in chunks."""
    lines = statement_lines(statement=statement)
    if statement.scheme == Scheme.PROTECTED_USERS:
        for sub, no, contract, code, amount, accepted, reason, message in lines.values_list(
            "submission_id",
            "line_no",
            "contract_no",
            "sub_user_code",
            "applied_eur",
            "accepted",
            "reason",
            "message",
        ).iterator(chunk_size=CHUNK):
            yield [
                str(sub),
                str(no),
                _text(contract),
                code,
                _money(amount),
                "yes" if accepted else "no",
                reason,
                _text(message),
            ]
    else:
        for sub, no, resource, obj, addr, amount, accepted, reason, message in lines.values_list(
            "submission_id",
            "line_no",
            "resource",
            "object_code",
            "address_code",
            "aid_eur",
            "accepted",
            "reason",
            "message",
        ).iterator(chunk_size=CHUNK):
            yield [
                str(sub),
                str(no),
                resource,
                _text(obj),
                addr,
                _money(amount),
                "yes" if accepted else "no",
                reason,
                _text(message),
            ]


class _Echo:
    """A file-like object whose ``write`` returns the line: csv.writer into a generator."""

    def write(self, value: str) -> str:
        return value


def statement_csv(statement: Statement) -> Iterator[str]:
    """The CSV, one line at a time (header block, a blank line, the lines' header and rows)."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    for pair in header_rows(statement):
        yield writer.writerow(pair)
    yield writer.writerow([])
    yield writer.writerow(line_columns(statement))
    for row in line_rows(statement):
        yield writer.writerow(row)


_font_name: str | None = None


def _font() -> str:
    global _font_name
    if _font_name is None:
        _font_name = "Helvetica"
        for path in FONT_CANDIDATES:
            if path.exists():
                pdfmetrics.registerFont(TTFont("AldisSans", str(path)))
                _font_name = "AldisSans"
                break
    return _font_name


def statement_pdf(statement: Statement, *, compress: bool = True) -> bytes:
    """The PDF: a title, the header block as a table of totals, then the lines in a ``LongTable``
    whose header row repeats on every page. ``compress=False`` leaves the page text readable
    (tests)."""
    font = _font()
    buffer = BytesIO()
    title = f"Compensation statement {statement.pk}: {statement.organisation.name}, {statement.month:%Y-%m}"
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="ALDIS",
        invariant=1,
        pageCompression=1 if compress else 0,
    )
    styles = getSampleStyleSheet()
    heading = styles["Heading2"]
    heading.fontName = font
    grid = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    summary = Table([list(row) for row in header_rows(statement)], hAlign="LEFT")
    summary.setStyle(TableStyle([*grid, ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
    rows: list[Iterable[str]] = [line_columns(statement), *line_rows(statement)]
    lines = LongTable([list(row) for row in rows], repeatRows=1, hAlign="LEFT")
    lines.setStyle(TableStyle([*grid, ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    doc.build([Paragraph(title, heading), summary, Spacer(1, 6 * mm), lines])
    return buffer.getvalue()


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: Iterator[str] | bytes


def statement_export(*, statement: Statement, actor: Any, fmt: str) -> Export:
    """Audit ``statement.export`` and return the CSV (a line iterator) or the PDF (bytes).

    ``fmt``: ``csv`` or ``pdf`` (``ValueError`` otherwise). The audit event is committed before
    the content is produced: an export that fails half-way was still asked for.
    """
    if fmt not in ("csv", "pdf"):
        raise ValueError(f"unknown export format {fmt!r}")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="statement.export",
            target=statement,
            data={
                "format": fmt,
                "organisation_id": statement.organisation_id,
                "month": f"{statement.month:%Y-%m}",
                "scheme": statement.scheme,
                "status": statement.status,
                "lines": statement.lines_accepted + statement.lines_rejected,
            },
        )
    name = f"statement-{statement.organisation.code}-{statement.month:%Y-%m}-{statement.scheme}"
    if fmt == "csv":
        return Export(f"{name}.csv", "text/csv; charset=utf-8", statement_csv(statement))
    return Export(f"{name}.pdf", "application/pdf", statement_pdf(statement))
