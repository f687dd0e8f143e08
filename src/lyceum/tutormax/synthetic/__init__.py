"""TutorMax's synthetic history: a year of tutors, students, sessions, feedback and events,
with the latent traits and the churn process that produced them kept aside as ground truth.

Pure NumPy (no database code): `simulate_history(scale, seed, months, end)` returns one dict
of columns per table, which `lyceum.tutormax.generate` bulk-loads by binary COPY.

The model, module by module:

- `catalog`: the fixed end (`HISTORY_END`), scales, 16 subjects with their student stages
  and session lengths, US time zones, the school-year and weekday shape of demand.
- `churn`: tutor traits (reliability, quality, engagement), day-to-day motivation with
  burnout episodes, and the daily churn hazard (traits + recent behaviour).
- `behaviour`: what happens in a session given the tutor (reschedules, no-shows,
  cancellations, quality, ratings), when students stop, how capacity follows motivation.
- `population`: tutor profiles and the student-tutor pairings sessions are booked from.
- `simulate`: the day loop; `state`: its bookkeeping (random streams, rolling sums).
- `sessions`, `feedback`, `events`, `people`: the rows; `text`: fast id and JSON text.
- `history`: `simulate_history`, `TutorMaxHistory` and `GroundTruth`.
- `forward`: the world at the history's end (`World`, kept with `keep_world=True`) and its
  continuation with interventions (`continue_world`); `treatment`: the planted intervention
  effect (`PLANTED_EFFECT`) and schedules; `keyed`: the keyed (counter-based) draws that make
  continuations with and without interventions share their random numbers.

Deterministic: every random draw comes from a generator seeded by (seed, purpose), and the
loop is sequential, so (scale, seed, months, end) fixes every array; a continuation is fixed
by the world, the replicate number and the interventions. Only sessions, feedback,
events, tutors and students are generated; performance metrics, churn predictions and
interventions are what TutorMax computes from them, so they start empty.
"""

from lyceum.tutormax.synthetic.catalog import (
    HISTORY_END,
    SCALES,
    SUBJECT_NAMES,
    TRUTH_HORIZON_DAYS,
    TutorMaxScale,
    history_start,
)
from lyceum.tutormax.synthetic.history import (
    TABLES,
    GroundTruth,
    TutorMaxHistory,
    simulate_history,
)

__all__ = [
    "HISTORY_END",
    "SCALES",
    "SUBJECT_NAMES",
    "TABLES",
    "TRUTH_HORIZON_DAYS",
    "GroundTruth",
    "TutorMaxHistory",
    "TutorMaxScale",
    "history_start",
    "simulate_history",
]
