"""A user's videos: creating one with its file, deleting both, transcribing one."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Video, utcnow
from backend.services import media
from backend.services.errors import Conflict
from backend.services.transcription import TranscriptionService


def require_transcript(video: Video) -> str:
    """The video's transcript: what its vocabulary and games are made of."""
    if video.transcript is None:
        raise Conflict(
            "the video has not been transcribed yet: POST /videos/{id}/transcription first"
        )
    return video.transcript


async def create_video(
    session: AsyncSession,
    media_dir: Path,
    max_upload_bytes: int,
    owner_id: uuid.UUID,
    title: str,
    language: str,
    upload: UploadFile | None,
) -> Video:
    """A new video, its file stored first; a failed commit removes the file again."""
    video = Video(owner_id=owner_id, title=title, language=language)
    if upload is not None and upload.filename:
        video.stored_name, video.size_bytes = await media.store_upload(
            upload, media.user_folder(media_dir, owner_id), max_upload_bytes
        )
        video.original_filename = media.display_name(upload.filename)
    # Found before the commit: a failed commit may expire the attributes it is built from.
    stored = media.media_path(media_dir, video)
    session.add(video)
    try:
        await session.commit()
    except BaseException:
        media.remove_file(stored)
        raise
    return video


async def delete_video(session: AsyncSession, media_dir: Path, video: Video) -> None:
    """The row, then its file: a failed commit leaves both."""
    path = media.media_path(media_dir, video)
    await session.delete(video)
    await session.commit()
    media.remove_file(path)


async def transcribe_video(
    session: AsyncSession, media_dir: Path, service: TranscriptionService, video: Video
) -> Video:
    """Transcribe the video's file and keep the transcript (Conflict without a readable file)."""
    path = media.media_path(media_dir, video)
    if path is None or not path.is_file():
        raise Conflict(
            "the video has no media file to transcribe; upload one when creating the video"
        )
    result = await service.transcribe(path, video.language)
    video.transcript = result.text
    video.detected_language = result.language
    video.confidence = result.confidence
    video.transcribed_at = utcnow()
    await session.commit()
    return video
