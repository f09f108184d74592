"""Password hashing: one hasher for the whole app, made at import (argon2)."""

from __future__ import annotations

from pwdlib import PasswordHash

password_hash = PasswordHash.recommended()
