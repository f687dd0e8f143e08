"""Family links between parents and students (seed 003: "mandatory for child protection").

The rules, and why:

- **Consent.** A parent is linked to a student only with a code the student's own account
  issued (`issue_invite`): the student hands it to the parent in person. A parent cannot
  ask for, search for or guess their way to a child: sign-up gives a parent no child, and no
  route lists students to parents.
- **The code.** Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L),
  shown as "K7QM-3XPD": typeable from a phone screen, read aloud over a call. Only its
  SHA-256 is stored (purpose "family_invite" in `account_tokens`), so the table opens
  nothing; it expires after 48 hours; and a student has one live code at a time — issuing
  a new one spends the old one — so few codes are ever live to be guessed, and a code that
  went astray is cancelled by issuing another.
- **Redeeming** (`link`) spends the code in one UPDATE that checks it is unspent, unexpired
  and its student active, so a code links exactly one parent even when two try at once. An
  unknown, expired, used or cancelled code is one and the same 422: the answer tells a
  guesser nothing about which codes exist. A pair already linked is 409 (and, the
  transaction being rolled back, the code stays unspent for another parent).
- **Primary contact** (billing, notices): the student's first linked parent; afterwards the
  student may make any of their parents primary, and a parent may make themselves primary
  for a child they are linked to. One statement clears the old primary, the next sets the
  new one, in one transaction; the partial unique index
  `uq_parent_student_mappings_primary_contact` guarantees there is never more than one.
  When the primary parent is unlinked, the student's oldest remaining link takes over.
- **What each side sees**: a parent, their linked children (name, class, relationship,
  primary flag); a student, their linked parents (the same). Every read is scoped by the
  caller's own id, so a parent never reaches a child's other parents, nor a child their
  parent's other children. A link the caller is not part of answers 404, like one that
  does not exist.
- **Unlinking**: either side of a link may end it, at any time.

Every change (invite issued, linked, primary contact changed, unlinked) writes an audit row
in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, NotFound
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.repository import accounts as account_rows
from lyceum.mathvidya.repository import family as family_rows
from lyceum.mathvidya.schemas import family as schemas
from lyceum.mathvidya.service.audit import Actor, Origin, record

FAMILY_INVITE = "family_invite"
INVITE_LIFETIME = timedelta(hours=48)
# 31 characters: digits and capitals without 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-]")

INVITE_REFUSED = (
    "this invite code is not valid: it may be mistyped, expired (codes last 48 hours), used"
    " already or replaced by a newer one; ask your child to issue a new code"
)
NO_LINK = "no such family link"


def new_code() -> str:
    """A fresh invite code, grouped for reading: "K7QM-3XPD"."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str | None:
    """The code as stored (upper case, no dashes or spaces); None if it cannot be one."""
    raw = _SEPARATORS.sub("", code).upper()
    if len(raw) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in raw):
        return None
    return raw


def code_hash(code: str) -> str:
    # Namespaced, so an invite code's hash can never equal a reset secret's.
    return hashlib.sha256(f"{FAMILY_INVITE}:{code}".encode()).hexdigest()


async def issue_invite(db: AsyncSession, actor: Actor, origin: Origin) -> schemas.InviteIssued:
    code = new_code()
    superseded = await account_rows.spend_live_tokens(db, actor.user_id, FAMILY_INVITE)
    issued = await account_rows.issue_token(
        db, actor.user_id, FAMILY_INVITE, code_hash(normalise_code(code) or ""), INVITE_LIFETIME
    )
    await record(
        db,
        "family.invite_issued",
        "user",
        actor.user_id,
        actor=actor,
        origin=origin,
        details={
            "token_id": str(issued.id),
            "superseded": superseded,
            "expires_at": issued.expires_at.isoformat(),
        },
    )
    return schemas.InviteIssued(
        code=code,
        expires_at=issued.expires_at,
        message="give this code to your parent; it links one parent account to yours and"
        " works once, within 48 hours (a new code cancels this one)",
    )


