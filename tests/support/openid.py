"""A local Bot Framework token issuer: an RSA key, its OpenID metadata and JWKS over HTTP, signed JWTs.

The SDK validates inbound tokens the way it does in production — it fetches the OpenID metadata document,
follows ``jwks_uri``, picks the key by ``kid``, checks the channel endorsement, signature, expiry, issuer,
audience and ``serviceurl`` claim — only the metadata URL and issuer point here
(``Settings.to_bot_from_channel_openid_metadata_url`` / ``to_bot_from_channel_token_issuer``).

The SDK alone would fetch the metadata with blocking ``requests`` on the event loop, so ``serving`` runs the
endpoint in its own thread and loop; Tavla fetches in a worker thread (``bot/signing_keys.py``), which
``serving_here`` — on the bot's own loop — shows. Keys are cached per metadata URL, process-wide: every
provider serves under a fresh random path, so no test sees another's keys.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"  # what Bot Framework channel tokens carry
BOT_TOKEN = "aad-token-for-tavla"  # what the offline Azure AD below hands the bot for its replies


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class OpenIdProvider:
    """Serves ``/<random>/.well-known/openidconfiguration`` and ``/<random>/keys``; signs tokens."""

    app_id: str
    issuer: str = ISSUER
    endorsements: tuple[str, ...] = ("msteams",)
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = field(default_factory=lambda: f"tavla-test-{uuid.uuid4().hex[:8]}")
    requests: list[str] = field(default_factory=list)  # paths fetched, for "the keys came from here"
    base_url: str = ""
    status: int = 200  # what both endpoints answer; not 200 = an identity provider in trouble
    hold: asyncio.Event | None = None  # served on the test's own loop: each answer waits until it is set
    _prefix: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/{self._prefix}/.well-known/openidconfiguration"

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256", endorsements=list(self.endorsements))
        return {"keys": [jwk]}

    def token(self, service_url: str, *, audience: str | None = None, issuer: str | None = None,
              expires_in: float = 3600, not_before: float = -300, key: rsa.RSAPrivateKey | None = None,
              kid: str | None = None, extra: dict[str, Any] | None = None) -> str:
        """A channel → bot token shaped like Bot Framework's; each keyword breaks one property."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "serviceurl": service_url, "iss": issuer or self.issuer, "aud": audience or self.app_id,
            "nbf": int(now + not_before), "exp": int(now + expires_in), "iat": int(now + not_before),
        }
        claims.update(extra or {})
        return jwt.encode(claims, key or self.key, algorithm="RS256",
                          headers={"kid": kid or self.kid, "typ": "JWT", "x5t": kid or self.kid})

    # --- the HTTP endpoint, in its own thread or on the caller's loop -----------------------------

    def _app(self) -> web.Application:
        async def metadata(request: web.Request) -> web.Response:
            self.requests.append(request.path)
            if self.hold is not None:
                await self.hold.wait()
            if self.status != 200:
                return web.Response(status=self.status, text="unavailable")
            return web.json_response({
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.base_url}/{self._prefix}/authorize",
                "jwks_uri": f"{self.base_url}/{self._prefix}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            })

        async def keys(request: web.Request) -> web.Response:
            self.requests.append(request.path)
            if self.hold is not None:
                await self.hold.wait()
            if self.status != 200:
                return web.Response(status=self.status, text="unavailable")
            return web.json_response(self.jwks())

        app = web.Application()
        app.router.add_get(f"/{self._prefix}/.well-known/openidconfiguration", metadata)
        app.router.add_get(f"/{self._prefix}/keys", keys)
        return app

    @asynccontextmanager
    async def serving_here(self) -> AsyncIterator["OpenIdProvider"]:
        """On the running loop — the bot's own, in the harness: a bot that fetched the keys with blocking
        calls on its loop would wait for ever for this endpoint to answer."""
        runner = web.AppRunner(self._app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001
        try:
            yield self
        finally:
            if self.hold is not None:
                self.hold.set()  # let waiting answers finish
            await runner.cleanup()

    @contextmanager
    def serving(self) -> Iterator["OpenIdProvider"]:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        runner = web.AppRunner(self._app())

        async def start() -> None:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the bound ephemeral port
            self.base_url = f"http://127.0.0.1:{port}"
            started.set()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(start())
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        thread = threading.Thread(target=run, name="openid-provider", daemon=True)
        thread.start()
        if not started.wait(10):
            raise RuntimeError("the OpenID test endpoint did not start")
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)


# --- the bot's own token for replies, without the network ----------------------------------------


class _OfflineAad(requests.adapters.HTTPAdapter):
    """Answers MSAL's tenant discovery and token request in-process; any other request fails at once."""

    def __init__(self) -> None:
        super().__init__()
        self.token_requests = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = request.url or ""
        if url.startswith("https://login.microsoftonline.com/") and "/.well-known/openid-configuration" in url:
            tenant = url.split("/")[3]
            body: dict[str, Any] = {
                "token_endpoint": f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
                "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0"}
        elif url.startswith("https://login.microsoftonline.com/") and url.endswith("/oauth2/v2.0/token"):
            self.token_requests += 1
            body = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": BOT_TOKEN}
        else:
            raise requests.ConnectionError(f"no network in tests: {url}")
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()  # noqa: SLF001
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = url, request
        return response


def offline_aad_session() -> requests.Session:
    """MSAL's HTTP client for tests (``build_adapter(token_http_client=…)``): Azure AD answered locally."""
    session = requests.Session()
    adapter = _OfflineAad()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
