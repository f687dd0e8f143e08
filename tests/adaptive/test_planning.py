"""Study plans (pure, no database): the hours, the prerequisite order, expected marks against
the weightage-only plan, explanations, determinism; the concept graph from topic rows."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from lyceum.adaptive.mastery.bkt import DEFAULT_PARAMS, MasteryState, mastery_at
from lyceum.adaptive.planning.baseline import weightage_only_plan
from lyceum.adaptive.planning.graph import (
    ConceptRow,
    TopicRow,
    concept_marks,
    concept_prerequisites,
)
from lyceum.adaptive.planning.model import MASTERED, exam_mastery
from lyceum.adaptive.planning.optimize import METHOD, make_plan
from lyceum.adaptive.planning.types import ConceptInput, PlanRequest
from lyceum.adaptive.synthetic.graph import build_graph

NOW = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
EXAM = date(2026, 2, 12)  # 28 days of study


def concept(code: str, p: float, marks: float, prerequisites: tuple[str, ...] = (),
            practised_days_ago: float | None = 3.0) -> ConceptInput:  # fmt: skip
    practised = None if practised_days_ago is None else NOW - timedelta(days=practised_days_ago)
    return ConceptInput(
        code=code, name=f"Concept {code}", topic_code=code[0], marks=marks,
        prerequisites=prerequisites, params=DEFAULT_PARAMS,
        state=MasteryState(p_mastered=p, attempts_count=0 if practised is None else 6,
                           last_practiced_at=practised),
    )  # fmt: skip


CRAFTED = (
    concept("A1", 0.97, 12.0),  # mastered, heavy: weightage-only pours time into it
    concept("A2", 0.95, 10.0, ("A1",)),
    concept("B1", 0.25, 4.0),  # weak, light: the gateway to B2
    concept("B2", 0.2, 14.0, ("B1",)),
    concept("C1", 0.55, 6.0, practised_days_ago=None),
    concept("C2", 0.3, 8.0, ("C1", "B2")),
)


def request(hours: float = 3.0, concepts: tuple[ConceptInput, ...] = CRAFTED) -> PlanRequest:
    return PlanRequest(now=NOW, exam_date=EXAM, hours_per_week=hours, concepts=concepts)


def test_the_plan_stays_within_the_hours_day_by_day_and_in_total() -> None:
    for hours in (0.5, 3.0, 12.0):
        plan = make_plan(request(hours))
        days = (EXAM - NOW.date()).days
        assert plan.starts_on == NOW.date() and plan.ends_on == EXAM - timedelta(days=1)
        assert plan.total_minutes <= hours * 60 * days / 7 + 1e-9
        # Nearly all of the time is used (whole attempts of 3 minutes, rounded per day).
        assert plan.total_minutes >= hours * 60 * days / 7 - 3 * days
        for day, items in plan.days():
            assert NOW.date() <= day < EXAM
            assert sum(item.minutes for item in items) <= math.ceil(hours * 60 / 7) + 3


def test_unmastered_prerequisites_are_learnt_first_and_enough() -> None:
    req = request(3.0)
    plan = make_plan(req)
    by_code = {c.code: c for c in req.concepts}
    learn = [item for item in plan.items if item.kind == "learn"]
    position = {id(item): k for k, item in enumerate(plan.items)}
    planned = {item.concept_code for item in plan.items}
    assert {"B1", "B2"} <= planned  # the gateway is opened
    for item in learn:
        for code in by_code[item.concept_code].prerequisites:
            if mastery_at(DEFAULT_PARAMS, by_code[code].state, NOW) >= MASTERED:
                continue
            before = [other for other in learn if other.concept_code == code]
            assert before, f"{item.concept_code} learnt without its prerequisite {code}"
            # All of the prerequisite's learning comes first (earlier day, or earlier that day).
            assert all((o.day, position[id(o)]) < (item.day, position[id(item)]) for o in before)
            # ...and is enough to reach P(L) ≥ 0.8 in expectation.
            attempts = sum(o.minutes for o in before) / req.minutes_per_attempt
            p = by_code[code].state.p_mastered * math.exp(-DEFAULT_PARAMS.forget_per_day * 3)
            assert 1 - (1 - p) * (1 - DEFAULT_PARAMS.p_learn) ** attempts >= MASTERED - 1e-6


def test_a_dependant_is_not_studied_when_its_prerequisite_cannot_be_reached() -> None:
    # 10 minutes a week for 4 weeks: 13 attempts, not enough to bring B1 from 0.05 to 0.8
    # (≈ 11 attempts) and also study B2 meaningfully beyond it: whatever is chosen, B2 never
    # comes without B1 at 0.8.
    tiny = (concept("B1", 0.05, 1.0), concept("B2", 0.1, 30.0, ("B1",)))
    plan = make_plan(request(0.25, tiny))
    minutes = {c: sum(i.minutes for i in plan.items if i.concept_code == c) for c in ("B1", "B2")}
    if minutes["B2"]:
        p = 0.05 * math.exp(-DEFAULT_PARAMS.forget_per_day * 3)
        reached = 1 - (1 - p) * (1 - DEFAULT_PARAMS.p_learn) ** (minutes["B1"] / 3)
        assert reached >= MASTERED - 1e-6


def test_expected_marks_beat_the_weightage_only_plan_and_are_exact() -> None:
    # One hour a week: time is short, so where it goes matters.
    req = request(1.0)
    plan, baseline = make_plan(req), weightage_only_plan(req)
    assert plan.method.startswith(METHOD)
    assert plan.baseline_marks == baseline.expected_marks
    assert plan.expected_marks > baseline.expected_marks + 1.0
    assert baseline.expected_marks > plan.marks_without_study
    # The weightage-only plan spends on the mastered A1; the optimized one hardly does.
    a1 = [sum(i.minutes for i in p.items if i.concept_code == "A1") for p in (plan, baseline)]
    assert a1[0] < a1[1]
    # Items' gains add up to the plan's promise over no study.
    gained = sum(item.expected_gain for item in plan.items)
    assert abs(gained - (plan.expected_marks - plan.marks_without_study)) < 1e-6
    # Without study the figure is each concept decayed to the exam.
    exam_at = datetime(2026, 2, 12, 4, 30, tzinfo=UTC)
    assert abs(plan.marks_without_study - sum(c.marks * exam_mastery(c, (), exam_at)
                                              for c in CRAFTED)) < 1e-9  # fmt: skip


def test_every_item_explains_itself_and_reviews_come_last() -> None:
    plan = make_plan(request(6.0))
    assert plan.items
    for item in plan.items:
        assert item.reason.startswith(("Concept ", "Review Concept ")), item.reason
        assert item.concept_name in item.reason
        assert "expected marks" in item.reason or "prerequisite of" in item.reason
        assert item.kind in {"learn", "review"}
    reviews = [item.day for item in plan.items if item.kind == "review"]
    learns = [item.day for item in plan.items if item.kind == "learn"]
    assert reviews and max(learns) <= min(reviews)
    assert max(reviews) == EXAM - timedelta(days=1)
    first = plan.items[0]
    assert f"{first.concept_name}, " in first.reason and first.reason.endswith("expected marks")


def test_plans_are_deterministic_and_serialise_by_day() -> None:
    one, two = make_plan(request(4.0)), make_plan(request(4.0))
    assert one == two
    schedule = one.schedule_json()
    assert [entry["date"] for entry in schedule] == sorted(entry["date"] for entry in schedule)
    for entry in schedule:
        assert entry["minutes"] == sum(item["minutes"] for item in entry["items"])
        assert set(entry["concept_codes"]) == {item["concept_code"] for item in entry["items"]}
        assert set(entry["items"][0]) == {"concept_code", "concept_name", "minutes", "kind",
                                          "expected_gain", "reason"}  # fmt: skip


def test_no_time_left_gives_an_empty_plan() -> None:
    req = PlanRequest(now=NOW, exam_date=NOW.date(), hours_per_week=5.0, concepts=CRAFTED)
    plan = make_plan(req)
    assert plan.items == () and plan.expected_marks == plan.marks_without_study


def grade_request(grade: int, hours: float) -> PlanRequest:
    graph = build_graph()
    topics = [TopicRow(t["code"], t["parent_code"], t["syllabus_weightage"], t["sort_order"],
                       t["grade"]) for t in graph.topics]  # fmt: skip
    rows = [ConceptRow(c["code"], c["topic_code"], 0, c["name"]) for c in graph.concepts]
    edges = [(e["topic_code"], e["prerequisite_code"]) for e in graph.topic_prerequisites]
    prerequisites, marks = concept_prerequisites(topics, edges, rows), concept_marks(topics, rows)
    grade_of = {t.code: t.grade for t in topics}
    concepts = tuple(
        concept(row.code, 0.1 + 0.85 * ((k * 37) % 100) / 100, marks[row.code],
                prerequisites[row.code], practised_days_ago=float(k % 40))
        for k, row in enumerate(rows) if grade_of[row.topic_code] == grade
    )  # fmt: skip
    return PlanRequest(now=NOW, exam_date=date(2026, 3, 9), hours_per_week=hours,
                       concepts=concepts)  # fmt: skip


def test_a_whole_grades_plan_is_solved_by_the_milp_and_beats_the_weightage_only_plan() -> None:
    # Its speed is measured by `benchmarks/adaptive_decisions.py` (plan one student), not here.
    for grade, hours in ((10, 6.0), (12, 6.0), (12, 20.0)):
        req = grade_request(grade, hours)
        assert len(req.concepts) > 50
        plan = make_plan(req)
        assert plan.method.startswith(METHOD) and plan.expected_marks >= plan.baseline_marks
        assert len(plan.method) <= 200  # study_plans.method is a varchar(200)


def test_concept_prerequisites_from_topic_rows_reproduce_the_synthetic_graph() -> None:
    graph = build_graph()
    topics = [TopicRow(t["code"], t["parent_code"], t["syllabus_weightage"], t["sort_order"])
              for t in graph.topics]  # fmt: skip
    rows = [ConceptRow(c["code"], c["topic_code"]) for c in reversed(graph.concepts)]
    edges = [(e["topic_code"], e["prerequisite_code"]) for e in graph.topic_prerequisites]
    derived = concept_prerequisites(topics, edges, rows)
    pairs = sorted((code, p) for code, needs in derived.items() for p in needs)
    assert pairs == sorted(graph.concept_prerequisites)
    marks = concept_marks(topics, rows)
    for code, weight in zip(graph.concept_codes, graph.concept_weight, strict=True):
        assert abs(marks[code] - weight) < 1e-12
    # A prerequisite given as a unit (no concepts of its own) stands for its chapters.
    unit = [TopicRow("U"), TopicRow("U.A", "U", 10.0, 1), TopicRow("U.B", "U", 10.0, 2),
            TopicRow("V", None, 20.0, 3)]  # fmt: skip
    small = [ConceptRow("U.A.C01", "U.A"), ConceptRow("U.A.C02", "U.A"),
             ConceptRow("U.B.C01", "U.B"), ConceptRow("V.C01", "V")]  # fmt: skip
    got = concept_prerequisites(unit, [("V", "U")], small)
    assert got["V.C01"] == ("U.A.C02", "U.B.C01") and got["U.A.C02"] == ("U.A.C01",)
    assert concept_marks(unit, small)["U.A.C01"] == 5.0


def test_a_prerequisite_without_marks_of_its_own_is_studied_for_its_dependant() -> None:
    # Another grade's concept (marks 0) at P(L) 0.2 gates a heavy concept: the plan brings it
    # to 0.8 first (several blocks, though it adds no marks itself), then studies the heavy one.
    gate = concept("G1", 0.2, 0.0)
    heavy = concept("H1", 0.1, 40.0, ("G1",))
    plan = make_plan(request(2.0, (gate, heavy)))
    minutes = {c: sum(i.minutes for i in plan.items if i.concept_code == c) for c in ("G1", "H1")}
    assert minutes["H1"] > 0
    p = 0.2 * math.exp(-DEFAULT_PARAMS.forget_per_day * 3)
    assert 1 - (1 - p) * (1 - DEFAULT_PARAMS.p_learn) ** (minutes["G1"] / 3) >= MASTERED - 1e-6
    gate_item = next(i for i in plan.items if i.concept_code == "G1")
    assert "a prerequisite of Concept H1" in gate_item.reason


def test_a_slow_to_learn_prerequisite_gets_45_minutes_not_a_veto() -> None:
    # A fitted learning rate at its lower bound (0.01) would need ~100 attempts to bring the
    # prerequisite to 0.8: it is instead studied for 15 attempts, and its dependant follows.
    slow = replace(concept("S1", 0.3, 1.0), params=replace(DEFAULT_PARAMS, p_learn=0.01))
    heavy = concept("H1", 0.1, 30.0, ("S1",))
    plan = make_plan(request(3.0, (slow, heavy)))
    learn = [i for i in plan.items if i.kind == "learn"]
    s1 = sum(i.minutes for i in plan.items if i.concept_code == "S1")
    assert s1 >= 45
    assert sum(i.minutes for i in plan.items if i.concept_code == "H1") > 0
    first_h1 = next(k for k, i in enumerate(learn) if i.concept_code == "H1")
    assert all(i.concept_code == "S1" for i in learn[:first_h1]) and first_h1 > 0
