async def test_health(client):
    response = await client.get("/health")
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_me(auth_client):
    response = await auth_client.get("/users/me")
    assert response.status_code == 200
    assert response.json()["email"] == auth_client.user.email
