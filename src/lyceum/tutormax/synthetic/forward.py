"""Continuing the world past the history's end, with interventions applied.

`simulate_history(..., keep_world=True)` (or `world_at_end`, without the tables) keeps a
copy of the day loop's state at the history's end: a `World`. `continue_world(world,
replicate, schedule)` runs the same loop on from there for up to `TRUTH_HORIZON_DAYS` days
(the demand calendar is known that far), applying the interventions in `schedule` with the
planted effect (`treatment`), and reports what became of the tutors present at the end.
The history itself is untouched: the world is copied for each run, and the tables and the
`GroundTruth` of a seed are the same whether or not a world was kept.

**Replicates and common random numbers.** A replicate is one possible future: its draws come
from (seed, replicate), never from the history's streams, so replicate 0 is not the future
`GroundTruth` recorded (that one used the history's sequential streams); it is one more
future of the same world. Within a replicate, every draw that belongs to someone is keyed
(`keyed.KeyedDraws`) by who and which day: a tutor's exit and pause draws, motivation and
burnout draws by tutor; a session's booking, outcome, rating and ending draws by pairing;
a student's matching draws by student. Day-level draws (how many tutors are hired and who
they are, how many new students arrive, their pairings' details) come from a generator
seeded by (seed, replicate, stream, day). So two runs of one replicate with different
interventions draw the same numbers for the same people on the same days: they differ only
through the treatment and what it sets off (a tutor who stays keeps their students, who
then do not look for someone else). The untreated run of a replicate is therefore the
treated run's counterfactual, and the difference between them is the treatment's effect,
with little noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from lyceum.tutormax.synthetic.behaviour import SessionDraws
from lyceum.tutormax.synthetic.catalog import (
    HISTORY_END,
    TRUTH_HORIZON_DAYS,
    BoolArray,
    FloatArray,
    IntArray,
    TutorMaxScale,
    demand_shape,
    history_start,
)
from lyceum.tutormax.synthetic.churn import (
    BURNOUT_MEAN_DAYS,
    PAUSE_HAZARD,
    MotivationDraws,
)
from lyceum.tutormax.synthetic.keyed import KeyedDraws
from lyceum.tutormax.synthetic.population import ACTIVE, CHURNED, INACTIVE, Pairings
from lyceum.tutormax.synthetic.simulate import Market, run_market
from lyceum.tutormax.synthetic.state import MarketState, Stream, matrix
from lyceum.tutormax.synthetic.treatment import (
    PLANTED_EFFECT,
    EffectWindows,
    InterventionEffect,
    InterventionSchedule,
    plan_effects,
    reduce_hazard,
)

# Keeps the keyed draws of forward runs apart from any other use of (seed, replicate).
_FORWARD_SALT = 0x5F0E


@dataclass(frozen=True)
class World:
    """The world at the history's end, ready to be continued (never modified by a run)."""

    spec: TutorMaxScale
    seed: int
    start: date
    history_days: int
    shape: FloatArray  # the day loop's demand level, history and truth horizon
    state: MarketState

    @property
    def end(self) -> date:
        return date.fromordinal(self.start.toordinal() + self.history_days)

    @property
    def tutors(self) -> int:
        """Tutors present at the end: the rows of the tutors table, in its order."""
        return self.state.tutors.count

    @property
    def active_at_end(self) -> BoolArray:
        return np.asarray(self.state.tutors.status == ACTIVE)

    @property
    def horizon_days(self) -> int:
        return int(self.shape.shape[0]) - self.history_days


@dataclass(frozen=True)
class ForwardRun:
    """One continuation (replicate) of a world, for the tutors present at the history's end
    (rows as in the tutors table). Days count from the end: 0 is its first day after."""

    replicate: int
    days: int
    active_at_end: BoolArray
    churn_day: IntArray  # -1: did not churn within `days`
    pause_day: IntArray  # -1: did not pause within `days`
    hazard: FloatArray  # (tutors, days): the day's churn hazard, NaN when not active
    schedule: InterventionSchedule
    windows: EffectWindows
    hires: int  # tutors who joined during the run (not in the rows above)

    @property
    def tutors(self) -> int:
        return int(self.active_at_end.shape[0])

    def churned(self, within_days: int | None = None) -> BoolArray:
        """Which tutors churned within the first `within_days` days (all of the run's)."""
        limit = self.days if within_days is None else within_days
        return np.asarray((self.churn_day >= 0) & (self.churn_day < limit))

    @property
    def reached(self) -> BoolArray:
        """Tutors whose intervention was completed while they were still active."""
        out = np.zeros(self.tutors, dtype=bool)
        windows = self.windows
        inside = windows.completed & (windows.start < self.days)
        tutor, start = windows.tutor[inside], windows.start[inside]
        out[tutor[~np.isnan(self.hazard[tutor, start])]] = True
        return out


