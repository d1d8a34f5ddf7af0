LIMIT = 65536


def test_declared_oversize_body_is_413_json(client):
    body = b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "' + b"x" * LIMIT + b'"}'
    response = client.post(
        "/api/devices", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"]


def test_oversize_body_on_an_endpoint_that_ignores_it(client):
    response = client.post("/api/io-mix", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413


def test_streamed_oversize_body_is_413_json(client):
    def chunks():  # no Content-Length: sent chunked
        for _ in range(LIMIT // 1024 + 1):
            yield b"x" * 1024

    response = client.post(
        "/api/devices", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"]


def test_streamed_oversize_body_on_an_endpoint_that_ignores_it(client):
    def chunks():
        for _ in range(LIMIT // 1024 + 1):
            yield b"x" * 1024

    response = client.post("/api/io-mix", content=chunks())
    assert response.status_code == 413
    assert response.json()["detail"]


def test_body_at_the_limit_passes_to_validation(client):
    body = b'{"mac": "bad", "firmware": "' + b"x" * (LIMIT - 40) + b'"}'
    assert len(body) <= LIMIT
    response = client.post(
        "/api/devices", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
