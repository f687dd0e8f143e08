"""Student feedback: a rating for most completed sessions, with optional sub-scores.

- Who rates: 70 % of completed sessions (80 % of first sessions), decided in the day loop;
  the rating is submitted 2 minutes to a day or so after the session ends (exponential, mean
  six hours). Ratings not submitted by the history's end are not there yet.
- Overall rating: 1-5 from the session's latent quality (see `behaviour`).
- Sub-scores follow the overall rating with their own noise and lean: subject knowledge on
  the tutor's quality, engagement and patience on their motivation that day. A quarter of
  the forms carry no sub-scores at all (the quick rating), and any one is skipped 8 % of
  the time.
- would_recommend: almost always yes at 5, rarely at 1-2; left blank 12 % of the time.
- Free text for about a third (more for very low ratings), from short phrases matching the
  rating. `sentiment_score` stays NULL: text analysis fills it later.
"""

from __future__ import annotations

import numpy as np

from lyceum.tutormax.synthetic.behaviour import COMPLETED
from lyceum.tutormax.synthetic.catalog import MICROS_PER_MINUTE, as_timestamps
from lyceum.tutormax.synthetic.sessions import Columns, SessionFacts
from lyceum.tutormax.synthetic.state import RawHistory

QUICK_FORM_SHARE = 0.25
SUBSCORE_SKIP = 0.08
RECOMMEND_BLANK = 0.12
# P(would recommend) and P(writes a comment) by overall rating 1..5 (index 0 unused).
RECOMMEND_CHANCE = np.array([0.0, 0.03, 0.10, 0.45, 0.90, 0.98])
COMMENT_CHANCE = np.array([0.0, 0.60, 0.55, 0.40, 0.28, 0.30])
COMMENTS: tuple[tuple[str, ...], ...] = (
    (
        "Tutor did not seem prepared.",
        "Hard to follow, I am still confused.",
        "Session started late and felt rushed.",
        "Not helpful for my homework.",
        "Explanations were unclear.",
    ),
    (
        "It was okay, a bit slow.",
        "Some parts helped, others did not.",
        "Fine, but I expected more practice problems.",
        "Average session.",
    ),
    (
        "Really helpful, thank you!",
        "Great explanations, I finally get it.",
        "Very patient and clear.",
        "Helped me prepare for my test.",
        "Good session, looking forward to the next one.",
        "Made a hard topic easy to understand.",
    ),
)
SUBSCORES = (
    "subject_knowledge_rating",
    "communication_rating",
    "patience_rating",
    "engagement_rating",
    "helpfulness_rating",
)


def feedback_rows(
    raw: RawHistory, sessions: Columns, facts: SessionFacts, end_micros: int, seed: int
) -> Columns:
    rng = np.random.default_rng([seed, 7_301])
    delay = (2 + rng.exponential(360, int(facts.rated.shape[0]))) * MICROS_PER_MINUTE
    submitted = facts.actual_end + delay.astype(np.int64)
    # In session order (session ids sort like start times): the unique session_id index is
    # then built from presorted input.
    order = np.flatnonzero(facts.rated & (facts.outcome == COMPLETED) & (submitted < end_micros))
    count = int(order.shape[0])
    overall = facts.rating[order]
    tutor = facts.tutor[order]
    quality = raw.tutors.quality[tutor]
    motivation = facts.motivation[order]
    leans = {
        "subject_knowledge_rating": 1.5 * (quality - 0.69),
        "communication_rating": np.zeros(count),
        "patience_rating": 1.0 * (motivation - 0.6),
        "engagement_rating": 1.5 * (motivation - 0.6),
        "helpfulness_rating": np.zeros(count),
    }
    quick = rng.random(count) < QUICK_FORM_SHARE
    columns: Columns = {
        "session_id": sessions["session_id"][order],
        "student_id": sessions["student_id"][order],
        "tutor_id": sessions["tutor_id"][order],
        "overall_rating": overall.astype(np.int32),
    }
    for name in SUBSCORES:
        score = np.clip(np.rint(overall + leans[name] + 0.55 * rng.standard_normal(count)), 1, 5)
        columns[name] = score.astype(np.int32)
        columns[f"{name}_null"] = quick | (rng.random(count) < SUBSCORE_SKIP)
    columns["would_recommend"] = rng.random(count) < RECOMMEND_CHANCE[overall]
    columns["would_recommend_null"] = rng.random(count) < RECOMMEND_BLANK
    bucket = np.select([overall <= 2, overall == 3], [0, 1], 2)
    text = np.full(count, "", dtype=f"<U{max(len(c) for group in COMMENTS for c in group)}")
    for index, phrases in enumerate(COMMENTS):
        where = np.flatnonzero(bucket == index)
        text[where] = np.asarray(phrases)[rng.integers(0, len(phrases), where.shape[0])]
    columns["free_text_feedback"] = text
    columns["free_text_feedback_null"] = rng.random(count) >= COMMENT_CHANCE[overall]
    stamps = as_timestamps(submitted[order])
    columns["submitted_at"] = stamps
    columns["created_at"] = stamps
    columns["updated_at"] = stamps
    return columns


__all__ = ["SUBSCORES", "feedback_rows"]
