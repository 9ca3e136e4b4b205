"""The Bot Framework channel's token check, the SDK's rules in one pass, for the one shape such a token has.

With an app id set, every request carries a JWT that the Bot Connector signed. botbuilder 4.17.1 checks it
by decoding the token five times with PyJWT (whose per-character alphabet check, GHSA-hxm8-2xgr-2p9m, is
most of the cost) and by building the RSA key from its JWK again on every request: ≈ 0.45 ms a request in
isolation and ≈ 1 ms inside a turn, as much as the rest of a card-button turn. ``ChannelTokenCheck`` applies
the SDK's rules (``_ParameterizedBotFrameworkAuthentication`` and ``JwtTokenExtractor``) once:

- ``Bearer`` and three canonical base64url segments; the header says RS256 and names a key (``kid``);
- the key is one the SDK fetched from the channel's OpenID metadata (its own cache, less than a day old),
  endorsed for the activity's channel and for any required endorsement;
- the RS256 signature verifies with that key;
- ``exp`` is not past, ``nbf`` and ``iat`` are not in the future, each with the SDK's 5-minute tolerance;
- ``iss`` is the channel's issuer, ``aud`` is this bot's app id, ``serviceurl`` is the activity's.

A token that passes gets the SDK's result (claims identity, audience, caller id); one that fails any check
is refused (``PermissionError``). Everything outside that shape is handed to the SDK, whose answer is then
the answer: a header that is not ``Bearer <jwt>``, padding, another algorithm, ``crit``/``b64`` headers,
claims of unusual types, skill and Emulator tokens, another issuer, no claims validator support, a key cache
not filled yet or too old to serve (``bot/signing_keys.py``, which the SDK's path then waits for), an unknown
key id, a key that is not RSA. So the first request of a process, key rotation and every odd token take the
SDK's path exactly as before.

Nothing about a token or its outcome is cached; only the public key object built from a published JWK.
``tests/bot/test_channel_token.py`` compares the two paths on valid, tampered and generated tokens.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from typing import Any

from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    EmulatorValidation,
    SkillValidation,
)
from botframework.connector.auth.channel_validation import ChannelValidation
from botframework.connector.auth._parameterized_bot_framework_authentication import (
    _ParameterizedBotFrameworkAuthentication,
)
from botframework.connector.auth._public_cloud_bot_framework_authentication import (
    _PublicCloudBotFrameworkAuthentication,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.signing_keys import SigningKeys

CLOCK_TOLERANCE_S = 5 * 60  # the SDK's VerifyOptions(clock_tolerance=5 * 60) for channel tokens
MAX_KEYS = 64
_TOKEN = re.compile(rb"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_TIMES = ("exp", "nbf", "iat")
_STRINGS = ("sub", "jti")  # PyJWT refuses these when present and not strings
_EMULATOR_ISSUERS = frozenset(EmulatorValidation.TO_BOT_FROM_EMULATOR_TOKEN_VALIDATION_PARAMETERS.issuer)
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


class _Unusual(Exception):
    """Not the shape this check handles: the SDK decides."""


def _segment(raw: bytes) -> bytes:
    """A canonical unpadded base64url segment decoded (the alphabet was checked by the token pattern)."""
    if len(raw) % 4 == 1:
        raise _Unusual
    try:
        decoded = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise _Unusual from None
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != raw:  # stray bits in the last character
        raise _Unusual
    return decoded


def _object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise _Unusual from None
    if not isinstance(value, dict):
        raise _Unusual
    return value


def _uint(value: bytes) -> int:
    return int.from_bytes(value, "big")


class ChannelTokenCheck:
    """Checks a channel's token for ``TavlaAuthentication.authenticate_request`` (see the module docstring).

    ``check`` returns the SDK's result for a valid token, raises ``PermissionError`` for an invalid one and
    returns ``None`` for anything the SDK must decide."""

    def __init__(self, sdk: Any, issuer: str, metadata_url: Callable[[], str]) -> None:
        """``sdk``: the SDK's authentication this stands in for (its settings are read, never changed);
        ``metadata_url``: where the SDK's key cache for channel tokens is filled from. Use ``from_sdk``."""
        self._sdk = sdk
        self._issuer = issuer
        self._metadata_url = metadata_url
        self._credentials = sdk._credentials_factory  # noqa: SLF001
        self._configuration = sdk._auth_configuration  # noqa: SLF001
        self._audience: str = sdk._to_channel_from_bot_oauth_scope  # noqa: SLF001
        self._caller_id: str | None = sdk._caller_id  # noqa: SLF001
        self._keys: dict[tuple[str, str, str], rsa.RSAPublicKey] = {}

    @classmethod
    def from_sdk(cls, configured: Any) -> "ChannelTokenCheck | None":
        """For the SDK's ``ConfigurationBotFrameworkAuthentication``: its public-cloud authentication (what
        production uses) or its parameterised one (a channel's own OpenID endpoint and issuer, as the tests
        and the benchmark configure). None for anything else (government or enterprise channels, another
        SDK version): then every request takes the SDK's path."""
        sdk = getattr(configured, "_inner", None)
        if isinstance(sdk, _PublicCloudBotFrameworkAuthentication) and not sdk._channel_service:  # noqa: SLF001
            return cls(sdk, AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER, lambda: (
                ChannelValidation.open_id_metadata_endpoint
                or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL))
        if isinstance(sdk, _ParameterizedBotFrameworkAuthentication) and sdk._to_bot_from_channel_token_issuer:  # noqa: SLF001
            url = sdk._to_bot_from_channel_open_id_metadata_url  # noqa: SLF001
            return cls(sdk, sdk._to_bot_from_channel_token_issuer, lambda: url)  # noqa: SLF001
        return None

    async def check(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult | None:
        if self._configuration.claims_validator is not None:
            return None
        try:
            claims = self._read(activity, auth_header)
        except _Unusual:
            return None
        # From here the token is one the SDK reads exactly as this does: its verdict is this one.
        aud = claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
        if not aud:
            raise PermissionError("'aud' claim missing")
        if not await self._credentials.is_valid_app_id(aud):
            raise PermissionError(f"Invalid AppId passed on token: {aud}")
        if activity.service_url is not None:
            service_url = claims.get(AuthenticationConstants.SERVICE_URL_CLAIM)
            if not service_url:
                raise PermissionError("'serviceurl' claim missing")
            if service_url != activity.service_url:
                raise PermissionError("Invalid 'serviceurl' claim")
        identity = ClaimsIdentity(claims, True)
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = self._audience
        result.caller_id = await self._sdk.generate_caller_id(
            credential_factory=self._credentials, claims_identity=identity, caller_id=self._caller_id)
        return result

    def _read(self, activity: Activity, auth_header: str) -> dict[str, Any]:
        """The verified claims, or ``_Unusual``, or ``PermissionError`` for a token the SDK also refuses."""
        if not isinstance(auth_header, str) or not auth_header.isascii():
            raise _Unusual
        parts = auth_header.split(" ")
        if len(parts) != 2 or parts[0] != "Bearer":
            raise _Unusual
        token = parts[1].encode("ascii")
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise _Unusual
        header = _object(_segment(match[1]))
        claims = _object(_segment(match[2]))
        signature = _segment(match[3])
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str) or not kid or "crit" in header or "b64" in header:
            raise _Unusual
        if any(name in claims and type(claims[name]) is not int for name in _TIMES) or "exp" not in claims:
            raise _Unusual
        if any(name in claims and not isinstance(claims[name], str) for name in _STRINGS):
            raise _Unusual
        if (SkillValidation.is_skill_claim(claims) or claims.get("iss") in _EMULATOR_ISSUERS
                or claims.get("iss") != self._issuer):
            raise _Unusual
        key, endorsements = self._key(kid)
        channel = activity.channel_id
        required = self._configuration.required_endorsements or []
        if endorsements and any(name and name not in endorsements for name in (channel, *required)):
            raise PermissionError("Could not validate endorsement key")
        try:
            key.verify(signature, match[1] + b"." + match[2], _PKCS1, _SHA256)
        except InvalidSignature:
            raise PermissionError("Signature verification failed") from None
        now = time.time()
        if claims["exp"] <= now - CLOCK_TOLERANCE_S:
            raise PermissionError("Signature has expired")
        if claims.get("nbf", 0) > now + CLOCK_TOLERANCE_S or claims.get("iat", 0) > now + CLOCK_TOLERANCE_S:
            raise PermissionError("The token is not yet valid")
        return claims

    def _key(self, kid: str) -> tuple[rsa.RSAPublicKey, list[str]]:
        """The key the SDK's own cache holds for ``kid`` (the first with that id, as the SDK picks it)."""
        metadata = JwtTokenExtractor.metadataCache.get(self._metadata_url())
        # bot.signing_keys (installed with the adapter): refreshed in the background, held keys serve meanwhile;
        # none yet, or too old to serve: the SDK's path, which waits for them
        if not isinstance(metadata, SigningKeys) or not metadata.usable():
            raise _Unusual
        metadata.keep_fresh()
        keys = metadata.keys
        if not isinstance(keys, list):
            raise _Unusual
        jwk = None
        for published in keys:  # as the SDK looks (a key without an id before ours fails there)
            if not isinstance(published, dict) or "kid" not in published:
                raise _Unusual
            if published["kid"] == kid:
                jwk = published
                break
        if jwk is None or jwk.get("kty") != "RSA" or "d" in jwk or "oth" in jwk:
            raise _Unusual
        n, e, endorsements = jwk.get("n"), jwk.get("e"), jwk.get("endorsements", [])
        if not (isinstance(n, str) and isinstance(e, str) and _BASE64URL.fullmatch(n) and _BASE64URL.fullmatch(e)
                and isinstance(endorsements, list)):
            raise _Unusual
        cache_key = (kid, n, e)
        key = self._keys.get(cache_key)
        if key is None:
            try:
                key = rsa.RSAPublicNumbers(_uint(_segment(e.encode("ascii"))),
                                           _uint(_segment(n.encode("ascii")))).public_key()
            except ValueError:
                raise _Unusual from None
            if len(self._keys) >= MAX_KEYS:
                self._keys.clear()
            self._keys[cache_key] = key
        return key, endorsements
