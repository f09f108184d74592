"""A fast password hasher for tests, in front of the real ones.

argon2 costs ~90 ms a hash and bcrypt more: most of a naive suite's time. Tests hash with a
keyed SHA-256 (deterministic in every process, unlike `hash()`), while argon2 and bcrypt hashes
still verify, so a login against a real production hash works too. It goes in through
the seam the app offers (a factory's parameter, or the module attribute holding its
`PasswordHash`: ini `fastapi_db_hasher_param` / `fastapi_db_hasher`); an app should refuse a
hasher handed in when it runs in production (the backend's `create_app` does). pwdlib is the
app's own dependency, imported only when the fast hasher is built.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pwdlib import PasswordHash

FAST_PREFIX = "$fast-sha256$"
_KEY = b"pytest-fastapi-db-tests-only"


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


def fast_password_hash(behind: PasswordHash | None = None) -> PasswordHash:
    """Fast hashes for new passwords; the hashes of `behind`'s hashers (by default argon2 and
    bcrypt, when installed) still verify."""
    from pwdlib import PasswordHash
    from pwdlib.exceptions import HasherNotAvailable

    if behind is not None:
        return PasswordHash((FastHasher(), *behind.hashers))
    hashers: list[object] = [FastHasher()]
    for module, name in (("argon2", "Argon2Hasher"), ("bcrypt", "BcryptHasher")):
        try:  # each only where pwdlib has its extra (the hasher says so when built)
            hasher_class = getattr(importlib.import_module(f"pwdlib.hashers.{module}"), name)
            hashers.append(hasher_class())
        except (ImportError, HasherNotAvailable):
            pass
    return PasswordHash(hashers)  # type: ignore[arg-type]
