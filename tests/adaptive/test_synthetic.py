"""The adaptive synthetic data: a valid knowledge graph, a complete cohort, and attempts whose
latent mastery behaves as the learning model says (pure; no database)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np
import pytest

from lyceum.adaptive.synthetic import (
    AdaptiveHistory,
    AdaptiveScale,
    build_graph,
    simulate,
    topological_order,
)
from lyceum.adaptive.synthetic.people import build_cohort

END = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> AdaptiveHistory:
    return simulate("small", seed=7, months=6, end=END)


def test_same_seed_same_data_other_seed_differs() -> None:
    first = simulate("small", seed=3, months=2, end=END)
    again = simulate("small", seed=3, months=2, end=END)
    other = simulate("small", seed=4, months=2, end=END)
    assert first.users == again.users and first.questions == again.questions
    assert first.question_attempts == again.question_attempts
    assert np.array_equal(first.truth.final_mastery, again.truth.final_mastery)
    assert first.question_attempts != other.question_attempts


def test_at_least_100_concepts_with_valid_topics(history: AdaptiveHistory) -> None:
    assert len(history.concepts) >= 100
    codes = [c["code"] for c in history.concepts]
    assert len(set(codes)) == len(codes)
    leaf = {t["code"] for t in history.topics if t["parent_code"] is not None}
    assert all(c["topic_code"] in leaf for c in history.concepts)
    assert all(0.0 <= c["difficulty"] <= 1.0 for c in history.concepts)


def test_topic_hierarchy_is_valid(history: AdaptiveHistory) -> None:
    by_code = {t["code"]: t for t in history.topics}
    assert len(by_code) == len(history.topics)
    for topic in history.topics:
        parent = topic["parent_code"]
        assert parent != topic["code"]
        if parent is not None:
            assert parent in by_code
            assert by_code[parent]["parent_code"] is None
            assert by_code[parent]["grade"] == topic["grade"]


def test_weightages_sum_to_100_per_grade(history: AdaptiveHistory) -> None:
    leaves: dict[int, float] = defaultdict(float)
    units: dict[int, float] = defaultdict(float)
    children: dict[str, float] = defaultdict(float)
    for topic in history.topics:
        if topic["parent_code"] is None:
            units[topic["grade"]] += topic["syllabus_weightage"]
        else:
            leaves[topic["grade"]] += topic["syllabus_weightage"]
            children[topic["parent_code"]] += topic["syllabus_weightage"]
    assert set(leaves) == {10, 12}
    assert all(total == pytest.approx(100.0) for total in leaves.values())
    assert all(total == pytest.approx(100.0) for total in units.values())
    for topic in history.topics:
        if topic["parent_code"] is None:
            assert children[topic["code"]] == pytest.approx(topic["syllabus_weightage"])


def test_prerequisites_are_acyclic_without_self_loops(history: AdaptiveHistory) -> None:
    codes = [t["code"] for t in history.topics]
    edges = [(e["topic_code"], e["prerequisite_code"]) for e in history.topic_prerequisites]
    assert edges and all(a != b for a, b in edges)
    order = {code: i for i, code in enumerate(topological_order(codes, edges))}
    assert all(order[prerequisite] < order[topic] for topic, prerequisite in edges)
    graph = build_graph()
    concept_order = topological_order(graph.concept_codes, graph.concept_prerequisites)
    assert len(concept_order) == len(graph.concepts)


def test_topological_order_rejects_cycles_and_self_loops() -> None:
    with pytest.raises(ValueError, match="cycle"):
        topological_order(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    with pytest.raises(ValueError, match="itself"):
        topological_order(["a"], [("a", "a")])


def test_questions_per_concept_are_well_formed(history: AdaptiveHistory) -> None:
    per_concept: dict[str, int] = defaultdict(int)
    for q in history.questions:
        per_concept[q["concept_code"]] += 1
        assert q["question_type"] in {"mcq", "numeric"}
        assert q["text"] and q["correct_answer"]
        if q["question_type"] == "mcq":
            assert len(q["options"]) == 4 and len(set(q["options"])) == 4
            assert q["correct_answer"] in q["options"]
        else:
            assert q["options"] is None
        assert 0.4 <= q["discrimination"] <= 2.5
    assert set(per_concept) == {c["code"] for c in history.concepts}
    assert min(per_concept.values()) >= 5


def test_every_student_has_a_profile_and_a_class(history: AdaptiveHistory) -> None:
    students = {u["username"] for u in history.users if u["role"] == "student"}
    teachers = {u["username"] for u in history.users if u["role"] == "teacher"}
    classes = {c["code"]: c for c in history.classes}
    assert len(students) == 30 and teachers
    assert {p["username"] for p in history.student_profiles} == students
    for profile in history.student_profiles:
        klass = classes[profile["class_code"]]
        assert klass["grade"] == profile["grade"] and klass["teacher_username"] in teachers
        assert profile["exam_date"] > END.date()
        assert profile["available_hours_per_week"] > 0


def test_attempts_are_ordered_in_the_window_and_consistent(history: AdaptiveHistory) -> None:
    rows = history.question_attempts
    assert len(rows) > 1_000
    questions = {q["code"]: q for q in history.questions}
    last: dict[str, datetime] = {}
    for row in rows:
        at = row["attempted_at"]
        assert at.tzinfo is not None and history.start <= at < history.end
        assert last.get(row["username"], history.start) <= at
        last[row["username"]] = at
        question = questions[row["question_code"]]
        assert question["concept_code"] == row["concept_code"]
        assert (row["answer"] == question["correct_answer"]) == row["is_correct"]
        assert 1 <= row["confidence"] <= 5 and row["time_taken_seconds"] > 0
    profiles = {p["username"] for p in history.student_profiles}
    assert set(last) <= profiles


def test_true_mastery_stays_in_the_open_unit_interval(history: AdaptiveHistory) -> None:
    truth = history.truth
    for values in (truth.mastery_before, truth.mastery_after, truth.final_mastery):
        assert np.all((values > 0.0) & (values < 1.0))
    assert np.all(truth.mastery_after >= truth.mastery_before)


def test_mastery_grows_with_practice(history: AdaptiveHistory) -> None:
    truth = history.truth
    practiced = truth.practice_count >= 5
    untouched = truth.practice_count == 0
    gain = truth.final_mastery - truth.initial_mastery
    assert gain[practiced].mean() > 0.05
    assert gain[practiced].mean() > gain[untouched].mean() + 0.05


def test_mastery_decays_without_practice(history: AdaptiveHistory) -> None:
    a, truth = history.attempts, history.truth
    seen: dict[tuple[int, int], tuple[datetime, float]] = {}
    drops: list[float] = []
    for i in range(len(a)):
        key = (int(a.student_index[i]), int(a.concept_index[i]))
        if key in seen:
            at, after = seen[key]
            if (a.attempted_at[i] - at).days >= 14:
                drops.append(after - float(truth.mastery_before[i]))
        seen[key] = (a.attempted_at[i], float(truth.mastery_after[i]))
    assert len(drops) > 50
    assert np.mean(drops) > 0.02


def test_accuracy_tracks_true_mastery(history: AdaptiveHistory) -> None:
    mastery, correct = history.truth.mastery_before, history.attempts.is_correct
    low, high = np.quantile(mastery, [0.2, 0.8])
    assert correct[mastery >= high].mean() > correct[mastery <= low].mean() + 0.25


def test_weak_prerequisites_slow_learning(history: AdaptiveHistory) -> None:
    truth = history.truth
    gain = truth.mastery_after - truth.mastery_before
    band = (truth.mastery_before > 0.3) & (truth.mastery_before < 0.6)
    weak = band & (truth.prerequisite_mastery < 0.4)
    strong = band & (truth.prerequisite_mastery > 0.7)
    assert weak.sum() > 100 and strong.sum() > 100
    assert gain[strong].mean() > 1.5 * gain[weak].mean()


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="scale"):
        simulate("huge", seed=1)
    with pytest.raises(ValueError, match="months"):
        simulate("small", seed=1, months=0)
    with pytest.raises(ValueError, match="timezone"):
        simulate("small", seed=1, end=datetime(2026, 1, 15))


def test_large_schools_get_distinct_section_codes() -> None:
    scale = AdaptiveScale("huge", 2_000, 1, 1)
    cohort = build_cohort(scale, END, np.random.default_rng(0))
    codes = [c["code"] for c in cohort.classes]
    assert len(codes) > 52 and len(set(codes)) == len(codes)
    assert {p["class_code"] for p in cohort.student_profiles} == set(codes)
