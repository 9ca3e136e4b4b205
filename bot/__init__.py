"""Everything that knows botbuilder and Teams: adapter, activity handler, routing, proactive sending.

Handlers (``bot/handlers``) and the recogniser (``bot/nlu``) use Tavla's own ``Turn``/``Reply`` types,
not botbuilder's, so a move to the SDK's successor touches ``bot/teams_bot.py`` and ``bot/adapter.py``.
"""
