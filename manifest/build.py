"""Builds the Teams app package (``tavla.zip``) from the template, the settings and the icons.

The template (``manifest.template.json``) holds everything that is the same for every kommun; the build
fills in what is particular to one installation — the app id (``MicrosoftAppId``, also the bot id), the
version and the public domain (``TAVLA_PUBLIC_DOMAIN``) — by setting fields of the parsed JSON, never by
replacing text. The zip holds ``manifest.json``, the two icons and the English localisation at its root,
which is the layout Teams accepts; its entries carry a fixed date, so the same input gives the same bytes.

No ../shared here: a user's clone has no schema files. The tests validate the built manifest against the
official schema; this module checks what a person can get wrong (ids, domain, version) and says so in
Swedish.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "manifest.template.json"
ICONS = ("color.png", "outline.png")
LANGUAGE_FILES = ("en.json",)
MANIFEST_VERSION = "1.22"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: reproducible packages

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")  # Teams: no pre-release part
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"


class ManifestError(ValueError):
    """The package cannot be built from these settings; the message says what to change (in Swedish)."""


@dataclass(frozen=True)
class PackageInfo:
    """What one installation fills in. ``website_url`` etc. default to the public domain."""

    app_id: str
    domain: str
    version: str
    developer_name: str | None = None
    website_url: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None


def default_version() -> str:
    """The installed package's version (pyproject), the version Teams shows for the app."""
    try:
        from importlib.metadata import version

        found = version("tavla")
    except Exception:  # noqa: BLE001 - running from a checkout that is not installed
        return "1.0.0"
    return found if SEMVER.match(found) else "1.0.0"


def normalise_domain(value: str) -> str:
    """``https://Tavla.Kommun.se/api/messages`` → ``tavla.kommun.se``; raises ``ManifestError`` otherwise."""
    raw = (value or "").strip()
    if not raw:
        raise ManifestError("TAVLA_PUBLIC_DOMAIN saknas: ange det publika domännamnet som Teams når Tavla på, "
                            "t.ex. TAVLA_PUBLIC_DOMAIN=tavla.kommun.se (eller --domain).")
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if parts.scheme not in ("https", "http"):
        raise ManifestError(f"TAVLA_PUBLIC_DOMAIN: {raw!r} är inget domännamn")
    if parts.port not in (None, 443):
        raise ManifestError(f"TAVLA_PUBLIC_DOMAIN: {raw!r} har porten {parts.port}; Teams når bara boten på "
                            "https-porten 443 (låt den omvända proxyn lyssna där)")
    host = (parts.hostname or "").rstrip(".")
    labels = host.split(".")
    if len(labels) < 2 or not all(LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ManifestError(f"TAVLA_PUBLIC_DOMAIN: {raw!r} är inget fullständigt domännamn (t.ex. tavla.kommun.se)")
    return host


def _https(url: str, name: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ManifestError(f"{name}: {url!r} måste vara en https-adress")
    return url


def check_info(info: PackageInfo) -> PackageInfo:
    """The same info, checked and normalised; ``ManifestError`` names the setting that is wrong."""
    if not info.app_id:
        raise ManifestError("MicrosoftAppId saknas: appaketet behöver Azure-botens app-id "
                            "(sätt MicrosoftAppId, se docs/deploy.md).")
    if not GUID.match(info.app_id) or info.app_id == PLACEHOLDER_ID:
        raise ManifestError(f"MicrosoftAppId: {info.app_id!r} är inget app-id (ett GUID som "
                            "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee)")
    if not SEMVER.match(info.version):
        raise ManifestError(f"versionen {info.version!r} ska vara tre tal som 1.4.0 (Teams kräver att den ökar "
                            "vid varje uppdatering)")
    domain = normalise_domain(info.domain)
    developer = info.developer_name
    if developer is not None and not 0 < len(developer.strip()) <= 32:
        raise ManifestError("utvecklarens namn ska vara 1–32 tecken")
    urls = {}
    for field, name in (("website_url", "--website-url"), ("privacy_url", "--privacy-url"),
                        ("terms_url", "--terms-url")):
        value = getattr(info, field)
        urls[field] = _https(value, name) if value else None
    return PackageInfo(info.app_id.lower(), domain, info.version, developer.strip() if developer else None,
                       **urls)


def load_template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def manifest(info: PackageInfo) -> dict[str, Any]:
    """The manifest for one installation (a new dict; the template file is not changed)."""
    info = check_info(info)
    data = copy.deepcopy(load_template())
    data["id"] = info.app_id
    data["version"] = info.version
    for bot in data.get("bots", []):
        bot["botId"] = info.app_id
    for extension in data.get("composeExtensions", []):
        extension["botId"] = info.app_id
    data["validDomains"] = [info.domain]
    site = f"https://{info.domain}/"
    developer = data["developer"]
    if info.developer_name:
        developer["name"] = info.developer_name
    developer["websiteUrl"] = info.website_url or site
    developer["privacyUrl"] = info.privacy_url or info.website_url or site
    developer["termsOfUseUrl"] = info.terms_url or info.website_url or site
    if data.get("manifestVersion") != MANIFEST_VERSION:  # the template and this module move together
        raise ManifestError(f"mallen har manifestVersion {data.get('manifestVersion')!r}, väntade {MANIFEST_VERSION}")
    return data


def package_files(info: PackageInfo) -> dict[str, bytes]:
    """Name → bytes of every file in the package, manifest first."""
    files = {"manifest.json": json.dumps(manifest(info), ensure_ascii=False, indent=2).encode("utf-8")}
    for name in ICONS + LANGUAGE_FILES:
        path = HERE / name
        if not path.is_file():
            raise ManifestError(f"{path} saknas (ikonerna ritas med python -m manifest.icons)")
        files[name] = path.read_bytes()
    return files


def write_package(info: PackageInfo, out: Path | str) -> Path:
    """Write the zip (atomically: a half-written package never lies where Teams' upload would find it)."""
    out = Path(out)
    files = package_files(info)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".tavla-", suffix=".zip", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, content in files.items():
                entry = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, content)
        os.replace(tmp_name, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out


def info_from_settings(settings: Any, *, app_id: str | None = None, domain: str | None = None,
                       version: str | None = None, developer_name: str | None = None,
                       website_url: str | None = None, privacy_url: str | None = None,
                       terms_url: str | None = None) -> PackageInfo:
    """Settings (``MicrosoftAppId``, ``TAVLA_PUBLIC_DOMAIN``) with the command line's overrides."""
    return PackageInfo(
        app_id=(app_id or settings.app_id or "").strip(),
        domain=domain or settings.public_domain,
        version=version or default_version(),
        developer_name=developer_name, website_url=website_url, privacy_url=privacy_url, terms_url=terms_url,
    )
