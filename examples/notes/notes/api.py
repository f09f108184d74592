"""Routes: each parses its input, calls one service function, and says what it returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from notes import services
from notes.db import SessionDep
from notes.models import Note, User
from notes.schemas import Credentials, NoteCreate, NoteRead, NoteUpdate, Token, UserRead

router = APIRouter()
bearer = HTTPBearer(auto_error=False)


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None:
        raise services.InvalidCredentials("log in first: send Authorization: Bearer <token>")
    return services.user_for_token(session, credentials.credentials)


CurrentUser = Annotated[User, Depends(current_user)]


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, response_model=UserRead)
def register(session: SessionDep, credentials: Credentials) -> User:
    return services.register(session, credentials)


@router.post("/auth/login")
def log_in(session: SessionDep, credentials: Credentials) -> Token:
    return Token(access_token=services.log_in(session, credentials))


@router.get("/users/me", response_model=UserRead)
def me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, user: CurrentUser) -> Sequence[User]:
    return services.list_users(session, user)


@router.post("/notes", status_code=status.HTTP_201_CREATED, response_model=NoteRead)
def create_note(session: SessionDep, user: CurrentUser, data: NoteCreate) -> Note:
    return services.create_note(session, user, data)


@router.get("/notes", response_model=list[NoteRead])
def list_notes(session: SessionDep, user: CurrentUser) -> Sequence[Note]:
    return services.list_notes(session, user)


@router.get("/notes/{note_id}", response_model=NoteRead)
def get_note(session: SessionDep, user: CurrentUser, note_id: int) -> Note:
    return services.get_note(session, user, note_id)


@router.patch("/notes/{note_id}", response_model=NoteRead)
def update_note(session: SessionDep, user: CurrentUser, note_id: int, data: NoteUpdate) -> Note:
    return services.update_note(session, user, note_id, data)


@router.delete("/notes/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(session: SessionDep, user: CurrentUser, note_id: int) -> None:
    services.delete_note(session, user, note_id)
