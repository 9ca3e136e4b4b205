"""The bot's own Azure AD credentials for outbound calls: built once, tokens cached, fetched off the loop.

The stock SDK builds new credential objects (each with an empty MSAL cache) twice a turn and asks Azure AD
for a token on every turn, synchronously on the event loop (PLATFORM.md, item 5). Here:

- ``CredentialsFactory`` hands out ONE ``AppTokenCredentials`` per (app id, scope, authority), so MSAL's
  token cache lives as long as the process and holds the token until it nears expiry;
- ``AppTokenCredentials.get_token()`` answers from memory while the token is fresh; otherwise it fetches in
  a worker thread (``asyncio.to_thread``) and concurrent callers share the one in-flight fetch;
- the app registration authenticates with a client secret or a certificate (PEM with the private key, or
  PFX/P12);
- MSAL's HTTP goes through a ``requests.Session`` with ``trust_env`` (HTTPS_PROXY, NO_PROXY,
  REQUESTS_CA_BUNDLE are honoured).

Inbound JWT validation is not here: the SDK's ``authenticate_request`` still does it for every request; it
only asks this factory ``is_valid_app_id`` / ``is_authentication_disabled``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import requests
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConstants,
    GovernmentConstants,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)

log = logging.getLogger("tavla.auth")

REFRESH_MARGIN_S = 120.0  # refresh this long before expiry (MSAL itself never returns tokens with < 5 min left)
FOREIGN_TOKEN_TTL_S = 240.0  # tokens of credentials we did not build (managed identity): < MSAL's 5-min floor
MSAL_TIMEOUT_S = 10.0
PUBLIC_LOGIN_PREFIX = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX  # https://login.microsoftonline.com/
DEFAULT_TENANT = AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT  # botframework.com
DEFAULT_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE  # https://api.botframework.com

EMPTY_CREDENTIALS = MicrosoftAppCredentials.empty()  # local mode: no app id, no Authorization header


def proxy_aware_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = True  # the default, stated: HTTPS_PROXY / NO_PROXY / REQUESTS_CA_BUNDLE from the environment
    return session


def authority_for(login_endpoint: str | None, tenant: str | None) -> str:
    """The token authority, as the SDK's credentials derive it from the cloud's login endpoint and tenant."""
    endpoint = (login_endpoint or "").lower()
    if not endpoint or endpoint.startswith(PUBLIC_LOGIN_PREFIX):
        return PUBLIC_LOGIN_PREFIX + (tenant or DEFAULT_TENANT)
    if endpoint.startswith(GovernmentConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX):
        return GovernmentConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + (
            tenant or GovernmentConstants.DEFAULT_CHANNEL_AUTH_TENANT)
    return login_endpoint  # a private cloud: its login endpoint is the authority


def certificate_credential(path: str, thumbprint: str = "", password: str = "") -> dict[str, Any]:
    """MSAL's ``client_credential`` for a certificate: PEM (private key, and the certificate unless a
    thumbprint is given) or PFX/P12. Raises ``ValueError`` with a readable reason."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"MicrosoftAppCertificatePath: {path} finns inte")
    if file.suffix.lower() in (".pfx", ".p12"):
        credential: dict[str, Any] = {"private_key_pfx_path": str(file)}
        if password:
            credential["passphrase"] = password
        return credential
    pem = file.read_text(encoding="ascii")
    if "PRIVATE KEY-----" not in pem:
        raise ValueError(f"MicrosoftAppCertificatePath: {path} innehåller ingen privat nyckel (PEM)")
    thumbprint = thumbprint.replace(":", "").replace(" ", "").strip()
    if not thumbprint:
        if "-----BEGIN CERTIFICATE-----" not in pem:
            raise ValueError("MicrosoftAppCertificateThumbprint saknas och PEM-filen har inget certifikat")
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        thumbprint = hashlib.sha1(cert.public_bytes(_der())).hexdigest()  # noqa: S324 - AAD's x5t is SHA-1
    credential = {"private_key": pem, "thumbprint": thumbprint}
    if password:
        credential["passphrase"] = password
    return credential


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


