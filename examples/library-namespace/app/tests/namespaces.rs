//! The library's migrations and the application's in one database: a SQLite file always, and a
//! fresh PostgreSQL database on the server of `DRIFTLESS_TEST_POSTGRES_URL` (skipped with a
//! printed line when it is not set, except under `CI=true`, where that fails the test).

use std::sync::atomic::{AtomicU64, Ordering};

use driftless::Migrations;
use library_namespace::{migrate, postgres, sqlite};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{AssertSqlSafe, Connection, PgPool};

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

fn versions(report: &driftless::Report) -> Vec<u64> {
    report.applied.iter().map(|a| a.version).collect()
}

/// What both databases must show after the first boot, the second boot and the status.
fn check_boots(all: &[&Migrations], first: &[driftless::Report], second: &[driftless::Report]) {
    assert_eq!(all[0].namespace(), "job_queue");
    assert_eq!(all[1].namespace(), "");
    assert_eq!(versions(&first[0]), [1, 2], "the library's migrations");
    assert_eq!(versions(&first[1]), [1, 2], "the application's migrations");
    assert!(
        second.iter().all(|r| r.applied.is_empty()),
        "the second boot applied {second:?}"
    );
}

/// Neither namespace sees the other's rows as unknown, and nothing needs attention.
fn check_status(status: &driftless::Status) {
    assert_eq!(status.applied, [1, 2], "{status:?}");
    assert!(status.unknown_applied.is_empty(), "{status:?}");
    assert!(status.pending.is_empty(), "{status:?}");
    assert!(!status.needs_attention(), "{status:?}");
}

#[tokio::test]
async fn sqlite_both_namespaces_in_one_file() {
    let path = std::env::temp_dir().join(format!("{}.db", unique("library_namespace")));
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();

    let first = migrate(&pool, &sqlite::ALL).await.unwrap();
    let second = migrate(&pool, &sqlite::ALL).await.unwrap();
    check_boots(&sqlite::ALL, &first, &second);
    for migrations in sqlite::ALL {
        check_status(&migrations.status(&pool).await.unwrap());
    }

    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT namespace, COUNT(*) FROM _driftless_migrations \
         WHERE version >= 0 AND status = 'applied' GROUP BY namespace ORDER BY namespace",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows, [("".to_owned(), 2), ("job_queue".to_owned(), 2)]);

    // The application's foreign key to the library's table holds.
    let job: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (queue, payload) VALUES ('reports', '{}') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO reports (title, render_job_id) VALUES ('weekly', ?)")
        .bind(job)
        .execute(&pool)
        .await
        .unwrap();
    let orphan = sqlx::query("INSERT INTO reports (title, render_job_id) VALUES ('lost', ?)")
        .bind(job + 1000)
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(
        orphan.to_string().contains("FOREIGN KEY"),
        "expected a foreign-key violation, got {orphan}"
    );

    pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn postgres_both_namespaces_in_one_database() {
    let server = match std::env::var("DRIFTLESS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "DRIFTLESS_TEST_POSTGRES_URL is not set, and CI=true requires the database \
                     tests to run"
                );
            }
            eprintln!("skipped: DRIFTLESS_TEST_POSTGRES_URL is not set");
            return;
        }
    };
    let name = unique("library_namespace");
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let pool = PgPool::connect(&format!("{base}/{name}")).await.unwrap();

    let first = migrate(&pool, &postgres::ALL).await.unwrap();
    let second = migrate(&pool, &postgres::ALL).await.unwrap();
    check_boots(&postgres::ALL, &first, &second);
    for migrations in postgres::ALL {
        check_status(&migrations.status(&pool).await.unwrap());
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT namespace, COUNT(*) FROM _driftless_migrations \
         WHERE version >= 0 AND status = 'applied' GROUP BY namespace ORDER BY namespace",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows, [("".to_owned(), 2), ("job_queue".to_owned(), 2)]);

    let job: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (queue, payload) VALUES ('reports', '{}') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO reports (title, render_job_id) VALUES ('weekly', $1)")
        .bind(job)
        .execute(&pool)
        .await
        .unwrap();
    let orphan = sqlx::query("INSERT INTO reports (title, render_job_id) VALUES ('lost', $1)")
        .bind(job + 1000)
        .execute(&pool)
        .await
        .unwrap_err();
    let code = orphan
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("23503"), "{orphan}");

    pool.close().await;
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::raw_sql(AssertSqlSafe(drop))
        .execute(&mut admin)
        .await
        .unwrap();
}
