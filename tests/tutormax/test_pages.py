"""TutorMax's pages, the server's half (issue 14 item 9): each renders with the API's own views
in it, controls only for those who may use them, the staff pages for operator accounts and
`/me` for tutor accounts. The browser drives them in tests/browser/test_tutormax.py."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures.tokens import token_for
from tests.nerdboard.test_pages import islands
from tests.tutormax.profile_rows import (
    add_account,
    add_intervention,
    add_metrics,
    add_prediction,
    add_tutor,
    factor,
    tutor_token,
)
from tests.tutormax.rows import DAY

API = "/api/tutormax"


def viewer() -> dict[str, str]:
    return token_for("viewer")


def operator() -> dict[str, str]:
    return token_for("operator", subject="olu@example.com")


async def _world(db: AsyncSession) -> dict[str, str]:
    risky = await add_tutor(db, name="Rita Risky")
    calm = await add_tutor(db, name="Carl Calm")
    await add_prediction(db, risky, 80, factors={"a": factor(14.0, "reschedules: +14 points")})
    await add_prediction(db, risky, 60, day=DAY - timedelta(days=7))
    await add_prediction(db, calm, 10)
    await add_metrics(db, risky, score=55.0, tier="Needs Attention", avg_rating=4.3)
    await add_metrics(db, calm, score=92.0, tier="Exemplary", avg_rating=4.9)
    await add_intervention(db, risky, kind="manager_coaching", status="pending", created=DAY)
    account = await add_account(db, ["tutormax:tutor"], risky)
    await db.commit()
    return {"risky": risky, "calm": calm, "account": str(account)}


async def test_the_dashboard_embeds_the_apis_views(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _world(db_session)
    page = await client.get("/tutormax/", headers=viewer())
    assert page.status_code == 200, page.text[:300]
    assert 'data-page="tutormax-dashboard"' in page.text
    data = islands(page.text)["page-data"]
    views = (("risk", "/risk-overview"), ("queue", "/high-risk"), ("board", "/intervention-board"))
    for key, path in views:
        assert data[key] == (await client.get(API + path, headers=viewer())).json(), key
    assert [tutor["name"] for tutor in data["queue"]["tutors"]] == ["Rita Risky"]


async def test_a_tutors_page_embeds_profile_history_and_standing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _world(db_session)
    page = await client.get(f"/tutormax/tutors/{world['risky']}", headers=viewer())
    assert page.status_code == 200, page.text[:300]
    assert "<h1>Rita Risky</h1>" in page.text
    data = islands(page.text)["page-data"]
    sections = (("profile", "/profile"), ("history", "/history"), ("standing", "/standing"))
    for key, suffix in sections:
        url = f"{API}/tutors/{world['risky']}{suffix}"
        from_api = (await client.get(url, headers=viewer())).json()
        if key == "profile":
            # A tutor with no activity has statistics up to now: the two reads' nows differ.
            from_api["statistics"].pop("until")
            data[key]["statistics"].pop("until")
        assert data[key] == from_api, key
    assert [point["risk_score"] for point in data["history"]["risk"]] == [60, 80]

    unknown = await client.get("/tutormax/tutors/nobody-has-this-id", headers=viewer())
    assert unknown.status_code == 404


async def test_the_tutor_list_and_the_model_page_render_without_a_model(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _world(db_session)
    listing = await client.get("/tutormax/tutors", headers=viewer())
    assert listing.status_code == 200
    tutors = islands(listing.text)["page-data"]["tutors"]
    from_api = await client.get(f"{API}/tutors", headers=viewer(), params={"sort": "risk"})
    assert tutors == from_api.json()
    model = await client.get("/tutormax/model", headers=viewer())
    assert model.status_code == 200
    assert "No churn model has been trained" in model.text
    assert islands(model.text)["page-data"] == {"card": None}


async def test_controls_are_rendered_for_those_who_may_change_interventions(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _world(db_session)
    for path in ("/tutormax/", f"/tutormax/tutors/{world['risky']}"):
        as_operator = await client.get(path, headers=operator())
        as_viewer = await client.get(path, headers=viewer())
        assert 'id="open-intervention"' in as_operator.text, path
        assert islands(as_operator.text)["page-config"]["can_write"] is True
        assert 'id="open-intervention"' not in as_viewer.text, path
        assert islands(as_viewer.text)["page-config"]["can_write"] is False


@pytest.mark.parametrize("path", ["/tutormax/", "/tutormax/tutors", "/tutormax/model"])
async def test_a_tutor_account_is_refused_the_staff_pages(
    client: httpx.AsyncClient, db_session: AsyncSession, path: str
) -> None:
    world = await _world(db_session)
    refused = await client.get(path, headers=tutor_token(world["account"]))  # type: ignore[arg-type]
    assert refused.status_code == 403


async def test_a_tutors_own_page_shows_their_standing_and_nothing_of_the_teams(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await _world(db_session)
    page = await client.get("/tutormax/me", headers=tutor_token(world["account"]))  # type: ignore[arg-type]
    assert page.status_code == 200, page.text[:300]
    data = islands(page.text)["page-data"]
    assert data["profile"]["tutor"]["tutor_id"] == world["risky"]
    assert data["profile"]["prediction"] is None and data["profile"]["interventions"] == []
    assert data["history"]["risk"] == []
    (window,) = data["standing"]["windows"]
    assert window["peers"] == 1
    rating = next(m for m in window["metrics"] if m["key"] == "rating")
    assert rating["better_than"] == 0.0  # 4.3 against the one peer's 4.9
    assert 'id="open-intervention"' not in page.text


async def test_me_for_an_unlinked_account_says_what_to_do_and_staff_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    account = await add_account(db_session, ["tutormax:tutor"])
    await db_session.commit()
    page = await client.get("/tutormax/me", headers=tutor_token(account))
    assert page.status_code == 200
    assert "not linked to a tutor yet" in page.text
    assert (await client.get("/tutormax/me", headers=viewer())).status_code == 403


async def test_pages_send_a_browser_without_a_session_to_sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/tutormax/", headers={"Accept": "text/html"})
    assert page.status_code in (303, 307)
    assert page.headers["location"].startswith("/sign-in?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/api/nerdboard/overview",
        "/api/mathvidya/plans",
        "/api/adaptive/topics",
        "/nerdboard/",
        "/nerdboard/customers",
    ],
)
async def test_a_tutor_account_is_refused_every_other_apps_data(
    client: httpx.AsyncClient, db_session: AsyncSession, path: str
) -> None:
    """An app account is a tutor reading their own TutorMax page, nothing of the platform's."""
    account = await add_account(db_session, ["tutormax:tutor"], await add_tutor(db_session))
    await db_session.commit()
    assert (await client.get(path, headers=tutor_token(account))).status_code == 403
