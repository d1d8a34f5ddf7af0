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
    extract::AppJson,
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

const INSERT_DEVICE: &str = "INSERT INTO devices (uuid, mac, firmware, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $4) RETURNING id";

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

pub async fn create(
    State(state): State<AppState>,
    AppJson(device): AppJson<NewDevice>,
) -> Result<impl IntoResponse, AppError> {
    device.validate()?;

    let uuid = Uuid::new_v4();
    // One timestamp for both columns, at the millisecond precision of the response.
    let now = OffsetDateTime::now_utc().truncate_to_millisecond();
    let id: i64 = state
        .metrics
        .track(
            Op::InsertPostgres,
            db::bounded(Dependency::Postgres, DEPENDENCY_TIMEOUT, async {
                let client = state.postgres.get().await?;
                let statement = client.prepare_cached(INSERT_DEVICE).await?;
                let row = client
                    .query_one(&statement, &[&uuid, &device.mac, &device.firmware, &now])
                    .await?;
                Ok(row.get(0))
            }),
        )
        .await?;

    let uuid = uuid.to_string();
    let timestamp = now.format(TIMESTAMP)?;
    let body = serde_json::to_vec(&Device {
        id,
        uuid: &uuid,
        mac: &device.mac,
        firmware: &device.firmware,
        created_at: &timestamp,
        updated_at: &timestamp,
    })?;

    // PostgreSQL is the source of truth: a failed cache write is counted and logged, not fatal.
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
