"""TutorMax's API over tutors (issue 14 item 7): the list with risk and score, a tutor's
profile, the high-risk queue, the model's card, the CSV exports, and who sees what."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.core.principal import Principal
from lyceum.tutormax.service import profiles
from tests.fixtures.tokens import token_for
from tests.tutormax.profile_rows import (
    add_account,
    add_event,
    add_intervention,
    add_metrics,
    add_prediction,
    add_session,
    add_student,
    add_tutor,
    factor,
    tutor_token,
)
from tests.tutormax.rows import DAY, MIDNIGHT, base_row, constraints, insert_row, rows
from tests.tutormax.test_repository import counting_statements

BASE = "/api/tutormax"


def viewer() -> dict[str, str]:
    """A fresh token per call: a module-level one expires during a long suite."""
    return token_for("viewer")


def _subject() -> str:
    return f"Subject-{uuid.uuid4().hex[:8]}"


async def _ranked_tutors(db: AsyncSession, subject: str) -> dict[str, str]:
    """Four tutors teaching `subject`: risky, safe, unscored (no rows) and weak."""
    ids = {
        "risky": await add_tutor(db, name="Ava", subjects=[subject]),
        "safe": await add_tutor(db, name="Ben", subjects=[subject]),
        "unscored": await add_tutor(db, name="Cal", subjects=[subject]),
        "weak": await add_tutor(db, name="Dee", subjects=[subject], status="inactive"),
    }
    # An older prediction says the reverse: only the latest counts.
    await add_prediction(db, ids["risky"], 10, day=DAY - timedelta(days=7))
    await add_prediction(db, ids["risky"], 80)
    await add_prediction(db, ids["safe"], 90, day=DAY - timedelta(days=7))
    await add_prediction(db, ids["safe"], 20)
    await add_prediction(db, ids["weak"], 55)
    await add_metrics(db, ids["risky"], score=70, tier="Strong")
    await add_metrics(db, ids["safe"], score=95, tier="Exemplary")
    await add_metrics(db, ids["safe"], score=10, tier="At Risk", day=MIDNIGHT - timedelta(days=1))
    await add_metrics(db, ids["weak"], score=30, tier="At Risk")
    # Another window's score is not the 30-day score.
    await add_metrics(db, ids["weak"], score=99, tier="Exemplary", window="7day")
    return ids


async def test_the_list_carries_latest_risk_and_score_filters_and_sorts(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    subject = _subject()
    ids = await _ranked_tutors(db_session, subject)
    await db_session.commit()

    async def listed(**params: object) -> dict[str, object]:
        response = await client.get(
            f"{BASE}/tutors", headers=viewer(), params={"subject": subject, **params}
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    by_name = await listed()
    rows = by_name["tutors"]
    assert isinstance(rows, list)
    assert [row["tutor_id"] for row in rows] == [
        ids[k] for k in ("risky", "safe", "unscored", "weak")
    ]
    risky, safe, unscored = rows[0], rows[1], rows[2]
    assert (risky["risk_score"], risky["risk_level"], risky["churn_probability_30d"]) == (
        80,
        "Critical",
        0.4,
    )
    assert (safe["risk_score"], safe["overall_score"], safe["performance_tier"]) == (
        20,
        95,
        "Exemplary",
    )
    assert unscored["risk_score"] is None and unscored["overall_score"] is None

    by_risk = await listed(sort="risk")
    assert [r["tutor_id"] for r in by_risk["tutors"]] == [  # type: ignore[union-attr]
        ids["risky"], ids["weak"], ids["safe"], ids["unscored"]
    ]  # fmt: skip
    by_score = await listed(sort="score")
    assert [r["tutor_id"] for r in by_score["tutors"]] == [  # type: ignore[union-attr]
        ids["weak"], ids["risky"], ids["safe"], ids["unscored"]
    ]  # fmt: skip

    critical = await listed(risk_level="Critical")
    assert [r["tutor_id"] for r in critical["tutors"]] == [ids["risky"]]  # type: ignore[union-attr]
    assert critical["total"] == 1
    # The tier of the latest 30-day row: `safe` was At Risk the day before, `weak` is
    # Exemplary over 7 days; neither counts.
    at_risk = await listed(tier="At Risk")
    assert [r["tutor_id"] for r in at_risk["tutors"]] == [ids["weak"]]  # type: ignore[union-attr]
    active_at_risk = await listed(tier="At Risk", status="active")
    assert active_at_risk["total"] == 0 and active_at_risk["tutors"] == []

    page = await listed(sort="risk", limit=2, offset=1)
    assert page["total"] == 4
    assert [r["tutor_id"] for r in page["tutors"]] == [ids["weak"], ids["safe"]]  # type: ignore[union-attr]

    bad = await client.get(f"{BASE}/tutors", headers=viewer(), params={"sort": "age"})
    assert bad.status_code == 422
    bad_tier = await client.get(f"{BASE}/tutors", headers=viewer(), params={"tier": "Great"})
    assert bad_tier.status_code == 422


async def test_the_tutor_list_is_two_statements_whatever_its_length(
    db_connection: AsyncConnection, db_session: AsyncSession
) -> None:
    subject = _subject()
    await _ranked_tutors(db_session, subject)
    filters = profiles.sql.TutorListFilters(subject=subject)
    with counting_statements(db_connection) as statements:
        page = await profiles.tutor_page(db_session, filters, sort="risk", limit=50, offset=0)
    assert len(page.tutors) == 4
    assert len(statements) == 2


async def test_tutors_csv_has_the_lists_rows_and_order(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    subject = _subject()
    ids = await _ranked_tutors(db_session, subject)
    await db_session.commit()

    response = await client.get(
        f"{BASE}/tutors.csv", headers=viewer(), params={"subject": subject, "sort": "score"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="tutors.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["tutor_id"] for row in rows] == [
        ids[k] for k in ("weak", "risky", "safe", "unscored")
    ]
    assert rows[0]["subjects"] == subject and rows[0]["performance_tier"] == "At Risk"
    assert rows[1]["risk_level"] == "Critical" and rows[3]["risk_score"] == ""
    # Paging parameters belong to the list, not to the export.
    paged = await client.get(f"{BASE}/tutors.csv", headers=viewer(), params={"limit": 2})
    assert paged.status_code == 422


async def _profiled_tutor(db: AsyncSession) -> tuple[str, dict[str, str]]:
    tutor = await add_tutor(db, name="Pia")
    student = await add_student(db)
    for window, score in (("90day", 60.0), ("7day", 40.0), ("30day", 50.0)):
        await add_metrics(db, tutor, window=window, score=score)
        await add_metrics(db, tutor, window=window, score=1.0, day=MIDNIGHT - timedelta(days=1))
    for n in range(13):  # oldest first; the latest carries the factors
        factors = None
        if n == 12:
            factors = {
                "logins_30d": factor(-3.0, "logins: -3 points"),
                "reschedules_30d": factor(14.0, "reschedules 2.6x the median: +14 points"),
                "rating_30d": factor(-9.5, "rating above the median: -10 points"),
                "odd": "not an object",
            }
        await add_prediction(
            db, tutor, 30 + n, day=DAY - timedelta(days=7 * (12 - n)), factors=factors
        )
    sessions = {}
    for n in range(22):
        start = DAY - timedelta(days=n)
        sessions[n] = await add_session(db, tutor, student, start, rating=5 if n == 0 else None)
    for n in range(21):
        await add_event(db, tutor, DAY + timedelta(days=2) - timedelta(hours=n))
    first = await add_intervention(
        db, tutor, kind="automated_coaching", status="completed", created=DAY - timedelta(days=9)
    )
    second = await add_intervention(
        db, tutor, kind="manager_coaching", status="pending", created=DAY - timedelta(days=2)
    )
    return tutor, {"latest_session": sessions[0], "first": first, "second": second}


async def test_a_profile_gathers_every_section_for_staff(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tutor, ids = await _profiled_tutor(db_session)
    await db_session.commit()

    response = await client.get(f"{BASE}/tutors/{tutor}/profile", headers=viewer())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["audience"] == "staff" and body["tutor"]["tutor_id"] == tutor
    assert [(m["metric_window"], m["overall_score"]) for m in body["metrics"]] == [
        ("7day", 40.0),
        ("30day", 50.0),
        ("90day", 60.0),
    ]
    prediction = body["prediction"]
    assert prediction["risk_score"] == 42
    assert [f["feature"] for f in prediction["factors"]] == [
        "reschedules_30d",
        "rating_30d",
        "logins_30d",
    ]
    assert prediction["factors"][0]["reason"].endswith("+14 points")
    assert [p["risk_score"] for p in prediction["trend"]] == list(range(31, 43))
    assert len(body["sessions"]) == 20
    assert body["sessions"][0]["session_id"] == ids["latest_session"]
    assert (
        body["sessions"][0]["overall_rating"] == 5 and body["sessions"][1]["overall_rating"] is None
    )
    assert len(body["events"]) == 20
    assert body["events"][0]["event_timestamp"] > body["events"][-1]["event_timestamp"]
    assert [i["intervention_id"] for i in body["interventions"]] == [ids["second"], ids["first"]]
    # The statistics window ends at the last activity (an event two days after DAY), not now.
    statistics = body["statistics"]
    assert statistics["days"] == 30 and statistics["until"].startswith("2025-03-05")
    assert statistics["total_sessions"] == 22 and statistics["average_rating"] == 5.0

    missing = await client.get(f"{BASE}/tutors/nobody/profile", headers=viewer())
    assert missing.status_code == 404 and "nobody" in missing.json()["error"]["message"]


async def test_a_profile_is_a_fixed_number_of_statements(
    db_connection: AsyncConnection, db_session: AsyncSession
) -> None:
    staff = Principal(subject="x", roles=frozenset({"viewer"}), via="jwt")
    busy, _ = await _profiled_tutor(db_session)
    quiet = await add_tutor(db_session)
    counts = []
    for tutor in (busy, quiet):
        with counting_statements(db_connection) as statements:
            await profiles.tutor_profile(db_session, staff, tutor)
        counts.append(len(statements))
    assert counts[0] == counts[1] == 8


async def test_the_high_risk_queue_names_the_top_reason_and_open_interventions(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    worried = await add_tutor(db_session, name="Wes")
    handled = await add_tutor(db_session, name="Hal")
    calm = await add_tutor(db_session, name="Cat")
    gone = await add_tutor(db_session, name="Gus", status="churned", churned_at=DAY)
    reasons = {
        "a": factor(-20.0, "many logins: -20 points"),
        "b": factor(12.0, "reschedules: +12 points"),
        "c": factor(18.0, "no sessions for 3 weeks: +18 points"),
    }
    await add_prediction(db_session, worried, 99, factors=reasons)
    await add_prediction(db_session, handled, 98, factors={"a": factor(-5.0, "fine: -5 points")})
    await add_prediction(db_session, calm, 20)
    await add_prediction(db_session, gone, 100)
    await add_intervention(
        db_session, handled, kind="manager_coaching", status="in_progress", created=DAY
    )
    await add_intervention(
        db_session, worried, kind="automated_coaching", status="completed", created=DAY
    )
    await db_session.commit()

    response = await client.get(f"{BASE}/high-risk", headers=viewer(), params={"min_score": 98})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["min_score"] == 98
    rows = {row["tutor_id"]: row for row in body["tutors"]}
    assert list(rows) == [worried, handled]
    assert rows[worried]["top_reason"] == "no sessions for 3 weeks: +18 points"
    assert rows[worried]["top_reason_points"] == 18.0
    assert rows[worried]["has_open_intervention"] is False
    assert rows[handled]["top_reason"] is None and rows[handled]["has_open_intervention"] is True

    exported = await client.get(f"{BASE}/high-risk.csv", headers=viewer(), params={"min_score": 98})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["tutor_id"] for row in table] == [worried, handled]
    assert table[1]["has_open_intervention"] == "true" and table[1]["top_reason"] == ""

    bad = await client.get(f"{BASE}/high-risk", headers=viewer(), params={"min_score": 101})
    assert bad.status_code == 422


async def test_the_model_card_is_404_until_a_model_is_trained(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    absent = await client.get(f"{BASE}/model", headers=viewer())
    assert absent.status_code == 404
    assert "no churn model has been trained yet" in absent.json()["error"]["message"]

    evaluation = {"auc_30d": 0.81, "brier_30d": 0.05}
    await insert_row(
        db_session,
        "churn_models",
        {**base_row("churn_models"), "version": "hazard-card", "evaluation": evaluation},
    )
    await db_session.commit()
    card = await client.get(f"{BASE}/model", headers=viewer())
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["version"] == "hazard-card" and body["method"] == "logistic hazard"
    assert body["evaluation"] == evaluation and body["evaluated_version"] == "hazard-card"
    assert body["as_of"].startswith("2025-03-03")


# ---- who sees what -------------------------------------------------------------------------

TUTOR_SCOPED = ("/tutors/{tutor}", "/tutors/{tutor}/profile")


@pytest.mark.parametrize("route", TUTOR_SCOPED)
async def test_a_tutor_account_sees_its_own_tutor_only(
    client: httpx.AsyncClient, db_session: AsyncSession, route: str
) -> None:
    own, other = await add_tutor(db_session), await add_tutor(db_session)
    own_account = tutor_token(await add_account(db_session, ["tutormax:tutor"], own))
    other_account = tutor_token(await add_account(db_session, ["tutormax:tutor"], other))
    unlinked = tutor_token(await add_account(db_session, ["tutormax:tutor"]))
    await add_prediction(db_session, own, 60)
    await add_intervention(db_session, own, kind="manager_coaching", status="pending", created=DAY)
    await db_session.commit()
    path = BASE + route.format(tutor=own)

    mine = await client.get(path, headers=own_account)
    assert mine.status_code == 200, mine.text
    assert (mine.json().get("tutor") or mine.json())["tutor_id"] == own
    # Another tutor's account, and an account linked to nobody, learn nothing: the answer is
    # the one for an id nobody has.
    for caller in (other_account, unlinked):
        theirs = await client.get(path, headers=caller)
        assert theirs.status_code == 404
        assert theirs.json()["error"]["message"] == f"no tutor has the id {own!r}"
    staff = await client.get(path, headers=viewer())
    assert (
        staff.status_code == 200 and (staff.json().get("tutor") or staff.json())["tutor_id"] == own
    )

    if route.endswith("/profile"):
        assert mine.json()["audience"] == "tutor"
        assert mine.json()["prediction"] is None and mine.json()["interventions"] == []
        assert staff.json()["audience"] == "staff"
        assert staff.json()["prediction"]["risk_score"] == 60
        assert len(staff.json()["interventions"]) == 1


async def test_a_tutor_account_is_refused_every_other_tutormax_read(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    own = await add_tutor(db_session)
    account = tutor_token(await add_account(db_session, ["tutormax:tutor"], own))
    await db_session.commit()
    for path in ("/tutors", "/tutors.csv", "/high-risk", "/high-risk.csv", "/model",
                 "/interventions", "/interventions.csv"):  # fmt: skip
        response = await client.get(BASE + path, headers=account)
        assert response.status_code == 403, path
    # A token without roles is refused the tutor-scoped routes too.
    nobody = await client.get(f"{BASE}/tutors/{own}", headers=token_for())
    assert nobody.status_code == 403


async def test_accounts_and_their_links_are_constrained(db_session: AsyncSession) -> None:
    tutor = await add_tutor(db_session)
    await add_account(db_session, ["tutormax:tutor"], tutor)
    with pytest.raises(IntegrityError, match="uq_tutor_accounts_tutor_id"):
        async with db_session.begin_nested():
            await add_account(db_session, ["tutormax:tutor"], tutor)
    with pytest.raises(IntegrityError, match="ck_operators_roles_known"):
        async with db_session.begin_nested():
            await add_account(db_session, ["tutormax:admin"])
    mixed = await add_account(db_session, ["viewer", "tutormax:tutor"])
    assert isinstance(mixed, uuid.UUID)


async def test_the_tutor_accounts_table_is_as_designed(db_session: AsyncSession) -> None:
    """Its columns, key, unique tutor and cascading links (the seed's specifications in
    test_schema.py leave this table out)."""
    columns = await rows(
        db_session,
        "SELECT column_name, data_type, is_nullable, collation_name"
        " FROM information_schema.columns"
        " WHERE table_schema = 'tutormax' AND table_name = 'tutor_accounts'",
    )
    assert sorted(columns) == [
        ("created_at", "timestamp with time zone", "NO", None),
        ("operator_id", "uuid", "NO", None),
        ("tutor_id", "character varying", "NO", "C"),
    ]
    keys = await constraints(db_session, "p")
    assert keys["pk_tutor_accounts"][2] == "PRIMARY KEY (operator_id)"
    foreign = {n: d for n, (t, _, d) in (await constraints(db_session, "f")).items()
               if t == "tutor_accounts"}  # fmt: skip
    assert foreign == {
        "fk_tutor_accounts_operator_id_operators": "FOREIGN KEY (operator_id) REFERENCES"
        " lyceum.operators(id) ON DELETE CASCADE",
        "fk_tutor_accounts_tutor_id_tutors": "FOREIGN KEY (tutor_id) REFERENCES"
        " tutormax.tutors(tutor_id) ON DELETE CASCADE",
    }
    [(index,)] = await rows(
        db_session, "SELECT pg_get_indexdef('tutormax.uq_tutor_accounts_tutor_id'::regclass)"
    )
    assert index.startswith("CREATE UNIQUE INDEX") and index.endswith("(tutor_id)")


async def test_linking_an_account_to_its_tutor(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """`lyceum tutormax link-account`: the account must hold the role, the tutor must exist,
    and each side links once; the linked account then reads its profile."""
    tutor, other = await add_tutor(db_session), await add_tutor(db_session)
    account = await add_account(db_session, ["tutormax:tutor"])
    viewer = await add_account(db_session, ["viewer"])
    [(email,)] = await rows(
        db_session, "SELECT email FROM lyceum.operators WHERE id = :i", i=account
    )
    [(viewer_email,)] = await rows(
        db_session, "SELECT email FROM lyceum.operators WHERE id = :i", i=viewer
    )

    with pytest.raises(NotFound, match="no account has the email"):
        await profiles.link_tutor_account(db_session, "nobody@example.com", tutor)
    with pytest.raises(InvalidInput, match="does not hold the role tutormax:tutor"):
        await profiles.link_tutor_account(db_session, viewer_email, tutor)
    with pytest.raises(NotFound, match="no tutor has the id 'T-none'"):
        await profiles.link_tutor_account(db_session, email, "T-none")
    await profiles.link_tutor_account(db_session, email.upper(), tutor)
    with pytest.raises(Conflict, match=f"already linked to tutor '{tutor}'"):
        await profiles.link_tutor_account(db_session, email, other)
    second = await add_account(db_session, ["tutormax:tutor"])
    [(second_email,)] = await rows(
        db_session, "SELECT email FROM lyceum.operators WHERE id = :i", i=second
    )
    with pytest.raises(Conflict, match="already has an account"):
        await profiles.link_tutor_account(db_session, second_email, tutor)
    await db_session.commit()

    mine = await client.get(f"{BASE}/tutors/{tutor}/profile", headers=tutor_token(account))
    assert mine.status_code == 200 and mine.json()["tutor"]["tutor_id"] == tutor
