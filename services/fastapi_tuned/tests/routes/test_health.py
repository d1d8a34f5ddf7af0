from prometheus_client.parser import text_string_to_metric_families


def test_livez_is_ok_with_every_dependency_down(client):
    resp = client.get("/livez")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_healthz_names_every_dependency_that_is_down(client):
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert set(resp.json()["down"]) == {"postgres", "mysql", "memcached"}


def test_metrics_have_the_contract_names(client):
    names = {f.name for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert {"app_op_duration_seconds", "app_op_errors", "app_db_pool_size", "app_db_pool_in_use"} <= names
