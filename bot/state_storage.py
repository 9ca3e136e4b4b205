"""botbuilder ``Storage`` over the shared SQL store, so dialog state survives restarts and works across replicas.

Items are serialised as botbuilder-azure's ``CosmosDbPartitionedStorage`` does it: ``jsonpickle``'s
``Pickler().flatten`` (a dependency of botbuilder-core; ``BotState`` hashes state the same way), minus
the top-level ``e_tag``; reading puts the row's eTag in as ``e_tag`` and restores with ``Unpickler``.
So plain dicts come back as dicts and objects (``StoreItem``, ``DialogState`` and what a prompt keeps)
as objects of their classes.

eTags, as botbuilder means them: an item without ``e_tag`` (or ``None``, or ``*``) is written whatever is
stored; with an ``e_tag`` it is written only if the stored row still has that eTag, otherwise
``KeyError("Etag conflict…")`` as ``MemoryStorage`` raises. Where this differs from ``MemoryStorage``:
it always checks (``MemoryStorage`` only checks rows that already carry an eTag — which those
``ConversationState`` writes never do, so there concurrent turns silently overwrite each other); a
conditional write on a missing key is a conflict (``MemoryStorage`` creates the key); every read returns
an ``e_tag``; one ``write`` call is one transaction (all items or none); and reads return copies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from storage.db import Store
from storage.state_repo import EtagConflict, StateRepo

E_TAG = "e_tag"


class StorageArgumentError(ValueError):
    """``read``/``write``/``delete`` called without keys or changes (same messages as botbuilder's storages)."""


class EtagMissingError(ValueError):
    """An item's ``e_tag`` is the empty string (``MemoryStorage`` refuses it too)."""


class EtagConflictError(KeyError):
    """The stored item changed since it was read; same type and text as ``MemoryStorage``'s conflict."""

    def __init__(self, key: str, original: str, current: str | None) -> None:
        self.key = key
        self.original = original
        self.current = current
        super().__init__("Etag conflict.\nOriginal: %s\r\nCurrent: %s" % (original, current))


class SqlStorage(Storage):
    """``Storage`` whose items are rows of ``bot_state``; holds no state of its own but the store."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store

    async def read(self, keys: Iterable[str] | None) -> dict[str, Any]:
        """The stored items of those keys that exist (unknown keys are left out)."""
        if keys is None:
            raise StorageArgumentError("Keys are required when reading")
        key_list = list(keys)
        if not key_list:
            return {}
        async with self._store.read_session() as session:
            found = await StateRepo(session).read_many(key_list)
        return {key: _to_item(doc.document, doc.etag) for key, doc in found.items()}

    async def write(self, changes: Mapping[str, Any] | None) -> None:
        """Store every item of ``changes`` in one transaction, checking each item's ``e_tag``."""
        if changes is None:
            raise StorageArgumentError("Changes are required when writing")
        if not changes:
            return
        prepared = [(key, _to_document(item), _etag_of(item)) for key, item in changes.items()]
        for key, _document, etag in prepared:
            if etag == "":
                raise EtagMissingError(f"sql_storage.write(): etag missing (key {key!r})")
        try:
            async with self._store.write_session() as session:  # short: on SQLite on the loop's thread
                repo = StateRepo(session)
                for key, document, etag in prepared:
                    await repo.write(key, document, expected_etag=etag)
        except EtagConflict as conflict:
            raise EtagConflictError(conflict.key, conflict.expected, conflict.current) from conflict

    async def delete(self, keys: Iterable[str] | None) -> None:
        """Delete those keys; unknown keys are no error."""
        if keys is None:
            raise StorageArgumentError("Keys are required when deleting")
        key_list = list(keys)
        if not key_list:
            return
        async with self._store.write_session() as session:
            await StateRepo(session).delete_many(key_list)


def _etag_of(item: Any) -> str | None:
    """An item's ``e_tag`` (dict key or attribute) as a string, None when it has none."""
    etag = item.get(E_TAG) if isinstance(item, Mapping) else getattr(item, E_TAG, None)
    return None if etag is None else str(etag)


def _to_document(item: Any) -> Any:
    """The JSON document of an item: jsonpickle's flattened form without the top-level ``e_tag``."""
    document = Pickler().flatten(item)
    if isinstance(document, dict):
        document.pop(E_TAG, None)
    return document


def _to_item(document: Any, etag: str) -> Any:
    """The item a document stands for, with the row's eTag as ``e_tag`` (dicts and objects alike)."""
    if isinstance(document, dict):
        document = {**document, E_TAG: etag}
    # safe=True: never evaluate py/repr strings, whatever a row holds.
    return Unpickler(safe=True).restore(document)
