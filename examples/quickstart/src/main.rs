//! The README's first command: embed `migrations/` at compile time, migrate a local SQLite file,
//! and print what was applied. Run it twice: the second boot finds nothing pending.

use std::process::ExitCode;

use driftless::Migrations;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

/// Checked during `cargo build` (names, lock file, schema, hazards) and embedded as data.
static MIGRATIONS: Migrations = driftless::migrations!("migrations");

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quickstart.db".to_owned());
    match run(&path).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new().connect_with(options).await?;

    println!(
        "{} embedded migrations ({} dialect); database: {path}",
        MIGRATIONS.migrations().len(),
        MIGRATIONS.dialect()
    );
    let report = MIGRATIONS.migrate(&pool).await?;
    if report.applied.is_empty() {
        println!("nothing pending: the database is up to date");
    }
    for applied in &report.applied {
        println!(
            "applied {:04} {} ({} statements, {:.1} ms)",
            applied.version,
            applied.description,
            applied.statements,
            applied.duration.as_secs_f64() * 1e3
        );
    }
    let posts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts")
        .fetch_one(&pool)
        .await?;
    println!("posts in the database: {posts}");
    pool.close().await;
    Ok(())
}
