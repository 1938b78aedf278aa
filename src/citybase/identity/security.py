"""Password hashing (argon2id) and opaque token handling."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum argon2id profile (m=19 MiB, t=2, p=1): ~20 ms per hash here.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

TOKEN_PREFIX = "cb_"  # noqa: S105 - a public prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash computed once so that unknown usernames cost the same time as wrong passwords.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def burn_time() -> None:
    verify_password(_DUMMY_HASH, "x")


def new_token() -> str:
    """A high-entropy opaque token (256 bits); only its SHA-256 is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
