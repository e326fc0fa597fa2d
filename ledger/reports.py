"""The annual ledger report (年度总量指标台账) of an entity, or of the city, for one year.

Per pollutant: opening balance, what came in and went out during the year by transaction
kind, quota held at year end, closing balance. Every figure is one aggregate over the legs
(by effective date), so the report reconciles with the ledger by construction:

    opening + allocated − recovered + MICRO + VOC_MGMT + traded in − traded out − used
            + other = closing

"other" gathers reserve intake, adjustments and reversals (signed), so nothing posted is
left out of the sum.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ZERO, Entity, Entry, Hold, Pollutant, TransactionKind

# Report column → the transaction kinds it sums and the sign it shows them with (a debit
# such as a use is shown as a positive amount used).
FLOWS = (
    ("allocated", _("Allocated"), (TransactionKind.ALLOCATION,), 1),
    ("recovered", _("Recovered"), (TransactionKind.RECOVERY,), -1),
    ("micro", _("MICRO credits"), (TransactionKind.MICRO_CREDIT,), 1),
    ("voc_mgmt", _("VOC_MGMT credits"), (TransactionKind.VOC_MGMT_CREDIT,), 1),
    ("traded_in", _("Traded in"), (TransactionKind.TRADE_IN,), 1),
    ("traded_out", _("Traded out"), (TransactionKind.TRADE_OUT,), -1),
    ("used", _("Used"), (TransactionKind.USE,), -1),
    (
        "other",
        _("Other (reserve intake, adjustments, reversals)"),
        (TransactionKind.RESERVE_INTAKE, TransactionKind.ADJUSTMENT, TransactionKind.REVERSAL),
        1,
    ),
)
KIND_COLUMN = {kind: (key, sign) for key, _label, kinds, sign in FLOWS for kind in kinds}


@dataclass
class ReportLine:
    pollutant: Pollutant
    opening: Decimal = ZERO
    flows: dict[str, Decimal] = field(default_factory=lambda: {f[0]: ZERO for f in FLOWS})
    closing: Decimal = ZERO
    held: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.closing - self.held

    @property
    def net_flows(self) -> Decimal:
        return sum((self.flows[key] * sign for key, _label, _kinds, sign in FLOWS), start=ZERO)

    @property
    def figures(self) -> list[Decimal]:
        """Opening, every flow, held and closing, in the report's column order."""
        return [self.opening, *(self.flows[f[0]] for f in FLOWS), self.held, self.closing]


@dataclass
class AnnualReport:
    year: int
    entity: Entity | None  # None: the city (every entity's ledger, the reserve included)
    lines: list[ReportLine]
    generated_at: datetime.datetime
    generated_by: str

    @property
    def title(self) -> str:
        return str(_("Annual pollutant total-quantity indicator ledger %(year)s")) % {
            "year": self.year
        }

    @property
    def subject(self) -> str:
        # The reader's language on the page; the files are written under zh-hans.
        return self.entity.name if self.entity is not None else str(_("Shanghai (city)"))


def report_columns() -> list[str]:
    return [
        str(_("Opening balance")),
        *(str(label) for _key, label, _kinds, _sign in FLOWS),
        str(_("Held at year end")),
        str(_("Closing balance")),
    ]


def annual_report(*, year: int, entity: Entity | None, user) -> AnnualReport:
    """One aggregate over the legs of the entity's accounts (the city: every entity
    account) up to the year's end, split at its start, grouped by pollutant and kind."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    accounts = Q(account__entity=entity) if entity is not None else Q(account__entity__isnull=False)
    rows = (
        Entry.objects.filter(accounts, effective_date__lte=end)
        .values_list("pollutant", "transaction__kind")
        .annotate(
            before=Sum("amount", filter=Q(effective_date__lt=start)),
            during=Sum("amount", filter=Q(effective_date__gte=start)),
        )
        .order_by()
    )
    lines = {p.value: ReportLine(pollutant=p) for p in Pollutant}
    for pollutant, kind, before, during in rows:
        line = lines[pollutant]
        line.opening += before or ZERO
        key, sign = KIND_COLUMN[kind]
        line.flows[key] += (during or ZERO) * sign
        line.closing += (before or ZERO) + (during or ZERO)
    year_end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))
    holds = Q(account__entity=entity) if entity is not None else Q(account__entity__isnull=False)
    held = (
        Hold.objects.filter(holds, created_at__lt=year_end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=year_end))
        .values_list("account__pollutant")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for pollutant, total in held:
        lines[pollutant].held = total or ZERO
    return AnnualReport(
        year=year,
        entity=entity,
        lines=list(lines.values()),
        generated_at=timezone.now(),
        generated_by=user.get_full_name() or user.get_username(),
    )


def report_workbook(report: AnnualReport) -> bytes:
    """The report as a bureau workbook (one row per pollutant), signed off below."""
    from django.utils import translation
    from openpyxl import Workbook

    from .workbooks import DocumentSheet, SheetColumn

    with translation.override("zh-hans"):
        workbook = Workbook()
        document = DocumentSheet(
            workbook.active,
            title=report.title,
            lines=[[str(_("Entity")), report.subject], [str(_("Year")), report.year]],
            columns=[
                SheetColumn(str(_("Pollutant")), width=28),
                *[SheetColumn(header, width=14, amount=True) for header in report_columns()],
                SheetColumn(str(_("Available")), width=14, amount=True),
            ],
        )
        workbook.active.title = str(report.year)
        for line in report.lines:
            document.row([str(line.pollutant.label), *line.figures, line.available])
        document.finish()
        sheet = workbook.active
        sheet.append([])
        sheet.append([str(_("Generated by")), report.generated_by])
        sheet.append(
            [
                str(_("Generated at")),
                timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
        import io

        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


def report_pdf(report: AnnualReport) -> bytes:
    """The report as a printable A4 landscape PDF, signed off with who generated it and
    when. Chinese is set in STSong-Light, a standard PDF CID font that every reader has,
    so no font file is embedded or installed."""
    import io

    from django.utils import translation
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    text_style = ParagraphStyle("text", fontName=font, fontSize=10, leading=14)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    with translation.override("zh-hans"):
        header = [str(_("Pollutant")), *report_columns(), str(_("Available"))]
        data = [[Paragraph(h, cell_style) for h in header]]
        for line in report.lines:
            data.append(
                [Paragraph(str(line.pollutant.label), cell_style)]
                + [f"{value:.3f}" for value in [*line.figures, line.available]]
            )
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        when = timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")
        story = [
            Paragraph(report.title, title_style),
            Paragraph(f"{_('Entity')}：{report.subject}　{_('Unit')}：{_('tonnes')}", text_style),
            Spacer(1, 4 * mm),
            table,
            Spacer(1, 8 * mm),
            Paragraph(
                str(_("Generated by %(user)s at %(when)s from the ledger."))
                % {"user": report.generated_by, "when": when},
                text_style,
            ),
            Paragraph(f"{_('Reviewed by')}：＿＿＿＿＿＿　{_('Date')}：＿＿＿＿＿＿", text_style),
        ]
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=landscape(A4),
            leftMargin=12 * mm,
            rightMargin=12 * mm,
            topMargin=12 * mm,
            bottomMargin=12 * mm,
            title=f"{report.title} {report.subject}",
            author=report.generated_by,
        )
        document.build(story)
    return buffer.getvalue()
