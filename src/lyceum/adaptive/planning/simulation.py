"""Students carried forward in the synthetic world's latent model, following a plan.

The world: the synthetic history (`synthetic.dataset.simulate`) and its latent state at the
end of the window (the generator's θ, floor, last practice and practice count per student and
concept; each student's learning rate and forgetting time), plus what the product would see:
per concept its marks, prerequisites (`planning.graph` from the topic rows) and BKT
parameters; per student the BKT states replayed from their attempts.

Execution of a plan (`run_student`): a plan item of n attempts on a day is n attempts at that
concept, `MINUTES_PER_ATTEMPT` apart from 12:00 UTC (the day's items in order), each at a
question of the concept drawn at random from its bank. The response is drawn from the
generator's IRT model at θ decayed to that instant, and θ, its floor, the last practice and
the count move exactly as in `synthetic.attempts` (`learning.practice_gain` with the
prerequisites' current mastery). The product's BKT states take each response, and the plan is
redone every `REPLAN_DAYS` days from them; the days in between follow the current plan.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from lyceum.adaptive.mastery.bkt import DEFAULT_PARAMS, BktParams, MasteryState, update
from lyceum.adaptive.planning import model
from lyceum.adaptive.planning.graph import (
    ConceptRow,
    TopicRow,
    concept_marks,
    concept_prerequisites,
)
from lyceum.adaptive.planning.types import ConceptInput, Plan, PlanRequest
from lyceum.adaptive.synthetic import learning
from lyceum.adaptive.synthetic.dataset import AdaptiveHistory, LatentState

REPLAN_DAYS = 7
MINUTES_PER_ATTEMPT = 3.0


@dataclass(frozen=True)
class World:
    history: AdaptiveHistory
    latent: LatentState
    # Per concept, in the generator's order.
    codes: list[str]
    grade: npt.NDArray[np.int64]
    difficulty: npt.NDArray[np.float64]
    base: list[ConceptInput]  # the product's view: marks, prerequisites, params, initial state
    prerequisite_index: list[list[int]]
    # Question bank by concept: (discrimination, difficulty, is_mcq) rows.
    questions: list[list[tuple[float, float, bool]]]
    question_is_mcq: npt.NDArray[np.bool_]  # by the bank's global question index


def build_world(history: AdaptiveHistory, params: dict[str, BktParams]) -> World:
    latent = history.truth.latent
    if latent is None:  # pragma: no cover - simulate always sets it
        raise RuntimeError("the synthetic history carries no latent state")
    topics = [
        TopicRow(t["code"], t["parent_code"], t["syllabus_weightage"], t["sort_order"],
                 t["grade"], t["name"])
        for t in history.topics
    ]  # fmt: skip
    concept_rows = [ConceptRow(c["code"], c["topic_code"], 0, c["name"]) for c in history.concepts]
    edges = [(e["topic_code"], e["prerequisite_code"]) for e in history.topic_prerequisites]
    prerequisites = concept_prerequisites(topics, edges, concept_rows)
    marks = concept_marks(topics, concept_rows)
    grade_of = {t["code"]: t["grade"] for t in history.topics}
    codes = [c["code"] for c in history.concepts]
    index = {code: i for i, code in enumerate(codes)}
    base = []
    for c in history.concepts:
        p = params.get(c["code"], DEFAULT_PARAMS)
        base.append(
            ConceptInput(
                code=c["code"], name=c["name"], topic_code=c["topic_code"],
                marks=marks[c["code"]], prerequisites=prerequisites[c["code"]], params=p,
                state=MasteryState(p_mastered=p.p_init),
            )
        )  # fmt: skip
    questions: list[list[tuple[float, float, bool]]] = [[] for _ in codes]
    for q in history.questions:
        questions[index[q["concept_code"]]].append(
            (float(q["discrimination"]), float(q["difficulty"]), q["question_type"] == "mcq")
        )
    return World(
        history=history,
        latent=latent,
        codes=codes,
        grade=np.array([grade_of[c["topic_code"]] for c in history.concepts], dtype=np.int64),
        difficulty=np.array([float(c["difficulty"]) for c in history.concepts]),
        base=base,
        prerequisite_index=[[index[p] for p in prerequisites[code]] for code in codes],
        questions=questions,
        question_is_mcq=np.array([q["question_type"] == "mcq" for q in history.questions]),
    )


def product_states(world: World, student: int) -> dict[int, MasteryState]:
    """The BKT state of each concept the student has attempted, replayed in time order."""
    a = world.history.attempts
    states: dict[int, MasteryState] = {}
    for r in np.flatnonzero(a.student_index == student):  # sorted by student, then time
        c = int(a.concept_index[r])
        state = states.get(c) or world.base[c].state
        kind = "mcq" if world.question_is_mcq[int(a.question_index[r])] else "numeric"
        states[c] = update(world.base[c].params, state, bool(a.is_correct[r]),
                           a.attempted_at[r], kind)  # fmt: skip
    return states


def student_concepts(world: World, grade: int) -> list[int]:
    """The grade's concepts and, ahead of them, their prerequisites from the other grade (on
    the plan with marks 0: they count only through what depends on them)."""
    own = [i for i in range(len(world.codes)) if world.grade[i] == grade]
    extra = sorted({p for i in own for p in world.prerequisite_index[i] if world.grade[p] != grade})
    return extra + own


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass
class Learner:
    """One student in one arm: latent state (copies) and the product's BKT states."""

    student: int
    theta: npt.NDArray[np.float64]
    floor: npt.NDArray[np.float64]
    last: npt.NDArray[np.float64]  # days since the window's start
    count: npt.NDArray[np.float64]
    tau: float
    rate: float
    states: dict[int, MasteryState]
    attempts: int = 0

    @classmethod
    def start(cls, world: World, s: int, with_states: bool = True) -> Learner:
        lat = world.latent
        return cls(s, lat.theta[s].copy(), lat.floor[s].copy(), lat.last_days[s].copy(),
                   lat.count[s].copy(), float(lat.forgetting_days[s]),
                   float(lat.learning_rate[s]),
                   product_states(world, s) if with_states else {})  # fmt: skip

    def theta_at(self, c: int, t: float) -> float:
        elapsed = max(t - self.last[c], 0.0)
        scale = self.tau * (1.0 + self.count[c] / 6.0)
        return float(self.floor[c] + (self.theta[c] - self.floor[c]) * math.exp(-elapsed / scale))

    def prerequisite_mastery(self, world: World, c: int, t: float) -> float:
        prerequisites = world.prerequisite_index[c]
        if not prerequisites:
            return 1.0
        return sum(_sigmoid(self.theta_at(p, t)) for p in prerequisites) / len(prerequisites)


