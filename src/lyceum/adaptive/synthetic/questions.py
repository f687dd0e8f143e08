"""The question bank: a fixed number of questions per concept from its chapter's family.

About 60 % are four-option MCQs (the answer and three plausible wrong answers, shuffled), the
rest numeric-entry. IRT parameters: difficulty b (logits, on the concept's mastery scale) is
centred on the concept's syllabus difficulty, b ~ N(1.6·(d - 0.5), 0.6), a little higher for
numeric entry, which cannot be guessed; discrimination a ~ lognormal(log 1.1, 0.3) in
[0.4, 2.5].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.adaptive.synthetic.graph import KnowledgeGraph
from lyceum.adaptive.synthetic.problems import FAMILIES


@dataclass(frozen=True)
class QuestionBank:
    rows: list[dict[str, Any]]
    # Aligned with rows; question k of concept c is row c * per_concept + k.
    per_concept: int
    concept: npt.NDArray[np.int64]
    is_mcq: npt.NDArray[np.bool_]
    difficulty: npt.NDArray[np.float64]
    discrimination: npt.NDArray[np.float64]
    correct_answer: npt.NDArray[np.str_]
    # Three wrong answers per question (the MCQ distractors, or typical slips when numeric).
    wrong_answers: npt.NDArray[np.str_]


def build_bank(graph: KnowledgeGraph, per_concept: int, rng: np.random.Generator) -> QuestionBank:
    rows: list[dict[str, Any]] = []
    concept_index: list[int] = []
    wrong: list[list[str]] = []
    for c, concept in enumerate(graph.concepts):
        family = FAMILIES[concept["topic_code"]]
        seen: set[str] = set()
        for k in range(per_concept):
            text, answer, wrongs = family(rng)
            # Small parameter ranges can repeat a problem; retry a few times for variety.
            for _ in range(5):
                if text not in seen:
                    break
                text, answer, wrongs = family(rng)
            seen.add(text)
            is_mcq = bool(rng.random() < 0.6)
            options = None
            if is_mcq:
                options = [answer, *wrongs]
                order = rng.permutation(4)
                options = [options[int(i)] for i in order]
            b = rng.normal(1.6 * (concept["difficulty"] - 0.5), 0.6) + (0.0 if is_mcq else 0.3)
            a = float(np.clip(rng.lognormal(np.log(1.1), 0.3), 0.4, 2.5))
            rows.append(
                {
                    "code": f"{concept['code']}.Q{k + 1:02d}",
                    "concept_code": concept["code"],
                    "text": f"{concept['name']}: {text}",
                    "question_type": "mcq" if is_mcq else "numeric",
                    "options": options,
                    "correct_answer": answer,
                    "difficulty": round(float(b), 3),
                    "discrimination": round(a, 3),
                }
            )
            concept_index.append(c)
            wrong.append(wrongs)
    return QuestionBank(
        rows=rows,
        per_concept=per_concept,
        concept=np.array(concept_index, dtype=np.int64),
        is_mcq=np.array([row["question_type"] == "mcq" for row in rows]),
        difficulty=np.array([row["difficulty"] for row in rows]),
        discrimination=np.array([row["discrimination"] for row in rows]),
        correct_answer=np.array([row["correct_answer"] for row in rows]),
        wrong_answers=np.array(wrong),
    )
