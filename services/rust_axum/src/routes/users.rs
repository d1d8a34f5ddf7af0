//! `GET /api/users?limit=&after=`: keyset pagination over the PostgreSQL table `users`.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

use crate::{db, error::AppError, extract::AppQuery, metrics::Op, state::AppState};

const TIMESTAMP: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

const SELECT_USERS: &str = "SELECT user_id, username, email, created_at FROM users \
                            WHERE user_id > $1 ORDER BY user_id LIMIT $2";

/// Parsed as `i64` so that any integer reaches the range checks (and answers `422`), while
/// anything that is not an integer is rejected by the extractor.
#[derive(Deserialize)]
pub struct Page {
    #[serde(default = "Page::default_limit")]
    limit: i64,
    #[serde(default)]
    after: i64,
}

impl Page {
    fn default_limit() -> i64 {
        100
    }

    fn validate(&self) -> Result<(i32, i64), AppError> {
        if !(1..=100).contains(&self.limit) {
            return Err(AppError::Validation(
                "limit must be an integer from 1 to 100".to_owned(),
            ));
        }
        let after = i32::try_from(self.after)
            .ok()
            .filter(|after| *after >= 0)
            .ok_or_else(|| {
                AppError::Validation("after must be an integer from 0 to 2147483647".to_owned())
            })?;
        Ok((after, self.limit))
    }
}

#[derive(Serialize)]
pub struct User {
    user_id: i32,
    username: String,
    email: String,
    created_at: String,
}

pub async fn list(
    State(state): State<AppState>,
    AppQuery(page): AppQuery<Page>,
) -> Result<Json<Vec<User>>, AppError> {
    let (after, limit) = page.validate()?;
    let rows = state
        .metrics
        .track(
            Op::SelectPostgres,
            db::bounded(async {
                let client = state.postgres.get().await?;
                let statement = client.prepare_cached(SELECT_USERS).await?;
                Ok(client.query(&statement, &[&after, &limit]).await?)
            }),
        )
        .await?;

    let users = rows
        .iter()
        .map(|row| {
            let created_at: OffsetDateTime = row.get("created_at");
            Ok(User {
                user_id: row.get("user_id"),
                username: row.get("username"),
                email: row.get("email"),
                created_at: created_at
                    .format(TIMESTAMP)
                    .map_err(|err| AppError::Internal(err.to_string()))?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Json(users))
}
