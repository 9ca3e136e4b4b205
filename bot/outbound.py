"""Sending to the Bot Connector: one shared aiohttp session, Teams' rate limits, safe retries, typed outcomes.

URLs are the SDK's: ``{serviceUrl}/v3/conversations/{conversationId}/activities[/{activityId}]`` with the ids
percent-encoded (Teams ids contain ``:;@=``). The body is the activity's JSON built straight from the
schema's attribute maps (``activity_json``) — the same keys and values msrest sends, without msrest's
deserialise-validate-reserialise round trip.

Retry policy (PLATFORM.md "Rate limits"; a retried POST after a timeout can post twice):

- 429 → wait ``Retry-After`` (seconds or an HTTP date) and pause the conversation in the limiter; without
  the header, exponential backoff with jitter. A ``Retry-After`` beyond ``max_retry_after`` or beyond the
  remaining budget is not waited for: the send fails at once (``DeliveryFailed`` with ``retry_after``) so a
  caller that can wait (the digest) reschedules instead of holding a turn open.
- 412, 502, 503 and 504 → retried, as Teams' rate-limit guidance and the digest issue ask (412 and 503
  are refused before being acted on; 502/504 are the gateway's answers, which the Bot Connector gives when it
  could not reach or hear back from the channel — Microsoft documents them as transient and retriable); when
  exhausted: ``DeliveryFailed``.
- 400/401/403/404/413 and every other 4xx → never retried, logged once with status and the error code from
  the body (``BotNotInConversationRoster``, ``ConversationBlockedByUser``, ``ConversationNotFound``…):
  ``DeliveryFailed``.
- Connection errors *before* the request was written (refused, DNS, connect timeout) → retried: nothing
  was sent.
- Timeouts and connection resets *after* the request was written, and 500 (or another 5xx) → the message may have
  been posted. PUT and DELETE are idempotent and retried. A POST is NOT retried (by default,
  ``SendPolicy.uncertain_post_retries = 0``): ``DeliveryUncertain``. Decision: in a user turn a duplicate
  reply is worse than a missing one — the user sees no error either way, but can simply ask again, while a
  duplicate cannot be taken back (the first message's id is unknown) — and a second attempt after a
  timeout would push the turn past the ~15 s Teams waits for the bot's HTTP answer. The digest must not
  resend on ``DeliveryUncertain`` either; it should record "unknown".

Every send is bounded by ``SendPolicy.budget`` (limiter wait + attempts + backoff together); each attempt
by ``attempt_timeout``. The final failure of a send is logged once here (WARNING, no message content);
callers should not log it again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import email.utils
import enum
import json
import logging
import math
import random
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import aiohttp
from msrest.serialization import Model, Serializer
from yarl import URL

from bot import jsonio
from bot.ratelimit import OutboundLimiter, RateLimitExceeded

log = logging.getLogger("tavla.outbound")

USER_AGENT = "Microsoft-BotFramework/3.1 (BotBuilder Python/4.17.1) Tavla"
NEVER_RETRY = frozenset({400, 401, 403, 404, 413})
RETRY_SAFE = frozenset({412, 429, 502, 503, 504})  # transient: retried (PLATFORM.md "Rate limits", issue #6)
MAYBE_DONE = frozenset({500})  # the service may have acted on it
MIN_ATTEMPT_S = 0.05


# --- outcomes -------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A send to the Bot Connector that did not certainly succeed. Base of the two outcomes below."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None, method: str = "POST",
                 conversation_id: str | None = None, attempts: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.method = method
        self.conversation_id = conversation_id
        self.attempts = attempts
        self.retry_after = retry_after  # seconds the service asked us to wait (429/503), when known


class DeliveryFailed(DeliveryError):
    """Not delivered: the service refused it (4xx; 412/429/502/503/504 after the retries), the send
    budget ran out before a request was written, or the request could not be built or authorised."""


class DeliveryUncertain(DeliveryError):
    """Perhaps delivered: a timeout or connection reset after the request was written, or a 500 (another 5xx).
    Do not resend blindly (it may post twice)."""


@dataclass(frozen=True)
class SendPolicy:
    attempt_timeout: float = 8.0  # one HTTP attempt, request written to response read
    connect_timeout: float = 4.0
    budget: float = 12.0  # the whole send: rate-limit wait, attempts, backoff
    max_attempts: int = 4  # attempts that failed other than by throttling (429 waits are bounded by budget)
    max_throttled: int = 12  # 429s answered with a wait, per send
    backoff_base: float = 0.4  # first retry after 0.2–0.4 s, then doubling, capped
    backoff_cap: float = 4.0
    max_retry_after: float = 10.0  # a longer Retry-After fails the send at once (caller may reschedule)
    uncertain_post_retries: int = 0  # POST retries after an ambiguous outcome (see module docstring)

    def with_(self, **changes: Any) -> "SendPolicy":
        return replace(self, **changes)


# --- URLs and bodies -------------------------------------------------------------------------------


def activities_url(service_url: str, conversation_id: str, activity_id: str | None = None) -> str:
    """``{serviceUrl}/v3/conversations/{id}/activities[/{activityId}]``, ids percent-encoded like msrest."""
    url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
    if activity_id:
        url += "/" + quote(activity_id, safe="")
    return url


_FIELDS: dict[type, tuple[tuple[str, str, str], ...] | None] = {}
_msrest = Serializer()


def _fields(cls: type) -> tuple[tuple[str, str, str], ...] | None:
    """(attribute, JSON key, msrest type) of a model class; None when msrest must do it (flattened keys,
    XML models)."""
    if cls in _FIELDS:
        return _FIELDS[cls]
    fields: list[tuple[str, str, str]] | None = []
    validation = getattr(cls, "_validation", {}) or {}
    if getattr(cls, "_xml_map", None):
        fields = None
    else:
        for attr, desc in cls._attribute_map.items():  # type: ignore[attr-defined]
            key, kind = desc["key"], desc["type"]
            if validation.get(attr, {}).get("readonly"):
                continue  # msrest drops read-only attributes when serialising a request
            if attr == "additional_properties" and key == "":
                fields.append((attr, "", "*"))
                continue
            if "." in key:
                fields = None
                break
            fields.append((attr, key, kind))
    _FIELDS[cls] = tuple(fields) if fields is not None else None
    return _FIELDS[cls]


def model_dict(model: Model) -> dict[str, Any]:
    """A msrest model as the JSON dict msrest would send. ``object`` fields (channelData, value, a card's
    content) are left as they are; ``jsonio.dumps(default=json_default)`` finishes them."""
    fields = _fields(type(model))
    if fields is None:
        return model.serialize()
    out: dict[str, Any] = {}
    for attr, key, kind in fields:
        value = getattr(model, attr, None)
        if value is None:
            continue
        if kind == "*":
            out.update(value)
            continue
        out[key] = _typed(value, kind)
    return out


def _typed(value: Any, kind: str) -> Any:
    if kind == "str":
        return value.value if isinstance(value, enum.Enum) else value if isinstance(value, str) else str(value)
    if kind == "object":
        return value  # json_default handles models, decimals and datetimes inside
    if kind == "iso-8601":
        return Serializer.serialize_iso(value)
    if kind == "bool":
        return bool(value)
    if kind in ("int", "long"):
        return int(value)
    if kind == "float":
        return float(value)
    if kind.startswith("[") and kind.endswith("]"):
        inner = kind[1:-1]
        return [None if item is None else _typed(item, inner) for item in value]
    if kind.startswith("{") and kind.endswith("}"):
        inner = kind[1:-1]
        return {str(k): None if v is None else _typed(v, inner) for k, v in value.items()}
    if isinstance(value, Model):
        return model_dict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dict, list, str, int, float, bool)):
        return value
    return _msrest.serialize_data(value, kind)


def json_default(value: Any) -> Any:
    """What JSON has no type for, encoded like msrest's ``object`` serialisation."""
    if isinstance(value, Model):
        return model_dict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return Serializer.serialize_iso(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number JSON can hold")
        return float(value)
    if isinstance(value, dt.timedelta):
        return Serializer.serialize_duration(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


def activity_json(activity: Model) -> bytes:
    """The request body for an activity (UTF-8 JSON, ``bot.jsonio``). Raises ``ValueError`` for a ``Decimal`` that
    is not a number."""
    return jsonio.dumps(model_dict(activity), default=json_default)


# --- Retry-After and error bodies ----------------------------------------------------------------------


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds (``"1"``, ``"1.5"``) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def error_code(raw: bytes) -> str | None:
    """The Bot Connector's ``{"error": {"code": …}}`` code, when the body has one."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return error["code"][:100]
        if isinstance(body.get("code"), str):
            return body["code"][:100]
    return None


def _backoff(policy: SendPolicy, retry: int) -> float:
    ceiling = min(policy.backoff_cap, policy.backoff_base * (2 ** (retry - 1)))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto


# --- the sender ---------------------------------------------------------------------------------------


TokenSource = Callable[[], Awaitable[str | None]]


class Outbound:
    """One per process: the shared HTTP session (created lazily on the running loop), the rate limiter
    and the retry policy. ``await close()`` on shutdown."""

    def __init__(self, *, policy: SendPolicy | None = None, limiter: OutboundLimiter | None = None,
                 user_agent: str = USER_AGENT, connection_limit: int = 100) -> None:
        self.policy = policy or SendPolicy()
        self.limiter = limiter or OutboundLimiter()
        self.user_agent = user_agent
        self.connection_limit = connection_limit
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}  # the proxy environment, read when the session is made
        self._proxy_for: dict[tuple[str, str], str | None] = {}  # (scheme, host) → proxy URL or None
        self.requests = 0  # HTTP attempts made (for tests and metrics)

    def _current_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or session._loop is not loop:  # noqa: SLF001
            connector = aiohttp.TCPConnector(limit=self.connection_limit, ttl_dns_cache=300,
                                             keepalive_timeout=15)
            # trust_env=False: with it aiohttp reads ~/.netrc in a worker thread on every request. The proxy
            # environment (HTTP(S)_PROXY, NO_PROXY) is honoured here instead, read once per session.
            session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                            headers={"User-Agent": self.user_agent})
            self._session = session
            self._proxies = urllib.request.getproxies_environment()
            self._proxy_for.clear()
        return session

    def _proxy(self, target: URL) -> str | None:
        """The proxy for ``target`` from the environment as read with the session (None: direct)."""
        where = (target.scheme, target.host or "")
        if where not in self._proxy_for:
            proxy = self._proxies.get(target.scheme)
            if proxy and urllib.request.proxy_bypass_environment(target.host or "", self._proxies):
                proxy = None
            if len(self._proxy_for) > 1024:
                self._proxy_for.clear()
            self._proxy_for[where] = proxy or None
        return self._proxy_for[where]

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def send(self, method: str, url: str, *, body: bytes | None, conversation_id: str,
                   token: TokenSource | None = None, app_key: str = "",
                   policy: SendPolicy | None = None) -> dict[str, Any] | None:
        """One request with the retries above; the response's JSON object (or None) on 2xx."""
        policy = policy or self.policy
        loop = asyncio.get_running_loop()
        deadline = loop.time() + policy.budget
        idempotent = method in ("PUT", "DELETE")
        context = {"method": method, "conversation_id": conversation_id}
        attempts = 0
        throttled = 0
        uncertain_retries = 0
        failure: DeliveryError | None = None

        def fail(error: DeliveryError) -> DeliveryError:
            error.attempts = attempts
            outcome = "perhaps delivered, not retried" if isinstance(error, DeliveryUncertain) else "not delivered"
            log.warning("%s to %s %s: %s (status=%s code=%s attempts=%d)", method, conversation_id, outcome,
                        error, error.status, error.code, attempts)
            return error

        try:
            authorization = await token() if token is not None else None
        except Exception as exc:  # noqa: BLE001 - MSAL/network/credential errors: nothing was sent
            raise fail(DeliveryFailed(f"no token: {exc}", code="TokenUnavailable", **context)) from exc
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if authorization:
            headers["Authorization"] = f"Bearer {authorization}"
        target = URL(url, encoded=True)
        session = self._current_session()

        while True:
            remaining = deadline - loop.time()
            try:
                await self.limiter.acquire(conversation_id, app_key, max_wait=max(0.0, remaining - MIN_ATTEMPT_S))
            except RateLimitExceeded as exc:
                if failure is not None:
                    raise fail(failure) from exc
                raise fail(DeliveryFailed(f"rate limit: next slot in {exc.wait:.1f} s, beyond the send budget",
                                          status=429, code="LocalRateLimit", retry_after=exc.wait,
                                          **context)) from exc
            timeout = min(policy.attempt_timeout, deadline - loop.time())
            if timeout < MIN_ATTEMPT_S:
                raise fail(failure or DeliveryFailed("send budget exhausted", code="BudgetExhausted", **context))
            attempts += 1
            self.requests += 1
            wait: float | None = None
            try:
                async with session.request(
                    method, target, data=body, headers=headers, allow_redirects=False, proxy=self._proxy(target),
                    timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=min(policy.connect_timeout, timeout)),
                ) as response:
                    status = response.status
                    raw = await response.read()
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                # The connection was never established: nothing was sent.
                failure = DeliveryFailed(f"cannot connect: {type(exc).__name__}", code="ConnectFailed", **context)
            except (asyncio.TimeoutError, aiohttp.ClientError, OSError) as exc:
                kind = "timeout" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__
                failure = DeliveryUncertain(f"{kind} after the request was sent", code="Timeout"
                                            if kind == "timeout" else "ConnectionLost", **context)
                if not idempotent:
                    if uncertain_retries >= policy.uncertain_post_retries:
                        raise fail(failure) from exc
                    uncertain_retries += 1
            else:
                if 200 <= status < 300:
                    if not raw:
                        return None
                    try:
                        data = json.loads(raw)
                    except (ValueError, UnicodeDecodeError):
                        return None
                    return data if isinstance(data, dict) else None
                code = error_code(raw)
                if status in RETRY_SAFE:
                    failure = DeliveryFailed(f"HTTP {status}", status=status, code=code, retry_after=retry_after,
                                             **context)
                    if retry_after is not None and status in (429, 503):
                        if status == 429:
                            self.limiter.pause_conversation(conversation_id, retry_after)
                        if retry_after > policy.max_retry_after or retry_after > deadline - loop.time():
                            raise fail(failure)
                        wait = retry_after
                elif status in MAYBE_DONE or status >= 500:
                    failure = DeliveryUncertain(f"HTTP {status}", status=status, code=code, **context)
                    if not idempotent:
                        if uncertain_retries >= policy.uncertain_post_retries:
                            raise fail(failure)
                        uncertain_retries += 1
                else:  # 400/401/403/404/413, other 4xx, unexpected 1xx/3xx: never retried
                    raise fail(DeliveryFailed(f"HTTP {status}", status=status, code=code, **context))
            if failure.status == 429:
                throttled += 1
                if throttled > policy.max_throttled:
                    raise fail(failure)
            elif attempts - throttled >= policy.max_attempts:
                raise fail(failure)
            if wait is None:
                wait = _backoff(policy, attempts)
            if loop.time() + wait + MIN_ATTEMPT_S > deadline:
                raise fail(failure)
            log.info("%s %s: %s (status=%s code=%s); retry %d in %.2f s", method, conversation_id, failure,
                     failure.status, failure.code, attempts, wait)
            await asyncio.sleep(wait)
