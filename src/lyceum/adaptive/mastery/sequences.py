"""Attempt histories packed for knowledge tracing over many sequences at once, and the
forward-backward pass of BKT with forgetting on them (pure NumPy).

A sequence is one student's attempts at one concept, in time order. The packing is
time-major: step t holds the t-th attempt of every sequence that has one, and sequences are
ranked longest first, so at step t the sequences still running are exactly ranks
0..n_t - 1 and each step is one slice of the flat arrays (no padding, no masks). A Python loop
runs over steps (the longest sequence, ~100 at the default scale); everything inside is
vectorised over all sequences of all concepts.

The transition between attempts i and i + 1 is the one `bkt.update` applies: learning at
attempt i (U -> L with p_learn), then forgetting over the gap Δt (L stays L with
exp(-forget_per_day · Δt)); so P(L_{i+1} | L_i) = exp(-λΔt) and
P(L_{i+1} | U_i) = p_learn · exp(-λΔt). The forward pass's prediction at each step is
therefore exactly what repeated `bkt.update` predicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ParamArrays:
    """BKT parameters per concept, as arrays indexed by concept."""

    p_init: FloatArray
    p_learn: FloatArray
    forget_per_day: FloatArray
    guess_mcq: FloatArray
    guess_numeric: FloatArray
    slip: FloatArray


@dataclass(frozen=True, slots=True)
class Packed:
    """Attempts in time-major order (see the module docstring). `source[k]` is the index, in
    the arrays given to `pack`, of packed entry k."""

    offsets: IntArray  # step t is entries offsets[t]:offsets[t + 1]
    concept: IntArray  # per entry
    sequence: IntArray  # per entry: the sequence's rank
    correct: BoolArray
    numeric: BoolArray
    gap_days: FloatArray  # since the sequence's previous attempt (0 for its first)
    previous: IntArray  # packed index of the sequence's previous attempt (-1 for its first)
    source: IntArray
    sequence_concept: IntArray  # per sequence rank
    sequence_key: IntArray  # per sequence rank: the key given to `pack`

    @property
    def size(self) -> int:
        return int(self.correct.size)

    @property
    def steps(self) -> int:
        return int(self.offsets.size - 1)


def pack(
    key: IntArray,
    concept: IntArray,
    days: FloatArray,
    correct: BoolArray,
    numeric: BoolArray,
    tiebreak: IntArray | None = None,
) -> Packed:
    """Pack attempts; `key` identifies the sequence (e.g. student * concepts + concept) and
    must determine `concept`. Within a sequence attempts are ordered by (days, tiebreak),
    the (time, id) order `bkt.replay` uses."""
    n = int(key.size)
    if n == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        return Packed(
            np.zeros(1, dtype=np.int64), empty_i, empty_i, np.zeros(0, dtype=bool),
            np.zeros(0, dtype=bool), np.zeros(0), empty_i, empty_i, empty_i, empty_i,
        )  # fmt: skip
    ties = np.arange(n) if tiebreak is None else tiebreak
    order = np.lexsort((ties, days, key))
    k_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]])
    lengths = np.diff(np.r_[starts, n])
    seq_of = np.repeat(np.arange(starts.size), lengths)
    position = np.arange(n) - starts[seq_of]
    # Rank sequences longest first (stable, so ties keep key order).
    rank_of_seq = np.empty(starts.size, dtype=np.int64)
    by_length = np.argsort(-lengths, kind="stable")
    rank_of_seq[by_length] = np.arange(starts.size)
    rank = rank_of_seq[seq_of]
    alive = np.bincount(position, minlength=int(lengths.max()))  # sequences with a step t
    offsets = np.r_[0, np.cumsum(alive)].astype(np.int64)
    flat = offsets[position] + rank
    source = np.empty(n, dtype=np.int64)
    source[flat] = order
    d_sorted = days[order]
    gap = np.zeros(n)
    gap[1:] = np.where(position[1:] > 0, d_sorted[1:] - d_sorted[:-1], 0.0)
    previous = np.where(position > 0, offsets[np.maximum(position - 1, 0)] + rank, -1)
    gap_flat, previous_flat = np.empty(n), np.empty(n, dtype=np.int64)
    gap_flat[flat], previous_flat[flat] = gap, previous
    rank_flat = np.empty(n, dtype=np.int64)
    rank_flat[flat] = rank
    seq_concept = np.empty(starts.size, dtype=np.int64)
    seq_concept[rank_of_seq] = concept[order][starts]
    seq_key = np.empty(starts.size, dtype=np.int64)
    seq_key[rank_of_seq] = k_sorted[starts]
    return Packed(
        offsets=offsets,
        concept=concept[source],
        sequence=rank_flat,
        correct=correct[source].astype(bool),
        numeric=numeric[source].astype(bool),
        gap_days=gap_flat,
        previous=previous_flat,
        source=source,
        sequence_concept=seq_concept,
        sequence_key=seq_key,
    )


@dataclass(frozen=True, slots=True)
class Emissions:
    """Per entry: P(this answer | L), P(this answer | U), the learning rate and the chance a
    known concept survives the gap before the entry."""

    known: FloatArray
    unknown: FloatArray
    learn: FloatArray
    keep: FloatArray
    right_known: FloatArray  # P(right | L): 1 - slip
    right_unknown: FloatArray  # P(right | U): the kind's guess rate


def emissions(packed: Packed, params: ParamArrays, offset: FloatArray | None = None) -> Emissions:
    """`offset`, per entry: a shift of both states' P(right) in logits (the individualised
    model's question and student effects, `individual.py`); none in plain BKT."""
    c, y = packed.concept, packed.correct
    right_unknown = np.where(packed.numeric, params.guess_numeric[c], params.guess_mcq[c])
    right_known = 1.0 - params.slip[c]
    if offset is not None:
        right_known = shifted(right_known, offset)
        right_unknown = shifted(right_unknown, offset)
    return Emissions(
        known=np.where(y, right_known, 1.0 - right_known),
        unknown=np.where(y, right_unknown, 1.0 - right_unknown),
        learn=params.p_learn[c],
        keep=np.exp(-params.forget_per_day[c] * packed.gap_days),
        right_known=right_known,
        right_unknown=right_unknown,
    )


