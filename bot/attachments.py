"""Files people send Tavla in Teams: finding them among a message's attachments and downloading them, bounded.

In a 1:1 chat with a bot whose manifest has ``supportsFiles``, a file arrives as an attachment of type
``application/vnd.microsoft.teams.file.download.info`` with ``name`` and ``content`` = ``{downloadUrl,
uniqueId, fileType}``. The ``downloadUrl`` is a short-lived pre-authenticated link (SharePoint/OneDrive):
it needs no token. The download is bounded in size (``MAX_BYTES``, checked on the Content-Length and on
every chunk read) and in time (``TIMEOUT_S`` for all of it), so a huge or slow file cannot hold a turn.

No botbuilder here (attachments come as the serialised dicts ``bot/teams_bot.py`` puts in ``Turn``).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from followup.errors import UserError

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MAX_BYTES = 20 * 1024 * 1024
TIMEOUT_S = 15.0
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileRef:
    name: str
    url: str
    file_type: str
    unique_id: str | None


@dataclass(frozen=True)
class OtherAttachment:
    """Something attached that is not a file Tavla can fetch (a pasted picture, a card)."""

    content_type: str
    name: str


def file_in(attachments: list[dict[str, Any]]) -> FileRef | OtherAttachment | None:
    """The first file sent with a message (or the first non-file attachment), None when there is none."""
    other = None
    for attachment in attachments or []:
        if not isinstance(attachment, dict):
            continue
        kind = attachment.get("contentType") or attachment.get("content_type") or ""
        content = attachment.get("content") if isinstance(attachment.get("content"), dict) else {}
        name = attachment.get("name") if isinstance(attachment.get("name"), str) else ""
        if kind == FILE_DOWNLOAD_INFO:
            url = content.get("downloadUrl")
            if isinstance(url, str) and url:
                file_type = content.get("fileType") if isinstance(content.get("fileType"), str) else ""
                unique = content.get("uniqueId") if isinstance(content.get("uniqueId"), str) else None
                return FileRef(_safe_name(name, file_type), url, file_type.lower(), unique)
        elif isinstance(kind, str) and (kind.startswith("image/") or kind.startswith("application/")
                                        or kind.startswith("video/") or kind.startswith("audio/")):
            if kind != "application/vnd.microsoft.card.adaptive" and other is None:
                other = OtherAttachment(kind, name)
    return other


def is_file_message(attachments: list[dict[str, Any]], text: str) -> bool:
    """A message that is about a file: a file was sent, or only a picture/other attachment without text."""
    found = file_in(attachments)
    return isinstance(found, FileRef) or (found is not None and not (text or "").strip())


def _safe_name(name: str, file_type: str) -> str:
    """The file name as shown and logged: no path, no control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or f"fil.{file_type or 'okand'}"
    return base[-200:]


class DownloadError(UserError):
    """The file could not be fetched (too large, too slow, link expired); nothing was read."""


def _allowed(url: str) -> bool:
    """https, or http only to this machine (a local test endpoint)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme == "http" and parts.hostname:
        try:
            return ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            return parts.hostname == "localhost"
    return False


def too_large(size: int) -> DownloadError:
    mb = MAX_BYTES // (1024 * 1024)
    return DownloadError(f"Filen är för stor för chatten (högst {mb} MB). Dela upp den, eller be IT läsa in den med "
                         "kommandot tavla import.",
                         f"The file is too large for the chat (at most {mb} MB). Split it, or have IT import it.")


async def download(ref: FileRef, *, max_bytes: int | None = None, timeout_s: float | None = None) -> bytes:
    """The file's bytes; ``DownloadError`` when it is too large, too slow, gone or not reachable."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    if not _allowed(ref.url):
        raise DownloadError("Filens länk ser inte ut som en Teams-länk, så jag hämtade den inte.",
                            "The file's link does not look like a Teams link, so I did not fetch it.")
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S if timeout_s is None else timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(ref.url, allow_redirects=True, max_redirects=3) as response:
                if response.status in (401, 403, 404, 410):
                    raise DownloadError("Länken till filen fungerar inte längre. Skicka filen igen.",
                                        "The file's link no longer works. Send the file again.")
                if response.status >= 400:
                    raise DownloadError(f"Filen gick inte att hämta (svar {response.status}). Försök igen om en stund.",
                                        f"The file could not be fetched (status {response.status}). Try again later.")
                if response.content_length is not None and response.content_length > limit:
                    raise too_large(response.content_length)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise too_large(size)
                    chunks.append(chunk)
                return b"".join(chunks)
    except DownloadError:
        raise
    except asyncio.TimeoutError as exc:
        raise DownloadError("Det tog för lång tid att hämta filen. Försök igen, eller dela upp den i mindre filer.",
                            "Fetching the file took too long. Try again, or split it.") from exc
    except aiohttp.ClientError as exc:
        raise DownloadError("Filen gick inte att hämta just nu. Försök igen om en stund.",
                            "The file could not be fetched right now. Try again later.") from exc