def days_since_start(world: World, at: datetime) -> float:
    return (at - world.history.start).total_seconds() / 86_400.0


def practise(world: World, learner: Learner, c: int, at: datetime,
             rng: np.random.Generator) -> None:  # fmt: skip
    """One attempt, as the generator plays it (`synthetic.attempts`)."""
    t = days_since_start(world, at)
    th = learner.theta_at(c, t)
    pm = learner.prerequisite_mastery(world, c, t)
    a, b, mcq = world.questions[c][int(rng.integers(len(world.questions[c])))]
    pc = float(learning.p_correct(np.array(th), np.array(a), np.array(b), np.array(mcq)))
    correct = bool(rng.random() < pc)
    gain = float(
        learning.practice_gain(np.array(th), np.array(correct), np.array(pm),
                               np.array(learner.rate), np.array(world.difficulty[c]))
    )  # fmt: skip
    learner.theta[c] = th + gain
    learner.floor[c] += learning.CONSOLIDATION * gain
    learner.last[c] = t
    learner.count[c] += 1
    learner.attempts += 1
    base = world.base[c]
    state = learner.states.get(c, base.state)
    learner.states[c] = update(base.params, state, correct, at, "mcq" if mcq else "numeric")


def true_marks(world: World, learner: Learner, concepts: list[int], at: datetime) -> float:
    """Σ marks · true mastery (sigmoid θ) at `at`: the score."""
    t = days_since_start(world, at)
    return sum(world.base[c].marks * _sigmoid(learner.theta_at(c, t)) for c in concepts)


# A planner sees the request; only the oracle reference also looks at the learner's truth.
Planner = Callable[[PlanRequest, Learner], Plan]


