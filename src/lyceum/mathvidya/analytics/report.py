"""The monthly report for one child, as PDF bytes (fpdf2): the month's marked exams with their
marks, marks by unit, the trend over recent months, and the teachers' comments.

Drawn with the core fonts, which cover Latin-1 only: text goes through the invoices'
`latin1` (transliterated where Unicode allows, else "?"), so a name in any script renders.
Bars are drawn as rectangles, so the report needs no image library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from lyceum.mathvidya.invoicing.layout import latin1

BAR_GREY = (200, 200, 200)
BAR_BLUE = (52, 101, 164)


@dataclass(frozen=True, slots=True)
class ReportExam:
    name: str
    kind: str
    evaluated_on: date
    score: float
    total_marks: int
    percentage: float


@dataclass(frozen=True, slots=True)
class ReportUnit:
    unit: str
    awarded: float
    maximum: float


@dataclass(frozen=True, slots=True)
class ReportMonth:
    label: str
    mean_percentage: float | None
    exams: int


@dataclass(frozen=True, slots=True)
class ReportComment:
    exam_name: str
    comment: str


@dataclass(frozen=True, slots=True)
class MonthlyReportView:
    """Everything printed in one child's report, as plain values."""

    child_name: str
    student_class: str
    month: date
    generated_on: date
    exams: tuple[ReportExam, ...] = ()
    units: tuple[ReportUnit, ...] = ()
    trend: tuple[ReportMonth, ...] = ()
    comments: tuple[ReportComment, ...] = ()
    prediction: str | None = None
    notes: tuple[str, ...] = field(default=())


def month_title(month: date) -> str:
    return month.strftime("%B %Y")


def render_monthly_report(view: MonthlyReportView) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(latin1(f"Mathvidya report - {view.child_name} - {month_title(view.month)}"))
    pdf.set_author("Mathvidya")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(text: str) -> None:
        pdf.ln(3)
        line(text, 13, "B", 8)

    line("Mathvidya - monthly report", 18, "B", 10)
    line(f"{view.child_name}, class {view.student_class}", 12, "B", 7)
    line(f"{month_title(view.month)} (India time) - prepared {view.generated_on:%d %b %Y}")

    heading("Exams marked this month")
    if not view.exams:
        line("No exam was marked this month.")
    else:
        columns = (("Date", 0.16), ("Paper", 0.44), ("Kind", 0.18), ("Marks", 0.12), ("%", 0.10))
        pdf.set_font("Helvetica", "B", 10)
        for title, share in columns:
            pdf.cell(width * share, 7, title, border=1)
        pdf.ln(7)
        pdf.set_font("Helvetica", "", 9)
        for exam in view.exams:
            cells = (
                f"{exam.evaluated_on:%d %b}",
                exam.name,
                exam.kind,
                f"{exam.score:g} / {exam.total_marks}",
                f"{exam.percentage:.1f}",
            )
            for text, (_, share) in zip(cells, columns, strict=True):
                cell_width = width * share
                shown = latin1(text)
                # A long paper name is shortened to its cell rather than spill over.
                while shown and pdf.get_string_width(shown) > cell_width - 2:
                    shown = shown[:-2] + "."
                pdf.cell(cell_width, 6, shown, border=1)
            pdf.ln(6)
        mean = sum(exam.percentage for exam in view.exams) / len(view.exams)
        line(f"Mean of the month: {mean:.1f} % over {len(view.exams)} exams.", 10, "B")

    heading("Marks by unit")
    if not view.units:
        line("No marked answers this month.")
    label_width, bar_width = width * 0.38, width * 0.42
    for unit in view.units:
        rate = unit.awarded / unit.maximum if unit.maximum else 0.0
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(label_width, 6, latin1(unit.unit))
        x, y = pdf.get_x(), pdf.get_y() + 1
        pdf.set_fill_color(*BAR_GREY)
        pdf.rect(x, y, bar_width, 4, style="F")
        pdf.set_fill_color(*BAR_BLUE)
        if rate > 0:
            pdf.rect(x, y, bar_width * min(rate, 1.0), 4, style="F")
        pdf.set_x(x + bar_width + 2)
        pdf.cell(
            0,
            6,
            f"{unit.awarded:g} / {unit.maximum:g} ({rate * 100:.0f} %)",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    heading("Trend over recent months")
    for month in view.trend:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(label_width, 6, latin1(month.label))
        x, y = pdf.get_x(), pdf.get_y() + 1
        pdf.set_fill_color(*BAR_GREY)
        pdf.rect(x, y, bar_width, 4, style="F")
        if month.mean_percentage is not None:
            pdf.set_fill_color(*BAR_BLUE)
            pdf.rect(x, y, bar_width * min(month.mean_percentage, 100.0) / 100, 4, style="F")
        pdf.set_x(x + bar_width + 2)
        text = (
            f"{month.mean_percentage:.1f} % ({month.exams} exams)"
            if month.mean_percentage is not None
            else "no marked exam"
        )
        pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if view.prediction:
        heading("Where this points")
        line(view.prediction, 9)

    heading("The teachers' comments")
    if not view.comments:
        line("No comments this month.")
    for comment in view.comments:
        line(comment.exam_name, 10, "B")
        line(comment.comment, 9)
        pdf.ln(1)

    for note in view.notes:
        line(note, 8)
    return bytes(pdf.output())


__all__ = [
    "MonthlyReportView",
    "ReportComment",
    "ReportExam",
    "ReportMonth",
    "ReportUnit",
    "month_title",
    "render_monthly_report",
]
