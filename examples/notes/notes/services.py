"""The rules: who may register, log in, and read or change which note."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from notes.models import AccessToken, Note, User
from notes.schemas import Credentials, NoteCreate, NoteUpdate
from notes.security import hash_password, verify_password


class ServiceError(Exception):
    """A refused request; `status` is its HTTP status, the message its detail."""

    status = 400


class EmailTaken(ServiceError):
    status = 409


class InvalidCredentials(ServiceError):
    status = 401


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, email: str, password: str, *, superuser: bool = False) -> User:
    """A new user, committed; EmailTaken if the address has an account already."""
    if session.scalar(select(User.id).where(User.email == email.lower())) is not None:
        raise EmailTaken(f"{email} already has an account: log in instead")
    user = User(
        email=email.lower(), hashed_password=hash_password(password), is_superuser=superuser
    )
    session.add(user)
    session.commit()
    return user


def register(session: Session, credentials: Credentials) -> User:
    return create_user(session, credentials.email, credentials.password)


def log_in(session: Session, credentials: Credentials) -> str:
    """A new bearer token for these credentials; InvalidCredentials, saying no more, if wrong."""
    user = session.scalar(select(User).where(User.email == credentials.email.lower()))
    if user is None:
        hash_password(credentials.password)  # as long as a wrong password takes
        raise InvalidCredentials("wrong email or password")
    valid, new_hash = verify_password(credentials.password, user.hashed_password)
    if not valid:
        raise InvalidCredentials("wrong email or password")
    if new_hash is not None:  # hashed by an older scheme: store today's
        user.hashed_password = new_hash
    token = secrets.token_urlsafe(32)
    session.add(AccessToken(token_hash=_token_hash(token), user_id=user.id))
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User:
    user = session.scalar(
        select(User).join(AccessToken).where(AccessToken.token_hash == _token_hash(token))
    )
    if user is None:
        raise InvalidCredentials("unknown or expired token: log in again")
    return user


def list_users(session: Session, user: User) -> Sequence[User]:
    if not user.is_superuser:
        raise Forbidden("only a superuser may list the users")
    return session.scalars(select(User).order_by(User.id)).all()


def create_note(session: Session, user: User, data: NoteCreate) -> Note:
    note = Note(owner_id=user.id, title=data.title, body=data.body)
    session.add(note)
    session.commit()
    return note


def list_notes(session: Session, user: User) -> Sequence[Note]:
    return session.scalars(select(Note).where(Note.owner_id == user.id).order_by(Note.id)).all()


def get_note(session: Session, user: User, note_id: int) -> Note:
    """The note if `user` may see it: its owner, or a superuser."""
    note = session.get(Note, note_id)
    if note is None:
        raise NotFound(f"no note {note_id}")
    if note.owner_id != user.id and not user.is_superuser:
        raise Forbidden(f"note {note_id} is another user's")
    return note


def update_note(session: Session, user: User, note_id: int, data: NoteUpdate) -> Note:
    note = get_note(session, user, note_id)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(note, field, value)
    session.commit()
    return note


def delete_note(session: Session, user: User, note_id: int) -> None:
    session.delete(get_note(session, user, note_id))
    session.commit()