def product_planner(plan: Callable[[PlanRequest], Plan]) -> Planner:
    return lambda request, _learner: plan(request)


def request_for(world: World, concepts: list[int], learner: Learner, now: datetime, exam: date,
                hours: float) -> PlanRequest:  # fmt: skip
    inputs = tuple(
        replace(world.base[c], state=learner.states[c]) if c in learner.states else world.base[c]
        for c in concepts
    )
    return PlanRequest(now=now, exam_date=exam, hours_per_week=hours, concepts=inputs,
                       minutes_per_attempt=MINUTES_PER_ATTEMPT)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    marks: float
    without_study: float
    attempts: int
    first_plan: Plan


def run_student(world: World, s: int, planner: Planner, seed: int) -> Outcome:
    profile = world.history.student_profiles[s]
    grade, exam = int(profile["grade"]), profile["exam_date"]
    hours = float(profile["available_hours_per_week"])
    concepts = student_concepts(world, grade)
    index = {world.codes[c]: c for c in concepts}
    learner = Learner.start(world, s)
    # The same stream in every arm (common random numbers).
    rng = np.random.default_rng([seed, 18, s])
    now = world.history.end
    first: Plan | None = None
    while now.date() < exam:
        plan = planner(request_for(world, concepts, learner, now, exam, hours), learner)
        first = first or plan
        until = now.date() + timedelta(days=REPLAN_DAYS)
        for day, items in plan.days():
            if day >= until:
                break
            clock = model.practice_at(day)
            for item in items:
                for _ in range(round(item.minutes / MINUTES_PER_ATTEMPT)):
                    practise(world, learner, index[item.concept_code], clock, rng)
                    clock += timedelta(minutes=MINUTES_PER_ATTEMPT)
        now = datetime.combine(until, datetime.min.time(), UTC)
    own = [c for c in concepts if world.grade[c] == grade]
    exam_at = datetime.combine(exam, model.EXAM_TIME)
    idle = Learner.start(world, s, with_states=False)
    if first is None:
        raise ValueError(f"student {s}'s exam is not after the start")
    return Outcome(true_marks(world, learner, own, exam_at),
                   true_marks(world, idle, own, exam_at), learner.attempts, first)  # fmt: skip


def oracle_planner(world: World) -> Planner:
    """A reference, not a product planner: it reads the latent truth. Attempts go one at a
    time to the concept whose next attempt adds most true marks now (the generator's expected
    gain at the current θ and prerequisite mastery, responses right with probability 0.5;
    forgetting and what the plan itself does to prerequisites ignored: myopic), then laid out
    by the same scheduler."""

    def plan(request: PlanRequest, learner: Learner) -> Plan:
        cal = model.calendar(request)
        t = days_since_start(world, request.now)
        index = {code: i for i, code in enumerate(world.codes)}
        concepts = [index[c.code] for c in request.concepts]
        theta = {c: learner.theta_at(c, t) for c in concepts}
        factor = {
            c: 0.25 * learner.rate * learning.prerequisite_factor(
                np.array(learner.prerequisite_mastery(world, c, t))
            ) * (1.25 - 0.5 * world.difficulty[c]) * 0.85
            for c in concepts
        }  # fmt: skip

        def marginal(c: int) -> tuple[float, float]:
            m = _sigmoid(theta[c])
            step = float(factor[c]) * 2.0 * (1.0 - m)
            return world.base[c].marks * (_sigmoid(theta[c] + step) - m), step

        heap = [(-marginal(c)[0], c) for c in concepts]
        heapq.heapify(heap)
        attempts: dict[str, int] = {}
        for _ in range(cal.total):
            _, c = heapq.heappop(heap)
            theta[c] += marginal(c)[1]
            attempts[world.codes[c]] = attempts.get(world.codes[c], 0) + 1
            heapq.heappush(heap, (-marginal(c)[0], c))
        scored = model.score(request, cal, model.lay_out(request, cal, attempts))
        start = request.now.date()
        return Plan(start, cal.days[-1] if cal.days else start, scored.items,
                    scored.expected_marks, 0.0, scored.marks_without_study, "oracle")  # fmt: skip

    return plan
