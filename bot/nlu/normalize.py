"""Text normalisation shared by every rule: case, punctuation, å/ä/ö folding, Swedish numbers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "æ": "a", "ø": "o"})
_PUNCT = re.compile(r"[^\w%+\-−,./:]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_AT_TAG = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_HTML = re.compile(r"<[^>]{0,200}>")
_NUMBER = re.compile(r"(?<![\w])([-−]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|[-−]?\d+(?:[.,]\d+)?)(?![\w])")


def clean(text: str) -> str:
    """Remove a leftover ``<at>…</at>`` mention and HTML, normalise Unicode and whitespace."""
    text = unicodedata.normalize("NFC", text or "")
    text = _AT_TAG.sub(" ", text)
    text = _HTML.sub(" ", text)
    text = text.replace("&nbsp;", " ").replace("\u00a0", " ").replace("\u202f", " ")
    return _SPACES.sub(" ", text).strip()


def normalize(text: str) -> str:
    """Lower case, punctuation to spaces (keeping %, decimals, dates), single spaces."""
    text = clean(text).lower()
    text = _PUNCT.sub(" ", text)
    text = re.sub(r"(?<!\d)[,.:/](?!\d)", " ", text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """å/ä/ö → a/a/o so 'frisknarvaro' and 'frisknärvaro' meet."""
    return text if text.isascii() else text.translate(_FOLD)  # the rules' own words are ASCII already


def parse_decimal(token: str) -> Decimal | None:
    """Swedish or English number: ``94,2`` ``1 234,5`` ``−3`` → Decimal; None when it is not one."""
    raw = token.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("−", "-")
    if raw.count(",") == 1 and raw.count(".") == 0:
        raw = raw.replace(",", ".")
    elif raw.count(",") >= 1 and raw.count(".") == 1 and raw.index(",") < raw.index("."):
        raw = raw.replace(",", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class Utterance:
    """What a rule sees: the original text and its normalised and folded forms."""

    raw: str

    @cached_property
    def text(self) -> str:
        return normalize(self.raw)

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    @cached_property
    def words(self) -> tuple[str, ...]:
        return tuple(self.folded.split())

    @cached_property
    def numbers(self) -> tuple[Decimal, ...]:
        found = []
        for match in _NUMBER.finditer(clean(self.raw)):
            value = parse_decimal(match.group(1))
            if value is not None:
                found.append(value)
        return tuple(found)

    def has_any(self, *words: str) -> bool:
        """True when any of the (folded) words or phrases occurs as whole words."""
        padded = f" {self.folded} "
        return any(f" {fold(w)} " in padded for w in words)

    def starts_with(self, *words: str) -> bool:
        return any(self.folded == fold(w) or self.folded.startswith(fold(w) + " ") for w in words)
