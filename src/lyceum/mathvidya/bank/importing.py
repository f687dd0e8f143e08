"""Reading a bulk-import upload into numbered rows of plain values.

Two formats, the same fields (`questions.FIELDS`):

- **JSON**: an array of objects (or `{"questions": [...]}`), each as `POST /questions` takes
  it: `mcq_choices` a list of `{"key", "text"}`, `tags` a list, `marking_scheme` a list of
  `{"step", "marks"}`.
- **CSV** (UTF-8, a header row naming the columns, any order): the same fields, except that an
  MCQ's choices are the columns `choice_a` … `choice_d`, `tags` are separated by `;`, and
  `marking_scheme` is JSON text in its cell. An empty cell is "not given".

Row numbers count questions from 1: row 1 is the first question (the record after a CSV's
header, the first element of a JSON array). A file that cannot be read as rows at all (not
UTF-8, not JSON, unknown CSV columns, too many rows) is an `ImportFileError`; everything
wrong inside a row is reported per row by `questions.check_rows`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from typing import Any

from lyceum.mathvidya.bank.errors import Problem
from lyceum.mathvidya.bank.questions import FIELDS, REQUIRED
from lyceum.mathvidya.enums import MCQ_OPTIONS

MAX_IMPORT_ROWS = 2_000
CHOICE_COLUMNS = {f"choice_{option.lower()}": option for option in MCQ_OPTIONS}
CSV_COLUMNS: tuple[str, ...] = tuple(
    column
    for name in FIELDS
    for column in ((*CHOICE_COLUMNS,) if name == "mcq_choices" else (name,))
)
TAG_SEPARATOR = ";"
_CHOICE_TEXT = re.compile(r"mcq_choices\[(\d)\]\.text")


class ImportFileError(ValueError):
    """The upload as a whole cannot be read; `field` names what is at fault."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


Row = tuple[int, dict[str, Any]]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"the file is not UTF-8 text (byte {error.start} is not valid UTF-8)"
        ) from None


def _count(rows: list[Any]) -> None:
    if not rows:
        raise ImportFileError("the file holds no questions")
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportFileError(
            f"the file holds {len(rows)} questions; import at most {MAX_IMPORT_ROWS} at a time"
        )


def parse_json(data: bytes) -> tuple[list[Row], list[Problem]]:
    """A JSON upload's rows, and the rows that are not objects (as problems)."""
    try:
        document = json.loads(_decode(data))
    except json.JSONDecodeError as error:
        raise ImportFileError(
            f"the file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    if isinstance(document, Mapping) and set(document) == {"questions"}:
        document = document["questions"]
    if not isinstance(document, list):
        raise ImportFileError('the JSON must be an array of questions (or {"questions": [...]})')
    _count(document)
    rows: list[Row] = []
    problems: list[Problem] = []
    for number, item in enumerate(document, start=1):
        if not isinstance(item, Mapping):
            problems.append(Problem("(row)", "must be a JSON object of question fields", number))
            continue
        values = dict(item)
        marks = values.get("marks")
        if isinstance(marks, float) and marks.is_integer():
            values["marks"] = int(marks)
        rows.append((number, values))
    return rows, problems


def parse_csv(data: bytes) -> tuple[list[Row], list[Problem]]:
    """A CSV upload's rows (cells converted: marks to a whole number, choices to
    `mcq_choices`, tags split, the marking scheme's JSON read), and the cells that could not
    be converted (as problems)."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [record for record in reader if any(cell.strip() for cell in record)]
    except csv.Error as error:
        raise ImportFileError(f"the CSV cannot be read: {error} (line {reader.line_num})") from None
    if not records:
        raise ImportFileError("the file holds no questions")
    header = [name.strip().lower() for name in records[0]]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise ImportFileError(
            f"the CSV header names columns that are not question fields: {', '.join(unknown)}"
            f" (columns: {', '.join(CSV_COLUMNS)})",
            "header",
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportFileError(
            f"the CSV header names a column more than once: {', '.join(repeated)}", "header"
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(
            f"the CSV header lacks the required columns: {', '.join(missing)}", "header"
        )
    body = records[1:]
    _count(body)
    rows: list[Row] = []
    problems: list[Problem] = []
    for number, record in enumerate(body, start=1):
        if len(record) > len(header):
            problems.append(
                Problem(
                    "(row)",
                    f"has {len(record)} cells; the header names {len(header)} columns",
                    number,
                )
            )
            continue
        cells = {
            name: cell.strip() for name, cell in zip(header, record, strict=False) if cell.strip()
        }
        values, found = _csv_values(cells)
        problems.extend(p.at_row(number) for p in found)
        rows.append((number, values))
    return rows, problems


def _csv_values(cells: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {
        name: cell
        for name, cell in cells.items()
        if name not in CHOICE_COLUMNS and name not in ("marks", "tags", "marking_scheme")
    }
    if "marks" in cells:
        if re.fullmatch(r"[0-9]{1,3}", cells["marks"]):
            values["marks"] = int(cells["marks"])
        else:
            problems.append(Problem("marks", f"{cells['marks']!r} is not a whole number"))
    if "tags" in cells:
        values["tags"] = [tag for tag in cells["tags"].split(TAG_SEPARATOR) if tag.strip()]
    if "marking_scheme" in cells:
        try:
            values["marking_scheme"] = json.loads(cells["marking_scheme"])
        except json.JSONDecodeError:
            problems.append(
                Problem(
                    "marking_scheme",
                    'must be JSON text, e.g. [{"step": "Form the equation", "marks": 1}]',
                )
            )
    if any(column in cells for column in CHOICE_COLUMNS):
        values["mcq_choices"] = [
            {"key": option, "text": cells.get(column)} for column, option in CHOICE_COLUMNS.items()
        ]
    return values, problems


def csv_field(field: str) -> str:
    """A problem's field as a CSV names it (`mcq_choices[2].text` is the cell `choice_c`)."""
    found = _CHOICE_TEXT.fullmatch(field)
    if found:
        return f"choice_{MCQ_OPTIONS[int(found.group(1))].lower()}"
    return field


__all__ = [
    "CSV_COLUMNS",
    "MAX_IMPORT_ROWS",
    "ImportFileError",
    "csv_field",
    "parse_csv",
    "parse_json",
]
