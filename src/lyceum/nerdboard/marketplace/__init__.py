"""Nerdboard's marketplace model: pure NumPy, no database.

Used twice: `generate_history` builds the 12-month history that `generate.py` bulk-loads, and
the live simulation rebuilds the state from the tables (`MarketState.from_tables`) and calls
`advance_day` once per simulated day. Both give identical rows: a day's output depends only on
(seed, state, day), with `np.random.default_rng([seed, day.toordinal(), stream])` per stream.

The market: 14 subjects with their own demand share, US school-year season (summer low,
September build-up, Thanksgiving and winter-break dips, December and May finals, AP exams in
May; test prep peaking before SAT/ACT days; Spanish flatter) and weekday shape (Sun-Thu busy,
Fri/Sat quiet); about 25 % growth a year. Students enroll in 1-3 related subjects and churn
with a memoryless hazard that falls with engagement and health and rises after unmet
sessions. Tutors teach 1-4 related subjects, offer 5-40 h a week (reviewed with their
utilization), leave now and then, and are hired towards the last four weeks' demand, so
hiring lags the season and peaks turn students away (sessions without a tutor).

Stored-state rules (the database is the state): an enrollment is active from `start_date`
until it churns; churn sets its `updated_at` to the churn instant, so `updated_at >
created_at` means ended. A tutor is active while `weekly_capacity_hours > 0` (leavers keep
their row with 0). NULL engagement counts as 0.5; a tutor's typical response time and
"dormant" flag follow from their id and number; session ids are `SES-YYYYMMDD-NNNNNN` by
booking order within the day; tutor ids `T-NNNNNN` count up.

Planted data defects (rare, deterministic, never against a CHECK), for the quality checks:
- Double bookings: ~0.05 % of bookings are saved twice: same student_id, subject and
  scheduled_time, another id and session_id, booked 1-30 min after the original. Both rows
  are real sessions to the model (both take tutor time).
- Missing snapshots: on days with `toordinal() % 173 == seed % 173` (about two a year) one
  subject's capacity_snapshots row is missing.
- NULL engagement: ~0.04 % of enrollments have engagement_score NULL (NaN) although they
  book sessions like everyone else.
- Dormant tutors: tutors whose number is 7 mod 211 (T-000007, T-000218, ...) keep offering
  5-40 h a week, never leave and are never booked.
"""

from lyceum.nerdboard.marketplace.batch import DayBatch, MarketBatch, merge_batches
from lyceum.nerdboard.marketplace.catalog import (
    HISTORY_END,
    SCALES,
    SUBJECT_NAMES,
    MarketScale,
    history_start,
)
from lyceum.nerdboard.marketplace.simulate import (
    advance_day,
    generate_history,
    initial_state,
    simulate_days,
)
from lyceum.nerdboard.marketplace.state import RECENT_DAYS, MarketState

__all__ = [
    "HISTORY_END",
    "RECENT_DAYS",
    "SCALES",
    "SUBJECT_NAMES",
    "DayBatch",
    "MarketBatch",
    "MarketScale",
    "MarketState",
    "advance_day",
    "generate_history",
    "history_start",
    "initial_state",
    "merge_batches",
    "simulate_days",
]
