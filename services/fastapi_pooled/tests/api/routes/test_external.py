def test_upstream_refused_is_502(client):
    response = client.get("/api/fetch-external")
    assert response.status_code == 502
    assert response.json()["detail"]
