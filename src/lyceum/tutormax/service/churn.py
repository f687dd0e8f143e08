"""The churn model's use cases: train, score, evaluate, and the model card. They read and
write through `repository.features` and `repository.predictions` and only flush; the edge
(CLI command, job) commits.

Dates are days; a day D means its midnight UTC, the instant a prediction for D is made:
everything recorded before it is known, nothing after. "The data's today" is the day
after the last recorded session or event (a generated history ends on a fixed day, long
before the machine's clock), and is the default for every date here.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import InvalidInput, NotFound
from lyceum.core.generation_runs import latest_generation_run
from lyceum.tutormax.churn.evaluation import Evaluation, Outcomes, evaluate
from lyceum.tutormax.churn.features import BY_NAME, FEATURE_NAMES, build_features
from lyceum.tutormax.churn.model import DIRECTIONS, METHOD, HazardModel
from lyceum.tutormax.churn.predict import Predictions, predict
from lyceum.tutormax.churn.survival import HORIZONS, offsets
from lyceum.tutormax.churn.training import snapshot_days, train
from lyceum.tutormax.models import ChurnModel
from lyceum.tutormax.repository import features as feature_sql
from lyceum.tutormax.repository import predictions as prediction_sql

# The evaluation holds out this many days at the end of the history (13 weeks: the
# longest horizon fits inside for the first held-out week, and each week is a snapshot).
HOLDOUT_DAYS = 91
APP = "tutormax"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class DataDays:
    first: date  # the first day anything was recorded
    today: date  # the day after the last recorded activity


async def data_days(db: AsyncSession, now: datetime | None = None) -> DataDays:
    """The recorded history's first day and "today" (both as days)."""
    span = await feature_sql.data_span(db, now or datetime.now(UTC))
    if span.first is None or span.last is None:
        raise NotFound(
            "TutorMax has no sessions or events to learn from; load some (or run "
            "`lyceum generate tutormax`) first"
        )
    return DataDays(
        first=span.first.astimezone(UTC).date(),
        today=span.last.astimezone(UTC).date() + timedelta(days=1),
    )


def _check_day(day: date, days: DataDays, what: str) -> None:
    if day > days.today:
        raise InvalidInput(
            f"{what} {day} is after the recorded history, which ends on {days.today}"
        )


async def _features(db: AsyncSession, days: list[date], first: date) -> pd.DataFrame:
    aggregates = await feature_sql.snapshot_aggregates(db, days)
    return build_features(aggregates, first)


def _feature_spec(model: HazardModel, features: pd.DataFrame) -> list[dict[str, Any]]:
    """What the model card lists per feature: words, unit, allowed direction, weight and
    the training snapshots' median."""
    weights = model.weights_by_feature()
    medians = features[list(FEATURE_NAMES)].median(skipna=True)
    return [
        {
            "name": name,
            "words": BY_NAME[name].words,
            "unit": BY_NAME[name].unit,
            "direction": DIRECTIONS.get(name, 0),
            "weight": round(weights[name], 6),
            "median": None if pd.isna(medians[name]) else float(medians[name]),
        }
        for name in FEATURE_NAMES
    ]


def model_version(as_of: date, model: HazardModel) -> str:
    """hazard-YYYYMMDD-<8 hex of the artifact>: the cut-off and a fingerprint, so equal
    data gives an equal version and a rerun is idempotent."""
    digest = hashlib.sha256(model.to_text().encode()).hexdigest()[:8]
    return f"hazard-{as_of:%Y%m%d}-{digest}"


@dataclass(frozen=True)
class TrainingReport:
    version: str
    as_of: date
    metadata: dict[str, Any]
    seconds: float


async def _fit(
    db: AsyncSession, as_of: date, days: DataDays
) -> tuple[HazardModel, dict[str, Any], pd.DataFrame, pd.DataFrame]:
    snapshot_list = snapshot_days(days.first, as_of - timedelta(days=7))
    if not snapshot_list:
        raise InvalidInput(
            f"too little history before {as_of} to train on: the data starts on "
            f"{days.first}, and training needs five weeks of it"
        )
    features = await _features(db, snapshot_list, days.first)
    exits = await feature_sql.tutor_exits(db, midnight(as_of))
    try:
        trained = train(features, exits, midnight(as_of))
    except ValueError as exc:
        raise InvalidInput(f"cannot train on the history before {as_of}: {exc}") from None
    return trained.model, trained.metadata, features, exits


async def train_model(
    db: AsyncSession,
    as_of: date | None = None,
    *,
    now: datetime | None = None,
) -> TrainingReport:
    """Train on what was known at `as_of` (midnight UTC; the data's today by default) and
    save the model (`churn_models`). Flushes only."""
    started = time.perf_counter()
    days = await data_days(db, now)
    cut = as_of or days.today
    _check_day(cut, days, "--as-of")
    model, metadata, features, _ = await _fit(db, cut, days)
    version = model_version(cut, model)
    await prediction_sql.save_model(
        db,
        version=version,
        method=METHOD,
        as_of=midnight(cut),
        artifact=model.to_text(),
        features=_feature_spec(model, features),
        training=metadata,
        evaluation=None,
    )
    return TrainingReport(version, cut, metadata, round(time.perf_counter() - started, 1))


