"""Uploads cannot exhaust the disk or write outside the user's media folder.

The test settings cap uploads at 64 KiB (MAX_UPLOAD_BYTES). A body declared larger than the cap
plus the multipart allowance is refused before a byte of it is read; one that arrives larger
(chunked, so nothing was declared) is cut off as it arrives; a file just over the limit is caught
while it is stored. Each is a 413 that leaves neither a file nor a row behind. The client's file
name is only ever shown, never used as a path.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.body_limit import MULTIPART_ALLOWANCE
from backend.config import Settings
from backend.models import Video
from tests.fixtures.clients import UserClient
from tests.fixtures.videos import upload_video
from tests.helpers import files_in, user_folder

CHUNK = 4096
STORED_NAME = re.compile(r"^[0-9a-f]{32}(\.mp4)?$")


class CountingBody:
    """A request body that records how much of it the app pulled."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.content), CHUNK):
            piece = self.content[start : start + CHUNK]
            self.sent += len(piece)
            yield piece


def multipart(file_size: int, filename: str = "clip.mp4") -> tuple[bytes, str]:
    """The bytes and Content-Type of an upload form, as httpx would send them."""
    request = httpx.Request(
        "POST",
        "http://test/videos",
        data={"title": "Big", "language": "es"},
        files={"file": (filename, b"v" * file_size, "video/mp4")},
    )
    return request.read(), request.headers["Content-Type"]


async def send(client: UserClient, body: CountingBody, content_type: str, *, declared: bool):
    """POST the form; `declared` sends Content-Length, otherwise the body goes chunked."""
    headers = {"Content-Type": content_type}
    if declared:
        headers["Content-Length"] = str(len(body.content))
    return await client.post("/videos", content=body, headers=headers)


def stored_files(settings: Settings, client: UserClient) -> list[Path]:
    return files_in(user_folder(settings, client.user))


async def video_count(session: AsyncSession, client: UserClient) -> int:
    query = select(func.count()).select_from(Video).where(Video.owner_id == client.user.id)
    return await session.scalar(query) or 0


async def assert_refused_without_trace(
    response: httpx.Response, settings: Settings, client: UserClient, session: AsyncSession
) -> None:
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"the upload exceeds the limit of {settings.max_upload_bytes} bytes"
    }
    assert stored_files(settings, client) == []
    assert await video_count(session, client) == 0


class TestSizeLimit:
    async def test_a_body_declared_over_the_cap_is_refused_before_a_byte_is_read(
        self, auth_client: UserClient, settings: Settings, db_session: AsyncSession
    ):
        content, content_type = multipart(settings.max_upload_bytes + MULTIPART_ALLOWANCE)
        body = CountingBody(content)

        response = await send(auth_client, body, content_type, declared=True)

        await assert_refused_without_trace(response, settings, auth_client, db_session)
        assert body.sent == 0

    async def test_an_undeclared_body_over_the_cap_is_cut_off_as_it_arrives(
        self, auth_client: UserClient, settings: Settings, db_session: AsyncSession
    ):
        content, content_type = multipart(4 * settings.max_upload_bytes)
        body = CountingBody(content)

        response = await send(auth_client, body, content_type, declared=False)

        await assert_refused_without_trace(response, settings, auth_client, db_session)
        assert body.sent <= settings.max_upload_bytes + MULTIPART_ALLOWANCE + CHUNK

    @pytest.mark.parametrize("declared", [True, False], ids=["declared", "chunked"])
    async def test_a_file_just_over_the_limit_is_caught_while_stored(
        self,
        auth_client: UserClient,
        settings: Settings,
        db_session: AsyncSession,
        declared: bool,
    ):
        content, content_type = multipart(settings.max_upload_bytes + 1)
        assert len(content) <= settings.max_upload_bytes + MULTIPART_ALLOWANCE  # passes the cap

        response = await send(auth_client, CountingBody(content), content_type, declared=declared)

        await assert_refused_without_trace(response, settings, auth_client, db_session)

    @pytest.mark.parametrize("declared", [True, False], ids=["declared", "chunked"])
    async def test_a_file_of_exactly_the_limit_is_stored_whole(
        self, auth_client: UserClient, settings: Settings, declared: bool
    ):
        """Control: the refusals above are about size, not about how the body is sent."""
        content, content_type = multipart(settings.max_upload_bytes)

        response = await send(auth_client, CountingBody(content), content_type, declared=declared)

        assert response.status_code == 201, response.text
        assert response.json()["size_bytes"] == settings.max_upload_bytes
        [stored] = stored_files(settings, auth_client)
        assert stored.read_bytes() == b"v" * settings.max_upload_bytes


PATH_LIKE_NAMES = [
    "../../{token}.mp4",
    "../../../../../../{token}.mp4",
    "..\\..\\{token}.mp4",
    "/tmp/{token}.mp4",
    "C:\\Windows\\{token}.mp4",
    "media/../../{token}.mp4",
    "....//....//{token}.mp4",
    "~/{token}.mp4",
    "%2e%2e%2f%2e%2e%2f{token}.mp4",
]


@pytest.mark.parametrize("template", PATH_LIKE_NAMES)
async def test_a_path_like_file_name_stays_a_name(
    auth_client: UserClient, settings: Settings, run_dir: Path, template: str
):
    token = f"escape-{uuid.uuid4().hex}"
    filename = template.format(token=token)

    response = await upload_video(auth_client, b"payload", filename=filename, title="Sneaky")

    assert response.status_code == 201, response.text
    shown = response.json()["original_filename"]
    assert "/" not in shown
    assert "\\" not in shown
    assert shown.endswith(f"{token}.mp4")
    [stored] = stored_files(settings, auth_client)
    assert STORED_NAME.match(stored.name)
    assert stored.read_bytes() == b"payload"
    # Nothing named after the client's file anywhere it could have escaped to.
    # (Only this worker's media tree is searched deeply: other workers delete folders in theirs.)
    outside = {run_dir, run_dir.parent, Path(tempfile.gettempdir()), Path("/tmp"), Path.cwd()}
    escaped = [*settings.media_dir.rglob(f"*{token}*")]
    escaped += [path for place in outside for path in place.glob(f"*{token}*")]
    assert escaped == []
