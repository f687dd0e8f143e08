"""The adaptive app's tables: seed 004's eleven (migration 0008), the sync engine's
(migration 0015) and the fitted mastery model's (0016), one set of models for PostgreSQL
(schema `adaptive`) and the local SQLite database (created from these models, the seed's
`init_db.py` path; `local.py`).
docs/adaptive.md explains every column.

Tables marked `SERVER_ONLY` (the change log, the device register, the epoch, the fitted
mastery model's parameters and offsets) exist only on PostgreSQL; the device's own
bookkeeping (`sync_state`) only on SQLite (`local.py`).

Portable by construction: string enums with CHECKs, `Uuid`, `UTCDateTime`, `JSONDocument`,
`StringList` (see `types.py`); constraints SQLite also enforces (CHECK, UNIQUE, foreign keys
with `PRAGMA foreign_keys=ON`).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lyceum.adaptive.enums import (
    PlanEventKind,
    QuestionKind,
    StudyPlanStatus,
    SyncOperationKind,
    SyncStatus,
    UserRole,
)
from lyceum.adaptive.types import JSONDocument, StringList, UTCDateTime
from lyceum.core.db.base import Base
from lyceum.core.db.columns import string_enum

SCHEMA = "adaptive"


class AdaptiveBase(DeclarativeBase):
    """The adaptive app's class registry over the platform's one MetaData (`User`, `Question`
    recur across apps)."""

    metadata = Base.metadata
    type_annotation_map = {datetime: UTCDateTime()}


def _enum(enum_class: type[enum.StrEnum], name: str) -> SAEnum:
    return string_enum(enum_class, name, length=20)


def _fk(target: str, ondelete: str = "CASCADE") -> Any:
    return ForeignKey(f"{SCHEMA}.{target}", ondelete=ondelete)


def _id() -> Mapped[uuid.UUID]:
    # Made by the client (uuid4/uuid7): rows written offline need their key before any
    # server sees them, and the same key on both databases.
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


def _created_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), nullable=False, server_default=func.now())


def _updated_at() -> Mapped[datetime]:
    return mapped_column(
        UTCDateTime(), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class User(AdaptiveBase):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_username", "username", unique=True),
        Index("ix_users_email", "email", unique=True),
        CheckConstraint("length(username) BETWEEN 3 AND 50", name="username_length"),
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    username: Mapped[str] = mapped_column(String(50), nullable=False)
    # What the account signs in with (the platform's sign-in takes an email); stored
    # lower-cased. Null for an account that cannot sign in.
    email: Mapped[str | None] = mapped_column(String(320))
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class Class(AdaptiveBase):
    """A teacher's class; its members are the student profiles pointing at it."""

    __tablename__ = "classes"
    __table_args__ = (
        UniqueConstraint("teacher_id", "name"),
        CheckConstraint("grade BETWEEN 1 AND 12", name="grade_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    grade: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # A teacher with classes is deactivated, not deleted.
    teacher_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, _fk("users.id", "RESTRICT"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = _created_at()


class StudentProfile(AdaptiveBase):
    __tablename__ = "student_profiles"
    __table_args__ = (
        CheckConstraint("grade BETWEEN 1 AND 12", name="grade_range"),
        CheckConstraint("available_hours_per_week BETWEEN 0 AND 168", name="available_hours_range"),
        CheckConstraint("target_marks BETWEEN 0 AND 100", name="target_marks_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("users.id"), nullable=False, unique=True)
    grade: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    exam_date: Mapped[date | None] = mapped_column(Date)
    available_hours_per_week: Mapped[float] = mapped_column(Float, nullable=False)
    # The mark (out of 100) the student aims for; teachers see who falls short of it.
    target_marks: Mapped[float | None] = mapped_column(Float)
    # Leaving a class keeps the student.
    class_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, _fk("classes.id", "SET NULL"), index=True
    )
    # Topic codes the student asked to focus on.
    focus_topics: Mapped[list[str]] = mapped_column(StringList(), nullable=False, default=list)
    # The hybrid logical clock of the last write of each field a device may change
    # (`exam_date`, `available_hours_per_week`): last writer wins, field by field
    # (`sync/clock.py`).
    field_clocks: Mapped[dict[str, str]] = mapped_column(
        JSONDocument, nullable=False, default=dict, server_default=text("'{}'")
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class Topic(AdaptiveBase):
    __tablename__ = "topics"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("syllabus_weightage BETWEEN 0 AND 100", name="weightage_range"),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
        CheckConstraint("grade BETWEEN 1 AND 12", name="grade_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    code: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # A unit's chapters go with it.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, _fk("topics.id"), index=True)
    grade: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # Percentage of the grade's exam this topic carries.
    syllabus_weightage: Mapped[float] = mapped_column(Float, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class TopicPrerequisite(AdaptiveBase):
    """`prerequisite_id` must be learnt before `topic_id`. No self-loops (CHECK); cycles are
    refused by a trigger on PostgreSQL (migration 0008) and by `repository` on SQLite."""

    __tablename__ = "topic_prerequisites"
    __table_args__ = (
        CheckConstraint("topic_id <> prerequisite_id", name="no_self_loop"),
        {"schema": SCHEMA},
    )

    topic_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("topics.id"), primary_key=True)
    prerequisite_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, _fk("topics.id"), primary_key=True, index=True
    )


class Concept(AdaptiveBase):
    __tablename__ = "concepts"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("difficulty BETWEEN 0 AND 1", name="difficulty_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    topic_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("topics.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    difficulty: Mapped[float] = mapped_column(Float, nullable=False, server_default="0.5")


class Question(AdaptiveBase):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("discrimination > 0", name="discrimination_positive"),
        CheckConstraint("difficulty BETWEEN -4 AND 4", name="difficulty_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    concept_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, _fk("concepts.id"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(50), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "question_kind"), nullable=False)
    # The four options of an MCQ (null for numeric answers).
    options: Mapped[list[str] | None] = mapped_column(StringList())
    correct_answer: Mapped[str] = mapped_column(String(200), nullable=False)
    # Item-response parameters: difficulty b (logits) and discrimination a.
    difficulty: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    discrimination: Mapped[float] = mapped_column(Float, nullable=False, server_default="1")
    explanation: Mapped[str | None] = mapped_column(Text)


class QuestionAttempt(AdaptiveBase):
    __tablename__ = "question_attempts"
    __table_args__ = (
        Index("idx_attempts_student_timestamp", "student_id", "attempted_at"),
        # One attempt per queued operation: replaying an upload cannot duplicate it.
        UniqueConstraint("sync_operation_id"),
        CheckConstraint("time_taken_seconds >= 0", name="time_taken_non_negative"),
        CheckConstraint("confidence BETWEEN 1 AND 5", name="confidence_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    student_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("users.id"), nullable=False)
    # Questions with attempts are retired, not deleted (the history stays scoreable).
    question_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, _fk("questions.id", "RESTRICT"), nullable=False, index=True
    )
    answer: Mapped[str] = mapped_column(String(200), nullable=False)
    is_correct: Mapped[bool] = mapped_column(Boolean, nullable=False)
    time_taken_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    # Self-reported, 1 (guess) to 5 (sure).
    confidence: Mapped[int | None] = mapped_column(SmallInteger)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    device_id: Mapped[str] = mapped_column(String(100), nullable=False)
    # The offline operation that recorded it (null for attempts made online).
    sync_operation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class ConceptMastery(AdaptiveBase):
    __tablename__ = "concept_mastery"
    __table_args__ = (
        Index("idx_mastery_student_concept", "student_id", "concept_id", unique=True),
        CheckConstraint("mastery BETWEEN 0 AND 1", name="mastery_range"),
        CheckConstraint("correct_count BETWEEN 0 AND attempts_count", name="counts_consistent"),
        CheckConstraint("confidence BETWEEN 0 AND 1", name="confidence_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    student_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("users.id"), nullable=False)
    concept_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, _fk("concepts.id"), nullable=False, index=True
    )
    # P(mastered) just after the last attempt (knowledge tracing; forgetting applies from
    # last_practiced_at on), and how sure the model is of it (mastery/bkt.py: confidence).
    mastery: Mapped[float] = mapped_column(Float, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    attempts_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    correct_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_practiced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = _updated_at()


class StudyPlan(AdaptiveBase):
    __tablename__ = "study_plans"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        Index("ix_study_plans_student_id_status", "student_id", "status"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    student_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("users.id"), nullable=False)
    status: Mapped[StudyPlanStatus] = mapped_column(
        _enum(StudyPlanStatus, "study_plan_status"),
        nullable=False,
        server_default=StudyPlanStatus.DRAFT.value,
    )
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    # Day by day: [{"date": "2026-12-01", "concept_codes": [...], "minutes": 45, "items":
    # [{"concept_code", "concept_name", "minutes", "kind", "expected_gain", "reason"}]}, ...].
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, nullable=False)
    topic_codes: Mapped[list[str]] = mapped_column(StringList(), nullable=False, default=list)
    generated_at: Mapped[datetime] = _created_at()
    # What the plan promises: the sum of weightage times P(mastered on the exam date) with it,
    # and with the weightage-only plan at the same hours; how it was made; what it was made for.
    expected_marks: Mapped[float | None] = mapped_column(Float)
    baseline_marks: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(200))
    exam_date: Mapped[date | None] = mapped_column(Date)
    hours_per_week: Mapped[float | None] = mapped_column(Float)


# Not created on the device's SQLite database (local.py): the server's own tables.
SERVER_ONLY = {"server_only": True}


class ConceptMasteryParams(AdaptiveBase):
    """Knowledge-tracing parameters fitted per concept by EM (`lyceum adaptive fit`); a
    concept without a row uses mastery/bkt.py's DEFAULT_PARAMS."""

    __tablename__ = "concept_mastery_params"
    __table_args__ = (
        *(
            CheckConstraint(f"{name} BETWEEN 0 AND 1", name=f"{name}_range")
            for name in ("p_init", "p_learn", "guess_mcq", "guess_numeric", "slip")
        ),
        CheckConstraint("forget_per_day BETWEEN 0 AND 1", name="forget_per_day_range"),
        CheckConstraint("attempts_used >= 0 AND students_used >= 0", name="counts_positive"),
        {"schema": SCHEMA, "info": SERVER_ONLY},
    )

    concept_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("concepts.id"), primary_key=True)
    p_init: Mapped[float] = mapped_column(Float, nullable=False)
    p_learn: Mapped[float] = mapped_column(Float, nullable=False)
    forget_per_day: Mapped[float] = mapped_column(Float, nullable=False)
    guess_mcq: Mapped[float] = mapped_column(Float, nullable=False)
    guess_numeric: Mapped[float] = mapped_column(Float, nullable=False)
    slip: Mapped[float] = mapped_column(Float, nullable=False)
    attempts_used: Mapped[int] = mapped_column(Integer, nullable=False)
    students_used: Mapped[int] = mapped_column(Integer, nullable=False)
    log_likelihood: Mapped[float] = mapped_column(Float, nullable=False)
    fitted_at: Mapped[datetime] = _created_at()


# The individualised model's offsets are logits; the fit's ridge priors keep them within about
# ±3, so ±6 (a factor of ~400 in odds) only rejects garbage.
_OFFSET_BOUND = 6


def _offset_range(name: str) -> CheckConstraint:
    return CheckConstraint(f"{name} BETWEEN -{_OFFSET_BOUND} AND {_OFFSET_BOUND}",
                           name=f"{name}_range")  # fmt: skip


class MasteryStudentOffsets(AdaptiveBase):
    """A student's offset in the individualised model (`mastery/individual.py`, fitted by
    `lyceum adaptive fit`): `prior_offset` moves P(L) before their first attempt at any
    concept (ability lives in P(L); there is no per-student answer offset, see that module).
    A student without a row: zero (plain BKT)."""

    __tablename__ = "mastery_student_offsets"
    __table_args__ = (
        _offset_range("prior_offset"),
        CheckConstraint("attempts_used >= 0", name="attempts_used_positive"),
        {"schema": SCHEMA, "info": SERVER_ONLY},
    )

    student_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("users.id"), primary_key=True)
    prior_offset: Mapped[float] = mapped_column(Float, nullable=False)
    attempts_used: Mapped[int] = mapped_column(Integer, nullable=False)
    fitted_at: Mapped[datetime] = _created_at()


class MasteryQuestionOffsets(AdaptiveBase):
    """A question's answer offset in the individualised model (a hard question is missed more
    often, known or not). A question without a row: zero."""

    __tablename__ = "mastery_question_offsets"
    __table_args__ = (
        _offset_range("answer_offset"),
        CheckConstraint("attempts_used >= 0", name="attempts_used_positive"),
        {"schema": SCHEMA, "info": SERVER_ONLY},
    )

    question_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("questions.id"), primary_key=True)
    answer_offset: Mapped[float] = mapped_column(Float, nullable=False)
    attempts_used: Mapped[int] = mapped_column(Integer, nullable=False)
    fitted_at: Mapped[datetime] = _created_at()


class SyncOperation(AdaptiveBase):
    """The offline queue (seed 004's `sync_operations`): one row per local write, committed
    in the same SQLite transaction as the write itself."""

    __tablename__ = "sync_operations"
    __table_args__ = (
        Index(
            "idx_sync_pending",
            "created_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_sync_operations_student_id_status", "student_id", "status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint(
            "(status = 'completed') = (synced_at IS NOT NULL)", name="synced_at_iff_completed"
        ),
        {"schema": SCHEMA},
    )

    # The operation id: made on the device, globally unique and stable across retries, so
    # the server can apply an operation at most once.
    id: Mapped[uuid.UUID] = _id()
    device_id: Mapped[str] = mapped_column(String(100), nullable=False)
    # The student whose data it is: on a device, the device's student; on the server, the
    # signed-in student who pushed it (the ledger is read per class by teachers).
    student_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    entity_type: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    operation: Mapped[SyncOperationKind] = mapped_column(
        _enum(SyncOperationKind, "sync_operation_kind"), nullable=False
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    status: Mapped[SyncStatus] = mapped_column(
        _enum(SyncStatus, "sync_status"), nullable=False, server_default=SyncStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Server only: when a teacher or admin asked the device to send a rejected operation
    # again (its cause fixed); the device's next pull carries the request.
    retry_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StudyPlanEvent(AdaptiveBase):
    """Progress on a study plan, as the student's devices record it: append-only facts
    (never updated, never merged), deduplicated by id like attempts."""

    __tablename__ = "study_plan_events"
    __table_args__ = (
        Index("ix_study_plan_events_student_id_occurred_at", "student_id", "occurred_at"),
        UniqueConstraint("sync_operation_id"),
        CheckConstraint("minutes BETWEEN 0 AND 1440", name="minutes_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = _id()
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, _fk("study_plans.id"), nullable=False, index=True
    )
    student_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("users.id"), nullable=False)
    kind: Mapped[PlanEventKind] = mapped_column(
        _enum(PlanEventKind, "plan_event_kind"), nullable=False
    )
    # The plan day and the concept the event is about (null: the whole day).
    day: Mapped[date] = mapped_column(Date, nullable=False)
    concept_code: Mapped[str | None] = mapped_column(String(50))
    minutes: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    device_id: Mapped[str] = mapped_column(String(100), nullable=False)
    sync_operation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


# ---- server only: the change feed devices pull from -------------------------------------


class ChangeLog(AdaptiveBase):
    """One row per change of a row devices hold, written by statement triggers (migration
    0015) under a transaction-scoped advisory lock, so `seq` order is commit order and a
    reader never sees seq n+1 before n. `student_id` null: every device's (the knowledge
    graph and questions). A pull sends each entity's current state, so older rows of the
    same entity may be compacted away."""

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_student_id_seq", "student_id", "seq"),
        Index("ix_change_log_shared_seq", "seq", postgresql_where=text("student_id IS NULL")),
        Index("ix_change_log_entity", "entity_type", "entity_id", "seq"),
        {"schema": SCHEMA, "info": SERVER_ONLY},
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    student_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = _created_at()


class SyncDevice(AdaptiveBase):
    """What the server knows of each device: when it last pushed and pulled, its cursor, and
    the queue it reported (operations waiting, dead letters) — what teachers see."""

    __tablename__ = "sync_devices"
    __table_args__ = (
        CheckConstraint("pending_operations >= 0", name="pending_non_negative"),
        CheckConstraint("dead_letters >= 0", name="dead_letters_non_negative"),
        {"schema": SCHEMA, "info": SERVER_ONLY},
    )

    student_id: Mapped[uuid.UUID] = mapped_column(Uuid, _fk("users.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cursor: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    pending_operations: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    dead_letters: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    operations_applied: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class SyncServer(AdaptiveBase):
    """One row: the change log's epoch. A device whose epoch differs (the data was
    regenerated) drops what it pulled and pulls from the start."""

    __tablename__ = "sync_server"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        {"schema": SCHEMA, "info": SERVER_ONLY},
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    epoch: Mapped[uuid.UUID] = mapped_column(
        Uuid, nullable=False, server_default=text("gen_random_uuid()")
    )


__all__ = [
    "SCHEMA",
    "SERVER_ONLY",
    "AdaptiveBase",
    "ChangeLog",
    "Class",
    "Concept",
    "ConceptMastery",
    "ConceptMasteryParams",
    "MasteryQuestionOffsets",
    "MasteryStudentOffsets",
    "Question",
    "QuestionAttempt",
    "StudentProfile",
    "StudyPlan",
    "StudyPlanEvent",
    "SyncDevice",
    "SyncOperation",
    "SyncServer",
    "Topic",
    "TopicPrerequisite",
    "User",
]
