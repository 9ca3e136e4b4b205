"""``tavla digest run [--now] [--conversation ID]`` and ``tavla digest uncertain``."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import build_parser
from bot.cli_digest import run_digest, run_uncertain
from settings import Settings
from storage import digest as repo
from storage.db import Store
from tests.bot.digest_helpers import channel_id, subscribed_channels
from tests.support.connector import FakeConnector


def test_parser_knows_the_commands() -> None:
    args = build_parser().parse_args(["digest", "run", "--now", "--conversation", "19:x@thread.tacv2"])
    assert args.now and args.conversation == "19:x@thread.tacv2" and args.run is run_digest
    assert build_parser().parse_args(["digest", "uncertain"]).run is run_uncertain


async def test_run_now_sends_this_week_once_and_lists_uncertain(sqlite_store: Store, capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    url = sqlite_store.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, as_of="2018-05-16", scheduler=False)  # a Wednesday: not due by schedule
    async with FakeConnector() as connector:
        subs = await subscribed_channels(sqlite_store, 3, connector.url)
        ns = argparse.Namespace(now=False, conversation=None, no_reminders=True)
        assert await run_digest(ns, settings) == 0
        assert connector.received == []  # nothing due on a Wednesday
        ns = argparse.Namespace(now=True, conversation=channel_id(1), no_reminders=True)
        assert await run_digest(ns, settings) == 0
        assert [r.conversation_id for r in connector.received] == [channel_id(1)]
        connector.fail_next(201, 1, delay=20)  # the next POST never answers in time
        settings_fast = Settings(database_url=url, as_of="2018-05-16", scheduler=False, outbound_timeout_s=0.3)
        ns = argparse.Namespace(now=True, conversation=None, no_reminders=True)
        code = await run_digest(ns, settings_fast)
        out = capsys.readouterr().out
        assert code == 1  # something needs a look
        assert "OKÄNT om den kom fram" in out and "1 redan klara" in out
        assert await run_digest(ns, settings_fast) == 0  # nothing more: all done or uncertain
    assert await run_uncertain(argparse.Namespace(), settings) == 0
    listed = capsys.readouterr().out
    async with sqlite_store.session() as s:
        [(run, sub)] = await repo.uncertain_runs(s)
    assert f"prenumeration {sub.id}" in listed and sub.id in subs
    assert len(connector.received) == 2  # the uncertain one timed out before the connector answered
