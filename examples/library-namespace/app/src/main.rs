//! Migrates one database with the job queue's migrations and the application's, then enqueues
//! a job and a report that references it. SQLite (`library-namespace.db`) unless `DATABASE_URL`
//! names another database (`postgres://…` or `sqlite://…`). Run it twice: the second boot finds
//! nothing pending in either namespace.

use std::process::ExitCode;
use std::str::FromStr;

use driftless::{Migrations, Report};
use library_namespace::{migrate, namespace_label, postgres, sqlite};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{PgPool, Row};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://library-namespace.db".to_owned());
    let result = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        run_postgres(&url).await
    } else {
        run_sqlite(&url).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

async fn run_sqlite(url: &str) -> Result<()> {
    let options = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await?;
    print_reports(&sqlite::ALL, &migrate(&pool, &sqlite::ALL).await?);
    let job: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (queue, payload) VALUES ('reports', '{\"report\": \"weekly\"}') \
         RETURNING id",
    )
    .fetch_one(&pool)
    .await?;
    sqlx::query("INSERT INTO reports (title, render_job_id) VALUES ('weekly', ?)")
        .bind(job)
        .execute(&pool)
        .await?;
    print_history(sqlx::query(HISTORY).fetch_all(&pool).await?)?;
    pool.close().await;
    Ok(())
}

async fn run_postgres(url: &str) -> Result<()> {
    let pool = PgPool::connect(url).await?;
    print_reports(&postgres::ALL, &migrate(&pool, &postgres::ALL).await?);
    let job: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (queue, payload) VALUES ('reports', '{\"report\": \"weekly\"}') \
         RETURNING id",
    )
    .fetch_one(&pool)
    .await?;
    sqlx::query("INSERT INTO reports (title, render_job_id) VALUES ('weekly', $1)")
        .bind(job)
        .execute(&pool)
        .await?;
    print_history(sqlx::query(HISTORY).fetch_all(&pool).await?)?;
    pool.close().await;
    Ok(())
}

/// Migrations per namespace (bookkeeping rows have negative versions), and the reports.
const HISTORY: &str = "SELECT namespace, COUNT(*) AS migrations, \
                       (SELECT COUNT(*) FROM reports) AS reports \
                       FROM _driftless_migrations WHERE version >= 0 \
                       GROUP BY namespace ORDER BY namespace";

fn print_reports(all: &[&Migrations], reports: &[Report]) {
    for (migrations, report) in all.iter().zip(reports) {
        let namespace = namespace_label(migrations.namespace());
        if report.applied.is_empty() {
            println!("{namespace}: nothing pending");
        }
        for applied in &report.applied {
            println!(
                "{namespace}: applied {:04} {}",
                applied.version, applied.description
            );
        }
    }
}

fn print_history<R: Row>(rows: Vec<R>) -> Result<()>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    for row in &rows {
        let namespace: String = row.try_get("namespace")?;
        let count: i64 = row.try_get("migrations")?;
        println!(
            "history: {count} migrations in namespace {}",
            namespace_label(&namespace)
        );
    }
    if let Some(row) = rows.first() {
        let reports: i64 = row.try_get("reports")?;
        println!("reports in the database: {reports}");
    }
    Ok(())
}
