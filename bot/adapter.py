"""The botbuilder adapter, its authentication and the outbound path, built from Tavla's settings.

- ``TavlaAuthentication`` wraps the SDK's ``ConfigurationBotFrameworkAuthentication``: every inbound request
  is validated — a channel's token by ``bot.channel_token`` (the SDK's rules in one pass), any other by the
  SDK; nothing about authentication or claims is cached — but the connector
  factory it hands back keeps one ``ConnectorClient`` per (app id, audience, serviceUrl) in a bounded LRU
  cache, and the user-token client is only built when something uses it.
- ``TavlaAdapter`` (a ``CloudAdapter``) sends, updates and deletes activities through ``bot.outbound``: one
  shared aiohttp session, the Teams rate limits, safe retries, ``DeliveryFailed``/``DeliveryUncertain``.
  ``continue_conversation`` (proactive sends, ``bot.proactive.send_proactive``) takes the same path.
- Credentials (``bot.outbound_auth``) are built once per app/scope so MSAL's cache keeps the token; tokens
  are fetched off the event loop; secret or certificate.

``app.py`` builds it at startup (``build_adapter(settings)``) and calls ``await adapter.close()`` on cleanup.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ActivityEventNames,
    ActivityTypes,
    ConversationReference,
    DeliveryModes,
    ResourceResponse,
)
from botframework.connector import Channels
from botframework.connector.about import __version__ as SDK_VERSION
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

from bot import signing_keys
from bot.channel_token import ChannelTokenCheck
from bot.outbound import (
    DeliveryError,
    DeliveryFailed,
    Outbound,
    SendPolicy,
    activities_url,
    activity_json,
)
from bot.outbound_auth import (
    DEFAULT_SCOPE,
    AppTokenCredentials,
    CredentialsFactory,
    bearer_token,
    certificate_credential,
)
from bot.ratelimit import OutboundLimiter
from settings import Settings

log = logging.getLogger("tavla.adapter")

MAX_CONNECTOR_CLIENTS = 256
SEND_POLICY_KEY = "tavla.send_policy"  # turn_state: a SendPolicy for this turn's sends (proactive sends)
PROACTIVE_BUDGET_S = 60.0  # a digest can wait for the rate limits and a Retry-After; a user turn cannot
PROACTIVE_MAX_RETRY_AFTER_S = 30.0
_PROACTIVE_EVENTS = (ActivityEventNames.continue_conversation, ActivityEventNames.create_conversation)


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


def credentials_factory(settings: Settings, *, http_client: Any = None) -> CredentialsFactory:
    """The app registration's credentials: a certificate when configured, else the client secret."""
    if not settings.app_id:
        return CredentialsFactory(None)
    app_type = (settings.app_type or "MultiTenant").lower()
    tenant = settings.app_tenant_id or None
    if app_type == "singletenant" and not tenant:
        raise ValueError("MicrosoftAppType=SingleTenant kräver MicrosoftAppTenantId")
    if app_type == "userassignedmsi":
        return CredentialsFactory(settings.app_id, tenant_id=tenant, managed_identity=True)
    if settings.app_certificate_path:
        credential: Any = certificate_credential(settings.app_certificate_path, settings.app_certificate_thumbprint,
                                                 settings.app_certificate_password.get_secret_value())
    else:
        credential = settings.app_password.get_secret_value() or None
    return CredentialsFactory(settings.app_id, credential, tenant_id=tenant if app_type == "singletenant" else None,
                              http_client=http_client)


# --- authentication -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """Where and as whom a cached ConnectorClient sends: what the outbound path needs from it."""

    service_url: str
    app_id: str | None
    audience: str
    credentials: AppCredentials

    async def token(self) -> str | None:
        return await bearer_token(self.credentials)


class CachingConnectorFactory(ConnectorFactory):
    def __init__(self, auth: "TavlaAuthentication", app_id: str | None) -> None:
        self._auth = auth
        self._app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return self._auth.connector_client(self._app_id, audience, service_url)


