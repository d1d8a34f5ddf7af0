//! `GET /api/users?limit=&after=`: keyset pagination over the PostgreSQL table `users`.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

use crate::{
    config::DEPENDENCY_TIMEOUT,
    db,
    decimal::Decimal,
    error::{AppError, Dependency},
    extract::AppQuery,
    metrics::Op,
    state::AppState,
};

const TIMESTAMP: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

const SELECT_USERS: &str = "SELECT user_id, username, email, created_at FROM users \
                            WHERE user_id > $1 ORDER BY user_id LIMIT $2";

/// Plain decimal digits (see [`Decimal`]), then the range checks below.
#[derive(Deserialize)]
pub struct Page {
    #[serde(default = "Page::default_limit")]
    limit: Decimal,
    #[serde(default = "Page::default_after")]
    after: Decimal,
}

impl Page {
    fn default_limit() -> Decimal {
        Decimal(100)
    }

    fn default_after() -> Decimal {
        Decimal(0)
    }

    fn validate(&self) -> Result<(i32, i64), AppError> {
        let Decimal(limit) = self.limit;
        if !(1..=100).contains(&limit) {
            return Err(AppError::Validation(
                "limit must be an integer from 1 to 100".to_owned(),
            ));
        }
        let after = i32::try_from(self.after.0).map_err(|_| {
            AppError::Validation("after must be an integer from 0 to 2147483647".to_owned())
        })?;
        // `limit` is at most 100: the cast is exact. PostgreSQL's LIMIT takes a bigint.
        Ok((after, limit as i64))
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
            db::bounded(Dependency::Postgres, DEPENDENCY_TIMEOUT, async {
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
                created_at: created_at.format(TIMESTAMP)?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Json(users))
}
