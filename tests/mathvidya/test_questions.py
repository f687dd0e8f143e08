"""The question bank through the API: write, edit (in place or as a new version), review,
retire, search, and who may do it (issue 15, acceptance 4)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures.tokens import token_for
from tests.mathvidya.rows import add, add_exam, add_question, add_user

API = "/api/mathvidya"
Headers = dict[str, str]


async def account(db: AsyncSession, role: str) -> tuple[uuid.UUID, Headers]:
    user_id = await add_user(db, role)
    return user_id, token_for(f"mathvidya:{role}", subject=str(user_id))


def mcq(**overrides: Any) -> dict[str, Any]:
    return {
        "class_level": "X",
        "unit": "Algebra",
        "chapter": "Quadratic Equations",
        "topic": "Nature of roots",
        "question_type": "MCQ",
        "difficulty": "medium",
        "question_text": "The discriminant of 2x^2 - 4x + 3 = 0 is",
        "mcq_choices": [
            {"key": "A", "text": "-8"},
            {"key": "B", "text": "8"},
            {"key": "C", "text": "-4"},
            {"key": "D", "text": "4"},
        ],
        "correct_option": "A",
        "explanation": "b^2 - 4ac = 16 - 24 = -8.",
        "tags": ["Discriminant", "pyq-2023"],
        "source": "Mathvidya original",
        **overrides,
    }


def long_answer(**overrides: Any) -> dict[str, Any]:
    return {
        "class_level": "XII",
        "unit": "Calculus",
        "chapter": "Integrals",
        "question_type": "LA",
        "difficulty": "hard",
        "marks": 5,
        "question_text": "Evaluate the integral of x sin x from 0 to pi.",
        "model_answer": "By parts: [-x cos x + sin x] from 0 to pi = pi.",
        "marking_scheme": [
            {"step": "Choose u = x, dv = sin x dx", "marks": 1},
            {"step": "Integrate by parts", "marks": 2.5},
            {"step": "Evaluate the limits", "marks": 1.5},
        ],
        **overrides,
    }


def problem_fields(answer: httpx.Response) -> set[str]:
    """Every field a 422 names: ours (`details.problems`) or FastAPI's (`loc`)."""
    details = answer.json()["error"]["details"]
    if isinstance(details, list):
        return {str(part) for problem in details for part in problem["loc"]}
    names = {p["field"] for p in details.get("problems", [])}
    return names | {details["field"]}


async def audit_actions(db: AsyncSession, entity_id: uuid.UUID | str) -> list[str]:
    found = await db.execute(
        # In a test every request runs inside the test's one transaction, so `occurred_at` (the
        # transaction's now()) ties; each request is a savepoint of its own, with a later
        # subtransaction id: xmin orders the requests as they were made.
        text(
            "SELECT action FROM mathvidya.audit_logs WHERE entity_id = :id"
            " ORDER BY occurred_at, xmin::text::bigint"
        ),
        {"id": str(entity_id)},
    )
    return list(found.scalars())


async def question_count(db: AsyncSession) -> int:
    return int((await db.execute(text("SELECT count(*) FROM mathvidya.questions"))).scalar_one())


async def test_a_teacher_writes_a_draft_with_a_generated_code_and_it_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    teacher, headers = await account(db_session, "teacher")
    answer = await client.post(f"{API}/questions", json=mcq(), headers=headers)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["status"] == "draft" and made["version"] == 1 and made["marks"] == 1
    assert made["created_by_user_id"] == str(teacher)
    assert made["question_code"].startswith("Q-X-") and len(made["question_code"]) == 12
    assert made["tags"] == ["discriminant", "pyq-2023"]
    assert await audit_actions(db_session, made["id"]) == ["question.created"]
    read = await client.get(f"{API}/questions/{made['id']}", headers=headers)
    assert read.status_code == 200 and read.json()["correct_option"] == "A"


