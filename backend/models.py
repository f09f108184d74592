"""Database tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID
from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Ids hold the whole range the API accepts (PathId: up to 2**63 - 1): BIGINT on PostgreSQL,
# where INTEGER is 4 bytes. SQLite keeps INTEGER, the only type that makes a primary key the
# auto-incrementing rowid (and SQLite's INTEGER holds 8 bytes anyway).
Id = BigInteger().with_variant(Integer, "sqlite")

# Every constraint and index gets a predictable name, the same on every engine, so a migration
# can name what it alters or drops (Alembic's recommended convention).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out on every engine.

    PostgreSQL stores `timestamp with time zone`; SQLite stores text without an offset, so a
    value is converted to UTC before it is written and read back as UTC. A naive value is
    taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


def owner_column() -> Mapped[uuid.UUID]:
    return mapped_column(GUID, ForeignKey("user.id", ondelete="CASCADE"), index=True)


class Video(Base):
    __tablename__ = "video"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    owner_id: Mapped[uuid.UUID] = owner_column()
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    stored_name: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    transcript: Mapped[str | None] = mapped_column(Text)
    detected_language: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[float | None] = mapped_column(Float)
    transcribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WordStatus(Base):
    """Whether a user knows a word of a language."""

    __tablename__ = "word_status"
    __table_args__ = (UniqueConstraint("user_id", "language", "word"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[uuid.UUID] = owner_column()
    language: Mapped[str] = mapped_column(String(8))
    word: Mapped[str] = mapped_column(String(64))
    known: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CachedTranslation(Base):
    __tablename__ = "translation_cache"
    __table_args__ = (UniqueConstraint("source", "target", "text"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(64))
    translation: Mapped[str] = mapped_column(String(256))


class Game(Base):
    __tablename__ = "game"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    owner_id: Mapped[uuid.UUID] = owner_column()
    video_id: Mapped[int] = mapped_column(
        Id, ForeignKey("video.id", ondelete="CASCADE"), index=True
    )
    seed: Mapped[int]
    target_language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    questions: Mapped[list[Question]] = relationship(
        back_populates="game",
        order_by="Question.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def finished(self) -> bool:
        return all(question.answer is not None for question in self.questions)

    @property
    def score(self) -> int:
        return sum(1 for question in self.questions if question.correct)


class Question(Base):
    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("game_id", "position"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    game_id: Mapped[int] = mapped_column(Id, ForeignKey("game.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    word: Mapped[str] = mapped_column(String(64))
    options: Mapped[list[Any]] = mapped_column(JSON)
    solution: Mapped[str] = mapped_column(String(256))
    answer: Mapped[str | None] = mapped_column(String(256))
    correct: Mapped[bool | None]
    game: Mapped[Game] = relationship(back_populates="questions")
