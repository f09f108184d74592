"""Videos: upload, list, read, delete, and their transcription."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel, ConfigDict, StringConstraints

from backend.api.common import Language, Limit, Offset, Page, conflict, errors, not_found, paginate
from backend.api.dependencies import OwnedVideo
from backend.db import SessionDep
from backend.dependencies import SettingsDep, TranscriptionDep
from backend.models import Video, utcnow
from backend.services import media
from backend.users import CurrentUser

router = APIRouter(prefix="/videos", tags=["videos"], responses=errors(401))


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
    if file is not None and file.filename:
        video.stored_name, video.size_bytes = await media.store_upload(
            file, media.user_folder(settings.media_dir, user.id), settings.max_upload_bytes
        )
        video.original_filename = media.display_name(file.filename)
    # Found before the commit: a failed commit may expire the attributes it is built from.
    stored = media.media_path(settings.media_dir, video)
    session.add(video)
    try:
        await session.commit()
    except BaseException:
        media.remove_file(stored)
        raise
    return to_read(video)


@router.get("")
async def list_videos(
    user: CurrentUser, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> Page[VideoRead]:
    return await paginate(session, Video, user.id, limit, offset, to_read)


@router.get("/{video_id}", responses=errors(404))
async def get_video(video: OwnedVideo) -> VideoRead:
    return to_read(video)


@router.delete("/{video_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def delete_video(video: OwnedVideo, session: SessionDep, settings: SettingsDep) -> None:
    path = media.media_path(settings.media_dir, video)
    await session.delete(video)
    await session.commit()
    media.remove_file(path)


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
    path = media.media_path(settings.media_dir, video)
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
