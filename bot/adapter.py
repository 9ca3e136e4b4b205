"""The botbuilder adapter and its authentication, built from Tavla's settings.

First version: the SDK's CloudAdapter with ConfigurationBotFrameworkAuthentication.
"""

from __future__ import annotations

from types import SimpleNamespace

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from settings import Settings


def sdk_configuration(settings: Settings) -> SimpleNamespace:
    """The attribute names botbuilder's configuration readers expect."""
    config = SimpleNamespace(
        APP_ID=settings.app_id or None,
        APP_PASSWORD=settings.app_password.get_secret_value() or None,
        APP_TYPE=settings.app_type if settings.app_id else "MultiTenant",  # local mode: no auth
        APP_TENANTID=settings.app_tenant_id or None,
    )
    if settings.to_bot_from_channel_openid_metadata_url:
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.to_bot_from_channel_openid_metadata_url
    if settings.to_bot_from_channel_token_issuer:
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = settings.to_bot_from_channel_token_issuer
    return config


def build_adapter(settings: Settings) -> CloudAdapter:
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(sdk_configuration(settings)))
