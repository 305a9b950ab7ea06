//! `migrate`, `status` and repair against real databases.

use std::time::{Duration, Instant};

use driftless::ErrorKind;

use crate::common::*;
use crate::on_all;

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100));\n";
const POSTS: &str = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\n";

on_all! {
    fresh_boot => fresh_boot;
    noop_boot_is_one_statement => noop_boot_is_one_statement;
    edited_applied_migration_is_refused => edited_applied_migration_is_refused;
    unknown_applied_is_refused_then_allowed => unknown_applied_is_refused_then_allowed;
    out_of_order_is_refused_then_allowed => out_of_order_is_refused_then_allowed;
    failing_migration_is_recorded_and_blocks => failing_migration_is_recorded_and_blocks;
    interrupted_migration_blocks => interrupted_migration_blocks;
    destructive_needs_consent => destructive_needs_consent;
    fresh_database_needs_no_consent => fresh_database_needs_no_consent;
    dropping_an_empty_table_needs_no_consent => dropping_an_empty_table_needs_no_consent;
    concurrent_migrations_apply_once => concurrent_migrations_apply_once;
    namespaces_side_by_side => namespaces_side_by_side;
    non_empty_database_without_history => non_empty_database_without_history;
    release_binary_refuses_drafts => release_binary_refuses_drafts;
    progress_is_reported_as_migrations_run => progress_is_reported_as_migrations_run;
}

async fn fresh_boot(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_posts.sql", POSTS)],
        true,
    );
    let m = load(&dir);
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(report.applied[0].statements, 1);
    assert_eq!(db.pool.int("SELECT COUNT(*) FROM posts").await, 0);
    assert_eq!(db.pool.row_status(2).await, "applied");
    let again = db.pool.run(m.migrator()).await.unwrap();
    assert!(again.applied.is_empty());
    let status = db.pool.status(&m).await;
    assert_eq!(status.applied, [1, 2]);
    assert!(status.pending.is_empty());
    db.drop_db().await;
}

async fn noop_boot_is_one_statement(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_posts.sql", POSTS)],
        true,
    );
    let m = load(&dir);
    let log = logged_statements();
    // A table name of its own tells this test's statements from those of tests in parallel.
    let table = unique("history");
    db.pool.run(m.migrator().table(&table)).await.unwrap();
    // A warm connection, as a service has after its first query.
    db.pool.exec("SELECT 1").await;
    let before = log.lock().unwrap().len();
    let report = db.pool.run(m.migrator().table(&table)).await.unwrap();
    assert!(report.applied.is_empty());
    let sent: Vec<String> = log.lock().unwrap()[before..]
        .iter()
        .filter(|s| s.contains(&table))
        .cloned()
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(sent[0].contains("SELECT checksum"), "{sent:#?}");
    db.drop_db().await;
}

async fn edited_applied_migration_is_refused(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    // Drafts: the lock file would refuse the edit at build time, the runtime is the last line.
    let dir = folder(kind, &[("0001_users.sql", USERS)], false);
    db.pool.run(load(&dir).migrator()).await.unwrap();
    std::fs::write(dir.join("0001_users.sql"), USERS.replace("100", "200")).unwrap();
    let err = db.pool.run(load(&dir).migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(err.to_string().contains("driftless status"), "{err}");
    db.drop_db().await;
}

async fn unknown_applied_is_refused_then_allowed(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let both = folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_posts.sql", POSTS)],
        true,
    );
    db.pool.run(load(&both).migrator()).await.unwrap();
    let old = folder(kind, &[("0001_users.sql", USERS)], true);
    let m = load(&old);
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownApplied, "{err}");
    let report = db
        .pool
        .run(m.migrator().allow_unknown_applied(true))
        .await
        .unwrap();
    assert!(report.applied.is_empty());
    assert_eq!(db.pool.status(&m).await.unknown_applied, [2]);
    db.drop_db().await;
}

