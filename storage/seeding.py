"""Loads the Årsplan 2018 (storage/seed/) into an empty store on first start. Real data only."""

from __future__ import annotations

from storage.db import Store


async def seed_arsplan(store: Store) -> bool:
    """Load the Årsplan 2018 into an empty store; return False when it is already there."""
    raise NotImplementedError  # filled in by the seed work (issue 2)
