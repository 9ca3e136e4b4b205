"""The shared SQL store: every table Tavla keeps (SQLAlchemy 2, portable SQLite ↔ PostgreSQL).

Money is ``Numeric`` in tkr (never float); times are timezone-aware UTC in the database.
Append-only tables (activity updates, imports, admin log) are never updated or deleted by the app.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out — also on SQLite, which stores naive text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


# --- Organisation ---------------------------------------------------------------------------

ORG_KINDS = ("kommun", "forvaltning", "verksamhetsomrade", "enhet")


class OrgUnit(Base):
    """A unit of the organisation tree, valid for a span of years (areas are renamed and merged)."""

    __tablename__ = "org_unit"
    __table_args__ = (
        UniqueConstraint("code", "valid_from"),
        CheckConstraint(f"kind IN {ORG_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    valid_from: Mapped[int] = mapped_column(Integer)  # first year
    valid_to: Mapped[int | None] = mapped_column(Integer)  # last year, None = still valid
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))  # rename/merge target
    description: Mapped[str | None] = mapped_column(Text)
    synonyms: Mapped[list[Any]] = mapped_column(default=list)
    meeting_weekday: Mapped[int | None] = mapped_column(Integer)  # tavelmöte day 0=mån … 6=sön
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(200))


# --- Goal hierarchy -------------------------------------------------------------------------

GOAL_KINDS = (
    "vision",
    "utmaningsomrade",
    "resultatmal",
    "forvaltningsmal",
    "verksamhetsmal",
    "prioritering",
    "digital_agenda",
    "finansiellt_mal",
)


class Goal(Base):
    """Vision → utmaningsområde → resultatmål → förvaltningsmål → verksamhetsmål; prioriteringar too."""

    __tablename__ = "goal"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint(f"kind IN {GOAL_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    year_from: Mapped[int | None] = mapped_column(Integer)
    year_to: Mapped[int | None] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(200))


class CalendarStep(Base):
    """A dated step of the årshjul (e.g. 30/11 slutlig budget på VO- och enhetsnivå fastställs)."""

    __tablename__ = "calendar_step"
    __table_args__ = (UniqueConstraint("month", "day", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)  # None = some time in the month
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))


# --- Indicators -----------------------------------------------------------------------------

DIRECTIONS = ("higher", "lower", "interval")


class Indicator(Base):
    """A result indicator: what is measured, in what unit, and which way is better."""

    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint(f"direction IN {DIRECTIONS!r}", name="direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(100))
    synonyms: Mapped[list[Any]] = mapped_column(default=list)
    unit: Mapped[str] = mapped_column(String(32))  # "%", "poäng", "antal", "index"
    direction: Mapped[str] = mapped_column(String(16))
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), index=True)
    definition: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str | None] = mapped_column(String(32))  # "år", "månad", "tertial"
    decimals: Mapped[int] = mapped_column(Integer, default=0)
    kolada_kpi: Mapped[str | None] = mapped_column(String(32))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(200))


class IndicatorTarget(Base):
    """Målnivå for one year: ``low``/``high`` bound (``higher``: low only; ``lower``: high; interval: both)."""

    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    low: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    high: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    label: Mapped[str | None] = mapped_column(String(100))  # "Målnivå 2018"
    source: Mapped[str | None] = mapped_column(String(200))


VALUE_KINDS = ("utgangslage", "utfall", "matning")


class IndicatorValue(Base):
    """One measured value of an indicator for an org unit and period (kommun-wide = the root unit)."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "org_unit_id", "period"),
        CheckConstraint(f"kind IN {VALUE_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    period: Mapped[str] = mapped_column(String(32))  # "2016", "2018-03", "2018T1"
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    kind: Mapped[str] = mapped_column(String(16), default="matning")
    footnote: Mapped[str | None] = mapped_column(String(200))  # the seed's "*" note of its own table
    source: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16), default="seed")  # seed/chat/import/demo


# --- Budget ---------------------------------------------------------------------------------


