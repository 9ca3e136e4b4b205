"""Structured logs: JSON when configured, the turn's ids on every line, no tokens, secrets or chat text."""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import app as app_module
from bot import routing
from bot.adapter import build_adapter
from bot.logging_setup import (
    REDACTED,
    JsonFormatter,
    Redactor,
    make_handler,
    secrets_of,
    setup_logging,
    turn_context,
    turn_ids,
)
from settings import Settings
from storage.db import Store
from tests.support.harness import running
from tests.support.openid import OpenIdProvider, offline_aad_session

APP_ID = "3d9f0c1e-5b6a-4c2d-9e8f-7a6b5c4d3e2f"
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
PASSWORD = "S3cr3t~pa55word.for-the-app"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJlLXBhcnQ"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """Root logger at DEBUG with Tavla's JSON handler on a buffer; everything restored afterwards."""
    root = logging.getLogger()
    stream = io.StringIO()
    settings = Settings(log_json=True, app_password=PASSWORD)
    handler = make_handler(settings, stream)
    old_level = root.level
    levels = {name: logging.getLogger(name).level for name in ("msrest", "botbuilder", "botframework", "urllib3")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield root, stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


# --- format and ids -------------------------------------------------------------------------


def test_json_lines_carry_the_turn_ids(captured: tuple[logging.Logger, io.StringIO]) -> None:
    _, stream = captured
    log = logging.getLogger("tavla.test")
    log.info("outside a turn")
    with turn_context("1767000000001", "a:personal-1"):
        log.warning("inside %s", "a turn")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    entries = lines(stream)
    assert entries[0]["message"] == "outside a turn" and "activity_id" not in entries[0]
    inside = entries[1]
    assert inside["message"] == "inside a turn" and inside["level"] == "WARNING" and inside["logger"] == "tavla.test"
    assert inside["activity_id"] == "1767000000001" and inside["conversation_id"] == "a:personal-1"
    assert inside["time"].endswith("+00:00")
    assert "ValueError: boom" in entries[2]["exception"] and entries[2]["activity_id"] == "1767000000001"
    assert turn_ids() == (None, None)


def test_text_format_names_the_ids() -> None:
    stream = io.StringIO()
    handler = make_handler(Settings(log_json=False), stream)
    log = logging.getLogger("tavla.text")
    log.addHandler(handler)
    log.propagate = False
    try:
        with turn_context("17670", "19:abc@thread.tacv2"):
            log.error("hello")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    assert "ERROR tavla.text [conversation 19:abc@thread.tacv2 activity 17670]: hello" in stream.getvalue()


async def test_concurrent_turns_keep_their_own_ids(captured: tuple[logging.Logger, io.StringIO]) -> None:
    _, stream = captured
    log = logging.getLogger("tavla.test")

    async def turn(n: int) -> None:
        with turn_context(f"act-{n}", f"conv-{n}"):
            for step in range(3):
                await asyncio.sleep(0.001 * ((n + step) % 3))
                log.info("turn %d step %d", n, step)

    await asyncio.gather(*(turn(n) for n in range(8)))
    entries = [e for e in lines(stream) if e["message"].startswith("turn ")]
    assert len(entries) == 24
    for entry in entries:
        n = entry["message"].split()[1]
        assert entry["activity_id"] == f"act-{n}" and entry["conversation_id"] == f"conv-{n}"


# --- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize("message", [
    f"Authorization: Bearer {JWT}",
    f"Request headers: {{'Authorization': 'Bearer {JWT}', 'User-Agent': 'x'}}",
    f'{{"authorization": "Bearer {JWT}"}}',
    f"token was {JWT} in the body",
    f"MicrosoftAppPassword={PASSWORD}",
    f"app_password: '{PASSWORD}'",
    f"client_secret={PASSWORD}&grant_type=client_credentials",
    f"login failed for the secret {PASSWORD}",
    f"postgresql+asyncpg://tavla:{PASSWORD}@db.kommun.local/tavla",
])
def test_the_redactor_removes_tokens_and_secrets(message: str) -> None:
    redactor = Redactor([PASSWORD])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (message,), None)
    assert redactor.filter(record)
    out = record.getMessage()
    assert PASSWORD not in out and JWT not in out and "c2lnbmF0dXJl" not in out, out
    assert REDACTED in out


