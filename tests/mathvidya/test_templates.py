"""Exam templates for admins: the config's shape and sums, the board pattern, changes while
exams use a template, retiring, and who may do what (issue 15, acceptance 5's admin side)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.bank import check_template
from lyceum.mathvidya.curriculum import SYLLABUS
from lyceum.mathvidya.synthetic.papers import BOARD_SECTIONS, build_papers
from tests.mathvidya.rows import add_exam, add_template
from tests.mathvidya.test_questions import API, account, audit_actions, problem_fields

UNITS = {level: [unit.name for unit in units] for level, units in SYLLABUS.items()}


def unit_practice(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Algebra drill {uuid.uuid4().hex[:6]}",
        "class_level": "X",
        "exam_type": "unit_wise",
        "description": "Polynomials and quadratics.",
        "total_marks": 20,
        "duration_minutes": 45,
        "units": ["Algebra", "Number Systems"],
        "config": {
            "sections": [
                {"name": "A", "title": "MCQ", "question_type": "MCQ", "count": 5,
                 "marks_each": 1, "assertion_reason": 1},
                {"name": "B", "question_type": "VSA", "count": 2, "marks_each": 2},
                {"name": "C", "question_type": "SA", "count": 2, "marks_each": 3},
                {"name": "D", "question_type": "LA", "count": 1, "marks_each": 5},
            ],
            "unit_weightage": {"Algebra": 14, "Number Systems": 6},
            "difficulty_mix": {"easy": 0.3, "medium": 0.5, "hard": 0.2},
        },
        **overrides,
    }  # fmt: skip


def board(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Board {uuid.uuid4().hex[:6]}",
        "class_level": "XII",
        "exam_type": "board_exam",
        "total_marks": 80,
        "duration_minutes": 180,
        "config": {"sections": [dict(s) for s in BOARD_SECTIONS]},
        **overrides,
    }


def with_config(**changes: Any) -> dict[str, Any]:
    body = unit_practice()
    config = copy.deepcopy(body["config"])
    for key, value in changes.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    body["config"] = config
    return body


async def test_an_admin_creates_a_unit_practice_template_and_staff_list_it(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin, headers = await account(db_session, "admin")
    body = unit_practice()
    answer = await client.post(f"{API}/templates", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["config"] == body["config"] and made["is_active"] is True
    assert made["created_by_user_id"] == str(admin)
    assert await audit_actions(db_session, made["id"]) == ["template.created"]
    _, teacher = await account(db_session, "teacher")
    listing = await client.get(
        f"{API}/templates", params={"class_level": "X", "exam_type": "unit_wise"}, headers=teacher
    )
    assert listing.status_code == 200
    assert made["id"] in [t["id"] for t in listing.json()["items"]]
    assert all(t["exam_type"] == "unit_wise" for t in listing.json()["items"])
    one = await client.get(f"{API}/templates/{made['id']}", headers=teacher)
    assert one.status_code == 200 and one.json() == made
    refused = await client.post(f"{API}/templates", json=unit_practice(), headers=teacher)
    assert refused.status_code == 403


async def test_the_board_pattern_is_accepted_and_its_rules_are_said_per_field(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "admin")
    good = await client.post(f"{API}/templates", json=board(), headers=headers)
    assert good.status_code == 201, good.text
    for body, fields in (
        (board(duration_minutes=120), {"duration_minutes"}),
        (board(units=["Calculus"]), {"units"}),
        (board(total_marks=60), {"total_marks", "config.sections"}),
    ):
        answer = await client.post(f"{API}/templates", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert fields <= problem_fields(answer), answer.json()


BAD_TEMPLATES: list[tuple[str, dict[str, Any], str]] = [
    ("sections short of the total", unit_practice(total_marks=25), "config.sections"),
    (
        "an MCQ worth 2",
        with_config(sections=[{"name": "A", "question_type": "MCQ", "count": 10, "marks_each": 2}],
                    unit_weightage=None),
        "config.sections[0].marks_each",
    ),
    (
        "a section named twice",
        with_config(sections=[{"name": "A", "question_type": "MCQ", "count": 10, "marks_each": 1},
                              {"name": "A", "question_type": "VSA", "count": 5, "marks_each": 2}],
                    unit_weightage=None),
        "config.sections[1].name",
    ),
    (
        "no sections",
        with_config(sections=[]),
        "config.sections",
    ),
    (
        "a count of 0",
        with_config(sections=[{"name": "A", "question_type": "MCQ", "count": 0, "marks_each": 1}]),
        "config.sections[0].count",
    ),
    (
        "assertion-reason in a VSA section",
        with_config(sections=[{"name": "A", "question_type": "VSA", "count": 10, "marks_each": 2,
                               "assertion_reason": 1}], unit_weightage=None),
        "config.sections[0].assertion_reason",
    ),
    (
        "case-based MCQs",
        with_config(sections=[{"name": "A", "question_type": "MCQ", "count": 20, "marks_each": 1,
                               "case_based": True}], unit_weightage=None),
        "config.sections[0].case_based",
    ),
    ("weightage adding to 19", with_config(unit_weightage={"Algebra": 13, "Number Systems": 6}),
     "config.unit_weightage"),
    ("weightage on a unit of XII", with_config(unit_weightage={"Algebra": 14, "Calculus": 6}),
     "config.unit_weightage.Calculus"),
    ("weightage outside the template's units",
     with_config(unit_weightage={"Algebra": 14, "Geometry": 6}), "config.unit_weightage.Geometry"),
    ("a mix adding to 0.9", with_config(difficulty_mix={"easy": 0.3, "medium": 0.4, "hard": 0.2}),
     "config.difficulty_mix"),
    ("a mix without hard", with_config(difficulty_mix={"easy": 0.5, "medium": 0.5}), "hard"),
    ("a negative share", with_config(difficulty_mix={"easy": -0.5, "medium": 1.0, "hard": 0.5}),
     "config.difficulty_mix.easy"),
    ("an unknown config key", with_config(shuffle=True), "shuffle"),
    ("an unknown section key",
     with_config(sections=[{"name": "A", "question_type": "MCQ", "count": 20, "marks_each": 1,
                            "bonus": 1}]), "bonus"),
    ("a unit-wise paper without units", unit_practice(units=[]), "units"),
    ("a unit of no curriculum", unit_practice(units=["Algebra", "Astrology"]), "units[1]"),
    ("a blank name", unit_practice(name="  "), "name"),
    ("an unknown type", unit_practice(exam_type="mock"), "exam_type"),
    ("a duration of 4 hours and more", unit_practice(duration_minutes=300), "duration_minutes"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "body", "field"), BAD_TEMPLATES, ids=[c[0] for c in BAD_TEMPLATES]
)
async def test_a_bad_template_is_refused_naming_its_field_and_nothing_is_written(
    client: httpx.AsyncClient, db_session: AsyncSession, case: str, body: dict[str, Any], field: str
) -> None:
    _, headers = await account(db_session, "admin")
    count = "SELECT count(*) FROM mathvidya.exam_templates"
    before = (await db_session.execute(text(count))).scalar_one()
    answer = await client.post(f"{API}/templates", json=body, headers=headers)
    assert answer.status_code == 422, (case, answer.text)
    assert field in problem_fields(answer), (case, answer.json())
    assert (await db_session.execute(text(count))).scalar_one() == before


async def test_a_change_is_checked_as_a_whole_and_audited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "admin")
    made = (await client.post(f"{API}/templates", json=unit_practice(), headers=headers)).json()
    url = f"{API}/templates/{made['id']}"
    alone = await client.patch(url, json={"total_marks": 25}, headers=headers)
    assert alone.status_code == 422 and "config.sections" in problem_fields(alone)
    for body, field in (({"name": None}, "name"), ({}, "body"), ({"config": None}, "config")):
        bad = await client.patch(url, json=body, headers=headers)
        assert bad.status_code == 422 and field in problem_fields(bad), bad.text
    config = copy.deepcopy(made["config"])
    config["sections"].append({"name": "E", "question_type": "LA", "count": 1, "marks_each": 5})
    config["unit_weightage"] = {"Algebra": 19, "Number Systems": 6}
    changed = await client.patch(
        url, json={"total_marks": 25, "config": config, "description": None}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["total_marks"] == 25 and changed.json()["description"] is None
    assert await audit_actions(db_session, made["id"]) == ["template.created", "template.updated"]
    other = (await client.post(f"{API}/templates", json=unit_practice(), headers=headers)).json()
    clash = await client.patch(url, json={"name": other["name"]}, headers=headers)
    assert clash.status_code == 409 and clash.json()["error"]["details"]["field"] == "name"
    same_name = await client.post(
        f"{API}/templates", json=unit_practice(name=other["name"]), headers=headers
    )
    assert same_name.status_code == 409


async def test_a_template_exams_use_keeps_its_class_and_type_but_may_be_retired(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "admin")
    template = await add_template(db_session, "section_wise")
    await add_exam(db_session, "created", template_id=template)
    url = f"{API}/templates/{template}"
    moved = await client.patch(url, json={"class_level": "XII"}, headers=headers)
    assert moved.status_code == 409 and moved.json()["error"]["details"]["field"] == "class_level"
    renamed = await client.patch(
        url, json={"name": f"Renamed {uuid.uuid4().hex[:6]}"}, headers=headers
    )
    assert renamed.status_code == 200, renamed.text
    retired = await client.post(f"{url}/retire", headers=headers)
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    listed = await client.get(
        f"{API}/templates", params={"is_active": "false", "limit": "100"}, headers=headers
    )
    assert str(template) in [t["id"] for t in listed.json()["items"]]
    back = await client.post(f"{url}/reactivate", headers=headers)
    assert back.json()["is_active"] is True
    assert await audit_actions(db_session, template) == [
        "template.updated", "template.retired", "template.reactivated",
    ]  # fmt: skip
    missing = await client.post(f"{API}/templates/{uuid.uuid4()}/retire", headers=headers)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [({"class_level": "XI"}, "class_level"), ({"exam_type": "mock"}, "exam_type"),
     ({"limit": "500"}, "limit"), ({"is_active": "maybe"}, "is_active")],
)  # fmt: skip
async def test_template_list_parameters_are_validated(
    client: httpx.AsyncClient, db_session: AsyncSession, params: dict[str, str], field: str
) -> None:
    _, headers = await account(db_session, "teacher")
    answer = await client.get(f"{API}/templates", params=params, headers=headers)
    assert answer.status_code == 422 and field in problem_fields(answer)


TEMPLATE_ROUTES = [
    ("GET", "/templates"),
    ("GET", "/templates/{id}"),
    ("POST", "/templates"),
    ("PATCH", "/templates/{id}"),
    ("POST", "/templates/{id}/retire"),
    ("POST", "/templates/{id}/reactivate"),
]


@pytest.mark.parametrize("role", ["student", "parent"])
async def test_students_and_parents_get_403_on_every_template_route(
    client: httpx.AsyncClient, db_session: AsyncSession, role: str
) -> None:
    _, headers = await account(db_session, role)
    template = await add_template(db_session, "unit_wise")
    for method, path in TEMPLATE_ROUTES:
        url = API + path.replace("{id}", str(template))
        answer = await client.request(method, url, json=unit_practice(), headers=headers)
        assert answer.status_code == 403, (method, path, answer.text)
    retired = await db_session.execute(
        text("SELECT is_active FROM mathvidya.exam_templates WHERE id = :id"), {"id": template}
    )
    assert retired.scalar_one() is True


def test_every_synthetic_template_passes_the_checks_the_api_applies() -> None:
    """The generator's templates and the API agree on the config, which exam generation reads."""
    papers = build_papers(7, uuid.uuid4())
    assert papers
    for paper in papers:
        values = {
            "class_level": paper.class_level,
            "exam_type": paper.exam_type,
            "total_marks": paper.total_marks,
            "duration_minutes": paper.duration_minutes,
            "units": list(paper.units),
            "config": paper.config,
        }
        assert check_template(values, UNITS) == [], paper.name
