"""The pure answer-sheet checks: what a file is, from its bytes alone (`sheets.sniff`), and
the signed links (`sheets.signing`). Real files, made here with Pillow and pypdf."""

from __future__ import annotations

import io
import struct
import time
import uuid
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfWriter

from lyceum.mathvidya.sheets import SheetKind, SheetRefused, sniff
from lyceum.mathvidya.sheets.signing import TokenRefused, make_token, read_token
from lyceum.mathvidya.sheets.sniff import JPEG_MAGIC, PDF_MAGIC, PNG_MAGIC


def photo(kind: str = "JPEG", size: tuple[int, int] = (320, 240)) -> bytes:
    """A small picture with some detail (so the compressed data is not trivial)."""
    image = Image.new("RGB", size, (250, 250, 245))
    for x in range(size[0]):
        image.putpixel((x, (x * 7) % size[1]), (20, 20, 120))
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb's
    shape: the pixels it claims are never there)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_MAGIC
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def refusal(data: bytes, **limits: int) -> SheetRefused:
    with pytest.raises(SheetRefused) as refused:
        sniff(data, **limits)
    return refused.value


# ---- accepted ----------------------------------------------------------------------------------


def test_a_jpeg_photo_is_a_jpeg_with_its_size() -> None:
    data = photo("JPEG", (320, 240))
    sheet = sniff(data)
    assert sheet.kind is SheetKind.JPEG
    assert (sheet.width, sheet.height, sheet.size_bytes) == (320, 240, len(data))
    assert (sheet.mime_type, sheet.extension, sheet.pdf_pages) == ("image/jpeg", "jpg", None)


def test_a_png_is_a_png() -> None:
    sheet = sniff(photo("PNG", (100, 141)))
    assert (sheet.kind, sheet.width, sheet.height) == (SheetKind.PNG, 100, 141)
    assert sheet.mime_type == "image/png"


def test_a_pdf_reports_its_page_count() -> None:
    sheet = sniff(pdf(3))
    assert (sheet.kind, sheet.pdf_pages, sheet.width) == (SheetKind.PDF, 3, None)
    assert (sheet.mime_type, sheet.extension) == ("application/pdf", "pdf")


# ---- refused, with a sentence ------------------------------------------------------------------


def test_a_text_file_renamed_jpg_is_refused_as_text() -> None:
    # The name a device gives the file is not even an input: only the bytes are.
    refused = refusal(b"My answers:\n1. x = 4\n2. the area is 12 square units\n")
    assert refused.reason == "not_a_sheet"
    assert refused.message == "This file is not a JPEG, PNG or PDF: it looks like text."


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC photo"),
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "WebP image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Office document"),
        (b"<!DOCTYPE html><html><body>", "web page"),
        (bytes(range(256)) * 2, "not an image or a document"),
    ],
)
def test_other_formats_are_named_so_the_student_knows_what_to_do(data: bytes, words: str) -> None:
    refused = refusal(data)
    assert refused.reason == "not_a_sheet"
    assert refused.message.startswith("This file is not a JPEG, PNG or PDF: ")
    assert words in refused.message


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_image_is_refused(kind: str, keep: float) -> None:
    data = photo(kind)
    refused = refusal(data[: int(len(data) * keep)])
    assert refused.reason == "undecodable"
    assert "damaged or incomplete" in refused.message


def test_the_right_signature_with_nothing_behind_it_is_refused() -> None:
    assert refusal(JPEG_MAGIC + b"\x00" * 200).reason == "undecodable"
    assert refusal(PNG_MAGIC + b"not a chunk").reason == "undecodable"
    assert refusal(PDF_MAGIC + b"1.7\nno objects at all").reason == "pdf_unreadable"


def test_a_pdf_with_no_pages_is_refused() -> None:
    refused = refusal(pdf(0))
    assert (refused.reason, refused.message) == (
        "pdf_no_pages",
        "This PDF has no pages; there is nothing to mark.",
    )


def test_a_pdf_with_more_pages_than_allowed_is_refused() -> None:
    assert sniff(pdf(4), max_pdf_pages=4).pdf_pages == 4
    refused = refusal(pdf(5), max_pdf_pages=4)
    assert refused.reason == "pdf_too_many_pages"
    assert "5 pages" in refused.message


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"").reason == "empty"


