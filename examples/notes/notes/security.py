"""Password hashing: one hasher for the whole app, made at import (argon2), and the two
functions the rest of the app calls (they look the hasher up when called)."""

from __future__ import annotations

from pwdlib import PasswordHash

password_hash = PasswordHash.recommended()


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> tuple[bool, str | None]:
    """Whether `password` matches, and a new hash to store when `hashed` is of an older scheme."""
    return password_hash.verify_and_update(password, hashed)
