"""Videos: upload, list, read, delete, and their transcription."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile, status
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import func, select

from backend.api.common import (
    Language,
    Limit,
    Offset,
    Page,
    PathId,
    conflict,
    errors,
    not_found,
)
from backend.db import SessionDep
from backend.dependencies import SettingsDep, TranscriptionDep
from backend.models import Video, utcnow
from backend.users import CurrentUser

router = APIRouter(prefix="/videos", tags=["videos"], responses=errors(401))

CHUNK_BYTES = 1024 * 1024
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


class VideoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    language: str
    original_filename: str | None
    size_bytes: int
    created_at: datetime
    transcribed: bool


class TranscriptionRead(BaseModel):
    video_id: int
    transcript: str
    language: str
    confidence: float
    transcribed_at: datetime


def to_read(video: Video) -> VideoRead:
    return VideoRead(
        id=video.id,
        title=video.title,
        language=video.language,
        original_filename=video.original_filename,
        size_bytes=video.size_bytes,
        created_at=video.created_at,
        transcribed=video.transcript is not None,
    )


async def get_owned_video(video_id: PathId, user: CurrentUser, session: SessionDep) -> Video:
    video = await session.get(Video, video_id)
    if video is None or video.owner_id != user.id:
        not_found("video")
    return video


OwnedVideo = Annotated[Video, Depends(get_owned_video)]


def media_path(media_dir: Path, video: Video) -> Path | None:
    return media_dir / str(video.owner_id) / video.stored_name if video.stored_name else None


def too_large(limit: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, detail=f"the upload exceeds the limit of {limit} bytes"
    )


async def store_upload(upload: UploadFile, folder: Path, limit: int) -> tuple[str, int]:
    """Copy the upload under a generated name; the client's file name never becomes a path."""
    suffix = PurePosixPath((upload.filename or "").replace("\\", "/")).suffix
    stored_name = f"{uuid.uuid4().hex}{suffix.lower() if _SAFE_SUFFIX.match(suffix) else ''}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / stored_name
    size = 0
    try:
        with target.open("wb") as out:
            while chunk := await upload.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return stored_name, size


def display_name(filename: str | None) -> str | None:
    if not filename:
        return None
    return PurePosixPath(filename.replace("\\", "/")).name[:255] or None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    # A body declared too large is refused before it is read: backend/body_limit.py.
    responses={413: {"description": "The upload is larger than MAX_UPLOAD_BYTES"}, **errors(400)},
)
async def create_video(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    # Stripped before the length check: a blank title is a 422, not a video named "   ".
    title: Annotated[
        str, StringConstraints(strip_whitespace=True), Form(min_length=1, max_length=200)
    ],
    language: Annotated[Language, Form()],
    file: Annotated[UploadFile | None, File()] = None,
) -> VideoRead:
    video = Video(owner_id=user.id, title=title, language=language)
    stored: Path | None = None
    if file is not None and file.filename:
        folder = settings.media_dir / str(user.id)
        video.stored_name, video.size_bytes = await store_upload(
            file, folder, settings.max_upload_bytes
        )
        video.original_filename = display_name(file.filename)
        stored = folder / video.stored_name
    session.add(video)
    try:
        await session.commit()
    except BaseException:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    return to_read(video)


@router.get("")
async def list_videos(
    user: CurrentUser, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> Page[VideoRead]:
    mine = Video.owner_id == user.id
    total = await session.scalar(select(func.count()).select_from(Video).where(mine))
    videos = await session.scalars(
        select(Video).where(mine).order_by(Video.id.desc()).limit(limit).offset(offset)
    )
    return Page(items=[to_read(v) for v in videos], total=total or 0, limit=limit, offset=offset)


@router.get("/{video_id}", responses=errors(404))
async def get_video(video: OwnedVideo) -> VideoRead:
    return to_read(video)


@router.delete("/{video_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def delete_video(video: OwnedVideo, session: SessionDep, settings: SettingsDep) -> None:
    path = media_path(settings.media_dir, video)
    await session.delete(video)
    await session.commit()
    if path is not None:
        path.unlink(missing_ok=True)


def transcription_of(video: Video) -> TranscriptionRead:
    if video.transcript is None or video.transcribed_at is None:
        not_found("transcription")
    return TranscriptionRead(
        video_id=video.id,
        transcript=video.transcript,
        language=video.detected_language or video.language,
        confidence=video.confidence or 0.0,
        transcribed_at=video.transcribed_at,
    )


@router.post(
    "/{video_id}/transcription",
    responses={
        503: {"description": "The transcription engine is not available"},
        **errors(404, 409),
    },
)
async def transcribe_video(
    video: OwnedVideo, session: SessionDep, settings: SettingsDep, service: TranscriptionDep
) -> TranscriptionRead:
    path = media_path(settings.media_dir, video)
    if path is None or not path.is_file():
        conflict("the video has no media file to transcribe; upload one when creating the video")
    result = await service.transcribe(path, video.language)
    video.transcript = result.text
    video.detected_language = result.language
    video.confidence = result.confidence
    video.transcribed_at = utcnow()
    await session.commit()
    return transcription_of(video)


@router.get("/{video_id}/transcription", responses=errors(404))
async def read_transcription(video: OwnedVideo) -> TranscriptionRead:
    return transcription_of(video)


def require_transcript(video: Video) -> str:
    if video.transcript is None:
        conflict("the video has not been transcribed yet: POST /videos/{id}/transcription first")
    return video.transcript