class LazyUserTokenClient(UserTokenClient):
    """Builds the SDK's user-token client (and its credentials) only when a sign-in feature calls it."""

    def __init__(self, make: Callable[[], Awaitable[UserTokenClient]]) -> None:
        self._make = make
        self._client: UserTokenClient | None = None

    async def _real(self) -> UserTokenClient:
        if self._client is None:
            self._client = await self._make()
        return self._client

    async def get_user_token(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_user_token(*args, **kwargs)

    async def get_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_sign_in_resource(*args, **kwargs)

    async def sign_out_user(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).sign_out_user(*args, **kwargs)

    async def get_token_status(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_token_status(*args, **kwargs)

    async def get_aad_tokens(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).get_aad_tokens(*args, **kwargs)

    async def exchange_token(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._real()).exchange_token(*args, **kwargs)


class TavlaAuthentication(BotFrameworkAuthentication):
    """The configured SDK authentication, with cached connector clients and a lazy user-token client."""

    def __init__(self, inner: BotFrameworkAuthentication, credentials: CredentialsFactory, *,
                 oauth_scope: str = DEFAULT_SCOPE, login_endpoint: str | None = None,
                 max_clients: int = MAX_CONNECTOR_CLIENTS, token_check: ChannelTokenCheck | None = None) -> None:
        self._inner = inner
        self.credentials = credentials
        self._oauth_scope = oauth_scope
        self._login_endpoint = login_endpoint
        self._max_clients = max_clients
        self._clients: OrderedDict[tuple[str | None, str, str], ConnectorClient] = OrderedDict()
        self.clients_created = 0
        self.token_check = token_check

    @staticmethod
    def app_id_of(claims_identity: ClaimsIdentity | None) -> str | None:
        if claims_identity is None:
            return None
        app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
        return app_id if app_id is not None else claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)

    def connector_client(self, app_id: str | None, audience: str | None, service_url: str) -> ConnectorClient:
        audience = audience or self._oauth_scope
        key = (app_id, audience, service_url)
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
        else:
            credentials = self.credentials.credentials_for(app_id, audience, self._login_endpoint)
            client = ConnectorClient(credentials, base_url=service_url)
            client.config.add_user_agent(f"Microsoft-BotFramework/3.1 (BotBuilder Python/{SDK_VERSION}) Tavla")
            client.tavla_route = Route(service_url, app_id, audience, credentials)  # type: ignore[attr-defined]
            self._clients[key] = client
            self.clients_created += 1
            while len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)
        credentials = client.config.credentials
        if isinstance(credentials, AppTokenCredentials):
            credentials.warm()  # so msrest's synchronous token read (TeamsInfo) finds it cached
        return client

    # --- BotFrameworkAuthentication ---

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        # Every request's token is checked; nothing about it is cached. A channel's token is checked by
        # bot.channel_token (the SDK's rules, one pass), anything else by the SDK. (Errors for a missing or
        # malformed token are mapped to 401 by bot/http.py.)
        result = await self.token_check.check(activity, auth_header) if self.token_check is not None else None
        if result is None:
            result = await self._inner.authenticate_request(activity, auth_header)
        result.connector_factory = self.create_connector_factory(result.claims_identity)
        return result

    async def authenticate_streaming_request(self, auth_header: str,
                                             channel_id_header: str) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return CachingConnectorFactory(self, self.app_id_of(claims_identity))

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return LazyUserTokenClient(lambda: self._inner.create_user_token_client(claims_identity))

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


# --- the adapter ---------------------------------------------------------------------------------------


def _is_proactive(context: TurnContext) -> bool:
    activity = context.activity
    return activity is not None and activity.type == ActivityTypes.event and activity.name in _PROACTIVE_EVENTS


class TavlaTurnContext(TurnContext):
    """The SDK's TurnContext, except that an outgoing activity is copied shallowly before the conversation
    reference is applied to it. The SDK deep-copies every reply — the whole Adaptive Card with it, about a
    tenth of a turn's CPU — although applying the reference only assigns the copy's top-level fields."""

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        reference = TurnContext.get_conversation_reference(self.activity)
        output = []
        for original in activities:
            activity = TurnContext.apply_conversation_reference(copy.copy(original), reference)
            activity.type = activity.type or ActivityTypes.message
            activity.input_hint = activity.input_hint or "acceptingInput"
            activity.id = None
            output.append(activity)
        sent = any(a.type != ActivityTypes.trace for a in output)

        async def logic() -> list[ResourceResponse]:
            if self.activity.delivery_mode == DeliveryModes.expect_replies:
                for activity in output:
                    self.buffered_reply_activities.append(activity)
                    if activity.type == ActivityTypes.invoke_response:
                        self.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = activity  # noqa: SLF001
                responses = [ResourceResponse() for _ in output]
            else:
                responses = await self.adapter.send_activities(self, output)
            if sent:
                self.responded = True
            return responses

        return await self._emit(self._on_send_activities, output, logic())


