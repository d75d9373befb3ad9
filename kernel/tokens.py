"""Secret tokens handed to a person once (sessions, case tokens, reset and consent links, email codes)
and the one way they are stored: a SHA-256 digest, so a leaked table opens nothing."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A fresh random token, URL-safe, 256 bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of ``token`` and looked up by: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()
