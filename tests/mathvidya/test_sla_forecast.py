"""The SLA forecast (`lyceum.mathvidya.sla.forecast`): teachers' queues, the choice of a
teacher for a new evaluation, the reassignment plan and the measured marking rate."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lyceum.mathvidya.sla import (
    Move,
    OpenEvaluation,
    TeacherCapacity,
    choose_teacher,
    estimate_minutes_per_evaluation,
    forecast_completions,
    plan_reassignments,
)
from tests.mathvidya.test_sla_calendar import CALENDAR

IST = ZoneInfo("Asia/Kolkata")
# Monday 9 November 2026, 09:00 IST: the day after Diwali, a working day from its opening.
MONDAY = datetime(2026, 11, 9, 9, tzinfo=IST)
SUBMITTED = MONDAY - timedelta(days=1)


def ist(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=IST)


def ids(count: int, prefix: int) -> list[uuid.UUID]:
    """Ordered, readable ids: prefix 0xA for teachers, 0xE for evaluations."""
    return [uuid.UUID(int=(prefix << 120) + i) for i in range(1, count + 1)]


TEACHER_A, TEACHER_B, TEACHER_C, TEACHER_D = ids(4, 0xA)


def teacher(teacher_id: uuid.UUID, minutes: float = 60, max_active: int = 20) -> TeacherCapacity:
    return TeacherCapacity(teacher_id, minutes, max_active)


def evaluation(
    evaluation_id: uuid.UUID,
    holder: uuid.UUID | None,
    deadline: datetime,
    *,
    started: bool = False,
    share: float = 1.0,
) -> OpenEvaluation:
    return OpenEvaluation(evaluation_id, holder, deadline, SUBMITTED, started, share)


# ---- forecast_completions -------------------------------------------------------------


def test_a_queue_is_worked_started_first_then_by_deadline() -> None:
    first, second, third, begun = ids(4, 0xE)
    evaluations = [
        evaluation(third, TEACHER_A, ist(2026, 11, 12, 12)),
        evaluation(first, TEACHER_A, ist(2026, 11, 10, 12)),
        evaluation(begun, TEACHER_A, ist(2026, 11, 14, 12), started=True),
        evaluation(second, TEACHER_A, ist(2026, 11, 11, 12)),
    ]
    forecast = forecast_completions(CALENDAR, MONDAY, evaluations, [teacher(TEACHER_A)])
    # The started one is assumed half done (30 min), then an hour each in deadline order.
    assert forecast == {
        begun: ist(2026, 11, 9, 9, 30),
        first: ist(2026, 11, 9, 10, 30),
        second: ist(2026, 11, 9, 11, 30),
        third: ist(2026, 11, 9, 12, 30),
    }


def test_a_stated_remaining_share_is_used() -> None:
    begun, fresh = ids(2, 0xE)
    evaluations = [
        evaluation(begun, TEACHER_A, ist(2026, 11, 14, 12), started=True, share=0.25),
        evaluation(fresh, TEACHER_A, ist(2026, 11, 10, 12)),
    ]
    forecast = forecast_completions(CALENDAR, MONDAY, evaluations, [teacher(TEACHER_A)])
    assert forecast[begun] == ist(2026, 11, 9, 9, 15)
    assert forecast[fresh] == ist(2026, 11, 9, 10, 15)


def test_the_queue_stops_at_closing_and_skips_guru_nanak_jayanti() -> None:
    # Monday 23 Nov 2026 16:30; Tuesday 24 is Guru Nanak Jayanti.
    now = ist(2026, 11, 23, 16, 30)
    first, second, third = ids(3, 0xE)
    evaluations = [
        evaluation(e, TEACHER_A, ist(2026, 11, 30, 12) + timedelta(minutes=i))
        for i, e in enumerate((first, second, third))
    ]
    # 45 minutes each: Monday has an hour and a half left.
    forecast = forecast_completions(CALENDAR, now, evaluations, [teacher(TEACHER_A, 45)])
    assert forecast == {
        first: ist(2026, 11, 23, 17, 15),
        second: ist(2026, 11, 23, 18, 0),  # it uses Monday's last minute: done at closing
        third: ist(2026, 11, 25, 9, 45),  # Tuesday is a holiday: Wednesday 09:00 + 45 min
    }
    assert forecast[second] == CALENDAR.add_working_hours(now, 1.5)


def test_unassigned_and_deactivated_holders_get_no_forecast() -> None:
    held, pending, orphaned = ids(3, 0xE)
    evaluations = [
        evaluation(held, TEACHER_A, ist(2026, 11, 10, 12)),
        evaluation(pending, None, ist(2026, 11, 10, 12)),
        evaluation(orphaned, TEACHER_C, ist(2026, 11, 10, 12)),
    ]
    forecast = forecast_completions(CALENDAR, MONDAY, evaluations, [teacher(TEACHER_A)])
    assert set(forecast) == {held}


def test_invalid_inputs_are_refused() -> None:
    (one,) = ids(1, 0xE)
    with pytest.raises(ValueError, match="time zone"):
        OpenEvaluation(one, None, datetime(2026, 11, 10), SUBMITTED, False)
    with pytest.raises(ValueError, match="remaining_share"):
        evaluation(one, None, MONDAY, share=1.5)
    with pytest.raises(ValueError, match="minutes_per_evaluation"):
        TeacherCapacity(TEACHER_A, 0, 20)
    with pytest.raises(ValueError, match="twice"):
        forecast_completions(CALENDAR, MONDAY, [], [teacher(TEACHER_A), teacher(TEACHER_A)])


# ---- choose_teacher -------------------------------------------------------------------


def test_the_teacher_who_finishes_first_gets_the_new_evaluation() -> None:
    evaluations = [evaluation(e, TEACHER_A, ist(2026, 11, 12, 12)) for e in ids(3, 0xE)]
    evaluations.append(evaluation(uuid.uuid4(), TEACHER_B, ist(2026, 11, 12, 12)))
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B)]
    due = ist(2026, 11, 13, 12)
    assert choose_teacher(CALENDAR, MONDAY, due, evaluations, teachers) == TEACHER_B
    # B excluded (say, they marked this student's previous attempt): A.
    excluded = frozenset({TEACHER_B})
    assert choose_teacher(CALENDAR, MONDAY, due, evaluations, teachers, excluded) == TEACHER_A
    # B full: A.
    full = [teacher(TEACHER_A), teacher(TEACHER_B, max_active=1)]
    assert choose_teacher(CALENDAR, MONDAY, due, evaluations, full) == TEACHER_A
    # Nobody with room: None.
    nobody = [teacher(TEACHER_A, max_active=3), teacher(TEACHER_B, max_active=1)]
    assert choose_teacher(CALENDAR, MONDAY, due, evaluations, nobody) is None


def test_a_new_evaluation_joins_the_queue_in_deadline_order() -> None:
    # A holds five evaluations due next week; B is idle but takes five hours an evaluation.
    evaluations = [evaluation(e, TEACHER_A, ist(2026, 11, 20, 12)) for e in ids(5, 0xE)]
    teachers = [teacher(TEACHER_A, 60), teacher(TEACHER_B, 300)]
    # Due before all of A's: it goes to the front of A's queue and is done at 10:00 (B: 14:00).
    urgent = ist(2026, 11, 10, 12)
    assert choose_teacher(CALENDAR, MONDAY, urgent, evaluations, teachers) == TEACHER_A
    # Due after all of A's: A would finish it at 15:00, B at 14:00.
    relaxed = ist(2026, 11, 27, 12)
    assert choose_teacher(CALENDAR, MONDAY, relaxed, evaluations, teachers) == TEACHER_B


def test_ties_go_to_fewer_held_then_the_lower_id() -> None:
    due = ist(2026, 11, 13, 12)
    # A holds one that is done (share 0): both would finish at 10:00; B holds fewer.
    done = evaluation(uuid.uuid4(), TEACHER_A, ist(2026, 11, 12, 12), started=True, share=0.0)
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B)]
    assert choose_teacher(CALENDAR, MONDAY, due, [done], teachers) == TEACHER_B
    # Nothing held anywhere: the lower id, whatever the order given.
    assert choose_teacher(CALENDAR, MONDAY, due, [], teachers[::-1]) == TEACHER_A


# ---- plan_reassignments ---------------------------------------------------------------


def long_queue() -> tuple[list[OpenEvaluation], list[uuid.UUID]]:
    """A holds twelve one-hour evaluations all due Tuesday 10 Nov 12:00: Monday's nine hours
    and Tuesday's three until noon. With a 2 h margin each must be done by Tuesday 10:00,
    ten working hours from now, so the eleventh and twelfth are forecast late."""
    evaluation_ids = ids(12, 0xE)
    due = ist(2026, 11, 10, 12)
    return [evaluation(e, TEACHER_A, due) for e in evaluation_ids], evaluation_ids


def test_a_predicted_breach_moves_to_an_idle_colleague() -> None:
    evaluations, evaluation_ids = long_queue()
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B)]
    moves = plan_reassignments(CALENDAR, MONDAY, evaluations, teachers, margin_hours=2)
    assert moves == [
        Move(evaluation_ids[10], TEACHER_A, TEACHER_B, ist(2026, 11, 10, 11), ist(2026, 11, 9, 10)),
        # After the first move A's queue is an hour shorter: the twelfth is forecast for
        # Tuesday 11:00, still past the bound; behind the first at B it is done by 11:00.
        Move(evaluation_ids[11], TEACHER_A, TEACHER_B, ist(2026, 11, 10, 11), ist(2026, 11, 9, 11)),
    ]
    # The plan's result: everything on time.
    moved = {m.evaluation_id: m.to_teacher for m in moves}
    after = [
        evaluation(e.evaluation_id, moved.get(e.evaluation_id, TEACHER_A), e.deadline)
        for e in evaluations
    ]
    assert plan_reassignments(CALENDAR, MONDAY, after, teachers, margin_hours=2) == []


def test_nothing_moves_when_all_is_on_time() -> None:
    evaluations, _ = long_queue()
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B)]
    # Ten evaluations fit before the bound; so does everything with no margin asked for.
    assert plan_reassignments(CALENDAR, MONDAY, evaluations[:10], teachers, 2) == []
    assert plan_reassignments(CALENDAR, MONDAY, evaluations, teachers, 0) == []


def test_started_work_stays_with_its_holder() -> None:
    (late,) = ids(1, 0xE)
    # Already past its deadline and started: A is marking it, B is idle, it does not move.
    evaluations = [evaluation(late, TEACHER_A, MONDAY - timedelta(hours=1), started=True)]
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B)]
    assert plan_reassignments(CALENDAR, MONDAY, evaluations, teachers, 2) == []


def test_a_move_must_meet_the_bound_and_improve() -> None:
    evaluations, _ = long_queue()
    # B is idle but needs twelve working hours an evaluation: it would finish later still.
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B, 12 * 60)]
    assert plan_reassignments(CALENDAR, MONDAY, evaluations, teachers, 2) == []
    # B has no room.
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B, max_active=0)]
    assert plan_reassignments(CALENDAR, MONDAY, evaluations, teachers, 2) == []


def test_a_move_that_would_create_a_breach_is_not_made() -> None:
    evaluations, _ = long_queue()
    # B holds one due just after A's (so A's would be worked before it) and needs nine hours
    # for it: done Monday 18:00, within its bound (Tuesday 10:00:30). A late one of A's in
    # front of it would itself be done by Monday 18:00 at B, but would push B's own to
    # Tuesday 18:00, past its bound; C has no room. So nothing moves.
    due_after = ist(2026, 11, 10, 12) + timedelta(seconds=30)
    b_own = evaluation(uuid.UUID(int=(0xF << 120) + 1), TEACHER_B, due_after)
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B, 9 * 60), teacher(TEACHER_C, max_active=0)]
    assert plan_reassignments(CALENDAR, MONDAY, [*evaluations, b_own], teachers, 2) == []
    # With an hour an evaluation B's own is done at 10:00 now and at 12:00 behind A's two:
    # still within its bound, so both move.
    fast = [teacher(TEACHER_A), teacher(TEACHER_B, 60)]
    assert len(plan_reassignments(CALENDAR, MONDAY, [*evaluations, b_own], fast, 2)) == 2


def test_a_breach_elsewhere_blocks_only_that_target() -> None:
    evaluations, evaluation_ids = long_queue()
    # B holds ten one-hour evaluations due just after A's: the last is done Tuesday 10:00,
    # half a minute inside its bound. B would finish one of A's first (Monday 10:00) but it
    # would push B's tenth past its bound; D, slower (90 min) with nothing to protect, takes
    # A's late ones instead.
    due_after = ist(2026, 11, 10, 12) + timedelta(seconds=30)
    b_own = [evaluation(e, TEACHER_B, due_after) for e in ids(10, 0xF)]
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B), teacher(TEACHER_D, 90)]
    moves = plan_reassignments(CALENDAR, MONDAY, [*evaluations, *b_own], teachers, 2)
    assert [(m.evaluation_id, m.to_teacher) for m in moves] == [
        (evaluation_ids[10], TEACHER_D),
        (evaluation_ids[11], TEACHER_D),
    ]
    assert [m.predicted_after for m in moves] == [ist(2026, 11, 9, 10, 30), ist(2026, 11, 9, 12)]


def test_unassigned_and_deactivated_holders_work_is_placed() -> None:
    pending, orphaned_started, orphaned = ids(3, 0xE)
    evaluations = [
        evaluation(pending, None, ist(2026, 11, 12, 12)),
        # C was deactivated while marking this one: it moves although started.
        evaluation(orphaned_started, TEACHER_C, ist(2026, 11, 10, 12), started=True),
        evaluation(orphaned, TEACHER_C, ist(2026, 11, 11, 12)),
    ]
    held = [evaluation(e, TEACHER_A, ist(2026, 11, 20, 12)) for e in ids(2, 0xB)]
    teachers = [teacher(TEACHER_A), teacher(TEACHER_B)]
    moves = plan_reassignments(CALENDAR, MONDAY, [*held, *evaluations], teachers, 2)
    # Most urgent first: the started one (due Tuesday) to idle B, half done: 09:30; the
    # Wednesday one: B after it (10:30) or A in front of A's two (10:00): A; the Thursday one:
    # B 10:30 vs A after the Wednesday one (11:00): B.
    assert moves == [
        Move(orphaned_started, TEACHER_C, TEACHER_B, None, ist(2026, 11, 9, 9, 30)),
        Move(orphaned, TEACHER_C, TEACHER_A, None, ist(2026, 11, 9, 10)),
        Move(pending, None, TEACHER_B, None, ist(2026, 11, 9, 10, 30)),
    ]


def test_an_orphan_is_placed_even_when_no_one_can_meet_its_bound() -> None:
    (pending,) = ids(1, 0xE)
    # Due in one working hour with a two-hour margin: late whoever takes it, but nobody is
    # working on it where it is.
    evaluations = [evaluation(pending, None, MONDAY + timedelta(hours=1))]
    moves = plan_reassignments(CALENDAR, MONDAY, evaluations, [teacher(TEACHER_B)], 2)
    assert moves == [Move(pending, None, TEACHER_B, None, ist(2026, 11, 9, 10))]
    assert plan_reassignments(CALENDAR, MONDAY, evaluations, [teacher(TEACHER_B, 60, 0)], 2) == []


def test_the_plan_is_deterministic_whatever_the_input_order() -> None:
    rng = random.Random(16)
    teachers = [teacher(t, rng.choice([30, 45, 60, 90]), 8) for t in ids(6, 0xA)]
    holders: list[uuid.UUID | None] = [*(t.teacher_id for t in teachers[:3]), None, TEACHER_D]
    evaluations = [
        evaluation(
            e,
            rng.choice(holders),
            MONDAY + timedelta(hours=rng.randrange(2, 60)),
            started=rng.random() < 0.2,
        )
        for e in ids(40, 0xE)
    ]
    plan = plan_reassignments(CALENDAR, MONDAY, evaluations, teachers, 2)
    assert plan  # the random load has breaches to cure
    for _ in range(5):
        rng.shuffle(evaluations)
        rng.shuffle(teachers)
        assert plan_reassignments(CALENDAR, MONDAY, evaluations, teachers, 2) == plan
    # No move takes an evaluation an active holder has started, none goes to a full teacher,
    # and every move strictly improves the forecast it had.
    started = {e.evaluation_id for e in evaluations if e.started and e.teacher_id in holders[:3]}
    assert not started & {m.evaluation_id for m in plan}
    for move in plan:
        assert move.predicted_before is None or move.predicted_after < move.predicted_before


def test_margin_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="margin"):
        plan_reassignments(CALENDAR, MONDAY, [], [teacher(TEACHER_A)], -1)


# ---- estimate_minutes_per_evaluation --------------------------------------------------


def test_a_new_teacher_gets_the_prior() -> None:
    assert estimate_minutes_per_evaluation([], 40) == 40.0
    assert estimate_minutes_per_evaluation([0, -3, float("nan")], 40) == 40.0


def test_measurements_shrink_towards_the_prior() -> None:
    # Five measurements with median 20 against five pseudo-observations of 40: halfway.
    assert estimate_minutes_per_evaluation([18, 20, 20, 22, 25], 40) == pytest.approx(30.0)
    # One outlier (a sheet left open over lunch) does not move the median.
    assert estimate_minutes_per_evaluation([18, 20, 20, 22, 600], 40) == pytest.approx(30.0)
    # Forty-five measurements: nine tenths measured.
    assert estimate_minutes_per_evaluation([20] * 45, 40) == pytest.approx(22.0)
    # No prior weight: the median alone.
    assert estimate_minutes_per_evaluation([10, 30, 50], 40, prior_weight=0) == 30.0
    # More data, closer to the measurement, never past it.
    estimates = [estimate_minutes_per_evaluation([20] * n, 40) for n in range(0, 60, 5)]
    assert estimates == sorted(estimates, reverse=True)
    assert all(20 < value <= 40 for value in estimates)


def test_estimate_refuses_a_meaningless_prior() -> None:
    with pytest.raises(ValueError, match="prior_minutes"):
        estimate_minutes_per_evaluation([20], 0)
    with pytest.raises(ValueError, match="prior_weight"):
        estimate_minutes_per_evaluation([20], 40, prior_weight=-1)
