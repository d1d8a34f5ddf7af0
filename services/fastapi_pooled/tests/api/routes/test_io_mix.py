def test_mysql_down_is_503_json(client):
    response = client.post("/api/io-mix")
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable"}
