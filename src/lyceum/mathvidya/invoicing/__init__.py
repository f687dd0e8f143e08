"""GST arithmetic and the invoice layout (pure: no database or web imports).

`gst` splits a GST-inclusive price into taxable value and tax and numbers invoices;
`layout` draws a tax invoice as PDF bytes with fpdf2 from plain values.
"""

from lyceum.mathvidya.invoicing.gst import (
    GST_RATE,
    SAC_EDUCATION_SUPPORT,
    GstSplit,
    invoice_prefix,
    split_inclusive,
)
from lyceum.mathvidya.invoicing.layout import InvoiceParty, InvoiceView, render_invoice

__all__ = [
    "GST_RATE",
    "SAC_EDUCATION_SUPPORT",
    "GstSplit",
    "InvoiceParty",
    "InvoiceView",
    "invoice_prefix",
    "render_invoice",
    "split_inclusive",
]
