//! The drift check of a database built by 1,000 migrations (300 tables, foreign keys, indexes,
//! checks, views) on PostgreSQL: the whole check (replay of the applied history, introspection,
//! comparison), its parts, and a full `status` with drift.
//!
//! Run with `cargo bench -p driftless-it --bench drift` and `DRIFTLESS_TEST_POSTGRES_URL` set
//! (the goal: under 50 ms on loopback). SQLite always runs.

use std::path::Path;
use std::time::{Duration, Instant};

use driftless::Migrations;
use driftless_core::lock::{self as lockop, LockRequest};
use driftless_core::lockfile;
use sqlx::{AssertSqlSafe, Connection};

const MIGRATIONS: usize = 1000;
const TABLES: usize = 300;
const RUNS: usize = 21;

/// 300 tables, then 700 migrations that change them: columns, indexes, NOT NULL, checks, views.
fn write_folder(dir: &Path, dialect: driftless_core::Dialect) {
    std::fs::create_dir_all(dir).unwrap();
    let pg = dialect == driftless_core::Dialect::Postgres;
    let (id, now) = if pg {
        ("bigserial PRIMARY KEY", "now()")
    } else {
        ("INTEGER PRIMARY KEY AUTOINCREMENT", "CURRENT_TIMESTAMP")
    };
    for i in 1..=MIGRATIONS {
        let sql = if i <= TABLES {
            let parent = if i > 1 {
                format!(",\n  parent_id bigint REFERENCES t{} (id)", i - 1)
            } else {
                String::new()
            };
            format!(
                "CREATE TABLE t{i} (\n  id {id},\n  name varchar(100) NOT NULL,\n  status text \
                 NOT NULL DEFAULT 'new',\n  created_at timestamp NOT NULL DEFAULT {now}{parent}\n);\n"
            )
        } else {
            let t = (i * 7) % TABLES + 1;
            match i % 5 {
                0 => format!("ALTER TABLE t{t} ADD COLUMN c{i} integer DEFAULT 0;\n"),
                1 => format!("CREATE INDEX t{t}_i{i} ON t{t} (name, status);\n"),
                2 => format!("ALTER TABLE t{t} ADD COLUMN note{i} text;\n"),
                3 if pg => format!(
                    "ALTER TABLE t{t} ADD CONSTRAINT t{t}_k{i} CHECK (char_length(name) > 0);\n"
                ),
                3 => format!("CREATE INDEX t{t}_s{i} ON t{t} (status) WHERE status <> 'done';\n"),
                _ => format!("CREATE VIEW v{i} AS SELECT id, name FROM t{t};\n"),
            }
        };
        std::fs::write(dir.join(format!("{i:04}_m{i}.sql")), sql).unwrap();
    }
    let folder = driftless_core::loader::load(dir).unwrap();
    let request = LockRequest {
        dialect: Some(dialect),
        ..LockRequest::default()
    };
    let outcome = lockop::lock(&folder, &request).expect("lock the generated folder");
    std::fs::write(dir.join(lockfile::FILE_NAME), outcome.lock.render()).unwrap();
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn time<T>(mut f: impl AsyncFnMut() -> T) -> Duration {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        std::hint::black_box(f().await);
        times.push(start.elapsed());
    }
    median(times)
}

fn replay_only(m: &Migrations) -> Duration {
    let ranges: Vec<Vec<std::ops::Range<usize>>> = m
        .migrations()
        .iter()
        .map(|m| m.statement_ranges().collect())
        .collect();
    let sources: Vec<driftless_core::drift::Source<'_>> = m
        .migrations()
        .iter()
        .zip(&ranges)
        .map(|(m, statements)| driftless_core::drift::Source {
            path: m.path(),
            sql: m.sql(),
            statements,
            transactional: m.is_transactional(),
        })
        .collect();
    let dialect = match m.dialect() {
        driftless::Dialect::Postgres => driftless_core::Dialect::Postgres,
        driftless::Dialect::Mysql => driftless_core::Dialect::Mysql,
        driftless::Dialect::Sqlite => driftless_core::Dialect::Sqlite,
    };
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        std::hint::black_box(driftless_core::drift::expected(dialect, &sources, &[]));
        times.push(start.elapsed());
    }
    median(times)
}

/// The drift check, its parts, a full status and the no-op boot, on a migrated database.
async fn measure<P: driftless::Pool>(m: &Migrations, pool: &P) -> Vec<(&'static str, Duration)> {
    vec![
        (
            "drift check (replay + introspect + compare)",
            time(async || m.drift(pool).await.unwrap()).await,
        ),
        (
            "  introspection alone",
            time(async || m.migrator().introspect(pool).await.unwrap()).await,
        ),
        ("  replay of 1,000 migrations alone", replay_only(m)),
        (
            "status with drift",
            time(async || m.status(pool).await.unwrap()).await,
        ),
        (
            "no-op boot (for scale)",
            time(async || m.migrate(pool).await.unwrap()).await,
        ),
    ]
}

fn print(db: &str, rows: &[(&str, Duration)]) {
    for (what, t) in rows {
        println!("{db:<10} {what:<44} {:>9.1} ms", t.as_secs_f64() * 1e3);
    }
}

async fn postgres(server: &str) {
    let dir = std::env::temp_dir().join(format!("driftless_drift_bench_pg_{}", std::process::id()));
    write_folder(&dir, driftless_core::Dialect::Postgres);
    let m = Migrations::load(&dir).unwrap();
    let name = format!("driftless_drift_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    let pool = sqlx::PgPool::connect(&format!("{base}/{name}"))
        .await
        .unwrap();
    m.migrate(&pool).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let clean = m.drift(&pool).await.unwrap();
    assert!(!clean.has_drift(), "{:#?}", clean.report.drift);
    println!(
        "PostgreSQL: {MIGRATIONS} migrations, {tables} tables, {} objects compared",
        clean.report.compared
    );
    let rows = measure(&m, &pool).await;
    sqlx::raw_sql("ALTER TABLE t5 ADD COLUMN hotfix int; DROP INDEX t58_i351")
        .execute(&pool)
        .await
        .unwrap();
    let drifted = m.drift(&pool).await.unwrap();
    assert_eq!(drifted.report.drift.len(), 2, "{:#?}", drifted.report.drift);
    let with_drift = time(async || m.status(&pool).await.unwrap()).await;
    print("postgres", &rows);
    print("postgres", &[("status with 2 differences", with_drift)]);
    pool.close().await;
    if std::env::var_os("DRIFTLESS_BENCH_KEEP").is_some() {
        println!("kept database {name}");
        return;
    }
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

async fn sqlite() {
    let dir =
        std::env::temp_dir().join(format!("driftless_drift_bench_lite_{}", std::process::id()));
    write_folder(&dir, driftless_core::Dialect::Sqlite);
    let m = Migrations::load(&dir).unwrap();
    let path = dir.join("bench.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    m.migrate(&pool).await.unwrap();
    let clean = m.drift(&pool).await.unwrap();
    assert!(!clean.has_drift(), "{:#?}", clean.report.drift);
    let rows = measure(&m, &pool).await;
    print("sqlite", &rows);
    pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo test --benches` runs bench targets with `--bench`-less arguments: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    sqlite().await;
    match std::env::var("DRIFTLESS_TEST_POSTGRES_URL") {
        Ok(server) => postgres(&server).await,
        Err(_) => println!("skipped postgres: DRIFTLESS_TEST_POSTGRES_URL is not set"),
    }
}
