"""A local stand-in for Azure AD and the Bot Framework's token service, for the production-auth benchmark.

One HTTPS server on 127.0.0.1 (a throw-away CA and certificate written to a temp dir; point
``REQUESTS_CA_BUNDLE`` at ``cert_path``) that serves

- the tenant's OpenID discovery and an OAuth2 client-credentials token endpoint, as MSAL expects of an
  authority (``{base}/{tenant}``) — every token request is answered after ``token_delay`` (50 ms: an Azure
  AD round trip) and counted;
- the Bot Framework channel's OpenID metadata and signing keys (endorsed for ``msteams``), so the bot
  validates every incoming request's JWT exactly as in production; ``inbound_token(service_url)`` signs
  such a JWT the way the Bot Connector does.

Used by ``python -m bench --auth``: the bot under test runs as ``python -m bench.auth`` — Tavla's own
``app.serve`` with ``MicrosoftAppId``/``MicrosoftAppPassword`` and the channel's OpenID endpoints from the
environment (``app_env``), and MSAL's HTTP client (``build_adapter(token_http_client=…)``, the same hook the
auth tests use) sending what is addressed to login.microsoftonline.com to this server instead. Nothing of
the turn is changed: inbound JWTs are validated by the SDK, tokens are fetched by Tavla's credentials
(bot/outbound_auth.py) over real HTTPS. The load generator sends ``Authorization: Bearer …``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import ssl
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import requests
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

APP_ID = "0b0e1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
APP_PASSWORD = "bench-secret"  # noqa: S105 - a made-up secret for a local simulator
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
CHANNEL_ISSUER = "https://api.botframework.com"
AZURE_AD = "https://login.microsoftonline.com/"
IDP_ENV = "TAVLA_BENCH_IDP"  # the local identity provider's base URL, for the launcher below


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it: (CA cert, server cert, key)."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tavla bench CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server-key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_path, cert_path, key_path


class IdentityProvider:
    """Start with ``with IdentityProvider() as idp:`` (runs in its own thread and event loop)."""

    def __init__(self, *, token_delay: float = 0.05, token_validity: int = 3600) -> None:
        self.token_delay = token_delay
        self.token_validity = token_validity
        self.token_requests = 0
        self.directory = Path(tempfile.mkdtemp(prefix="tavla-idp-"))
        self.cert_path, self._tls_cert, self._tls_key = _tls_files(self.directory)  # cert_path: the CA to trust
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()

    # --- what the bot and the load generator need -----------------------------------------------

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def authority(self) -> str:
        return f"{self.base}/{TENANT}"

    def app_env(self) -> dict[str, str]:
        """Environment of a Tavla process in production auth mode against this server."""
        return {
            "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": APP_PASSWORD, "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": TENANT,
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": f"{self.base}/botframework/v1/.well-known/openidconfiguration",
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": CHANNEL_ISSUER,
            "REQUESTS_CA_BUNDLE": str(self.cert_path), "SSL_CERT_FILE": str(self.cert_path),
            "NO_PROXY": "127.0.0.1,localhost", IDP_ENV: self.base,
        }

    def inbound_token(self, service_url: str, lifetime: int = 3600) -> str:
        """A JWT as the Bot Connector signs it for a request to the bot."""
        now = int(time.time())
        claims = {"iss": CHANNEL_ISSUER, "aud": APP_ID, "nbf": now - 60, "iat": now - 60, "exp": now + lifetime,
                  "serviceurl": service_url}
        return jwt.encode(claims, self._signing_key, algorithm="RS256", headers={"kid": self.kid})

    # --- the server -----------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{TENANT}/v2.0/.well-known/openid-configuration", self._tenant_discovery)
        app.router.add_post(f"/{TENANT}/oauth2/v2.0/token", self._token)
        app.router.add_get("/botframework/v1/.well-known/openidconfiguration", self._channel_metadata)
        app.router.add_get("/botframework/v1/keys", self._channel_keys)
        return app

    async def _tenant_discovery(self, request: web.Request) -> web.Response:
        return web.json_response({
            "token_endpoint": f"{self.authority}/oauth2/v2.0/token",
            "authorization_endpoint": f"{self.authority}/oauth2/v2.0/authorize",
            "issuer": f"{self.authority}/v2.0",
        })

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.token_requests += 1
        await asyncio.sleep(self.token_delay)
        if form.get("client_id") != APP_ID or form.get("client_secret") != APP_PASSWORD:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"token_type": "Bearer", "expires_in": self.token_validity,
                                  "ext_expires_in": self.token_validity,
                                  "access_token": f"bench-token-{self.token_requests}"})

    async def _channel_metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": CHANNEL_ISSUER, "jwks_uri": f"{self.base}/botframework/v1/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"],
                                  "token_endpoint_auth_methods_supported": ["private_key_jwt"]})

    async def _channel_keys(self, request: web.Request) -> web.Response:
        numbers = self._signing_key.public_key().public_numbers()
        return web.json_response({"keys": [{"kty": "RSA", "use": "sig", "kid": self.kid, "n": _b64(numbers.n),
                                            "e": _b64(numbers.e), "endorsements": ["msteams"]}]})

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._tls_cert, self._tls_key)

        async def start() -> None:
            self._runner = web.AppRunner(self._app(), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001

        loop.run_until_complete(start())
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def __enter__(self) -> "IdentityProvider":
        self._thread = threading.Thread(target=self._run, name="bench-idp", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the local identity provider did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


# --- the bot under test in production auth mode ----------------------------------------------------------


class LocalAzureAD(requests.Session):
    """MSAL's HTTP client: requests to login.microsoftonline.com go to the local identity provider."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/") + "/"
        self.trust_env = True  # REQUESTS_CA_BUNDLE: the local CA

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if isinstance(url, str) and url.startswith(AZURE_AD):
            url = self.base + url[len(AZURE_AD):]
        return super().request(method, url, *args, **kwargs)


def main() -> None:
    """``python -m bench.auth``: Tavla's server (``app.serve``) with MSAL pointed at the local provider."""
    import functools
    import logging
    import os
    import sys

    import app as app_module
    from bot.adapter import build_adapter
    from settings import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app_module.build_adapter = functools.partial(build_adapter, token_http_client=LocalAzureAD(os.environ[IDP_ENV]))
    sys.exit(app_module.serve(load_settings()))


if __name__ == "__main__":
    main()
