"""Answer sheets, pure: what a file is (judged by its content alone, `sniff`) and the signed,
expiring links that read one back (`signing`). No database, web or storage imports: the
service and the API (`service/answer_sheets.py`, `api/answer_sheets.py`) do the I/O."""

from lyceum.mathvidya.sheets.signing import (
    SignedFile,
    TokenRefused,
    make_token,
    read_token,
)
from lyceum.mathvidya.sheets.sniff import (
    MAX_IMAGE_SIDE,
    MAX_PIXELS,
    SheetKind,
    SheetRefused,
    SniffedSheet,
    sniff,
)

__all__ = [
    "MAX_IMAGE_SIDE",
    "MAX_PIXELS",
    "SheetKind",
    "SheetRefused",
    "SignedFile",
    "SniffedSheet",
    "TokenRefused",
    "make_token",
    "read_token",
    "sniff",
]
