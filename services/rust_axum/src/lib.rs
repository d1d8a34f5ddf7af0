//! The Rust reference service of the contract (`CONTRACT.md` at the repository root).
//!
//! [`app`] builds the router from an [`AppState`]; `main.rs` only reads the configuration,
//! serves and shuts down, so tests can drive the router directly with `oneshot`.

mod body_limit;
pub mod config;
mod db;
mod decimal;
mod error;
mod extract;
mod memcache;
mod metrics;
mod overload;
mod routes;
mod state;

pub use config::Config;
pub use error::AppError;
pub use routes::app;
pub use state::AppState;
