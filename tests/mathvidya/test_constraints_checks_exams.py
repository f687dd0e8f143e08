"""Named CHECKs of the question bank, exam and evaluation tables, each proven by a row
PostgreSQL refuses (named by that CHECK) and a row at its edge that it keeps as given.

Tables: questions, exam_templates, exam_instances, student_mcq_answers, answer_sheet_uploads,
unanswered_questions, evaluations, question_marks. Rows are valid_row's (rows.py), whose
`status` / `question_type` / `exam_type` overrides shape the rest of the row consistently.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models.evaluation import EVALUATION_STAMPS
from lyceum.mathvidya.models.exam_instance import ALLOWED_MIME_TYPES, MAX_UPLOAD_BYTES
from tests.mathvidya.rows import (
    EVALUATION_ASSIGNED,
    EVALUATION_STARTED,
    EXAM_CREATED,
    EXAM_EVALUATED,
    EXAM_STARTED,
    EXAM_SUBMITTED,
    MCQ_CHOICES,
    REVIEWED,
    UNIT,
    Bad,
    Good,
    New,
    assert_kept_as_given,
    assert_refused_by_check,
    case_id,
)

TICK = timedelta(microseconds=1)
D = Decimal
# Keys A, B, C and E: a correct option can be among the choices yet not a valid option.
CHOICES_WITH_E = [*MCQ_CHOICES[:3], {"key": "E", "text": "x = 5"}]
AMONG = "ck_questions_correct_option_among_choices"
EVALUATED = {"status": "evaluated"}  # board paper: 80 marks, mcq 20, total 65, 81.25 %


def _q(rule: str) -> str:
    return f"ck_questions_{rule}"


def _t(rule: str) -> str:
    return f"ck_exam_templates_{rule}"


def _e(rule: str) -> str:
    return f"ck_exam_instances_{rule}"


def _ev(rule: str) -> str:
    return f"ck_evaluations_{rule}"


BAD_EXAMS: list[Bad] = [
    # questions
    *(Bad("questions", {"class_level": v}, _q("class_level_valid")) for v in ("XI", "x", "")),
    *(Bad("questions", {"version": v}, _q("version_positive")) for v in (0, -1)),
    *(Bad("questions", {"question_code": v}, _q("question_code_format"))
      for v in ("mv-abc", "-ABC", "AB", "MV_ABC", "MV ABC", "", "MV-ABÇ")),
    *(Bad("questions", {"question_type": kind, "marks": marks}, _q("marks_match_type"))
      for kind, marks in (("MCQ", 2), ("MCQ", 0), ("VSA", 1), ("VSA", 3), ("SA", 2),
                          ("SA", 4), ("LA", 3), ("LA", 6))),
    *(Bad("questions", {"question_text": v}, _q("question_text_not_blank")) for v in ("", "  ")),
    *(Bad("questions", {"unit": v}, _q("unit_not_blank")) for v in ("", "  ")),
    *(Bad("questions", {"chapter": v}, _q("chapter_not_blank")) for v in ("", "  ")),
    Bad("questions", {"mcq_choices": None}, _q("mcq_choices_iff_mcq")),
    # Choices on a VSA have no correct option among them either.
    Bad("questions", {"question_type": "VSA", "mcq_choices": MCQ_CHOICES},
        _q("mcq_choices_iff_mcq"), (AMONG,)),
    Bad("questions", {"question_type": "VSA", "correct_option": "A"},
        _q("correct_option_iff_mcq")),
    Bad("questions", {"correct_option": None}, _q("correct_option_iff_mcq"), (AMONG,)),
    *(Bad("questions", {"mcq_choices": v}, _q("mcq_choices_four"))
      for v in (MCQ_CHOICES[:3], [*MCQ_CHOICES, {"key": "E", "text": "x = 5"}],
                # Four entries, but keyed A, B, C, A: option D does not exist.
                [*MCQ_CHOICES[:3], {**MCQ_CHOICES[0], "text": "x = 9"}])),
    Bad("questions", {"mcq_choices": {"A": "x = 1", "B": "x = 2"}}, _q("mcq_choices_four"),
        (AMONG,)),
    Bad("questions", {"mcq_choices": CHOICES_WITH_E, "correct_option": "E"},
        _q("correct_option_valid"), (_q("mcq_choices_four"),)),
    Bad("questions", {"mcq_choices": CHOICES_WITH_E, "correct_option": "D"}, AMONG),
    Bad("questions", {"mcq_choices": [{"label": c["key"], "text": c["text"]}
                                      for c in MCQ_CHOICES]}, AMONG),
    *(Bad("questions", {"question_type": "SA", "marking_scheme": v},
          _q("marking_scheme_is_array")) for v in ({"step": "Isolate x"}, "Isolate x")),
    *(Bad("questions", {"tags": v}, _q("tags_no_nulls")) for v in ([None], ["algebra", None])),
    Bad("questions", {"times_used": -1}, _q("times_used_non_negative")),
    *(Bad("questions", {"status": status, "reviewed_at": None}, _q("reviewed_before_active"))
      for status in ("active", "archived")),
    # exam_templates
    *(Bad("exam_templates", {"class_level": v}, _t("class_level_valid")) for v in ("XI", "xii")),
    *(Bad("exam_templates", {"name": v}, _t("name_not_blank")) for v in ("", "   ")),
    *(Bad("exam_templates", {"exam_type": "section_wise", "total_marks": v},
          _t("total_marks_range")) for v in (0, 101)),
    *(Bad("exam_templates", {"exam_type": "section_wise", "duration_minutes": v},
          _t("duration_minutes_range")) for v in (4, 241)),
    *(Bad("exam_templates", {"config": v}, _t("config_has_sections"))
      for v in ([], [{"name": "A"}], {"sections": []}, {"sections": {"name": "A"}},
                {"sections": "A"}, {}, {"name": "board"})),
    *(Bad("exam_templates", {"exam_type": kind, "units": v}, _t("units_no_nulls"))
      for kind, v in (("section_wise", [None]), ("unit_wise", [UNIT, None]))),
    Bad("exam_templates", {"exam_type": "unit_wise", "units": []}, _t("unit_wise_names_units")),
    *(Bad("exam_templates", o, _t("board_exam_pattern"))
      for o in ({"units": [UNIT]}, {"total_marks": 79}, {"total_marks": 100},
                {"duration_minutes": 179}, {"duration_minutes": 240})),
    # exam_instances
    *(Bad("exam_instances", {"student_role": v}, _e("taker_is_student"))
      for v in ("teacher", "parent")),
    Bad("exam_instances", {"student_class": "XI"}, _e("student_class_valid")),
    *(Bad("exam_instances", {"total_marks": v}, _e("total_marks_range")) for v in (0, 101)),
    *(Bad("exam_instances", {"duration_minutes": v}, _e("duration_minutes_range"))
      for v in (4, 241)),
    *(Bad("exam_instances", {"status": "submitted", "mcq_score": v}, _e("mcq_score_range"))
      for v in (D("-0.5"), D("80.5"))),
    *(Bad("exam_instances", {"status": "submitted", "mcq_score": None, "total_score": v},
          _e("total_score_range"), (_e("percentage_with_total"),)) for v in (D("-0.5"), D("80.5"))),
    Bad("exam_instances", EVALUATED | {"mcq_score": D("65.5")}, _e("total_includes_mcq")),
    *(Bad("exam_instances", {"status": "submitted", "percentage": v}, _e("percentage_range"),
          (_e("percentage_with_total"),))
      for v in (D("-0.01"), D("100.01"))),
    *(Bad("exam_instances", EVALUATED | o, _e("percentage_of_total"))
      for o in ({"percentage": D("81.24")}, {"percentage": D("81.26")},
                {"total_score": D("33.5"), "percentage": D("41.87")})),
    # A percentage of nothing, and a total nobody turned into a percentage.
    Bad("exam_instances", {"status": "submitted", "percentage": D(50)},
        _e("percentage_with_total")),
    Bad("exam_instances", {"status": "submitted", "mcq_score": D(20), "total_score": D(20)},
        _e("percentage_with_total")),
    Bad("exam_instances", {"status": "in_progress", "started_at": EXAM_CREATED - TICK},
        _e("started_after_created")),
    Bad("exam_instances", {"status": "submitted", "submitted_at": EXAM_STARTED - TICK},
        _e("submitted_after_started")),
    Bad("exam_instances", EVALUATED | {"evaluated_at": EXAM_SUBMITTED - TICK},
        _e("evaluated_after_submitted")),
    Bad("exam_instances", {"status": "created", "started_at": EXAM_STARTED},
        _e("created_not_started")),
    *(Bad("exam_instances", {"status": s, "started_at": None}, _e("started_at_when_started"))
      for s in ("in_progress", "submitted", "under_evaluation", "evaluated")),
    *(Bad("exam_instances", {"status": s, "submitted_at": None}, _e("submitted_at_iff_submitted"))
      for s in ("submitted", "under_evaluation")),
    *(Bad("exam_instances", {"status": s, "submitted_at": EXAM_SUBMITTED},
          _e("submitted_at_iff_submitted")) for s in ("in_progress", "expired")),
    Bad("exam_instances", EVALUATED | {"evaluated_at": None}, _e("evaluated_at_iff_evaluated")),
    Bad("exam_instances", {"status": "under_evaluation", "evaluated_at": EXAM_EVALUATED},
        _e("evaluated_at_iff_evaluated")),
    Bad("exam_instances", EVALUATED | {"total_score": None, "percentage": None},
        _e("evaluated_has_score")),
    Bad("exam_instances", EVALUATED | {"percentage": None}, _e("evaluated_has_score")),
    *(Bad("exam_instances", {"template_snapshot": v}, _e("template_snapshot_is_object"))
      for v in ([], "board", [{"name": "A"}])),
    *(Bad("exam_instances", {"questions_snapshot": v}, _e("questions_snapshot_not_empty"))
      for v in ([], {"number": 1}, "1")),
    # student_mcq_answers
    *(Bad("student_mcq_answers", {"question_type": v},
          "ck_student_mcq_answers_question_is_mcq") for v in ("VSA", "LA")),
    *(Bad("student_mcq_answers", {"selected_option": v},
          "ck_student_mcq_answers_selected_option_valid") for v in ("E", "a", "")),
    *(Bad("student_mcq_answers", {"question_number": v},
          "ck_student_mcq_answers_question_number_range") for v in (0, 101)),
    *(Bad("student_mcq_answers", {"is_correct": c, "marks_awarded": m},
          "ck_student_mcq_answers_marked_together") for c, m in ((True, None), (None, D(0)))),
    *(Bad("student_mcq_answers", {"is_correct": c, "marks_awarded": m},
          "ck_student_mcq_answers_marks_match_correctness")
      for c, m in ((True, D(0)), (False, D(1)), (True, D("0.5")), (True, D(2)))),
    *(Bad("student_mcq_answers", {"unit": v}, "ck_student_mcq_answers_unit_not_blank")
      for v in ("", " ")),
    # answer_sheet_uploads
    *(Bad("answer_sheet_uploads", {"page_number": v},
          "ck_answer_sheet_uploads_page_number_range") for v in (0, 51)),
    *(Bad("answer_sheet_uploads", {"mime_type": v}, "ck_answer_sheet_uploads_mime_type_allowed")
      for v in ("image/gif", "IMAGE/JPEG", "application/zip", "image/jpg")),
    *(Bad("answer_sheet_uploads", {"file_size_bytes": v},
          "ck_answer_sheet_uploads_file_size_bytes_range")
      for v in (0, -1, MAX_UPLOAD_BYTES + 1)),
    *(Bad("answer_sheet_uploads", {"sha256": v}, "ck_answer_sheet_uploads_sha256_hex")
      for v in ("A" * 64, "a" * 63, "g" * 64, "")),
    *(Bad("answer_sheet_uploads", {"storage_key": v},
          "ck_answer_sheet_uploads_storage_key_not_blank") for v in ("", "  ")),
    *(Bad("answer_sheet_uploads", {"storage_bucket": v},
          "ck_answer_sheet_uploads_storage_bucket_not_blank") for v in ("", "  ")),
    # unanswered_questions
    *(Bad("unanswered_questions", {"question_number": v},
          "ck_unanswered_questions_question_number_range") for v in (0, 101)),
    Bad("unanswered_questions", {"unit": " "}, "ck_unanswered_questions_unit_not_blank"),
    # evaluations
    Bad("evaluations", {"teacher_role": "admin"}, _ev("evaluator_is_teacher")),
    Bad("evaluations", {"status": "assigned", "teacher_role": "student"},
        _ev("evaluator_is_teacher")),
    Bad("evaluations", {"student_class": "XI"}, _ev("student_class_valid")),
    *(Bad("evaluations", {"sla_hours": v}, _ev("sla_hours_range")) for v in (0, 169)),
    *(Bad("evaluations", {"sla_deadline": v}, _ev("deadline_after_submission"))
      for v in (EXAM_SUBMITTED, EXAM_SUBMITTED - TICK)),
    Bad("evaluations", {"teacher_user_id": New("teacher")}, _ev("pending_unassigned")),
    Bad("evaluations", {"assigned_at": EVALUATION_ASSIGNED}, _ev("pending_unassigned")),
    *(Bad("evaluations", {"status": s, "teacher_user_id": None}, _ev("assigned_has_teacher"))
      for s in ("assigned", "in_progress", "completed")),
    Bad("evaluations", {"status": "assigned", "assigned_at": None}, _ev("assigned_has_teacher")),
    *(Bad("evaluations", {"status": s, "started_at": None}, _ev("started_at_when_started"))
      for s in ("in_progress", "completed")),
    Bad("evaluations", {"status": "completed", "completed_at": None},
        _ev("completed_at_iff_completed")),
    *(Bad("evaluations", {"status": s, "completed_at": EXAM_EVALUATED},
          _ev("completed_at_iff_completed")) for s in ("in_progress", "cancelled")),
    Bad("evaluations", {"status": "completed", "marks_awarded": None}, _ev("completed_has_marks")),
    Bad("evaluations", {"status": "assigned", "assigned_at": EXAM_SUBMITTED - TICK},
        _ev("assigned_after_submission")),
    Bad("evaluations", {"status": "in_progress", "started_at": EVALUATION_ASSIGNED - TICK},
        _ev("started_after_assigned")),
    Bad("evaluations", {"status": "completed", "completed_at": EVALUATION_STARTED - TICK},
        _ev("completed_after_started")),
    Bad("evaluations", {"max_marks": D("-0.5")}, _ev("max_marks_non_negative")),
    # The board paper's written part is out of 60.
    *(Bad("evaluations", {"status": "completed", "marks_awarded": v}, _ev("marks_awarded_range"))
      for v in (D("-0.5"), D("60.5"))),
    Bad("evaluations", {"reassignment_count": -1}, _ev("reassignment_count_non_negative")),
    *(Bad("evaluations", {"annotations": v}, _ev("annotations_is_array"))
      for v in ({}, "tick", {"page": 1})),
    # question_marks (an SA question, 3 marks, by default)
    Bad("question_marks", {"question_type": "MCQ", "max_marks": D(1), "marks_awarded": D(1)},
        "ck_question_marks_written_questions_only"),
    *(Bad("question_marks", {"question_type": kind, "max_marks": D(m), "marks_awarded": D(0)},
          "ck_question_marks_max_marks_match_type")
      for kind, m in (("SA", 4), ("SA", 2), ("VSA", 3), ("LA", 3), ("LA", 6))),
    *(Bad("question_marks", {"marks_awarded": v}, "ck_question_marks_marks_awarded_range")
      for v in (D("-0.5"), D("3.5"))),
    *(Bad("question_marks", {"marks_awarded": v}, "ck_question_marks_half_mark_steps")
      for v in (D("2.3"), D("0.1"), D("2.9"))),
    *(Bad("question_marks", {"question_number": v}, "ck_question_marks_question_number_range")
      for v in (0, 101)),
    *(Bad("question_marks", {"stamp": v}, "ck_question_marks_stamp_known")
      for v in ("smiley", "TICK", "")),
    Bad("question_marks", {"unit": ""}, "ck_question_marks_unit_not_blank"),
]  # fmt: skip

GOOD_EXAMS: list[Good] = [
    *(Good("questions", {"class_level": v}, (_q("class_level_valid"),)) for v in ("X", "XII")),
    *(Good("questions", {"version": v}, (_q("version_positive"),)) for v in (1, 32767)),
    *(Good("questions", {"question_code": v}, (_q("question_code_format"),))
      for v in ("ABC", "0-1", "A" + "B" * 31, "MV-X-2025-0001")),
    *(Good("questions", {"question_type": kind, "marks": marks}, (_q("marks_match_type"),))
      for kind, marks in (("MCQ", 1), ("VSA", 2), ("SA", 3), ("LA", 4), ("LA", 5))),
    Good("questions", {"question_text": "x", "unit": "U", "chapter": "C"},
         (_q("question_text_not_blank"), _q("unit_not_blank"), _q("chapter_not_blank"))),
    *(Good("questions", {"mcq_choices": MCQ_CHOICES, "correct_option": v},
           (_q("mcq_choices_iff_mcq"), _q("correct_option_iff_mcq"), _q("mcq_choices_four"),
            _q("correct_option_valid"), AMONG)) for v in ("A", "D")),
    Good("questions", {"question_type": "VSA", "mcq_choices": None, "correct_option": None},
         (_q("mcq_choices_iff_mcq"), _q("correct_option_iff_mcq"), AMONG)),
    *(Good("questions", {"question_type": "LA", "marking_scheme": v},
           (_q("marking_scheme_is_array"),)) for v in ([], None, [{"step": "a", "marks": 5}])),
    *(Good("questions", {"tags": v}, (_q("tags_no_nulls"),)) for v in ([], ["NULL", "x"])),
    Good("questions", {"times_used": 0}, (_q("times_used_non_negative"),)),
    *(Good("questions", {"status": s, "reviewed_at": None}, (_q("reviewed_before_active"),))
      for s in ("draft", "under_review")),
    *(Good("questions", {"status": s, "reviewed_at": REVIEWED}, (_q("reviewed_before_active"),))
      for s in ("active", "archived")),
    *(Good("exam_templates", {"class_level": v}, (_t("class_level_valid"),)) for v in ("X", "XII")),
    Good("exam_templates", {"name": "N"}, (_t("name_not_blank"),)),
    *(Good("exam_templates", {"exam_type": "section_wise", "total_marks": v},
           (_t("total_marks_range"),)) for v in (1, 100)),
    *(Good("exam_templates", {"exam_type": "section_wise", "duration_minutes": v},
           (_t("duration_minutes_range"),)) for v in (5, 240)),
    Good("exam_templates", {"config": {"sections": [{"name": "A"}]}}, (_t("config_has_sections"),)),
    Good("exam_templates", {"exam_type": "section_wise", "units": []}, (_t("units_no_nulls"),)),
    *(Good("exam_templates", {"exam_type": "unit_wise", "units": v},
           (_t("unit_wise_names_units"), _t("units_no_nulls"))) for v in ([UNIT], [UNIT, "NULL"])),
    Good("exam_templates", {"exam_type": "board_exam", "units": [], "total_marks": 80,
                            "duration_minutes": 180}, (_t("board_exam_pattern"),)),
    *(Good("exam_instances", {"student_class": v, "student_role": "student"},
           (_e("student_class_valid"), _e("taker_is_student"))) for v in ("X", "XII")),
    *(Good("exam_instances", {"total_marks": v}, (_e("total_marks_range"),)) for v in (1, 100)),
    *(Good("exam_instances", {"duration_minutes": v}, (_e("duration_minutes_range"),))
      for v in (5, 240)),
    *(Good("exam_instances", EVALUATED | {"mcq_score": m, "total_score": t, "percentage": p},
           (_e("mcq_score_range"), _e("total_score_range"), _e("total_includes_mcq"),
            _e("percentage_range"), _e("percentage_of_total"), _e("evaluated_has_score"),
            _e("percentage_with_total")))
      for m, t, p in ((D(0), D(0), D(0)), (D(80), D(80), D(100)), (D(20), D(20), D(25)),
                      (D(20), D("33.5"), D("41.88")))),
    Good("exam_instances", {"status": "in_progress", "started_at": EXAM_CREATED},
         (_e("started_after_created"), _e("started_at_when_started"))),
    # Submitted, not yet marked: neither a total nor a percentage.
    Good("exam_instances", {"status": "submitted", "submitted_at": EXAM_STARTED},
         (_e("submitted_after_started"), _e("submitted_at_iff_submitted"),
          _e("percentage_with_total"))),
    Good("exam_instances", EVALUATED | {"evaluated_at": EXAM_SUBMITTED},
         (_e("evaluated_after_submitted"), _e("evaluated_at_iff_evaluated"))),
    Good("exam_instances", {"status": "created", "started_at": None},
         (_e("created_not_started"), _e("submitted_at_iff_submitted"))),
    # Expired: its time ran out, whether or not it was ever opened.
    *(Good("exam_instances", {"status": "expired", "started_at": v, "submitted_at": None},
           (_e("started_at_when_started"), _e("submitted_at_iff_submitted")))
      for v in (EXAM_STARTED, None)),
    Good("exam_instances", {"status": "under_evaluation", "evaluated_at": None},
         (_e("evaluated_at_iff_evaluated"),)),
    Good("exam_instances", {"template_snapshot": {}}, (_e("template_snapshot_is_object"),)),
    Good("exam_instances", {"questions_snapshot": [{}]}, (_e("questions_snapshot_not_empty"),)),
    Good("student_mcq_answers", {"question_type": "MCQ", "unit": UNIT},
         ("ck_student_mcq_answers_question_is_mcq", "ck_student_mcq_answers_unit_not_blank")),
    *(Good("student_mcq_answers", {"selected_option": v},
           ("ck_student_mcq_answers_selected_option_valid",)) for v in ("A", "D")),
    *(Good("student_mcq_answers", {"question_number": v},
           ("ck_student_mcq_answers_question_number_range",)) for v in (1, 100)),
    *(Good("student_mcq_answers", {"is_correct": c, "marks_awarded": m},
           ("ck_student_mcq_answers_marked_together",
            "ck_student_mcq_answers_marks_match_correctness"))
      for c, m in ((True, D(1)), (False, D(0)), (None, None))),
    *(Good("answer_sheet_uploads", {"page_number": v},
           ("ck_answer_sheet_uploads_page_number_range",)) for v in (1, 50)),
    *(Good("answer_sheet_uploads", {"mime_type": v},
           ("ck_answer_sheet_uploads_mime_type_allowed",)) for v in ALLOWED_MIME_TYPES),
    *(Good("answer_sheet_uploads", {"file_size_bytes": v},
           ("ck_answer_sheet_uploads_file_size_bytes_range",)) for v in (1, MAX_UPLOAD_BYTES)),
    *(Good("answer_sheet_uploads", {"sha256": v}, ("ck_answer_sheet_uploads_sha256_hex",))
      for v in ("0" * 64, "0123456789abcdef" * 4)),
    Good("answer_sheet_uploads", {"storage_key": "k", "storage_bucket": "b"},
         ("ck_answer_sheet_uploads_storage_key_not_blank",
          "ck_answer_sheet_uploads_storage_bucket_not_blank")),
    *(Good("unanswered_questions", {"question_number": v},
           ("ck_unanswered_questions_question_number_range",)) for v in (1, 100)),
    Good("unanswered_questions", {"unit": UNIT}, ("ck_unanswered_questions_unit_not_blank",)),
    Good("evaluations", {"status": "pending", "teacher_user_id": None, "assigned_at": None,
                         "teacher_role": "teacher"},
         (_ev("pending_unassigned"), _ev("evaluator_is_teacher"))),
    *(Good("evaluations", {"student_class": v}, (_ev("student_class_valid"),))
      for v in ("X", "XII")),
    *(Good("evaluations", {"sla_hours": v}, (_ev("sla_hours_range"),)) for v in (1, 168)),
    Good("evaluations", {"sla_deadline": EXAM_SUBMITTED + TICK},
         (_ev("deadline_after_submission"),)),
    Good("evaluations", {"status": "assigned", "assigned_at": EXAM_SUBMITTED},
         (_ev("assigned_has_teacher"), _ev("assigned_after_submission"))),
    Good("evaluations", {"status": "in_progress", "started_at": EVALUATION_ASSIGNED},
         (_ev("started_at_when_started"), _ev("started_after_assigned"))),
    Good("evaluations", {"status": "completed", "completed_at": EVALUATION_STARTED},
         (_ev("completed_at_iff_completed"), _ev("completed_after_started"))),
    # A withdrawn exam: no teacher, no marks.
    Good("evaluations", {"status": "cancelled", "completed_at": None, "marks_awarded": None},
         (_ev("completed_at_iff_completed"), _ev("completed_has_marks"))),
    *(Good("evaluations", {"status": "completed", "marks_awarded": v},
           (_ev("marks_awarded_range"), _ev("completed_has_marks"))) for v in (D(0), D(60))),
    # A section of MCQs only has no written part: 0 out of 0.
    Good("evaluations", {"status": "completed", "max_marks": D(0), "marks_awarded": D(0)},
         (_ev("max_marks_non_negative"), _ev("marks_awarded_range"))),
    *(Good("evaluations", {"reassignment_count": v}, (_ev("reassignment_count_non_negative"),))
      for v in (0, 3)),
    *(Good("evaluations", {"annotations": v}, (_ev("annotations_is_array"),))
      for v in ([], [{"page": 2, "x": 0.5, "y": 0.5, "stamp": "star"}])),
    Good("question_marks", {"question_type": "VSA", "max_marks": D(2), "marks_awarded": D(2)},
         ("ck_question_marks_written_questions_only", "ck_question_marks_max_marks_match_type")),
    *(Good("question_marks", {"question_type": "LA", "max_marks": D(m), "marks_awarded": D(m)},
           ("ck_question_marks_max_marks_match_type", "ck_question_marks_marks_awarded_range"))
      for m in (4, 5)),
    *(Good("question_marks", {"marks_awarded": v},
           ("ck_question_marks_marks_awarded_range", "ck_question_marks_half_mark_steps"))
      for v in (D(0), D("2.5"), D(3), D("0.5"))),
    *(Good("question_marks", {"question_number": v}, ("ck_question_marks_question_number_range",))
      for v in (1, 100)),
    *(Good("question_marks", {"stamp": v}, ("ck_question_marks_stamp_known",))
      for v in (*EVALUATION_STAMPS, None)),
    Good("question_marks", {"unit": UNIT}, ("ck_question_marks_unit_not_blank",)),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_EXAMS, ids=[case_id(b) for b in BAD_EXAMS])
async def test_a_row_breaking_a_named_check_is_refused_by_that_check(
    db_session: AsyncSession, bad: Bad
) -> None:
    await assert_refused_by_check(db_session, bad)


@pytest.mark.parametrize("good", GOOD_EXAMS, ids=[case_id(g) for g in GOOD_EXAMS])
async def test_a_row_at_the_edge_of_its_checks_is_kept_as_given(
    db_session: AsyncSession, good: Good
) -> None:
    await assert_kept_as_given(db_session, good)
