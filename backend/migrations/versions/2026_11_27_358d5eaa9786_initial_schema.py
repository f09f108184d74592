"""The initial schema: users, videos, word marks, the translation cache, games and questions.

Ids are BIGINT on PostgreSQL (INTEGER on SQLite, whose INTEGER PRIMARY KEY is the rowid and
holds 8 bytes); timestamps are `timestamp with time zone`; user ids are fastapi-users' GUID
(native UUID on PostgreSQL, CHAR(36) on SQLite). Constraint names follow the models' naming
convention, so later revisions can name what they alter.

Revision ID: 358d5eaa9786
Revises:
Create Date: 2026-11-27 10:52:38.996722
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

revision: str = "358d5eaa9786"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_cache",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=64), nullable=False),
        sa.Column("translation", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_cache")),
        sa.UniqueConstraint(
            "source", "target", "text", name=op.f("uq_translation_cache_source_target_text")
        ),
    )
    op.create_table(
        "user",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("hashed_password", sa.String(length=1024), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
    )
    op.create_index(op.f("ix_user_email"), "user", ["email"], unique=True)

    op.create_table(
        "video",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", GUID(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("stored_name", sa.String(length=255), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("detected_language", sa.String(length=8), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("transcribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_video_owner_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video")),
    )
    op.create_index(op.f("ix_video_owner_id"), "video", ["owner_id"], unique=False)

    op.create_table(
        "word_status",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", GUID(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("word", sa.String(length=64), nullable=False),
        sa.Column("known", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_word_status_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_word_status")),
        sa.UniqueConstraint(
            "user_id", "language", "word", name=op.f("uq_word_status_user_id_language_word")
        ),
    )
    op.create_index(op.f("ix_word_status_user_id"), "word_status", ["user_id"], unique=False)

    op.create_table(
        "game",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", GUID(), nullable=False),
        sa.Column("video_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("target_language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_game_owner_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_game_video_id_video"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game")),
    )
    op.create_index(op.f("ix_game_owner_id"), "game", ["owner_id"], unique=False)
    op.create_index(op.f("ix_game_video_id"), "game", ["video_id"], unique=False)

    op.create_table(
        "question",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("game_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=64), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("solution", sa.String(length=256), nullable=False),
        sa.Column("answer", sa.String(length=256), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["game_id"], ["game.id"], name=op.f("fk_question_game_id_game"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
        sa.UniqueConstraint("game_id", "position", name=op.f("uq_question_game_id_position")),
    )
    op.create_index(op.f("ix_question_game_id"), "question", ["game_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_question_game_id"), table_name="question")
    op.drop_table("question")
    op.drop_index(op.f("ix_game_video_id"), table_name="game")
    op.drop_index(op.f("ix_game_owner_id"), table_name="game")
    op.drop_table("game")
    op.drop_index(op.f("ix_word_status_user_id"), table_name="word_status")
    op.drop_table("word_status")
    op.drop_index(op.f("ix_video_owner_id"), table_name="video")
    op.drop_table("video")
    op.drop_index(op.f("ix_user_email"), table_name="user")
    op.drop_table("user")
    op.drop_table("translation_cache")
