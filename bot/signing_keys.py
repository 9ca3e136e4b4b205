"""The keys that sign the channel's tokens, fetched without stopping the event loop.

botbuilder 4.17.1 keeps the Bot Connector's signing keys in ``JwtTokenExtractor.metadataCache``, one
``_OpenIdMetadata`` per OpenID metadata URL, and:

- fetches them with blocking ``requests`` calls *without a timeout*, on the event loop, in the middle of a
  turn: on the first request of the process and then once a day, every turn of the process waits for
  login.botframework.com — for ever, if the connection hangs;
- when that daily refresh fails, refuses every request until one succeeds, although the keys it has are
  still the ones in use;
- for a key id it does not hold, raises ``IndexError`` before its own "refetch on an unknown key" rule is
  reached: a key the channel starts to use between two daily refreshes is refused until the next one;
- builds the RSA key from its JWK again on every request.

``SigningKeys`` takes its place (``install``, called by ``bot.adapter.build_adapter``), with the attributes
the SDK and ``bot.channel_token`` read (``keys``, ``last_updated``):

- a fetch runs in a worker thread (still ``requests``: proxy variables and CA bundle as before), bounded by
  ``FETCH_TIMEOUT_S``; requests that need keys at the same time wait for one fetch together;
- keys ``REFRESH_AHEAD`` old are refreshed in the background while they go on serving, so no turn waits for
  the daily refresh (a request waits only when no keys are held: the process's first);
- when a fetch fails, the keys held go on serving for up to ``STALE_LIMIT`` (one warning per outage); the
  next attempt is ``RETRY_AFTER_S`` later, so a down identity provider does not cost every turn a timeout;
  with no usable keys the request fails with ``KeysUnavailable`` (an ``OSError``: 503, ``bot.http``);
- an unknown key id fetches the keys again when they are more than ``UNKNOWN_KEY_REFETCH_S`` old (so forged
  ids cost one fetch per interval, however many), and is refused (``PermissionError``: 401) when it is still
  unknown;
- the public key built from a JWK is kept until the keys are fetched again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from datetime import datetime, timedelta
from typing import Any

import requests
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdConfig, _OpenIdMetadata
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

FRESH_FOR = timedelta(days=1)  # the SDK's rule: older keys are fetched again before they are used
REFRESH_AHEAD = timedelta(hours=23)  # fetched in the background from this age on
STALE_LIMIT = timedelta(days=5)  # how long keys serve while the identity provider cannot be reached
RETRY_AFTER_S = 60.0
UNKNOWN_KEY_REFETCH_S = 300.0
FETCH_TIMEOUT_S = 10.0  # each HTTP call (connect and read); the whole fetch gets three times that


class KeysUnavailable(OSError):
    """The signing keys could not be fetched, and none are held that may still be used."""


class SigningKeys(_OpenIdMetadata):
    """The SDK's key cache for one OpenID metadata URL, kept without blocking the loop (see the module)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._fetching: asyncio.Task[None] | None = None
        self._failed_at: float | None = None  # monotonic time of the last failed fetch, None after a success
        self._fetched_at = -math.inf  # monotonic time of the last successful fetch
        self._configs: dict[str, _OpenIdConfig] = {}

    async def get(self, key_id: str) -> _OpenIdConfig:
        if not isinstance(self.url, str) or not self.url.startswith(("https://", "http://")):
            # the SDK asks for an issuer this configuration has no address for (a token claiming to come from
            # the Emulator when the channel's endpoints are configured): a refusal, not an outage
            raise PermissionError("no signing keys are configured for this token's issuer")
        if self.usable():
            self.keep_fresh()
        else:  # none yet (the process's first request), or too old: this request waits for the fetch
            await self._refresh()
        config = self._find(key_id)
        if config is None and time.monotonic() - self._fetched_at > UNKNOWN_KEY_REFETCH_S:
            await self._refresh()  # a rotated key, or a forged id: the fetch counts for both
            config = self._find(key_id)
        if config is None:
            raise PermissionError(f"unknown signing key id {str(key_id)[:64]!r}")
        return config

    def keep_fresh(self) -> None:
        """Start a background fetch when the keys are ``REFRESH_AHEAD`` old (none running, none failed lately)."""
        if self.keys and datetime.now() - self.last_updated > REFRESH_AHEAD and not self._recently_failed():
            self._start_fetch()

    def _find(self, key_id: str) -> _OpenIdConfig | None:
        config = self._configs.get(key_id)
        if config is None:
            jwk = next((k for k in self.keys if k.get("kid") == key_id), None)
            if jwk is None:
                return None
            config = _OpenIdConfig(RSAAlgorithm.from_jwk(json.dumps(jwk)), jwk.get("endorsements", []))
            self._configs[key_id] = config
        return config

    def _recently_failed(self) -> bool:
        return self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_S

    def usable(self) -> bool:
        """Keys are held, fetched no longer than ``STALE_LIMIT`` ago."""
        return bool(self.keys) and datetime.now() - self.last_updated <= STALE_LIMIT

    async def _refresh(self) -> None:
        """Fetch now, or wait for the fetch running (the SDK's blocking ``_refresh`` is never called). Fails
        only when no keys are held that may still serve."""
        if self._fetching is None and self._recently_failed():
            if not self.usable():
                raise KeysUnavailable(f"signing keys from {self.url} unavailable (retried after {RETRY_AFTER_S:.0f} s)")
            return
        try:
            await asyncio.shield(self._start_fetch())
        except KeysUnavailable:
            if not self.usable():
                raise

    def _start_fetch(self) -> asyncio.Task[None]:
        loop = asyncio.get_running_loop()
        if self._fetching is None or self._fetching.get_loop() is not loop:  # a loop closed mid-fetch (tests)
            self._fetching = loop.create_task(self._fetch())
            self._fetching.add_done_callback(self._fetched)
        return self._fetching

    def _fetched(self, task: asyncio.Task[None]) -> None:
        if self._fetching is task:
            self._fetching = None
        if not task.cancelled():
            task.exception()  # a background fetch's failure is logged in _fetch; nobody else may read it

    async def _fetch(self) -> None:
        try:
            keys = await asyncio.wait_for(asyncio.to_thread(self._download), 3 * FETCH_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - any failure to fetch means "no new keys"
            if self._failed_at is None:
                log.warning("could not fetch the channel's signing keys from %s (%s); %s", self.url,
                            type(exc).__name__, "going on with the keys held" if self.usable() else "none held")
            self._failed_at = time.monotonic()
            raise KeysUnavailable(f"signing keys from {self.url} unavailable: {type(exc).__name__}") from exc
        if self._failed_at is not None:
            log.info("fetched the channel's signing keys from %s again", self.url)
        self.keys, self.last_updated, self._configs = keys, datetime.now(), {}
        self._failed_at, self._fetched_at = None, time.monotonic()

    def _download(self) -> list[dict[str, Any]]:
        """The published keys (in a worker thread): the metadata document, then its ``jwks_uri``."""
        with requests.Session() as http:
            metadata = http.get(self.url, timeout=FETCH_TIMEOUT_S)
            metadata.raise_for_status()
            published = http.get(metadata.json()["jwks_uri"], timeout=FETCH_TIMEOUT_S)
            published.raise_for_status()
            keys = published.json()["keys"]
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise ValueError("the key set is not a list of keys")
        return keys


def _metadata_for(metadata_url: str) -> SigningKeys:
    found = JwtTokenExtractor.metadataCache.get(metadata_url)
    if not isinstance(found, SigningKeys):
        found = JwtTokenExtractor.metadataCache[metadata_url] = SigningKeys(metadata_url)
    return found


def install() -> None:
    """Every key cache the SDK asks for from now on is a ``SigningKeys`` (process-wide; idempotent)."""
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_metadata_for)