def test_the_redactor_keeps_ordinary_lines_and_cleans_tracebacks() -> None:
    redactor = Redactor([PASSWORD])
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "search (%d characters) → %d results", (5, 3), None)
    redactor.filter(plain)
    assert plain.getMessage() == "search (5 characters) → 3 results"
    try:
        raise RuntimeError(f"connector said: Authorization: Bearer {JWT}")
    except RuntimeError as exc:
        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, (type(exc), exc, exc.__traceback__))
    redactor.filter(failing)
    text = JsonFormatter().format(failing)
    assert JWT not in text and "RuntimeError" in text


def test_secrets_come_from_the_settings() -> None:
    settings = Settings(app_password=PASSWORD, app_id=APP_ID)
    assert PASSWORD in secrets_of(settings)
    assert "" not in Redactor(secrets_of(Settings())).secrets


def test_setup_logging_replaces_its_handler_and_quiets_the_sdk() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in ("msrest", "msal")})
    try:
        logging.basicConfig(level=logging.INFO, force=False)
        stream = io.StringIO()
        first = setup_logging(Settings(log_json=True, log_level="info"), stream)
        second = setup_logging(Settings(log_json=True, log_level="warning"), stream)
        ours = [h for h in root.handlers if getattr(h, "_tavla", False)]
        assert ours == [second] and first not in root.handlers
        assert root.level == logging.WARNING
        assert logging.getLogger("msrest").level == logging.WARNING
        logging.getLogger("tavla.x").warning("Authorization: Bearer %s", JWT)
        assert json.loads(stream.getvalue().splitlines()[-1])["message"] == f"Authorization: {REDACTED}"
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


# --- end to end -----------------------------------------------------------------------------


async def test_a_real_turn_logs_ids_and_never_the_token_password_or_text(
        sqlite_store: Store, captured: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch) -> None:
    """An authenticated search, a refused request and a failing turn, with every logger at DEBUG."""
    _, stream = captured
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(app_module, "build_adapter", functools.partial(build_adapter,
                                                                       token_http_client=offline_aad_session()))

    async def failing(turn: Any) -> Any:
        raise RuntimeError("handler bug while holding Bearer " + JWT)

    monkeypatch.setitem(routing.INTENTS, "unknown", failing)
    with OpenIdProvider(APP_ID).serving() as provider:
        settings = Settings(database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=False,
                            app_id=APP_ID, app_password=PASSWORD, app_tenant_id=TENANT, log_json=True,
                            to_bot_from_channel_openid_metadata_url=provider.metadata_url,
                            to_bot_from_channel_token_issuer=provider.issuer)
        async with running(sqlite_store, settings) as h:
            token = provider.token(h.connector.url)
            search = h.message("x")
            search.update(type="invoke", name="composeExtension/query", value={
                "commandId": "sok", "parameters": [{"name": "sokord", "value": "hemlig fråga om äldreomsorg"}]})
            status, _ = await h.post(search, headers={"Authorization": f"Bearer {token}"})
            assert status == 200
            refused = h.message("mitt hemliga meddelande")
            status, _ = await h.post(refused, headers={"Authorization": f"Bearer {token}x"})
            assert status == 401
    async with running(sqlite_store) as h:  # local mode: the turn runs and its handler fails
        failed = h.message("obegripligt hemligt meddelande qwzx")
        await h.post(failed)
        await h.connector.wait_for(1)
    text = stream.getvalue()
    entries = lines(stream)
    assert entries, "nothing was logged"
    for secret in (token, token.split(".")[2], PASSWORD, JWT, "hemlig fråga", "hemliga meddelande", "qwzx"):
        assert secret not in text, secret
    by_message = {e["message"]: e for e in entries}
    searched = next(e for m, e in by_message.items() if m.startswith("search ("))
    assert searched["activity_id"] == search["id"] and searched["conversation_id"] == search["conversation"]["id"]
    refusal = next(e for m, e in by_message.items() if m.startswith("refused request"))
    assert refusal["activity_id"] == refused["id"]
    crash = next(e for m, e in by_message.items() if m.startswith("turn failed"))
    assert crash["activity_id"] == failed["id"] and crash["conversation_id"] == failed["conversation"]["id"]
    assert "RuntimeError" in crash["exception"] and REDACTED in crash["exception"]
