"""What an uploaded answer sheet really is, decided from its bytes alone.

The file name and the declared Content-Type are whatever the browser or the student's phone
says, and neither proves anything: a text file renamed `page1.jpg` is still text. So:

1. the first bytes must be one of three signatures: JPEG (FF D8 FF), PNG (89 50 4E 47 0D 0A
   1A 0A) or PDF (`%PDF-`);
2. then the claim is proved: an image must decode completely with Pillow (a truncated or
   corrupt photo fails here), within a pixel and side bound checked from the header before
   any pixel is decoded (a decompression bomb is a small file that claims a huge canvas);
   a PDF must parse with pypdf and have between 1 and `max_pdf_pages` pages.

Anything else is refused with `SheetRefused`, whose message is a sentence a student can act
on ("This file is not a JPEG, PNG or PDF: it looks like text.") and whose `reason` is a
stable code for clients and tests.
"""

from __future__ import annotations

import enum
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

# A phone photo of a page is 12-48 megapixels; 50 million is well above that and still
# decodes in bounded memory (about 150 MB as RGB). Pillow's own guard (MAX_IMAGE_PIXELS)
# is kept as well: its warning is turned into a refusal.
MAX_PIXELS = 50_000_000
# No page needs a side longer than this; a 1 x 40,000,000 "image" is an attack, not a scan.
MAX_IMAGE_SIDE = 12_000
DEFAULT_MAX_PDF_PAGES = 50

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"
ACCEPTED = "a JPEG, PNG or PDF"


class SheetKind(enum.StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    PDF = "pdf"

    @property
    def mime_type(self) -> str:
        return _MIME[self]

    @property
    def extension(self) -> str:
        return _EXTENSION[self]


_MIME = {SheetKind.JPEG: "image/jpeg", SheetKind.PNG: "image/png", SheetKind.PDF: "application/pdf"}
_EXTENSION = {SheetKind.JPEG: "jpg", SheetKind.PNG: "png", SheetKind.PDF: "pdf"}
_PILLOW_FORMAT = {SheetKind.JPEG: "JPEG", SheetKind.PNG: "PNG"}


@dataclass(frozen=True, slots=True)
class SniffedSheet:
    """A file proved to be an answer sheet: its kind, and what the proof measured."""

    kind: SheetKind
    size_bytes: int
    # Images only.
    width: int | None = None
    height: int | None = None
    # PDFs only.
    pdf_pages: int | None = None

    @property
    def mime_type(self) -> str:
        return self.kind.mime_type

    @property
    def extension(self) -> str:
        return self.kind.extension


class SheetRefused(ValueError):
    """The file is not an acceptable answer sheet; `message` says why, to the student."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return False
    return True


def _what_it_looks_like(data: bytes) -> str:
    """A few common mistakes named, so the refusal says what to do instead."""
    head = data[:512]
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return (
            "it is a HEIC photo (the iPhone's own format). Send it as JPEG: on the iPhone set"
            " Settings > Camera > Formats to 'Most Compatible', or share the photo as JPEG"
        )
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "it is a GIF image. Save or export the page as JPEG or PNG"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "it is a WebP image. Save or export the page as JPEG or PNG"
    if head.startswith(b"PK\x03\x04"):
        return "it is a ZIP archive or an Office document. Save the pages as PDF"
    stripped = head.lstrip()
    if stripped[:14].lower().startswith((b"<!doctype html", b"<html")):
        return "it looks like a web page (HTML)"
    if _looks_like_text(head):
        return "it looks like text"
    return "its contents are not an image or a document this site reads"


def _refuse_unknown(data: bytes) -> SheetRefused:
    return SheetRefused(
        "not_a_sheet",
        f"This file is not a JPEG, PNG or PDF: {_what_it_looks_like(data)}.",
    )


def kind_of(data: bytes) -> SheetKind | None:
    """The kind the file's signature claims (magic bytes only: not yet proved)."""
    if data.startswith(JPEG_MAGIC):
        return SheetKind.JPEG
    if data.startswith(PNG_MAGIC):
        return SheetKind.PNG
    if data.startswith(PDF_MAGIC):
        return SheetKind.PDF
    return None


def _prove_image(
    data: bytes, kind: SheetKind, *, max_pixels: int, max_side: int
) -> tuple[int, int]:
    name = "JPEG photo" if kind is SheetKind.JPEG else "PNG image"
    broken = SheetRefused(
        "undecodable",
        f"This {name} is damaged or incomplete and cannot be opened; the upload may have been"
        " cut short. Take or export the picture again and upload it once more.",
    )
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS and raises only past twice that: here the
        # warning already refuses.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]]) as image:
                width, height = image.size
                # Checked from the header, before a single pixel is decoded.
                if width * height > max_pixels or max(width, height) > max_side:
                    raise SheetRefused(
                        "too_many_pixels",
                        f"This image claims {width:,} x {height:,} pixels, more than a page"
                        f" photo can have (at most {max_pixels:,} pixels and {max_side:,} on"
                        " a side). Take the photo again at a normal size.",
                    )
                if kind is SheetKind.JPEG:
                    # Decoding at 1/8 scale still reads every byte of the compressed data (a
                    # truncated photo fails the same), in 1/64 of the memory.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
        except SheetRefused:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise SheetRefused(
                "too_many_pixels",
                "This image has far more pixels than a page photo; take the photo again at a"
                " normal size.",
            ) from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise broken from error
    return width, height


def _prove_pdf(data: bytes, *, max_pdf_pages: int) -> int:
    unreadable = SheetRefused(
        "pdf_unreadable",
        "This PDF is damaged or incomplete and cannot be opened; save it again as PDF and"
        " upload it once more.",
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise SheetRefused(
                "pdf_encrypted",
                "This PDF is protected by a password, so a teacher could not open it; save it"
                " again without a password.",
            )
        pages = len(reader.pages)
    except SheetRefused:
        raise
    except PyPdfError as error:
        raise unreadable from error
    # pypdf reports a malformed file through many exception types besides its own
    # (KeyError, TypeError, RecursionError ...): any failure to parse means "unreadable".
    except Exception as error:
        raise unreadable from error
    if pages < 1:
        raise SheetRefused("pdf_no_pages", "This PDF has no pages; there is nothing to mark.")
    if pages > max_pdf_pages:
        raise SheetRefused(
            "pdf_too_many_pages",
            f"This PDF has {pages} pages; one upload may have at most {max_pdf_pages}. Split"
            " it, or upload the pages one by one.",
        )
    return pages


def sniff(
    data: bytes,
    *,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_IMAGE_SIDE,
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES,
) -> SniffedSheet:
    """The sheet `data` is, proved; `SheetRefused` when it is not one. CPU-bound (it decodes
    the image): call it in a thread from async code."""
    if not data:
        raise SheetRefused("empty", "This file is empty; choose the photo or PDF again.")
    kind = kind_of(data)
    if kind is None:
        raise _refuse_unknown(data)
    if kind is SheetKind.PDF:
        pages = _prove_pdf(data, max_pdf_pages=max_pdf_pages)
        return SniffedSheet(kind, len(data), pdf_pages=pages)
    width, height = _prove_image(data, kind, max_pixels=max_pixels, max_side=max_side)
    return SniffedSheet(kind, len(data), width=width, height=height)


__all__ = [
    "ACCEPTED",
    "DEFAULT_MAX_PDF_PAGES",
    "MAX_IMAGE_SIDE",
    "MAX_PIXELS",
    "SheetKind",
    "SheetRefused",
    "SniffedSheet",
    "kind_of",
    "sniff",
]
