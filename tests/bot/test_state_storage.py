"""SqlStorage: botbuilder's own storage contract (``StorageBaseTests``) on MemoryStorage, SQLite and
PostgreSQL, plus eTag conflicts, concurrent writers, restarts and a waterfall across storage instances."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from botbuilder.core import ConversationState, MemoryStorage, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogSet, DialogTurnStatus, TextPrompt, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.prompts import PromptOptions
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import StorageBaseTests
from sqlalchemy import select

from bot.state_storage import EtagConflictError, EtagMissingError, SqlStorage, StorageArgumentError
from storage.db import Store
from storage.models import BotState
from storage.state_repo import MAX_KEY_LENGTH, EtagConflict, StateRepo, storage_key

# Every static method of botbuilder's contract; the assertion below notices one added upstream.
CONTRACT = [
    "return_empty_object_when_reading_unknown_key",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "does_not_raise_when_writing_no_items",
    "create_object",
    "handle_crazy_keys",
    "update_object",
    "delete_object",
    "delete_unknown_object",
    "perform_batch_operations",
    "proceeds_through_waterfall",
]


def test_contract_list_is_complete() -> None:
    shipped = {
        name
        for name in vars(StorageBaseTests)
        if not name.startswith("_") and inspect.iscoroutinefunction(getattr(StorageBaseTests, name))
    }
    assert shipped == set(CONTRACT)


@pytest.mark.parametrize("case", CONTRACT)
async def test_contract_memory_storage(case: str) -> None:
    """The reference: botbuilder's own MemoryStorage passes its own contract."""
    assert await getattr(StorageBaseTests, case)(MemoryStorage()) is True


@pytest.mark.parametrize("case", CONTRACT)
async def test_contract_sql_storage(case: str, empty_store: Store) -> None:
    assert await getattr(StorageBaseTests, case)(SqlStorage(empty_store)) is True


# --- helpers --------------------------------------------------------------------------------


async def _reopen(store: Store) -> Store:
    """A second Store on the same database (own engine and pool), as a restarted process or replica has."""
    url = store.engine.url.render_as_string(hide_password=False)
    if store.dialect == "sqlite":
        return Store.from_url(url)
    async with store.engine.connect() as conn:
        schema = (await conn.exec_driver_sql("SELECT current_schema()")).scalar_one()
    return Store.from_url(url, search_path=schema)


@pytest.fixture
async def other_store(empty_store: Store) -> AsyncIterator[Store]:
    reopened = await _reopen(empty_store)
    yield reopened
    await reopened.dispose()


async def _stored_rows(store: Store) -> dict[str, tuple[object, int]]:
    async with store.session() as session:
        rows = await session.execute(select(BotState.key, BotState.document, BotState.etag))
        return {key: (document, etag) for key, document, etag in rows}


# --- eTags ----------------------------------------------------------------------------------


async def test_stale_write_raises_like_memory_storage(empty_store: Store) -> None:
    """The assertion botbuilder-python had to comment out of ``update_object`` holds here."""
    storage = SqlStorage(empty_store)
    await storage.write({"item": {"count": 1}})
    first = (await storage.read(["item"]))["item"]
    second = (await storage.read(["item"]))["item"]
    assert first["e_tag"] == second["e_tag"]

    first["count"] = 2
    await storage.write({"item": first})
    second["count"] = 3
    with pytest.raises(KeyError) as err:
        await storage.write({"item": second})

    assert isinstance(err.value, EtagConflictError)
    current = (await storage.read(["item"]))["item"]
    assert err.value.args[0] == f"Etag conflict.\nOriginal: {second['e_tag']}\r\nCurrent: {current['e_tag']}"
    assert current["count"] == 2
    # Re-writing the already written object is stale too: write does not hand back the new eTag.
    with pytest.raises(EtagConflictError):
        await storage.write({"item": first})