async fn out_of_order_is_refused_then_allowed(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let three = "CREATE TABLE c (id INTEGER);\n";
    let first = folder(
        kind,
        &[("0001_users.sql", USERS), ("0003_c.sql", three)],
        false,
    );
    db.pool.run(load(&first).migrator()).await.unwrap();
    let all = folder(
        kind,
        &[
            ("0001_users.sql", USERS),
            ("0002_posts.sql", POSTS),
            ("0003_c.sql", three),
        ],
        false,
    );
    let m = load(&all);
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfOrder, "{err}");
    assert_eq!(db.pool.status(&m).await.pending, [2]);
    let report = db
        .pool
        .run(m.migrator().allow_out_of_order(true))
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, 2);
    db.drop_db().await;
}

async fn failing_migration_is_recorded_and_blocks(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    // A duplicate key: valid SQL the analysis accepts, failing only on the database.
    let bad = "CREATE TABLE t2 (id INTEGER);\nINSERT INTO users (id, name) VALUES (1, 'a');\n\
               INSERT INTO users (id, name) VALUES (1, 'b');\n";
    let dir = folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_bad.sql", bad)],
        false,
    );
    let m = load(&dir);
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MigrationFailed, "{err}");
    assert_eq!(db.pool.row_status(1).await, "applied");
    assert_eq!(db.pool.row_status(2).await, "failed");
    let t2_exists = match kind {
        Kind::Postgres => "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 't2'",
        Kind::Mysql => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 't2'"
        }
        Kind::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE name = 't2'",
    };
    let done = db
        .pool
        .int("SELECT statements_done FROM _driftless_migrations WHERE version = 2")
        .await;
    if kind == Kind::Mysql {
        // No transactional DDL: the intent log says how far it got.
        assert_eq!(db.pool.int(t2_exists).await, 1);
        assert_eq!(done, 2);
    } else {
        assert_eq!(db.pool.int(t2_exists).await, 0, "rolled back");
        assert_eq!(done, 0);
    }
    if kind == Kind::Postgres {
        // The advisory lock did not outlive the failed run.
        let locks = db
            .pool
            .int("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
            .await;
        assert_eq!(locks, 0);
    }
    let blocked = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(blocked.kind(), ErrorKind::FailedMigration, "{blocked}");
    assert!(
        blocked.to_string().contains("resolve --rolled-back 2"),
        "{blocked}"
    );
    // The operator repairs: drop what half-ran, fix the file, mark it rolled back.
    if kind == Kind::Mysql {
        db.pool.exec("DROP TABLE t2").await;
        db.pool.exec("DELETE FROM users").await;
    }
    std::fs::write(dir.join("0002_bad.sql"), "CREATE TABLE t2 (id INTEGER);\n").unwrap();
    let fixed = load(&dir);
    resolve(&db, &fixed, 2, false).await;
    let report = db.pool.run(fixed.migrator()).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(db.pool.row_status(2).await, "applied");
    db.drop_db().await;
}

async fn resolve(db: &TestDb, m: &driftless::Migrations, version: u64, applied: bool) {
    macro_rules! go {
        ($p:expr) => {
            if applied {
                m.migrator().resolve_applied($p, version).await.unwrap()
            } else {
                m.migrator().resolve_rolled_back($p, version).await.unwrap()
            }
        };
    }
    match &db.pool {
        Pool::Pg(p) => go!(p),
        Pool::My(p) => go!(p),
        Pool::Lite(p) => go!(p),
    }
}

async fn interrupted_migration_blocks(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let two = "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n";
    let dir = folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_two.sql", two)],
        false,
    );
    let m = load(&dir);
    db.pool.run(m.migrator()).await.unwrap();
    // What a crash between statements leaves behind.
    db.pool
        .exec("UPDATE _driftless_migrations SET status = 'running', statements_done = 1 WHERE version = 2")
        .await;
    // The crash also left the summary without version 2, so the boot takes the slow path.
    db.pool
        .exec("UPDATE _driftless_migrations SET checksum = 'stale' WHERE version = -2")
        .await;
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InterruptedMigration, "{err}");
    assert!(
        err.to_string().contains("statement 2 may have committed"),
        "{err}"
    );
    let status = db.pool.status(&m).await;
    assert_eq!(status.failed.len(), 1);
    resolve(&db, &m, 2, true).await;
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
    db.drop_db().await;
}

