"""Videos: upload, listing, reading and deletion; transcription is in test_transcription_routes."""

from __future__ import annotations

import io

import pytest
from fastapi import UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

from backend.models import User, Video
from backend.services.media import display_name, store_upload
from tests.fixtures.videos import CLIP, upload_video
from tests.helpers import error_locations, files_in, reloaded, user_folder

MISSING_ID = 2**31 - 1


class TestCreate:
    async def test_without_a_file(self, auth_client, db_session, settings):
        response = await upload_video(auth_client, None, title="Just a title", language="fr")

        assert response.status_code == 201
        body = response.json()
        assert body["title"] == "Just a title"
        assert body["language"] == "fr"
        assert (body["original_filename"], body["size_bytes"], body["transcribed"]) == (
            None,
            0,
            False,
        )
        video = await reloaded(db_session, Video, body["id"])
        assert video is not None
        assert video.owner_id == auth_client.user.id
        assert video.stored_name is None
        assert files_in(user_folder(settings, auth_client.user)) == []

    async def test_with_a_file_stores_it_under_the_users_folder(
        self, video_factory, auth_client, db_session, settings
    ):
        body = await video_factory(auth_client, filename="My Clip.MP4")

        assert body["size_bytes"] == len(CLIP)
        assert body["original_filename"] == "My Clip.MP4"
        video = await reloaded(db_session, Video, body["id"])
        assert video is not None
        assert video.stored_name is not None
        # A generated name, not the client's; the (safe) suffix is kept, lowercased.
        assert video.stored_name != "My Clip.MP4"
        assert video.stored_name.endswith(".mp4")
        [stored] = files_in(user_folder(settings, auth_client.user))
        assert stored.name == video.stored_name
        assert stored.read_bytes() == CLIP

    async def test_two_uploads_of_the_same_name_do_not_collide(
        self, video_factory, auth_client, settings
    ):
        first = await video_factory(auth_client, content=b"first")
        second = await video_factory(auth_client, content=b"second")

        assert first["original_filename"] == second["original_filename"] == "clip.mp4"
        stored = files_in(user_folder(settings, auth_client.user))
        assert sorted(path.read_bytes() for path in stored) == [b"first", b"second"]

    @pytest.mark.parametrize(
        ("filename", "shown"),
        [
            ("../../etc/passwd.mp4", "passwd.mp4"),
            ("..\\..\\x.mp4", "x.mp4"),
            ("/abs/path/clip.webm", "clip.webm"),
            ("C:\\Users\\me\\Videos\\trip.mkv", "trip.mkv"),
        ],
    )
    async def test_a_path_like_filename_stays_inside_the_users_folder(
        self, video_factory, auth_client, db_session, settings, filename, shown
    ):
        body = await video_factory(auth_client, filename=filename)

        assert body["original_filename"] == shown
        video = await reloaded(db_session, Video, body["id"])
        assert video is not None
        folder = user_folder(settings, auth_client.user)
        [stored] = files_in(folder)
        assert stored.name == video.stored_name
        assert stored.resolve().parent == folder.resolve()
        assert "/" not in video.stored_name
        assert "\\" not in video.stored_name

    @pytest.mark.parametrize("filename", ["clip.mp4;rm -rf", "noext", "clip.<script>"])
    async def test_an_odd_suffix_is_dropped_from_the_stored_name(
        self, video_factory, auth_client, db_session, filename
    ):
        body = await video_factory(auth_client, filename=filename)

        video = await reloaded(db_session, Video, body["id"])
        assert video is not None
        assert video.stored_name is not None
        assert "." not in video.stored_name

    async def test_an_empty_file_is_stored_with_size_zero(
        self, video_factory, auth_client, settings
    ):
        body = await video_factory(auth_client, content=b"")

        assert body["size_bytes"] == 0
        [stored] = files_in(user_folder(settings, auth_client.user))
        assert stored.read_bytes() == b""

    async def test_title_is_stripped(self, video_factory, auth_client):
        body = await video_factory(auth_client, content=None, title="  Padded title  ")
        assert body["title"] == "Padded title"

    @pytest.mark.parametrize("language", ["EN", "english", "e", "e1", "es-ES", ""])
    async def test_invalid_language_is_422(self, auth_client, settings, language):
        response = await upload_video(auth_client, language=language)

        assert response.status_code == 422
        assert ["body", "language"] in error_locations(response)
        assert files_in(user_folder(settings, auth_client.user)) == []

    @pytest.mark.parametrize("title", ["", "   ", "x" * 201])
    async def test_invalid_title_is_422(self, auth_client, settings, title):
        response = await upload_video(auth_client, title=title)

        assert response.status_code == 422
        assert ["body", "title"] in error_locations(response)
        assert files_in(user_folder(settings, auth_client.user)) == []

    @pytest.mark.parametrize("missing", ["title", "language"])
    async def test_missing_field_is_422(self, auth_client, missing):
        form = {"title": "T", "language": "es"}
        del form[missing]

        response = await auth_client.post("/videos", data=form)

        assert response.status_code == 422
        assert ["body", missing] in error_locations(response)

    async def test_a_file_part_without_a_name_is_422(self, auth_client, settings):
        response = await upload_video(auth_client, b"data", filename="", title="T")

        assert response.status_code == 422
        assert ["body", "file"] in error_locations(response)
        assert files_in(user_folder(settings, auth_client.user)) == []

    async def test_json_instead_of_a_form_is_422(self, auth_client):
        response = await auth_client.post("/videos", json={"title": "T", "language": "es"})

        assert response.status_code == 422
        assert ["body", "title"] in error_locations(response)

    async def test_without_token_is_401_and_stores_nothing(self, client, settings):
        before = files_in(settings.media_dir)

        response = await upload_video(client)

        assert response.status_code == 401
        assert files_in(settings.media_dir) == before


