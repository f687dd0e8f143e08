"""The sync's pure rules, which the server and the device share: profile last-writer-wins
(`sync/merge.py`), what an operation's payload may carry (`sync/operations.py`), the client's
retry delays (`sync/backoff.py`) and how the server updates mastery as attempts arrive
(`service/tracing.py`).
The convergence of devices rests on these being order-independent; the properties say so."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyceum.adaptive.enums import QuestionKind
from lyceum.adaptive.mastery.bkt import DEFAULT_PARAMS, MasteryState, Observation, replay
from lyceum.adaptive.service.tracing import advance
from lyceum.adaptive.sync import (
    AttemptPayload,
    FieldWrite,
    PlanEventPayload,
    ProfilePayload,
    Rejection,
    answers_match,
    merge_profile_fields,
    parse_payload,
    retry_delay,
)
from lyceum.adaptive.sync.clock import Clock
from lyceum.adaptive.sync.merge import DEVICE_FIELDS

EXAMPLES = settings(max_examples=150, deadline=None)
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)

# ---- profile fields: last writer wins, field by field -----------------------------------


def _value(field: str, stamp: Clock) -> Any:
    """The value a write with this stamp carries. A stamp names one write (one device, one
    moment), so equal stamps carry equal values; different stamps often carry equal values."""
    if field == "exam_date":
        return date(2027, 3, 1) + timedelta(days=(stamp.wall_ms + stamp.counter) % 5)
    return float((stamp.wall_ms + stamp.counter) % 4)


stamps = st.builds(
    Clock,
    st.integers(min_value=NOW_MS, max_value=NOW_MS + 3),
    st.integers(min_value=0, max_value=2),
    st.sampled_from(["laptop", "phone", "tablet"]),
)
write_sets = st.dictionaries(st.sampled_from(DEVICE_FIELDS), stamps, min_size=1).map(
    lambda chosen: {f: FieldWrite(_value(f, s), s.encode()) for f, s in chosen.items()}
)

State = tuple[dict[str, Any], dict[str, str]]


def _apply(state: State, writes: dict[str, FieldWrite]) -> State:
    """What the server (and a device) does with a merge: write the changed fields, keep the
    new clocks."""
    values, clocks = state
    changed, new_clocks = merge_profile_fields(values, clocks, writes)
    return {**values, **changed}, new_clocks


START: State = ({"exam_date": None, "available_hours_per_week": 6.0}, {})


@EXAMPLES
@given(st.lists(write_sets, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_merge_is_order_and_duplicate_independent(
    sets: list[dict[str, FieldWrite]], rng: random.Random
) -> None:
    in_order = START
    for writes in sets:
        in_order = _apply(in_order, writes)
    # Another server's view: the same write sets delivered shuffled, some twice.
    delivered = sets + rng.sample(sets, k=rng.randint(0, len(sets)))
    rng.shuffle(delivered)
    shuffled = START
    for writes in delivered:
        shuffled = _apply(shuffled, writes)
    assert shuffled == in_order
    # And both are the oracle: per field, the value of the write with the greatest stamp.
    for field in DEVICE_FIELDS:
        written = [writes[field] for writes in sets if field in writes]
        if written:
            latest = max(written, key=lambda w: w.clock)
            assert in_order[0][field] == latest.value
            assert in_order[1][field] == latest.clock
        else:
            assert in_order[0][field] == START[0][field]
            assert field not in in_order[1]


@EXAMPLES
@given(write_sets)
def test_merge_is_idempotent(writes: dict[str, FieldWrite]) -> None:
    once = _apply(START, writes)
    changed, clocks = merge_profile_fields(once[0], once[1], writes)
    assert changed == {}
    assert clocks == once[1]


def test_fields_merge_independently() -> None:
    old, new = Clock(NOW_MS, 0, "phone").encode(), Clock(NOW_MS + 1, 0, "phone").encode()
    values = {"exam_date": date(2027, 3, 1), "available_hours_per_week": 6.0}
    clocks = {"exam_date": old, "available_hours_per_week": new}
    changed, new_clocks = merge_profile_fields(
        values,
        clocks,
        {
            "exam_date": FieldWrite(date(2027, 4, 1), new),
            # Older than the field's stamp: this device's edit lost to a later one.
            "available_hours_per_week": FieldWrite(10.0, old),
        },
    )
    assert changed == {"exam_date": date(2027, 4, 1)}
    assert new_clocks == {"exam_date": new, "available_hours_per_week": new}
    # The input mappings are not modified.
    assert clocks == {"exam_date": old, "available_hours_per_week": new}


def test_a_newer_stamp_with_the_same_value_moves_the_clock_only() -> None:
    old, new = Clock(NOW_MS, 0, "phone").encode(), Clock(NOW_MS, 1, "phone").encode()
    changed, clocks = merge_profile_fields(
        {"available_hours_per_week": 6.0},
        {"available_hours_per_week": old},
        {"available_hours_per_week": FieldWrite(6.0, new)},
    )
    assert changed == {}
    assert clocks == {"available_hours_per_week": new}


def test_a_tie_on_time_is_broken_by_the_device_id() -> None:
    # Same millisecond, same counter: the node id in the stamp decides, the same way on
    # every server and device, whichever write arrives first.
    alpha = Clock(NOW_MS, 3, "alpha").encode()
    beta = Clock(NOW_MS, 3, "beta").encode()
    a, b = FieldWrite(5.0, alpha), FieldWrite(9.0, beta)
    first_a = _apply(
        _apply(START, {"available_hours_per_week": a}), {"available_hours_per_week": b}
    )
    first_b = _apply(
        _apply(START, {"available_hours_per_week": b}), {"available_hours_per_week": a}
    )
    assert first_a == first_b
    assert first_a[0]["available_hours_per_week"] == 9.0
    assert first_a[1]["available_hours_per_week"] == beta


def test_merge_refuses_a_field_a_device_may_not_change() -> None:
    with pytest.raises(ValueError, match="grade"):
        merge_profile_fields({}, {}, {"grade": FieldWrite(11, Clock(NOW_MS, 0, "p").encode())})


# ---- payloads ---------------------------------------------------------------------------

STUDENT = uuid.UUID("018f0000-0000-7000-8000-000000000001")
OTHER_STUDENT = uuid.UUID("018f0000-0000-7000-8000-000000000002")
DEVICE = "phone-1"


def _attempt(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "018f0000-0000-7000-8000-00000000a001",
        "student_id": str(STUDENT),
        "question_id": "018f0000-0000-7000-8000-00000000b001",
        "answer": "1",
        "is_correct": True,
        "time_taken_seconds": 42.5,
        "confidence": 4,
        "attempted_at": (NOW - timedelta(hours=2)).isoformat(),
        "device_id": DEVICE,
    }
    payload.update(changes)
    return payload


def _plan_event(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "018f0000-0000-7000-8000-00000000c001",
        "plan_id": "018f0000-0000-7000-8000-00000000d001",
        "student_id": str(STUDENT),
        "kind": "completed",
        "day": "2026-12-06",
        "concept_code": "C-1",
        "minutes": 30,
        "occurred_at": (NOW - timedelta(minutes=5)).isoformat(),
        "device_id": DEVICE,
    }
    payload.update(changes)
    return payload


def _profile(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "student_id": str(STUDENT),
        "fields": {"available_hours_per_week": 7.5},
        "clock": Clock(NOW_MS, 0, DEVICE).encode(),
    }
    payload.update(changes)
    return payload


def _parse(kind: str, payload: dict[str, Any], entity_id: str | None = None) -> Any:
    entity_type, operation = {
        "attempt": ("question_attempt", "create"),
        "plan": ("study_plan_event", "create"),
        "profile": ("student_profile", "update"),
    }[kind]
    key = uuid.UUID(entity_id or payload.get("id") or "018f0000-0000-7000-8000-00000000e001")
    return parse_payload(entity_type, operation, key, DEVICE, STUDENT, payload, NOW)


def test_valid_payloads_parse() -> None:
    attempt = _parse("attempt", _attempt())
    assert isinstance(attempt, AttemptPayload)
    assert attempt.is_correct is True and attempt.student_id == STUDENT
    # A whole number of seconds is a valid float in JSON.
    assert isinstance(_parse("attempt", _attempt(time_taken_seconds=12)), AttemptPayload)
    assert isinstance(_parse("attempt", _attempt(confidence=None)), AttemptPayload)
    assert isinstance(_parse("plan", _plan_event()), PlanEventPayload)
    profile = _parse("profile", _profile())
    assert isinstance(profile, ProfilePayload)
    assert profile.written() == {"available_hours_per_week": 7.5}
    # Null clears the exam date: a written field, unlike an absent one.
    cleared = _parse("profile", _profile(fields={"exam_date": None}))
    assert isinstance(cleared, ProfilePayload)
    assert cleared.written() == {"exam_date": None}


def _reason(result: Any) -> str:
    assert isinstance(result, Rejection), result
    return result.reason


@pytest.mark.parametrize("kind", ["attempt", "plan", "profile"])
def test_another_students_payload_is_rejected(kind: str) -> None:
    build = {"attempt": _attempt, "plan": _plan_event, "profile": _profile}[kind]
    assert "another student" in _reason(_parse(kind, build(student_id=str(OTHER_STUDENT))))


@pytest.mark.parametrize("kind", ["attempt", "plan"])
def test_entity_id_must_be_the_payloads_id(kind: str) -> None:
    payload = _attempt() if kind == "attempt" else _plan_event()
    reason = _reason(_parse(kind, payload, entity_id="018f0000-0000-7000-8000-0000000000ff"))
    assert "entity_id" in reason


@pytest.mark.parametrize("kind", ["attempt", "plan"])
def test_a_fact_recorded_on_another_device_is_rejected(kind: str) -> None:
    payload = _attempt(device_id="tablet") if kind == "attempt" else _plan_event(device_id="tablet")
    assert "another device" in _reason(_parse(kind, payload))


def test_facts_stamped_more_than_a_day_ahead_are_rejected() -> None:
    ahead = (NOW + timedelta(days=1, minutes=1)).isoformat()
    assert "future" in _reason(_parse("attempt", _attempt(attempted_at=ahead)))
    assert "future" in _reason(_parse("plan", _plan_event(occurred_at=ahead)))
    # Within the tolerance, and in another time zone, is fine.
    near = (NOW + timedelta(hours=23)).astimezone(UTC).isoformat()
    assert isinstance(_parse("attempt", _attempt(attempted_at=near)), AttemptPayload)
    kolkata = (NOW + timedelta(hours=23)).isoformat().replace("+00:00", "+05:30")
    assert isinstance(_parse("attempt", _attempt(attempted_at=kolkata)), AttemptPayload)
    future_clock = Clock(NOW_MS + 2 * 86_400_000, 0, DEVICE).encode()
    assert "future" in _reason(_parse("profile", _profile(clock=future_clock)))


@pytest.mark.parametrize(
    ("kind", "changes", "fragment"),
    [
        # Strict JSON: a boolean is true/false, not text or a number.
        ("attempt", {"is_correct": "true"}, "is_correct"),
        ("attempt", {"is_correct": 1}, "is_correct"),
        ("attempt", {"confidence": "4"}, "confidence"),
        ("attempt", {"confidence": 6}, "confidence"),
        ("attempt", {"time_taken_seconds": -1}, "time_taken_seconds"),
        ("attempt", {"time_taken_seconds": "12"}, "time_taken_seconds"),
        ("attempt", {"answer": ""}, "answer"),
        ("attempt", {"question_id": "not-a-uuid"}, "question_id"),
        ("attempt", {"attempted_at": "2026-12-06T07:30:00"}, "attempted_at"),  # no zone
        ("attempt", {"surprise": 1}, "surprise"),
        ("plan", {"kind": "abandoned"}, "kind"),
        ("plan", {"minutes": 1441}, "minutes"),
        ("plan", {"day": "06/12/2026"}, "day"),
        ("profile", {"fields": {"available_hours_per_week": 169}}, "available_hours_per_week"),
        ("profile", {"fields": {"grade": 11}}, "grade"),
        ("profile", {"fields": {"exam_date": "soon"}}, "exam_date"),
        ("profile", {"clock": "short"}, "clock"),
        ("profile", {"extra": True}, "extra"),
    ],
)
def test_malformed_payloads_are_rejected_with_the_field(
    kind: str, changes: dict[str, Any], fragment: str
) -> None:
    build = {"attempt": _attempt, "plan": _plan_event, "profile": _profile}[kind]
    reason = _reason(_parse(kind, build(**changes)))
    assert reason.startswith("invalid ")
    assert fragment in reason


def test_a_missing_field_is_rejected() -> None:
    payload = _attempt()
    del payload["is_correct"]
    assert "is_correct" in _reason(_parse("attempt", payload))


def test_an_empty_profile_update_is_rejected() -> None:
    assert "at least one field" in _reason(_parse("profile", _profile(fields={})))


def test_a_malformed_clock_is_rejected() -> None:
    # Long enough for the payload's shape, but not a stamp.
    assert "not a clock stamp" in _reason(_parse("profile", _profile(clock="x" * 30)))


@pytest.mark.parametrize(
    ("entity_type", "operation"),
    [("question_attempt", "delete"), ("concept_mastery", "update"), ("student_profile", "create")],
)
def test_unsupported_operations_are_rejected(entity_type: str, operation: str) -> None:
    # Mastery is never pushed: the server recomputes it.
    result = parse_payload(entity_type, operation, uuid.uuid4(), DEVICE, STUDENT, _attempt(), NOW)
    assert "unsupported operation" in _reason(result)


# ---- answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_answer", "correct"),
    [
        ("0.50", "1/2"),
        (".5", "1/2"),
        ("1/2", "0.5"),
        (" 1 / 2 ", ".5"),
        ("2", "2.0"),
        ("-3", "-6/2"),
    ],
)
def test_numeric_answers_match_by_value(given_answer: str, correct: str) -> None:
    assert answers_match(QuestionKind.NUMERIC, given_answer, correct)


@pytest.mark.parametrize(
    ("given_answer", "correct"), [("0.51", "1/2"), ("1/0", "1/0x"), ("abc", "1/2"), ("", "0")]
)
def test_numeric_answers_that_differ_do_not_match(given_answer: str, correct: str) -> None:
    assert not answers_match(QuestionKind.NUMERIC, given_answer, correct)


def test_mcq_answers_ignore_case_and_spacing_but_not_value() -> None:
    assert answers_match(QuestionKind.MCQ, "  Infinitely   MANY ", "infinitely many")
    assert not answers_match(QuestionKind.MCQ, "0.5", "1/2")
    assert not answers_match(QuestionKind.MCQ, "2", "2.0")
    assert not answers_match(QuestionKind.MCQ, "1", "2")


@EXAMPLES
@given(st.integers(-10_000, 10_000), st.integers(1, 10_000), st.integers(1, 50))
def test_a_fraction_matches_its_scaled_form(numerator: int, denominator: int, scale: int) -> None:
    # n/d and (n·k)/(d·k) are the same number.
    given_answer = f"{numerator * scale}/{denominator * scale}"
    assert answers_match(QuestionKind.NUMERIC, given_answer, f"{numerator}/{denominator}")


@EXAMPLES
@given(st.sampled_from(list(QuestionKind)), st.text(max_size=8), st.text(max_size=8))
def test_answers_match_is_symmetric(kind: QuestionKind, a: str, b: str) -> None:
    assert answers_match(kind, a, b) == answers_match(kind, b, a)


# ---- retry delays ------------------------------------------------------------------------


@EXAMPLES
@given(
    st.integers(min_value=1, max_value=80),
    st.floats(min_value=0.01, max_value=5),
    st.floats(min_value=0.1, max_value=600),
    st.randoms(use_true_random=False),
)
def test_retry_delay_is_within_the_exponential_ceiling(
    failures: int, base: float, cap: float, rng: random.Random
) -> None:
    delay = retry_delay(failures, rng, base=base, cap=cap)
    assert 0 <= delay <= min(cap, base * 2 ** (failures - 1))


@EXAMPLES
@given(
    st.integers(min_value=1, max_value=20),
    st.floats(min_value=0, max_value=1_000),
    st.randoms(use_true_random=False),
)
def test_retry_after_is_a_floor_capped_by_the_cap(
    failures: int, retry_after: float, rng: random.Random
) -> None:
    cap = 300.0
    delay = retry_delay(failures, rng, retry_after=retry_after, cap=cap)
    assert (
        min(retry_after, cap)
        <= delay
        <= max(min(retry_after, cap), min(cap, 0.5 * 2 ** (failures - 1)))
    )


@pytest.mark.parametrize("failures", [0, -1])
def test_no_failure_no_wait(failures: int) -> None:
    assert retry_delay(failures, random.Random(1)) == 0.0
    assert retry_delay(failures, random.Random(1), retry_after=30) == 0.0


class _Highest(random.Random):
    """The upper end of every range: the ceiling the jitter draws under."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_the_ceiling_doubles_then_stays_at_the_cap() -> None:
    ceilings = [retry_delay(n, _Highest(), base=0.5, cap=60.0) for n in range(1, 40)]
    assert ceilings[:4] == [0.5, 1.0, 2.0, 4.0]
    assert all(a <= b for a, b in itertools.pairwise(ceilings))
    assert ceilings[-1] == 60.0
    # Even after very many failures (no overflow, no float infinity).
    assert retry_delay(10_000, _Highest(), base=0.5, cap=60.0) == 60.0


