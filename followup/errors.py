"""Typed errors whose message a user may read (Swedish, with English where given)."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix or should know; shown as a clear message, never as a stack trace."""

    def __init__(self, sv: str, en: str | None = None) -> None:
        super().__init__(sv)
        self.sv = sv
        self.en = en or sv

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.sv


class Forbidden(UserError):
    """The caller may not do this (role or unit); the message says who can."""


class Conflict(UserError):
    """Someone else changed the thing first (optimistic locking); the message says who and when."""
