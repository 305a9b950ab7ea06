//! The service against a real PostgreSQL: each test creates a fresh database on the server of
//! `DRIFTLESS_TEST_POSTGRES_URL` and drops it at the end. Without the variable the tests print
//! that they were skipped, except under `CI=true`, where a missing database fails them.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use driftless::{ErrorKind, Migrations};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgPool};
use tower::ServiceExt;

/// A fresh database, dropped by [`TestDb::drop_db`].
struct TestDb {
    server: String,
    name: String,
    url: String,
    pool: PgPool,
}

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

impl TestDb {
    async fn new() -> Option<TestDb> {
        let server = match std::env::var("DRIFTLESS_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!(
                        "DRIFTLESS_TEST_POSTGRES_URL is not set, and CI=true requires the \
                         database tests to run"
                    );
                }
                eprintln!("skipped: DRIFTLESS_TEST_POSTGRES_URL is not set");
                return None;
            }
        };
        let name = unique("axum_service");
        let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        let pool = PgPool::connect(&url).await.unwrap();
        Some(TestDb {
            server,
            name,
            url,
            pool,
        })
    }

    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await
            .unwrap();
    }

    async fn drop_db(self) {
        self.pool.close().await;
        let mut admin = sqlx::PgConnection::connect(&self.server).await.unwrap();
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::raw_sql(AssertSqlSafe(drop))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

/// `GET path` through the router, without a socket.
async fn get(pool: &PgPool, path: &str) -> (StatusCode, Value) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = axum_service::app(pool.clone())
        .oneshot(request)
        .await
        .unwrap();
    let code = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (code, body)
}

fn versions(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn ready_is_200_after_boot_and_503_when_an_operator_should_look() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let all: Vec<u64> = axum_service::MIGRATIONS
        .migrations()
        .iter()
        .map(|m| m.version())
        .collect();
    assert_eq!(all, [1, 2, 3, 4]);

    axum_service::migrate(&db.pool).await.unwrap();
    // The second boot finds nothing pending and changes nothing.
    axum_service::migrate(&db.pool).await.unwrap();
    let rows: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM _driftless_migrations WHERE version >= 0 AND status = 'applied'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows, 4);
    // The schema is the migrations' (the CONCURRENTLY index of the no-transaction file too).
    let indexes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'orders_status_created_at_idx'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(indexes, 1);

    let (code, body) = get(&db.pool, "/ready").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["needs_attention"], false, "{body}");
    assert_eq!(versions(&body["applied"]), all);
    assert!(versions(&body["pending"]).is_empty(), "{body}");
    assert_eq!(body["failed"], Value::Array(vec![]), "{body}");
    assert!(body.get("error").is_none(), "{body}");

    // A migration recorded as failed (a later deploy's, say): nothing runs until an operator
    // resolves it, so the replica is not ready.
    db.exec(
        "INSERT INTO _driftless_migrations \
         (namespace, version, name, checksum, status, statements_done, statements_total, error) \
         VALUES ('', 5, 'backfill_totals', '00', 'failed', 1, 3, 'deadlock detected')",
    )
    .await;
    let (code, body) = get(&db.pool, "/ready").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["needs_attention"], true, "{body}");
    let failed = &body["failed"][0];
    assert_eq!(failed["version"], 5, "{body}");
    assert_eq!(failed["status"], "failed", "{body}");
    assert_eq!(failed["statements_done"], 1, "{body}");
    assert_eq!(failed["statements_total"], 3, "{body}");
    assert_eq!(failed["error"], "deadlock detected", "{body}");

    // An applied migration this binary does not know.
    db.exec("DELETE FROM _driftless_migrations WHERE version = 5")
        .await;
    assert_eq!(get(&db.pool, "/ready").await.0, StatusCode::OK);
    db.exec(
        "INSERT INTO _driftless_migrations \
         (namespace, version, name, checksum, status, statements_done, statements_total) \
         VALUES ('', 9, 'add_invoices', '00', 'applied', 1, 1)",
    )
    .await;
    let (code, body) = get(&db.pool, "/ready").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(versions(&body["unknown_applied"]), [9], "{body}");

    let (code, _) = get(&db.pool, "/health").await;
    assert_eq!(code, StatusCode::OK);
    db.drop_db().await;
}

#[tokio::test]
async fn ready_is_503_when_the_database_is_unreachable() {
    // Nothing listens on port 9 of the loopback: no server is needed to test this.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("postgres://nobody@127.0.0.1:9/none")
        .unwrap();
    let (code, body) = get(&pool, "/ready").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

/// The folder of a newer deploy: this example's migrations plus one more.
fn newer_deploy() -> Migrations {
    let dir = std::env::temp_dir().join(unique("axum_service_newer"));
    std::fs::create_dir_all(&dir).unwrap();
    let ours = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    for entry in std::fs::read_dir(ours).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.join("0005_add_orders_note.sql"),
        "ALTER TABLE orders ADD COLUMN note TEXT;\n",
    )
    .unwrap();
    // The new file is a draft (not in driftless.lock): a debug build may apply it.
    let newer = Migrations::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(&dir).unwrap();
    newer
}

#[tokio::test]
async fn a_refusal_names_the_command_and_the_process_exits_1() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    // A newer deploy migrated the database, then this binary boots (a rollback of the code).
    newer_deploy().migrate(&db.pool).await.unwrap();

    let err = axum_service::migrate(&db.pool).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownApplied, "{err}");
    assert!(err.to_string().contains("driftless status"), "{err}");

    // The binary logs the refusal with its command and exits 1 before it listens.
    let mut child = Command::new(env!("CARGO_BIN_EXE_axum-service"))
        .env("DATABASE_URL", &db.url)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the service did not exit on a refused migration");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("UnknownApplied"), "{stderr}");
    assert!(
        stderr.contains("driftless status --database-url \"$DATABASE_URL\" migrations"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening on"), "{stderr}");
    db.drop_db().await;
}

/// The whole process: migrate a fresh database, listen, answer `/ready` over TCP, and exit 0
/// on SIGTERM.
#[cfg(unix)]
#[tokio::test]
async fn the_binary_boots_serves_and_shuts_down_on_sigterm() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_axum-service"))
        .env("DATABASE_URL", &db.url)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Log lines arrive on a thread, so a silent process cannot hang the test.
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let addr = line
                    .split_once("listening on http://")
                    .map(|(_, a)| a.trim().to_owned());
                log.push(line);
                if let Some(addr) = addr {
                    break addr;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the service did not start listening: {log:#?}");
            }
        }
    };
    assert!(
        log.iter()
            .any(|l| l.contains("database schema is up to date") && l.contains("[1, 2, 3, 4]")),
        "{log:#?}"
    );

    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream
            .write_all(b"GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"needs_attention\":false"), "{response}");

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the service did not shut down on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}: {log:#?}");
    // The last lines may still be in the pipe when the process exits; wait for them briefly.
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        log.push(line);
    }
    assert!(log.iter().any(|l| l.contains("shut down")), "{log:#?}");
    db.drop_db().await;
}
