//! Boot times on 1,000 generated migrations: driftless against `sqlx::migrate::Migrator`.
//!
//! Run with `cargo bench -p driftless-it --bench boot`; a database whose URL
//! (`DRIFTLESS_TEST_POSTGRES_URL`) is unset is skipped. SQLite always runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use driftless::Migrations;
use driftless_core::lock::{self as lockop, LockRequest};
use driftless_core::lockfile;
use sqlx::{AssertSqlSafe, Connection};

const COUNT: usize = 1000;
const RUNS: usize = 21;

fn write_folder(dir: &Path, lock: Option<driftless_core::Dialect>) {
    write_first(dir, COUNT, lock);
}

/// A folder of the first `count` generated migrations.
fn write_first(dir: &Path, count: usize, lock: Option<driftless_core::Dialect>) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 1..=count {
        let sql = format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v INTEGER);\nINSERT INTO t{i} VALUES (1, {i});\n"
        );
        std::fs::write(dir.join(format!("{i:04}_t{i}.sql")), sql).unwrap();
    }
    if let Some(dialect) = lock {
        let folder = driftless_core::loader::load(dir).unwrap();
        let request = LockRequest {
            dialect: Some(dialect),
            ..LockRequest::default()
        };
        let outcome = lockop::lock(&folder, &request).expect("lock the generated folder");
        std::fs::write(dir.join(lockfile::FILE_NAME), outcome.lock.render()).unwrap();
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

struct Row {
    db: &'static str,
    what: &'static str,
    ours: Duration,
    sqlx: Duration,
}

/// Times a cold apply of every migration, then the median no-op boot, ours against sqlx's, on
/// two fresh databases of one kind. `ours` returns how many migrations it applied.
async fn compare(
    db: &'static str,
    rows: &mut Vec<Row>,
    mut ours: impl AsyncFnMut() -> usize,
    mut sqlx: impl AsyncFnMut(),
) {
    let start = Instant::now();
    assert_eq!(ours().await, COUNT);
    let cold_ours = start.elapsed();
    let start = Instant::now();
    sqlx().await;
    let cold_sqlx = start.elapsed();
    rows.push(Row {
        db,
        what: "cold apply",
        ours: cold_ours,
        sqlx: cold_sqlx,
    });
    let mut t_ours = Vec::new();
    let mut t_sqlx = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        assert_eq!(ours().await, 0);
        t_ours.push(start.elapsed());
        let start = Instant::now();
        sqlx().await;
        t_sqlx.push(start.elapsed());
    }
    rows.push(Row {
        db,
        what: "no-op boot",
        ours: median(t_ours),
        sqlx: median(t_sqlx),
    });
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("driftless_bench_{}_{name}", std::process::id()))
}

