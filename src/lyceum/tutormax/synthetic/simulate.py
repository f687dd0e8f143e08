"""The day loop: tutors leave and join, motivation moves, pairings book sessions, sessions
play out, students come and go.

Order within a day: (1) exits (churn, pauses) from yesterday's state, their students look
for a new tutor; (2) hiring towards the scale's headcount; (3) motivation; (4) every active
pairing books today's session with probability frequency / 7 times the day's demand level;
(5) the sessions play out (`behaviour.decide_sessions`) and some students stop; (6) tutors
far over capacity let students go; (7) students looking for a tutor and new students are
matched to tutors with spare capacity in the subject. Arrivals replace yesterday's departures
and close a fifth of the gap to the scale's target number of pairings, so volume stays on
target while the demand level shapes it (school year, holidays, weekdays; normalised to a
mean of 1 over the history).

The loop runs `TRUTH_HORIZON_DAYS` past the history's end, recording only the churn truth,
and snapshots the pairings active at the end: next week's booked sessions come from them.
On request it also keeps a copy of its whole state at the end (`MarketState`), from which
`forward` continues the same world as often as wanted, with or without interventions.

Every random draw goes through a few methods (`_uniform`, `_generator`, `_leaving`,
`_motivation_draws`, `_session_draws`) and every hazard through `_adjust_hazard`: here they
read the history's sequential streams in the history's order, so a seed's arrays do not
depend on them; `forward.ForwardMarket` overrides them with draws keyed by tutor, pairing and
day, and with the planted intervention effect.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lyceum.tutormax.synthetic.behaviour import (
    CANCEL_TUTOR,
    FREQUENCIES,
    FREQUENCY_WEIGHTS,
    LOW_RATING,
    MEAN_FREQUENCY,
    NO_SHOW_TUTOR,
    RESCHEDULED_TUTOR,
    SessionDraws,
    capacity_factor,
    decide_sessions,
    pairing_ends,
    session_draws,
)
from lyceum.tutormax.synthetic.catalog import (
    DURATION_WEIGHTS,
    DURATIONS_MINUTES,
    SCHEDULED_DAYS_AHEAD,
    SUBJECT_SHARES,
    TRUTH_HORIZON_DAYS,
    FloatArray,
    IntArray,
    TutorMaxScale,
)
from lyceum.tutormax.synthetic.churn import (
    PAUSE_HAZARD,
    MotivationDraws,
    churn_hazard,
    low_rating_share,
    motivation_draws,
    reschedule_rate,
    step_motivation,
)
from lyceum.tutormax.synthetic.population import (
    ACTIVE,
    CHURNED,
    INACTIVE,
    Pairings,
    TutorTable,
    initial_tutors,
    new_tutors,
)
from lyceum.tutormax.synthetic.state import (
    MarketState,
    RawHistory,
    Recorder,
    Rolling,
    Seekers,
    Stream,
    choose,
    choose_with,
    matrix,
    stream,
)

HIRING_RATE = 0.05  # share of the headcount gap hired each day
ARRIVAL_GAP_RATE = 0.2
SEEK_AFTER_POOR = 0.7  # students leaving a tutor for cause who look for another
SEEK_OTHERWISE = 0.1
SEEK_AFTER_TUTOR_LEFT = 0.75
SEEK_DAILY_MATCH = 0.5
SEEK_PATIENCE_DAYS = 21
OVERLOAD_RELEASE = 0.02
WARM_UP_DAYS = 120


class Market:
    """One world's day loop. `Market.new` starts a world at the history's first day; a
    subclass may start from a `MarketState` instead (`forward`)."""

    def __init__(
        self,
        spec: TutorMaxScale,
        shape: FloatArray,
        history_days: int,
        rng: dict[Stream, np.random.Generator],
        tutors: TutorTable,
        pairings: Pairings,
    ):
        self.spec = spec
        self.shape = shape
        self.history_days = history_days
        self.rng = rng
        self.tutors = tutors
        self.pairings = pairings
        self.target_weekly = 7.0 * spec.sessions_per_day
        self.student_day: list[IntArray] = []
        self.student_subject: list[IntArray] = []
        self.students = 0
        self.seekers = Seekers.empty()
        self.left_yesterday = 0
        self.booked, self.rescheduled, self.ratings, self.low = (Rolling() for _ in range(4))
        self.record = Recorder()
        self.hazard_rows: list[FloatArray] = []
        self.motivation_rows: list[FloatArray] = []
        self.booked_rows: list[FloatArray] = []
        self.end_state: MarketState | None = None

    @classmethod
    def new(cls, spec: TutorMaxScale, seed: int, shape: FloatArray, history_days: int) -> Market:
        rng = {which: stream(seed, which) for which in Stream}
        tutors = initial_tutors(rng[Stream.TUTORS], spec)
        market = cls(
            spec,
            shape,
            history_days,
            rng,
            tutors,
            Pairings(capacity=int(40 * spec.sessions_per_day)),
        )
        market._warm_up()
        market._initial_pairings()
        return market

    # ---- state ----------------------------------------------------------------------------

    def state(self, next_day: int) -> MarketState:
        """A copy of everything the loop needs to go on from `next_day`."""
        live = MarketState(
            next_day=next_day,
            tutors=self.tutors,
            pairings=self.pairings,
            seekers=self.seekers,
            booked=self.booked,
            rescheduled=self.rescheduled,
            ratings=self.ratings,
            low=self.low,
            students=self.students,
            left_yesterday=self.left_yesterday,
        )
        return live.copy()

    def adopt(self, state: MarketState) -> None:
        """Take over (a copy of) `state`; the records start empty."""
        own = state.copy()
        self.tutors, self.pairings, self.seekers = own.tutors, own.pairings, own.seekers
        self.booked, self.rescheduled = own.booked, own.rescheduled
        self.ratings, self.low = own.ratings, own.low
        self.students, self.left_yesterday = own.students, own.left_yesterday

    # ---- random draws and the hazard (overridden by forward.ForwardMarket) ----------------

    def _uniform(self, which: Stream, day: int, keys: IntArray, lane: int = 0) -> FloatArray:
        """One uniform in [0, 1) per entry of `keys` (tutors, pairings or students)."""
        return self.rng[which].random(int(keys.shape[0]))

    def _generator(self, which: Stream, day: int) -> np.random.Generator:
        """The generator for draws that belong to the day rather than to anyone in it."""
        return self.rng[which]

    def _motivation_draws(self, day: int, tutors: IntArray) -> MotivationDraws:
        return motivation_draws(self.rng[Stream.MOTIVATION], tutors.shape[0])

    def _session_draws(self, day: int, pairings: IntArray) -> SessionDraws:
        return session_draws(self.rng[Stream.SESSIONS], pairings.shape[0])

    def _adjust_hazard(self, day: int, active: IntArray, hazard: FloatArray) -> FloatArray:
        return hazard

    def _leaving(self, day: int, active: IntArray, hazard: FloatArray) -> tuple[IntArray, IntArray]:
        """The active tutors who churn today, and those who pause."""
        draw = self.rng[Stream.EXITS].random(active.shape[0])
        churn = active[draw < hazard]
        pause = active[(draw >= hazard) & (draw < hazard + PAUSE_HAZARD)]
        return churn, pause

    # ---- set-up -------------------------------------------------------------------------

    def _warm_up(self) -> None:
        """Run motivation alone for a while, so the first day has tutors mid-burnout."""
        tutors = self.tutors
        prior = np.full(tutors.count, 0.15)
        for _ in range(WARM_UP_DAYS):
            tutors.motivation, tutors.burnout_left = step_motivation(
                motivation_draws(self.rng[Stream.MOTIVATION], tutors.count),
                tutors.motivation,
                tutors.engagement,
                tutors.burnout_left,
                prior,
            )

    def _new_students(self, count: int, subjects: IntArray, day: IntArray) -> IntArray:
        ids = np.arange(self.students, self.students + count)
        self.students += count
        self.student_day.append(day)
        self.student_subject.append(subjects)
        return ids

    def _pairing_columns(
        self,
        rng: np.random.Generator,
        tutor: IntArray,
        student: IntArray,
        subject: IntArray,
        started: IntArray,
    ) -> dict[str, IntArray]:
        count = int(tutor.shape[0])
        duration_draw = rng.random(count)
        cumulative = np.cumsum(DURATION_WEIGHTS[subject], axis=1)
        duration = DURATIONS_MINUTES[(duration_draw[:, None] >= cumulative).sum(axis=1).clip(0, 3)]
        return {
            "tutor": tutor,
            "student": student,
            "subject": subject,
            "frequency": rng.choice(FREQUENCIES, size=count, p=FREQUENCY_WEIGHTS),
            "duration": duration,
            # After school on weekdays (15:00-20:30 local), daytime at weekends (10:00-17:30).
            "weekday_minute": 15 * 60 + 30 * rng.integers(0, 12, size=count),
            "weekend_minute": 10 * 60 + 30 * rng.integers(0, 16, size=count),
            "sessions_done": np.zeros(count, dtype=np.int64),
            "started_day": started,
        }

    def _subject_for(self, rng: np.random.Generator, tutor: IntArray) -> IntArray:
        """One of each tutor's subjects, by demand share (Gumbel-max)."""
        with np.errstate(divide="ignore"):
            keys = np.log(self.tutors.subjects[tutor] * SUBJECT_SHARES)
        keys = keys + rng.gumbel(size=keys.shape)
        return np.asarray(np.argmax(keys, axis=1), dtype=np.int64)

    def _initial_pairings(self) -> None:
        tutors, rng = self.tutors, self.rng[Stream.PAIRINGS]
        count = round(self.target_weekly / MEAN_FREQUENCY)
        weights = tutors.baseline * capacity_factor(tutors.motivation)
        tutor = choose(rng, weights, count)
        subject = self._subject_for(self.rng[Stream.MATCHING], tutor)
        done = 1 + rng.geometric(0.05, size=count)
        started = -np.ceil(done * 7 / 1.65 * rng.random(count)).astype(np.int64) - 1
        order = np.argsort(started, kind="stable")
        tutor, subject, done, started = tutor[order], subject[order], done[order], started[order]
        student = self._new_students(count, subject, started)
        columns = self._pairing_columns(rng, tutor, student, subject, started)
        columns["sessions_done"] = done
        self.pairings.add(**columns)

    # ---- one day ------------------------------------------------------------------------

    def _features(self, index: IntArray) -> tuple[FloatArray, FloatArray]:
        for rolling in (self.low, self.ratings, self.rescheduled, self.booked):
            rolling.grow(self.tutors.count)
        return (
            low_rating_share(self.low.total[index], self.ratings.total[index]),
            reschedule_rate(self.rescheduled.total[index], self.booked.total[index]),
        )

    def _exits(self, day: int) -> None:
        tutors = self.tutors
        active = np.flatnonzero(tutors.status == ACTIVE)
        low_share, resched = self._features(active)
        hazard = churn_hazard(
            tutors.reliability[active],
            tutors.quality[active],
            tutors.motivation[active],
            day - tutors.joined_day[active],
            low_share,
            resched,
        )
        hazard = self._adjust_hazard(day, active, hazard)
        row = np.full(tutors.count, np.nan)
        row[active] = hazard
        self.hazard_rows.append(row)
        churn, pause = self._leaving(day, active, hazard)
        tutors.status[churn] = CHURNED
        tutors.status[pause] = INACTIVE
        leaving = np.concatenate([churn, pause])
        tutors.left_day[leaving] = day
        if leaving.shape[0] == 0:
            return
        gone = np.zeros(tutors.count, dtype=bool)
        gone[leaving] = True
        ended = np.flatnonzero(self.pairings.active & gone[self.pairings.column("tutor")])
        self._end_pairings(ended, np.full(ended.shape[0], SEEK_AFTER_TUTOR_LEFT), day)

    def _end_pairings(self, ended: IntArray, seek_chance: FloatArray, day: int) -> None:
        if ended.shape[0] == 0:
            return
        self.pairings.active[ended] = False
        seek = self._uniform(Stream.ENDS, day, ended) < seek_chance
        self.left_yesterday += int((~seek).sum())
        moving = ended[seek]
        self.seekers.add(
            self.pairings.column("student")[moving],
            self.pairings.column("subject")[moving],
            self.pairings.column("tutor")[moving],
            day,
        )

    def _hire(self, day: int) -> None:
        headcount = int((self.tutors.status == ACTIVE).sum())
        rng = self._generator(Stream.HIRING, day)
        hires = int(rng.poisson(max(self.spec.tutors - headcount, 0) * HIRING_RATE))
        if hires:
            self.tutors.extend(new_tutors(rng, self.spec, np.full(hires, day, dtype=np.int64)))

    def _motivation(self, day: int) -> None:
        tutors = self.tutors
        active = np.flatnonzero(tutors.status == ACTIVE)
        low_share, _ = self._features(active)
        tutors.motivation[active], tutors.burnout_left[active] = step_motivation(
            self._motivation_draws(day, active),
            tutors.motivation[active],
            tutors.engagement[active],
            tutors.burnout_left[active],
            low_share,
        )
        row = np.full(tutors.count, np.nan)
        row[active] = tutors.motivation[active]
        self.motivation_rows.append(row)

    def _sessions(self, day: int) -> None:
        tutors, pairings = self.tutors, self.pairings
        current = np.flatnonzero(pairings.active)
        chance = pairings.column("frequency")[current] / 7.0 * self.shape[day]
        booked = current[self._uniform(Stream.BOOKING, day, current) < chance]
        tutor = pairings.column("tutor")[booked]
        first = pairings.column("sessions_done")[booked] == 0
        outcomes = decide_sessions(
            self._session_draws(day, booked),
            tutors.reliability[tutor],
            tutors.motivation[tutor],
            tutors.quality[tutor],
            tutors.engagement[tutor],
            first,
        )
        pairings.column("sessions_done")[booked] += 1
        count = tutors.count
        booked_today = np.bincount(tutor, minlength=count).astype(np.float64)
        self.booked.push(booked_today)
        own = outcomes.rescheduled == RESCHEDULED_TUTOR
        self.rescheduled.push(np.bincount(tutor[own], minlength=count).astype(np.float64))
        rated = outcomes.rated
        self.ratings.push(np.bincount(tutor[rated], minlength=count).astype(np.float64))
        low = rated & (outcomes.rating <= LOW_RATING)
        self.low.push(np.bincount(tutor[low], minlength=count).astype(np.float64))
        if day < self.history_days:
            self.booked_rows.append(booked_today)
            self.record.add(
                day=np.full(booked.shape[0], day),
                pairing=booked,
                first=first,
                rescheduled=outcomes.rescheduled,
                outcome=outcomes.outcome,
                quality=outcomes.quality,
                rated=rated,
                rating=outcomes.rating,
            )
        ends = pairing_ends(self._uniform(Stream.ENDS, day, booked, lane=1), outcomes, first)
        for_cause = np.isin(outcomes.outcome, (NO_SHOW_TUTOR, CANCEL_TUTOR)) | (
            outcomes.quality < 0.5
        )
        seek = np.where(for_cause, SEEK_AFTER_POOR, SEEK_OTHERWISE)
        self._end_pairings(booked[ends], seek[ends], day)

    def _capacity(self) -> tuple[FloatArray, FloatArray, IntArray]:
        """Each tutor's weekly sessions booked and offered, and the active pairings."""
        tutors, pairings = self.tutors, self.pairings
        current = np.flatnonzero(pairings.active).astype(np.int64)
        load = np.bincount(
            pairings.column("tutor")[current],
            weights=pairings.column("frequency")[current].astype(np.float64),
            minlength=tutors.count,
        )
        capacity = np.where(
            tutors.status == ACTIVE, tutors.baseline * capacity_factor(tutors.motivation), 0.0
        )
        return load.astype(np.float64), np.asarray(capacity, dtype=np.float64), current

    def _release_overload(self, day: int) -> None:
        load, capacity, current = self._capacity()
        excess = np.where(load > capacity, (load - capacity) / np.maximum(load, 1e-9), 0.0)
        chance = OVERLOAD_RELEASE * excess[self.pairings.column("tutor")[current]]
        released = current[self._uniform(Stream.ENDS, day, current, lane=2) < chance]
        self._end_pairings(released, np.full(released.shape[0], SEEK_AFTER_POOR), day)

    def _match(self, day: int) -> None:
        rng = self._generator(Stream.MATCHING, day)
        load, capacity, current = self._capacity()
        spare = np.maximum(capacity - load, 0.0)
        if spare.sum() <= 0:
            spare = capacity
        if spare.sum() <= 0:
            return
        teaches = self.tutors.subjects
        seekers = self.seekers
        patient = day - seekers.since <= SEEK_PATIENCE_DAYS
        self.left_yesterday += int((~patient).sum())
        seekers.keep(patient)
        ready = (seekers.since < day) & (
            self._uniform(Stream.MATCHING, day, seekers.student) < SEEK_DAILY_MATCH
        )
        chosen = np.full(seekers.student.shape[0], -1)
        for subject in np.unique(seekers.subject[ready]).tolist():
            who = np.flatnonzero(ready & (seekers.subject == subject))
            weights = spare * teaches[:, subject]
            if weights.sum() <= 0:
                continue
            chosen[who] = choose_with(
                weights, self._uniform(Stream.MATCHING, day, seekers.student[who], lane=1)
            )
        matched = (chosen >= 0) & (chosen != seekers.exclude)
        tutor = chosen[matched]
        student = seekers.student[matched]
        subject = seekers.subject[matched]
        seekers.keep(~matched)

        # In weekly sessions: frequent pairings end sooner (more sessions to stop after), so
        # counting pairings would let the volume drift down.
        booked_weekly = float(self.pairings.column("frequency")[current].sum())
        waiting = seekers.student.shape[0] * MEAN_FREQUENCY
        gap = (self.target_weekly - booked_weekly - waiting) / MEAN_FREQUENCY
        arrivals = int(rng.poisson(max(ARRIVAL_GAP_RATE * gap + self.left_yesterday, 0.0)))
        self.left_yesterday = 0
        new_tutor = choose(rng, spare, arrivals)
        new_subject = self._subject_for(rng, new_tutor)
        new_student = self._new_students(arrivals, new_subject, np.full(arrivals, day))
        tutor = np.concatenate([tutor, new_tutor])
        self.pairings.add(
            **self._pairing_columns(
                self._generator(Stream.PAIRINGS, day),
                tutor,
                np.concatenate([student, new_student]),
                np.concatenate([subject, new_subject]),
                np.full(tutor.shape[0], day),
            )
        )

    def _book_next_week(self) -> None:
        """Sessions booked on the pairings active at the end, for the week that follows."""
        pairings, rng = self.pairings, self.rng[Stream.SCHEDULED]
        current = np.flatnonzero(pairings.active)
        days, rows = [], []
        for ahead in range(SCHEDULED_DAYS_AHEAD):
            day = self.history_days + ahead
            chance = pairings.column("frequency")[current] / 7.0 * self.shape[day]
            hit = current[rng.random(current.shape[0]) < chance]
            rows.append(hit)
            days.append(np.full(hit.shape[0], day))
        pairing = np.concatenate(rows)
        day_of = np.concatenate(days)
        # The first booked session of a pairing with none held yet is its first session.
        _, first_index = np.unique(pairing, return_index=True)
        first = np.zeros(pairing.shape[0], dtype=bool)
        first[first_index] = True
        first &= pairings.column("sessions_done")[pairing] == 0
        self.scheduled = (day_of, pairing, first)
        current_students = np.zeros(self.students, dtype=bool)
        current_students[pairings.column("student")[current]] = True
        current_students[self.seekers.student] = True
        self.student_current = current_students

    def step(self, day: int) -> None:
        self._exits(day)
        self._hire(day)
        self._motivation(day)
        self._sessions(day)
        self._release_overload(day)
        self._match(day)
        if day == self.history_days - 1:
            self._book_next_week()

    def finish(self, total_days: int) -> RawHistory:
        count = self.tutors.count
        record = self.record
        day_of, pairing, first = self.scheduled
        return RawHistory(
            history_days=self.history_days,
            total_days=total_days,
            tutors=self.tutors,
            pairings=self.pairings,
            student_created_day=np.concatenate(self.student_day),
            student_subject=np.concatenate(self.student_subject),
            session_day=record.column("day", np.int64),
            session_pairing=record.column("pairing", np.int64),
            session_first=record.column("first", np.bool_),
            session_rescheduled=record.column("rescheduled", np.int64),
            session_outcome=record.column("outcome", np.int64),
            session_quality=record.column("quality", np.float64),
            session_rated=record.column("rated", np.bool_),
            session_rating=record.column("rating", np.int64),
            scheduled_day=day_of,
            scheduled_pairing=pairing,
            scheduled_first=first,
            student_current=self.student_current,
            hazard=matrix(self.hazard_rows, count, np.nan),
            motivation=matrix(self.motivation_rows, count, np.nan),
            booked=matrix(self.booked_rows, count, 0.0).astype(np.int64),
            end_state=self.end_state,
        )


def run_market(
    spec: TutorMaxScale,
    seed: int,
    shape: FloatArray,
    history_days: int,
    report: Callable[[float], None] | None = None,
    keep_end_state: bool = False,
) -> RawHistory:
    """Simulate `history_days` days plus the truth horizon; `shape` covers both.

    With `keep_end_state`, `RawHistory.end_state` is a copy of the loop's state at the
    history's end (before the truth horizon), which changes none of the arrays."""
    total_days = history_days + TRUTH_HORIZON_DAYS
    if shape.shape[0] < total_days:
        raise ValueError(f"demand shape covers {shape.shape[0]} days, need {total_days}")
    market = Market.new(spec, seed, shape, history_days)
    for day in range(total_days):
        market.step(day)
        if keep_end_state and day == history_days - 1:
            market.end_state = market.state(history_days)
        if report is not None and day % 7 == 6:
            report((day + 1) / total_days)
    return market.finish(total_days)


__all__ = ["Market", "run_market"]