async def test_a_long_answer_keeps_its_code_marks_and_half_mark_steps(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "admin")
    code = f"XII-INT-{uuid.uuid4().hex[:6].upper()}"
    answer = await client.post(
        f"{API}/questions", json=long_answer(question_code=code), headers=headers
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["question_code"] == code and made["marks"] == 5
    assert [s["marks"] for s in made["marking_scheme"]] == [1, 2.5, 1.5]
    again = await client.post(
        f"{API}/questions", json=long_answer(question_code=code), headers=headers
    )
    assert again.status_code == 409 and again.json()["error"]["details"]["field"] == "question_code"


BAD_QUESTIONS: list[tuple[str, dict[str, Any], str]] = [
    ("MCQ without choices", mcq(mcq_choices=None), "mcq_choices"),
    ("MCQ with three choices", mcq(mcq_choices=mcq()["mcq_choices"][:3]), "mcq_choices"),
    (
        "MCQ with a repeated key",
        mcq(mcq_choices=[{"key": "A", "text": str(n)} for n in range(4)]),
        "mcq_choices[1].key",
    ),
    ("MCQ without its answer", mcq(correct_option=None), "correct_option"),
    ("MCQ worth 2 marks", mcq(marks=2), "marks"),
    ("a unit of another class", mcq(unit="Calculus"), "unit"),
    ("a unit of no class", mcq(unit="Astrology"), "unit"),
    ("a blank question", mcq(question_text="   "), "question_text"),
    ("a malformed code", mcq(question_code="-lower"), "question_code"),
    ("a bad tag", mcq(tags=["two words"]), "tags[0]"),
    ("LA without marks", long_answer(marks=None), "marks"),
    ("LA worth 3", long_answer(marks=3), "marks"),
    ("choices on an LA", long_answer(mcq_choices=mcq()["mcq_choices"]), "mcq_choices"),
    ("an answer on an LA", long_answer(correct_option="B"), "correct_option"),
    (
        "steps adding to 4 of 5",
        long_answer(marking_scheme=[{"step": "All of it", "marks": 4}]),
        "marking_scheme",
    ),
    (
        "a step of a third of a mark",
        long_answer(marking_scheme=[{"step": "Odd", "marks": 0.3}, {"step": "x", "marks": 4.7}]),
        "marking_scheme[0].marks",
    ),
    ("an unknown type", mcq(question_type="Essay"), "question_type"),
    ("an unknown field", mcq(answer="A"), "answer"),
    ("a class that is not X or XII", mcq(class_level="XI"), "class_level"),
    ("marks as text", long_answer(marks="5"), "marks"),
]


@pytest.mark.parametrize(
    ("case", "body", "field"), BAD_QUESTIONS, ids=[c[0] for c in BAD_QUESTIONS]
)
async def test_a_bad_question_is_refused_naming_its_field_and_nothing_is_written(
    client: httpx.AsyncClient, db_session: AsyncSession, case: str, body: dict[str, Any], field: str
) -> None:
    _, headers = await account(db_session, "teacher")
    before = await question_count(db_session)
    answer = await client.post(f"{API}/questions", json=body, headers=headers)
    assert answer.status_code == 422, (case, answer.text)
    assert field in problem_fields(answer), (case, answer.json())
    assert await question_count(db_session) == before


async def _draft(client: httpx.AsyncClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    answer = await client.post(f"{API}/questions", json=mcq(**overrides), headers=headers)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def test_editing_an_unused_draft_changes_it_in_place(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    draft = await _draft(client, headers)
    answer = await client.patch(
        f"{API}/questions/{draft['id']}",
        json={"question_text": "The discriminant of 2x^2 - 4x + 5 = 0 is", "topic": None},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    edit = answer.json()
    assert edit["new_version"] is False and edit["question"]["id"] == draft["id"]
    assert edit["question"]["version"] == 1 and edit["question"]["topic"] is None
    assert await audit_actions(db_session, draft["id"]) == ["question.created", "question.updated"]
    versions = await client.get(f"{API}/questions/{draft['id']}/versions", headers=headers)
    assert [v["version"] for v in versions.json()] == [1]


async def test_an_edit_that_breaks_a_rule_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    draft = await _draft(client, headers)
    for body, field in (
        ({"question_type": "VSA", "marks": 1}, "marks"),
        ({"correct_option": "E"}, "correct_option"),
        ({"unit": "Calculus"}, "unit"),
        ({}, "body"),
    ):
        answer = await client.patch(f"{API}/questions/{draft['id']}", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert field in problem_fields(answer), answer.json()
    read = await client.get(f"{API}/questions/{draft['id']}", headers=headers)
    assert read.json() == draft


async def test_a_change_of_type_drops_the_mcq_parts_and_takes_the_new_types_marks(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    draft = await _draft(client, headers)
    answer = await client.patch(
        f"{API}/questions/{draft['id']}", json={"question_type": "SA"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    changed = answer.json()["question"]
    assert (changed["marks"], changed["mcq_choices"], changed["correct_option"]) == (3, None, None)


async def test_editing_a_used_question_makes_version_2_and_the_exam_keeps_version_1(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    teacher, headers = await account(db_session, "teacher")
    _, reviewer = await account(db_session, "teacher")
    v1 = await add_question(db_session, "MCQ", created_by_user_id=teacher)
    snapshot = [{"number": 1, "question_id": str(v1), "type": "MCQ", "marks": 1,
                 "text": "Solve 2x + 3 = 7 for x."}]  # fmt: skip
    exam = await add_exam(db_session, "submitted", questions_snapshot=snapshot)
    answer_id = await add(db_session, "student_mcq_answers", exam_instance_id=exam, question_id=v1)

    edit = await client.patch(
        f"{API}/questions/{v1}", json={"question_text": "Solve 2x + 5 = 9 for x."}, headers=headers
    )
    assert edit.status_code == 200, edit.text
    assert edit.json()["new_version"] is True and edit.json()["previous_id"] == str(v1)
    v2 = edit.json()["question"]
    assert (v2["version"], v2["status"]) == (2, "draft") and v2["id"] != str(v1)
    assert v2["question_text"] == "Solve 2x + 5 = 9 for x."
    old = (await client.get(f"{API}/questions/{v1}", headers=headers)).json()
    assert (old["status"], old["question_text"]) == ("active", "Solve 2x + 3 = 7 for x.")
    assert await audit_actions(db_session, v2["id"]) == ["question.versioned"]

    # A second edit goes to the newest version (v2, a draft never used): in place.
    again = await client.patch(
        f"{API}/questions/{v2['id']}", json={"difficulty": "easy"}, headers=headers
    )
    assert again.json()["new_version"] is False and again.json()["question"]["id"] == v2["id"]
    # The old version is no longer editable: the newest is.
    stale = await client.patch(
        f"{API}/questions/{v1}", json={"difficulty": "hard"}, headers=headers
    )
    assert stale.status_code == 409 and stale.json()["error"]["details"]["newest_id"] == v2["id"]

    assert (
        await client.post(f"{API}/questions/{v2['id']}/submit", headers=headers)
    ).status_code == 200
    approved = await client.post(f"{API}/questions/{v2['id']}/approve", headers=reviewer)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active" and approved.json()["reviewed_at"]
    versions = await client.get(f"{API}/questions/{v1}/versions", headers=headers)
    assert [(v["version"], v["status"]) for v in versions.json()] == [
        (1, "archived"),
        (2, "active"),
    ]

    # The exam's paper and its answer still point at version 1.
    kept = await db_session.execute(
        text(
            "SELECT e.questions_snapshot -> 0 ->> 'question_id', a.question_id"
            " FROM mathvidya.exam_instances e JOIN mathvidya.student_mcq_answers a"
            " ON a.exam_instance_id = e.id WHERE a.id = :id"
        ),
        {"id": answer_id},
    )
    assert kept.one() == (str(v1), v1)


async def test_an_active_question_no_exam_used_is_still_versioned_not_edited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    v1 = await add_question(db_session, "VSA")
    edit = await client.patch(
        f"{API}/questions/{v1}", json={"topic": "Elimination"}, headers=headers
    )
    assert edit.status_code == 200 and edit.json()["new_version"] is True
    assert edit.json()["question"]["marks"] == 2


async def test_a_used_draft_is_versioned_too(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    used = await add_question(db_session, "MCQ", status="draft", times_used=1)
    edit = await client.patch(f"{API}/questions/{used}", json={"topic": "Roots"}, headers=headers)
    assert edit.status_code == 200 and edit.json()["new_version"] is True


async def test_the_author_cannot_approve_their_own_question(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, author = await account(db_session, "teacher")
    draft = await _draft(client, author)
    assert (
        await client.post(f"{API}/questions/{draft['id']}/submit", headers=author)
    ).status_code == 200
    refused = await client.post(f"{API}/questions/{draft['id']}/approve", headers=author)
    assert refused.status_code == 403, refused.text
    still = (await client.get(f"{API}/questions/{draft['id']}", headers=author)).json()
    assert still["status"] == "under_review" and still["reviewed_at"] is None
    _, admin = await account(db_session, "admin")
    approved = await client.post(f"{API}/questions/{draft['id']}/approve", headers=admin)
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert await audit_actions(db_session, draft["id"]) == [
        "question.created", "question.submitted", "question.approved",
    ]  # fmt: skip


async def test_approval_needs_a_submitted_question_and_only_the_author_submits(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, author = await account(db_session, "teacher")
    _, other = await account(db_session, "teacher")
    draft = await _draft(client, author)
    early = await client.post(f"{API}/questions/{draft['id']}/approve", headers=other)
    assert early.status_code == 409 and early.json()["error"]["details"]["status"] == "draft"
    foreign = await client.post(f"{API}/questions/{draft['id']}/submit", headers=other)
    assert foreign.status_code == 403


async def test_a_rejection_sends_the_question_back_to_draft_with_its_comment(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, author = await account(db_session, "teacher")
    _, reviewer = await account(db_session, "teacher")
    draft = await _draft(client, author)
    await client.post(f"{API}/questions/{draft['id']}/submit", headers=author)
    url = f"{API}/questions/{draft['id']}/reject"
    for body in ({}, {"comment": ""}, {"comment": "   "}):
        bad = await client.post(url, json=body, headers=reviewer)
        assert bad.status_code == 422 and "comment" in problem_fields(bad), bad.text
    assert (await client.post(url, json={"comment": "No."}, headers=author)).status_code == 403
    rejected = await client.post(url, json={"comment": "Option C repeats A."}, headers=reviewer)
    assert rejected.status_code == 200 and rejected.json()["status"] == "draft"
    details = await db_session.execute(
        text(
            "SELECT details ->> 'comment' FROM mathvidya.audit_logs"
            " WHERE entity_id = :id AND action = 'question.rejected'"
        ),
        {"id": draft["id"]},
    )
    assert details.scalar_one() == "Option C repeats A."


async def test_retiring_archives_an_active_question_only(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    active = await add_question(db_session, "SA")
    retired = await client.post(f"{API}/questions/{active}/retire", headers=headers)
    assert retired.status_code == 200 and retired.json()["status"] == "archived"
    assert await audit_actions(db_session, active) == ["question.retired"]
    again = await client.post(f"{API}/questions/{active}/retire", headers=headers)
    assert again.status_code == 409
    draft = await _draft(client, headers)
    assert (
        await client.post(f"{API}/questions/{draft['id']}/retire", headers=headers)
    ).status_code == 409
    missing = await client.post(f"{API}/questions/{uuid.uuid4()}/retire", headers=headers)
    assert missing.status_code == 404


# Search ------------------------------------------------------------------------------------


async def _bank(client: httpx.AsyncClient, headers: Headers, tag: str) -> list[dict[str, Any]]:
    texts = [
        ("Find the discriminant of the quadratic equation 3x^2 + 5x - 2 = 0.", "easy", ["roots"]),
        ("Find the sum of the first twenty terms of the arithmetic progression 3, 7, 11.",
         "medium", ["sequences"]),
        ("Find the zeroes of the polynomial x^2 - 5x + 6 and verify the relation.", "hard",
         ["roots", "sequences"]),
    ]  # fmt: skip
    made = []
    for body_text, difficulty, tags in texts:
        made.append(
            await _draft(
                client, headers, question_text=body_text, difficulty=difficulty, tags=[tag, *tags]
            )
        )
    return made


async def test_search_finds_a_question_despite_a_typo_and_ranks_it_first(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    tag = f"t-{uuid.uuid4().hex[:8]}"
    made = await _bank(client, headers, tag)
    answer = await client.get(
        f"{API}/questions",
        params={"q": "discriminent of the quadratc equation", "tags": tag},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["total"] >= 1 and found["items"][0]["id"] == made[0]["id"]
    substring = await client.get(
        f"{API}/questions", params={"q": "arithmetic progression", "tags": tag}, headers=headers
    )
    assert [q["id"] for q in substring.json()["items"]] == [made[1]["id"]]


async def test_search_filters_by_tags_all_or_any_and_by_each_column(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    tag = f"t-{uuid.uuid4().hex[:8]}"
    made = await _bank(client, headers, tag)
    ids = [q["id"] for q in made]

    async def search(**params: Any) -> list[str]:
        answer = await client.get(f"{API}/questions", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [q["id"] for q in answer.json()["items"]]

    assert sorted(await search(tags=[tag, "roots"])) == sorted([ids[0], ids[2]])
    assert await search(tags=[tag, "roots", "sequences"]) == [ids[2]]
    any_of = await search(tags=["roots", "sequences"], tags_match="any", q="Find the")
    assert set(ids) <= set(any_of)
    assert await search(tags=tag, difficulty="medium") == [ids[1]]
    assert await search(tags=tag, question_type="LA") == []
    assert len(await search(tags=tag, class_level="X", unit="Algebra", status="draft",
                            chapter="Quadratic Equations", question_type="MCQ")) == 3  # fmt: skip
    assert await search(tags=tag, question_code=made[1]["question_code"]) == [ids[1]]
    # Paging: a stable order, pages that do not overlap.
    pages = [await search(tags=tag, limit=1, offset=n) for n in range(3)]
    assert sorted(found for page in pages for found in page) == sorted(ids)
    assert pages == [await search(tags=tag, limit=1, offset=n) for n in range(3)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "101"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"class_level": "XI"}, "class_level"),
        ({"question_type": "Essay"}, "question_type"),
        ({"difficulty": "trivial"}, "difficulty"),
        ({"status": "live"}, "status"),
        ({"tags_match": "some"}, "tags_match"),
        ({"q": "x"}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"sort": "text"}, "sort"),
    ],
)
async def test_every_search_parameter_is_validated(
    client: httpx.AsyncClient, db_session: AsyncSession, params: dict[str, str], field: str
) -> None:
    _, headers = await account(db_session, "teacher")
    answer = await client.get(f"{API}/questions", params=params, headers=headers)
    assert answer.status_code == 422, answer.text
    assert field in problem_fields(answer)


QUESTION_ROUTES = [
    ("GET", "/questions"),
    ("POST", "/questions"),
    ("POST", "/questions/import"),
    ("GET", "/questions/{id}"),
    ("GET", "/questions/{id}/versions"),
    ("PATCH", "/questions/{id}"),
    ("POST", "/questions/{id}/submit"),
    ("POST", "/questions/{id}/approve"),
    ("POST", "/questions/{id}/reject"),
    ("POST", "/questions/{id}/retire"),
]


@pytest.mark.parametrize("role", ["student", "parent"])
async def test_students_and_parents_get_403_on_every_question_route(
    client: httpx.AsyncClient, db_session: AsyncSession, role: str
) -> None:
    _, headers = await account(db_session, role)
    question = await add_question(db_session, "MCQ")
    before = await question_count(db_session)
    for method, path in QUESTION_ROUTES:
        url = API + path.replace("{id}", str(question))
        answer = await client.request(method, url, json=mcq(), headers=headers)
        assert answer.status_code == 403, (method, path, answer.text)
        anonymous = await client.request(method, url, json=mcq())
        assert anonymous.status_code == 401, (method, path)
    assert await question_count(db_session) == before
