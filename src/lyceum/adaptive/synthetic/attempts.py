"""The attempt history: months of practice sessions driven by the latent learning model.

Day by day, all students at once (NumPy over students, a Python loop over days and the steps
of a session):

- Sessions: a student studies on a given day with probability hours/18 per week-hour, 30 %
  more at weekends and up to 2.5 times more as their board exam approaches
  (1 + 1.5·exp(-days to exam / 40)). A session starts at their usual evening hour (IST) and
  has 3 + Poisson(0.6 · hours) attempts, at most 20, on one of their devices.
- Choice of concept: schools teach the syllabus in order from 1 April to mid-December, so a
  student practises concepts already taught, mostly the chapter being taught now (x3), then,
  once the syllabus is done, revises everything. Weights are the concept's share of the paper
  (its chapter's weightage), times readiness (0.25 + prerequisite mastery) and need
  (0.35 + 1 - mastery). Class XII students also revise class X concepts now and then (x0.08).
  A session practises a concept in runs: after each attempt it switches with probability 1/4.
- Each attempt: mastery decays to the attempt's instant, the response is drawn from the IRT
  model, then practice raises mastery (see `learning`).

Prior knowledge θ₀ = 0.9·ability - 1.6·(difficulty - 0.5) - 0.6 + N(0, 0.5), plus 0.9 for a
class XII student's class X concepts, learnt last year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from lyceum.adaptive.synthetic import learning
from lyceum.adaptive.synthetic.graph import KnowledgeGraph
from lyceum.adaptive.synthetic.people import Cohort
from lyceum.adaptive.synthetic.questions import QuestionBank

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MAX_ATTEMPTS_PER_SESSION = 20
SWITCH_PROBABILITY = 0.25
LOWER_GRADE_REVISION = 0.08


def syllabus_progress(day: date) -> float:
    """Share of the year's syllabus taught by `day`: 0 on 1 April, 1 on 15 December, more after
    (the revision months before the March boards)."""
    year = day.year if day.month >= 4 else day.year - 1
    start, done = date(year, 4, 1), date(year, 12, 15)
    return (day - start).days / (done - start).days


class Recorder:
    """Per-step arrays, concatenated once at the end."""

    def __init__(self) -> None:
        self.columns: dict[str, list[npt.NDArray[np.generic]]] = {}

    def add(self, **arrays: npt.NDArray[np.generic]) -> None:
        for key, value in arrays.items():
            self.columns.setdefault(key, []).append(value)

    def concatenate(self) -> dict[str, npt.NDArray[np.generic]]:
        return {key: np.concatenate(parts) for key, parts in self.columns.items()}


def run_attempts(
    graph: KnowledgeGraph,
    bank: QuestionBank,
    cohort: Cohort,
    start: datetime,
    days: int,
    streams: dict[str, np.random.Generator],
) -> tuple[dict[str, npt.NDArray[np.generic]], dict[str, FloatArray]]:
    """Simulate `days` days from `start` (midnight UTC); returns the attempt columns (times in
    days since `start`) and the mastery matrices (initial, final, practice counts)."""
    schedule, choice, response = streams["schedule"], streams["choice"], streams["response"]
    s_count, c_count = cohort.grade.size, len(graph.concepts)
    difficulty = graph.concept_difficulty
    lower = (graph.concept_grade[None, :] < cohort.grade[:, None]).astype(np.float64)
    own = (graph.concept_grade[None, :] == cohort.grade[:, None]).astype(np.float64)
    theta0 = (
        0.9 * cohort.ability[:, None]
        - 1.6 * (difficulty[None, :] - 0.5)
        - 0.6
        + 0.9 * lower
        + streams["prior"].normal(0.0, 0.5, (s_count, c_count))
    )
    theta, floor = theta0.copy(), theta0.copy()
    last = np.zeros((s_count, c_count))
    count = np.zeros((s_count, c_count))
    prereq_t = graph.prerequisite_matrix.T
    has_prereq = graph.prerequisite_matrix.sum(axis=1) > 0
    grade_mask = own + LOWER_GRADE_REVISION * lower
    position = graph.concept_syllabus_position
    tau_student = cohort.forgetting_days

    def mastery_now(students: IntArray, t: FloatArray) -> FloatArray:
        th = learning.decayed(
            theta[students],
            floor[students],
            t[:, None] - last[students],
            learning.forgetting_tau(tau_student[students, None], count[students]),
        )
        return learning.sigmoid(th)

    rec = Recorder()
    for d in range(days):
        day = (start + timedelta(days=d)).date()
        days_to_exam = cohort.days_to_exam_at_end + (days - d)
        rate = cohort.hours / 18.0 * (1.0 + 1.5 * np.exp(-days_to_exam / 40.0))
        rate *= 1.3 if day.weekday() >= 5 else 1.0
        students = np.flatnonzero(schedule.random(s_count) < np.minimum(rate, 0.9))
        if students.size == 0:
            continue
        k = students.size
        n_attempts = np.minimum(3 + schedule.poisson(0.6 * cohort.hours[students]),
                                MAX_ATTEMPTS_PER_SESSION)  # fmt: skip
        hour = np.clip(cohort.study_hour_utc[students] + schedule.normal(0.0, 0.75, k), 6.0, 17.5)
        clock = d + hour / 24.0
        device = schedule.random(k) < 0.8

        progress = syllabus_progress(day)
        taught = (position <= progress + 0.03).astype(np.float64)
        current = ((position > progress - 0.12) & (position <= progress + 0.03)).astype(np.float64)
        m_start = mastery_now(students, clock)
        readiness = np.where(has_prereq[None, :], m_start @ prereq_t, 1.0)
        weights = (
            graph.concept_weight[None, :]
            * (own[students] * taught[None, :] * (1.0 + 2.0 * current[None, :]) + lower[students])
            * grade_mask[students]
            * (0.25 + readiness)
            * (0.35 + 1.0 - m_start)
        )
        cdf = np.cumsum(weights, axis=1)
        concept = np.zeros(k, dtype=np.int64)
        for step in range(int(n_attempts.max())):
            acting = np.flatnonzero(n_attempts > step)
            switch = (choice.random(acting.size) < SWITCH_PROBABILITY) | (step == 0)
            rows = acting[switch]
            u = choice.random(rows.size) * cdf[rows, -1]
            concept[rows] = (cdf[rows] < u[:, None]).sum(axis=1)
            s, c, t = students[acting], concept[acting], clock[acting]
            q = c * bank.per_concept + choice.integers(bank.per_concept, size=acting.size)

            th = learning.decayed(
                theta[s, c],
                floor[s, c],
                t - last[s, c],
                learning.forgetting_tau(tau_student[s], count[s, c]),
            )
            m_all = mastery_now(s, t)
            pm = np.where(has_prereq[c], (m_all * graph.prerequisite_matrix[c]).sum(axis=1), 1.0)
            a, b, mcq = bank.discrimination[q], bank.difficulty[q], bank.is_mcq[q]
            pc = learning.p_correct(th, a, b, mcq)
            correct = response.random(acting.size) < pc
            taken = learning.time_taken_seconds(response, th, b, mcq, correct, cohort.speed[s])
            conf = learning.confidence(response, th, b, correct, cohort.confidence_bias[s])
            wrong_pick = response.integers(3, size=acting.size)
            gain = learning.practice_gain(th, correct, pm, cohort.learning_rate[s], difficulty[c])

            submitted = t + taken / 86_400.0
            theta[s, c] = th + gain
            floor[s, c] += learning.CONSOLIDATION * gain
            last[s, c] = submitted
            count[s, c] += 1
            clock[acting] = submitted + schedule.lognormal(np.log(15.0), 0.5, acting.size) / 86_400
            rec.add(
                student=s,
                question=q,
                concept=c,
                is_correct=correct,
                wrong_pick=wrong_pick,
                time_taken=taken,
                confidence=conf,
                at_days=submitted,
                primary_device=device[acting],
                mastery_before=learning.sigmoid(th),
                mastery_after=learning.sigmoid(th + gain),
                prerequisite_mastery=pm,
                p_correct=pc,
            )

    final = mastery_now(np.arange(s_count), np.full(s_count, float(days)))
    return rec.concatenate(), {
        "initial": learning.sigmoid(theta0),
        "final": final,
        "count": count,
        # The latent state itself (last practice in days since `start`), for simulating the
        # students forward from the end of the window (the plan evaluation).
        "theta": theta,
        "floor": floor,
        "last": last,
    }


def to_utc(start: datetime, at_days: FloatArray) -> list[datetime]:
    base = np.datetime64(start.replace(tzinfo=None), "us")
    stamps = base + np.rint(at_days * 86_400e6).astype("timedelta64[us]")
    return [value.replace(tzinfo=UTC) for value in stamps.astype(datetime)]