@dataclass(frozen=True)
class ScoreReport:
    day: date
    version: str
    written: int
    outcomes_filled: int
    levels: dict[str, int]
    predictions: Predictions
    seconds: float


async def _model_for(db: AsyncSession, day: date, version: str | None) -> ChurnModel:
    if version is not None:
        row = await prediction_sql.get_model(db, version)
        if row is None:
            raise NotFound(f"no churn model has the version {version!r}")
        if row.as_of > midnight(day):
            raise InvalidInput(
                f"model {version} was trained on data up to {row.as_of.date()}, after "
                f"{day}: its predictions for {day} would use the future"
            )
        return row
    row = await prediction_sql.latest_model(db, as_of_at_most=midnight(day))
    if row is None:
        raise NotFound(
            f"no churn model was trained on data ending on or before {day}; run "
            f"`lyceum tutormax train --as-of {day}` first"
        )
    return row


async def score_day(
    db: AsyncSession,
    day: date | None = None,
    *,
    model_version: str | None = None,
    now: datetime | None = None,
) -> ScoreReport:
    """Predict for every tutor active at `day` (the data's today by default) with the
    latest model that saw nothing after it, write the predictions (one upsert: rerunning
    a day rewrites the same rows), and fill the 30-day outcomes of earlier predictions
    whose 30 days have passed by `day`. Flushes only."""
    started = time.perf_counter()
    days = await data_days(db, now)
    when = day or days.today
    _check_day(when, days, "--date")
    row = await _model_for(db, when, model_version)
    try:
        model = HazardModel.from_text(row.artifact)
    except ValueError as exc:
        raise InvalidInput(f"model {row.version}: {exc}") from None
    features = await _features(db, [when], days.first)
    predictions = predict(model, features)
    written = await prediction_sql.upsert_predictions(
        db,
        prediction_sql.PredictionRows(
            prediction_date=midnight(when),
            model_version=row.version,
            tutor_id=predictions.tutor_id,
            p7=predictions.p7.tolist(),
            p30=predictions.p30.tolist(),
            p90=predictions.p90.tolist(),
            risk_score=[int(score) for score in predictions.risk_score],
            risk_level=[level.value for level in predictions.risk_level],
            factors=predictions.factors,
        ),
    )
    filled = await prediction_sql.fill_outcomes(db, midnight(when))
    await db.flush()
    levels: dict[str, int] = {}
    for level in predictions.risk_level:
        levels[level.value] = levels.get(level.value, 0) + 1
    return ScoreReport(
        day=when,
        version=row.version,
        written=written,
        outcomes_filled=filled,
        levels=levels,
        predictions=predictions,
        seconds=round(time.perf_counter() - started, 1),
    )


@dataclass(frozen=True)
class Truth:
    """The generator's ground truth for the loaded history, or why there is none."""

    hazard: np.ndarray | None = None  # (tutors, days)
    churn_day: np.ndarray | None = None
    tutor_index: dict[str, int] = field(default_factory=dict)
    start: date | None = None
    covered_days: int = 0
    note: str = ""


async def recover_truth(db: AsyncSession, exits_now: pd.DataFrame) -> Truth:
    """Re-run the generator with the recorded seed, scale and months, and check that the
    loaded tutors and churn dates are its own (else the truth is not used)."""
    run = await latest_generation_run(db, APP)
    if run is None:
        return Truth(note="no generation run is recorded: the data was not generated here")
    from lyceum.tutormax.synthetic import simulate_history

    history = await asyncio.to_thread(simulate_history, run.scale, run.seed, run.months)
    truth = history.truth
    index = {str(tutor): position for position, tutor in enumerate(truth.tutor_id)}
    loaded = exits_now.set_index("tutor_id")["churned_at"]
    if set(loaded.index) != set(index):
        return Truth(note="the loaded tutors are not the generated ones (data changed since)")
    rows = [index[t] for t in loaded.index]
    expected = truth.churn_date[rows]
    within = (truth.churn_day[rows] >= 0) & (truth.churn_day[rows] < truth.history_days)
    got = pd.to_datetime(loaded, utc=True).dt.tz_localize(None).to_numpy(dtype="datetime64[D]")
    same = np.where(within, expected == got, np.isnat(got))
    if not same.all():
        return Truth(note="the loaded churn dates are not the generated ones (data changed since)")
    return Truth(
        hazard=truth.hazard,
        churn_day=truth.churn_day,
        tutor_index=index,
        start=truth.start,
        covered_days=int(truth.hazard.shape[1]),
        note=f"seed {run.seed}, scale {run.scale}, {run.months} months",
    )