async def test_every_write_changes_the_etag(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    seen = set()
    for count in range(5):
        await storage.write({"k": {"count": count}})
        seen.add((await storage.read(["k"]))["k"]["e_tag"])
    item = (await storage.read(["k"]))["k"]
    for count in range(5):
        item["count"] = count
        await storage.write({"k": item})
        item = (await storage.read(["k"]))["k"]
        seen.add(item["e_tag"])
    assert len(seen) == 10


async def test_wildcard_and_missing_etag_overwrite(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    await storage.write({"k": {"v": 1}})
    stale = (await storage.read(["k"]))["k"]
    await storage.write({"k": {"v": 2}})
    await storage.write({"k": {**stale, "v": 3, "e_tag": "*"}})
    await storage.write({"k": {**stale, "v": 4, "e_tag": None}})
    assert (await storage.read(["k"]))["k"]["v"] == 4


async def test_conditional_write_on_a_missing_key_is_a_conflict(empty_store: Store) -> None:
    """A version that no longer exists cannot be current (MemoryStorage would re-create the key)."""
    storage = SqlStorage(empty_store)
    await storage.write({"k": {"v": 1}})
    item = (await storage.read(["k"]))["k"]
    await storage.delete(["k"])
    with pytest.raises(EtagConflictError) as err:
        await storage.write({"k": item})
    assert err.value.current is None
    with pytest.raises(EtagConflictError):
        await storage.write({"never-written": {"v": 1, "e_tag": "17"}})
    assert await storage.read(["k", "never-written"]) == {}


async def test_recreated_key_does_not_accept_the_old_etag(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    await storage.write({"k": {"v": 1}})
    old = (await storage.read(["k"]))["k"]
    await storage.delete(["k"])
    await storage.write({"k": {"v": 2}})
    with pytest.raises(EtagConflictError):
        await storage.write({"k": {**old, "v": 3}})


async def test_unknown_etag_formats_conflict(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    await storage.write({"k": {"v": 1}})
    for etag in ("W/\"abc\"", "-1", "0", "99999999999999999999", "１"):
        with pytest.raises(EtagConflictError):
            await storage.write({"k": {"v": 2, "e_tag": etag}})
    assert (await storage.read(["k"]))["k"]["v"] == 1


async def test_empty_etag_is_refused_before_anything_is_written(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    with pytest.raises(EtagMissingError):
        await storage.write({"a": {"v": 1}, "b": {"v": 1, "e_tag": ""}})
    assert await storage.read(["a", "b"]) == {}


async def test_one_write_is_one_transaction(empty_store: Store) -> None:
    """A conflict on one item leaves every item of that write as it was (MemoryStorage writes up to it)."""
    storage = SqlStorage(empty_store)
    await storage.write({"a": {"v": 1}, "b": {"v": 1}})
    items = await storage.read(["a", "b"])
    await storage.write({"b": {"v": 2}})
    items["a"]["v"] = items["b"]["v"] = 3
    with pytest.raises(EtagConflictError):
        await storage.write({"a": items["a"], "b": items["b"]})
    after = await storage.read(["a", "b"])
    assert (after["a"]["v"], after["b"]["v"]) == (1, 2)


async def test_argument_errors(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    for call, message in (
        (storage.read(None), "Keys are required when reading"),
        (storage.write(None), "Changes are required when writing"),
        (storage.delete(None), "Keys are required when deleting"),
    ):
        with pytest.raises(StorageArgumentError) as err:
            await call
        assert err.value.args[0] == message
    assert await storage.read([]) == {}
    await storage.write({})
    await storage.delete([])
    await storage.delete({"unknown"})  # BotState.delete passes a set


# --- concurrency: the eTag is compared in the database --------------------------------------


async def test_concurrent_writers_with_the_same_etag_exactly_one_wins(empty_store: Store) -> None:
    """Eight writers, each in its own session and connection, all holding the same eTag."""
    storage = SqlStorage(empty_store)
    await storage.write({"race": {"winner": None}})
    etag = (await storage.read(["race"]))["race"]["e_tag"]

    results = await asyncio.gather(
        *(storage.write({"race": {"winner": n, "e_tag": etag}}) for n in range(8)), return_exceptions=True
    )

    winners = [n for n, result in enumerate(results) if result is None]
    assert len(winners) == 1, results
    assert all(isinstance(result, EtagConflictError) for result in results if result is not None)
    stored = (await storage.read(["race"]))["race"]
    assert stored["winner"] == winners[0]
    assert int(stored["e_tag"]) == int(etag) + 1


async def test_second_writer_waits_for_the_first_and_then_conflicts(empty_store: Store) -> None:
    """Deterministic interleaving: the second UPDATE blocks on the first's uncommitted write, then
    re-checks the eTag against the committed row — no read-then-compare window in Python."""
    async with empty_store.session() as session:
        etag = await StateRepo(session).write("k", {"v": 0})

    async def second_writer() -> str:
        async with empty_store.session() as session:
            return await StateRepo(session).write("k", {"v": 2}, expected_etag=etag)

    async with empty_store.sessions() as first:
        async with first.begin():
            new_etag = await StateRepo(first).write("k", {"v": 1}, expected_etag=etag)
            task = asyncio.create_task(second_writer())
            await asyncio.sleep(0.5)
            assert not task.done(), "the second writer should wait for the first's row lock"
    with pytest.raises(EtagConflict) as err:
        await task
    assert (err.value.expected, err.value.current) == (etag, new_etag)
    async with empty_store.session() as session:
        assert (await StateRepo(session).read_many(["k"]))["k"].document == {"v": 1}


async def test_concurrent_creates_without_etag_last_writer_wins(empty_store: Store) -> None:
    """Race-free create: many unconditional writers of a new key, no duplicate-key error, one row."""
    storage = SqlStorage(empty_store)
    await asyncio.gather(*(storage.write({"new": {"n": n}}) for n in range(8)))
    rows = await _stored_rows(empty_store)
    assert list(rows) == ["new"]
    assert rows["new"][0]["n"] in range(8)


# --- keys -----------------------------------------------------------------------------------


async def test_long_and_nul_keys(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    exact = "e" * MAX_KEY_LENGTH
    long_a = "x" * 600
    long_b = "x" * 600 + "y"  # same first 512 characters as long_a
    nul = "msteams/conversations/a\x00b"
    items = {exact: {"k": "exact"}, long_a: {"k": "a"}, long_b: {"k": "b"}, nul: {"k": "nul"}}
    await storage.write(items)

    read = await storage.read(list(items))
    assert {key: value["k"] for key, value in read.items()} == {key: value["k"] for key, value in items.items()}
    stored = await _stored_rows(empty_store)
    assert set(stored) == {storage_key(key) for key in items}
    assert exact in stored and len(stored) == 4
    assert all(len(key) <= MAX_KEY_LENGTH and "\x00" not in key for key in stored)

    read[long_a]["k"] = "a2"
    await storage.write({long_a: read[long_a]})  # conditional write through the hashed key
    await storage.delete([long_b, nul])
    assert {key: value["k"] for key, value in (await storage.read(list(items))).items()} == {
        exact: "exact",
        long_a: "a2",
    }


async def test_same_key_twice_in_one_read(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    await storage.write({"k": {"v": 1}})
    assert list(await storage.read(["k", "k", "missing"])) == ["k"]


# --- serialisation --------------------------------------------------------------------------


async def test_store_items_round_trip_as_objects(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    await storage.write({"obj": StoreItem(name="Åsa Öberg", tags=["chef", "hr"], nested={"n": 1})})

    item = (await storage.read(["obj"]))["obj"]
    assert isinstance(item, StoreItem)
    assert (item.name, item.tags, item.nested) == ("Åsa Öberg", ["chef", "hr"], {"n": 1})
    assert isinstance(item.e_tag, str) and item.e_tag

    document, _etag = (await _stored_rows(empty_store))["obj"]
    assert document["py/object"] == "botbuilder.core.storage.StoreItem"
    assert "e_tag" not in document  # the eTag lives in its column only

    item.name = "Åsa"
    await storage.write({"obj": item})
    stale = StoreItem(name="stale", e_tag=item.e_tag)
    with pytest.raises(EtagConflictError):
        await storage.write({"obj": stale})
    assert (await storage.read(["obj"]))["obj"].name == "Åsa"


async def test_python_values_round_trip_as_jsonpickle_restores_them(empty_store: Store) -> None:
    """Aware datetimes, dates, Decimal, tuples and sets come back as such; non-string dict keys
    become strings (jsonpickle's default, as in botbuilder-azure's storages)."""
    storage = SqlStorage(empty_store)
    value = {
        "when": datetime(2018, 5, 15, 7, 30, tzinfo=timezone.utc),
        "day": date(2018, 11, 30),
        "tkr": Decimal("-1234.5"),
        "pair": (1, "a"),
        "roles": {"chef"},
        3: "tre",
    }
    await storage.write({"k": value})
    read = (await storage.read(["k"]))["k"]
    assert read.pop("e_tag")
    assert read == {**{k: v for k, v in value.items() if k != 3}, "3": "tre"}


async def test_reads_are_copies(empty_store: Store) -> None:
    storage = SqlStorage(empty_store)
    await storage.write({"k": {"list": [1]}})
    first = (await storage.read(["k"]))["k"]
    first["list"].append(2)
    assert (await storage.read(["k"]))["k"]["list"] == [1]


async def test_state_survives_a_new_storage_instance(empty_store: Store) -> None:
    """A restart: the store is disposed, a new engine and a new SqlStorage read what was written."""
    await SqlStorage(empty_store).write({"k": {"v": "före omstart"}, "o": StoreItem(v=1)})
    etag = (await SqlStorage(empty_store).read(["k"]))["k"]["e_tag"]
    await empty_store.dispose()

    restarted = await _reopen(empty_store)
    try:
        items = await SqlStorage(restarted).read(["k", "o"])
        assert items["k"] == {"v": "före omstart", "e_tag": etag}
        assert isinstance(items["o"], StoreItem) and items["o"].v == 1
        await SqlStorage(restarted).write({"k": items["k"]})  # the old eTag is still current
    finally:
        await restarted.dispose()


# --- botbuilder state and dialogs on top ----------------------------------------------------


def _waterfall(dialog_state_owner: ConversationState) -> DialogSet:
    """Name → enhet → summary, with what was answered kept in the step values between turns."""

    async def ask_name(step: WaterfallStepContext):
        return await step.prompt("text", PromptOptions(prompt=Activity(type=ActivityTypes.message, text="Namn?")))

    async def ask_unit(step: WaterfallStepContext):
        step.values["name"] = step.result
        return await step.prompt("text", PromptOptions(prompt=Activity(type=ActivityTypes.message, text="Enhet?")))

    async def summary(step: WaterfallStepContext):
        await step.context.send_activity(f"{step.values['name']} på {step.result}")
        return await step.end_dialog()

    dialogs = DialogSet(dialog_state_owner.create_property("DialogState"))
    dialogs.add(TextPrompt("text"))
    dialogs.add(WaterfallDialog("report", [ask_name, ask_unit, summary]))
    return dialogs


async def test_waterfall_continues_on_recreated_storage_across_replicas(empty_store: Store, other_store: Store) -> None:
    """Each turn builds SqlStorage, ConversationState and DialogSet anew, alternating between two
    engines on the same database — as after a restart, or with turns landing on different replicas."""
    stores = [empty_store, other_store]
    turns = 0

    async def logic(context: TurnContext) -> None:
        nonlocal turns
        convo_state = ConversationState(SqlStorage(stores[turns % 2]))
        turns += 1
        dialog_context = await _waterfall(convo_state).create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("report")
        await convo_state.save_changes(context)

    adapter = TestAdapter(logic)
    flow = await adapter.send("hej")
    flow = await flow.assert_reply("Namn?")
    flow = await flow.send("Kim")
    flow = await flow.assert_reply("Enhet?")

    [(key, (document, _etag))] = (await _stored_rows(empty_store)).items()
    assert key.endswith("/conversations/Convo1")
    dialog_state = document["DialogState"]
    assert dialog_state["py/object"] == "botbuilder.dialogs.dialog_state.DialogState"
    stored_stack = repr(dialog_state)
    assert "'report'" in stored_stack and "'Kim'" in stored_stack

    flow = await flow.send("Hemtjänst Nord")
    await flow.assert_reply("Kim på Hemtjänst Nord")
    assert turns == 3
    restored = (await SqlStorage(other_store).read([key]))[key]["DialogState"]
    assert restored.dialog_stack == []


async def test_conversation_state_detects_a_concurrent_turn(empty_store: Store) -> None:
    """Two turns of one conversation load the same state; the second save is refused. On MemoryStorage
    the same sequence overwrites silently: BotState's items there never get an eTag."""

    async def two_overlapping_turns(storage) -> None:
        convo_state = ConversationState(storage)
        counter = convo_state.create_property("counter")
        adapter = TestAdapter()
        activity = Activity(
            type=ActivityTypes.message,
            text="hej",
            channel_id=adapter.template.channel_id,
            conversation=adapter.template.conversation,
        )
        setup = TurnContext(adapter, activity)
        await counter.set(setup, 0)
        await convo_state.save_changes(setup)

        turn_a, turn_b = TurnContext(adapter, activity), TurnContext(adapter, activity)
        await convo_state.load(turn_a)
        await convo_state.load(turn_b)
        await counter.set(turn_a, 1)
        await counter.set(turn_b, 2)
        await convo_state.save_changes(turn_a)
        await convo_state.save_changes(turn_b)

    await two_overlapping_turns(MemoryStorage())  # the reference does not notice
    with pytest.raises(EtagConflictError):
        await two_overlapping_turns(SqlStorage(empty_store))
    [(key, _row)] = (await _stored_rows(empty_store)).items()
    assert (await SqlStorage(empty_store).read([key]))[key]["counter"] == 1
