"""The path parameters that name one of the current user's own rows, as Annotated aliases.

A row of another user answers 404 exactly like an absent one (see `not_found`), and so does
an id outside the range of row ids.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from backend.api.common import PathId, is_id, not_found
from backend.db import SessionDep
from backend.models import Game, Video
from backend.queries import get_owned
from backend.users import CurrentUser


async def get_owned_video(video_id: PathId, user: CurrentUser, session: SessionDep) -> Video:
    video = await get_owned(session, Video, video_id, user.id) if is_id(video_id) else None
    if video is None:
        not_found("video")
    return video


async def get_owned_game(game_id: PathId, user: CurrentUser, session: SessionDep) -> Game:
    game = await get_owned(session, Game, game_id, user.id) if is_id(game_id) else None
    if game is None:
        not_found("game")
    return game


OwnedVideo = Annotated[Video, Depends(get_owned_video)]
OwnedGame = Annotated[Game, Depends(get_owned_game)]