async fn postgres(server: &str, ours: &Migrations, sqlx_dir: &Path, rows: &mut Vec<Row>) {
    let base = server
        .rsplit_once('/')
        .map_or(server, |(b, _)| b)
        .to_owned();
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    let fresh = |name: &str| {
        let name = format!("dl_bench_{}_{name}", std::process::id());
        (name.clone(), format!("{base}/{name}"))
    };
    let (a, a_url) = fresh("ours");
    let (b, b_url) = fresh("sqlx");
    for n in [&a, &b] {
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {n}")))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let pool_a = sqlx::PgPool::connect(&a_url).await.unwrap();
    let pool_b = sqlx::PgPool::connect(&b_url).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(sqlx_dir).await.unwrap();

    compare(
        "postgres",
        rows,
        async || ours.migrate(&pool_a).await.unwrap().applied.len(),
        async || migrator.run(&pool_b).await.unwrap(),
    )
    .await;
    pool_a.close().await;
    pool_b.close().await;
    for n in [&a, &b] {
        sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {n} WITH (FORCE)")))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

/// Replicas racing for the lock, and how many migrations they upgrade across.
const REPLICAS: usize = 8;
const RACE_FROM: usize = 10;
const RACE_TO: usize = 100;
const RACES: usize = 15;

/// `REPLICAS` processes' worth of pools boot at once on a database at `RACE_FROM` migrations,
/// with a binary of `RACE_TO`: the time until every replica is up, median of `RACES` races,
/// driftless against sqlx (both wait on a PostgreSQL advisory lock).
async fn postgres_race(server: &str, rows: &mut Vec<Row>) {
    let base = server
        .rsplit_once('/')
        .map_or(server, |(b, _)| b)
        .to_owned();
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    let folders = |tag: &str, lock| {
        let from = temp(&format!("race_{tag}_{RACE_FROM}"));
        let to = temp(&format!("race_{tag}_{RACE_TO}"));
        write_first(&from, RACE_FROM, lock);
        write_first(&to, RACE_TO, lock);
        (from, to)
    };
    let (ours_from, ours_to) = folders("ours", Some(driftless_core::Dialect::Postgres));
    let (sqlx_from, sqlx_to) = folders("sqlx", None);
    let ours_from_m = Migrations::load(&ours_from).unwrap();
    let ours_to_m = Migrations::load(&ours_to).unwrap();
    let sqlx_from_m = sqlx::migrate::Migrator::new(sqlx_from.as_path())
        .await
        .unwrap();
    let sqlx_to_m = sqlx::migrate::Migrator::new(sqlx_to.as_path())
        .await
        .unwrap();
    let mut t_ours = Vec::new();
    let mut t_sqlx = Vec::new();
    for race in 0..RACES {
        for ours in [true, false] {
            let name = format!("dl_bench_{}_race{race}_{ours}", std::process::id());
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
            let url = format!("{base}/{name}");
            let setup = sqlx::PgPool::connect(&url).await.unwrap();
            if ours {
                ours_from_m.migrate(&setup).await.unwrap();
            } else {
                sqlx_from_m.run(&setup).await.unwrap();
            }
            setup.close().await;
            let mut pools = Vec::new();
            let replicas = std::env::var("DRIFTLESS_RACE_REPLICAS")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(REPLICAS);
            for _ in 0..replicas {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await
                    .unwrap();
                pools.push(pool);
            }
            let start = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for pool in pools.clone() {
                if ours {
                    let m = ours_to_m.clone();
                    tasks.spawn(async move {
                        m.migrate(&pool).await.unwrap();
                    });
                } else {
                    let dir = sqlx_to.clone();
                    tasks.spawn(async move {
                        let m = sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap();
                        m.run(&pool).await.unwrap();
                    });
                }
            }
            while let Some(done) = tasks.join_next().await {
                done.unwrap();
            }
            let elapsed = start.elapsed();
            if ours {
                t_ours.push(elapsed);
            } else {
                t_sqlx.push(elapsed);
            }
            for pool in pools {
                pool.close().await;
            }
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
                .execute(&mut admin)
                .await
                .unwrap();
        }
    }
    let _ = sqlx_to_m;
    rows.push(Row {
        db: "postgres",
        what: "race 8: 10→100",
        ours: median(t_ours),
        sqlx: median(t_sqlx),
    });
    for dir in [ours_from, ours_to, sqlx_from, sqlx_to] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

async fn sqlite(ours: &Migrations, sqlx_dir: &Path, rows: &mut Vec<Row>) {
    let a = temp("ours.db");
    let b = temp("sqlx.db");
    let pool_a = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", a.display()))
        .await
        .unwrap();
    let pool_b = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", b.display()))
        .await
        .unwrap();
    let migrator = sqlx::migrate::Migrator::new(sqlx_dir).await.unwrap();
    compare(
        "sqlite",
        rows,
        async || ours.migrate(&pool_a).await.unwrap().applied.len(),
        async || migrator.run(&pool_b).await.unwrap(),
    )
    .await;
    pool_a.close().await;
    pool_b.close().await;
    for p in [a, b] {
        let _ = std::fs::remove_file(&p);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut rows = Vec::new();
    // `cargo bench -p driftless-it --bench boot -- race` runs only the lock race.
    if std::env::args().any(|a| a == "race") {
        let server = std::env::var("DRIFTLESS_TEST_POSTGRES_URL")
            .expect("the race needs DRIFTLESS_TEST_POSTGRES_URL");
        postgres_race(&server, &mut rows).await;
        print(&rows);
        return;
    }
    // sqlx reads only its own files: give it a folder without driftless.lock.
    let sqlx_dir = temp("sqlx");
    write_folder(&sqlx_dir, None);
    if let Ok(server) = std::env::var("DRIFTLESS_TEST_POSTGRES_URL") {
        let dir = temp("pg");
        write_folder(&dir, Some(driftless_core::Dialect::Postgres));
        let ours = Migrations::load(&dir).unwrap();
        postgres(&server, &ours, &sqlx_dir, &mut rows).await;
        postgres_race(&server, &mut rows).await;
        let _ = std::fs::remove_dir_all(dir);
    } else {
        println!("skipped postgres: DRIFTLESS_TEST_POSTGRES_URL is not set");
    }
    let dir = temp("lite");
    write_folder(&dir, Some(driftless_core::Dialect::Sqlite));
    let ours = Migrations::load(&dir).unwrap();
    sqlite(&ours, &sqlx_dir, &mut rows).await;
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(sqlx_dir);

    print(&rows);
}

fn print(rows: &[Row]) {
    println!(
        "{COUNT} migrations; no-op boot is the median of {RUNS} runs; the race is {REPLICAS} \
         replicas upgrading {RACE_FROM} to {RACE_TO}, median of {RACES}"
    );
    println!(
        "{:<9} {:<15} {:>12} {:>12} {:>7}",
        "database", "case", "driftless", "sqlx", "ratio"
    );
    for r in rows {
        println!(
            "{:<9} {:<15} {:>12.2?} {:>12.2?} {:>7.3}",
            r.db,
            r.what,
            r.ours,
            r.sqlx,
            r.ours.as_secs_f64() / r.sqlx.as_secs_f64()
        );
    }
}
