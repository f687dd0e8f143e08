"""Mathvidya's standing: leaderboard ranking, student and teacher analytics, and the monthly
parent report (pure: no database, web or cache imports; the jobs and services feed it rows).

- `ranking`: competition ranking ("1224") with the top-N cut, and first-name-and-initial names;
- `students`: unit-wise and question-type performance by India-time month, strengths and
  weaknesses, and a predicted board-exam band with its basis in words;
- `teachers`: throughput, SLA met %, mark distributions and drift against colleagues on the
  same questions;
- `report`: the monthly report for one child as PDF bytes (fpdf2, core fonts).
"""

from lyceum.mathvidya.analytics.ranking import Contender, Placed, display_name, rank_board
from lyceum.mathvidya.analytics.students import (
    BANDS,
    MarkedItem,
    UnitWeight,
    predicted_band,
    student_analytics,
)
from lyceum.mathvidya.analytics.teachers import (
    EvaluationRecord,
    QuestionMarkRecord,
    drift,
    teacher_analytics,
)

__all__ = [
    "BANDS",
    "Contender",
    "EvaluationRecord",
    "MarkedItem",
    "Placed",
    "QuestionMarkRecord",
    "UnitWeight",
    "display_name",
    "drift",
    "predicted_band",
    "rank_board",
    "student_analytics",
    "teacher_analytics",
]