def shifted(p: FloatArray, offset: FloatArray) -> FloatArray:
    """`p` moved by `offset` in logits."""
    return 1.0 / (1.0 + (1.0 - p) / p * np.exp(-offset))


@dataclass(frozen=True, slots=True)
class Forward:
    prior: FloatArray  # P(L) just before each attempt (what the online model predicts from)
    filtered: FloatArray  # P(L | answers so far), before learning
    likelihood: FloatArray  # P(this answer | earlier answers)
    right: FloatArray  # P(right | earlier answers): the online prediction


def forward(
    packed: Packed,
    params: ParamArrays,
    em: Emissions | None = None,
    init: FloatArray | None = None,
    offset: FloatArray | None = None,
) -> Forward:
    """`init`, per sequence rank: P(L) before its first attempt (default: the concept's
    p_init; an individualised prior otherwise); `offset` as in `emissions` (ignored when
    `em` is given)."""
    em = emissions(packed, params, offset) if em is None else em
    if init is None:
        init = params.p_init[packed.sequence_concept]
    prior = np.empty(packed.size)
    filtered = np.empty(packed.size)
    off = packed.offsets
    for t in range(packed.steps):
        s, e = int(off[t]), int(off[t + 1])
        if t == 0:
            p = init[: e - s]
        else:
            before = filtered[int(off[t - 1]) : int(off[t - 1]) + (e - s)]
            p = (before + (1.0 - before) * em.learn[s:e]) * em.keep[s:e]
        prior[s:e] = p
        known = p * em.known[s:e]
        filtered[s:e] = known / (known + (1.0 - p) * em.unknown[s:e])
    likelihood = prior * em.known + (1.0 - prior) * em.unknown
    right = prior * em.right_known + (1.0 - prior) * em.right_unknown
    return Forward(prior=prior, filtered=filtered, likelihood=likelihood, right=right)


@dataclass(frozen=True, slots=True)
class Posteriors:
    """Expected state occupancy per entry and expected transitions into each entry from the
    sequence's previous one (zero for first attempts)."""

    known: FloatArray  # gamma(L)
    to_known_from_known: FloatArray  # xi(L -> L)
    to_unknown_from_known: FloatArray  # xi(L -> U)
    to_known_from_unknown: FloatArray  # xi(U -> L)
    to_unknown_from_unknown: FloatArray  # xi(U -> U)


def forward_backward(
    packed: Packed,
    params: ParamArrays,
    init: FloatArray | None = None,
    offset: FloatArray | None = None,
) -> tuple[Forward, Posteriors, Emissions]:
    """The E-step: scaled forward-backward (Rabiner's scaling: the forward variables are the
    filtered distributions, the backward ones are divided by the same per-step likelihoods)."""
    em = emissions(packed, params, offset)
    fw = forward(packed, params, em, init)
    off = packed.offsets
    back_known, back_unknown = np.ones(packed.size), np.ones(packed.size)
    # Weight of each entry's state given what follows: b(answer) · β / c.
    w_known = np.empty(packed.size)
    w_unknown = np.empty(packed.size)
    for t in range(packed.steps - 1, -1, -1):
        s, e = int(off[t]), int(off[t + 1])
        w_known[s:e] = em.known[s:e] * back_known[s:e] / fw.likelihood[s:e]
        w_unknown[s:e] = em.unknown[s:e] * back_unknown[s:e] / fw.likelihood[s:e]
        if t == 0:
            break
        ps = int(off[t - 1])
        n = e - s
        keep, learn = em.keep[s:e], em.learn[s:e]
        back_known[ps : ps + n] = keep * w_known[s:e] + (1.0 - keep) * w_unknown[s:e]
        back_unknown[ps : ps + n] = (
            learn * keep * w_known[s:e] + (1.0 - learn * keep) * w_unknown[s:e]
        )
    gamma = fw.filtered * back_known
    has_prev = packed.previous >= 0
    prev = np.where(has_prev, packed.previous, 0)
    a_known = np.where(has_prev, fw.filtered[prev], 0.0)
    a_unknown = np.where(has_prev, 1.0 - fw.filtered[prev], 0.0)
    keep, learn = em.keep, em.learn
    return (
        fw,
        Posteriors(
            known=np.clip(gamma, 0.0, 1.0),
            to_known_from_known=a_known * keep * w_known,
            to_unknown_from_known=a_known * (1.0 - keep) * w_unknown,
            to_known_from_unknown=a_unknown * learn * keep * w_known,
            to_unknown_from_unknown=a_unknown * (1.0 - learn * keep) * w_unknown,
        ),
        em,
    )


__all__ = [
    "Emissions",
    "Forward",
    "Packed",
    "ParamArrays",
    "Posteriors",
    "emissions",
    "forward",
    "forward_backward",
    "pack",
    "shifted",
]
