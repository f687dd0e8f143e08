"""Named CHECKs of the account and system tables, each proven by a row PostgreSQL refuses
(named by that CHECK) and a row at its edge that it keeps as given.

Tables: users, parent_student_mappings, subscription_plans, subscriptions, audit_logs,
holidays, system_config. The exam-side tables are in test_constraints_checks_exams.py;
test_constraints_coverage.py checks that the two lists together name every CHECK.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.mathvidya.rows import (
    ARGON2ID_HASH,
    CANCELLED,
    PERIOD_START,
    SUBSCRIBED,
    Bad,
    Good,
    New,
    Same,
    assert_kept_as_given,
    assert_refused_by_check,
    case_id,
)

TICK = timedelta(microseconds=1)
SOMEONE = uuid.UUID("00000000-0000-4000-8000-000000000001")


def _users(rule: str) -> str:
    return f"ck_users_{rule}"


BAD_ACCOUNTS: list[Bad] = [
    # users
    *(Bad("users", o, _users("student_class_by_role"))
      for o in ({"student_class": "XI"}, {"student_class": "x"}, {"student_class": ""},
                {"student_class": None},
                {"role": "teacher", "student_class": "X"},
                {"role": "parent", "student_class": "XII"})),
    Bad("users", {"email": "Asha@Example.com"}, _users("email_lowercase")),
    *(Bad("users", {"email": bad}, _users("email_format"))
      for bad in ("asha.example.com", "asha@example", "asha @example.com", "asha@exa@mple.com",
                  "@example.com", "asha@.com", "asha@example.com ", "asha@example.")),
    *(Bad("users", {"password_hash": bad}, _users("password_hash_argon2id"))
      for bad in ("hunter2", "$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                  "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
                  ARGON2ID_HASH.upper(), " " + ARGON2ID_HASH)),
    *(Bad("users", {"first_name": bad}, _users("first_name_not_blank")) for bad in ("", "   ")),
    *(Bad("users", {"last_name": bad}, _users("last_name_not_blank")) for bad in ("", "   ")),
    *(Bad("users", {"phone": bad}, _users("phone_format"))
      for bad in ("98765 43210", "987654321", "+91-9876543210", "98765432a0", "++919876543210",
                  "", "1234567890123456")),
    Bad("users", {"deleted_at": SUBSCRIBED}, _users("deleted_is_inactive")),
    Bad("users", {"deleted_at": SUBSCRIBED, "is_active": True}, _users("deleted_is_inactive")),
    # parent_student_mappings: a self-mapping also fails a role-typed key (one user cannot be
    # both parent and student), but CHECKs run before foreign keys, so the CHECK names it.
    Bad("parent_student_mappings", {"student_user_id": New("student"),
                                    "parent_user_id": Same("student_user_id")},
        "ck_parent_student_mappings_no_self_mapping"),
    *(Bad("parent_student_mappings", {"parent_role": bad},
          "ck_parent_student_mappings_parent_is_parent") for bad in ("student", "teacher")),
    *(Bad("parent_student_mappings", {"student_role": bad},
          "ck_parent_student_mappings_student_is_student") for bad in ("parent", "admin")),
    # subscription_plans (the row's plan_type collides with a seeded plan: CHECKs run first)
    *(Bad("subscription_plans", {"exams_per_month": v},
          "ck_subscription_plans_exams_per_month_range") for v in (0, 1001, -5)),
    *(Bad("subscription_plans", {"sla_hours": v}, "ck_subscription_plans_sla_hours_range")
      for v in (0, 169)),
    *(Bad("subscription_plans", {"annual_price_inr": v},
          "ck_subscription_plans_annual_price_positive")
      for v in (Decimal("0"), Decimal("-0.01"))),
    *(Bad("subscription_plans", {"features": v}, "ck_subscription_plans_features_is_object")
      for v in ([], "basic", 1, [{"highlights": []}])),
    *(Bad("subscription_plans", {"display_name": v},
          "ck_subscription_plans_display_name_not_blank") for v in ("", "  ")),
    # subscriptions
    *(Bad("subscriptions", {"user_role": bad}, "ck_subscriptions_holder_is_student")
      for bad in ("parent", "teacher")),
    *(Bad("subscriptions", {"ends_at": v}, "ck_subscriptions_period_ordered")
      for v in (PERIOD_START, PERIOD_START - TICK, PERIOD_START - timedelta(days=365))),
    *(Bad("subscriptions", {"exams_per_month": v}, "ck_subscriptions_exams_per_month_range")
      for v in (0, 1001)),
    *(Bad("subscriptions", {"sla_hours": v}, "ck_subscriptions_sla_hours_range")
      for v in (0, 169)),
    # The seeded basic plan allows 5 exams a month.
    *(Bad("subscriptions", {"exams_used_this_month": v}, "ck_subscriptions_usage_within_quota")
      for v in (-1, 6)),
    *(Bad("subscriptions", {"usage_month": v}, "ck_subscriptions_usage_month_first_day")
      for v in (date(2025, 4, 2), date(2025, 4, 30), date(2025, 3, 31))),
    Bad("subscriptions", {"amount_paid_inr": Decimal("-0.01")},
        "ck_subscriptions_amount_paid_non_negative"),
    Bad("subscriptions", {"status": "cancelled", "cancelled_at": None},
        "ck_subscriptions_cancelled_at_iff_cancelled"),
    *(Bad("subscriptions", {"status": status, "cancelled_at": CANCELLED},
          "ck_subscriptions_cancelled_at_iff_cancelled")
      for status in ("active", "expired", "pending")),
    Bad("subscriptions", {"status": "cancelled", "cancelled_at": SUBSCRIBED - TICK},
        "ck_subscriptions_cancelled_after_created"),
    # audit_logs
    *(Bad("audit_logs", {"action": bad}, "ck_audit_logs_action_format")
      for bad in ("Exam.submitted", "exam", "exam..submitted", "exam.submitted.", ".exam",
                  "exam.9lives", "exam-x.submitted", "exam.submitted now")),
    *(Bad("audit_logs", {"entity_type": bad}, "ck_audit_logs_entity_type_format")
      for bad in ("ExamInstance", "exam-instance", "1exam", "", "exam.instance")),
    *(Bad("audit_logs", {"details": bad}, "ck_audit_logs_details_is_object")
      for bad in ([], "submitted", 1, [{"before": 1}])),
    Bad("audit_logs", {"actor_user_id": SOMEONE}, "ck_audit_logs_actor_role_iff_actor"),
    Bad("audit_logs", {"actor_role": "admin"}, "ck_audit_logs_actor_role_iff_actor"),
    # holidays
    *(Bad("holidays", {"holiday_date": v}, "ck_holidays_date_plausible")
      for v in (date(1999, 12, 31), date(2101, 1, 1))),
    *(Bad("holidays", {"name": v}, "ck_holidays_name_not_blank") for v in ("", "   ")),
    # system_config
    *(Bad("system_config", {"config_key": bad}, "ck_system_config_config_key_format")
      for bad in ("SLA.hours", "sla", "sla.", ".sla", "sla.working-hours", "sla hours.start",
                  "1sla.hours")),
    *(Bad("system_config", {"description": v}, "ck_system_config_description_not_blank")
      for v in ("", "  ")),
]  # fmt: skip

GOOD_ACCOUNTS: list[Good] = [
    *(Good("users", {"role": role, "student_class": level}, (_users("student_class_by_role"),))
      for role, level in (("student", "X"), ("student", "XII"), ("teacher", None),
                          ("parent", None), ("admin", None))),
    *(Good("users", {"email": email}, (_users("email_format"), _users("email_lowercase")))
      for email in ("a@b.c", "o'brien+mv@mail.example.co.in", "élève@exemple.fr")),
    *(Good("users", {"password_hash": v}, (_users("password_hash_argon2id"),))
      for v in ("$argon2id$", ARGON2ID_HASH)),
    Good("users", {"first_name": "A", "last_name": "B"},
         (_users("first_name_not_blank"), _users("last_name_not_blank"))),
    *(Good("users", {"phone": v}, (_users("phone_format"),))
      for v in ("9876543210", "+123456789012345", "+919876543210", None)),
    Good("users", {"deleted_at": SUBSCRIBED, "is_active": False}, (_users("deleted_is_inactive"),)),
    Good("users", {"is_active": False, "deleted_at": None}, (_users("deleted_is_inactive"),)),
    Good("parent_student_mappings", {"relationship_type": "guardian", "is_primary_contact": True,
                                     "parent_role": "parent", "student_role": "student"},
         ("ck_parent_student_mappings_no_self_mapping",
          "ck_parent_student_mappings_parent_is_parent",
          "ck_parent_student_mappings_student_is_student")),
    *(Good("subscription_plans", {"exams_per_month": v},
           ("ck_subscription_plans_exams_per_month_range",)) for v in (1, 1000)),
    *(Good("subscription_plans", {"sla_hours": v}, ("ck_subscription_plans_sla_hours_range",))
      for v in (1, 168)),
    Good("subscription_plans", {"annual_price_inr": Decimal("0.01")},
         ("ck_subscription_plans_annual_price_positive",)),
    *(Good("subscription_plans", {"features": v}, ("ck_subscription_plans_features_is_object",))
      for v in ({}, {"highlights": ["x"], "priority_support": True})),
    Good("subscription_plans", {"display_name": "B"},
         ("ck_subscription_plans_display_name_not_blank",)),
    Good("subscriptions", {"user_role": "student"}, ("ck_subscriptions_holder_is_student",)),
    Good("subscriptions", {"ends_at": PERIOD_START + TICK}, ("ck_subscriptions_period_ordered",)),
    *(Good("subscriptions", {"exams_per_month": v, "exams_used_this_month": v},
           ("ck_subscriptions_exams_per_month_range", "ck_subscriptions_usage_within_quota"))
      for v in (1, 1000)),
    Good("subscriptions", {"exams_used_this_month": 0}, ("ck_subscriptions_usage_within_quota",)),
    *(Good("subscriptions", {"sla_hours": v}, ("ck_subscriptions_sla_hours_range",))
      for v in (1, 168)),
    *(Good("subscriptions", {"usage_month": v}, ("ck_subscriptions_usage_month_first_day",))
      for v in (date(2025, 12, 1), date(2024, 2, 1))),
    Good("subscriptions", {"amount_paid_inr": Decimal("0")},
         ("ck_subscriptions_amount_paid_non_negative",)),
    Good("subscriptions", {"status": "cancelled", "cancelled_at": SUBSCRIBED},
         ("ck_subscriptions_cancelled_at_iff_cancelled",
          "ck_subscriptions_cancelled_after_created")),
    Good("subscriptions", {"status": "expired", "cancelled_at": None},
         ("ck_subscriptions_cancelled_at_iff_cancelled",)),
    *(Good("audit_logs", {"action": v}, ("ck_audit_logs_action_format",))
      for v in ("a.b", "evaluation.sla_breached", "subscription.plan.changed", "exam2.v2")),
    *(Good("audit_logs", {"entity_type": v}, ("ck_audit_logs_entity_type_format",))
      for v in ("e", "exam_instance", "question2")),
    *(Good("audit_logs", {"details": v}, ("ck_audit_logs_details_is_object",))
      for v in ({}, {"before": {"status": "draft"}, "after": None})),
    Good("audit_logs", {"actor_user_id": SOMEONE, "actor_role": "teacher"},
         ("ck_audit_logs_actor_role_iff_actor",)),
    Good("audit_logs", {"actor_user_id": None, "actor_role": None},
         ("ck_audit_logs_actor_role_iff_actor",)),
    *(Good("holidays", {"holiday_date": v}, ("ck_holidays_date_plausible",))
      for v in (date(2000, 1, 1), date(2100, 12, 31))),
    Good("holidays", {"name": "Onam"}, ("ck_holidays_name_not_blank",)),
    *(Good("system_config", {"config_key": v}, ("ck_system_config_config_key_format",))
      for v in ("a.b", "sla.reminder_hours_before", "upload.max_size_mb")),
    Good("system_config", {"description": "x"}, ("ck_system_config_description_not_blank",)),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_ACCOUNTS, ids=[case_id(b) for b in BAD_ACCOUNTS])
async def test_a_row_breaking_a_named_check_is_refused_by_that_check(
    db_session: AsyncSession, bad: Bad
) -> None:
    await assert_refused_by_check(db_session, bad)


@pytest.mark.parametrize("good", GOOD_ACCOUNTS, ids=[case_id(g) for g in GOOD_ACCOUNTS])
async def test_a_row_at_the_edge_of_its_checks_is_kept_as_given(
    db_session: AsyncSession, good: Good
) -> None:
    await assert_kept_as_given(db_session, good)
