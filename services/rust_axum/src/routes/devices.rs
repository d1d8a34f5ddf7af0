//! `GET /api/devices` (a hard-coded list) and `POST /api/devices` (PostgreSQL, then memcached).

use async_memcached::AsciiProtocol;
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};
use uuid::Uuid;

use crate::{
    config::{DEPENDENCY_TIMEOUT, MEMCACHED_TIMEOUT},
    db,
    error::{AppError, Dependency},
    extract::{AppJson, IdempotencyKey},
    metrics::Op,
    state::AppState,
};

#[derive(Serialize)]
pub struct Device<'a> {
    id: i64,
    uuid: &'a str,
    mac: &'a str,
    firmware: &'a str,
    created_at: &'a str,
    updated_at: &'a str,
}

/// The list of the Go-vs-FastAPI reference, served as is.
const DEVICES: [Device<'static>; 3] = [
    Device {
        id: 1,
        uuid: "9add349c-c35c-4d32-ab0f-53da1ba40a2a",
        mac: "EF-2B-C4-F5-D6-34",
        firmware: "2.1.5",
        created_at: "2024-05-28T15:21:51.137Z",
        updated_at: "2024-05-28T15:21:51.137Z",
    },
    Device {
        id: 2,
        uuid: "d2293412-36eb-46e7-9231-af7e9249fffe",
        mac: "E7-34-96-33-0C-4C",
        firmware: "1.0.3",
        created_at: "2024-01-28T15:20:51.137Z",
        updated_at: "2024-01-28T15:20:51.137Z",
    },
    Device {
        id: 3,
        uuid: "eee58ca8-ca51-47a5-ab48-163fd0e44b77",
        mac: "68-93-9B-B5-33-B9",
        firmware: "4.3.1",
        created_at: "2024-08-28T15:18:21.137Z",
        updated_at: "2024-08-28T15:18:21.137Z",
    },
];

const TIMESTAMP: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The INSERT of a request without an `Idempotency-Key`: the benchmark's load.
const INSERT_DEVICE: &str = "INSERT INTO devices (uuid, mac, firmware, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $4) RETURNING id";
/// The INSERT of a keyed request: no row (and no error) when the key is already taken, also by
/// a request still in flight, whose transaction this one waits for.
const INSERT_KEYED_DEVICE: &str = "INSERT INTO devices \
    (uuid, mac, firmware, created_at, updated_at, idempotency_key) \
    VALUES ($1, $2, $3, $4, $4, $5) \
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id";
const SELECT_BY_KEY: &str = "SELECT id, uuid, mac, firmware, created_at, updated_at \
                             FROM devices WHERE idempotency_key = $1";

/// The detail of a `422` for a key sent again with another mac or firmware.
const KEY_REUSED: &str = "idempotency key reused with a different request";

pub async fn list() -> Json<[Device<'static>; 3]> {
    Json(DEVICES)
}

/// The body of `POST /api/devices`; other fields are ignored.
#[derive(Deserialize)]
pub struct NewDevice {
    mac: String,
    firmware: String,
}

