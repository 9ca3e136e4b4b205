"""With an app id: the Bot Framework token is fetched once and reused, off the event loop, one fetch at a
time; client secret and certificate; the proxy environment is honoured.

A local Azure AD answers MSAL (``https://login.microsoftonline.com/…`` is routed to it by a requests
adapter in MSAL's session — a real HTTP round trip, 50 ms per token). For the end-to-end turns the
inbound requests carry a JWT signed by a local key whose OpenID metadata the SDK reads (synchronously, on
the loop — hence a thread server for that part).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import functools
import hashlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm
from requests.adapters import HTTPAdapter

import app as app_module
from app import ADAPTER
from bot.adapter import build_adapter, credentials_factory
from bot.outbound import DeliveryFailed
from bot.outbound_auth import AppTokenCredentials
from bot.proactive import send_proactive
from settings import Settings
from storage.db import Store
from tests.support.connector import FakeConnector
from tests.support.harness import ANNA, BOT, TENANT, User, running

APP_ID = "0c5b1a52-2f7f-4a4e-9a57-8d1b7c1e7a11"
ISSUER = "https://api.botframework.com"
LOGIN = "https://login.microsoftonline.com"
TOKEN_DELAY_S = 0.05


# --- a local Azure AD (aiohttp, on the test's loop) --------------------------------------------------------


class LocalAad:
    def __init__(self) -> None:
        self.token_requests: list[dict[str, list[str]]] = []
        self.discovery_requests = 0
        self.fail_with: int | None = None
        self.expires_in = 3599
        self._server: TestServer | None = None

    async def _discovery(self, request: web.Request) -> web.Response:
        self.discovery_requests += 1
        tenant = request.match_info["tenant"]
        return web.json_response({
            "token_endpoint": f"{LOGIN}/{tenant}/oauth2/v2.0/token",
            "authorization_endpoint": f"{LOGIN}/{tenant}/oauth2/v2.0/authorize",
            "issuer": f"{LOGIN}/{tenant}/v2.0",
        })

    async def _token(self, request: web.Request) -> web.Response:
        form = parse_qs((await request.read()).decode())
        self.token_requests.append(form)
        await asyncio.sleep(TOKEN_DELAY_S)
        if self.fail_with:
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215"},
                                     status=self.fail_with)
        return web.json_response({"token_type": "Bearer", "expires_in": self.expires_in,
                                  "ext_expires_in": self.expires_in,
                                  "access_token": f"token-{len(self.token_requests)}"})

    async def __aenter__(self) -> "LocalAad":
        application = web.Application()
        application.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        application.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._server = TestServer(application, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        await self._server.close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    def session(self) -> requests.Session:
        """MSAL's HTTP client: Azure AD's address routed to this server."""
        session = requests.Session()
        session.mount(LOGIN, _Reroute(LOGIN, self.base))
        return session


class _Reroute(HTTPAdapter):
    def __init__(self, prefix: str, target: str) -> None:
        super().__init__()
        self.prefix, self.target = prefix, target
        self.threads: list[int] = []  # the threads MSAL's requests were sent from

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        self.threads.append(threading.get_ident())
        request.url = self.target + request.url[len(self.prefix):]
        return super().send(request, **kwargs)


# --- the channel's signing key and OpenID metadata (thread server: the SDK reads it synchronously) ----------


class ChannelKeys:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.url = ""

    def token(self, service_url: str, audience: str = APP_ID) -> str:
        now = int(time.time())
        return jwt.encode({"iss": ISSUER, "aud": audience, "serviceurl": service_url, "nbf": now - 5,
                           "exp": now + 3600}, self.key, algorithm="RS256", headers={"kid": self.kid})

    @contextmanager
    def serving(self) -> Iterator["ChannelKeys"]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", endorsements=["msteams"])
        keys = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = {"jwks_uri": f"{keys.url}/keys", "issuer": ISSUER} if self.path == "/openid" else {
                    "keys": [jwk]}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


def app_settings(keys: ChannelKeys, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url="sqlite+aiosqlite:///unused", as_of="2018-05-15", scheduler=False,
        app_id=APP_ID, app_password="local-secret", app_type="MultiTenant",
        to_bot_from_channel_openid_metadata_url=f"{keys.url}/openid", to_bot_from_channel_token_issuer=ISSUER,
        outbound_timeout_s=2.0, outbound_budget_s=6.0)
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def authenticated_tavla(store: Store, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> AsyncIterator[Any]:
    """Tavla with an app id, MSAL pointed at the local Azure AD, the connector recording Authorization."""
    authorizations: list[str | None] = []
    original_post = FakeConnector._post  # noqa: SLF001

    async def recording_post(self: FakeConnector, request: web.Request) -> web.Response:
        authorizations.append(request.headers.get("Authorization"))
        return await original_post(self, request)

    monkeypatch.setattr(FakeConnector, "_post", recording_post)
    with ChannelKeys().serving() as keys:
        async with LocalAad() as aad:
            monkeypatch.setattr(app_module, "build_adapter",
                                functools.partial(build_adapter, token_http_client=aad.session()))
            async with running(store, app_settings(keys, **overrides)) as h:
                h.aad, h.keys, h.authorizations = aad, keys, authorizations  # type: ignore[attr-defined]
                yield h


def signed(h: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {h.keys.token(h.connector.url)}"}


# --- end to end -----------------------------------------------------------------------------------------


async def test_fifty_turns_fetch_the_token_once(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    async with asyncio.timeout(60), authenticated_tavla(sqlite_store, monkeypatch) as h:
        # Ten users at once first (each in their own chat): the concurrent turns share the one in-flight fetch.
        users = [User(f"Användare {i}", f"cccccccc-0000-4000-8000-{i:012d}") for i in range(10)]
        first = await asyncio.gather(*(h.post(h.message("hej", user), headers=signed(h)) for user in users))
        assert [status for status, _ in first] == [201] * 10
        for _ in range(40):
            status, _ = await h.post(h.message("hej"), headers=signed(h))
            assert status == 201
        assert len(h.connector.received) == 50
        assert len(h.aad.token_requests) == 1
        assert h.aad.discovery_requests == 1
        form = h.aad.token_requests[0]
        assert form["grant_type"] == ["client_credentials"] and form["client_id"] == [APP_ID]
        assert form["scope"] == ["https://api.botframework.com/.default"]
        assert form["client_secret"] == ["local-secret"]
        assert set(h.authorizations) == {"Bearer token-1"}
        # Proactive sends as the same app reuse it too.
        reference = {"user": ANNA.account, "bot": dict(BOT), "channelId": "msteams", "serviceUrl": h.connector.url,
                     "conversation": {"id": f"a:personal-{ANNA.aad}", "conversationType": "personal",
                                      "tenantId": TENANT}}
        await send_proactive(h.app[ADAPTER], reference, "påminnelse", APP_ID)
        assert len(h.aad.token_requests) == 1 and h.authorizations[-1] == "Bearer token-1"
        with pytest.raises(DeliveryFailed) as info:
            await send_proactive(h.app[ADAPTER], reference, "fel app", "not-our-app")
        assert info.value.code == "InvalidAppId"


async def test_requests_are_still_authenticated_every_time(sqlite_store: Store,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async with asyncio.timeout(30), authenticated_tavla(sqlite_store, monkeypatch) as h:
        status, _ = await h.post(h.message("hej"), headers=signed(h))
        assert status == 201
        # (Malformed and missing tokens are the inbound tests' subject, tests/bot/test_auth.py.)
        for headers in ({"Authorization": f"Bearer {h.keys.token(h.connector.url, audience='another-app')}"},
                        {"Authorization": f"Bearer {h.keys.token('https://evil.example/')}"}):
            status, _ = await h.post(h.message("hej"), headers=headers)
            assert status == 401, headers
        assert len(h.connector.received) == 1


async def test_a_token_failure_fails_the_send_and_is_not_cached(sqlite_store: Store,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    async with asyncio.timeout(30), authenticated_tavla(sqlite_store, monkeypatch) as h:
        h.aad.fail_with = 401
        status, _ = await h.post(h.message("hej"), headers=signed(h))
        assert status == 201 and h.connector.received == []  # logged, the turn ends quietly
        h.aad.fail_with = None
        status, _ = await h.post(h.message("hej"), headers=signed(h))
        assert status == 201 and len(h.connector.received) == 1


# --- the credentials themselves ---------------------------------------------------------------------------


async def test_the_fetch_runs_off_the_loop_and_concurrent_callers_share_it() -> None:
    async with asyncio.timeout(20), LocalAad() as aad:
        session = aad.session()
        factory = credentials_factory(Settings(app_id=APP_ID, app_password="s", app_type="MultiTenant"),
                                      http_client=session)
        credentials = factory.credentials_for(APP_ID)
        assert isinstance(credentials, AppTokenCredentials)
        assert factory.credentials_for(APP_ID) is credentials  # one object per app and scope

        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        tokens = await asyncio.gather(*(credentials.get_token() for _ in range(20)))
        took = time.perf_counter() - started
        stop.set()
        await ticking
        assert set(tokens) == {"token-1"} and len(aad.token_requests) == 1
        assert took >= TOKEN_DELAY_S
        assert len(gaps) >= 3  # the loop kept ticking during the 50 ms round trip ...
        reroute = session.get_adapter(LOGIN)
        assert reroute.threads and threading.get_ident() not in reroute.threads  # ... which ran off the loop
        # Cached: answered from memory, also on the SDK's synchronous path.
        assert await credentials.get_token() == "token-1" and credentials.get_access_token() == "token-1"
        assert len(aad.token_requests) == 1


async def test_a_stale_token_is_refreshed_through_msal() -> None:
    settings = Settings(app_id=APP_ID, app_password="s", app_type="MultiTenant")
    async with asyncio.timeout(20), LocalAad() as aad:
        credentials = credentials_factory(settings, http_client=aad.session()).credentials_for(APP_ID)
        assert isinstance(credentials, AppTokenCredentials)
        assert await credentials.get_token() == "token-1"
        credentials.invalidate()  # our copy considered stale: MSAL's cache still holds the hour-long token
        assert await credentials.get_token() == "token-1" and len(aad.token_requests) == 1
    async with asyncio.timeout(20), LocalAad() as aad:
        aad.expires_in = 200  # MSAL treats a token with < 5 min left as expired: refreshing goes to AAD
        credentials = credentials_factory(settings, http_client=aad.session()).credentials_for(APP_ID)
        assert isinstance(credentials, AppTokenCredentials)
        assert await credentials.get_token() == "token-1"
        assert credentials.cached_token() == "token-1"  # ours keeps it until 120 s before expiry (80 s here)
        credentials.invalidate()
        assert await credentials.get_token() == "token-2" and len(aad.token_requests) == 2


async def test_single_tenant_uses_its_tenant_as_authority() -> None:
    tenant = "11111111-2222-3333-4444-555555555555"
    async with asyncio.timeout(20), LocalAad() as aad:
        credentials = credentials_factory(Settings(app_id=APP_ID, app_password="s", app_type="SingleTenant",
                                                   app_tenant_id=tenant), http_client=aad.session()).credentials_for(APP_ID)
        assert credentials.oauth_endpoint == f"{LOGIN}/{tenant}"
        assert await credentials.get_token() == "token-1"
    with pytest.raises(ValueError):
        credentials_factory(Settings(app_id=APP_ID, app_password="s", app_type="SingleTenant", app_tenant_id=""))
    with pytest.raises(ValueError):
        credentials_factory(Settings(app_id=APP_ID, app_password="", app_type="MultiTenant"))


def _certificate(tmp_path: Any) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tavla-bot")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, cert


@pytest.mark.parametrize("kind", ["pem", "pem-encrypted", "pfx"])
async def test_certificate_credential(tmp_path: Any, kind: str) -> None:
    key, cert = _certificate(tmp_path)
    password = "hemligt" if kind != "pem" else ""
    if kind == "pfx":
        path = tmp_path / "bot.pfx"
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            b"bot", key, cert, None, serialization.BestAvailableEncryption(password.encode())))
    else:
        encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                      else serialization.NoEncryption())
        path = tmp_path / "bot.pem"
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
                         + cert.public_bytes(serialization.Encoding.PEM))
    settings = Settings(app_id=APP_ID, app_type="MultiTenant", app_certificate_path=str(path),
                        app_certificate_password=password)
    async with asyncio.timeout(20), LocalAad() as aad:
        credentials = credentials_factory(settings, http_client=aad.session()).credentials_for(APP_ID)
        assert await credentials.get_token() == "token-1"
        form = aad.token_requests[0]
        assert "client_secret" not in form
        assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
        assertion = form["client_assertion"][0]
        header = jwt.get_unverified_header(assertion)
        der = cert.public_bytes(serialization.Encoding.DER)
        x5t = {(header.get(name) or "").rstrip("=") for name in ("x5t", "x5t#S256")}
        assert {base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode(),  # noqa: S324
                base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()} & x5t
        claims = jwt.decode(assertion, cert.public_key(), algorithms=[header["alg"]],
                            audience=f"{LOGIN}/botframework.com/oauth2/v2.0/token")
        assert claims["iss"] == claims["sub"] == APP_ID


def test_certificate_errors_are_readable(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="finns inte"):
        credentials_factory(Settings(app_id=APP_ID, app_certificate_path=str(tmp_path / "saknas.pem"),
                                     app_type="MultiTenant"))
    key_only = tmp_path / "key.pem"
    key, _ = _certificate(tmp_path)
    key_only.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    with pytest.raises(ValueError, match="Thumbprint"):
        credentials_factory(Settings(app_id=APP_ID, app_certificate_path=str(key_only), app_type="MultiTenant"))
    # With the thumbprint given, a key-only PEM is fine.
    credentials_factory(Settings(app_id=APP_ID, app_certificate_path=str(key_only), app_type="MultiTenant",
                                 app_certificate_thumbprint="AB:CD:EF"))


# --- the proxy environment ----------------------------------------------------------------------------------


class RecordingProxy:
    """Enough of a forward proxy to see who uses it: answers plain HTTP, refuses CONNECT."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []
        self.server: asyncio.AbstractServer | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].decode()
        self.request_lines.append(line)
        length = 0
        for header in head.split(b"\r\n")[1:]:
            if header.lower().startswith(b"content-length:"):
                length = int(header.split(b":", 1)[1])
        if length:
            await reader.readexactly(length)
        if line.startswith("CONNECT"):
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        else:
            body = b'{"id":"via-proxy"}'
            writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> "RecordingProxy":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


async def test_outbound_and_token_requests_honour_the_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.outbound import Outbound, activities_url

    async with asyncio.timeout(20), RecordingProxy() as proxy:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        outbound = Outbound()
        try:
            data = await outbound.send("POST", activities_url("http://connector.invalid/", "a:1"), body=b"{}",
                                       conversation_id="a:1")
        finally:
            await outbound.close()
        assert data == {"id": "via-proxy"}
        assert proxy.request_lines[0].startswith("POST http://connector.invalid/v3/conversations/a%3A1/activities")
        # MSAL (no test session: the real default) goes through HTTPS_PROXY too: it asks the proxy to CONNECT.
        credentials = credentials_factory(Settings(app_id=APP_ID, app_password="s", app_type="MultiTenant")
                                          ).credentials_for(APP_ID)
        with pytest.raises(Exception):  # noqa: B017,PT011 - the proxy refuses: whatever MSAL/requests raise
            await credentials.get_token()
        assert any(line.startswith("CONNECT login.microsoftonline.com:443") for line in proxy.request_lines)
