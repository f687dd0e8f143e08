"""The class leaderboard's order: competition ranking, the top-N cut, and public names.

Competition ranking ("1224"): students with equal scores share a rank and the next rank skips
as many places as were shared, so a rank always says how many students did strictly better
(rank 4 = three students scored more). Scores are compared as stored (two decimals), so two
students shown with the same score never get different ranks.

Within a tie the order on the page is by first name, surname and id (case-insensitive): only
so the board reads the same on every refresh; it confers nothing.

The cut keeps every student whose rank is at most `top_n`: a tie straddling the cut is kept
whole (top 10 with three students sharing rank 9 shows 11 rows), because dropping one of
equals by name would be unfair.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# `leaderboard_entries.display_name` is VARCHAR(60).
DISPLAY_NAME_LIMIT = 60


@dataclass(frozen=True, slots=True)
class Contender:
    """A student who qualifies for a board: their score and how many exams it rests on."""

    user_id: uuid.UUID
    first_name: str
    last_name: str
    score: Decimal
    exams_counted: int


@dataclass(frozen=True, slots=True)
class Placed:
    rank: int
    display_name: str
    contender: Contender


def _first_grapheme(word: str) -> str:
    """The first character of `word` with the combining marks that belong to it (so a
    Devanagari consonant keeps its vowel sign, an accented Latin letter its accent)."""
    if not word:
        return ""
    end = 1
    while end < len(word) and unicodedata.category(word[end]).startswith("M"):
        end += 1
    return word[:end]


def display_name(first_name: str, last_name: str) -> str:
    """ "Aarav S.": the first name as written and the initial of the surname's first word
    ("Das Gupta" -> "D."), upper-cased where the script has case. With no surname, the first
    name alone; with no first name, the initial alone (the database refuses blank names, but
    the rule should not depend on it)."""
    first = " ".join(unicodedata.normalize("NFC", first_name).split())
    surname_words = unicodedata.normalize("NFC", last_name).split()
    initial = _first_grapheme(surname_words[0]).upper() + "." if surname_words else ""
    if not first:
        return initial or "?"
    if not initial:
        return first[:DISPLAY_NAME_LIMIT]
    room = DISPLAY_NAME_LIMIT - len(initial) - 1
    return f"{first[:room]} {initial}"


def _tie_order(contender: Contender) -> tuple[Decimal, str, str, str]:
    return (
        -contender.score,
        contender.first_name.casefold(),
        contender.last_name.casefold(),
        str(contender.user_id),
    )


def rank_board(contenders: Iterable[Contender], top_n: int) -> list[Placed]:
    """Competition ranks, best score first, cut after rank `top_n` (ties at the cut kept)."""
    if top_n < 1:
        raise ValueError(f"a board shows at least one rank, not top_n={top_n}")
    ordered = sorted(contenders, key=_tie_order)
    placed: list[Placed] = []
    for position, contender in enumerate(ordered, start=1):
        if placed and placed[-1].contender.score == contender.score:
            rank = placed[-1].rank
        else:
            rank = position
        if rank > top_n:
            break
        placed.append(
            Placed(rank, display_name(contender.first_name, contender.last_name), contender)
        )
    return placed


__all__ = ["DISPLAY_NAME_LIMIT", "Contender", "Placed", "display_name", "rank_board"]
