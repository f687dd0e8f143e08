"""Mathvidya's fifteen tables in schema `mathvidya`, one file per group as in seed 003's
"Database Models": enums, user, mapping, subscription, question, exam_template,
exam_instance, evaluation, system. docs/mathvidya.md explains every column and constraint.
"""

from lyceum.mathvidya.enums import (
    EvaluationStatus,
    ExamStatus,
    ExamType,
    PlanType,
    QuestionDifficulty,
    QuestionStatus,
    QuestionType,
    RelationshipType,
    SubscriptionStatus,
    UserRole,
)
from lyceum.mathvidya.models.account import AccountToken
from lyceum.mathvidya.models.base import SCHEMA, MathvidyaBase
from lyceum.mathvidya.models.evaluation import Evaluation, QuestionMark, ReevaluationRequest
from lyceum.mathvidya.models.exam_instance import (
    AnswerSheetUpload,
    ExamInstance,
    StudentMCQAnswer,
    UnansweredQuestion,
)
from lyceum.mathvidya.models.exam_template import ExamTemplate
from lyceum.mathvidya.models.mapping import ParentStudentMapping
from lyceum.mathvidya.models.payment import Payment
from lyceum.mathvidya.models.question import Question
from lyceum.mathvidya.models.standing import AnalyticsSnapshot, LeaderboardEntry
from lyceum.mathvidya.models.subscription import Subscription, SubscriptionPlan
from lyceum.mathvidya.models.system import AuditLog, Holiday, SystemConfig
from lyceum.mathvidya.models.user import User

# The fifteen tables in seed 003's order (its "Tables Created" list).
TABLE_NAMES: tuple[str, ...] = (
    "users",
    "parent_student_mappings",
    "subscription_plans",
    "subscriptions",
    "questions",
    "exam_templates",
    "exam_instances",
    "student_mcq_answers",
    "answer_sheet_uploads",
    "unanswered_questions",
    "evaluations",
    "question_marks",
    "audit_logs",
    "holidays",
    "system_config",
)
# Tables the product added beyond the seed's fifteen: account tokens, payments (issue 15);
# re-evaluation requests, leaderboards, analytics snapshots (issue 16).
PRODUCT_TABLE_NAMES: tuple[str, ...] = (
    "account_tokens",
    "payments",
    "reevaluation_requests",
    "leaderboard_entries",
    "analytics_snapshots",
)

__all__ = [
    "PRODUCT_TABLE_NAMES",
    "SCHEMA",
    "TABLE_NAMES",
    "AccountToken",
    "AnalyticsSnapshot",
    "AnswerSheetUpload",
    "AuditLog",
    "Evaluation",
    "EvaluationStatus",
    "ExamInstance",
    "ExamStatus",
    "ExamTemplate",
    "ExamType",
    "Holiday",
    "LeaderboardEntry",
    "MathvidyaBase",
    "ParentStudentMapping",
    "Payment",
    "PlanType",
    "Question",
    "QuestionDifficulty",
    "QuestionMark",
    "QuestionStatus",
    "QuestionType",
    "ReevaluationRequest",
    "RelationshipType",
    "StudentMCQAnswer",
    "Subscription",
    "SubscriptionPlan",
    "SubscriptionStatus",
    "SystemConfig",
    "UnansweredQuestion",
    "User",
    "UserRole",
]
