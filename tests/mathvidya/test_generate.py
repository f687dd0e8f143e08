"""`lyceum generate mathvidya` into the real database: what lands (every CHECK, foreign key
and the exclusion constraint accepted it), that it is recorded, replaces rather than adds,
is skipped when already there, refuses bad options, and that a failed load changes nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

import lyceum.mathvidya.generate as generate_module
from lyceum.core import generation
from lyceum.core.appspec import GenerateOptions
from lyceum.core.auth import verify_password
from lyceum.core.errors import Forbidden, InvalidInput
from lyceum.core.operators import demo_password
from lyceum.mathvidya import app_spec
from lyceum.mathvidya.curriculum import SYLLABUS
from lyceum.mathvidya.generate import generate, reference_data
from lyceum.mathvidya.synthetic import SCALES, TABLES, generate_dataset

SMALL = GenerateOptions(seed=11, scale="small", months=12)
FINGERPRINT = """
SELECT md5(string_agg(e.id::text || e.status || e.student_user_id::text, ',' ORDER BY e.id))
FROM mathvidya.exam_instances e
"""


async def _run(options: GenerateOptions) -> str:
    with Progress(disable=True) as progress:
        return await generate(options, progress)


async def _scalar(db: AsyncSession, sql: str) -> Any:
    return (await db.execute(text(sql))).scalar_one()


async def _counts(db: AsyncSession) -> dict[str, int]:
    return {t: await _scalar(db, f"SELECT count(*) FROM mathvidya.{t}") for t in TABLES}  # noqa: S608


async def test_small_data_loads_whole(db_session: AsyncSession) -> None:
    # Tests that commit (the quota's and the webhook's concurrency tests) leave audit rows,
    # which nothing may delete: the generator must add none.
    audited = await _scalar(db_session, "SELECT count(*) FROM mathvidya.audit_logs")
    summary = await _run(SMALL)
    plans, holidays = await reference_data(db_session)
    expected = generate_dataset("small", SMALL.seed, plans, holidays).row_counts()
    counts = await _counts(db_session)
    assert counts == expected
    assert (
        f"{counts['users']:,} users" in summary and f"{counts['exam_instances']:,} exams" in summary
    )
    # Mathvidya has no sign-in yet: `lyceum up` must not advertise logins that cannot work.
    assert "login" not in summary and "@" not in summary

    roles = dict(
        (
            await db_session.execute(
                text("SELECT role, count(*) FROM mathvidya.users GROUP BY role")
            )
        ).all()
    )
    scale = SCALES["small"]
    assert (roles["student"], roles["teacher"], roles["admin"]) == (
        scale.students,
        scale.teachers,
        scale.admins,
    )
    assert 0 < roles["parent"] <= scale.students
    # Every student: a primary parent, exactly one active subscription covering the data's date.
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM mathvidya.users u WHERE u.role = 'student'"
            " AND (SELECT count(*) FROM mathvidya.parent_student_mappings m"
            "      WHERE m.student_user_id = u.id AND m.is_primary_contact) = 1"
            " AND (SELECT count(*) FROM mathvidya.subscriptions s WHERE s.user_id = u.id"
            "      AND s.status = 'active' AND s.starts_at <= '2026-11-20'"
            "      AND s.ends_at > '2026-11-20') = 1",
        )
        == scale.students
    )
    # Subscriptions carry their plan's terms and price.
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM mathvidya.subscriptions s JOIN mathvidya.subscription_plans p"
            " ON p.id = s.plan_id WHERE (s.exams_per_month, s.sla_hours, s.leaderboard_access,"
            " s.amount_paid_inr) = (p.exams_per_month, p.sla_hours, p.leaderboard_access,"
            " p.annual_price_inr)",
        )
        == counts["subscriptions"]
    )
    # Active questions in every unit of both classes, of every type.
    per_unit = {
        (row.class_level, row.unit): row.types
        for row in await db_session.execute(
            text(
                "SELECT class_level, unit, count(DISTINCT question_type) AS types"
                " FROM mathvidya.questions WHERE status = 'active' GROUP BY 1, 2"
            )
        )
    }
    assert per_unit == {(c, unit.name): 4 for c, units in SYLLABUS.items() for unit in units}
    # Evaluations add up, and times_used counts the papers a question appears in.
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM mathvidya.evaluations e WHERE e.status = 'completed'"
            " AND e.marks_awarded <> (SELECT sum(marks_awarded) FROM mathvidya.question_marks m"
            " WHERE m.evaluation_id = e.id)",
        )
        == 0
    )
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM mathvidya.questions q WHERE q.times_used <> (SELECT count(*)"
            " FROM mathvidya.exam_instances e, jsonb_array_elements(e.questions_snapshot) s"
            " WHERE s ->> 'question_id' = q.id::text)",
        )
        == 0
    )
    # One shared hash of the published demo password; the reference data is untouched.
    hashes = (
        (await db_session.execute(text("SELECT DISTINCT password_hash FROM mathvidya.users")))
        .scalars()
        .all()
    )
    assert len(hashes) == 1 and verify_password(hashes[0], demo_password())
    assert await _scalar(db_session, "SELECT count(*) FROM mathvidya.audit_logs") == audited
    assert await _scalar(db_session, "SELECT count(*) FROM mathvidya.subscription_plans") == 4
    assert await _scalar(db_session, "SELECT count(*) FROM mathvidya.holidays") == 26
    assert await _scalar(db_session, "SELECT count(*) FROM mathvidya.system_config") == 24

    run = (
        await db_session.execute(
            text(
                "SELECT seed, scale, months, summary FROM lyceum.generation_runs"
                " WHERE app = 'mathvidya'"
            )
        )
    ).one()
    assert (run.seed, run.scale, run.months) == (SMALL.seed, SMALL.scale, SMALL.months)
    assert run.summary["rows"] == counts
    assert run.summary["as_of"].startswith("2026-11-20")


async def test_rerun_replaces_and_skip_if_present(db_session: AsyncSession) -> None:
    await _run(SMALL)
    first, counts = await _scalar(db_session, FINGERPRINT), await _counts(db_session)
    users = set((await db_session.execute(text("SELECT id FROM mathvidya.users"))).scalars())
    await _run(SMALL)
    assert await _counts(db_session) == counts
    assert await _scalar(db_session, FINGERPRINT) == first
    summary = await _run(GenerateOptions(seed=SMALL.seed, scale="small", skip_if_present=True))
    assert summary.startswith("data already generated")
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 2
    # Another seed is not skipped, and replaces the data.
    await _run(GenerateOptions(seed=12, scale="small", skip_if_present=True))
    assert await _scalar(db_session, FINGERPRINT) != first
    # Nobody from the first data is left.
    now = set((await db_session.execute(text("SELECT id FROM mathvidya.users"))).scalars())
    assert now and now.isdisjoint(users)
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 3


async def test_bad_options_are_refused_before_touching_data(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInput, match="unknown scale 'huge'"):
        await _run(GenerateOptions(scale="huge"))
    with pytest.raises(InvalidInput, match="months must be between 1 and 12"):
        await _run(GenerateOptions(scale="small", months=0))
    with pytest.raises(InvalidInput, match="months must be between 1 and 12"):
        await _run(GenerateOptions(scale="small", months=24))
    monkeypatch.setattr(generation, "get_settings", lambda: SimpleNamespace(env="production"))
    with pytest.raises(Forbidden, match="production"):
        await _run(SMALL)
    assert await _scalar(db_session, "SELECT count(*) FROM mathvidya.users") == 0
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 0


async def test_a_failed_load_leaves_the_previous_data(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _run(SMALL)
    before, fingerprint = await _counts(db_session), await _scalar(db_session, FINGERPRINT)
    real_insert = generate_module.insert

    def failing_insert(table: Any) -> Any:
        if table.name == "evaluations":
            raise RuntimeError("disk full")
        return real_insert(table)

    monkeypatch.setattr(generate_module, "insert", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        await _run(GenerateOptions(seed=99, scale="small"))
    # Users, questions and exams of the new data had gone in; all undone.
    assert await _counts(db_session) == before
    assert await _scalar(db_session, FINGERPRINT) == fingerprint
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 1


def test_the_app_registers_its_generator() -> None:
    assert app_spec.generate is not None
    assert set(app_spec.scales) == set(SCALES)
