"""``bot.channel_token`` against the SDK: for every token it decides, its verdict is the SDK's.

Both check the same request with the same keys (the SDK's own cache, filled from ``tests/support/openid.py``
over HTTP). For each token: the SDK's answer (accepted with which claims, audience and caller id, or refused),
and the fast check's — which must either hand the token to the SDK (``None``) or give the same answer. The
named cases also pin which path a token takes, so a check that quietly handed everything to the SDK fails.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections import Counter
from datetime import datetime, timedelta
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botframework.connector.auth.channel_validation import ChannelValidation
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bot.adapter import build_adapter
from bot.channel_token import ChannelTokenCheck
from bot.http import auth_failure_status, parse_activity
from bot.signing_keys import STALE_LIMIT
from settings import Settings
from tests.support.openid import OpenIdProvider, new_key, offline_aad_session

APP_ID = "3d9f0c1e-5b6a-4c2d-9e8f-7a6b5c4d3e2f"
OTHER_APP_ID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
TENANT = "56653e9d-2158-46ee-90d7-675c39642038"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
STRANGER = new_key()


class Bench:
    def __init__(self, provider: OpenIdProvider, configuration: str) -> None:
        self.provider = provider
        channel: dict[str, Any] = {}
        if configuration == "parameterised":  # the SDK's other authentication: endpoints from the settings
            channel = dict(to_bot_from_channel_openid_metadata_url=provider.metadata_url,
                           to_bot_from_channel_token_issuer=provider.issuer)
        settings_ = Settings(database_url="sqlite+aiosqlite:///unused", app_id=APP_ID, app_password="x-secret",
                             app_type="SingleTenant", app_tenant_id=TENANT, **channel)
        self.auth = build_adapter(settings_, token_http_client=offline_aad_session()).auth
        assert self.auth.token_check is not None
        self.fast: ChannelTokenCheck = self.auth.token_check
        self.sdk = self.auth._inner  # noqa: SLF001 - the SDK's own authentication, to compare with
        self.loop = asyncio.new_event_loop()

    def activity(self, channel: str = "msteams", service_url: str = SERVICE_URL) -> Any:
        activity = parse_activity(json.dumps({
            "type": "message", "id": "1", "channelId": channel, "serviceUrl": service_url, "text": "hej",
            "from": {"id": "29:u"}, "recipient": {"id": "28:b"}, "conversation": {"id": "a:c"}}).encode())
        assert not isinstance(activity, str)
        return activity

    def _verdict(self, coro: Any) -> tuple[Any, ...] | None:
        try:
            result = self.loop.run_until_complete(coro)
        except Exception as exc:  # noqa: BLE001 - the SDK refuses with many exception types
            return ("unavailable",) if auth_failure_status(exc) == 503 else ("refused",)  # as bot/http.py answers
        if result is None:
            return None
        return ("accepted", result.claims_identity.claims, result.claims_identity.is_authenticated,
                result.audience, result.caller_id)

    def compare(self, header: str, activity: Any = None) -> str:
        """'fast' or 'sdk' (who decided) after checking that the verdicts agree; the SDK's verdict first, so
        its key cache is filled the way production fills it."""
        activity = activity or self.activity()
        sdk = self._verdict(self.sdk.authenticate_request(activity, header))
        fast = self._verdict(self.fast.check(activity, header))
        if fast is None:
            return "sdk"
        assert fast == sdk, (header, fast, sdk)
        return f"fast:{fast[0]}"

    def token(self, **kwargs: Any) -> str:
        return "Bearer " + self.provider.token(SERVICE_URL, **kwargs)


@pytest.fixture(scope="module", params=["public cloud", "parameterised"])
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    """"public cloud": the SDK's authentication as production builds it (no channel settings: Microsoft's
    issuer and metadata URL), with only the metadata URL pointed at the local provider through the SDK's own
    ``ChannelValidation.open_id_metadata_endpoint``; "parameterised": the channel's endpoints from Settings."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        with OpenIdProvider(APP_ID).serving() as provider:
            if request.param == "public cloud":
                patch.setattr(ChannelValidation, "open_id_metadata_endpoint", provider.metadata_url)
            b = Bench(provider, request.param)
            assert type(b.sdk._inner).__name__ == (  # noqa: SLF001
                "_PublicCloudBotFrameworkAuthentication" if request.param == "public cloud"
                else "_ParameterizedBotFrameworkAuthentication")
            # the very first token: no keys yet, the SDK's path (which fetches them)
            assert b.loop.run_until_complete(b.fast.check(b.activity(), b.token())) is None
            assert b.compare(b.token()) == "fast:accepted"
            yield b
            b.loop.close()