class TestUploadLimit:
    """Uploads over MAX_UPLOAD_BYTES are refused with 413 and leave no file behind."""

    async def test_a_file_of_exactly_the_limit_is_accepted(
        self, video_factory, auth_client, settings
    ):
        body = await video_factory(auth_client, content=b"v" * settings.max_upload_bytes)
        assert body["size_bytes"] == settings.max_upload_bytes

    async def test_an_oversized_file_is_413_and_removed(self, auth_client, db_session, settings):
        # Within the framing allowance of the Content-Length check: caught while streaming.
        response = await upload_video(auth_client, b"v" * (settings.max_upload_bytes + 1))

        assert response.status_code == 413
        assert str(settings.max_upload_bytes) in response.json()["detail"]
        assert files_in(user_folder(settings, auth_client.user)) == []
        rows = await db_session.scalars(select(Video).where(Video.owner_id == auth_client.user.id))
        assert rows.all() == []

    async def test_a_body_declared_far_too_large_is_refused_before_reading(
        self, auth_client, settings
    ):
        """The declared size alone is enough: the small body sent is never stored."""
        declared = str(settings.max_upload_bytes + 65 * 1024)

        response = await upload_video(
            auth_client, b"small", filename="a.mp4", title="T", headers={"Content-Length": declared}
        )

        assert response.status_code == 413
        assert files_in(user_folder(settings, auth_client.user)) == []

    async def test_store_upload_removes_the_partial_file(self, tmp_path):
        """The streaming guard on its own, with chunks smaller than the payload."""
        upload_file = UploadFile(io.BytesIO(b"z" * 10), filename="big.mp4", headers=Headers())

        with pytest.raises(Exception, match="exceeds the limit of 9 bytes") as raised:
            await store_upload(upload_file, tmp_path / "user", limit=9)

        assert getattr(raised.value, "status_code", None) == 413
        assert list((tmp_path / "user").iterdir()) == []

    async def test_store_upload_returns_the_generated_name_and_size(self, tmp_path):
        upload_file = UploadFile(io.BytesIO(b"12345"), filename="a.WebM", headers=Headers())

        name, size = await store_upload(upload_file, tmp_path, limit=5)

        assert size == 5
        assert name.endswith(".webm")
        assert (tmp_path / name).read_bytes() == b"12345"


class TestDisplayName:
    @pytest.mark.parametrize(
        ("filename", "shown"),
        [
            (None, None),
            ("", None),
            ("/", None),
            ("a/b\\c.mp4", "c.mp4"),
            ("x" * 300, "x" * 255),
        ],
    )
    def test_display_name_is_a_bounded_base_name(self, filename, shown):
        """What the API shows as original_filename: never a path, never over the column size."""
        assert display_name(filename) == shown


