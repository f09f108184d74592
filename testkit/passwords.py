"""A fast password hasher for tests, in front of the real ones.

argon2 costs ~90 ms a hash and bcrypt more: most of a naive suite's time. Tests hash with a
keyed SHA-256 (deterministic in every process, unlike `hash()`), while argon2 and bcrypt hashes
still verify, so a login against a real production hash works too. It goes in through
`create_app(password_hash=...)`, the seam the app offers; production refuses it.
"""

from __future__ import annotations

import hashlib
import hmac

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

FAST_PREFIX = "$fast-sha256$"
_KEY = b"backend-tests-only"


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class FastHasher:
    """pwdlib hasher: HMAC-SHA256 under a fixed key, marked by its own prefix."""

    @classmethod
    def identify(cls, hash: str | bytes) -> bool:
        return _text(hash).startswith(FAST_PREFIX)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        secret = password.encode() if isinstance(password, str) else password
        return FAST_PREFIX + hmac.new(_KEY, secret, hashlib.sha256).hexdigest()

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        return hmac.compare_digest(self.hash(password), _text(hash))

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        return False


def fast_password_hash() -> PasswordHash:
    """Fast hashes for new passwords; argon2 and bcrypt hashes still verify."""
    return PasswordHash((FastHasher(), Argon2Hasher(), BcryptHasher()))