async def link(
    db: AsyncSession, actor: Actor, body: schemas.LinkRequest, origin: Origin
) -> schemas.Child:
    code = normalise_code(body.code)
    spent = None
    if code is not None:
        spent = await account_rows.spend_token(
            db, code_hash(code), FAMILY_INVITE, spent_by=actor.user_id
        )
    if spent is None:
        raise NotFound(INVITE_REFUSED, details={"field": "code"})
    student_id = spent.user_id
    outcome = await family_rows.insert_link(db, actor.user_id, student_id, body.relationship_type)
    if isinstance(outcome, family_rows.LinkRefused):
        raise Conflict("your account is already linked to this student", details={"field": "code"})
    mapping_id, primary = outcome
    await record(
        db,
        "family.linked",
        "parent_student_mapping",
        mapping_id,
        actor=actor,
        origin=origin,
        details={
            "student_id": str(student_id),
            "parent_id": str(actor.user_id),
            "relationship_type": body.relationship_type.value,
            "is_primary_contact": primary,
            "token_id": str(spent.id),
        },
    )
    for child in await children(db, actor):
        if child.mapping_id == mapping_id:
            return child
    raise AssertionError("a link just made is among the parent's children")


async def children(db: AsyncSession, actor: Actor) -> list[schemas.Child]:
    return [
        schemas.Child(
            mapping_id=row.mapping_id,
            student_id=row.person_id,
            first_name=row.first_name,
            last_name=row.last_name,
            student_class=row.student_class,
            relationship_type=row.relationship_type,
            is_primary_contact=row.is_primary_contact,
        )
        for row in await family_rows.children_of(db, actor.user_id)
    ]


async def parents(db: AsyncSession, actor: Actor) -> list[schemas.LinkedParent]:
    return [
        schemas.LinkedParent(
            mapping_id=row.mapping_id,
            parent_id=row.person_id,
            first_name=row.first_name,
            last_name=row.last_name,
            relationship_type=row.relationship_type,
            is_primary_contact=row.is_primary_contact,
        )
        for row in await family_rows.parents_of(db, actor.user_id)
    ]


async def _own_link(
    db: AsyncSession, actor: Actor, mapping_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID, bool]:
    """(student id, parent id, is primary) of a link `actor` is a side of; else NotFound."""
    mapping = await family_rows.mapping_by_id(db, mapping_id)
    if mapping is None:
        raise NotFound(NO_LINK, details={"reason": "not_found"})
    mine = (actor.role is UserRole.STUDENT and mapping.student_user_id == actor.user_id) or (
        actor.role is UserRole.PARENT and mapping.parent_user_id == actor.user_id
    )
    if not mine:
        raise NotFound(NO_LINK, details={"reason": "not_found"})
    return mapping.student_user_id, mapping.parent_user_id, mapping.is_primary_contact


async def set_primary_contact(
    db: AsyncSession, actor: Actor, body: schemas.PrimaryContactChange, origin: Origin
) -> schemas.PrimaryContact:
    student_id, parent_id, primary = await _own_link(db, actor, body.mapping_id)
    answer = schemas.PrimaryContact(
        mapping_id=body.mapping_id, student_id=student_id, parent_id=parent_id
    )
    if primary:
        return answer
    previous = await family_rows.set_primary_contact(db, student_id, body.mapping_id)
    await record(
        db,
        "family.primary_contact_changed",
        "parent_student_mapping",
        body.mapping_id,
        actor=actor,
        origin=origin,
        details={
            "student_id": str(student_id),
            "parent_id": str(parent_id),
            "previous_parent_id": str(previous) if previous else None,
        },
    )
    return answer


async def unlink(db: AsyncSession, actor: Actor, mapping_id: uuid.UUID, origin: Origin) -> None:
    student_id, parent_id, primary = await _own_link(db, actor, mapping_id)
    await family_rows.delete_link(db, mapping_id)
    promoted = await family_rows.promote_oldest(db, student_id) if primary else None
    await record(
        db,
        "family.unlinked",
        "parent_student_mapping",
        mapping_id,
        actor=actor,
        origin=origin,
        details={
            "student_id": str(student_id),
            "parent_id": str(parent_id),
            "was_primary_contact": primary,
            "promoted_mapping_id": str(promoted) if promoted else None,
        },
    )


__all__ = [
    "CODE_ALPHABET",
    "FAMILY_INVITE",
    "INVITE_LIFETIME",
    "INVITE_REFUSED",
    "children",
    "code_hash",
    "issue_invite",
    "link",
    "new_code",
    "normalise_code",
    "parents",
    "set_primary_contact",
    "unlink",
]