class AppTokenCredentials(AppCredentials):
    """The app registration's credentials for one (app id, scope, authority): one MSAL app, reused.

    ``get_token()`` is the async path used by the outbound sender; ``get_access_token()`` is the SDK's
    synchronous one (msrest calls it for e.g. ``TeamsInfo``) and answers from the same cache.
    """

    def __init__(self, app_id: str, client_credential: str | dict[str, Any], *, oauth_scope: str,
                 authority: str, tenant: str | None = None, http_client: Any = None,
                 validate_authority: bool = True) -> None:
        super().__init__(app_id=app_id, channel_auth_tenant=tenant, oauth_scope=oauth_scope)
        self.oauth_endpoint = authority
        self._client_credential = client_credential
        self._http_client = http_client
        self._validate_authority = validate_authority
        scope = self.oauth_scope if self.oauth_scope.endswith("/.default") else self.oauth_scope + "/.default"
        self._scopes = [scope]
        self._msal: Any = None
        self._lock = threading.Lock()  # one fetch at a time across threads
        self._token: str | None = None
        self._fresh_until = 0.0  # monotonic
        self._inflight: asyncio.Future[str] | None = None
        self.fetches = 0  # answers MSAL fetched from the identity provider (not its cache)

    # --- cached token -------------------------------------------------------------------------

    def cached_token(self) -> str | None:
        if self._token is not None and time.monotonic() < self._fresh_until:
            return self._token
        return None

    async def get_token(self) -> str:
        token = self.cached_token()
        if token is not None:
            return token
        loop = asyncio.get_running_loop()
        inflight = self._inflight
        if inflight is None or inflight.done() or inflight.get_loop() is not loop:
            inflight = loop.create_task(asyncio.to_thread(self._fetch_sync))
            inflight.add_done_callback(_consume_exception)
            self._inflight = inflight
        return await asyncio.shield(inflight)  # a cancelled caller does not cancel the shared fetch

    def warm(self) -> None:
        """Start a background fetch when the token is stale (called from sync code on the loop)."""
        if self.cached_token() is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._inflight is None or self._inflight.done() or self._inflight.get_loop() is not loop:
            self._inflight = loop.create_task(asyncio.to_thread(self._fetch_sync))
            self._inflight.add_done_callback(_consume_exception)

    def get_access_token(self, force_refresh: bool = False) -> str:
        """The SDK's synchronous path: the cached token, or (rarely, blocking) a fetch."""
        token = None if force_refresh else self.cached_token()
        return token if token is not None else self._fetch_sync(force=force_refresh)

    def invalidate(self) -> None:
        self._fresh_until = 0.0

    # --- fetching (worker thread) ---------------------------------------------------------------

    def _app(self) -> Any:
        if self._msal is None:
            from msal import ConfidentialClientApplication

            # Construction does the authority's tenant discovery over HTTP: only ever in a worker thread.
            self._msal = ConfidentialClientApplication(
                client_id=self.microsoft_app_id, client_credential=self._client_credential,
                authority=self.oauth_endpoint, validate_authority=self._validate_authority,
                http_client=self._http_client or proxy_aware_session(), timeout=MSAL_TIMEOUT_S,
            )
        return self._msal

    def _fetch_sync(self, force: bool = False) -> str:
        with self._lock:
            started = time.monotonic()
            if not force and self._token is not None and started < self._fresh_until:
                return self._token  # another thread fetched it while this one waited
            result = self._app().acquire_token_for_client(scopes=self._scopes)  # MSAL's cache first
            if "access_token" not in result:
                raise PermissionError(
                    f"Failed to get access token with error: {result.get('error', 'unknown')}, "
                    f"error_description: {result.get('error_description', '')}")
            if result.get("token_source") != "cache":
                self.fetches += 1
                log.info("fetched a Bot Framework token for app %s (expires in %s s)", self.microsoft_app_id,
                         result.get("expires_in"))
            expires_in = float(result.get("expires_in") or 0)
            self._token = result["access_token"]
            self._fresh_until = started + max(0.0, expires_in - REFRESH_MARGIN_S)
            return self._token


def _consume_exception(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


_foreign: weakref.WeakKeyDictionary[Any, tuple[str, float]] = weakref.WeakKeyDictionary()


async def bearer_token(credentials: Any) -> str | None:
    """The token for an outbound call with these credentials, or None when none is needed (local mode)."""
    if credentials is None:
        return None
    if isinstance(credentials, AppTokenCredentials):
        return await credentials.get_token()
    app_id = getattr(credentials, "microsoft_app_id", None)
    if not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
        return None
    # Credentials the SDK built (managed identity): their MSAL client caches; we fetch off the loop and
    # keep the answer for less than MSAL's 5-minute expiry floor.
    cached = _foreign.get(credentials)
    if cached is not None and time.monotonic() < cached[1]:
        return cached[0]
    token = await asyncio.to_thread(credentials.get_access_token)
    _foreign[credentials] = (token, time.monotonic() + FOREIGN_TOKEN_TTL_S)
    return token


class CredentialsFactory(ServiceClientCredentialsFactory):
    """Credentials for the configured app id, one object per (scope, authority), kept for the process.

    ``client_credential`` is the secret (str) or MSAL's certificate dict; ``managed_identity`` delegates to
    the SDK's managed-identity credentials (also reused). Without an app id authentication is disabled.
    """

    def __init__(self, app_id: str | None, client_credential: str | dict[str, Any] | None = None, *,
                 tenant_id: str | None = None, managed_identity: bool = False, http_client: Any = None) -> None:
        self.app_id = app_id or None
        self.tenant_id = tenant_id or None
        self._client_credential = client_credential
        self._managed_identity = managed_identity
        self._http_client = http_client
        self._credentials: dict[tuple[str, str, str], AppCredentials] = {}
        if self.app_id and not managed_identity and not client_credential:
            raise ValueError("MicrosoftAppId är satt men varken MicrosoftAppPassword eller ett certifikat")

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(self.app_id) and app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return not self.app_id

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> AppCredentials:
        return self.credentials_for(app_id, oauth_scope, login_endpoint, validate_authority)

    def credentials_for(self, app_id: str | None, oauth_scope: str | None = None, login_endpoint: str | None = None,
                        validate_authority: bool = True) -> AppCredentials:
        if not self.app_id:
            return EMPTY_CREDENTIALS
        if app_id != self.app_id:
            raise PermissionError("Invalid app_id")
        scope = oauth_scope or DEFAULT_SCOPE
        authority = authority_for(login_endpoint, self.tenant_id)
        key = (app_id, scope, authority)
        credentials = self._credentials.get(key)
        if credentials is None:
            if self._managed_identity:
                from botframework.connector.auth import ManagedIdentityAppCredentials

                credentials = ManagedIdentityAppCredentials(app_id, scope)
            else:
                assert self._client_credential is not None
                credentials = AppTokenCredentials(
                    app_id, self._client_credential, oauth_scope=scope, authority=authority,
                    tenant=self.tenant_id, http_client=self._http_client,
                    validate_authority=validate_authority,
                )
            self._credentials[key] = credentials
        return credentials