def test_jitter_spreads_the_delays() -> None:
    # Full jitter: devices that failed together wait different times.
    rng = random.Random(17)
    delays = [retry_delay(6, rng) for _ in range(200)]
    ceiling = 0.5 * 2**5
    assert min(delays) < 0.2 * ceiling
    assert max(delays) > 0.8 * ceiling
    assert len(set(delays)) == len(delays)


# ---- mastery ----------------------------------------------------------------------------

T0 = datetime(2026, 11, 1, tzinfo=UTC)

observations = st.lists(
    st.builds(
        Observation,
        st.uuids(),
        # Few distinct times, so ties (broken by id) are common.
        st.integers(min_value=0, max_value=5).map(lambda h: T0 + timedelta(hours=h)),
        st.booleans(),
        st.sampled_from([QuestionKind.MCQ.value, QuestionKind.NUMERIC.value]),
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda o: o.attempt_id,
)


def arrive(batches: list[list[Observation]]) -> MasteryState:
    """The server's rule (`service/tracing.py`), batch by batch: one update per new attempt
    when all are newer than the stored state's last, else a replay of everything held."""
    held: list[Observation] = []
    stored: MasteryState | None = None
    for batch in batches:
        held.extend(batch)
        stored = advance(DEFAULT_PARAMS, stored, batch) or replay(DEFAULT_PARAMS, held)
    assert stored is not None
    return stored


@EXAMPLES
@given(observations, st.randoms(use_true_random=False))
def test_mastery_does_not_depend_on_arrival_order(
    attempts: list[Observation], rng: random.Random
) -> None:
    shuffled = list(attempts)
    rng.shuffle(shuffled)
    cuts = sorted(rng.sample(range(1, len(shuffled)), k=min(3, len(shuffled) - 1)))
    batches = [shuffled[i:j] for i, j in itertools.pairwise([0, *cuts, len(shuffled)])]
    in_order = sorted(attempts, key=lambda o: (o.attempted_at, o.attempt_id))
    # Bit for bit: devices compare the mastery they pull with equality.
    assert arrive(batches) == arrive([[o] for o in in_order]) == replay(DEFAULT_PARAMS, attempts)


@EXAMPLES
@given(observations)
def test_mastery_bounds_and_counts(attempts: list[Observation]) -> None:
    state = replay(DEFAULT_PARAMS, attempts)
    assert 0 < state.p_mastered < 1
    assert state.attempts_count == len(attempts)
    assert state.correct_count == sum(o.is_correct for o in attempts)
    assert state.last_practiced_at == max(o.attempted_at for o in attempts)
