"""Knowledge tracing as attempts arrive (from a device's push or the API), in the caller's
transaction.

Per (student, concept) that gained attempts: when every new attempt is later than the last
one the stored state has seen, the state is advanced one attempt at a time, oldest first
(`bkt.update`, O(1) each). Otherwise — an offline device's attempt older than what the
server holds, or one at the very same instant — the pair's whole history is replayed in
(time, id) order (`bkt.replay`). Both give the replay's result to the bit (the same float
operations in the same order from the same stored start), so mastery depends on the set of
attempts only, whatever order they arrive in.

A pair without a stored row is replayed too: attempts can exist without one (a bulk load).

The individualised parts of the fitted model ride along: each observation carries its
question's emission offset (`effect`, read with the question), and a replay starts from the
student's prior offset — the same inputs `lyceum adaptive fit` replays with, so a fit
followed by new attempts continues exactly where the fit's recomputation left off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.mastery.bkt import BktParams, MasteryState, Observation
from lyceum.adaptive.repository import mastery as repository
from lyceum.adaptive.repository.mastery import Pair


def _order(observation: Observation) -> tuple[object, ...]:
    return (observation.attempted_at, observation.attempt_id)


def advance(
    params: BktParams, stored: MasteryState | None, new: Sequence[Observation]
) -> MasteryState | None:
    """The state after `new`, updated incrementally from `stored`; None when that would not
    equal a replay (no stored state, or a new attempt not strictly after the stored last)."""
    if stored is None or stored.last_practiced_at is None:
        return None
    ordered = sorted(new, key=_order)
    if ordered and ordered[0].attempted_at <= stored.last_practiced_at:
        return None
    state = stored
    for seen in ordered:
        state = bkt.update(
            params, state, seen.is_correct, seen.attempted_at, seen.kind, effect=seen.effect
        )
    return state


Loaded = repository.Stored


async def load(db: AsyncSession, pairs: Iterable[Pair]) -> Loaded:
    """The stored states, parameters and students' prior offsets `record_attempts` starts
    from (one query)."""
    return await repository.stored_states(db, pairs)


async def record_attempts(
    db: AsyncSession, new: Mapping[Pair, Sequence[Observation]], loaded: Loaded | None = None
) -> dict[Pair, MasteryState]:
    """Update and save the mastery of every pair in `new` (attempts already inserted); the
    new states. Replays only the pairs that need it. `loaded`: what `load` gave for these
    pairs in this transaction, if the caller already has it."""
    pairs = [pair for pair, observations in new.items() if observations]
    if not pairs:
        return {}
    start = loaded if loaded is not None else await load(db, pairs)
    states: dict[Pair, MasteryState] = {}
    to_replay: list[Pair] = []
    for pair in pairs:
        state = advance(start.params[pair[1]], start.states.get(pair), new[pair])
        if state is None:
            to_replay.append(pair)
        else:
            states[pair] = state
    if to_replay:
        for pair, observations in (await repository.history(db, to_replay)).items():
            states[pair] = bkt.replay(
                start.params[pair[1]], observations, prior_offset=start.prior_offsets[pair[0]]
            )
    await repository.save_states(db, states)
    return states


__all__ = ["Loaded", "advance", "load", "record_attempts"]
