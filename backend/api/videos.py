"""Videos: upload, list, read, delete, and their transcription."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from backend.api.common import (
    MAX_TITLE_LENGTH,
    RESPONSE_ID,
    TITLE_PATTERN,
    ErrorRead,
    Language,
    Limit,
    Offset,
    Page,
    domain_errors,
    errors,
    link,
    paginate,
)
from backend.api.dependencies import OwnedVideo
from backend.db import SessionDep
from backend.dependencies import SettingsDep, TranscriptionDep
from backend.models import Video
from backend.services import videos
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


class TranscriptionStatus(StrEnum):
    NOT_TRANSCRIBED = "not_transcribed"
    TRANSCRIBED = "transcribed"


class TranscriptionRead(BaseModel):
    """A video's transcription. Every video has one: until it is made (POST
    /videos/{video_id}/transcription), `status` is `not_transcribed` and the other fields are
    null."""

    video_id: int
    status: TranscriptionStatus
    transcript: str | None
    language: str | None = Field(description="The language detected, else the video's")
    confidence: float | None
    transcribed_at: datetime | None


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


# What a client can do with a video it has just created.
VIDEO_LINKS = {
    "GetVideo": link("get_video_videos__video_id__get", "Read the video", video_id=RESPONSE_ID),
    "DeleteVideo": link(
        "delete_video_videos__video_id__delete", "Delete the video", video_id=RESPONSE_ID
    ),
    "TranscribeVideo": link(
        "transcribe_video_videos__video_id__transcription_post",
        "Transcribe the video (409 without a media file)",
        video_id=RESPONSE_ID,
    ),
    "GetTranscription": link(
        "read_transcription_videos__video_id__transcription_get",
        "Read the transcription (status `not_transcribed` until it is made)",
        video_id=RESPONSE_ID,
    ),
    "GetVocabulary": link(
        "video_vocabulary_videos__video_id__vocabulary_get",
        "The video's words (409 until it is transcribed)",
        video_id=RESPONSE_ID,
    ),
    "StartGame": link(
        "create_game_games_post",
        "A quiz on the video's words (409 until it is transcribed)",
        request_body={"video_id": RESPONSE_ID},
    ),
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    # A body declared too large is refused before it is read: backend/body_limit.py.
    responses={
        201: {"description": "The video, created", "links": VIDEO_LINKS},
        413: {"description": "The upload is larger than MAX_UPLOAD_BYTES"},
        **errors(400),
    },
)
async def create_video(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    # Stored stripped: a blank title is a 422, not a video named "   ".
    title: Annotated[
        str,
        Form(
            pattern=TITLE_PATTERN,
            description=f"1 to {MAX_TITLE_LENGTH} characters once the whitespace around them "
            "is removed (it is not stored)",
        ),
    ],
    language: Annotated[Language, Form()],
    # Optional but never null: a part named `file` must be a file (a text part is a 422).
    # Typed without `None` so the schema says so; FastAPI passes None when the part is absent.
    file: Annotated[
        UploadFile,
        File(description="The video file, any bytes; leave the part out for a video without one"),
    ] = None,  # type: ignore[assignment]
) -> VideoRead:
    video = await videos.create_video(
        session, settings.media_dir, settings.max_upload_bytes, user.id, title.strip(), language,
        file,
    )  # fmt: skip
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
    await videos.delete_video(session, settings.media_dir, video)


def transcription_of(video: Video) -> TranscriptionRead:
    if video.transcript is None or video.transcribed_at is None:
        return TranscriptionRead(
            video_id=video.id,
            status=TranscriptionStatus.NOT_TRANSCRIBED,
            transcript=None,
            language=None,
            confidence=None,
            transcribed_at=None,
        )
    return TranscriptionRead(
        video_id=video.id,
        status=TranscriptionStatus.TRANSCRIBED,
        transcript=video.transcript,
        language=video.detected_language or video.language,
        confidence=video.confidence or 0.0,
        transcribed_at=video.transcribed_at,
    )


@router.post(
    "/{video_id}/transcription",
    responses={
        **errors(404, 409),
        409: {
            "model": ErrorRead,
            "description": "The video has no media file, or one that is no audio or video",
        },
        503: {"description": "The transcription engine is not available"},
    },
)
async def transcribe_video(
    video: OwnedVideo, session: SessionDep, settings: SettingsDep, service: TranscriptionDep
) -> TranscriptionRead:
    with domain_errors():
        await videos.transcribe_video(session, settings.media_dir, service, video)
    return transcription_of(video)


@router.get(
    "/{video_id}/transcription",
    responses={
        200: {
            "description": "The video's transcription. A transcription not made yet is no "
            "404 (that is a video you do not have): `status` is `not_transcribed` and "
            "POST /videos/{video_id}/transcription makes it"
        },
        **errors(404),
    },
)
async def read_transcription(video: OwnedVideo) -> TranscriptionRead:
    return transcription_of(video)
