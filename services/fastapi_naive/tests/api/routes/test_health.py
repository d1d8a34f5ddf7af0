def test_livez_is_ok_with_every_dependency_down(client):
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_all_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["postgres", "mysql", "memcached"]


def test_metrics_have_every_label_pair(client):
    text = client.get("/metrics").text
    for op, db in [
        ("insert", "postgres"),
        ("set", "memcache"),
        ("select", "postgres"),
        ("get", "external"),
        ("mix", "mysql"),
    ]:
        assert f'app_op_errors_total{{db="{db}",op="{op}"}}' in text
        assert f'app_op_duration_seconds_count{{db="{db}",op="{op}"}}' in text


def test_unknown_path_and_wrong_method_are_json(client):
    assert client.get("/nope").json() == {"detail": "Not Found"}
    response = client.delete("/api/devices")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
