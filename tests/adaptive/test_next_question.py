"""The next question: outer fringe, the 70-85 % band, review every fourth question of the day,
recent questions avoided, today's plan first, None without questions (pure, no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lyceum.adaptive.mastery.bkt import DEFAULT_PARAMS, MasteryState
from lyceum.adaptive.planning.next_question import (
    BAND,
    NextQuestionRequest,
    QuestionOption,
    RecentAnswer,
    choose_next_question,
)
from lyceum.adaptive.planning.types import ConceptInput

NOW = datetime(2026, 1, 20, 15, 0, tzinfo=UTC)


def concept(code: str, p: float, *, prerequisites: tuple[str, ...] = (), attempts: int = 5,
            practised: datetime | None = NOW, marks: float = 2.0) -> ConceptInput:  # fmt: skip
    return ConceptInput(
        code=code, name=f"Concept {code}", topic_code="T", marks=marks,
        prerequisites=prerequisites, params=DEFAULT_PARAMS,
        state=MasteryState(p_mastered=p, attempts_count=attempts, correct_count=attempts // 2,
                           last_practiced_at=practised if attempts else None),
    )  # fmt: skip


def question(code: str, difficulty: float = 0.0, kind: str = "mcq", n: int = 0) -> QuestionOption:
    name = f"{code}/{difficulty}/{kind}/{n}"
    return QuestionOption(uuid.uuid5(uuid.NAMESPACE_URL, name), code, kind, difficulty)


def ask(concepts: list[ConceptInput], questions: list[QuestionOption],
        recent: list[RecentAnswer] | None = None, planned: tuple[str, ...] = ()
        ) -> NextQuestionRequest:  # fmt: skip
    return NextQuestionRequest(NOW, tuple(concepts), tuple(questions), tuple(recent or ()),
                               planned)  # fmt: skip


def test_only_concepts_whose_prerequisites_are_mastered_are_new() -> None:
    # B needs A; A is at 0.5, so B is blocked and A (on the fringe) is served.
    a, b = concept("A", 0.5), concept("B", 0.3, prerequisites=("A",), attempts=0)
    choice = choose_next_question(ask([a, b], [question("A"), question("B")]))
    assert choice is not None and choice.concept_code == "A" and choice.mode == "practice"
    # Once A is mastered (≥ 0.8, < 0.95 stays on the fringe too), B, never tried, is new; with
    # A at 0.97 B is the only fringe concept.
    a_done = concept("A", 0.97)
    choice = choose_next_question(ask([a_done, b], [question("A"), question("B")]))
    assert choice is not None and choice.concept_code == "B" and choice.mode == "new"
    assert choice.reason.startswith("New: Concept B — its prerequisites are mastered")
    assert choice.reason.endswith("right.")


def test_the_question_closest_to_the_success_band_is_chosen() -> None:
    # P(L) 0.75, MCQ: the concept's average question predicts 0.75·0.9 + 0.25·0.25 ≈ 0.74.
    # An easy one (1.5 logits below the mean) predicts more than 0.85, a hard one less.
    c = concept("A", 0.75)
    easy, middle, hard = question("A", -1.5), question("A", 0.0), question("A", 1.5)
    choice = choose_next_question(ask([c], [easy, hard, middle]))
    assert choice is not None and choice.question_id == middle.question_id
    assert BAND[0] <= choice.predicted_success <= BAND[1]
    # A weak concept (P(L) 0.3): the easiest question gets closest to the band.
    weak = concept("A", 0.3)
    choice = choose_next_question(ask([weak], [easy, hard, middle]))
    assert choice is not None and choice.question_id == easy.question_id
    assert choice.predicted_success < BAND[0]


def test_numeric_questions_predict_lower_success_than_mcqs() -> None:
    c = concept("A", 0.9)
    mcq, numeric = question("A", 0.0, "mcq"), question("A", 0.0, "numeric")
    choice = choose_next_question(ask([c], [mcq, numeric]))
    # At P(L) 0.9 an MCQ predicts 0.835 (in the band), a numeric one 0.815: both in, so the
    # tie-breaks decide deterministically; check the predictions through single-kind banks.
    assert choice is not None
    only_mcq = choose_next_question(ask([c], [mcq]))
    only_numeric = choose_next_question(ask([c], [numeric]))
    assert only_mcq is not None and only_numeric is not None
    assert only_numeric.predicted_success < only_mcq.predicted_success


def answers_today(count: int, code: str = "A") -> list[RecentAnswer]:
    return [
        RecentAnswer(uuid.uuid4(), code, NOW - timedelta(minutes=5 * (k + 1)), True)
        for k in range(count)
    ]


def test_every_fourth_question_of_the_day_reviews_a_decaying_concept() -> None:
    fringe = concept("A", 0.6)
    # Mastered (0.97) at its last practice 30 days ago: decayed to 0.97·e^-0.15 ≈ 0.83 < 0.9.
    fading = concept("R", 0.97, practised=NOW - timedelta(days=30))
    bank = [question("A"), question("R")]
    for already in (0, 1, 2, 4, 5):
        choice = choose_next_question(ask([fringe, fading], bank, answers_today(already)))
        assert choice is not None and choice.mode != "review", already
    for already in (3, 7):
        choice = choose_next_question(ask([fringe, fading], bank, answers_today(already)))
        assert choice is not None and choice.mode == "review" and choice.concept_code == "R"
        assert choice.reason.startswith("Review: Concept R")
    # Answers from yesterday do not count toward today's turn.
    yesterday = [RecentAnswer(a.question_id, "A", a.answered_at - timedelta(days=1), True)
                 for a in answers_today(3)]  # fmt: skip
    choice = choose_next_question(ask([fringe, fading], bank, yesterday))
    assert choice is not None and choice.mode != "review"
    # A recently practised mastered concept is not decaying: no review even on the turn.
    fresh = concept("R", 0.97, practised=NOW - timedelta(days=1))
    choice = choose_next_question(ask([fringe, fresh], bank, answers_today(3)))
    assert choice is not None and choice.concept_code == "A"


def test_a_question_answered_in_the_last_day_is_avoided() -> None:
    c = concept("A", 0.75)
    # Relative to their mean, `best` predicts ≈ 0.83 (in the band), `other` ≈ 0.59.
    best, other = question("A", 0.0), question("A", 2.0)
    recent = [RecentAnswer(best.question_id, "A", NOW - timedelta(hours=1), True)]
    choice = choose_next_question(ask([c], [best, other], recent))
    assert choice is not None and choice.question_id == other.question_id
    # Answered two days ago: no longer avoided.
    old = [RecentAnswer(best.question_id, "A", NOW - timedelta(days=2), True)]
    choice = choose_next_question(ask([c], [best, other], old))
    assert choice is not None and choice.question_id == best.question_id
    # Every question answered lately: the one answered longest ago.
    both = [RecentAnswer(other.question_id, "A", NOW - timedelta(minutes=5), False),
            RecentAnswer(best.question_id, "A", NOW - timedelta(hours=2), True)]  # fmt: skip
    choice = choose_next_question(ask([c], [best, other], both))
    assert choice is not None and choice.question_id == best.question_id


def test_todays_planned_concepts_come_first() -> None:
    a, b = concept("A", 0.75), concept("B", 0.4)
    bank = [question("A"), question("B")]
    assert choose_next_question(ask([a, b], bank)).concept_code == "A"  # type: ignore[union-attr]
    planned = choose_next_question(ask([a, b], bank, planned=("B",)))
    assert planned is not None and planned.concept_code == "B"


def test_nothing_to_ask_gives_none_and_all_mastered_falls_back_to_practice() -> None:
    assert choose_next_question(ask([concept("A", 0.5)], [])) is None
    # Questions of concepts the request does not carry are ignored.
    assert choose_next_question(ask([concept("A", 0.5)], [question("Z")])) is None
    done = concept("A", 0.99)
    choice = choose_next_question(ask([done], [question("A")]))
    assert choice is not None and choice.mode == "practice"
    assert "nothing new is open" in choice.reason


def test_the_choice_is_deterministic() -> None:
    concepts = [concept(code, 0.5 + 0.05 * k) for k, code in enumerate("ABCDE")]
    bank = [question(code, d, kind, n) for code in "ABCDE" for n, (d, kind) in
            enumerate([(-0.5, "mcq"), (0.0, "numeric"), (0.5, "mcq")])]  # fmt: skip
    first = choose_next_question(ask(concepts, bank))
    assert first is not None
    for _ in range(3):
        assert choose_next_question(ask(concepts, list(reversed(bank)))) == first


def test_a_fitted_question_offset_replaces_the_authored_difficulty() -> None:
    # Same authored difficulty; the fit found one question much harder than the other. At
    # P(L) 0.75 the easy-fitted one predicts inside the band, the hard-fitted one far below.
    c = concept("A", 0.75)
    fitted_hard = QuestionOption(uuid.uuid4(), "A", "mcq", 0.0, fitted_offset=-2.0)
    fitted_easy = QuestionOption(uuid.uuid4(), "A", "mcq", 0.0, fitted_offset=0.3)
    choice = choose_next_question(ask([c], [fitted_hard, fitted_easy]))
    assert choice is not None and choice.question_id == fitted_easy.question_id
    assert BAND[0] <= choice.predicted_success <= BAND[1]
    alone = choose_next_question(ask([c], [fitted_hard]))
    assert alone is not None and alone.predicted_success < 0.5
    # Unfitted, the two would predict the same (the authored difficulty is the same).
    plain = [QuestionOption(q.question_id, "A", "mcq", 0.0) for q in (fitted_hard, fitted_easy)]
    p = {choose_next_question(ask([c], [q])).predicted_success for q in plain}  # type: ignore[union-attr]
    assert len(p) == 1