class ForwardMarket(Market):
    """The day loop resumed from a `World`, with keyed draws and interventions."""

    def __init__(
        self,
        world: World,
        replicate: int,
        schedule: InterventionSchedule,
        effect: InterventionEffect,
    ) -> None:
        super().__init__(
            world.spec, world.shape, world.history_days, {}, world.state.tutors, Pairings(0)
        )
        self.adopt(world.state)
        self.draws = KeyedDraws(_FORWARD_SALT, world.seed, replicate)
        self.effect = effect
        self.windows = plan_effects(schedule, effect, self.draws)

    def _uniform(self, which: Stream, day: int, keys: IntArray, lane: int = 0) -> FloatArray:
        return self.draws.uniform(int(which), day, keys, lane)

    def _generator(self, which: Stream, day: int) -> np.random.Generator:
        return np.random.default_rng(self.draws.key(int(which), day, 0xDA7))

    def _motivation_draws(self, day: int, tutors: IntArray) -> MotivationDraws:
        draws, which = self.draws, int(Stream.MOTIVATION)
        return MotivationDraws(
            burnout_start=draws.uniform(which, day, tutors, lane=0),
            burnout_length=draws.geometric(which, day, tutors, 1.0 / BURNOUT_MEAN_DAYS, lane=1),
            noise=draws.normal(which, day, tutors, lane=2),
        )

    def _session_draws(self, day: int, pairings: IntArray) -> SessionDraws:
        draws, which = self.draws, int(Stream.SESSIONS)
        uniform = np.stack([draws.uniform(which, day, pairings, lane) for lane in range(3)])
        return SessionDraws(
            uniform=uniform,
            quality_noise=draws.normal(which, day, pairings, lane=3),
            rating_noise=draws.normal(which, day, pairings, lane=4),
        )

    def _adjust_hazard(self, day: int, active: IntArray, hazard: FloatArray) -> FloatArray:
        if self.effect.hazard_reduction == 0.0 or self.windows.tutor.shape[0] == 0:
            return hazard
        covered = self.windows.covering(day - self.history_days, self.tutors.count)[active]
        if not covered.any():
            return hazard
        tenure = day - self.tutors.joined_day[active[covered]]
        adjusted = hazard.copy()
        adjusted[covered] = reduce_hazard(hazard[covered], tenure, self.effect.hazard_reduction)
        return adjusted

    def _leaving(self, day: int, active: IntArray, hazard: FloatArray) -> tuple[IntArray, IntArray]:
        # Two draws, so that a lower hazard turns a churn into a stay, never into a pause.
        churn = self.draws.uniform(int(Stream.EXITS), day, active, lane=0) < hazard
        pause = ~churn & (self.draws.uniform(int(Stream.EXITS), day, active, lane=1) < PAUSE_HAZARD)
        return active[churn], active[pause]


def world_at_end(
    spec: TutorMaxScale,
    seed: int,
    months: int = 12,
    end: date = HISTORY_END,
    report: Callable[[float], None] | None = None,
) -> World:
    """The world of `simulate_history(spec, seed, months, end)` at its end, without building
    the tables (the day loop alone: about three quarters of the model's time)."""
    start = history_start(end, months)
    days = (end - start).days
    shape = demand_shape(start, days + TRUTH_HORIZON_DAYS)
    shape /= shape[:days].mean()
    raw = run_market(spec, seed, shape, days, report, keep_end_state=True)
    assert raw.end_state is not None
    return World(spec, seed, start, days, shape, raw.end_state)


def continue_world(
    world: World,
    replicate: int,
    schedule: InterventionSchedule | None = None,
    effect: InterventionEffect = PLANTED_EFFECT,
    days: int = TRUTH_HORIZON_DAYS,
) -> ForwardRun:
    """Run replicate `replicate` of the world's future for `days` days with `schedule`'s
    interventions (none by default). Deterministic in (world, replicate, schedule, effect)."""
    schedule = schedule if schedule is not None else InterventionSchedule.none()
    if replicate < 0:
        raise ValueError("replicate must not be negative")
    if not 1 <= days <= world.horizon_days:
        raise ValueError(f"days must be within 1-{world.horizon_days}, got {days}")
    if schedule.count and int(schedule.tutor.max()) >= world.tutors:
        raise ValueError(f"tutor index out of range: the world has {world.tutors} tutors")
    if schedule.count and int(schedule.day.max()) >= days:
        raise ValueError(f"interventions must be assigned within the {days} days run")
    market = ForwardMarket(world, replicate, schedule, effect)
    first = world.history_days
    for day in range(first, first + days):
        market.step(day)
    tutors = world.tutors
    table = market.tutors
    status, left_day = table.status[:tutors], table.left_day[:tutors]
    left_now = (left_day >= first) & (left_day < first + days)
    return ForwardRun(
        replicate=replicate,
        days=days,
        active_at_end=world.active_at_end,
        churn_day=np.where(left_now & (status == CHURNED), left_day - first, -1),
        pause_day=np.where(left_now & (status == INACTIVE), left_day - first, -1),
        hazard=matrix(market.hazard_rows, table.count, np.nan)[:tutors],
        schedule=schedule,
        windows=market.windows,
        hires=table.count - tutors,
    )


__all__ = [
    "ForwardMarket",
    "ForwardRun",
    "World",
    "continue_world",
    "world_at_end",
]
