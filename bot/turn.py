"""Tavla's own turn and reply types: what handlers see and return, free of botbuilder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.jsonio import Written
from bot.nlu.intents import Intent
from followup.clock import Clock
from settings import Settings
from storage.catalogue import (BUDGET_KEPT_LINES, VALUES_KEPT_ROWS, BudgetReads, CatalogueMemo, CatalogueReads,
                               ValueReads)
from storage.db import Store

if TYPE_CHECKING:
    from bot.nlu.catalog import Catalog, CatalogCache


@dataclass
class Services:
    """Long-lived things a handler may use; built once by ``app.create_app``."""

    settings: Settings
    store: Store
    clock: Clock
    catalogs: "CatalogCache"
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the proactive sender, HTTP session
    catalogue: CatalogueMemo = field(default_factory=CatalogueMemo)  # indicators and units kept between turns
    values: CatalogueMemo = field(default_factory=lambda: CatalogueMemo(VALUES_KEPT_ROWS))  # status cards' values
    budget: CatalogueMemo = field(default_factory=lambda: CatalogueMemo(BUDGET_KEPT_LINES))  # budget cards' lines


@dataclass(frozen=True)
class Membership:
    role: str
    org_unit_id: int
    org_unit_name: str


@dataclass(frozen=True)
class Caller:
    """Who wrote: the Teams user and, when known, the person and roles in the store."""

    teams_id: str
    name: str
    aad_object_id: str | None = None
    person_id: int | None = None
    memberships: tuple[Membership, ...] = ()

    @property
    def known(self) -> bool:
        return self.person_id is not None

    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    def has_role(self, *roles: str) -> bool:
        return any(m.role in roles for m in self.memberships)

    def units_with(self, *roles: str) -> set[int]:
        return {m.org_unit_id for m in self.memberships if m.role in roles}


@dataclass(frozen=True)
class Where:
    """The conversation the turn came from."""

    conversation_id: str
    conversation_type: str  # personal / channel / groupChat
    tenant_id: str | None = None
    team_id: str | None = None
    channel_id: str | None = None
    service_url: str | None = None
    linked_org_unit_id: int | None = None  # a channel linked to an enhet ("koppla kanalen …")


@dataclass
class Turn:
    """One incoming message or card action, with everything a handler needs to answer it."""

    services: Services
    caller: Caller
    where: Where
    lang: str  # "sv" or "en"
    text: str = ""  # mention stripped
    intent: Intent | None = None
    verb: str | None = None  # card action verb
    data: dict[str, Any] = field(default_factory=dict)  # card action data and inputs: user input, never trusted
    activity_id: str | None = None
    reply_to_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    is_invoke: bool = False
    catalogue_stamp: int | None = None  # read with the caller (storage.catalogue)
    values_stamp: int | None = None  # likewise
    budget_stamp: int | None = None  # likewise

    @property
    def store(self) -> Store:
        return self.services.store

    async def catalog(self, year: int | None = None) -> "Catalog":
        """The names the recogniser knows in ``year`` (default this one), as new as the turn's catalogue stamp."""
        return await self.services.catalogs.get(self.clock.today().year if year is None else year,
                                                self.catalogue_stamp)

    @property
    def catalogue(self) -> CatalogueReads:
        """Indicators and units as kept at this turn's catalogue stamp — for reads outside a write session."""
        return self.services.catalogue.at(self.catalogue_stamp)

    @property
    def indicator_values(self) -> ValueReads:
        """Indicator values as kept at this turn's values stamp — for reads outside a session that writes them."""
        return ValueReads(self.services.values, self.values_stamp)

    @property
    def budget_figures(self) -> BudgetReads:
        """Budget lines with their figures as kept at this turn's stamps — for reads in a read session."""
        return BudgetReads(self.services.budget, self.catalogue_stamp, self.budget_stamp)

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def slots(self) -> dict[str, Any]:
        return self.intent.slots if self.intent else {}


Card = dict[str, Any] | Written  # an Adaptive Card as built, or as kept written (``bot.jsonio.Written``)


@dataclass
class Message:
    """One outgoing message: a text, a card, or both."""

    text: str | None = None
    card: Card | None = None


@dataclass
class Reply:
    """What a handler answers. For a card action, ``replace`` is the card shown in place of the pressed one."""

    messages: list[Message] = field(default_factory=list)
    replace: Card | None = None
    dialog: str | None = None  # start this multi-turn dialog (dialogs/) instead
    toast: str | None = None  # a short answer to a card action shown without posting (else sent as text)

    @classmethod
    def card(cls, card: Card) -> "Reply":
        return cls(messages=[Message(card=card)])

    @classmethod
    def say(cls, text: str) -> "Reply":
        return cls(messages=[Message(text=text)])

    @classmethod
    def replacing(cls, card: Card) -> "Reply":
        return cls(replace=card)
