"""One handler per file: ``async def handle(turn: Turn) -> Reply``. The table is in ``bot/routing.py``."""
