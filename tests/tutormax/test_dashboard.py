"""The views TutorMax's pages are built from (issue 14 item 9), and their API routes: the risk
overview, the intervention board, a tutor's history, a tutor's standing among peers with what
would lift their score, and who may read each."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.principal import Principal
from lyceum.tutormax.enums import MetricWindow
from lyceum.tutormax.scorecard import WindowMetrics, what_would_lift
from lyceum.tutormax.service import dashboard
from lyceum.tutormax.service.metrics import active_scorecard
from tests.fixtures.tokens import token_for
from tests.tutormax.profile_rows import (
    add_account,
    add_intervention,
    add_metrics,
    add_prediction,
    add_tutor,
    tutor_token,
)
from tests.tutormax.rows import DAY, MIDNIGHT

BASE = "/api/tutormax"
STAFF = Principal(subject="olu@example.com", roles=frozenset({"operator"}), via="jwt")


def viewer() -> dict[str, str]:
    return token_for("viewer")


async def test_the_risk_overview_counts_the_latest_scoring_of_tutors_who_stayed(
    db_session: AsyncSession,
) -> None:
    scores = {"a": 5, "b": 35, "c": 60, "d": 95, "e": 100}
    tutors = {key: await add_tutor(db_session) for key in scores}
    for key, score in scores.items():
        await add_prediction(db_session, tutors[key], score)
    # Churned tutors are not at risk any more; an older day counts only in the trend.
    gone = await add_tutor(db_session, status="churned", churned_at=DAY)
    await add_prediction(db_session, gone, 99)
    await add_prediction(db_session, tutors["a"], 90, day=DAY - timedelta(days=7))
    await db_session.flush()

    overview = await dashboard.risk_overview(db_session)

    assert overview.as_of == DAY
    assert {entry.risk_level.value: entry.tutors for entry in overview.levels} == {
        "Low": 1,
        "Medium": 1,
        "High": 1,
        "Critical": 2,
    }
    by_low = {bucket.low: sum(bucket.tutors.values()) for bucket in overview.buckets}
    assert by_low == {0: 1, 10: 0, 20: 0, 30: 1, 40: 0, 50: 0, 60: 1, 70: 0, 80: 0, 90: 2}
    assert overview.buckets[-1].high == 100  # a score of 100 is in the top bucket
    trend = {point.day: point.tutors for point in overview.trend}
    assert list(trend) == [DAY - timedelta(days=7), DAY]
    assert trend[DAY - timedelta(days=7)]["Critical"] == 1
    # The trend counts every prediction of the day (the churned tutor's was made then).
    assert trend[DAY]["Critical"] == 3


async def test_the_risk_overview_before_any_scoring_is_empty(db_session: AsyncSession) -> None:
    overview = await dashboard.risk_overview(db_session)
    assert overview.as_of is None
    assert overview.trend == []
    assert all(entry.tutors == 0 for entry in overview.levels)


async def test_the_board_holds_every_open_one_and_the_recently_closed(
    db_session: AsyncSession,
) -> None:
    tutor = await add_tutor(db_session, name="Bo")
    today = date(2025, 3, 20)
    due_late = await add_intervention(
        db_session, tutor, kind="manager_coaching", status="pending", created=DAY
    )
    waiting = await add_intervention(
        db_session, tutor, kind="automated_coaching", status="pending", created=DAY
    )
    going = await add_intervention(
        db_session, tutor, kind="peer_mentoring", status="in_progress", created=DAY
    )
    recent = await add_intervention(
        db_session, tutor, kind="recognition", status="completed", created=DAY
    )
    old = await add_intervention(
        db_session, tutor, kind="training_module", status="cancelled", created=DAY
    )
    await db_session.execute(
        text("UPDATE tutormax.interventions SET due_date = :due WHERE intervention_id = :id"),
        {"due": date(2025, 3, 10), "id": due_late},
    )
    await db_session.execute(
        text("UPDATE tutormax.interventions SET updated_at = :at WHERE intervention_id = :id"),
        [
            {"at": DAY + timedelta(days=10), "id": recent},
            {"at": DAY - timedelta(days=60), "id": old},
        ],
    )
    await db_session.flush()

    board = await dashboard.intervention_board(db_session, as_of=today)

    ids = {
        status.value: [str(item.intervention_id) for item in page.interventions]
        for status, page in board.columns.items()
    }
    assert ids == {
        "pending": [due_late, waiting],  # overdue first
        "in_progress": [going],
        "completed": [recent],
        "cancelled": [],  # closed more than 30 days before the day
    }
    overdue = {str(i.intervention_id): i.overdue for i in board.columns["pending"].interventions}
    assert overdue == {due_late: True, waiting: False}


async def _three_peers(db: AsyncSession) -> dict[str, str]:
    """Three tutors scored on the same day: good, middling and weak on every metric."""
    values = {
        "good": dict(avg_rating=4.9, reschedule_rate=0.02, engagement_score=0.9, score=95.0),
        "mid": dict(avg_rating=4.5, reschedule_rate=0.2, engagement_score=0.6, score=70.0),
        "weak": dict(avg_rating=4.1, reschedule_rate=0.35, engagement_score=0.45, score=40.0),
    }
    tutors = {}
    for key, columns in values.items():
        tutors[key] = await add_tutor(db, name=key.title())
        score = columns.pop("score")
        await add_metrics(db, tutors[key], score=score, tier="Strong", **columns)
    return tutors


async def test_standing_says_which_share_of_peers_a_tutor_beats(db_session: AsyncSession) -> None:
    tutors = await _three_peers(db_session)
    # An unscored tutor that day is no one's peer.
    await add_metrics(db_session, await add_tutor(db_session), score=None, avg_rating=1.0)
    await db_session.flush()

    standing = await dashboard.tutor_standing(db_session, STAFF, tutors["mid"])

    (window,) = standing.windows
    assert window.metric_window is MetricWindow.THIRTY_DAY
    assert window.peers == 2
    shares = {metric.key: metric.better_than for metric in window.metrics}
    # Better than the weak tutor, worse than the good one, whichever way is better.
    assert shares["rating"] == shares["reschedule_rate"] == shares["engagement"] == 0.5
    assert shares["overall_score"] == 0.5
    # Every peer has the base row's 10 sessions and no no-shows: ties count half.
    assert shares["sessions_completed"] == 0.5
    assert shares["no_show_rate"] == 0.5
    # No peer answered a message: nothing to compare.
    assert shares["response_time"] is None

    best = await dashboard.tutor_standing(db_session, STAFF, tutors["good"])
    assert {m.key: m.better_than for m in best.windows[0].metrics}["rating"] == 1.0
    worst = await dashboard.tutor_standing(db_session, STAFF, tutors["weak"])
    assert {m.key: m.better_than for m in worst.windows[0].metrics}["reschedule_rate"] == 0.0


async def test_standing_lists_the_scorecards_lifts_in_words(db_session: AsyncSession) -> None:
    tutors = await _three_peers(db_session)
    await db_session.flush()

    standing = await dashboard.tutor_standing(db_session, STAFF, tutors["mid"])

    lifts = standing.windows[0].lifts
    expected = what_would_lift(
        WindowMetrics(
            window=MetricWindow.THIRTY_DAY,
            sessions_completed=10,
            avg_rating=4.5,
            first_session_success_rate=None,
            reschedule_rate=0.2,
            no_show_count=0,
            engagement_score=0.6,
            response_time_avg_minutes=None,
        ),
        active_scorecard(),
    )
    assert [lift.criterion for lift in lifts] == [lift.code.value for lift in expected]
    assert [lift.points for lift in lifts] == [lift.points for lift in expected]
    rating = next(lift for lift in lifts if lift.criterion == "rating")
    assert rating.sentence.startswith("Average rating 4.50, target 4.80 or higher: +")
    reschedules = next(lift for lift in lifts if lift.criterion == "reschedule_rate")
    assert "Tutor-initiated reschedules 20%, target 10% or lower" in reschedules.sentence


async def test_history_covers_the_days_before_the_latest_and_hides_risk_from_the_tutor(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tutor = await add_tutor(db_session)
    for days_back in (0, 10, 40):
        day = MIDNIGHT - timedelta(days=days_back)
        await add_metrics(db_session, tutor, day=day, score=80.0 - days_back)
        await add_prediction(db_session, tutor, 30 + days_back, day=DAY - timedelta(days=days_back))
    account = await add_account(db_session, ["tutormax:tutor"], tutor)
    await db_session.commit()

    history = f"{BASE}/tutors/{tutor}/history"
    staff = await client.get(history, headers=viewer(), params={"days": 30})
    assert staff.status_code == 200, staff.text
    body = staff.json()
    assert [point["overall_score"] for point in body["metrics"]] == [70.0, 80.0]
    assert [point["risk_score"] for point in body["risk"]] == [40, 30]

    own = await client.get(f"{BASE}/tutors/{tutor}/history", headers=tutor_token(account))
    assert own.status_code == 200, own.text
    assert len(own.json()["metrics"]) == 3 and own.json()["risk"] == []

    refused = await client.get(
        f"{BASE}/tutors/{tutor}/history", headers=viewer(), params={"days": 0}
    )
    assert refused.status_code == 422


@pytest.mark.parametrize("route", ["/tutors/{tutor}/history", "/tutors/{tutor}/standing"])
async def test_a_tutor_account_reads_only_its_own_history_and_standing(
    client: httpx.AsyncClient, db_session: AsyncSession, route: str
) -> None:
    own, other = await add_tutor(db_session), await add_tutor(db_session)
    account = await add_account(db_session, ["tutormax:tutor"], own)
    await db_session.commit()
    headers = tutor_token(account)
    assert (await client.get(BASE + route.format(tutor=own), headers=headers)).status_code == 200
    stranger = await client.get(BASE + route.format(tutor=other), headers=headers)
    assert stranger.status_code == 404


async def test_me_names_the_linked_tutor_or_says_what_to_do(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tutor = await add_tutor(db_session, name="Ada Lovelace")
    linked = await add_account(db_session, ["tutormax:tutor"], tutor)
    unlinked = await add_account(db_session, ["tutormax:tutor"])
    await db_session.commit()

    mine = await client.get(f"{BASE}/me", headers=tutor_token(linked))
    assert mine.json() == {"tutor_id": tutor, "name": "Ada Lovelace"}
    none = await client.get(f"{BASE}/me", headers=tutor_token(unlinked))
    assert none.status_code == 404
    assert "not linked to a tutor" in none.json()["error"]["message"]


@pytest.mark.parametrize("route", ["/risk-overview", "/intervention-board"])
async def test_the_team_views_are_for_operator_accounts_only(
    client: httpx.AsyncClient, db_session: AsyncSession, route: str
) -> None:
    account = await add_account(db_session, ["tutormax:tutor"], await add_tutor(db_session))
    await db_session.commit()
    assert (await client.get(BASE + route, headers=viewer())).status_code == 200
    assert (await client.get(BASE + route, headers=tutor_token(account))).status_code == 403
