"""The question bank: every chapter of classes X and XII, each CBSE question type, three
difficulties, made from the chapter's templates.

- MCQ (1 mark): the problem with its answer and three distinct wrong answers, shuffled into
  options A-D; about one in seven is an assertion-reason item (CBSE's four fixed options).
- VSA (2) and SA (3): one problem; the worked steps become the marking scheme.
- LA (5): two parts, (a) 2 marks and (b) 3; every third LA is case-based (4 marks: a short
  situation and parts (i) 1, (ii) 1, (iii) 2).

Every problem text is used once in the bank, so no two questions (nor two parts) repeat.
Beside the active questions each chapter has a draft (and every other chapter one under
review), and about 3% of codes have an archived version 1 behind an active version 2 (the
first version's answer key or marking scheme was revised).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from random import Random
from typing import Any

from lyceum.mathvidya.curriculum import SYLLABUS
from lyceum.mathvidya.enums import (
    MCQ_OPTIONS,
    QuestionDifficulty,
    QuestionStatus,
    QuestionType,
)
from lyceum.mathvidya.synthetic.catalog import (
    AS_OF,
    CASE_FRAMES,
    CHAPTER_CODES,
    SOURCE,
    MathvidyaScale,
    new_id,
    slug,
    stream,
)
from lyceum.mathvidya.synthetic.problem import Problem, Template
from lyceum.mathvidya.synthetic.problems_x_algebra import TEMPLATES as X_ALGEBRA
from lyceum.mathvidya.synthetic.problems_x_geometry import TEMPLATES as X_GEOMETRY
from lyceum.mathvidya.synthetic.problems_x_measure import TEMPLATES as X_MEASURE
from lyceum.mathvidya.synthetic.problems_xii_algebra import TEMPLATES as XII_ALGEBRA
from lyceum.mathvidya.synthetic.problems_xii_areas import TEMPLATES as XII_AREAS
from lyceum.mathvidya.synthetic.problems_xii_calculus import TEMPLATES as XII_CALCULUS
from lyceum.mathvidya.synthetic.problems_xii_vectors import TEMPLATES as XII_VECTORS

TEMPLATES: dict[str, dict[str, tuple[Template, ...]]] = {
    "X": {**X_ALGEBRA, **X_GEOMETRY, **X_MEASURE},
    "XII": {**XII_ALGEBRA, **XII_CALCULUS, **XII_AREAS, **XII_VECTORS},
}
TYPES = (QuestionType.MCQ, QuestionType.VSA, QuestionType.SA, QuestionType.LA)
DIFFICULTIES = (QuestionDifficulty.EASY, QuestionDifficulty.MEDIUM, QuestionDifficulty.HARD)
# 40% easy, 40% medium, 20% hard, interleaved so that small counts still mix them.
DIFFICULTY_CYCLE = (0, 1, 2, 1, 0)
# MCQs number 5, 12, 19... of a chapter are assertion-reason (where its templates allow).
ASSERTION_EVERY = 7
ASSERTION_SLOT = 4
CASE_EVERY = 3
ARCHIVED_SHARE = 0.03
ASSERTION_OPTIONS = (
    "Both Assertion (A) and Reason (R) are true and R is the correct explanation of A.",
    "Both Assertion (A) and Reason (R) are true but R is not the correct explanation of A.",
    "Assertion (A) is true but Reason (R) is false.",
    "Assertion (A) is false but Reason (R) is true.",
)
ATTEMPTS = 60
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class BankQuestion:
    id: uuid.UUID
    question_code: str
    version: int
    class_level: str
    unit: str
    chapter: str
    topic: str
    question_type: QuestionType
    difficulty: QuestionDifficulty
    status: QuestionStatus
    marks: int
    question_text: str
    mcq_choices: list[dict[str, str]] | None
    correct_option: str | None
    model_answer: str | None
    marking_scheme: list[dict[str, Any]] | None
    explanation: str | None
    tags: list[str]
    created_by_user_id: uuid.UUID
    reviewed_by_user_id: uuid.UUID | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # Not stored: which template(s) made it, and its answer (MCQ: the correct option's text).
    template: str = ""
    answer: str = ""
    assertion_reason: bool = False
    case_based: bool = False

    def row(self, times_used: int = 0) -> dict[str, Any]:
        """The `questions` row."""
        return {
            "id": self.id,
            "question_code": self.question_code,
            "version": self.version,
            "class_level": self.class_level,
            "unit": self.unit,
            "chapter": self.chapter,
            "topic": self.topic,
            "question_type": self.question_type,
            "difficulty": self.difficulty,
            "status": self.status,
            "marks": self.marks,
            "question_text": self.question_text,
            "question_image_key": None,
            "mcq_choices": self.mcq_choices,
            "correct_option": self.correct_option,
            "model_answer": self.model_answer,
            "marking_scheme": self.marking_scheme,
            "explanation": self.explanation,
            "tags": self.tags,
            "source": SOURCE,
            "created_by_user_id": self.created_by_user_id,
            "reviewed_by_user_id": self.reviewed_by_user_id,
            "reviewed_at": self.reviewed_at,
            "times_used": times_used,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def allocate(steps: Sequence[str], marks: int, label: str = "") -> list[dict[str, Any]]:
    """Marking-scheme steps worth `marks` in all: consecutive steps merged when there are more
    steps than marks, otherwise the later (harder) steps carry the extra marks."""
    prefix = f"({label}) " if label else ""
    if len(steps) > marks:
        size, extra = divmod(len(steps), marks)
        groups, start = [], 0
        for index in range(marks):
            end = start + size + (index < extra)
            groups.append(" ".join(steps[start:end]))
            start = end
        return [{"step": prefix + text, "marks": 1} for text in groups]
    base, extra = divmod(marks, len(steps))
    return [
        {"step": prefix + text, "marks": base + (index >= len(steps) - extra)}
        for index, text in enumerate(steps)
    ]


def wrong_answers(problem: Problem, count: int = 3) -> list[str]:
    """`count` distinct wrong answers: the template's distractors, then (if those collide)
    the answer with its last integer nudged."""
    chosen: list[str] = []
    for candidate in problem.distractors:
        if candidate != problem.answer and candidate not in chosen:
            chosen.append(candidate)
    matches = list(_INTEGER.finditer(problem.answer))
    delta = 1
    while len(chosen) < count and matches and delta < 50:
        last = matches[-1]
        for nudged in (int(last.group()) + delta, int(last.group()) - delta):
            candidate = problem.answer[: last.start()] + str(nudged) + problem.answer[last.end() :]
            if candidate != problem.answer and candidate not in chosen:
                chosen.append(candidate)
        delta += 1
    if len(chosen) < count:
        raise ValueError(f"not enough wrong answers for {problem.text!r}")
    return chosen[:count]


@dataclass
class _Chapter:
    rng: Random
    class_level: str
    unit: str
    chapter: str
    templates: tuple[Template, ...]
    teachers: Sequence[uuid.UUID]
    seen: set[str]
    counters: dict[QuestionType, int] = field(default_factory=dict)
    rotation: int = 0
    # The templates that can state an assertion-reason pair.
    assertion_templates: tuple[Template, ...] = field(init=False)

    def __post_init__(self) -> None:
        probe = Random(0)  # noqa: S311 - reproducible data, no secrets
        self.assertion_templates = tuple(
            t for t in self.templates if t.make(probe, 0).assertion_ready
        )

    def draw(self, level: int, assertion: bool = False) -> tuple[Template, Problem]:
        pool = self.assertion_templates if assertion else self.templates
        start, self.rotation = self.rotation, self.rotation + 1
        for tried in sorted(range(3), key=lambda other: abs(other - level)):
            for attempt in range(ATTEMPTS):
                template = pool[(start + attempt) % len(pool)]
                problem = template.make(self.rng, tried)
                if problem.text not in self.seen:
                    self.seen.add(problem.text)
                    return template, problem
        raise RuntimeError(f"{self.class_level} {self.chapter}: templates ran out of new problems")

    def code(self, kind: QuestionType) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        chapter = CHAPTER_CODES[self.chapter]
        return f"{self.class_level}-{chapter}-{kind.value}-{self.counters[kind]:03d}"

    def question(
        self,
        kind: QuestionType,
        level: int,
        status: QuestionStatus,
        created_at: datetime,
        parts: dict[str, Any],
    ) -> BankQuestion:
        author = self.rng.choice(self.teachers)
        reviewed = status in (QuestionStatus.ACTIVE, QuestionStatus.ARCHIVED)
        reviewer = self.rng.choice([t for t in self.teachers if t != author]) if reviewed else None
        reviewed_at = created_at + timedelta(days=self.rng.uniform(1, 15)) if reviewed else None
        tags = [f"class-{self.class_level.lower()}", slug(self.chapter), slug(parts["topic"])]
        if parts.get("assertion_reason"):
            tags.append("assertion-reason")
        if parts.get("case_based"):
            tags.append("case-based")
        return BankQuestion(
            id=new_id(self.rng),
            question_code=self.code(kind),
            version=1,
            class_level=self.class_level,
            unit=self.unit,
            chapter=self.chapter,
            question_type=kind,
            difficulty=DIFFICULTIES[level],
            status=status,
            tags=tags,
            created_by_user_id=author,
            reviewed_by_user_id=reviewer,
            reviewed_at=reviewed_at,
            created_at=created_at,
            updated_at=reviewed_at or created_at,
            **parts,
        )

    def mcq(self, index: int, level: int) -> dict[str, Any]:
        assertion = bool(self.assertion_templates) and index % ASSERTION_EVERY == ASSERTION_SLOT
        template, problem = self.draw(level, assertion)
        explanation = " ".join(problem.steps)
        paired = assertion and problem.assertion_ready
        if paired and problem.claim and problem.rule and problem.false_rule:
            variant = self.rng.choice("ACD")
            shown = wrong_answers(problem, 1)[0] if variant == "D" else problem.answer
            reason = problem.false_rule if variant == "C" else problem.rule
            text = f"Assertion (A): {problem.claim.format(shown)}\nReason (R): {reason}"
            options, correct = list(ASSERTION_OPTIONS), variant
            explanation = {
                "A": f"A is true (the answer is {problem.answer}) and R is the fact it rests on.",
                "C": f"A is true, but R is false; in fact: {problem.rule}",
                "D": f"A is false (the answer is {problem.answer}, not {shown}); R is true.",
            }[variant] + f" {explanation}"
        else:
            text = problem.text
            options = [problem.answer, *wrong_answers(problem)]
            self.rng.shuffle(options)
            correct = MCQ_OPTIONS[options.index(problem.answer)]
        return {
            "topic": problem.topic,
            "marks": 1,
            "question_text": text,
            "mcq_choices": [
                {"key": k, "text": t} for k, t in zip(MCQ_OPTIONS, options, strict=True)
            ],
            "correct_option": correct,
            "model_answer": None,
            "marking_scheme": None,
            "explanation": explanation,
            "template": template.key,
            "answer": options[MCQ_OPTIONS.index(correct)],
            "assertion_reason": paired,
        }

    def short(self, marks: int, level: int) -> dict[str, Any]:
        template, problem = self.draw(level)
        return {
            "topic": problem.topic,
            "marks": marks,
            "question_text": problem.text,
            "mcq_choices": None,
            "correct_option": None,
            "model_answer": "\n".join(problem.steps) + f"\nAnswer: {problem.answer}",
            "marking_scheme": allocate(problem.steps, marks),
            "explanation": None,
            "template": template.key,
            "answer": problem.answer,
        }

    def long(self, index: int, level: int) -> dict[str, Any]:
        case_based = index % CASE_EVERY == CASE_EVERY - 1
        labels, shares = (("i", "ii", "iii"), (1, 1, 2)) if case_based else (("a", "b"), (2, 3))
        drawn = [self.draw(level) for _ in labels]
        lines = [
            f"({label}) {problem.text}" for label, (_, problem) in zip(labels, drawn, strict=True)
        ]
        if case_based:
            frame = CASE_FRAMES[index // CASE_EVERY % len(CASE_FRAMES)]
            lines.insert(0, frame.format(topic=self.chapter.lower()))
        scheme = [
            step
            for label, share, (_, problem) in zip(labels, shares, drawn, strict=True)
            for step in allocate(problem.steps, share, label)
        ]
        return {
            "topic": drawn[0][1].topic,
            "marks": sum(shares),
            "question_text": "\n".join(lines),
            "mcq_choices": None,
            "correct_option": None,
            "model_answer": "\n".join(
                f"({label}) {' '.join(problem.steps)} Answer: {problem.answer}"
                for label, (_, problem) in zip(labels, drawn, strict=True)
            ),
            "marking_scheme": scheme,
            "explanation": None,
            "template": "+".join(template.key for template, _ in drawn),
            "answer": "; ".join(
                f"({label}) {problem.answer}"
                for label, (_, problem) in zip(labels, drawn, strict=True)
            ),
            "case_based": case_based,
        }

    def content(self, kind: QuestionType, index: int, level: int) -> dict[str, Any]:
        if kind is QuestionType.MCQ:
            return self.mcq(index, level)
        if kind is QuestionType.LA:
            return self.long(index, level)
        return self.short(2 if kind is QuestionType.VSA else 3, level)


def _days_before(rng: Random, latest: float, earliest: float) -> datetime:
    return AS_OF - timedelta(days=rng.uniform(latest, earliest))


def _archived_first_version(chapter: _Chapter, current: BankQuestion) -> BankQuestion:
    """Version 1 of `current`'s code: same question, with the answer key (MCQ) or the marking
    scheme (written) that review later corrected."""
    created = _days_before(chapter.rng, 740, 880)
    reviewed = created + timedelta(days=chapter.rng.uniform(1, 10))
    changes: dict[str, Any] = {}
    if current.question_type is QuestionType.MCQ and current.correct_option:
        others = [k for k in MCQ_OPTIONS if k != current.correct_option]
        changes["correct_option"] = chapter.rng.choice(others)
    else:
        changes["marking_scheme"] = [{"step": "Correct final answer", "marks": current.marks}]
    return replace(
        current,
        **changes,
        id=new_id(chapter.rng),
        version=1,
        status=QuestionStatus.ARCHIVED,
        created_at=created,
        reviewed_at=reviewed,
        updated_at=current.created_at,
    )


def build_bank(
    scale: MathvidyaScale, seed: int, teachers: Sequence[uuid.UUID]
) -> list[BankQuestion]:
    """The whole bank, chapter by chapter (each chapter its own random stream)."""
    if len(teachers) < 2:
        raise ValueError("the bank needs at least two teachers (author and reviewer)")
    questions: list[BankQuestion] = []
    chapter_index = 0
    for class_level, units in SYLLABUS.items():
        seen: set[str] = set()
        for unit in units:
            for chapter_name in unit.chapters:
                chapter = _Chapter(
                    rng=stream(seed, f"bank:{class_level}:{chapter_name}"),
                    class_level=class_level,
                    unit=unit.name,
                    chapter=chapter_name,
                    templates=TEMPLATES[class_level][chapter_name],
                    teachers=teachers,
                    seen=seen,
                )
                for kind, count in zip(TYPES, scale.per_chapter, strict=True):
                    for index in range(count):
                        level = DIFFICULTY_CYCLE[(index + chapter_index) % len(DIFFICULTY_CYCLE)]
                        created = _days_before(chapter.rng, 360, 720)
                        question = chapter.question(
                            kind, level, QuestionStatus.ACTIVE, created,
                            chapter.content(kind, index, level),
                        )  # fmt: skip
                        if chapter.rng.random() < ARCHIVED_SHARE:
                            first = _archived_first_version(chapter, question)
                            question = replace(question, version=2)
                            questions.append(first)
                        questions.append(question)
                pending = [(QuestionType.MCQ, QuestionStatus.DRAFT)]
                if chapter_index % 2 == 0:
                    pending.append((QuestionType.SA, QuestionStatus.UNDER_REVIEW))
                for kind, status in pending:
                    level = chapter.rng.randrange(3)
                    created = _days_before(chapter.rng, 1, 30)
                    questions.append(
                        chapter.question(
                            kind, level, status, created, chapter.content(kind, 0, level)
                        )
                    )
                chapter_index += 1
    return questions


__all__ = [
    "ASSERTION_OPTIONS",
    "TEMPLATES",
    "BankQuestion",
    "allocate",
    "build_bank",
    "wrong_answers",
]