def _outcomes_from_truth(test: pd.DataFrame, truth: Truth) -> tuple[Outcomes, np.ndarray]:
    assert truth.hazard is not None and truth.churn_day is not None and truth.start is not None
    rows = test["tutor_id"].map(truth.tutor_index).to_numpy(dtype=np.int64)
    day = (test["day"].to_numpy(dtype="datetime64[D]") - np.datetime64(truth.start, "D")).astype(
        np.int64
    )
    churn_day = truth.churn_day[rows]
    churned = {h: (churn_day >= day) & (churn_day < day + h) for h in HORIZONS}
    known = {h: day + h <= truth.covered_days for h in HORIZONS}
    return Outcomes(churned, known), truth.hazard[rows, day]


def _outcomes_from_tables(test: pd.DataFrame, exits: pd.DataFrame, today: date) -> Outcomes:
    joined = test[["tutor_id", "day"]].merge(exits, on="tutor_id", how="left")
    churn = offsets(joined["churned_at"], joined["day"])
    left = (np.datetime64(today, "D") - test["day"].to_numpy(dtype="datetime64[D]")).astype(
        np.int64
    )
    churned = {h: (churn >= 0) & (churn < h) for h in HORIZONS}
    known = {h: left >= h for h in HORIZONS}
    return Outcomes(churned, known)


@dataclass(frozen=True)
class EvaluationReport:
    version: str
    evaluation: Evaluation
    truth_note: str
    training: dict[str, Any]
    seconds: dict[str, float]


async def evaluate_holdout(
    db: AsyncSession, as_of: date | None = None, *, now: datetime | None = None
) -> EvaluationReport:
    """Train on the history before `as_of` (the data's today minus 13 weeks by default),
    predict every week from `as_of` to the end, and score the predictions against what
    happened (the generator's truth when the history was generated here, else the
    tables), beside the baselines and the true hazard. Saves the model with its figures
    (the model card). Flushes only."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    days = await data_days(db, now)
    cut = as_of or days.today - timedelta(days=HOLDOUT_DAYS)
    _check_day(cut, days, "--as-of")
    model, metadata, train_features, train_exits = await _fit(db, cut, days)
    seconds["train"] = round(time.perf_counter() - clock, 1)

    clock = time.perf_counter()
    test_days = [cut + timedelta(days=7 * week) for week in range((days.today - cut).days // 7 + 1)]
    test = await _features(db, test_days, days.first)
    exits_now = await feature_sql.tutor_exits(db, midnight(days.today))
    seconds["features"] = round(time.perf_counter() - clock, 1)

    clock = time.perf_counter()
    truth = await recover_truth(db, exits_now)
    if truth.hazard is not None:
        outcomes, true_hazard = _outcomes_from_truth(test, truth)
    else:
        outcomes, true_hazard = _outcomes_from_tables(test, exits_now, days.today), None
    seconds["truth"] = round(time.perf_counter() - clock, 1)

    clock = time.perf_counter()
    evaluation = evaluate(
        model, train_features, train_exits, midnight(cut), test, outcomes, true_hazard
    )
    seconds["score"] = round(time.perf_counter() - clock, 1)
    figures = {
        **evaluation.as_dict(),
        "outcomes_from": "the generator's truth (" + truth.note + ")"
        if truth.hazard is not None
        else "the tables (" + truth.note + ")",
        "seconds": seconds,
    }
    version = model_version(cut, model)
    await prediction_sql.save_model(
        db,
        version=version,
        method=METHOD,
        as_of=midnight(cut),
        artifact=model.to_text(),
        features=_feature_spec(model, train_features),
        training={**metadata, "purpose": "time-holdout evaluation"},
        evaluation=figures,
    )
    return EvaluationReport(version, evaluation, truth.note, metadata, seconds)


async def model_card(db: AsyncSession) -> dict[str, Any] | None:
    """The latest model (version, when, on what) and the latest held-out figures of the
    method (from the same model when it was evaluated, else the latest evaluation)."""
    latest = await prediction_sql.latest_model(db)
    if latest is None:
        return None
    evaluated = (
        latest if latest.evaluation is not None else await prediction_sql.latest_evaluated_model(db)
    )
    return {
        "version": latest.version,
        "method": latest.method,
        "trained_at": latest.trained_at,
        "as_of": latest.as_of,
        "training": latest.training,
        "features": latest.features,
        "evaluation": None if evaluated is None else evaluated.evaluation,
        "evaluated_version": None if evaluated is None else evaluated.version,
    }


__all__ = [
    "HOLDOUT_DAYS",
    "DataDays",
    "EvaluationReport",
    "ScoreReport",
    "TrainingReport",
    "data_days",
    "evaluate_holdout",
    "model_card",
    "model_version",
    "recover_truth",
    "score_day",
    "train_model",
]
