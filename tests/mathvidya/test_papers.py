"""The paper-assembly algorithm (`lyceum.mathvidya.papers`), pure: counts, marks, unit
weightage, difficulty mix, freshness, determinism and the shortage message."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lyceum.mathvidya.curriculum import SYLLABUS
from lyceum.mathvidya.papers import (
    BankShortage,
    Blueprint,
    Candidate,
    Paper,
    SectionSpec,
    TemplateConfigError,
    assemble,
    blueprint_from_config,
    interval,
)
from lyceum.mathvidya.synthetic.papers import BOARD_SECTIONS, UNIT_SECTIONS

BOARD = {
    "sections": [dict(s) for s in BOARD_SECTIONS],
    "unit_weightage": {unit.name: unit.marks for unit in SYLLABUS["XII"]},
}
KINDS = {"MCQ": (1,), "VSA": (2,), "SA": (3,), "LA": (4, 5)}
DIFFICULTIES = ("easy", "medium", "hard")


def _bank(
    units: dict[str, int], per_kind: int = 10, rng: random.Random | None = None
) -> list[Candidate]:
    """`per_kind` questions of each (type, marks) per unit, each chapter two per unit."""
    rng = rng or random.Random(7)
    bank = []
    for unit in units:
        for kind, marks_options in KINDS.items():
            for marks in marks_options:
                for i in range(per_kind):
                    bank.append(
                        Candidate(
                            id=uuid.UUID(int=rng.getrandbits(128)),
                            unit=unit,
                            chapter=f"{unit} chapter {i % 2}",
                            question_type=kind,
                            difficulty=DIFFICULTIES[i % 3],
                            marks=marks,
                            times_used=rng.randrange(5),
                            assertion_reason=kind == "MCQ" and i % 7 == 4,
                        )
                    )
    return bank


XII_BANK = _bank({unit.name: unit.marks for unit in SYLLABUS["XII"]})


def _check_paper(blueprint: Blueprint, paper: Paper) -> None:
    """The invariants every paper keeps: each section's count and marks, numbering, no
    question twice, units within their interval."""
    questions = paper.questions
    assert [q.number for q in questions] == list(range(1, blueprint.question_count + 1))
    assert len({q.question.id for q in questions}) == len(questions)
    for section in blueprint.sections:
        mine = [q.question for q in questions if q.section == section.name]
        assert len(mine) == section.count
        assert all(q.question_type == section.question_type for q in mine)
        assert all(q.marks == section.marks_each for q in mine)
    assert sum(q.question.marks for q in questions) == blueprint.total_marks
    if blueprint.unit_targets:
        assert paper.tolerance is not None
        for unit, target in blueprint.unit_targets.items():
            low, high = interval(target, paper.tolerance)
            assert low <= paper.unit_marks.get(unit, 0) <= high, (unit, paper.unit_marks)
        assert set(paper.unit_marks) <= set(blueprint.unit_targets)


def test_the_board_paper_meets_the_blueprint_exactly() -> None:
    blueprint = blueprint_from_config(BOARD)
    for seed in range(20):
        paper = assemble(blueprint, XII_BANK, seed, class_level="XII")
        _check_paper(blueprint, paper)
        assert paper.tolerance == 0
        assert dict(paper.unit_marks) == {u.name: u.marks for u in SYLLABUS["XII"]}
        assert len(paper.questions) == 38
        # Sections A-E in order, numbered 1-38.
        assert [q.section for q in paper.questions] == [
            s["name"] for s in BOARD_SECTIONS for _ in range(s["count"])
        ]


def test_the_difficulty_mix_follows_the_template() -> None:
    blueprint = blueprint_from_config(
        {**BOARD, "difficulty_mix": {"easy": 30, "medium": 50, "hard": 20}}
    )
    paper = assemble(blueprint, XII_BANK, 3)
    # 38 questions: 11.4 / 19 / 7.6 → 11, 19, 8 (largest remainder).
    assert paper.difficulty == {"easy": 11, "medium": 19, "hard": 8}
    hard_heavy = blueprint_from_config({**BOARD, "difficulty_mix": {"hard": 1}})
    assert assemble(hard_heavy, XII_BANK, 3).difficulty.get("hard", 0) >= 30


def test_assertion_reason_items_close_section_a() -> None:
    paper = assemble(blueprint_from_config(BOARD), XII_BANK, 11)
    section_a = [q.question for q in paper.questions if q.section == "A"]
    assert [q.assertion_reason for q in section_a[-2:]] == [True, True]
    assert sum(q.assertion_reason for q in section_a) == 2


def test_the_same_seed_gives_the_same_paper_whatever_the_row_order() -> None:
    blueprint = blueprint_from_config(BOARD)
    shuffled = list(XII_BANK)
    random.Random(1).shuffle(shuffled)
    first = assemble(blueprint, XII_BANK, 12345)
    again = assemble(blueprint, shuffled, 12345)
    assert [q.question.id for q in first.questions] == [q.question.id for q in again.questions]
    other = assemble(blueprint, XII_BANK, 12346)
    assert [q.question.id for q in other.questions] != [q.question.id for q in first.questions]


def test_recently_seen_questions_are_avoided_while_the_bank_allows() -> None:
    blueprint = blueprint_from_config(BOARD)
    first = assemble(blueprint, XII_BANK, 1)
    seen = {q.question.id for q in first.questions}
    second = assemble(blueprint, XII_BANK, 1, recent=seen)
    assert second.repeated == 0
    assert not seen & {q.question.id for q in second.questions}
    _check_paper(blueprint, second)


def test_a_bank_too_small_for_fresh_papers_repeats_the_least_recently_seen() -> None:
    sections = (SectionSpec("A", "MCQ", 4, 1),)
    blueprint = Blueprint(sections=sections, unit_targets={"Algebra": 4.0}, units=("Algebra",))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    bank = [
        Candidate(uuid.UUID(int=i + 1), "Algebra", "Matrices", "MCQ", "medium", 1) for i in range(6)
    ]
    # All six were seen; the two seen longest ago are questions 5 and 6.
    seen_at = {c.id: now - timedelta(days=10 - i) for i, c in enumerate(bank)}
    seen_at[bank[4].id] = now - timedelta(days=90)
    seen_at[bank[5].id] = now - timedelta(days=60)
    bank = [
        Candidate(c.id, c.unit, c.chapter, c.question_type, c.difficulty, c.marks,
                  last_seen=seen_at[c.id])
        for c in bank
    ]  # fmt: skip
    # None is fresh: the paper still has 4 questions (never shorter), the four seen
    # longest ago.
    paper = assemble(blueprint, bank, 5, recent={c.id for c in bank})
    assert len(paper.questions) == 4
    assert paper.repeated == 4
    chosen = {q.question.id for q in paper.questions}
    oldest_four = sorted(bank, key=lambda c: seen_at[c.id])[:4]
    assert chosen == {c.id for c in oldest_four}
    # With two fresh questions, both are used and only two repeat.
    fresh_recent = {c.id for c in bank[:4]}
    mixed = assemble(blueprint, bank, 5, recent=fresh_recent)
    assert {bank[4].id, bank[5].id} <= {q.question.id for q in mixed.questions}
    assert mixed.repeated == 2


def test_less_used_questions_come_up_more_often() -> None:
    sections = (SectionSpec("A", "MCQ", 1, 1),)
    blueprint = Blueprint(sections=sections)
    fresh = Candidate(uuid.UUID(int=1), "Algebra", "Matrices", "MCQ", "medium", 1, times_used=0)
    worn = Candidate(uuid.UUID(int=2), "Algebra", "Matrices", "MCQ", "medium", 1, times_used=9)
    picks = Counter(assemble(blueprint, [fresh, worn], seed).questions[0].question.id
                    for seed in range(400))  # fmt: skip
    # Weights 1 and 1/10: the fresh one wins about 10 times in 11.
    assert picks[fresh.id] > 300
    assert picks[worn.id] > 0


def test_the_shortage_names_section_unit_and_type() -> None:
    sections = tuple(SectionSpec(**{**s, "assertion_reason": 0}) for s in _pattern(UNIT_SECTIONS))
    blueprint = blueprint_from_config(
        {"sections": [dict(s) for s in UNIT_SECTIONS], "unit_weightage": {"Calculus": 20}},
        ["Calculus"],
    )
    assert blueprint.sections == sections
    bank = [c for c in _bank({"Calculus": 20}) if c.question_type != "SA"]
    bank += [Candidate(uuid.uuid4(), "Calculus", "Integrals", "SA", "easy", 3) for _ in range(1)]
    with pytest.raises(BankShortage) as raised:
        assemble(blueprint, bank, 1, class_level="XII")
    message = raised.value.message
    assert "section C needs 2 SA questions of 3 marks" in message
    assert "the bank has 1 active ones for class XII" in message
    assert "1 short" in message
    [shortfall] = raised.value.shortfalls
    assert (shortfall.section, shortfall.question_type, shortfall.short) == ("C", "SA", 1)


def test_a_unit_that_cannot_reach_its_marks_is_named() -> None:
    blueprint = blueprint_from_config(BOARD)
    # Calculus (35 marks) has only 2 SA and 1 of each other kind: at most 2*3+2+1+4+5 = 18.
    bank = [c for c in XII_BANK if c.unit != "Calculus"]
    for kind, marks, count in (("MCQ", 1, 1), ("VSA", 2, 1), ("SA", 3, 2), ("LA", 5, 1),
                               ("LA", 4, 1)):  # fmt: skip
        bank += [
            Candidate(uuid.uuid4(), "Calculus", "Integrals", kind, "easy", marks)
            for _ in range(count)
        ]
    with pytest.raises(BankShortage) as raised:
        assemble(blueprint, bank, 1, class_level="XII")
    message = raised.value.message
    assert "section C needs 6 SA questions of 3 marks; unit 'Calculus' should give" in message
    assert "and has 2 active for class XII" in message
    calculus_c = [f for f in raised.value.shortfalls if f.unit == "Calculus" and f.section == "C"]
    assert calculus_c and calculus_c[0].available == 2
    assert calculus_c[0].short == calculus_c[0].needed - 2 > 0


def test_a_malformed_config_is_refused_with_its_reason() -> None:
    with pytest.raises(TemplateConfigError, match="no sections"):
        blueprint_from_config({"sections": []})
    with pytest.raises(TemplateConfigError, match="section B's count"):
        blueprint_from_config({"sections": [{"name": "B", "question_type": "SA", "count": 0,
                                             "marks_each": 3}]})  # fmt: skip


def test_chosen_units_narrow_the_weightage() -> None:
    config = {"sections": [dict(s) for s in UNIT_SECTIONS],
              "unit_weightage": {"Algebra": 10, "Calculus": 30}}  # fmt: skip
    narrowed = blueprint_from_config(config, ["Algebra", "Calculus"], ["Calculus"])
    assert dict(narrowed.unit_targets) == {"Calculus": 20.0}
    both = blueprint_from_config(config, ["Algebra", "Calculus"])
    assert dict(both.unit_targets) == {"Algebra": 5.0, "Calculus": 15.0}
    paper = assemble(narrowed, XII_BANK + _bank({"Algebra": 1}), 4)
    assert {q.question.unit for q in paper.questions} == {"Calculus"}


def _pattern(sections: Any) -> list[dict[str, Any]]:
    return [{k: s[k] for k in ("name", "question_type", "count", "marks_each")} for s in sections]


# ---- properties ----------------------------------------------------------------------------

SECTION_KINDS = [("MCQ", 1), ("VSA", 2), ("SA", 3), ("LA", 4), ("LA", 5)]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Blueprint, list[Candidate], int, set[uuid.UUID]]:
    unit_names = draw(st.lists(st.sampled_from(["U1", "U2", "U3", "U4", "U5"]), min_size=1,
                               max_size=4, unique=True))  # fmt: skip
    kinds = draw(st.lists(st.sampled_from(SECTION_KINDS), min_size=1, max_size=4, unique=True))
    sections = tuple(
        SectionSpec(chr(ord("A") + i), kind, draw(st.integers(1, 8)), marks)
        for i, (kind, marks) in enumerate(kinds)
    )
    weights = {unit: draw(st.integers(1, 20)) for unit in unit_names}
    weighted = draw(st.booleans())
    config: dict[str, Any] = {
        "sections": [
            {"name": s.name, "question_type": s.question_type, "count": s.count,
             "marks_each": s.marks_each} for s in sections
        ]
    }  # fmt: skip
    if weighted:
        config["unit_weightage"] = weights
    listed = not weighted and draw(st.booleans())
    blueprint = blueprint_from_config(config, unit_names if listed else [])
    rng = random.Random(draw(st.integers(0, 2**32)))
    bank = []
    for unit in unit_names:
        for kind, marks in SECTION_KINDS:
            for i in range(draw(st.integers(0, 9))):
                bank.append(
                    Candidate(uuid.UUID(int=rng.getrandbits(128)), unit, f"{unit}-{i % 3}", kind,
                              DIFFICULTIES[rng.randrange(3)], marks, rng.randrange(4))
                )  # fmt: skip
    recent = {c.id for c in bank if rng.random() < 0.4}
    return blueprint, bank, draw(st.integers(0, 2**53)), recent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_paper_is_whole_or_refused_with_a_reason(
    scenario: tuple[Blueprint, list[Candidate], int, set[uuid.UUID]],
) -> None:
    blueprint, bank, seed, recent = scenario
    refused: BankShortage | None = None
    try:
        paper = assemble(blueprint, bank, seed, recent)
    except BankShortage as shortage:
        refused = shortage
    if refused is not None:
        assert refused.shortfalls or "weightage" in refused.message
        assert all(f.short > 0 for f in refused.shortfalls)
        return
    _check_paper(blueprint, paper)
    # Deterministic: the same inputs in another order give the same paper.
    again = assemble(blueprint, list(reversed(bank)), seed, recent)
    assert [q.question.id for q in again.questions] == [q.question.id for q in paper.questions]
    # Repeats only when the fresh questions of a kind ran out.
    if paper.repeated:
        fresh_pool = Counter(
            (c.question_type, c.marks) for c in bank if c.id not in recent and
            (not blueprint.units or c.unit in blueprint.units)
        )  # fmt: skip
        need = Counter((s.question_type, s.marks_each) for s in blueprint.sections
                       for _ in range(s.count))  # fmt: skip
        assert blueprint.unit_targets or any(fresh_pool[k] < n for k, n in need.items())


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**53), st.integers(8, 15))
def test_an_ample_bank_always_gives_the_exact_board_paper(seed: int, per_kind: int) -> None:
    bank = _bank({u.name: u.marks for u in SYLLABUS["X"]}, per_kind, random.Random(seed))
    blueprint = blueprint_from_config(
        {**BOARD, "unit_weightage": {u.name: u.marks for u in SYLLABUS["X"]}}
    )
    paper = assemble(blueprint, bank, seed)
    _check_paper(blueprint, paper)
    assert paper.tolerance == 0
