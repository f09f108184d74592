"""What a test commits, through the app or its own session, no later test sees.

Each test below checks, on a connection of its own outside the test's transaction, that the
table starts empty, commits a note through the app, sees it in `db_session`, and still finds
nothing from outside: the app's COMMIT only released a SAVEPOINT. Whichever of the two runs
second (in one process) also proves the first one's note was rolled back.
"""

import pytest
from sqlalchemy import Engine, func, select

from notes.models import Note

from .helpers import sign_up


def notes_seen_from_outside(sync_engine: Engine) -> int:
    with sync_engine.connect() as outside:
        return outside.scalar(select(func.count()).select_from(Note)) or 0


@pytest.mark.parametrize("attempt", ["first", "second"])
def test_a_commit_is_seen_inside_the_test_and_nowhere_else(
    client, db_session, sync_engine, attempt
):
    assert notes_seen_from_outside(sync_engine) == 0
    assert db_session.scalar(select(func.count()).select_from(Note)) == 0
    response = client.post("/notes", json={"title": attempt}, headers=sign_up(client))
    assert response.status_code == 201
    assert db_session.scalars(select(Note.title)).all() == [attempt]
    assert notes_seen_from_outside(sync_engine) == 0