def _encode(claims: dict[str, Any], *, key: Any, headers: dict[str, Any], algorithm: str = "RS256") -> str:
    return "Bearer " + jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(header: dict[str, Any], claims: dict[str, Any], key: Any) -> str:
    """An RS256 JWT with exactly this header (PyJWT's encoder refuses some of the odd ones generated)."""
    signing_input = _b64(json.dumps({"alg": "RS256", **header}).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64(signature)


def test_a_valid_channel_token_is_accepted_by_the_fast_check_with_the_sdks_claims(bench: Bench) -> None:
    assert bench.compare(bench.token()) == "fast:accepted"
    # no endorsement asked for (an activity without a channel id is not refused for its key)
    assert bench.compare(bench.token(), bench.activity(channel="")) == "fast:accepted"


@pytest.mark.parametrize("case", [
    "expired", "not yet valid", "issued in the future", "another app's audience", "no audience",
    "bad signature", "another serviceUrl", "no serviceUrl claim", "another channel", "signature of another token",
    "expired within the tolerance is still valid", "valid from within the tolerance",
])
def test_the_fast_check_decides_what_the_sdk_decides(bench: Bench, case: str) -> None:
    provider = bench.provider
    make = {
        "expired": lambda: bench.token(expires_in=-400, not_before=-7200),
        "expired within the tolerance is still valid": lambda: bench.token(expires_in=-200, not_before=-7200),
        "not yet valid": lambda: bench.token(not_before=400, expires_in=7200),
        "valid from within the tolerance": lambda: bench.token(not_before=200, expires_in=7200),
        "issued in the future": lambda: bench.token(extra={"iat": int(time.time()) + 600}),
        "another app's audience": lambda: bench.token(audience=OTHER_APP_ID),
        "no audience": lambda: bench.token(extra={"aud": ""}),
        "bad signature": lambda: bench.token(key=STRANGER),
        "another serviceUrl": lambda: "Bearer " + provider.token("https://smba.trafficmanager.net/amer/"),
        "no serviceUrl claim": lambda: bench.token(extra={"serviceurl": None}),
        "another channel": lambda: bench.token(),
        "signature of another token": lambda: bench.token().rsplit(".", 1)[0] + "."
        + bench.token(audience=OTHER_APP_ID).rsplit(".", 1)[1],
    }[case]
    activity = bench.activity(channel="webchat") if case == "another channel" else None
    expected = "fast:accepted" if "still valid" in case or "within the tolerance" in case else "fast:refused"
    assert bench.compare(make(), activity) == expected


@pytest.mark.parametrize("case", [
    "no token", "empty", "basic scheme", "two spaces", "garbage", "padded segment", "four segments",
    "unknown key id", "RS384", "HS256 with the public key", "alg none", "crit header", "exp as a string",
    "no exp", "skill token", "emulator issuer", "another issuer", "non-ascii",
])
def test_everything_else_is_left_to_the_sdk(bench: Bench, case: str) -> None:
    provider, now = bench.provider, int(time.time())
    claims = {"serviceurl": SERVICE_URL, "iss": provider.issuer, "aud": APP_ID, "nbf": now - 60, "exp": now + 3600}
    headers = {"kid": provider.kid}
    valid = bench.token()
    header = {
        "no token": "", "empty": "Bearer ", "basic scheme": valid.replace("Bearer", "Basic"),
        "two spaces": valid.replace(" ", "  "), "garbage": "Bearer not.a.jwt",
        "padded segment": "Bearer " + ".".join(p + "=" * (-len(p) % 4) if i == 1 else p
                                               for i, p in enumerate(valid[7:].split("."))),
        "four segments": valid + ".abc",
        "unknown key id": bench.token(kid="rotated-away"),
        "RS384": _encode(claims, key=provider.key, headers=headers, algorithm="RS384"),
        "HS256 with the public key": _encode(claims, key="k" * 32, headers=headers, algorithm="HS256"),
        "alg none": "Bearer " + _b64(json.dumps({"alg": "none", "kid": provider.kid}).encode()) + "."
        + _b64(json.dumps(claims).encode()) + ".",
        "crit header": _encode(claims, key=provider.key, headers={**headers, "crit": ["exp"]}),
        "exp as a string": _encode({**claims, "exp": str(now + 3600)}, key=provider.key, headers=headers),
        "no exp": _encode({k: v for k, v in claims.items() if k != "exp"}, key=provider.key, headers=headers),
        "skill token": _encode({**claims, "ver": "1.0", "appid": OTHER_APP_ID}, key=provider.key, headers=headers),
        "emulator issuer": _encode({**claims, "iss": EMULATOR_ISSUER}, key=provider.key, headers=headers),
        "another issuer": _encode({**claims, "iss": "https://issuer.example.org"}, key=provider.key, headers=headers),
        "non-ascii": valid + "å",
    }[case]
    assert bench.compare(header) == "sdk"


def _aged(bench: Bench, monkeypatch: pytest.MonkeyPatch, age: Any) -> Any:
    metadata = JwtTokenExtractor.metadataCache[bench.provider.metadata_url]
    monkeypatch.setattr(metadata, "last_updated", datetime.now() - age)
    return metadata


def test_keys_a_day_old_serve_on_while_they_are_fetched_again_in_the_background(
        bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    metadata = _aged(bench, monkeypatch, timedelta(days=2))
    fetched = len(bench.provider.requests)
    assert bench.compare(bench.token()) == "fast:accepted"  # no waiting for the keys: the ones held serve

    async def fetched_again() -> None:
        while len(bench.provider.requests) < fetched + 2:  # the metadata document and the keys
            await asyncio.sleep(0.01)

    bench.loop.run_until_complete(asyncio.wait_for(fetched_again(), 10))
    bench.loop.run_until_complete(asyncio.sleep(0.05))
    assert timedelta(0) <= datetime.now() - metadata.last_updated < timedelta(minutes=1)
    assert bench.compare(bench.token()) == "fast:accepted"
    assert len(bench.provider.requests) == fetched + 2  # once: fresh keys start no other fetch


def test_keys_too_old_to_serve_go_to_the_sdks_path_which_fetches_them_first(
        bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    _aged(bench, monkeypatch, STALE_LIMIT + timedelta(hours=1))
    fetched = len(bench.provider.requests)
    assert bench.loop.run_until_complete(bench.fast.check(bench.activity(), bench.token())) is None
    assert bench.compare(bench.token()) == "fast:accepted"  # the SDK's verdict first: it fetched the keys
    assert len(bench.provider.requests) > fetched


def _flip(token: str, segment: int, position: int, character: str) -> str:
    parts = token.split(".")
    text = parts[segment]
    index = position % len(text)
    parts[segment] = text[:index] + character + text[index + 1:]
    return ".".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    segment=st.integers(0, 2), position=st.integers(0, 10_000),
    character=st.sampled_from("AQgw_-09azZ+/=.! "),
    audience=st.sampled_from([APP_ID, OTHER_APP_ID, "", None, 7]),
    issuer=st.sampled_from(["ours", "https://issuer.example.org", EMULATOR_ISSUER, None]),
    service_url=st.sampled_from([SERVICE_URL, "https://smba.trafficmanager.net/amer/", None, ""]),
    exp=st.one_of(st.sampled_from([-3600, -301 - 5, -299 + 5, 3600]).map(lambda d: int(time.time()) + d),
                  st.sampled_from(["soon", 1.5e10, True, None])),
    nbf=st.sampled_from([None, -3600, 250, 400]), iat=st.sampled_from([None, -60, 600, "x"]),
    extra=st.sampled_from([{}, {"ver": "2.0"}, {"ver": "1.0", "azp": OTHER_APP_ID}, {"sub": 5}, {"jti": "j"}]),
    kid=st.sampled_from(["ours", "other", None, 3]), key=st.sampled_from(["ours", "stranger"]),
    tamper=st.booleans(), channel=st.sampled_from(["msteams", "webchat", ""]),
)
def test_generated_tokens_get_the_sdks_verdict(bench: Bench, segment: int, position: int, character: str,
                                               audience: Any, issuer: Any, service_url: Any, exp: Any, nbf: Any,
                                               iat: Any, extra: dict[str, Any], kid: Any, key: str, tamper: bool,
                                               channel: str) -> None:
    provider, now = bench.provider, int(time.time())
    claims: dict[str, Any] = {"iss": provider.issuer if issuer == "ours" else issuer, "aud": audience,
                              "serviceurl": service_url, "exp": exp, **extra}
    if nbf is not None:
        claims["nbf"] = now + nbf
    if iat is not None:
        claims["iat"] = iat if isinstance(iat, str) else now + iat
    claims = {name: value for name, value in claims.items() if value is not None}
    headers: dict[str, Any] = {} if kid is None else {"kid": provider.kid if kid == "ours" else kid}
    token = _sign(headers, claims, provider.key if key == "ours" else STRANGER)
    if tamper:
        token = _flip(token, segment, position, character)
    bench.compare("Bearer " + token, bench.activity(channel=channel))


def test_a_grid_of_claims_is_mostly_decided_by_the_fast_check(bench: Bench) -> None:
    """Untampered, correctly signed tokens across audiences, issuers, serviceUrls and times: the SDK's verdict
    every time, and the fast check decides all the ones of the channel's shape (so the generated cases above
    really compare two checks, not the SDK with itself)."""
    provider, now = bench.provider, int(time.time())
    seen: Counter[str] = Counter()
    for aud, iss, service_url, exp, nbf in itertools.product(
            [APP_ID, OTHER_APP_ID, ""], [provider.issuer, "https://issuer.example.org"],
            [SERVICE_URL, "https://smba.trafficmanager.net/amer/", None], [-3600, 3600], [-60, 3600]):
        claims = {"iss": iss, "aud": aud, "serviceurl": service_url, "exp": now + exp, "nbf": now + nbf}
        token = _sign({"kid": provider.kid}, {k: v for k, v in claims.items() if v is not None}, provider.key)
        seen[bench.compare("Bearer " + token)] += 1
    assert seen["fast:accepted"] == 1  # our audience, issuer, serviceUrl, valid now
    assert seen["fast:refused"] == 3 * 3 * 2 * 2 - 1  # every other combination of the channel's issuer
    assert seen["sdk"] == 3 * 3 * 2 * 2  # another issuer: the SDK decides
