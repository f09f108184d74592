import pytest
from sqlalchemy import select

from notes.models import Note

from .helpers import sign_up


@pytest.fixture
def owner(client):
    return sign_up(client)


@pytest.fixture
def note(client, owner):
    response = client.post("/notes", json={"title": "groceries", "body": "eggs"}, headers=owner)
    assert response.status_code == 201
    return response.json()


def test_a_created_note_is_stored_for_its_owner(client, owner, note, db_session):
    stored = db_session.get(Note, note["id"])
    assert stored is not None
    assert (stored.title, stored.body) == ("groceries", "eggs")
    me = client.get("/users/me", headers=owner).json()
    assert stored.owner_id == me["id"] == note["owner_id"]


def test_a_user_lists_and_reads_only_their_own_notes(client, owner, note):
    other = sign_up(client)
    client.post("/notes", json={"title": "someone else's"}, headers=other)
    listed = client.get("/notes", headers=owner)
    assert [each["title"] for each in listed.json()] == ["groceries"]
    assert client.get(f"/notes/{note['id']}", headers=owner).json() == note


def test_update_changes_only_the_fields_sent(client, owner, note):
    response = client.patch(f"/notes/{note['id']}", json={"body": "milk"}, headers=owner)
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["body"]) == ("groceries", "milk")


def test_delete_removes_the_note(client, owner, note, db_session):
    assert client.delete(f"/notes/{note['id']}", headers=owner).status_code == 204
    assert client.get(f"/notes/{note['id']}", headers=owner).status_code == 404
    assert db_session.scalar(select(Note).where(Note.id == note["id"])) is None


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_missing_note_is_404(client, owner, method):
    response = client.request(method, "/notes/999999", json={"title": "x"}, headers=owner)
    assert response.status_code == 404
    assert response.json() == {"detail": "no note 999999"}


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_note_is_403_and_stays(client, note, method, db_session):
    intruder = sign_up(client)
    response = client.request(method, f"/notes/{note['id']}", json={"title": "x"}, headers=intruder)
    assert response.status_code == 403
    db_session.expire_all()
    assert db_session.get(Note, note["id"]).title == "groceries"


@pytest.mark.parametrize(
    ("body", "field"), [({}, "title"), ({"title": ""}, "title"), ({"title": "x" * 201}, "title")]
)
def test_an_invalid_note_is_422(client, owner, body, field):
    response = client.post("/notes", json=body, headers=owner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_notes_need_a_login(client, note):
    assert client.get("/notes").status_code == 401
    assert client.get(f"/notes/{note['id']}").status_code == 401
