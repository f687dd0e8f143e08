"""The churn model end to end on a small generated history, in the real database: train,
score (idempotent, every tutor, monotone horizons, levels in their bands, reasons), the
30-day outcomes filled once known, backtests that never use a model from the future, and
the time-holdout evaluation beside the baselines and the generator's true hazard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from lyceum.core.appspec import GenerateOptions
from lyceum.core.errors import InvalidInput, NotFound
from lyceum.tutormax.churn.evaluation import MODEL, TRUTH
from lyceum.tutormax.enums import RISK_BANDS
from lyceum.tutormax.generate import generate
from lyceum.tutormax.service import churn
from lyceum.tutormax.synthetic import HISTORY_END

HISTORY = GenerateOptions(seed=3, scale="small", months=12)
# Long after the history: the clock must not decide which day is "today".
NOW = datetime(2027, 6, 1, tzinfo=UTC)


async def _generated(db: AsyncSession) -> None:
    with Progress(disable=True) as progress:
        await generate(HISTORY, progress)


async def _rows(db: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await db.execute(text(sql), params)).all())


async def test_train_then_score_every_active_tutor(db_session: AsyncSession) -> None:
    await _generated(db_session)
    trained = await churn.train_model(db_session, now=NOW)
    assert trained.as_of == HISTORY_END
    assert trained.version.startswith("hazard-20261102-")
    assert trained.metadata["churned_tutors"] > 3
    [(stored,)] = await _rows(
        db_session,
        "SELECT jsonb_array_length(features) FROM tutormax.churn_models WHERE version = :v",
        v=trained.version,
    )
    assert stored == len(trained.metadata["weights"])

    scored = await churn.score_day(db_session, now=NOW)
    assert scored.day == HISTORY_END and scored.version == trained.version
    active = await _rows(
        db_session,
        "SELECT count(*) FROM tutormax.tutors WHERE onboarding_date < :at "
        "AND (churned_at IS NULL OR churned_at >= :at) AND status <> 'inactive'",
        at=churn.midnight(HISTORY_END),
    )
    assert scored.written == active[0][0]
    rows = await _rows(
        db_session,
        "SELECT churn_probability_7d, churn_probability_30d, churn_probability_90d, "
        "risk_score, risk_level, contributing_factors FROM tutormax.churn_predictions",
    )
    assert len(rows) == scored.written
    bands = {level.value: (low, high) for level, low, high in RISK_BANDS}
    for p7, p30, p90, score, level, factors in rows:
        assert 0 <= p7 <= p30 <= p90 <= 1
        assert bands[level][0] <= score <= bands[level][1]
        for factor in factors.values():
            assert factor["reason"].endswith(" points") and factor["points"] != 0
    assert len({level for *_, level, _ in rows}) >= 3  # the levels separate tutors

    # Rerunning the day rewrites the same rows.
    again = await churn.score_day(db_session, now=NOW)
    assert again.written == scored.written
    [(count,)] = await _rows(db_session, "SELECT count(*) FROM tutormax.churn_predictions")
    assert count == scored.written


async def test_backtests_use_no_model_from_the_future_and_outcomes_arrive(
    db_session: AsyncSession,
) -> None:
    await _generated(db_session)
    past = HISTORY_END - timedelta(days=63)
    with pytest.raises(NotFound, match="train --as-of"):
        await churn.score_day(db_session, past, now=NOW)
    early = await churn.train_model(db_session, past, now=NOW)
    first = await churn.score_day(db_session, past, now=NOW)
    assert first.version == early.version and first.outcomes_filled == 0
    latest = await churn.train_model(db_session, now=NOW)
    # The newer model saw the weeks after `past`: asked for it by name, scoring refuses.
    with pytest.raises(InvalidInput, match="would use the future"):
        await churn.score_day(db_session, past, model_version=latest.version, now=NOW)
    # Scoring the last day fills the 30-day outcomes of the predictions made at `past`.
    final = await churn.score_day(db_session, now=NOW)
    assert final.version == latest.version
    assert final.outcomes_filled == first.written
    mismatches = await _rows(
        db_session,
        """SELECT count(*) FROM tutormax.churn_predictions p JOIN tutormax.tutors t USING (tutor_id)
           WHERE p.prediction_date = :at AND p.outcome_churned_30d IS DISTINCT FROM
                 coalesce(t.churned_at < :at + interval '30 days', false)""",
        at=churn.midnight(past),
    )
    assert mismatches == [(0,)]
    with pytest.raises(InvalidInput, match="after the recorded history"):
        await churn.score_day(db_session, HISTORY_END + timedelta(days=3), now=NOW)
    with pytest.raises(InvalidInput, match="too little history"):
        await churn.train_model(db_session, date(2025, 11, 20), now=NOW)


async def test_the_holdout_evaluation_scores_model_baselines_and_truth(
    db_session: AsyncSession,
) -> None:
    await _generated(db_session)
    report = await churn.evaluate_holdout(db_session, now=NOW)
    evaluation = report.evaluation
    assert evaluation.as_of == (HISTORY_END - timedelta(days=91)).isoformat()
    assert len(evaluation.test_days) == 14
    assert "seed 3" in report.truth_note
    for horizon in (7, 30, 90):
        rows = evaluation.scores[horizon]
        assert set(rows) == {MODEL, "recency", "logins", TRUTH}
        counts = {scores.count for scores in rows.values()}
        assert len(counts) == 1  # every forecaster on the same held-out snapshots
        for scores in rows.values():
            assert 0 <= scores.brier <= 1 and 0 <= scores.ece <= 1
            assert sum(b.count for b in scores.calibration) == scores.count
    # Churn within 90 days of a held-out week happens (the truth runs past the history).
    assert evaluation.scores[90][MODEL].churned > evaluation.scores[7][MODEL].churned > 0
    # The generator's own hazard ranks leavers first far better than chance.
    assert evaluation.scores[90][TRUTH].auc > 0.6
    targets = {check["target"] for check in evaluation.targets}
    assert "30d: AUC at least 0.95 x the true hazard's" in targets
    assert len(targets) == 3 * 5 + 1

    card = await churn.model_card(db_session)
    assert card is not None and card["version"] == report.version
    assert (
        card["evaluation"]["horizons"]["30"][MODEL]["count"] == evaluation.scores[30][MODEL].count
    )
    assert "generator's truth" in card["evaluation"]["outcomes_from"]


def test_the_commands_explain_a_bad_date() -> None:
    from lyceum.tutormax.cli import commands

    runner = CliRunner()
    for command, option in (("train", "--as-of"), ("score", "--date"), ("evaluate", "--as-of")):
        result = runner.invoke(commands, [command, option, "2026-13-01"])
        assert result.exit_code == 2, result.output
        assert "takes a date as YYYY-MM-DD" in result.output
    listed = runner.invoke(commands, ["--help"]).output
    assert all(name in listed for name in ("train", "score", "evaluate"))
