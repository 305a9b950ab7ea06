//! An axum service on PostgreSQL that applies its migrations on boot and reports their status on
//! `/ready`. `main.rs` wires it to `DATABASE_URL`, a listener and the shutdown signals; the tests
//! call [`migrate`] and [`app`] directly.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use driftless::Migrations;
use serde::Serialize;
use sqlx::PgPool;

/// `migrations/`, checked during `cargo build` (names, lock file, schema, hazards) and embedded.
pub static MIGRATIONS: Migrations = driftless::migrations!("migrations");

/// How long `/ready` waits for a connection: a probe that hangs is worse than one that fails.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Applies pending migrations (driftless logs each one it applies). A refusal (an edited or
/// unknown migration, a failed one, data loss without consent) applies nothing and comes back as
/// the error, whose message names the `driftless` command that gets the operator out of it.
pub async fn migrate(pool: &PgPool) -> Result<(), driftless::Error> {
    let report = MIGRATIONS.migrate(pool).await?;
    let versions: Vec<u64> = report.applied.iter().map(|a| a.version).collect();
    tracing::info!(
        embedded = MIGRATIONS.migrations().len(),
        applied = ?versions,
        consented = ?report.consents_used(),
        "database schema is up to date"
    );
    Ok(())
}

/// The service's routes: `/health` (the process is up) and `/ready` (the migration status).
pub fn app(pool: PgPool) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .with_state(pool)
}

/// The body of `/ready`: the history of this binary's migrations in the database.
#[derive(Debug, Default, Serialize)]
pub struct Readiness {
    /// Whether an operator should look before the next deploy (`driftless status` exits 1).
    pub needs_attention: bool,
    /// Versions recorded as applied (or baselined).
    pub applied: Vec<u64>,
    /// Embedded versions not applied yet.
    pub pending: Vec<u64>,
    /// Migrations recorded `failed` or `running` (interrupted).
    pub failed: Vec<Failed>,
    /// Applied versions this binary does not embed (a newer deploy ran, or a file was deleted).
    pub unknown_applied: Vec<u64>,
    /// Applied versions whose file was edited since.
    pub checksum_mismatches: Vec<u64>,
    /// Why the status could not be read (the database is unreachable, for instance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A migration that did not complete.
#[derive(Debug, Serialize)]
pub struct Failed {
    /// Its version.
    pub version: u64,
    /// `failed`, or `running` when a run was interrupted.
    pub status: String,
    /// How many of its statements completed.
    pub statements_done: u64,
    /// How many statements it has.
    pub statements_total: u64,
    /// The database's error, when one was recorded.
    pub error: Option<String>,
}

/// 200 when nothing needs attention, 503 otherwise: a load balancer stops sending traffic to a
/// replica whose database an operator has to look at.
async fn ready(State(pool): State<PgPool>) -> (StatusCode, Json<Readiness>) {
    let status = MIGRATIONS
        .migrator()
        .acquire_timeout(READY_TIMEOUT)
        .status(&pool)
        .await;
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: cannot read the migration status");
            let body = Readiness {
                needs_attention: true,
                error: Some(e.to_string()),
                ..Readiness::default()
            };
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
        }
    };
    let body = Readiness {
        needs_attention: status.needs_attention(),
        failed: status
            .failed
            .iter()
            .map(|(version, status, done, total, error)| Failed {
                version: *version,
                status: status.clone(),
                statements_done: *done,
                statements_total: *total,
                error: error.clone(),
            })
            .collect(),
        applied: status.applied,
        pending: status.pending,
        unknown_applied: status.unknown_applied,
        checksum_mismatches: status.checksum_mismatches,
        error: None,
    };
    let code = if body.needs_attention {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(body))
}
