"""Migration 0011 as PostgreSQL sees it: the intervention engine's three tables (schema
tutormax) and the platform outbox (schema lyceum), read from the catalog; every named check
refuses the row it is about; the downgrade removes exactly what 0011 built."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures import services
from tests.tutormax.intervention_rows import DAY, add_tutor
from tests.tutormax.rows import CHECK_VIOLATION, insert_row, refusal, rows

TSTZ = "timestamp with time zone"
ENGINE_COLUMNS: dict[str, dict[str, tuple[str, bool, str | None]]] = {
    "intervention_rule_matches": {
        "tutor_id": ("character varying(50)", False, None),
        "intervention_type": ("character varying(50)", False, None),
        "match_date": ("date", False, None),
        "rule_id": ("character varying(100)", False, None),
        "arm": ("character varying(20)", False, None),
        "intervention_id": ("uuid", True, None),
        "created_at": (TSTZ, False, "now()"),
    },
    "intervention_routing": {
        "intervention_id": ("uuid", False, None),
        "owner_queue": ("character varying(100)", False, None),
        "rule_id": ("character varying(100)", True, None),
        "escalation_level": ("integer", False, "0"),
        "escalated_at": (TSTZ, True, None),
    },
    "intervention_audit": {
        "audit_id": ("uuid", False, "gen_random_uuid()"),
        "intervention_id": ("uuid", False, None),
        "action": ("character varying(30)", False, None),
        "actor": ("character varying(320)", False, None),
        "old_values": ("jsonb", False, "'{}'::jsonb"),
        "new_values": ("jsonb", False, "'{}'::jsonb"),
        "changed_at": (TSTZ, False, "clock_timestamp()"),
    },
}
OUTBOX_COLUMNS = {
    "id": ("uuid", False, "gen_random_uuid()"),
    "channel": ("character varying(50)", False, None),
    "recipient": ("character varying(320)", False, None),
    "subject": ("character varying(300)", False, None),
    "body": ("text", False, None),
    "source": ("character varying(50)", False, None),
    "reference": ("character varying(200)", True, None),
    "dedupe_key": ("character varying(200)", True, None),
    "status": ("character varying(20)", False, "'pending'::character varying"),
    "attempts": ("integer", False, "0"),
    "next_attempt_at": (TSTZ, False, "now()"),
    "last_error": ("text", True, None),
    "created_at": (TSTZ, False, "clock_timestamp()"),
    "sent_at": (TSTZ, True, None),
}
INDEXES = {
    "pk_intervention_rule_matches": "USING btree (tutor_id, intervention_type, match_date)",
    "ix_intervention_rule_matches_match_date": "USING btree (match_date)",
    "ix_intervention_rule_matches_intervention_id": "USING btree (intervention_id)",
    "pk_intervention_routing": "USING btree (intervention_id)",
    "pk_intervention_audit": "USING btree (audit_id)",
    "ix_intervention_audit_intervention_id_changed_at": (
        "USING btree (intervention_id, changed_at)"
    ),
    "pk_outbox": "USING btree (id)",
    "uq_outbox_dedupe_key": "USING btree (dedupe_key)",
    "ix_outbox_pending_next_attempt_at": (
        "USING btree (next_attempt_at) WHERE ((status)::text = 'pending'::text)"
    ),
}
FOREIGN_KEYS = {
    "fk_intervention_rule_matches_tutor_id_tutors": "(tutor_id) REFERENCES tutormax.tutors",
    "fk_intervention_rule_matches_intervention_id_interventions": (
        "(intervention_id) REFERENCES tutormax.interventions"
    ),
    "fk_intervention_routing_intervention_id_interventions": (
        "(intervention_id) REFERENCES tutormax.interventions"
    ),
    "fk_intervention_audit_intervention_id_interventions": (
        "(intervention_id) REFERENCES tutormax.interventions"
    ),
}

COLUMNS_SQL = """
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid)
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.oid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped
"""


async def _columns(db: AsyncSession, table: str) -> dict[str, Any]:
    return {
        column: (type_, nullable, default)
        for _, column, type_, nullable, default in await rows(db, COLUMNS_SQL, table=table)
    }


async def test_the_tables_have_the_designed_columns(db_session: AsyncSession) -> None:
    for table, expected in ENGINE_COLUMNS.items():
        assert await _columns(db_session, f"tutormax.{table}") == expected, table
    assert await _columns(db_session, "lyceum.outbox") == OUTBOX_COLUMNS


async def test_indexes_and_cascading_foreign_keys(db_session: AsyncSession) -> None:
    for name, definition in INDEXES.items():
        schema = "lyceum" if "outbox" in name else "tutormax"
        [(found,)] = await rows(
            db_session, "SELECT pg_get_indexdef(to_regclass(:n))", n=f"{schema}.{name}"
        )
        assert found is not None and found.endswith(definition), (name, found)
    keys = dict(
        await rows(
            db_session,
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid IN (SELECT to_regclass('tutormax.' || t) FROM unnest(CAST(:t AS"
            " text[])) AS t)",
            t=list(ENGINE_COLUMNS),
        )
    )
    assert set(keys) == set(FOREIGN_KEYS)
    for name, target in FOREIGN_KEYS.items():
        assert keys[name].startswith(f"FOREIGN KEY {target}(") and keys[name].endswith(
            "ON DELETE CASCADE"
        )


# Each named check, and a row (on top of a valid one) that only it refuses.
BAD = [
    ("intervention_rule_matches", "arm_known", {"arm": "control"}),
    ("intervention_rule_matches", "holdout_untreated", {"arm": "holdout", "intervention_id": "X"}),
    ("intervention_rule_matches", "intervention_type", {"intervention_type": "hug"}),
    ("intervention_routing", "owner_queue_not_blank", {"owner_queue": " "}),
    ("intervention_routing", "escalation_level_non_negative",
     {"escalation_level": -1, "escalated_at": "now"}),
    ("intervention_routing", "escalated_at_iff_escalated", {"escalation_level": 1}),
    ("intervention_routing", "escalated_at_iff_escalated", {"escalated_at": "now"}),
    ("intervention_audit", "action_known", {"action": "deleted"}),
    ("intervention_audit", "actor_not_blank", {"actor": ""}),
    ("intervention_audit", "values_objects", {"old_values": []}),
    ("intervention_audit", "values_objects", {"new_values": "text"}),
]  # fmt: skip
CHECKS_SQL = """
    SELECT conname FROM pg_constraint WHERE contype = 'c'
      AND conrelid = to_regclass(:table)
