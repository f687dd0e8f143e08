"""The question bank's pure rules (no database, no web): what a valid question is, how an
import file (CSV or JSON) is read into rows, and what a valid exam-template configuration is.

- `errors`: `Problem` (row, field, reason), what every check reports.
- `questions`: `check_question(values, units)` — every rule a question's content must meet
  (types, enum values, marks by type, MCQ choices and answer, unit of the class's
  curriculum, marking scheme adding up to the marks, tags), returning the normalised column
  values and every problem found; `check_rows` does the same for an import, plus duplicate
  codes within the file.
- `importing`: `parse_csv`, `parse_json`: an upload's text → numbered raw rows.
- `templates`: `check_template(...)` — a template's config (sections, unit weightage,
  difficulty mix) against its marks, type and units; `section_marks`.

The service layer supplies the curriculum (system_config `curriculum.units_class_x|xii`)
and the database facts (codes already in the bank); everything else is decided here.
"""

from __future__ import annotations

from lyceum.mathvidya.bank.errors import Problem
from lyceum.mathvidya.bank.importing import MAX_IMPORT_ROWS, ImportFileError, parse_csv, parse_json
from lyceum.mathvidya.bank.questions import (
    CONTENT_FIELDS,
    Units,
    check_question,
    check_rows,
    new_question_code,
)
from lyceum.mathvidya.bank.templates import check_template, section_marks

__all__ = [
    "CONTENT_FIELDS",
    "MAX_IMPORT_ROWS",
    "ImportFileError",
    "Problem",
    "Units",
    "check_question",
    "check_rows",
    "check_template",
    "new_question_code",
    "parse_csv",
    "parse_json",
    "section_marks",
]
