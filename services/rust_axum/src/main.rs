use axum::serve::ListenerExt;
use rust_axum::{AppState, Config, app};
use tokio::{net::TcpListener, signal};

/// Worker threads: tokio reads `TOKIO_WORKER_THREADS` (set to 1 in `service.toml`, the 1-vCPU
/// quota); without it, one per CPU.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();

    let config = Config::from_env()?;
    let state = AppState::new(&config)?;
    let mysql = state.mysql.clone();

    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    tracing::info!(addr = %listener.local_addr()?, pool_size = config.pool_size, "listening");
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "failed to set TCP_NODELAY");
        }
    });

    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;

    mysql.disconnect().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl+C) or SIGTERM, as in axum's graceful-shutdown example.
async fn shutdown_signal() {
    let ctrl_c = async {
        signal::ctrl_c()
            .await
            .expect("failed to install the Ctrl+C handler");
    };
    let terminate = async {
        signal::unix::signal(signal::unix::SignalKind::terminate())
            .expect("failed to install the SIGTERM handler")
            .recv()
            .await;
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
