"""Bulk import of questions from CSV or JSON: every bad row reported with its row number,
field and reason, and nothing imported unless every row is good (issue 15, acceptance 4)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.bank import check_rows, parse_csv, parse_json
from lyceum.mathvidya.bank.importing import csv_field
from lyceum.mathvidya.curriculum import SYLLABUS
from tests.mathvidya.rows import add_question
from tests.mathvidya.test_questions import API, account, long_answer, mcq, question_count

URL = f"{API}/questions/import"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
JSON = {"Content-Type": "application/json"}
UNITS = {level: [unit.name for unit in units] for level, units in SYLLABUS.items()}

HEADER = (
    "question_code,class_level,unit,chapter,question_type,difficulty,marks,question_text,"
    "choice_a,choice_b,choice_c,choice_d,correct_option,marking_scheme,tags"
)


def csv_file(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def code() -> str:
    return f"IMP-{uuid.uuid4().hex[:8].upper()}"


GOOD_CSV_ROWS = (
    ',X,Algebra,Polynomials,MCQ,easy,,"The zeroes of x^2 - 1 are",1 and -1,0 and 1,1 only,'
    "none,A,,zeroes;Pyq-2024",
    'XII-LP-{code},XII,Linear Programming,Linear Programming,LA,hard,5,"Maximise Z = 3x + 4y'
    ' subject to x + y <= 4, x, y >= 0.",,,,,,"[{""step"": ""Corner points"", ""marks"": 2},'
    ' {""step"": ""Evaluate Z"", ""marks"": 3}]",lpp',
)


def request_for(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(URL, content=body, headers=headers)


async def test_a_csv_file_becomes_drafts_in_one_go(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    teacher, headers = await account(db_session, "teacher")
    given = code()
    body = csv_file(GOOD_CSV_ROWS[0], GOOD_CSV_ROWS[1].replace("XII-LP-{code}", given))
    answer = await client.post(URL, content=body, headers={**headers, **CSV})
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["imported"] == 2 and result["status"] == "draft"
    assert [q["row"] for q in result["questions"]] == [1, 2]
    assert result["questions"][0]["question_code"].startswith("Q-X-")
    assert result["questions"][1]["question_code"] == given
    first = (
        await client.get(f"{API}/questions/{result['questions'][0]['id']}", headers=headers)
    ).json()
    assert first["mcq_choices"][2] == {"key": "C", "text": "1 only"}
    assert (first["marks"], first["tags"], first["status"]) == (1, ["zeroes", "pyq-2024"], "draft")
    assert first["created_by_user_id"] == str(teacher)
    second = (
        await client.get(f"{API}/questions/{result['questions'][1]['id']}", headers=headers)
    ).json()
    assert second["marking_scheme"] == [{"step": "Corner points", "marks": 2},
                                        {"step": "Evaluate Z", "marks": 3}]  # fmt: skip
    audit = await db_session.execute(
        text(
            "SELECT details FROM mathvidya.audit_logs WHERE action = 'question.imported'"
            " AND actor_user_id = :id"
        ),
        {"id": teacher},
    )
    details = audit.scalar_one()
    assert details["rows"] == 2 and len(details["question_ids"]) == 2


async def test_a_json_file_becomes_drafts_and_an_admin_may_import_them_approved(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    admin, headers = await account(db_session, "admin")
    body = json.dumps({"questions": [mcq(), long_answer(question_code=code())]}).encode()
    answer = await client.post(
        URL, content=body, headers={**headers, **JSON}, params={"approve": "true"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "active"
    made = (
        await client.get(f"{API}/questions/{answer.json()['questions'][1]['id']}", headers=headers)
    ).json()
    assert made["status"] == "active" and made["reviewed_by_user_id"] == str(admin)
    _, teacher = await account(db_session, "teacher")
    refused = await client.post(
        URL, content=body, headers={**teacher, **JSON}, params={"approve": "true"}
    )
    assert refused.status_code == 403


async def test_every_bad_csv_row_is_reported_and_nothing_is_imported(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    taken = await add_question(db_session, "MCQ")
    taken_code = (
        await db_session.execute(
            text("SELECT question_code FROM mathvidya.questions WHERE id = :id"), {"id": taken}
        )
    ).scalar_one()
    twice = code()
    rows = (
        GOOD_CSV_ROWS[0],  # 1: good
        ',X,Algebra,Polynomials,MCQ,easy,,"Which is a zero of x - 2?",2,,-2,0,E,,',  # 2
        ",X,Calculus,Integrals,SA,medium,3,Integrate x.,,,,,,,",  # 3: unit of XII
        ",X,Algebra,Polynomials,LA,hard,,Prove it.,,,,,,,",  # 4: LA needs marks
        f"{twice},X,Geometry,Triangles,VSA,easy,two,State BPT.,,,,,,,",  # 5: marks not a number
        f"{twice},X,Geometry,Triangles,VSA,ultra,2,State BPT again.,,,,,,,",  # 6: repeat, level
        f"{taken_code},X,Geometry,Circles,VSA,easy,2,Define a tangent.,,,,,,,",  # 7: in bank
        ',X,Algebra,Polynomials,SA,easy,3,Factorise.,,,,,,"[{""step"": ""x"", ""marks"": 1}]",',
        ",XI,Algebra,Polynomials,SA,easy,3,Factorise again.,,,,,,,Bad Tag",  # 9: class, tag
    )
    before = await question_count(db_session)
    answer = await client.post(URL, content=csv_file(*rows), headers={**headers, **CSV})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert "8 of 9 rows have problems; nothing was imported" in error["message"]
    found = {(p["row"], p["field"]) for p in error["details"]["problems"]}
    assert {
        (2, "choice_b"),
        (2, "correct_option"),
        (3, "unit"),
        (4, "marks"),
        (5, "marks"),
        (6, "question_code"),
        (6, "difficulty"),
        (7, "question_code"),
        (8, "marking_scheme"),
        (9, "class_level"),
        (9, "tags[0]"),
    } <= found
    assert not any(row == 1 for row, _ in found)
    reasons = {(p["row"], p["field"]): p["reason"] for p in error["details"]["problems"]}
    assert "row 5" in reasons[(6, "question_code")]
    assert "already has" in reasons[(7, "question_code")]
    assert await question_count(db_session) == before


async def test_every_bad_json_row_is_reported_and_nothing_is_imported(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    rows: list[Any] = [
        mcq(),
        "not a question",
        mcq(mcq_choices=None, correct_option=None),
        long_answer(marks=4, marking_scheme=[{"step": "all", "marks": 5}]),
        {**mcq(), "answer": "A"},
        mcq(question_type="MCQ ", difficulty=None),
    ]
    before = await question_count(db_session)
    answer = await client.post(URL, content=json.dumps(rows).encode(), headers={**headers, **JSON})
    assert answer.status_code == 422, answer.text
    found = {(p["row"], p["field"]) for p in answer.json()["error"]["details"]["problems"]}
    assert found == {
        (2, "(row)"),
        (3, "mcq_choices"),
        (3, "correct_option"),
        (4, "marking_scheme"),
        (5, "answer"),
        (6, "question_type"),
        (6, "difficulty"),
    }
    assert await question_count(db_session) == before


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        (b"{not json", "application/json", "body"),
        (b"[]", "application/json", "body"),
        (b'{"rows": []}', "application/json", "body"),
        (b"question_text,answer\nx,y", "text/csv", "header"),
        (b"question_text,class_level\nx,X", "text/csv", "header"),
        (b"", "text/csv", "body"),
        (b"\xff\xfe", "text/csv", "body"),
        (b"anything", "text/plain", "Content-Type"),
    ],
)
async def test_an_unreadable_file_is_refused_naming_what_is_wrong(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    body: bytes,
    content_type: str,
    field: str,
) -> None:
    _, headers = await account(db_session, "teacher")
    answer = await client.post(URL, content=body, headers={**headers, "Content-Type": content_type})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"]["field"] == field


async def test_too_many_rows_are_refused_before_any_is_checked(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _, headers = await account(db_session, "teacher")
    body = json.dumps([{}] * 2001).encode()
    answer = await client.post(URL, content=body, headers={**headers, **JSON})
    assert answer.status_code == 422 and "at most 2000" in answer.json()["error"]["message"]


@pytest.mark.parametrize("role", ["student", "parent"])
async def test_students_and_parents_cannot_import(
    client: httpx.AsyncClient, db_session: AsyncSession, role: str
) -> None:
    _, headers = await account(db_session, role)
    before = await question_count(db_session)
    answer = await client.post(URL, content=csv_file(GOOD_CSV_ROWS[0]), headers={**headers, **CSV})
    assert answer.status_code == 403
    assert await question_count(db_session) == before


def test_the_pure_parser_numbers_rows_from_the_first_question_and_names_csv_cells() -> None:
    rows, problems = parse_csv(
        csv_file(
            ",X,Algebra,Polynomials,MCQ,easy,,Q?,a,b,,d,A,,", "", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p"
        )
    )
    assert problems == [problems[0]] and problems[0].row == 2 and problems[0].field == "(row)"
    _, found = check_rows(rows, UNITS, rename=csv_field)
    assert [(p.row, p.field) for p in found] == [(1, "choice_c")]
    parsed, _ = parse_json(b'[{"marks": 2.0}]')
    assert parsed[0][1]["marks"] == 2
