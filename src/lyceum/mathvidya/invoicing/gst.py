"""GST on a plan price (India: 18 % on education support services, SAC 999293).

Plan prices are GST-inclusive. The taxable value is the price divided by 1.18, rounded half-up
to the paisa; the GST is the rest, so the two always add up to the price exactly (the
`payments` table checks it). Within the state the GST is shown as CGST 9 % + SGST 9 %: CGST
is half the GST rounded half-up, SGST the remainder, so the lines again add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from lyceum.mathvidya.calendar_ist import financial_year

GST_RATE = Decimal("0.18")
HALF_RATE_PERCENT = Decimal("9")
SAC_EDUCATION_SUPPORT = "999293"
PAISA = Decimal("0.01")
# Invoice numbers: `MV/<financial year>/<sequence>`, at least this many digits.
INVOICE_DIGITS = 6


def to_paise(amount: Decimal) -> Decimal:
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class GstSplit:
    total: Decimal
    taxable: Decimal
    gst: Decimal
    cgst: Decimal
    sgst: Decimal


def split_inclusive(total: Decimal) -> GstSplit:
    """Split a GST-inclusive amount in rupees; every part in paise, the parts adding up."""
    if total <= 0:
        raise ValueError("an amount to invoice must be above zero")
    total = to_paise(total)
    taxable = to_paise(total / (1 + GST_RATE))
    gst = total - taxable
    cgst = to_paise(gst / 2)
    return GstSplit(total=total, taxable=taxable, gst=gst, cgst=cgst, sgst=gst - cgst)


def invoice_prefix(paid_at: datetime) -> str:
    """`MV/2026-27/`: the part of the invoice number before the sequence's digits."""
    return f"MV/{financial_year(paid_at)}/"


def format_invoice_number(prefix: str, sequence: int) -> str:
    """What the database builds in the INSERT (for documentation and tests)."""
    return f"{prefix}{sequence:0{INVOICE_DIGITS}d}"


__all__ = [
    "GST_RATE",
    "HALF_RATE_PERCENT",
    "INVOICE_DIGITS",
    "SAC_EDUCATION_SUPPORT",
    "GstSplit",
    "format_invoice_number",
    "invoice_prefix",
    "split_inclusive",
    "to_paise",
]