class TavlaAdapter(CloudAdapter):
    """CloudAdapter whose sends go through ``bot.outbound`` (see the module docstring)."""

    def __init__(self, auth: TavlaAuthentication, outbound: Outbound | None = None) -> None:
        super().__init__(auth)
        self.auth = auth
        self.outbound = outbound or Outbound()
        self.on_turn_error = self._on_turn_error

    @property
    def proactive_policy(self) -> SendPolicy:
        policy = self.outbound.policy
        return policy.with_(budget=max(policy.budget, PROACTIVE_BUDGET_S),
                            max_retry_after=max(policy.max_retry_after, PROACTIVE_MAX_RETRY_AFTER_S))

    async def close(self) -> None:
        """Close the shared HTTP session (app cleanup)."""
        await self.outbound.close()

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        # A reply that could not be delivered was logged once by bot.outbound; the user turn ends quietly
        # and the server goes on. Proactive callers get the typed error; anything else propagates as before.
        if isinstance(error, DeliveryError) and not _is_proactive(context):
            return
        raise error

    def _create_turn_context(self, activity: Activity, claims_identity: ClaimsIdentity, oauth_scope: str,
                             connector_client: ConnectorClient, user_token_client: Any,
                             logic: Callable[[TurnContext], Awaitable[Any]],
                             connector_factory: Any) -> TurnContext:
        """The SDK's own (CloudAdapterBase._create_turn_context), with ``TavlaTurnContext``."""
        context = TavlaTurnContext(self, activity)
        context.turn_state[self.BOT_IDENTITY_KEY] = claims_identity
        context.turn_state[self.BOT_CONNECTOR_CLIENT_KEY] = connector_client
        context.turn_state[self.USER_TOKEN_CLIENT_KEY] = user_token_client
        context.turn_state[self.BOT_CALLBACK_HANDLER_KEY] = logic
        context.turn_state[self.CONNECTOR_FACTORY_KEY] = connector_factory
        context.turn_state[self.BOT_OAUTH_SCOPE_KEY] = oauth_scope
        return context

    @staticmethod
    def _route(context: TurnContext) -> Any:
        client = context.turn_state.get(CloudAdapter.BOT_CONNECTOR_CLIENT_KEY)
        return getattr(client, "tavla_route", None)

    def _policy(self, context: TurnContext) -> SendPolicy | None:
        policy = context.turn_state.get(SEND_POLICY_KEY)
        return policy if isinstance(policy, SendPolicy) else None

    async def _request(self, context: TurnContext, route: Route, method: str, conversation_id: str,
                       activity_id: str | None, activity: Activity | None) -> dict[str, Any] | None:
        body = None
        if activity is not None:
            try:
                body = activity_json(activity)
            except (ValueError, TypeError) as exc:
                log.warning("%s %s not delivered: activity cannot be serialised: %s", method, conversation_id, exc)
                raise DeliveryFailed(f"activity cannot be serialised: {exc}", code="InvalidActivity",
                                     method=method, conversation_id=conversation_id) from exc
        return await self.outbound.send(
            method, activities_url(route.service_url, conversation_id, activity_id), body=body,
            conversation_id=conversation_id, token=route.token, app_key=route.app_id or "",
            policy=self._policy(context))

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        if not context:
            raise TypeError("Expected TurnContext but got None instead")
        if activities is None:
            raise TypeError("Expected Activities list but got None instead")
        if len(activities) == 0:
            raise TypeError("Expecting one or more activities, but the list was empty.")
        route = self._route(context)
        if route is None:  # not one of our connector clients (e.g. a streaming connection)
            return await super().send_activities(context, activities)
        responses: list[ResourceResponse] = []
        for activity in activities:
            activity.id = None
            response: ResourceResponse | None = None
            if activity.type == "delay":
                await asyncio.sleep(int((activity.value or 1000) / 1000))
            elif activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
            elif activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator:
                pass
            else:
                data = await self._request(context, route, "POST", activity.conversation.id,
                                           activity.reply_to_id or None, activity)
                if data is not None:
                    response = ResourceResponse(id=data.get("id"))
            responses.append(response or ResourceResponse(id=activity.id or ""))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse | None:
        if not context:
            raise TypeError("Expected TurnContext but got None instead")
        if activity is None:
            raise TypeError("Expected Activity but got None instead")
        route = self._route(context)
        if route is None:
            return await super().update_activity(context, activity)
        data = await self._request(context, route, "PUT", activity.conversation.id, activity.id, activity)
        response_id = data.get("id") if data else None
        return ResourceResponse(id=response_id) if response_id else None

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        if not context:
            raise TypeError("Expected TurnContext but got None instead")
        if not reference:
            raise TypeError("Expected ConversationReference but got None instead")
        route = self._route(context)
        if route is None:
            return await super().delete_activity(context, reference)
        await self._request(context, route, "DELETE", reference.conversation.id, reference.activity_id, None)


def build_adapter(settings: Settings, *, token_http_client: Any = None) -> TavlaAdapter:
    """The adapter for this process. ``token_http_client``: a ``requests.Session`` for MSAL (tests)."""
    credentials = credentials_factory(settings, http_client=token_http_client)
    signing_keys.install()  # the channel's signing keys fetched off the event loop (bot/signing_keys.py)
    inner = ConfigurationBotFrameworkAuthentication(sdk_configuration(settings), credentials_factory=credentials)
    # With an app id, a channel's token is checked in one pass (bot.channel_token); without one, requests
    # are not authenticated at all (local mode) and the SDK's path stays as it is.
    auth = TavlaAuthentication(inner, credentials,
                               token_check=ChannelTokenCheck.from_sdk(inner) if settings.app_id else None)
    policy = SendPolicy()
    policy = policy.with_(attempt_timeout=settings.outbound_timeout_s, budget=settings.outbound_budget_s,
                          connect_timeout=min(policy.connect_timeout, settings.outbound_timeout_s))
    limiter = OutboundLimiter(enabled=settings.outbound_rate_limit)
    return TavlaAdapter(auth, Outbound(policy=policy, limiter=limiter))
