"""A digest sender in its own process, for the restart test: ``python -m tests.bot.digest_worker URL [SCHEMA]``.

Runs one pass of ``DigestRunner`` at Monday 07:31 of ISO week 2018-20 (lease 0: whoever ran before is
dead) and prints its report as one JSON line. The test kills it with SIGKILL at random moments.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

from bot.adapter import build_adapter
from bot.digest_sender import DeliveryPolicy, DigestRunner, ProactiveSender
from followup.clock import Clock
from storage.db import Store
from tests.bot.digest_helpers import AS_OF, MONDAY_0731, local_settings


async def main(url: str, schema: str | None) -> None:
    store = Store.from_url(url, search_path=schema) if schema else Store.from_url(url)
    adapter = build_adapter(local_settings())
    try:
        runner = DigestRunner(store, ProactiveSender(adapter, ""), Clock(AS_OF),
                              policy=DeliveryPolicy(lease=timedelta(0), concurrency=16, backoff_base=0.05,
                                                    backoff_cap=0.2))
        print("started", flush=True)
        report = await runner.run_due(MONDAY_0731)
        print(json.dumps({"sent": report.sent, "uncertain": [u.subscription_id for u in report.uncertain],
                          "already": report.already, "failed": report.failed}), flush=True)
    finally:
        await adapter.close()
        await store.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