impl NewDevice {
    fn validate(&self) -> Result<(), AppError> {
        if !is_valid_mac(&self.mac) {
            return Err(AppError::Validation(
                "mac must be six hex pairs joined by one separator, '-' or ':'".to_owned(),
            ));
        }
        if !(1..=255).contains(&self.firmware.chars().count()) {
            return Err(AppError::Validation(
                "firmware must be 1 to 255 characters".to_owned(),
            ));
        }
        // PostgreSQL text cannot hold NUL: bad input, not a database failure.
        if self.firmware.contains('\0') {
            return Err(AppError::Validation(
                "firmware must not contain NUL (\\u0000)".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Six hex pairs (either case) joined by one separator used throughout: `-` or `:`.
fn is_valid_mac(mac: &str) -> bool {
    let bytes = mac.as_bytes();
    if bytes.len() != 17 || !matches!(bytes[2], b'-' | b':') {
        return false;
    }
    let separator = bytes[2];
    bytes.chunks(3).all(|group| {
        group[0].is_ascii_hexdigit()
            && group[1].is_ascii_hexdigit()
            && group.get(2).is_none_or(|&c| c == separator)
    })
}

/// What the INSERT found: a new row, or the row an earlier request stored under the same key.
enum Inserted {
    New(i64),
    Existing(ExistingRow),
}

struct ExistingRow {
    id: i64,
    uuid: Uuid,
    mac: String,
    firmware: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

pub async fn create(
    State(state): State<AppState>,
    IdempotencyKey(idempotency_key): IdempotencyKey,
    AppJson(device): AppJson<NewDevice>,
) -> Result<impl IntoResponse, AppError> {
    device.validate()?;

    let uuid = Uuid::new_v4();
    // One timestamp for both columns, at the millisecond precision of the response.
    let now = OffsetDateTime::now_utc().truncate_to_millisecond();
    // The pool checkout and the PREPAREs write nothing: until the INSERT is sent, any failure
    // or the deadline is a 503. From then on see `db::write_failed` and `db::bounded_write`.
    let insert = db::InFlight::default();
    let inserted = state
        .metrics
        .track(
            Op::InsertPostgres,
            db::bounded_write(Dependency::Postgres, DEPENDENCY_TIMEOUT, &insert, async {
                let client = state.postgres.get().await?;
                match &idempotency_key {
                    None => {
                        let statement = client.prepare_cached(INSERT_DEVICE).await?;
                        insert.start();
                        let row = client
                            .query_one(&statement, &[&uuid, &device.mac, &device.firmware, &now])
                            .await
                            .map_err(db::write_failed)?;
                        Ok(Inserted::New(row.get(0)))
                    }
                    Some(key) => insert_keyed(&client, &insert, &uuid, &device, &now, key).await,
                }
            }),
        )
        .await?;

    // A repeat answers the first request's body; the same key with another body is refused.
    let (id, uuid, created_at, updated_at) = match inserted {
        Inserted::New(id) => (id, uuid, now, now),
        Inserted::Existing(row) if row.mac == device.mac && row.firmware == device.firmware => {
            (row.id, row.uuid, row.created_at, row.updated_at)
        }
        Inserted::Existing(_) => return Err(AppError::Validation(KEY_REUSED.to_owned())),
    };

    let uuid = uuid.to_string();
    let body = serde_json::to_vec(&Device {
        id,
        uuid: &uuid,
        mac: &device.mac,
        firmware: &device.firmware,
        created_at: &created_at.format(TIMESTAMP)?,
        updated_at: &updated_at.format(TIMESTAMP)?,
    })?;

    // PostgreSQL is the source of truth: a failed cache write is counted and logged, not fatal.
    // A repeat caches its body again: every 201 body is what the cache holds.
    let key = format!("device:{uuid}");
    let cached = state
        .metrics
        .track(
            Op::SetMemcache,
            db::bounded(Dependency::Memcached, MEMCACHED_TIMEOUT, async {
                let mut client = state.memcache.get().await?;
                client
                    .set(&key, body.as_slice(), Some(state.cache_ttl_seconds), None)
                    .await?;
                Ok(())
            }),
        )
        .await;
    if let Err(err) = cached {
        tracing::warn!(?err, key, "caching the new device failed");
    }

    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    ))
}

/// The INSERT of a keyed request and, when the key was already taken, the row stored under it.
async fn insert_keyed(
    client: &deadpool_postgres::Client,
    insert: &db::InFlight,
    uuid: &Uuid,
    device: &NewDevice,
    now: &OffsetDateTime,
    key: &str,
) -> Result<Inserted, AppError> {
    let statement = client.prepare_cached(INSERT_KEYED_DEVICE).await?;
    let select = client.prepare_cached(SELECT_BY_KEY).await?;
    insert.start();
    let row = client
        .query_opt(
            &statement,
            &[uuid, &device.mac, &device.firmware, now, &key],
        )
        .await
        .map_err(db::write_failed)?;
    insert.end();
    if let Some(row) = row {
        return Ok(Inserted::New(row.get(0)));
    }
    // The key was taken, so this INSERT wrote nothing: what follows is a read. It sees the row
    // even if its request has just committed: the INSERT waited for that commit.
    let row = client
        .query_opt(&select, &[&key])
        .await?
        .ok_or_else(|| AppError::Internal("the row of a taken idempotency key is gone".into()))?;
    Ok(Inserted::Existing(ExistingRow {
        id: row.get("id"),
        uuid: row.get("uuid"),
        mac: row.get("mac"),
        firmware: row.get("firmware"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }))
}

#[cfg(test)]
mod tests {
    use super::is_valid_mac;

    #[test]
    fn mac_accepts_either_separator_and_case() {
        assert!(is_valid_mac("EF-2B-C4-F5-D6-34"));
        assert!(is_valid_mac("ef:2b:c4:f5:d6:34"));
    }

    #[test]
    fn mac_rejects_mixed_separators_and_bad_shapes() {
        for mac in [
            "EF-2B-C4:F5-D6-34",
            "EF2BC4F5D634",
            "EF-2B-C4-F5-D6",
            "EF-2B-C4-F5-D6-34-",
            "EF.2B.C4.F5.D6.34",
            "GF-2B-C4-F5-D6-34",
            "EF-2B-C4-F5-D6-3é",
            "",
        ] {
            assert!(!is_valid_mac(mac), "{mac} accepted");
        }
    }
}