class BudgetLine(Base):
    """Internbudget: a verksamhet's net cost (tkr; negative = net revenue) in one area and year."""

    __tablename__ = "budget_line"
    __table_args__ = (UniqueConstraint("year", "org_unit_id", "verksamhet"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    verksamhet: Mapped[str] = mapped_column(String(200))
    verksamhet_code: Mapped[str | None] = mapped_column(String(32))  # SCB code where known
    net_cost: Mapped[Decimal] = mapped_column(Numeric(16, 1))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(200))


class Utfall(Base):
    """Booked outcome of one budget line for one month (tkr, summed over konto/ansvar on import)."""

    __tablename__ = "utfall"
    __table_args__ = (UniqueConstraint("budget_line_id", "year", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class BudgetProfile(Base):
    """Seasonal profile: the share of the year's budget that falls in each month (twelve sum to 1)."""

    __tablename__ = "budget_profile"
    __table_args__ = (UniqueConstraint("budget_line_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id"), index=True)
    month: Mapped[int] = mapped_column(Integer)
    share: Mapped[Decimal] = mapped_column(Numeric(10, 8))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


class BudgetPrognosis(Base):
    """A helårsprognos entered by an ekonom/controller; the newest overrides computed ones."""

    __tablename__ = "budget_prognosis"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    note: Mapped[str | None] = mapped_column(Text)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16), default="import")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


class BudgetStatus(Base):
    """Stored aggregate per budget line and year, computed with pandas when utfall is imported."""

    __tablename__ = "budget_status"
    __table_args__ = (UniqueConstraint("budget_line_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    through_month: Mapped[int | None] = mapped_column(Integer)
    utfall_to_date: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    periodised_budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    prognosis: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    prognosis_method: Mapped[str | None] = mapped_column(String(32))  # trend/profil/manuell
    monthly: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"1": amount, ...} for charts
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportBatch(Base):
    """One import of a file (CLI or chat): who, when, what, how many rows — append-only."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str | None] = mapped_column(String(300))
    checksum: Mapped[str | None] = mapped_column(String(64), index=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16), default="cli")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- People ---------------------------------------------------------------------------------

ROLES = ("medarbetare", "chef", "controller", "ekonom", "hr", "admin")


class Person(Base):
    """Someone who uses Tavla, known by AAD object id (and/or UPN)."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("aad_object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(64))
    upn: Mapped[str | None] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A person's role in an org unit (a chef of an area is chef of the enheter below it)."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("person_id", "org_unit_id", "role"),
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# --- Handlingsplaner ------------------------------------------------------------------------

ACTIVITY_STATUSES = ("ide", "ej_paborjad", "pagar", "klar", "pausad")


class ActionPlan(Base):
    """A handlingsplan: one enhet, one verksamhetsmål, one year."""

    __tablename__ = "action_plan"
    __table_args__ = (UniqueConstraint("org_unit_id", "goal_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(300))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(Base):
    """An aktivitet in a handlingsplan; ``version`` guards every update (optimistic locking)."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint(f"status IN {ACTIVITY_STATUSES!r}", name="status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        Index("ix_activity_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    start_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="ej_paborjad")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class ActivityUpdate(Base):
    """Append-only log of every change to an activity (an allmän handling: never deleted by the app)."""

    __tablename__ = "activity_update"
    # an activity's latest comment ("mina aktiviteter", storage.plans): one index probe, however many presses
    # without a comment came after it (migration 0005)
    __table_args__ = (Index("ix_activity_update_commented", "activity_id", "id",
                            sqlite_where=text("comment IS NOT NULL"), postgresql_where=text("comment IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    via: Mapped[str] = mapped_column(String(16))  # chat/card/dialog/import
    version: Mapped[int] = mapped_column(Integer)  # the version this change produced
    old: Mapped[dict[str, Any]] = mapped_column(default=dict)
    new: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str | None] = mapped_column(Text)


class BoardMeeting(Base):
    """A tavelmöte that was started (so "since the last meeting" is exact)."""

    __tablename__ = "board_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


# --- Conversations and digests --------------------------------------------------------------


class Conversation(Base):
    """A Teams conversation Tavla is in, with its stored reference for proactive messages."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("conversation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(512))
    conversation_type: Mapped[str | None] = mapped_column(String(32))  # personal/channel/groupChat
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    service_url: Mapped[str] = mapped_column(String(500))
    team_id: Mapped[str | None] = mapped_column(String(512))
    channel_name: Mapped[str | None] = mapped_column(String(300))
    reference: Mapped[dict[str, Any]] = mapped_column(default=dict)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # personal scope
    installed: Mapped[bool] = mapped_column(Boolean, default=True)
    removed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestSubscription(Base):
    """A conversation that wants the weekly digest for a scope (enhet, område or förvaltning)."""

    __tablename__ = "digest_subscription"
    __table_args__ = (UniqueConstraint("conversation_pk", "scope_org_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_pk: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    scope_org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = måndag
    send_time: Mapped[str] = mapped_column(String(5), default="07:30")  # Europe/Stockholm
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str | None] = mapped_column(String(300))
    quiet_weeks: Mapped[str] = mapped_column(String(16), default="line")  # line/nothing
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


DIGEST_RUN_STATES = ("claimed", "sent", "uncertain", "failed", "skipped")


class DigestRun(Base):
    """One digest per subscription and ISO week — the unique constraint is the guarantee."""

    __tablename__ = "digest_run"
    __table_args__ = (
        UniqueConstraint("subscription_id", "iso_year", "iso_week"),
        CheckConstraint(f"state IN {DIGEST_RUN_STATES!r}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("digest_subscription.id"), index=True)
    iso_year: Mapped[int] = mapped_column(Integer)
    iso_week: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="claimed")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)


class ReminderRun(Base):
    """One tavelmöte reminder per person, enhet and meeting date."""

    __tablename__ = "reminder_run"
    __table_args__ = (UniqueConstraint("person_id", "org_unit_id", "meeting_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    meeting_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="claimed")
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    error: Mapped[str | None] = mapped_column(Text)


# --- Bot state and logs ---------------------------------------------------------------------


class BotState(Base):
    """Key → JSON document with an eTag: what botbuilder's ``Storage`` keeps (dialog state)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    etag: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogueStamp(Base):
    """Three rows, each a number that changes with every write to its tables (``storage.catalogue``): row 1 the
    catalogue tables', row 2 the indicator values' (and people's, whose names they show), row 3 the budget's
    figures' (utfall, profiles, prognoses, their stored aggregates, import batches and people).

    Set by database triggers (migrations 0002, 0003 and 0004), never by the app, so an import, the CLI or psql all
    change them, in the writing transaction. A turn reads all three with the caller (``storage.people``) and the
    process keeps what it read at those stamps."""

    __tablename__ = "catalogue_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)


class AdminLog(Base):
    """Append-only log of administrative acts: role grants, gallring, exports, seeding."""

    __tablename__ = "admin_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
