//! Handler tests through `app(state).oneshot(request)`, with no database: the pools are lazy,
//! so only the requests that would reach one are left to the contract suite.

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use rust_axum::{AppState, Config, app};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Every dependency points at a closed port, so nothing here can pass by reaching one.
fn test_app() -> Router {
    let config = Config {
        host: "127.0.0.1".to_owned(),
        port: 0,
        database_url: "postgresql://bench:bench@127.0.0.1:9/bench".to_owned(),
        mysql_url: "mysql://bench:bench@127.0.0.1:9/bench".to_owned(),
        memcached_addr: "127.0.0.1:9".to_owned(),
        external_url: "http://127.0.0.1:9/external".to_owned(),
        pool_size: 2,
        cache_ttl_seconds: 20,
        external_timeout: Duration::from_secs(2),
    };
    app(AppState::new(&config).expect("state builds without connecting"))
}

async fn send(request: Request<Body>) -> (StatusCode, Value) {
    let response = test_app().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json", "{status}");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

async fn get(uri: &str) -> (StatusCode, Value) {
    send(Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post_device(body: impl Into<Body>) -> (StatusCode, Value) {
    let request = Request::post("/api/devices")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap();
    send(request).await
}

fn assert_detail(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert!(body["detail"].is_string(), "{body}");
}

#[tokio::test]
async fn devices_list_is_the_reference_list() {
    let (status, body) = get("/api/devices").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([
            {"id":1,"uuid":"9add349c-c35c-4d32-ab0f-53da1ba40a2a","mac":"EF-2B-C4-F5-D6-34","firmware":"2.1.5","created_at":"2024-05-28T15:21:51.137Z","updated_at":"2024-05-28T15:21:51.137Z"},
            {"id":2,"uuid":"d2293412-36eb-46e7-9231-af7e9249fffe","mac":"E7-34-96-33-0C-4C","firmware":"1.0.3","created_at":"2024-01-28T15:20:51.137Z","updated_at":"2024-01-28T15:20:51.137Z"},
            {"id":3,"uuid":"eee58ca8-ca51-47a5-ab48-163fd0e44b77","mac":"68-93-9B-B5-33-B9","firmware":"4.3.1","created_at":"2024-08-28T15:18:21.137Z","updated_at":"2024-08-28T15:18:21.137Z"}
        ])
    );
}

#[tokio::test]
async fn fib_computes_and_bounds_n() {
    assert_eq!(
        get("/api/fib/0").await,
        (StatusCode::OK, json!({"n": 0, "fibonacci": 0}))
    );
    assert_eq!(
        get("/api/fib/20").await,
        (StatusCode::OK, json!({"n": 20, "fibonacci": 6765}))
    );
    for n in [
        "36",
        "-1",
        "1.5",
        "abc",
        "99999999999999999999",
        "%2B5",
        "-0",
        "%205",
        "5%20",
        "1_0",
        "1e2",
        "0x10",
        "%D9%A3",
        "5%00",
    ] {
        let (status, body) = get(&format!("/api/fib/{n}")).await;
        assert_detail(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn unknown_path_and_wrong_method_are_json() {
    let (status, body) = get("/api/nothing").await;
    assert_detail(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = send(Request::delete("/api/devices").body(Body::empty()).unwrap()).await;
    assert_detail(status, &body, StatusCode::METHOD_NOT_ALLOWED);
    let (status, body) = get("/api/io-mix").await;
    assert_detail(status, &body, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn device_bodies_that_are_not_valid_get_422() {
    let long_firmware = "x".repeat(256);
    let bodies = [
        "{".to_owned(),
        "[]".to_owned(),
        r#"["EF-2B-C4-F5-D6-34", "1.0"]"#.to_owned(),
        "\"text\"".to_owned(),
        r#"{"firmware": "1.0"}"#.to_owned(),
        r#"{"mac": "EF-2B-C4-F5-D6-34"}"#.to_owned(),
        r#"{"mac": null, "firmware": "1.0"}"#.to_owned(),
        r#"{"mac": "EF-2B-C4-F5-D6-34", "firmware": 1}"#.to_owned(),
        r#"{"mac": "EF-2B-C4:F5-D6-34", "firmware": "1.0"}"#.to_owned(),
        r#"{"mac": "EF-2B-C4-F5-D6", "firmware": "1.0"}"#.to_owned(),
        r#"{"mac": "EF-2B-C4-F5-D6-34", "firmware": ""}"#.to_owned(),
        json!({"mac": "EF-2B-C4-F5-D6-34", "firmware": long_firmware}).to_string(),
        r#"{"mac": "EF-2B-C4-F5-D6-34", "firmware": "a\u0000b"}"#.to_owned(),
        r#"{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\ud800"}"#.to_owned(),
        "{\"a\":".repeat(6_000),
    ];
    for body in bodies {
        let (status, detail) = post_device(body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {detail}");
        assert!(detail["detail"].is_string());
    }
}

/// A valid device sent with these `Idempotency-Key` values (none, one, or several).
async fn post_keyed_device(keys: &[&[u8]]) -> (StatusCode, Value) {
    let mut request =
        Request::post("/api/devices").header(header::CONTENT_TYPE, "application/json");
    for key in keys {
        request = request.header("idempotency-key", *key);
    }
    let body = r#"{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1.0"}"#;
    send(request.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn idempotency_key_is_checked_before_any_database_work() {
    let too_long = [b'k'; 256];
    for keys in [
        &[&b""[..]][..],
        &[&too_long],
        &[b"two words"],
        &[b"tab\tinside"],
        &[b"cl\xe9"],
        &[b"same", b"same"],
        &[b"one", b"two"],
    ] {
        let (status, body) = post_keyed_device(keys).await;
        assert_detail(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // A valid key gets as far as PostgreSQL, which refuses the connection: nothing was sent.
    let longest = [b'~'; 255];
    for key in [&b"!"[..], &longest, b"Key-1/2;x=\"y\""] {
        let (status, body) = post_keyed_device(&[key]).await;
        assert_detail(status, &body, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["detail"], "postgres unavailable");
    }
}

#[tokio::test]
async fn device_body_without_json_content_type_gets_422() {
    let request = Request::post("/api/devices")
        .body(Body::from(
            r#"{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1.0"}"#,
        ))
        .unwrap();
    let (status, body) = send(request).await;
    assert_detail(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn device_body_that_is_not_utf8_gets_422() {
    for body in [
        &b"\xff\xfe\xfd"[..],
        b"{\"mac\": \"EF-2B-C4-F5-D6-34\", \"firmware\": \"\xed\xa0\x80\"}",
        b"{\"mac\": \"EF-2B-C4-F5-D6-34\", \"firmware\": \"1.0\", \"x\": \"\xff\"}",
    ] {
        let (status, detail) = post_device(body).await;
        assert_detail(status, &detail, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn oversized_device_body_gets_413() {
    let body = json!({"mac": "EF-2B-C4-F5-D6-34", "firmware": "1", "pad": "x".repeat(70_000)});
    let (status, body) = post_device(body.to_string()).await;
    assert_detail(status, &body, StatusCode::PAYLOAD_TOO_LARGE);
}

/// 65537 bytes sent in 1 KiB chunks with no declared length, as a chunked request arrives.
fn chunked_body() -> Body {
    let chunks = (0..65).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024]));
    Body::from_stream(futures_util::stream::iter(chunks.chain([Ok(vec![b' '])])))
}

#[tokio::test]
async fn oversized_body_gets_413_on_every_route() {
    // io-mix ignores its body and GET handlers never read one: the limit still holds, and
    // it is checked before the databases (all dead here) are touched.
    for (method, uri) in [
        ("POST", "/api/io-mix"),
        ("POST", "/api/devices"),
        ("GET", "/api/devices"),
        ("GET", "/api/users"),
        ("GET", "/healthz"),
        ("POST", "/api/nothing"),
    ] {
        for body in [Body::from(vec![b' '; 65_537]), chunked_body()] {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
                .unwrap();
            let (status, detail) = send(request).await;
            assert_detail(status, &detail, StatusCode::PAYLOAD_TOO_LARGE);
        }
    }
}

#[tokio::test]
async fn body_at_the_limit_is_read() {
    let request = Request::post("/api/io-mix")
        .body(Body::from(vec![b' '; 65_536]))
        .unwrap();
    // Past the limit, to the dead MySQL.
    let (status, detail) = send(request).await;
    assert_detail(status, &detail, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn users_query_is_validated_before_any_database_work() {
    for query in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=1.5",
        "limit=",
        "limit=%2B5",
        "limit=%205",
        "limit=1_0",
        "limit=1e2",
        "limit=%D9%A3",
        "after=-1",
        "after=-0",
        "after=",
        "after=2147483648",
        "after=99999999999",
        "after=x",
    ] {
        let (status, body) = get(&format!("/api/users?{query}")).await;
        assert_detail(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn dead_postgres_gives_503_for_a_valid_request() {
    let (status, body) = get("/api/users?limit=1").await;
    assert_detail(status, &body, StatusCode::SERVICE_UNAVAILABLE);
    // A fixed phrase: the driver's error (address, "connection refused") is only logged.
    assert_eq!(body["detail"], "postgres unavailable");
}

#[tokio::test]
async fn dead_mysql_gives_503_with_a_fixed_detail() {
    let (status, body) = send(Request::post("/api/io-mix").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["detail"], "mysql unavailable");
}

#[tokio::test]
async fn livez_is_ok_with_every_dependency_dead() {
    let (status, body) = get("/livez").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn healthz_lists_every_dead_dependency() {
    let (status, body) = get("/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["down"], json!(["postgres", "mysql", "memcached"]));
    assert_eq!(
        body["detail"],
        "postgres unavailable; mysql unavailable; memcached unavailable"
    );
}

#[tokio::test]
async fn refused_upstream_gives_502() {
    let (status, body) = get("/api/fetch-external").await;
    assert_detail(status, &body, StatusCode::BAD_GATEWAY);
    assert_eq!(body["detail"], "upstream failed");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn metrics_carry_the_standard_process_series() {
    let response = test_app()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    // What the Grafana dashboard's CPU and memory panels read.
    for series in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ",
        "process_open_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(text.contains(series), "{series}missing");
    }
}

#[tokio::test]
async fn metrics_carry_every_label_pair_from_startup() {
    let response = test_app()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    for (op, db) in [
        ("insert", "postgres"),
        ("set", "memcache"),
        ("select", "postgres"),
        ("get", "external"),
        ("mix", "mysql"),
    ] {
        let labels = format!(r#"{{db="{db}",op="{op}"}}"#);
        assert!(
            text.contains(&format!("app_op_errors_total{labels} 0")),
            "{op}/{db}"
        );
        assert!(
            text.contains(&format!("app_op_duration_seconds_count{labels} 0")),
            "{op}/{db}"
        );
    }
    for db in ["postgres", "mysql"] {
        assert!(
            text.contains(&format!("app_db_pool_size{{db=\"{db}\"}} 2")),
            "{db}"
        );
        assert!(
            text.contains(&format!("app_db_pool_in_use{{db=\"{db}\"}} 0")),
            "{db}"
        );
    }
}