const ITEMS: &str = "CREATE TABLE items (id INTEGER);\n";
const DROP_ITEMS: &str =
    "-- driftless: allow drop-table: items moved to the catalog service\nDROP TABLE items;\n";

async fn destructive_needs_consent(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(kind, &[("0001_items.sql", ITEMS)], false);
    db.pool.run(load(&dir).migrator()).await.unwrap();
    db.pool.exec("INSERT INTO items VALUES (1)").await;
    std::fs::write(dir.join("0002_drop.sql"), DROP_ITEMS).unwrap();
    std::fs::write(dir.join("0003_users.sql"), USERS).unwrap();
    let m = load_with_drop(&dir, 2, 0, "items");
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");
    assert!(
        err.to_string().contains("DRIFTLESS_ALLOW_DESTRUCTIVE=2"),
        "{err}"
    );
    // Nothing was applied, not even the harmless migration after it.
    assert_eq!(db.pool.status(&m).await.pending, [2, 3]);
    let malformed = db.pool.run(m.migrator().consent("*")).await.unwrap_err();
    assert_eq!(malformed.kind(), ErrorKind::InvalidConsent);
    let report = db.pool.run(m.migrator().consent("2")).await.unwrap();
    assert_eq!(report.consents_used(), [2]);
    assert_eq!(report.applied.len(), 2);
    let consent = db
        .pool
        .text("SELECT consent FROM _driftless_migrations WHERE version = 2")
        .await;
    assert_eq!(consent.as_deref(), Some("2"));
    db.drop_db().await;
}

async fn fresh_database_needs_no_consent(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[
            ("0001_items.sql", ITEMS),
            ("0002_fill.sql", "INSERT INTO items VALUES (1);\n"),
            ("0003_drop.sql", DROP_ITEMS),
        ],
        false,
    );
    let m = load_with_drop(&dir, 3, 0, "items");
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(report.applied.len(), 3);
    assert!(report.consents_used().is_empty());
    db.drop_db().await;
}

async fn dropping_an_empty_table_needs_no_consent(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(kind, &[("0001_items.sql", ITEMS)], false);
    db.pool.run(load(&dir).migrator()).await.unwrap();
    std::fs::write(dir.join("0002_drop.sql"), DROP_ITEMS).unwrap();
    let m = load_with_drop(&dir, 2, 0, "items");
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    assert!(report.consents_used().is_empty());
    db.drop_db().await;
}