def test_a_bomb_header_is_refused_before_any_pixel_is_decoded() -> None:
    bomb = png_claiming(100_000, 100_000)  # ten billion pixels claimed in ~100 bytes
    started = time.perf_counter()
    refused = refusal(bomb)
    assert time.perf_counter() - started < 1.0
    assert refused.reason == "too_many_pixels"


def test_more_pixels_than_a_page_photo_is_refused_with_the_size() -> None:
    # 56 million: past our bound (50 million), short of Pillow's own (89 million).
    refused = refusal(png_claiming(8_000, 7_000))
    assert refused.reason == "too_many_pixels"
    assert "8,000 x 7,000 pixels" in refused.message


def test_a_side_too_long_is_refused_even_with_few_pixels() -> None:
    refused = refusal(png_claiming(40_000, 2))
    assert refused.reason == "too_many_pixels"


def test_pillows_own_bomb_guard_also_refuses() -> None:
    # With our bounds lifted, Pillow's MAX_IMAGE_PIXELS still stands (its warning refuses).
    refused = refusal(png_claiming(20_000, 20_000), max_pixels=10**12, max_side=10**6)
    assert refused.reason == "too_many_pixels"


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from([b"", JPEG_MAGIC, PNG_MAGIC, PDF_MAGIC]),
    rest=st.binary(max_size=2048),
)
def test_any_bytes_are_either_a_sheet_or_refused_with_a_sentence(
    prefix: bytes, rest: bytes
) -> None:
    data = prefix + rest
    refused: SheetRefused | None = None
    try:
        sheet = sniff(data)
    except SheetRefused as error:
        refused = error
    if refused is not None:
        assert refused.message.endswith(".") and refused.reason
    else:
        assert data.startswith((JPEG_MAGIC, PNG_MAGIC, PDF_MAGIC))
        assert sheet.size_bytes == len(data)


# ---- signed links ------------------------------------------------------------------------------

SECRET = b"k" * 32
NOW = 1_800_000_000


def test_a_link_grants_its_file_until_it_expires() -> None:
    upload = uuid.uuid4()
    token = make_token(SECRET, upload, NOW + 300, "answer-sheet")
    granted = read_token(SECRET, token, "answer-sheet", now=NOW + 299)
    assert (granted.upload_id, granted.expires_at) == (upload, NOW + 300)
    with pytest.raises(TokenRefused) as expired:
        read_token(SECRET, token, "answer-sheet", now=NOW + 300)
    assert expired.value.reason == "expired"


def refused_reason(token: str, secret: bytes = SECRET, purpose: str = "answer-sheet") -> str:
    with pytest.raises(TokenRefused) as refused:
        read_token(secret, token, purpose, now=NOW)
    return refused.value.reason


def test_altering_any_part_of_a_link_is_a_forgery() -> None:
    upload = uuid.uuid4()
    token = make_token(SECRET, upload, NOW + 60, "answer-sheet")
    id_hex, expiry, purpose, mac = token.split(".")
    # A later expiry is not an extension: the MAC no longer matches.
    assert refused_reason(f"{id_hex}.{NOW + 10**6}.{purpose}.{mac}") == "forged"
    assert refused_reason(f"{uuid.uuid4().hex}.{expiry}.{purpose}.{mac}") == "forged"
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    assert refused_reason(f"{id_hex}.{expiry}.{purpose}.{flipped}") == "forged"
    assert refused_reason(token, secret=b"another secret of thirty-two bytes") == "forged"
    # A valid link for another purpose grants nothing here.
    other = make_token(SECRET, upload, NOW + 60, "report")
    assert refused_reason(other) == "wrong_purpose"


@pytest.mark.parametrize("token", ["placeholder", "", "a.b.c.d", "../../etc/passwd"])
def test_a_string_that_is_no_link_is_malformed(token: str) -> None:
    assert refused_reason(token) == "malformed"


def test_a_link_is_url_safe() -> None:
    token = make_token(SECRET, uuid.uuid4(), NOW, "answer-sheet")
    assert all(ch.isalnum() or ch in "-_." for ch in token)
