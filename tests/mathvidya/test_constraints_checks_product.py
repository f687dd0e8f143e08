"""Named CHECKs the product added beyond seed 003's, each proven by a row PostgreSQL refuses
(named by that CHECK) and a row at its edge that it keeps as given.

Tables: account_tokens, payments (issue 15, migration 0013); reevaluation_requests,
leaderboard_entries, analytics_snapshots, and the two CHECKs on the holder's claim that
migration 0014 (issue 16) added to the seed's `evaluations`. The seed's own CHECKs are in
test_constraints_checks_accounts.py and test_constraints_checks_exams.py;
test_constraints_coverage.py checks that the lists together name every CHECK.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models.account import TOKEN_PURPOSES
from lyceum.mathvidya.models.evaluation import REEVALUATION_STATUSES
from lyceum.mathvidya.models.standing import ANALYTICS_SUBJECTS
from tests.mathvidya.rows import (
    EVALUATION_ASSIGNED,
    EVALUATION_STARTED,
    REEVALUATION_COMPLETED,
    REEVALUATION_REQUESTED,
    SLA_DEADLINE,
    TOKEN_ISSUED,
    Bad,
    Good,
    Same,
    assert_kept_as_given,
    assert_refused_by_check,
    case_id,
)

TICK = timedelta(microseconds=1)
D = Decimal
HEX = "0123456789abcdef" * 4


def _tok(rule: str) -> str:
    return f"ck_account_tokens_{rule}"


def _pay(rule: str) -> str:
    return f"ck_payments_{rule}"


def _ev(rule: str) -> str:
    return f"ck_evaluations_{rule}"


def _re(rule: str) -> str:
    return f"ck_reevaluation_requests_{rule}"


def _lb(rule: str) -> str:
    return f"ck_leaderboard_entries_{rule}"


def _an(rule: str) -> str:
    return f"ck_analytics_snapshots_{rule}"


# The builders' re-evaluation is of an SA question: out of 3.
OUT_OF = D(3)
COMPLETED = {"status": "completed"}


def _split(amount: str, taxable: str, gst: str) -> dict[str, Decimal]:
    return {"amount_inr": D(amount), "taxable_value_inr": D(taxable), "gst_inr": D(gst)}


BAD_PRODUCT: list[Bad] = [
    # account_tokens
    *(Bad("account_tokens", {"purpose": bad}, _tok("purpose_known"))
      for bad in ("", "reset", "PASSWORD_RESET", "family_invite ", "email_verification")),
    *(Bad("account_tokens", {"token_hash": bad}, _tok("token_hash_hex"))
      for bad in ("", HEX.upper(), HEX[:63], HEX[:63] + "g", " " + HEX[:63],
                  "not-a-hash")),
    *(Bad("account_tokens", {"expires_at": v}, _tok("expires_after_created"))
      for v in (TOKEN_ISSUED, TOKEN_ISSUED - TICK, TOKEN_ISSUED - timedelta(days=1))),
    *(Bad("account_tokens", {"used_at": v}, _tok("used_after_created"))
      for v in (TOKEN_ISSUED - TICK, TOKEN_ISSUED - timedelta(hours=1))),
    # payments
    *(Bad("payments", {"provider_payment_id": v}, _pay("provider_payment_id_not_blank"))
      for v in ("", "   ")),
    *(Bad("payments", {"invoice_number": v}, _pay("invoice_number_not_blank"))
      for v in ("", "  ")),
    # Zero parts add up to a zero amount, so only the amount's own rule is left to refuse it.
    Bad("payments", _split("0", "0", "0"), _pay("amount_positive")),
    # A negative amount needs a negative part to add up to it.
    Bad("payments", _split("-1.00", "-1.00", "0"), _pay("amount_positive"),
        (_pay("parts_non_negative"),)),
    Bad("payments", _split("100.00", "-0.01", "100.01"), _pay("parts_non_negative")),
    Bad("payments", _split("100.00", "100.01", "-0.01"), _pay("parts_non_negative")),
    *(Bad("payments", _split("2999.00", "2541.53", gst), _pay("parts_add_up"))
      for gst in ("457.46", "457.48", "0")),
    Bad("payments", _split("2999.00", "0", "0"), _pay("parts_add_up")),
    # evaluations: the holder's claim (migration 0014)
    *(Bad("evaluations", {"status": s, "claim_expires_at": None}, _ev("claim_iff_held"))
      for s in ("assigned", "in_progress")),
    *(Bad("evaluations", {"status": s, "claim_expires_at": SLA_DEADLINE}, _ev("claim_iff_held"))
      for s in ("pending", "completed", "cancelled")),
    *(Bad("evaluations", {"status": "assigned", "claim_expires_at": v},
          _ev("claim_after_assignment"))
      for v in (EVALUATION_ASSIGNED, EVALUATION_ASSIGNED - TICK)),
    Bad("evaluations", {"status": "in_progress", "claim_expires_at": EVALUATION_ASSIGNED},
        _ev("claim_after_assignment")),
    # reevaluation_requests
    *(Bad("reevaluation_requests", {"question_number": v}, _re("question_number_range"))
      for v in (0, -1, 101)),
    *(Bad("reevaluation_requests", {"status": v}, _re("status_known"))
      for v in ("", "pending", "Completed", "cancelled", "requested ")),
    Bad("reevaluation_requests", {"reason": "x" * 1001}, _re("reason_length")),
    Bad("reevaluation_requests", {"reason": ""}, _re("reason_length"), (_re("reason_not_blank"),)),
    *(Bad("reevaluation_requests", {"reason": v}, _re("reason_not_blank")) for v in (" ", "   ")),
    *(Bad("reevaluation_requests", {"student_role": v}, _re("requester_is_student"))
      for v in ("parent", "teacher", "admin")),
    *(Bad("reevaluation_requests", {"teacher_role": v}, _re("marker_is_teacher"))
      for v in ("student", "parent", "admin")),
    # The first marker again, or nobody twice (NULL is not distinct from NULL).
    Bad("reevaluation_requests", {"teacher_user_id": Same("original_teacher_user_id")},
        _re("different_teacher")),
    Bad("reevaluation_requests", {"teacher_user_id": None, "original_teacher_user_id": None},
        _re("different_teacher")),
    *(Bad("reevaluation_requests", {"sla_deadline": v}, _re("deadline_after_request"))
      for v in (REEVALUATION_REQUESTED, REEVALUATION_REQUESTED - TICK)),
    Bad("reevaluation_requests", {"completed_at": REEVALUATION_COMPLETED, "marks_after": OUT_OF},
        _re("completed_with_marks")),
    Bad("reevaluation_requests", COMPLETED | {"completed_at": None}, _re("completed_with_marks")),
    Bad("reevaluation_requests", COMPLETED | {"marks_after": None}, _re("completed_with_marks")),
    Bad("reevaluation_requests", COMPLETED | {"teacher_user_id": None},
        _re("completed_by_a_teacher")),
    *(Bad("reevaluation_requests", COMPLETED | {"completed_at": v}, _re("completed_after_request"))
      for v in (REEVALUATION_REQUESTED - TICK, REEVALUATION_REQUESTED - timedelta(days=1))),
    *(Bad("reevaluation_requests", {"marks_before": v}, _re("marks_before_range"))
      for v in (D("-0.5"), OUT_OF + D("0.5"))),
    *(Bad("reevaluation_requests", COMPLETED | {"marks_after": v}, _re("marks_after_range"))
      for v in (D("-0.5"), OUT_OF + D("0.5"), D(5))),
    *(Bad("reevaluation_requests", COMPLETED | {"marks_after": v}, _re("half_mark_steps"))
      for v in (D("0.1"), D("1.2"), D("2.9"))),
    # leaderboard_entries
    *(Bad("leaderboard_entries", {"month": v}, _lb("month_is_first_day"))
      for v in (date(2025, 4, 2), date(2025, 4, 30), date(2025, 12, 31))),
    *(Bad("leaderboard_entries", {"student_class": v}, _lb("student_class_valid"))
      for v in ("XI", "x", "")),
    *(Bad("leaderboard_entries", {"rank": v}, _lb("rank_positive")) for v in (0, -1)),
    *(Bad("leaderboard_entries", {"score": v}, _lb("score_is_percentage"))
      for v in (D("-0.01"), D("100.01"), D("250"))),
    *(Bad("leaderboard_entries", {"exams_counted": v}, _lb("exams_counted_positive"))
      for v in (0, -2)),
    *(Bad("leaderboard_entries", {"display_name": v}, _lb("display_name_not_blank"))
      for v in ("", "   ")),
    # analytics_snapshots
    *(Bad("analytics_snapshots", {"subject_kind": v}, _an("subject_kind_known"))
      for v in ("", "parent", "admin", "Student")),
    *(Bad("analytics_snapshots", {"payload": v}, _an("payload_is_object"))
      for v in ([], [{"exams": 2}], "exams", 2, True)),
]  # fmt: skip

GOOD_PRODUCT: list[Good] = [
    *(Good("account_tokens", {"purpose": p}, (_tok("purpose_known"),)) for p in TOKEN_PURPOSES),
    *(Good("account_tokens", {"token_hash": v}, (_tok("token_hash_hex"),))
      for v in (HEX, "0" * 64, "f" * 64)),
    Good("account_tokens", {"expires_at": TOKEN_ISSUED + TICK},
         (_tok("expires_after_created"),)),
    # Spent at the instant it was issued; an unspent token (NULL) passes as well.
    *(Good("account_tokens", {"used_at": v}, (_tok("used_after_created"),))
      for v in (TOKEN_ISSUED, TOKEN_ISSUED + timedelta(minutes=59), None)),
    Good("payments", {"provider_payment_id": "p"}, (_pay("provider_payment_id_not_blank"),)),
    Good("payments", {"invoice_number": "M"}, (_pay("invoice_number_not_blank"),)),
    Good("payments", _split("0.01", "0.01", "0"),
         (_pay("amount_positive"), _pay("parts_non_negative"), _pay("parts_add_up"))),
    Good("payments", _split("0.01", "0", "0.01"),
         (_pay("amount_positive"), _pay("parts_non_negative"), _pay("parts_add_up"))),
    Good("payments", _split("14999.00", "12711.02", "2287.98"), (_pay("parts_add_up"),)),
    # evaluations: a claim exactly while held, a tick after the assignment at the earliest.
    *(Good("evaluations", {"status": s, "claim_expires_at": None}, (_ev("claim_iff_held"),))
      for s in ("pending", "completed", "cancelled")),
    Good("evaluations", {"status": "assigned", "claim_expires_at": EVALUATION_ASSIGNED + TICK},
         (_ev("claim_iff_held"), _ev("claim_after_assignment"))),
    Good("evaluations", {"status": "in_progress", "claim_expires_at": EVALUATION_STARTED},
         (_ev("claim_iff_held"), _ev("claim_after_assignment"))),
    # reevaluation_requests
    *(Good("reevaluation_requests", {"question_number": v}, (_re("question_number_range"),))
      for v in (1, 100)),
    *(Good("reevaluation_requests", {"status": s}, (_re("status_known"),))
      for s in REEVALUATION_STATUSES),
    *(Good("reevaluation_requests", {"reason": v},
           (_re("reason_length"), _re("reason_not_blank")))
      for v in ("x", " x ", "x" * 1000)),
    Good("reevaluation_requests", {"student_role": "student", "teacher_role": "teacher"},
         (_re("requester_is_student"), _re("marker_is_teacher"))),
    # Waiting for a teacher other than the first marker; or the first marker's account is gone.
    Good("reevaluation_requests", {"teacher_user_id": None},
         (_re("different_teacher"), _re("completed_by_a_teacher"))),
    Good("reevaluation_requests", {"original_teacher_user_id": None}, (_re("different_teacher"),)),
    Good("reevaluation_requests", {"sla_deadline": REEVALUATION_REQUESTED + TICK},
         (_re("deadline_after_request"),)),
    Good("reevaluation_requests", {"status": "requested", "completed_at": None,
                                   "marks_after": None}, (_re("completed_with_marks"),)),
    Good("reevaluation_requests", COMPLETED | {"completed_at": REEVALUATION_REQUESTED},
         (_re("completed_with_marks"), _re("completed_after_request"),
          _re("completed_by_a_teacher"))),
    *(Good("reevaluation_requests", {"marks_before": v}, (_re("marks_before_range"),))
      for v in (D(0), OUT_OF)),
    *(Good("reevaluation_requests", COMPLETED | {"marks_after": v},
           (_re("marks_after_range"), _re("half_mark_steps")))
      for v in (D(0), D("1.5"), OUT_OF)),
    # leaderboard_entries
    *(Good("leaderboard_entries", {"month": v}, (_lb("month_is_first_day"),))
      for v in (date(2025, 4, 1), date(2026, 1, 1))),
    *(Good("leaderboard_entries", {"student_class": v}, (_lb("student_class_valid"),))
      for v in ("X", "XII")),
    *(Good("leaderboard_entries", {"rank": v}, (_lb("rank_positive"),)) for v in (1, 250)),
    *(Good("leaderboard_entries", {"score": v}, (_lb("score_is_percentage"),))
      for v in (D("0.00"), D("100.00"), D("33.33"))),
    Good("leaderboard_entries", {"exams_counted": 1}, (_lb("exams_counted_positive"),)),
    Good("leaderboard_entries", {"display_name": "A"}, (_lb("display_name_not_blank"),)),
    # analytics_snapshots
    *(Good("analytics_snapshots", {"subject_kind": k}, (_an("subject_kind_known"),))
      for k in ANALYTICS_SUBJECTS),
    *(Good("analytics_snapshots", {"payload": v}, (_an("payload_is_object"),))
      for v in ({}, {"flags": [], "drift": None})),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_PRODUCT, ids=[case_id(b) for b in BAD_PRODUCT])
async def test_a_row_breaking_a_named_check_is_refused_by_that_check(
    db_session: AsyncSession, bad: Bad
) -> None:
    await assert_refused_by_check(db_session, bad)


@pytest.mark.parametrize("good", GOOD_PRODUCT, ids=[case_id(g) for g in GOOD_PRODUCT])
async def test_a_row_at_the_edge_of_its_checks_is_kept_as_given(
    db_session: AsyncSession, good: Good
) -> None:
    await assert_kept_as_given(db_session, good)