async fn concurrent_migrations_apply_once(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let files: Vec<(String, String)> = (1..=5)
        .map(|i| {
            (
                format!("{i:04}_t{i}.sql"),
                format!("CREATE TABLE t{i} (id INTEGER);\nINSERT INTO t{i} VALUES ({i});\n"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let m = load(&folder(kind, &refs, true));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let m = m.clone();
        let url = db.url.clone();
        tasks.push(tokio::spawn(async move {
            let pool = TestDb::connect(kind, &url).await;
            pool.run(m.migrator()).await.map(|r| r.applied.len())
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap().unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(total, 5);
    for i in 1..=5 {
        assert_eq!(db.pool.int(&format!("SELECT COUNT(*) FROM t{i}")).await, 1);
    }
    assert_eq!(
        db.pool
            .int("SELECT COUNT(*) FROM _driftless_migrations WHERE version > 0")
            .await,
        5
    );
    db.drop_db().await;
}

async fn namespaces_side_by_side(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let app = load(&folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_posts.sql", POSTS)],
        true,
    ));
    let lib = load(&folder(
        kind,
        &[("0001_jobs.sql", "CREATE TABLE jobs (id INTEGER);\n")],
        true,
    ))
    .with_namespace("jobs");
    assert_eq!(db.pool.run(app.migrator()).await.unwrap().applied.len(), 2);
    assert_eq!(db.pool.run(lib.migrator()).await.unwrap().applied.len(), 1);
    assert!(
        db.pool
            .run(app.migrator())
            .await
            .unwrap()
            .applied
            .is_empty()
    );
    assert!(
        db.pool
            .run(lib.migrator())
            .await
            .unwrap()
            .applied
            .is_empty()
    );
    let status = db.pool.status(&lib).await;
    assert_eq!(status.applied, [1]);
    assert!(status.unknown_applied.is_empty());
    db.drop_db().await;
}

async fn non_empty_database_without_history(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    db.pool.exec(USERS).await;
    db.pool
        .exec("CREATE TABLE _sqlx_migrations (version BIGINT)")
        .await;
    let m = load(&folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_posts.sql", POSTS)],
        true,
    ));
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoHistory, "{err}");
    assert!(err.to_string().contains("sqlx"), "{err}");
    assert!(err.to_string().contains("driftless baseline"), "{err}");
    match &db.pool {
        Pool::Pg(p) => m.migrator().baseline(p, 1).await.unwrap(),
        Pool::My(p) => m.migrator().baseline(p, 1).await.unwrap(),
        Pool::Lite(p) => m.migrator().baseline(p, 1).await.unwrap(),
    }
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(db.pool.row_status(1).await, "baselined");
    db.drop_db().await;
}

#[tokio::test]
async fn dialect_mismatch_is_refused() {
    let Some(db) = TestDb::new(Kind::Sqlite).await else {
        return;
    };
    let m = load(&folder(Kind::Postgres, &[("0001_users.sql", USERS)], true));
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DialectMismatch, "{err}");
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_no_transaction_concurrently() {
    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    let index =
        "-- driftless: no-transaction\n\nCREATE INDEX CONCURRENTLY users_name ON users (name);\n";
    let dir = folder(
        Kind::Postgres,
        &[("0001_users.sql", USERS), ("0002_index.sql", index)],
        true,
    );
    let m = load(&dir);
    assert!(!m.migrations()[1].is_transactional());
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    assert_eq!(
        db.pool
            .int("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'users_name'")
            .await,
        1
    );
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_lock_dies_with_a_cancelled_future() {
    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    let m = load(&folder(
        Kind::Postgres,
        &[("0001_slow.sql", "SELECT pg_sleep(2);\n")],
        true,
    ));
    let cancelled =
        tokio::time::timeout(Duration::from_millis(300), db.pool.run(m.migrator())).await;
    assert!(cancelled.is_err(), "the migration should still be running");
    // The dedicated connection was dropped with the future: the server ends the session.
    let start = Instant::now();
    loop {
        let locks = db
            .pool
            .int("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
            .await;
        if locks == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "advisory lock outlived the call"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = Instant::now();
    let report = db
        .pool
        .run(m.migrator().acquire_timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 1);
    assert!(start.elapsed() < Duration::from_secs(4));
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_write_lock_dies_with_a_cancelled_future() {
    let Some(db) = TestDb::new(Kind::Sqlite).await else {
        return;
    };
    // A slow statement after a write, inside the migration's `BEGIN IMMEDIATE`.
    let slow = "CREATE TABLE t (id INTEGER);\n\
                WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)\n\
                SELECT COUNT(*) FROM c;\n";
    let m = load(&folder(Kind::Sqlite, &[("0001_slow.sql", slow)], true));
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), db.pool.run(m.migrator())).await;
    assert!(cancelled.is_err(), "the migration should still be running");
    // Another process (a separate pool) can write again: the cancelled run's transaction was
    // rolled back instead of going back to the pool open.
    let other = TestDb::connect(Kind::Sqlite, &db.url).await;
    let start = Instant::now();
    let report = other
        .run(m.migrator().acquire_timeout(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 1);
    assert!(start.elapsed() < Duration::from_secs(10));
    // Nothing of the cancelled run stayed behind: one history row, applied once.
    assert_eq!(other.row_status(1).await, "applied");
    db.drop_db().await;
}

async fn release_binary_refuses_drafts(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    // Drafts only (the lock file names the dialect and nothing else).
    let dir = folder(kind, &[("0001_users.sql", USERS)], false);
    let release = load(&dir).__with_debug_assertions(false);
    let err = db.pool.run(release.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Draft, "{err}");
    assert!(err.to_string().contains("driftless lock"), "{err}");
    assert!(db.pool.status(&release).await.applied.is_empty());
    // The operator opts in for this deployment.
    let report = db
        .pool
        .run(release.migrator().allow_drafts(true))
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 1);
    // A debug build applies drafts without asking.
    let dir = folder(kind, &[("0001_users.sql", USERS)], false);
    let other = TestDb::new(kind).await.unwrap();
    assert_eq!(
        other
            .pool
            .run(load(&dir).migrator())
            .await
            .unwrap()
            .applied
            .len(),
        1
    );
    other.drop_db().await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_noop_boot_works_for_a_read_only_user() {
    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    let m = load(&folder(Kind::Postgres, &[("0001_users.sql", USERS)], true));
    db.pool.run(m.migrator()).await.unwrap();
    // A role that may read the history and nothing else: no DDL, no lock, no write.
    let role = unique("reader");
    db.pool.exec(&format!("CREATE ROLE {role} LOGIN")).await;
    db.pool
        .exec(&format!("GRANT SELECT ON _driftless_migrations TO {role}"))
        .await;
    let (base, _) = db.url.split_once("://").unwrap();
    let rest = db.url.split_once('@').map_or(db.url.as_str(), |(_, r)| r);
    let url = format!("{base}://{role}@{rest}");
    let reader = sqlx::PgPool::connect(&url).await.unwrap();
    let write = sqlx::raw_sql("INSERT INTO _driftless_migrations (version) VALUES (99)")
        .execute(&reader)
        .await;
    let denied = write.expect_err("the role must not be able to write");
    assert!(denied.to_string().contains("permission denied"), "{denied}");
    let report = m.migrate(&reader).await.unwrap();
    assert!(report.applied.is_empty());
    reader.close().await;
    db.pool.exec(&format!("DROP OWNED BY {role}")).await;
    db.drop_db().await;
    let server = sqlx::PgPool::connect(&server_url(Kind::Postgres).unwrap())
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE {role}")))
        .execute(&server)
        .await
        .unwrap();
}

async fn progress_is_reported_as_migrations_run(kind: Kind) {
    use driftless::Progress;
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let two = "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n";
    let dir = folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_two.sql", two)],
        true,
    );
    let m = load(&dir);
    let events = std::sync::Mutex::new(Vec::new());
    let record = |p: Progress| {
        let event = match p {
            Progress::MigrationStarted {
                version,
                description,
                statements,
                ..
            } => format!("started {version} {description} {statements}"),
            Progress::StatementDone {
                version,
                done,
                total,
                ..
            } => format!("statement {version} {done}/{total}"),
            Progress::MigrationApplied {
                version, consent, ..
            } => format!("applied {version} {consent}"),
            _ => "other".to_owned(),
        };
        events.lock().unwrap().push(event);
    };
    let report = db.pool.run(m.migrator().on_progress(record)).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    let expected: Vec<&str> = if kind == Kind::Mysql {
        // The intent log runs statements one by one, and reports each.
        vec![
            "started 1 users 1",
            "statement 1 1/1",
            "applied 1 false",
            "started 2 two 2",
            "statement 2 1/2",
            "statement 2 2/2",
            "applied 2 false",
        ]
    } else {
        // One batch (PostgreSQL) or one transaction (SQLite) per migration.
        vec![
            "started 1 users 1",
            "applied 1 false",
            "started 2 two 2",
            "applied 2 false",
        ]
    };
    assert_eq!(*events.lock().unwrap(), expected);
    // The no-op boot reports nothing: nothing runs.
    events.lock().unwrap().clear();
    let record = |p: Progress| events.lock().unwrap().push(format!("{p:?}"));
    let again = db.pool.run(m.migrator().on_progress(record)).await.unwrap();
    assert!(again.applied.is_empty());
    assert!(events.lock().unwrap().is_empty());
    db.drop_db().await;
}
