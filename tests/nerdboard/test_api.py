"""The dashboard API over a generated history: numbers, parameters, auth, caching, controls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.auth import issue_token
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, load_settings
from lyceum.nerdboard import repository
from lyceum.nerdboard.marketplace import HISTORY_END

DEMO = {"Authorization": f"Bearer {DEVELOPMENT_DEMO_TOKEN}"}
READS = ["/overview", "/capacity", "/forecast", "/customer-health", "/quality", "/simulation"]
BASE = "/api/nerdboard"


def token_for(*roles: str) -> dict[str, str]:
    settings = load_settings()
    token = issue_token(
        "someone@example.com",
        list(roles),
        secret=settings.effective_secret_key,
        audience=settings.jwt_audience,
        ttl_seconds=600,
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", [*READS, "/stream", "/subjects"])
async def test_every_endpoint_needs_a_token(api: httpx.AsyncClient, path: str) -> None:
    response = await api.get(BASE + path)
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]["message"]


async def test_a_forged_token_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{BASE}/overview", headers={"Authorization": "Bearer nope.nope.nope"})
    assert response.status_code == 401


async def test_viewers_read_but_cannot_drive_the_simulation(api: httpx.AsyncClient) -> None:
    viewer = token_for("viewer")
    assert (await api.get(f"{BASE}/overview", headers=viewer)).status_code == 200
    response = await api.post(f"{BASE}/simulation/start", headers=viewer)
    assert response.status_code == 403
    assert "operator" in response.json()["error"]["message"]
    assert (
        await api.post(f"{BASE}/simulation/start", headers=token_for("operator"))
    ).status_code == 200


async def test_overview_matches_the_database(
    api: httpx.AsyncClient, history_session: AsyncSession
) -> None:
    body = (await api.get(f"{BASE}/overview", headers=DEMO)).json()
    end = datetime.combine(HISTORY_END, datetime.min.time(), tzinfo=UTC)
    sessions = (
        await history_session.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE tutor_id IS NULL) FROM nerdboard.sessions"
                " WHERE scheduled_time >= :start AND scheduled_time < :end"
            ),
            {"start": end - timedelta(days=7), "end": end},
        )
    ).one()
    tutors = (
        await history_session.execute(
            text("SELECT count(*) FROM nerdboard.tutors WHERE weekly_capacity_hours > 0")
        )
    ).scalar_one()
    assert body["as_of"].startswith(HISTORY_END.isoformat())
    assert body["sessions_this_week"] == sessions[0] > 0
    assert body["unassigned_sessions_this_week"] == sessions[1]
    assert body["active_tutors"] == tutors
    assert 0 < body["utilization_this_week"] <= 1
    assert 0 < body["average_health_score"] <= 100
    assert 0 <= body["data_quality_score"] <= 5


async def test_capacity_by_week_adds_up_the_days(api: httpx.AsyncClient) -> None:
    daily = (await api.get(f"{BASE}/capacity?days=28&subject=Physics", headers=DEMO)).json()
    weekly = (
        await api.get(f"{BASE}/capacity?days=28&subject=Physics&granularity=week", headers=DEMO)
    ).json()
    assert [s["subject"] for s in daily["subjects"]] == ["Physics"]
    days = daily["subjects"][0]["points"]
    weeks = weekly["subjects"][0]["points"]
    assert len(days) == 28 and len(weeks) == 4
    assert sum(p["used_capacity_hours"] for p in days) == sum(
        p["used_capacity_hours"] for p in weeks
    )
    for point in days:
        assert point["used_capacity_hours"] <= point["total_capacity_hours"]


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("/capacity?days=0", "days"),
        ("/capacity?days=abc", "days"),
        ("/capacity?granularity=month", "granularity"),
        ("/capacity?dayz=7", "dayz"),
        ("/forecast?weeks=99", "weeks"),
        ("/forecast?target_utilization=1.5", "target_utilization"),
        ("/customer-health?limit=0", "limit"),
        ("/overview?target_utilization=-1", "target_utilization"),
    ],
)
async def test_bad_parameters_are_422_naming_the_parameter(
    api: httpx.AsyncClient, query: str, mentions: str
) -> None:
    response = await api.get(BASE + query, headers=DEMO)
    assert response.status_code == 422
    assert mentions in response.text


async def test_unknown_subject_is_422_listing_the_known_ones(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{BASE}/capacity?subject=Astrology", headers=DEMO)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    # Validation errors never echo the input; they list what is accepted.
    assert "subject" in message and "Physics" in message and "Astrology" not in message


@pytest.mark.parametrize("target", ["1e-320", "4.9e-324", "0.01"])
async def test_a_tiny_target_utilization_is_422_not_a_solver_failure(
    api: httpx.AsyncClient, target: str
) -> None:
    response = await api.get(f"{BASE}/forecast?weeks=2&target_utilization={target}", headers=DEMO)
    assert response.status_code == 422, response.text
    assert "target_utilization" in response.json()["error"]["message"]


async def test_the_smallest_target_utilization_is_planned(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{BASE}/forecast?weeks=2&target_utilization=0.05", headers=DEMO)
    assert response.status_code == 200, response.text
    weeks = [week for s in response.json()["subjects"] for week in s["forecast"]]
    assert weeks
    for week in weeks:
        assert week["required_hours"] == pytest.approx(week["demand_hours"] / 0.05, abs=2.0)
        assert week["covered_hours"] <= week["required_hours"] + 0.1


async def test_forecast_has_ordered_intervals_staffing_and_actionable_alerts(
    api: httpx.AsyncClient,
) -> None:
    body = (await api.get(f"{BASE}/forecast?weeks=6", headers=DEMO)).json()
    assert len(body["subjects"]) >= 12
    for subject in body["subjects"]:
        assert len(subject["forecast"]) == 6
        assert len(subject["history"]) >= 12
        for week in subject["forecast"]:
            assert week["lower_95"] <= week["lower_80"] <= week["demand_hours"]
            assert week["demand_hours"] <= week["upper_80"] <= week["upper_95"]
            assert week["required_hours"] == pytest.approx(week["demand_hours"] / 0.85, abs=0.2)
            assert week["covered_hours"] <= week["required_hours"] + 0.1
    for alert in body["alerts"]:
        assert alert["action"].startswith(f"{alert['subject']} needs +")
        assert alert["week_start"] in alert["action"]


async def test_customer_health_distribution_counts_everyone(api: httpx.AsyncClient) -> None:
    body = (await api.get(f"{BASE}/customer-health?bins=5&limit=10", headers=DEMO)).json()
    assert len(body["distribution"]) == 5
    assert sum(b["customers"] for b in body["distribution"]) == body["customers"] > 0
    assert len(body["at_risk"]) == min(10, body["at_risk_count"])
    scores = [c["health_score"] for c in body["at_risk"]]
    assert scores == sorted(scores) and all(s < 40 for s in scores)


async def test_quality_reports_every_check(api: httpx.AsyncClient) -> None:
    body = (await api.get(f"{BASE}/quality", headers=DEMO)).json()
    assert len(body["checks"]) >= 8
    assert 0 <= body["overall_score"] <= 5
    run = await api.post(f"{BASE}/quality/run", headers=DEMO)
    assert run.status_code == 200 and len(run.json()["checks"]) == len(body["checks"])


async def test_running_the_checks_drops_the_cached_report(api: httpx.AsyncClient) -> None:
    # With the simulation paused the clock never moves: without dropping the cached report,
    # the page would show the old results after "run checks now".
    url = f"{BASE}/quality?history=500"
    before = (await api.get(url, headers=DEMO)).json()
    assert (await api.get(url, headers=DEMO)).headers["X-Cache"] == "hit"
    run = (await api.post(f"{BASE}/quality/run", headers=DEMO)).json()
    after = await api.get(url, headers=DEMO)
    assert after.headers["X-Cache"] == "miss"
    checked_at = {c["checked_at"] for c in run["checks"]}

    def runs_at_that_time(report: dict[str, Any]) -> int:
        return sum(entry["checked_at"] in checked_at for entry in report["history"])

    assert runs_at_that_time(after.json()) == runs_at_that_time(before) + len(run["checks"])


async def test_simulation_controls(api: httpx.AsyncClient) -> None:
    state = (await api.get(f"{BASE}/simulation", headers=DEMO)).json()
    assert state["is_running"] is False
    started = await api.post(
        f"{BASE}/simulation/start", headers=DEMO, json={"speed_multiplier": 86_400}
    )
    assert started.status_code == 200
    assert started.json()["is_running"] is True and started.json()["speed_multiplier"] == 86_400
    again = await api.post(f"{BASE}/simulation/start", headers=DEMO)
    assert again.status_code == 409
    assert (await api.post(f"{BASE}/simulation/pause", headers=DEMO)).json()["is_running"] is False
    assert (await api.post(f"{BASE}/simulation/pause", headers=DEMO)).status_code == 409
    assert (await api.post(f"{BASE}/simulation/resume", headers=DEMO)).json()["is_running"] is True
    speed = await api.put(f"{BASE}/simulation/speed", headers=DEMO, json={"speed_multiplier": 60})
    assert speed.json()["speed_multiplier"] == 60
    for bad in ({"speed_multiplier": 0}, {"speed_multiplier": "fast"}, {"speed": 5}, {}):
        response = await api.put(f"{BASE}/simulation/speed", headers=DEMO, json=bad)
        assert response.status_code == 422, bad


async def test_responses_are_cached_until_the_clock_moves(
    api: httpx.AsyncClient, nerdboard_app: FastAPI, history_session: AsyncSession
) -> None:
    stats = nerdboard_app.state.cache.stats
    first = await api.get(f"{BASE}/customer-health", headers=DEMO)
    hits = stats.hits
    second = await api.get(f"{BASE}/customer-health", headers=DEMO)
    assert stats.hits == hits + 1
    assert second.content == first.content
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    # A tick moves the clock's version; the tick's NOTIFY makes the process re-read the clock
    # (here called directly: the test's transaction never commits, so nothing is notified).
    await repository.write_clock(history_session, last_event="tick")
    await history_session.flush()
    nerdboard_app.state.nerdboard_clock.invalidate()
    misses = stats.misses
    third = await api.get(f"{BASE}/customer-health", headers=DEMO)
    assert stats.misses == misses + 1 and third.headers["X-Cache"] == "miss"


async def test_a_lost_notification_still_expires_the_clock(
    api: httpx.AsyncClient, nerdboard_app: FastAPI, history_session: AsyncSession
) -> None:
    clocks = nerdboard_app.state.nerdboard_clock
    clocks.max_age = 0.05
    assert (await api.get(f"{BASE}/quality", headers=DEMO)).headers["X-Cache"] == "miss"
    assert (await api.get(f"{BASE}/quality", headers=DEMO)).headers["X-Cache"] == "hit"
    await repository.write_clock(history_session, last_event="tick")
    await history_session.flush()
    await asyncio.sleep(0.1)  # no invalidate(): only the clock's max age can notice the tick
    assert (await api.get(f"{BASE}/quality", headers=DEMO)).headers["X-Cache"] == "miss"
