"""Storing an upload: the stored name is generated, and only a plain suffix survives from the
client's file name (multipart clients such as httpx escape control characters in a file name,
so some names reach `store_upload` only from a client that does not)."""

from __future__ import annotations

from io import BytesIO

import pytest
from fastapi import UploadFile

from backend.services.media import store_upload


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [("clip.MP4", ".mp4"), ("clip.mp4\n", ""), ("clip.mp4;rm", ""), ("noext", ""), (None, "")],
)
async def test_only_a_plain_suffix_survives(tmp_path, filename, suffix):
    upload = UploadFile(BytesIO(b"bytes"), filename=filename)

    stored_name, size = await store_upload(upload, tmp_path, limit=100)

    assert size == 5
    assert stored_name[32:] == suffix  # after the 32 hex digits of a uuid
    assert [path.name for path in tmp_path.iterdir()] == [stored_name]
