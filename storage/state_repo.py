"""Key → JSON document rows with an eTag (table ``bot_state``): what the bot's dialog state is kept in.

No botbuilder here: ``bot/state_storage.py`` turns botbuilder's objects into JSON documents and back.

eTags are integers in the database and strings outside (as botbuilder's ``e_tag``). Every write gives
the row a new eTag: an update increments it, a new row starts at a random value, so a writer that read a
row before it was deleted and created again does not silently match the new row's eTag. The eTag
comparison of a conditional write happens in the database (``UPDATE … WHERE key AND etag``), so two
writers holding the same eTag cannot both win, whatever the number of processes or replicas.

Keys: the column holds 512 characters. A longer key, or one containing NUL (PostgreSQL text cannot hold
it), is stored as its first 448 characters (NUL → U+FFFD) followed by the 64 hex digits of the SHA-256
of the whole key — 512 characters. Callers always use the original key; only the row holds the hashed one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotState, utcnow

MAX_KEY_LENGTH = 512
_HASH_HEX_LENGTH = 64
_PREFIX_LENGTH = MAX_KEY_LENGTH - _HASH_HEX_LENGTH
ANY_ETAG = "*"
_MAX_ETAG = 2**31 - 1  # INTEGER on PostgreSQL; wraps to 1 rather than overflow
_FIRST_ETAG_BOUND = 2**30
_CHUNK = 500  # keys per IN (…), far below either database's parameter limit


class StateRepoError(Exception):
    """Base of the errors of the bot-state repository."""


class EtagConflict(StateRepoError):
    """A conditional write's eTag does not match the stored row (or the row no longer exists)."""

    def __init__(self, key: str, expected: str, current: str | None) -> None:
        self.key = key
        self.expected = expected
        self.current = current  # None: no row with that key
        super().__init__(f"eTag conflict on {key!r}: expected {expected}, stored {current or 'nothing'}")


class InvalidEtag(StateRepoError, ValueError):
    """An empty string was given as eTag: neither "unconditional" (None, ``*``) nor a version."""


@dataclass(frozen=True, slots=True)
class StateDocument:
    """One stored document and the eTag of that version."""

    key: str
    document: Any
    etag: str


def storage_key(key: str) -> str:
    """The primary-key value a key is stored under (itself, or prefix + SHA-256 when too long or with NUL)."""
    if not isinstance(key, str):
        raise TypeError(f"state keys are strings, not {type(key).__name__}")
    if len(key) <= MAX_KEY_LENGTH and "\x00" not in key:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key[:_PREFIX_LENGTH].replace("\x00", "\ufffd") + digest


_EXISTS = select(BotState.key).where(BotState.key == bindparam("key"))


async def state_exists(conn: AsyncSession | AsyncConnection, key: str) -> bool:
    """Whether a row is stored under ``key`` (a primary-key probe, no document read)."""
    found = await conn.execute(_EXISTS, {"key": storage_key(key)})
    return found.first() is not None


class StateRepo:
    """Reads, writes and deletes ``bot_state`` rows inside the caller's session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    async def read_many(self, keys: Iterable[str]) -> dict[str, StateDocument]:
        """The stored documents of those keys that exist, by the caller's key."""
        wanted: dict[str, list[str]] = {}
        for key in keys:
            wanted.setdefault(storage_key(key), []).append(key)
        found: dict[str, StateDocument] = {}
        for chunk in _chunks(list(wanted)):
            rows = await self.session.execute(
                select(BotState.key, BotState.document, BotState.etag).where(BotState.key.in_(chunk))
            )
            for stored_key, document, etag in rows:
                for key in wanted[stored_key]:
                    found[key] = StateDocument(key, document, str(etag))
        return found

    async def write(self, key: str, document: Any, expected_etag: str | None = None) -> str:
        """Store ``document`` under ``key``; return the new eTag.

        ``expected_etag`` None or ``*``: create or overwrite (last writer wins). Any other value: the
        stored row must have exactly that eTag, else ``EtagConflict`` — also when the row is missing.
        """
        if expected_etag == "":
            raise InvalidEtag(f"empty eTag for {key!r}: give None or '*' to write unconditionally")
        stored_key = storage_key(key)
        if expected_etag is None or expected_etag == ANY_ETAG:
            return str(await self._upsert(stored_key, document))
        expected = _parse_etag(expected_etag)
        if expected is not None:
            result = await self.session.execute(
                update(BotState)
                .where(BotState.key == stored_key, BotState.etag == expected)
                .values(document=document, etag=_next_etag(), updated_at=utcnow())
                .returning(BotState.etag)
            )
            new_etag = result.scalar_one_or_none()
            if new_etag is not None:
                return str(new_etag)
        # Only for the error's text: the decision above was the database's.
        current = await self.session.scalar(select(BotState.etag).where(BotState.key == stored_key))
        raise EtagConflict(key, expected_etag, None if current is None else str(current))

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Delete those keys; missing ones are no error. Returns how many rows went."""
        stored = sorted({storage_key(key) for key in keys})
        deleted = 0
        for chunk in _chunks(stored):
            result = await self.session.execute(delete(BotState).where(BotState.key.in_(chunk)))
            deleted += result.rowcount or 0
        return deleted

    async def _upsert(self, stored_key: str, document: Any) -> int:
        """INSERT … ON CONFLICT (key) DO UPDATE: race-free create-or-replace on both dialects."""
        if self.dialect == "postgresql":
            insert = postgresql.insert
        elif self.dialect == "sqlite":
            insert = sqlite.insert
        else:  # pragma: no cover - the store only runs on these two
            raise StateRepoError(f"bot state needs SQLite or PostgreSQL, not {self.dialect}")
        stmt = insert(BotState).values(
            key=stored_key,
            document=document,
            etag=1 + secrets.randbelow(_FIRST_ETAG_BOUND),
            updated_at=utcnow(),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[BotState.key],
            set_={"document": stmt.excluded.document, "etag": _next_etag(), "updated_at": stmt.excluded.updated_at},
        ).returning(BotState.etag)
        return (await self.session.execute(stmt)).scalar_one()


def _next_etag() -> Any:
    """SQL for the eTag after this write: one more, wrapping before INTEGER overflows."""
    return case((BotState.etag >= _MAX_ETAG, 1), else_=BotState.etag + 1)


def _parse_etag(etag: str) -> int | None:
    """The integer an eTag string stands for; None when it cannot be one of ours (so it matches nothing)."""
    if not etag.isascii() or not etag.isdigit():
        return None
    value = int(etag)
    return value if 0 < value <= _MAX_ETAG else None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
