"""Uploaded media on disk. The folder layout, `media_dir/<owner id>/<stored name>`, is decided
here and nowhere else, so the routes that write files and the user deletion that removes them
cannot drift apart."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path, PurePosixPath

from fastapi import UploadFile

from backend.body_limit import too_large
from backend.models import Video

CHUNK_BYTES = 1024 * 1024
# Used with fullmatch: a pattern ending in `$` would let a final newline through.
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")


def user_folder(media_dir: Path, owner_id: uuid.UUID) -> Path:
    return media_dir / str(owner_id)


def media_path(media_dir: Path, video: Video) -> Path | None:
    if not video.stored_name:
        return None
    return user_folder(media_dir, video.owner_id) / video.stored_name


async def store_upload(upload: UploadFile, folder: Path, limit: int) -> tuple[str, int]:
    """Copy the upload under a generated name; the client's file name never becomes a path."""
    suffix = PurePosixPath((upload.filename or "").replace("\\", "/")).suffix
    stored_name = f"{uuid.uuid4().hex}{suffix.lower() if _SAFE_SUFFIX.fullmatch(suffix) else ''}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / stored_name
    size = 0
    try:
        with target.open("wb") as out:
            while chunk := await upload.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    # The middleware's own 413: a client cannot tell which check caught it.
                    raise too_large(limit)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return stored_name, size


def display_name(filename: str | None) -> str | None:
    """The client's file name as shown back: a bounded base name, never a path."""
    if not filename:
        return None
    return PurePosixPath(filename.replace("\\", "/")).name[:255] or None


def remove_file(path: Path | None) -> None:
    """Forget a stored file; one already gone (or never stored) is not an error."""
    if path is not None:
        path.unlink(missing_ok=True)


def remove_user_folder(media_dir: Path, owner_id: uuid.UUID) -> None:
    shutil.rmtree(user_folder(media_dir, owner_id), ignore_errors=True)