"""


async def _valid(db: AsyncSession, table: str) -> dict[str, Any]:
    tutor = await add_tutor(db)
    intervention = await insert_row(
        db,
        "interventions",
        {"tutor_id": tutor, "intervention_type": "recognition", "trigger_reason": "thanks"},
    )
    return {
        "intervention_rule_matches": {"tutor_id": tutor, "intervention_type": "recognition",
                                      "match_date": DAY, "rule_id": "r", "arm": "treatment",
                                      "intervention_id": intervention},
        "intervention_routing": {"intervention_id": intervention, "owner_queue": "q"},
        "intervention_audit": {"intervention_id": intervention, "action": "created",
                               "actor": "system:rules"},
    }[table]  # fmt: skip


async def _insert(db: AsyncSession, table: str, values: dict[str, Any]) -> None:
    names = ", ".join(values)
    placeholders = ", ".join(
        "now()" if v == "now" else f"CAST(:{k} AS jsonb)" if k.endswith("_values") else f":{k}"
        for k, v in values.items()
    )
    params = {
        k: json.dumps(v) if k.endswith("_values") else v for k, v in values.items() if v != "now"
    }
    await db.execute(
        text(f"INSERT INTO tutormax.{table} ({names}) VALUES ({placeholders})"),  # noqa: S608
        params,
    )


@pytest.mark.parametrize(("table", "check", "overrides"), BAD)
async def test_each_check_refuses_its_row(
    db_session: AsyncSession, table: str, check: str, overrides: dict[str, Any]
) -> None:
    valid = await _valid(db_session, table)
    # The base row is accepted (inserted in a savepoint, then undone)...
    savepoint = await db_session.begin_nested()
    await _insert(db_session, table, valid)
    await savepoint.rollback()
    # ...and breaking the one rule is refused by that rule's check.
    if overrides.get("intervention_id") == "X":
        overrides = overrides | {"intervention_id": valid["intervention_id"]}
    with pytest.raises(IntegrityError) as refused:
        async with db_session.begin_nested():
            await _insert(db_session, table, valid | overrides)
    assert refusal(refused.value) == (CHECK_VIOLATION, f"ck_{table}_{check}")


async def test_the_named_checks_are_exactly_those_tested(db_session: AsyncSession) -> None:
    for table in ENGINE_COLUMNS:
        found = {name for (name,) in await rows(db_session, CHECKS_SQL, table=f"tutormax.{table}")}
        assert found == {f"ck_{t}_{c}" for t, c, _ in BAD if t == table}, table
    outbox = {name for (name,) in await rows(db_session, CHECKS_SQL, table="lyceum.outbox")}
    assert outbox == {
        "ck_outbox_status_known",
        "ck_outbox_sent_at_iff_sent",
        "ck_outbox_attempts_non_negative",
        "ck_outbox_addressed",
    }


@pytest.fixture
def scratch_database(database_url: URL) -> Iterator[URL]:
    with services.scratch_database(database_url, "interventions_scratch") as scratch:
        yield scratch


@pytest.mark.slow
def test_downgrading_0011_removes_exactly_what_it_built(scratch_database: URL) -> None:
    with services.migration_connections(scratch_database) as (config, _, looking):
        command.upgrade(config, "0009")
        before = {s: services.schema_objects(looking, s) for s in ("tutormax", "lyceum")}
        command.upgrade(config, "0011")
        after = {s: services.schema_objects(looking, s) for s in ("tutormax", "lyceum")}
        added = {s: after[s] - before[s] for s in after}
        assert {f"relation {t}" for t in ENGINE_COLUMNS} <= added["tutormax"]
        assert "relation uq_interventions_open_per_type" in added["tutormax"]
        assert {"relation outbox", "relation uq_outbox_dedupe_key"} <= added["lyceum"]
        assert all(before[s] <= after[s] for s in after)
        command.downgrade(config, "0009")
        assert {s: services.schema_objects(looking, s) for s in before} == before
        command.upgrade(config, "0011")
        assert {s: services.schema_objects(looking, s) for s in before} == after


def test_the_migration_refuses_duplicate_open_interventions(scratch_database: URL) -> None:
    with services.migration_connections(scratch_database) as (config, migrating, _):
        command.upgrade(config, "0009")
        tutor = f"T-{uuid.uuid4().hex[:8]}"
        migrating.execute(
            text(
                "INSERT INTO tutormax.tutors (tutor_id, name, email, onboarding_date, subjects)"
                " VALUES (:t, 'A', 'a@example.com', now(), ARRAY['Math'])"
            ),
            {"t": tutor},
        )
        for _ in range(2):
            migrating.execute(
                text(
                    "INSERT INTO tutormax.interventions (tutor_id, intervention_type,"
                    " trigger_reason) VALUES (:t, 'recognition', 'thanks')"
                ),
                {"t": tutor},
            )
        migrating.commit()
        with pytest.raises(RuntimeError, match="1 tutor\\(s\\) have more than one open"):
            command.upgrade(config, "0011")
