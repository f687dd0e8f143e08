"""Mathvidya's API today: the plan catalogue and the SLA's holiday calendar."""

from __future__ import annotations

import httpx

from tests.fixtures.tokens import token_for

BASE = "/api/mathvidya"


async def test_the_plan_catalogue_is_the_seeds(client: httpx.AsyncClient) -> None:
    viewer = token_for("viewer")
    response = await client.get(f"{BASE}/plans", headers=viewer)
    assert response.status_code == 200
    plans = {plan["plan_type"]: plan for plan in response.json()}
    assert set(plans) == {"basic", "premium_mcq", "premium", "centum"}
    assert (plans["centum"]["sla_hours"], plans["basic"]["sla_hours"]) == (24, 48)
    assert plans["premium"]["leaderboard_access"] is True
    assert plans["basic"]["leaderboard_access"] is False
    assert float(plans["basic"]["annual_price_inr"]) == 2999.0


async def test_the_holiday_calendar_by_year(client: httpx.AsyncClient) -> None:
    viewer = token_for("viewer")
    every = (await client.get(f"{BASE}/holidays", headers=viewer)).json()
    assert len(every["holidays"]) == 26
    year = (await client.get(f"{BASE}/holidays?year=2025", headers=viewer)).json()
    assert year["year"] == 2025 and len(year["holidays"]) == 13
    dates = [holiday["holiday_date"] for holiday in year["holidays"]]
    assert dates == sorted(dates) and all(d.startswith("2025-") for d in dates)
    assert "2025-01-26" in dates  # Republic Day
    assert (await client.get(f"{BASE}/holidays?year=1999", headers=viewer)).status_code == 422
    assert (await client.get(f"{BASE}/plans")).status_code == 401
