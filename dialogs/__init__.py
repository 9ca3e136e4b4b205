"""Multi-turn dialogs (botbuilder-dialogs): the host that runs them, and one module per dialog."""

import decimal as _decimal

import botbuilder.dialogs  # noqa: F401 - imported first, for the line below

# botbuilder-dialogs imports recognizers-text, whose recognizers_number sets the importing thread's decimal
# precision to 15 digits (getcontext().prec = 15): every Decimal sum and rounding on the event loop would then
# have 15 significant digits, and quantizing a longer number would raise, while worker threads keep 28.
_decimal.getcontext().prec = _decimal.DefaultContext.prec
