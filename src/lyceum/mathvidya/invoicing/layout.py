"""A GST tax invoice for a subscription payment, drawn with fpdf2 as PDF bytes.

Rule 46 of the CGST Rules asks a tax invoice for: the supplier's name, address and GSTIN; a
consecutive serial number unique for the financial year; the date; the recipient's name; the
SAC of the service and its description; the taxable value; the rate and amount of each tax;
the total; and the place of supply. The layout gives each its own line or table cell.

The built-in PDF fonts cover Latin-1 only: characters outside it (a name written in
Devanagari, the rupee sign) are transliterated where Unicode allows and otherwise shown as
`?`, so the document always renders; amounts are written `INR 2,999.00`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from lyceum.mathvidya.invoicing.gst import HALF_RATE_PERCENT, SAC_EDUCATION_SUPPORT, GstSplit


@dataclass(frozen=True, slots=True)
class InvoiceParty:
    name: str
    lines: tuple[str, ...] = ()
    gstin: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """Everything printed on one invoice, as plain values."""

    invoice_number: str
    invoice_date: date
    seller: InvoiceParty
    buyer: InvoiceParty
    student_name: str
    plan_name: str
    period_from: date
    period_to: date
    split: GstSplit
    payment_reference: str
    place_of_supply: str
    sac: str = SAC_EDUCATION_SUPPORT
    notes: tuple[str, ...] = field(default=())


def latin1(text: str) -> str:
    """`text` in the core fonts' character set (see the module's note)."""
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(folded or "?")
    return "".join(out)


def rupees(amount: Decimal) -> str:
    return f"INR {amount:,.2f}"


def _day(value: date) -> str:
    return value.strftime("%d %b %Y")


def render_invoice(view: InvoiceView) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(latin1(f"Tax invoice {view.invoice_number}"))
    pdf.set_author(latin1(view.seller.name))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.cell(width, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line("TAX INVOICE", 18, "B", 10)
    line(view.seller.name, 12, "B", 7)
    for text in view.seller.lines:
        line(text)
    line(f"GSTIN: {view.seller.gstin or 'not registered'}")
    pdf.ln(4)

    line(f"Invoice number: {view.invoice_number}", 11, "B")
    line(f"Invoice date: {_day(view.invoice_date)}")
    line(f"Place of supply: {view.place_of_supply}")
    line(f"Payment reference: {view.payment_reference}")
    pdf.ln(4)

    line("Billed to", 11, "B")
    line(view.buyer.name)
    for text in view.buyer.lines:
        line(text)
    if view.buyer.gstin:
        line(f"GSTIN: {view.buyer.gstin}")
    line(f"Student: {view.student_name}")
    pdf.ln(5)

    columns = (
        ("Description", 0.40),
        ("SAC", 0.11),
        ("Period", 0.29),
        ("Taxable value", 0.20),
    )
    pdf.set_font("Helvetica", "B", 10)
    for title, share in columns:
        pdf.cell(width * share, 8, title, border=1)
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 10)
    cells = (
        f"{view.plan_name} - annual subscription",
        view.sac,
        f"{_day(view.period_from)} - {_day(view.period_to)}",
        rupees(view.split.taxable),
    )
    for text, (_, share) in zip(cells, columns, strict=True):
        # A long plan name shrinks to fit its cell rather than spill into the next one.
        size = 10.0
        pdf.set_font("Helvetica", "", size)
        while size > 6 and pdf.get_string_width(latin1(text)) > width * share - 2:
            size -= 0.5
            pdf.set_font("Helvetica", "", size)
        pdf.cell(width * share, 8, latin1(text), border=1, align="L")
    pdf.set_font("Helvetica", "", 10)
    pdf.ln(12)

    label_width, amount_width = width * 0.7, width * 0.3

    def amount(label: str, value: Decimal, style: str = "") -> None:
        pdf.set_font("Helvetica", style, 10)
        pdf.cell(label_width, 7, latin1(label), border=1, align="R")
        pdf.cell(
            amount_width, 7, rupees(value), border=1, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    amount("Taxable value", view.split.taxable)
    amount(f"CGST @ {HALF_RATE_PERCENT}%", view.split.cgst)
    amount(f"SGST @ {HALF_RATE_PERCENT}%", view.split.sgst)
    amount("Total (GST included)", view.split.total, "B")
    pdf.ln(6)

    pdf.set_font("Helvetica", "", 9)
    for text in (
        "Services: education support services (SAC 999293), online mathematics practice.",
        "Tax is not payable on reverse charge.",
        *view.notes,
        "This is a computer-generated invoice and needs no signature.",
    ):
        pdf.multi_cell(width, 4.5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


__all__ = ["InvoiceParty", "InvoiceView", "latin1", "render_invoice", "rupees"]
