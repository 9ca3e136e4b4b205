"""Conversations Tavla is in: stored references for proactive messages, install state, linked enhet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, utcnow


@dataclass(frozen=True)
class ConversationInfo:
    id: int
    conversation_id: str
    conversation_type: str | None
    service_url: str
    org_unit_id: int | None
    installed: bool


def _info(row: Conversation) -> ConversationInfo:
    return ConversationInfo(row.id, row.conversation_id, row.conversation_type, row.service_url,
                            row.org_unit_id, row.installed)


async def get(session: AsyncSession, conversation_id: str) -> ConversationInfo | None:
    row = (await session.execute(
        select(Conversation).where(Conversation.conversation_id == conversation_id)
    )).scalar_one_or_none()
    return _info(row) if row else None


async def remember(session: AsyncSession, *, conversation_id: str, service_url: str, reference: dict[str, Any],
                   conversation_type: str | None, tenant_id: str | None, team_id: str | None,
                   channel_name: str | None = None, installing: bool = False,
                   now: datetime | None = None) -> tuple[ConversationInfo, bool]:
    """Store or refresh a conversation's reference; returns (info, newly_installed).

    ``newly_installed`` is True the first time a conversation is seen or when it comes back after an
    uninstall — the moment to say welcome, once, even when Teams sends both install events.
    """
    now = now or utcnow()
    row = (await session.execute(
        select(Conversation).where(Conversation.conversation_id == conversation_id).with_for_update()
    )).scalar_one_or_none()
    if row is None:
        row = Conversation(conversation_id=conversation_id, service_url=service_url, reference=reference,
                           conversation_type=conversation_type, tenant_id=tenant_id, team_id=team_id,
                           channel_name=channel_name, installed=True, created_at=now, updated_at=now)
        session.add(row)
        await session.flush()
        return _info(row), True
    newly = not row.installed
    row.service_url = service_url
    row.reference = reference
    row.updated_at = now
    if tenant_id:
        row.tenant_id = tenant_id
    if team_id:
        row.team_id = team_id
    if channel_name:
        row.channel_name = channel_name
    if newly or installing:
        row.installed = True
        row.removed_at = None
    return _info(row), newly


async def mark_removed(session: AsyncSession, conversation_id: str, now: datetime | None = None) -> bool:
    result = await session.execute(
        update(Conversation).where(Conversation.conversation_id == conversation_id)
        .values(installed=False, removed_at=now or utcnow())
    )
    return bool(result.rowcount)