class TestList:
    async def add_videos(self, session: AsyncSession, user: User, count: int) -> list[int]:
        videos = [Video(owner_id=user.id, title=f"v{i}", language="es") for i in range(count)]
        session.add_all(videos)
        await session.commit()
        return [video.id for video in videos]

    async def test_only_own_videos_newest_first(self, auth_client, other_client, db_session):
        mine = await self.add_videos(db_session, auth_client.user, 3)
        await self.add_videos(db_session, other_client.user, 2)

        response = await auth_client.get("/videos")

        assert response.status_code == 200
        body = response.json()
        assert [item["id"] for item in body["items"]] == sorted(mine, reverse=True)
        assert (body["total"], body["limit"], body["offset"]) == (3, 20, 0)

    @pytest.mark.parametrize(
        ("limit", "offset", "expected"), [(2, 0, [0, 1]), (2, 2, [2]), (5, 3, [])]
    )
    async def test_pagination(self, auth_client, db_session, limit, offset, expected):
        newest_first = sorted(await self.add_videos(db_session, auth_client.user, 3), reverse=True)

        response = await auth_client.get("/videos", params={"limit": limit, "offset": offset})

        body = response.json()
        assert [item["id"] for item in body["items"]] == [newest_first[i] for i in expected]
        assert (body["total"], body["limit"], body["offset"]) == (3, limit, offset)

    async def test_empty(self, auth_client):
        response = await auth_client.get("/videos")
        assert response.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": 101}, "limit"),
            ({"limit": "ten"}, "limit"),
            ({"offset": -1}, "offset"),
            ({"offset": 1_000_001}, "offset"),
        ],
    )
    async def test_invalid_paging_is_422(self, auth_client, params, field):
        response = await auth_client.get("/videos", params=params)

        assert response.status_code == 422
        assert ["query", field] in error_locations(response)

    async def test_without_token_is_401(self, client):
        assert (await client.get("/videos")).status_code == 401


class TestReadAndDelete:
    async def test_read(self, video_factory, auth_client):
        created = await video_factory(auth_client)

        response = await auth_client.get(f"/videos/{created['id']}")

        assert response.status_code == 200
        assert response.json() == created

    async def test_delete_removes_the_row_and_the_file(
        self, video_factory, auth_client, db_session, settings
    ):
        created = await video_factory(auth_client)
        [stored] = files_in(user_folder(settings, auth_client.user))

        response = await auth_client.delete(f"/videos/{created['id']}")

        assert response.status_code == 204
        assert await reloaded(db_session, Video, created["id"]) is None
        assert not stored.exists()
        again = await auth_client.delete(f"/videos/{created['id']}")
        assert again.status_code == 404
        assert (await auth_client.get(f"/videos/{created['id']}")).status_code == 404

    async def test_delete_a_video_without_a_file(self, video_factory, auth_client, db_session):
        created = await video_factory(auth_client, content=None)

        assert (await auth_client.delete(f"/videos/{created['id']}")).status_code == 204
        assert await reloaded(db_session, Video, created["id"]) is None

    async def test_delete_when_the_file_is_already_gone(
        self, video_factory, auth_client, db_session, settings
    ):
        """A file removed by hand must not make the row undeletable."""
        created = await video_factory(auth_client)
        for path in files_in(user_folder(settings, auth_client.user)):
            path.unlink()

        assert (await auth_client.delete(f"/videos/{created['id']}")).status_code == 204
        assert await reloaded(db_session, Video, created["id"]) is None


ID_ROUTES = [
    ("GET", "/videos/{id}"),
    ("DELETE", "/videos/{id}"),
    ("POST", "/videos/{id}/transcription"),
    ("GET", "/videos/{id}/transcription"),
]


class TestAccessControl:
    @pytest.mark.parametrize(("method", "route"), ID_ROUTES)
    async def test_another_users_video_looks_missing(
        self,
        video_factory,
        auth_client,
        other_client,
        db_session,
        settings,
        transcription,
        method,
        route,
    ):
        theirs = await video_factory(other_client)

        response = await auth_client.request(method, route.format(id=theirs["id"]))
        absent = await auth_client.request(method, route.format(id=MISSING_ID))

        assert response.status_code == 404
        assert response.json() == absent.json() == {"detail": "video not found"}
        video = await reloaded(db_session, Video, theirs["id"])
        assert video is not None
        assert video.transcript is None
        assert len(files_in(user_folder(settings, other_client.user))) == 1
        assert transcription.calls == []

    @pytest.mark.parametrize(("method", "route"), ID_ROUTES)
    async def test_without_token_is_401(self, video_factory, client, other_client, method, route):
        theirs = await video_factory(other_client, content=None)

        response = await client.request(method, route.format(id=theirs["id"]))

        assert response.status_code == 401

    @pytest.mark.parametrize(("method", "route"), ID_ROUTES)
    @pytest.mark.parametrize("bad_id", ["abc", "1.5"])
    async def test_invalid_id_is_422(self, auth_client, method, route, bad_id):
        response = await auth_client.request(method, route.format(id=bad_id))

        assert response.status_code == 422
        assert ["path", "video_id"] in error_locations(response)

    @pytest.mark.parametrize(("method", "route"), ID_ROUTES)
    async def test_an_id_no_row_can_have_is_404(self, auth_client, method, route):
        """The schema allows any integer; one past the 64-bit range names no video."""
        response = await auth_client.request(method, route.format(id=2**63))

        assert response.status_code == 404
        assert response.json() == {"detail": "video not found"}
