"""Named CHECKs of the two tables the product added beyond seed 003's fifteen (issue 15,
migration 0013), each proven by a row PostgreSQL refuses (named by that CHECK) and a row at
its edge that it keeps as given.

Tables: account_tokens, payments. The seed's tables are in test_constraints_checks_accounts.py
and test_constraints_checks_exams.py; test_constraints_coverage.py checks that the lists
together name every CHECK.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models.account import TOKEN_PURPOSES
from tests.mathvidya.rows import (
    TOKEN_ISSUED,
    Bad,
    Good,
    assert_kept_as_given,
    assert_refused_by_check,
    case_id,
)

TICK = timedelta(microseconds=1)
D = Decimal
HEX = "0123456789abcdef" * 4


def _tok(rule: str) -> str:
    return f"ck_account_tokens_{rule}"


def _pay(rule: str) -> str:
    return f"ck_payments_{rule}"


def _split(amount: str, taxable: str, gst: str) -> dict[str, Decimal]:
    return {"amount_inr": D(amount), "taxable_value_inr": D(taxable), "gst_inr": D(gst)}


BAD_PRODUCT: list[Bad] = [
    # account_tokens
    *(Bad("account_tokens", {"purpose": bad}, _tok("purpose_known"))
      for bad in ("", "reset", "PASSWORD_RESET", "family_invite ", "email_verification")),
    *(Bad("account_tokens", {"token_hash": bad}, _tok("token_hash_hex"))
      for bad in ("", HEX.upper(), HEX[:63], HEX[:63] + "g", " " + HEX[:63],
                  "not-a-hash")),
    *(Bad("account_tokens", {"expires_at": v}, _tok("expires_after_created"))
      for v in (TOKEN_ISSUED, TOKEN_ISSUED - TICK, TOKEN_ISSUED - timedelta(days=1))),
    *(Bad("account_tokens", {"used_at": v}, _tok("used_after_created"))
      for v in (TOKEN_ISSUED - TICK, TOKEN_ISSUED - timedelta(hours=1))),
    # payments
    *(Bad("payments", {"provider_payment_id": v}, _pay("provider_payment_id_not_blank"))
      for v in ("", "   ")),
    *(Bad("payments", {"invoice_number": v}, _pay("invoice_number_not_blank"))
      for v in ("", "  ")),
    # Zero parts add up to a zero amount, so only the amount's own rule is left to refuse it.
    Bad("payments", _split("0", "0", "0"), _pay("amount_positive")),
    # A negative amount needs a negative part to add up to it.
    Bad("payments", _split("-1.00", "-1.00", "0"), _pay("amount_positive"),
        (_pay("parts_non_negative"),)),
    Bad("payments", _split("100.00", "-0.01", "100.01"), _pay("parts_non_negative")),
    Bad("payments", _split("100.00", "100.01", "-0.01"), _pay("parts_non_negative")),
    *(Bad("payments", _split("2999.00", "2541.53", gst), _pay("parts_add_up"))
      for gst in ("457.46", "457.48", "0")),
    Bad("payments", _split("2999.00", "0", "0"), _pay("parts_add_up")),
]  # fmt: skip

GOOD_PRODUCT: list[Good] = [
    *(Good("account_tokens", {"purpose": p}, (_tok("purpose_known"),)) for p in TOKEN_PURPOSES),
    *(Good("account_tokens", {"token_hash": v}, (_tok("token_hash_hex"),))
      for v in (HEX, "0" * 64, "f" * 64)),
    Good("account_tokens", {"expires_at": TOKEN_ISSUED + TICK},
         (_tok("expires_after_created"),)),
    # Spent at the instant it was issued; an unspent token (NULL) passes as well.
    *(Good("account_tokens", {"used_at": v}, (_tok("used_after_created"),))
      for v in (TOKEN_ISSUED, TOKEN_ISSUED + timedelta(minutes=59), None)),
    Good("payments", {"provider_payment_id": "p"}, (_pay("provider_payment_id_not_blank"),)),
    Good("payments", {"invoice_number": "M"}, (_pay("invoice_number_not_blank"),)),
    Good("payments", _split("0.01", "0.01", "0"),
         (_pay("amount_positive"), _pay("parts_non_negative"), _pay("parts_add_up"))),
    Good("payments", _split("0.01", "0", "0.01"),
         (_pay("amount_positive"), _pay("parts_non_negative"), _pay("parts_add_up"))),
    Good("payments", _split("14999.00", "12711.02", "2287.98"), (_pay("parts_add_up"),)),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_PRODUCT, ids=[case_id(b) for b in BAD_PRODUCT])
async def test_a_row_breaking_a_named_check_is_refused_by_that_check(
    db_session: AsyncSession, bad: Bad
) -> None:
    await assert_refused_by_check(db_session, bad)


@pytest.mark.parametrize("good", GOOD_PRODUCT, ids=[case_id(g) for g in GOOD_PRODUCT])
async def test_a_row_at_the_edge_of_its_checks_is_kept_as_given(
    db_session: AsyncSession, good: Good
) -> None:
    await assert_kept_as_given(db_session, good)
