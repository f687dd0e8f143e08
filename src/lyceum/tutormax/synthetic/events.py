"""Tutor events: what a tutor did, day by day, with details in a JSON object.

Per active tutor and day (m = that day's motivation, g = usual engagement):

- login: Poisson, (0.15 + 1.2 m) a day, 30 % more on days with sessions (about 1.2 a day
  on average); device in the metadata. Logins fall with motivation, so they fall in the
  weeks before most churn.
- message_response: Poisson, 0.05 + 0.15 a session booked that day + 0.1 m (a student
  message answered); the minutes to respond are log-normal with median 8 exp(3 (1 - m))
  (8 minutes when keen, two to three hours in burnout).
- availability_changed: 0.4 % a day + 5 % times how far motivation sits below usual; mostly
  decreases when it does. profile_updated (0.2-1 % a day) and training_completed (0.15-0.55 %
  a day, plus three onboarding modules in a new tutor's first ten days) rise with m.
- session_rescheduled, no_show, session_cancelled mirror the sessions (with the session id,
  who, and hours of notice); status_changed is written when a tutor churns or pauses.

Times are local waking hours converted to UTC; nothing at or after the history's end is
recorded. JSON is assembled with array string operations (no per-row `json.dumps`). Rows
are ordered by tutor, then time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.tutormax.enums import EventType
from lyceum.tutormax.synthetic.behaviour import (
    CANCEL_STUDENT,
    CANCEL_TUTOR,
    NO_SHOW_STUDENT,
    NO_SHOW_TUTOR,
    NOT_RESCHEDULED,
    capacity_factor,
)
from lyceum.tutormax.synthetic.catalog import (
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    MICROS_PER_MINUTE,
    TIMEZONE_OFFSETS,
    FloatArray,
    IntArray,
    StrArray,
    as_timestamps,
    midnight_micros,
)
from lyceum.tutormax.synthetic.population import CHURNED
from lyceum.tutormax.synthetic.sessions import (
    RESCHEDULED_BY,
    SCHEDULED,
    Columns,
    SessionFacts,
    tutor_ids,
)
from lyceum.tutormax.synthetic.state import RawHistory
from lyceum.tutormax.synthetic.text import int_text, quoted

DEVICES = np.array(["web", "web", "web", "ios", "android"])
CHANNELS = np.array(["chat", "chat", "chat", "email"])
PROFILE_FIELDS = np.array(["bio", "photo", "subjects", "hourly_rate", "education", "availability"])
MODULES = np.array(
    [
        "platform_basics",
        "first_session_essentials",
        "safeguarding",
        "engagement_strategies",
        "feedback_that_works",
        "test_prep_methods",
        "online_whiteboard",
        "learning_differences",
    ]
)
ONBOARDING_MODULES = 3
Json = list[tuple[str, npt.NDArray[Any]]]


def json_objects(pairs: Json, count: int) -> StrArray:
    """One JSON object per row from key -> column pairs: integer columns are written bare,
    text columns quoted (their values must need no escaping; `quoted` checks)."""
    out: StrArray = np.full(count, "{", dtype="<U1")
    for index, (key, values) in enumerate(pairs):
        prefix = f'{"," if index else ""}"{key}":'
        column = np.asarray(values)
        piece = int_text(column) if column.dtype.kind in "iu" else quoted(column)
        out = np.strings.add(np.strings.add(out, prefix), piece)
    return np.asarray(np.strings.add(out, "}"))


@dataclass
class _Batch:
    kind: EventType
    tutor: IntArray
    at: IntArray  # microseconds
    metadata: StrArray


def _local_times(
    rng: np.random.Generator,
    origin: int,
    tutor_zone: IntArray,
    day: IntArray,
    first_hour: float,
    last_hour: float,
) -> IntArray:
    seconds = rng.integers(int(first_hour * 3600), int(last_hour * 3600), size=day.shape[0])
    return np.asarray(
        origin
        + day * MICROS_PER_DAY
        + seconds * 1_000_000
        + TIMEZONE_OFFSETS[tutor_zone] * MICROS_PER_HOUR
    )


class _Builder:
    def __init__(self, raw: RawHistory, tutors: int, start_day: date, seed: int) -> None:
        self.raw = raw
        self.rng = np.random.default_rng([seed, 7_401])
        self.origin = midnight_micros(start_day)
        self.motivation = raw.motivation[:tutors, : raw.history_days]
        self.active = ~np.isnan(self.motivation)
        self.m = np.nan_to_num(self.motivation, nan=0.0)
        self.batches: list[_Batch] = []

    def _cells(self, rate: FloatArray) -> tuple[IntArray, IntArray]:
        """Tutor and day of each event, `rate` events a day expected (Poisson)."""
        counts = self.rng.poisson(np.where(self.active, rate, 0.0))
        tutor, day = np.nonzero(counts)
        repeats = counts[tutor, day]
        return np.repeat(tutor, repeats), np.repeat(day, repeats)

    def _bernoulli(self, chance: FloatArray) -> tuple[IntArray, IntArray]:
        hits = self.active & (self.rng.random(chance.shape) < chance)
        tutor, day = np.nonzero(hits)
        return tutor, day

    def _add(
        self,
        kind: EventType,
        tutor: IntArray,
        day: IntArray,
        hours: tuple[float, float],
        metadata: Json,
    ) -> None:
        zone = self.raw.tutors.timezone[tutor]
        at = _local_times(self.rng, self.origin, zone, day, *hours)
        self.batches.append(_Batch(kind, tutor, at, json_objects(metadata, tutor.shape[0])))

    def daily(self) -> None:
        rng, m = self.rng, self.m
        booked = self.raw.booked[: m.shape[0], : m.shape[1]]
        tutor, day = self._cells((0.15 + 1.2 * m) * (1 + 0.3 * (booked > 0)))
        device = DEVICES[rng.integers(0, DEVICES.shape[0], tutor.shape[0])]
        self._add(EventType.LOGIN, tutor, day, (7, 23), [("device", device)])

        tutor, day = self._cells(0.05 + 0.15 * booked + 0.1 * m)
        median = 8 * np.exp(3 * (1 - m[tutor, day]))
        minutes = np.maximum(np.rint(median * np.exp(0.8 * rng.standard_normal(tutor.shape[0]))), 1)
        channel = CHANNELS[rng.integers(0, CHANNELS.shape[0], tutor.shape[0])]
        self._add(
            EventType.MESSAGE_RESPONSE,
            tutor,
            day,
            (8, 22),
            [("response_minutes", minutes.astype(np.int64)), ("channel", channel)],
        )

        tutors = self.raw.tutors
        engagement = tutors.engagement[: m.shape[0], None]
        below = np.maximum(engagement - m, 0.0)
        tutor, day = self._bernoulli(0.004 + 0.05 * below)
        decrease = rng.random(tutor.shape[0]) < np.where(below[tutor, day] > 0.05, 0.8, 0.4)
        weekly = np.rint(tutors.baseline[tutor] * capacity_factor(m[tutor, day])).astype(np.int64)
        self._add(
            EventType.AVAILABILITY_CHANGED,
            tutor,
            day,
            (9, 22),
            [
                ("change", np.where(decrease, "decrease", "increase")),
                ("weekly_sessions", weekly),
            ],
        )

        tutor, day = self._bernoulli(0.002 + 0.008 * m)
        field = PROFILE_FIELDS[rng.integers(0, PROFILE_FIELDS.shape[0], tutor.shape[0])]
        self._add(EventType.PROFILE_UPDATED, tutor, day, (9, 22), [("field", field)])

        tutor, day = self._bernoulli(0.0015 + 0.004 * m)
        self._training(tutor, day)

    def _training(self, tutor: IntArray, day: IntArray) -> None:
        rng = self.rng
        module = MODULES[rng.integers(0, MODULES.shape[0], tutor.shape[0])]
        score = rng.integers(70, 101, int(tutor.shape[0]))
        self._add(
            EventType.TRAINING_COMPLETED,
            tutor,
            day,
            (9, 22),
            [("module", module), ("score", score)],
        )

    def onboarding(self) -> None:
        """New tutors' first modules, on their first day and within ten days (while active)."""
        joined = self.raw.tutors.joined_day[: self.m.shape[0]]
        new = np.flatnonzero(joined >= 0)
        tutor = np.repeat(new, ONBOARDING_MODULES)
        which = np.tile(np.arange(ONBOARDING_MODULES), new.shape[0])
        offset = np.stack(
            [
                np.zeros(new.shape[0], dtype=np.int64),
                self.rng.integers(1, 5, new.shape[0]),
                self.rng.integers(5, 11, new.shape[0]),
            ],
            axis=1,
        ).reshape(-1)
        day = joined[tutor] + offset
        keep = day < self.m.shape[1]
        keep[keep] = self.active[tutor[keep], day[keep]]
        tutor, day, which = tutor[keep], day[keep], which[keep]
        score = self.rng.integers(70, 101, int(tutor.shape[0]))
        self._add(
            EventType.TRAINING_COMPLETED,
            tutor,
            day,
            (9, 22),
            [("module", MODULES[which]), ("score", score)],
        )

    def sessions(self, sessions: Columns, facts: SessionFacts) -> None:
        held = facts.outcome != SCHEDULED
        moved = np.flatnonzero(held & (facts.rescheduled != NOT_RESCHEDULED))
        notice = (facts.start[moved] - facts.rescheduled_at[moved]) // MICROS_PER_HOUR
        self.batches.append(
            _Batch(
                EventType.SESSION_RESCHEDULED,
                facts.tutor[moved],
                facts.rescheduled_at[moved],
                json_objects(
                    [
                        ("session_id", sessions["session_id"][moved]),
                        ("initiated_by", RESCHEDULED_BY[facts.rescheduled[moved]]),
                        ("hours_notice", notice),
                    ],
                    moved.shape[0],
                ),
            )
        )
        absent = np.flatnonzero(np.isin(facts.outcome, (NO_SHOW_TUTOR, NO_SHOW_STUDENT)))
        self.batches.append(
            _Batch(
                EventType.NO_SHOW,
                facts.tutor[absent],
                facts.start[absent] + 15 * MICROS_PER_MINUTE,
                json_objects(
                    [
                        ("session_id", sessions["session_id"][absent]),
                        ("no_show_by", sessions["no_show_by"][absent]),
                    ],
                    absent.shape[0],
                ),
            )
        )
        cancelled = np.flatnonzero(np.isin(facts.outcome, (CANCEL_TUTOR, CANCEL_STUDENT)))
        notice = (facts.start[cancelled] - facts.cancelled_at[cancelled]) // MICROS_PER_HOUR
        by = np.where(facts.outcome[cancelled] == CANCEL_TUTOR, "tutor", "student")
        self.batches.append(
            _Batch(
                EventType.SESSION_CANCELLED,
                facts.tutor[cancelled],
                facts.cancelled_at[cancelled],
                json_objects(
                    [
                        ("session_id", sessions["session_id"][cancelled]),
                        ("initiated_by", by),
                        ("hours_notice", notice),
                    ],
                    cancelled.shape[0],
                ),
            )
        )

    def status_changes(self, left_at: IntArray) -> None:
        tutors = self.raw.tutors
        changed = np.flatnonzero(left_at[: self.m.shape[0]] >= 0)
        new_status = np.where(tutors.status[changed] == CHURNED, "churned", "inactive")
        self.batches.append(
            _Batch(
                EventType.STATUS_CHANGED,
                changed,
                left_at[changed],
                json_objects(
                    [("from", np.full(changed.shape[0], "active")), ("to", new_status)],
                    changed.shape[0],
                ),
            )
        )

    def columns(self, start_micros: int, end_micros: int) -> Columns:
        kinds = np.concatenate(
            [np.full(b.tutor.shape[0], index) for index, b in enumerate(self.batches)]
        )
        tutor = np.concatenate([b.tutor for b in self.batches])
        at = np.concatenate([b.at for b in self.batches])
        position = np.concatenate([np.arange(b.tutor.shape[0]) for b in self.batches])
        # Within the history only (a reschedule of its first sessions may predate it). Rows
        # go by tutor, then time: one tutor's recent events share pages, and the two tutor
        # indexes are built from presorted input (their text keys are the costly sorts).
        keep = np.flatnonzero((at >= start_micros) & (at < end_micros))
        order = keep[np.lexsort((at[keep], tutor[keep]))]
        # Object strings: one fixed-width array of every event's JSON would be as wide as the
        # longest (several hundred MB at the default scale).
        metadata = np.empty(order.shape[0], dtype=object)
        batch_of = kinds[order]
        for index, batch in enumerate(self.batches):
            rows = np.flatnonzero(batch_of == index)
            metadata[rows] = batch.metadata[position[order[rows]]]
        type_names = np.array([batch.kind.value for batch in self.batches])
        stamps = as_timestamps(at[order])
        return {
            "tutor_id": tutor_ids(np.arange(self.m.shape[0]))[tutor[order]],
            "event_type": type_names[batch_of],
            "event_timestamp": stamps,
            "metadata": metadata,
            "created_at": stamps,
        }


def event_rows(
    raw: RawHistory,
    tutors: int,
    sessions: Columns,
    facts: SessionFacts,
    left_at: IntArray,
    start_day: date,
    end_micros: int,
    seed: int,
) -> Columns:
    """Every event of the first `tutors` tutors before the end; `left_at` is each tutor's
    churn or pause time in microseconds (-1: still active)."""
    builder = _Builder(raw, tutors, start_day, seed)
    builder.daily()
    builder.onboarding()
    builder.sessions(sessions, facts)
    builder.status_changes(left_at)
    return builder.columns(midnight_micros(start_day), end_micros)


__all__ = ["event_rows", "json_objects"]
