//! The holes a hostile test found in the runtime (issue 7), one test each. Every test here failed
//! before its fix.

use std::time::{Duration, Instant};

use driftless::ErrorKind;

use crate::common::*;
use crate::on_all;

const T: &str = "CREATE TABLE t (id INTEGER);\n";
const ALLOW_DROP: &str = "-- driftless: allow drop-table: test\n";

on_all! {
    rename_then_drop_in_one_migration => rename_then_drop_in_one_migration;
    rename_then_drop_across_migrations => rename_then_drop_across_migrations;
    name_reused_across_a_run => name_reused_across_a_run;
    bare_consent_is_the_application_namespace => bare_consent_is_the_application_namespace;
    diesel_history_survives_its_second_deploy => diesel_history_survives_its_second_deploy;
    hostile_values_are_literals => hostile_values_are_literals;
    names_are_validated => names_are_validated;
    a_table_filled_in_the_run_refuses_the_same_way => a_table_filled_in_the_run_refuses_the_same_way;
    history_written_after_search_path_changes => history_written_after_search_path_changes;
    error_has_a_source => error_has_a_source;
    unseen_data_changes_need_consent => unseen_data_changes_need_consent;
}

/// A table with one row, applied as migration 1 of a fresh folder.
async fn with_row(kind: Kind) -> Option<(TestDb, std::path::PathBuf)> {
    let db = TestDb::new(kind).await?;
    let dir = folder(kind, &[("0001_t.sql", T)], false);
    db.pool.run(load(&dir).migrator()).await.unwrap();
    db.pool.exec("INSERT INTO t VALUES (1)").await;
    Some((db, dir))
}

async fn assert_refused_and_intact(db: &TestDb, m: &driftless::Migrations, table: &str) {
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");
    let status = db.pool.status(m).await;
    assert_eq!(status.applied, [1], "a refusal applies nothing");
    assert!(status.failed.is_empty(), "{:?}", status.failed);
    assert_eq!(
        db.pool.int(&format!("SELECT COUNT(*) FROM {table}")).await,
        1
    );
}

async fn rename_then_drop_in_one_migration(kind: Kind) {
    let Some((db, dir)) = with_row(kind).await else {
        return;
    };
    let renames: &[&str] = match kind {
        Kind::Mysql => &[
            "ALTER TABLE t RENAME TO t_old;\n",
            "RENAME TABLE t TO t_old;\n",
        ],
        _ => &["ALTER TABLE t RENAME TO t_old;\n"],
    };
    for rename in renames {
        std::fs::write(
            dir.join("0002_rename_drop.sql"),
            format!("{rename}{ALLOW_DROP}DROP TABLE t_old;\n"),
        )
        .unwrap();
        let m = load(&dir);
        assert_refused_and_intact(&db, &m, "t").await;
    }
    if kind == Kind::Postgres {
        std::fs::write(
            dir.join("0002_rename_drop.sql"),
            format!(
                "CREATE SCHEMA archive;\nALTER TABLE t SET SCHEMA archive;\n{ALLOW_DROP}\
                 DROP TABLE archive.t;\n"
            ),
        )
        .unwrap();
        let m = load(&dir);
        assert_refused_and_intact(&db, &m, "t").await;
    }
    db.drop_db().await;
}

async fn rename_then_drop_across_migrations(kind: Kind) {
    let Some((db, dir)) = with_row(kind).await else {
        return;
    };
    std::fs::write(
        dir.join("0002_rename.sql"),
        "-- driftless: allow rename-table: test\nALTER TABLE t RENAME TO t_old;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("0003_drop.sql"),
        format!("{ALLOW_DROP}DROP TABLE t_old;\n"),
    )
    .unwrap();
    let m = load(&dir);
    assert_refused_and_intact(&db, &m, "t").await;
    // With consent the run goes through.
    let report = db.pool.run(m.migrator().consent("3")).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    db.drop_db().await;
}

async fn name_reused_across_a_run(kind: Kind) {
    let Some((db, dir)) = with_row(kind).await else {
        return;
    };
    std::fs::write(dir.join("0002_x.sql"), "CREATE TABLE x (id INTEGER);\n").unwrap();
    std::fs::write(
        dir.join("0003_swap.sql"),
        format!("{ALLOW_DROP}DROP TABLE x;\nALTER TABLE t RENAME TO x;\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("0004_drop.sql"),
        format!("{ALLOW_DROP}DROP TABLE x;\n"),
    )
    .unwrap();
    let m = load(&dir);
    assert_refused_and_intact(&db, &m, "t").await;
    db.drop_db().await;
}

async fn bare_consent_is_the_application_namespace(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(kind, &[("0001_t.sql", T)], false);
    let lib = load(&dir).with_namespace("lib");
    db.pool.run(lib.migrator()).await.unwrap();
    db.pool.exec("INSERT INTO t VALUES (1)").await;
    std::fs::write(
        dir.join("0002_drop.sql"),
        format!("{ALLOW_DROP}DROP TABLE t;\n"),
    )
    .unwrap();
    let lib = load(&dir).with_namespace("lib");
    let err = db.pool.run(lib.migrator().consent("2")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");
    assert!(err.to_string().contains("lib:2"), "{err}");
    assert_eq!(db.pool.int("SELECT COUNT(*) FROM t").await, 1);
    let report = db.pool.run(lib.migrator().consent("lib:2")).await.unwrap();
    assert_eq!(report.consents_used(), [2]);
    db.drop_db().await;
}

async fn diesel_history_survives_its_second_deploy(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(kind, &[], false);
    let put = |name: &str, sql: &str| {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("up.sql"), sql).unwrap();
        std::fs::write(dir.join(name).join("down.sql"), "SELECT 1;\n").unwrap();
    };
    put(
        "00000000000000_diesel_initial_setup",
        "CREATE TABLE setup_marker (id INTEGER);\n",
    );
    put(
        "2020-01-01-000000_users",
        "CREATE TABLE users (id INTEGER);\n",
    );
    let m = load(&dir);
    assert_eq!(db.pool.run(m.migrator()).await.unwrap().applied.len(), 2);
    put(
        "2020-02-01-000000_posts",
        "CREATE TABLE posts (id INTEGER);\n",
    );
    let m = load(&dir);
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [20200201000000]
    );
    let status = db.pool.status(&m).await;
    assert_eq!(status.applied, [0, 20200101000000, 20200201000000]);
    assert_eq!(db.pool.row_status(0).await, "applied");
    // And the boot after is the no-op.
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
    // A history written by format 1, where the summary row had overwritten migration 0's row:
    // the upgrade restores the row, because the old summary proves version 0 was applied.
    db.pool
        .exec("DELETE FROM _driftless_migrations WHERE namespace = '' AND version = 0")
        .await;
    db.pool
        .exec("UPDATE _driftless_migrations SET version = 0 WHERE namespace = '' AND version = -2")
        .await;
    db.pool
        .exec("UPDATE _driftless_migrations SET checksum = '1' WHERE version = -1")
        .await;
    put(
        "2020-03-01-000000_tags",
        "CREATE TABLE tags (id INTEGER);\n",
    );
    let m = load(&dir);
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [20200301000000]
    );
    assert_eq!(db.pool.row_status(0).await, "applied");
    assert_eq!(
        db.pool
            .text("SELECT checksum FROM _driftless_migrations WHERE version = -1")
            .await
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        db.pool
            .int("SELECT COUNT(*) FROM _driftless_migrations WHERE status = 'summary'")
            .await,
        1
    );
    db.drop_db().await;
}

/// A value with quotes and backslashes reaches the history (through the error text of a failed
/// migration) under the server settings that change how literals are read.
async fn hostile_values_are_literals(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let payload = r"x\'; DROP TABLE victim; -- ";
    let pool = match kind {
        Kind::Postgres => {
            db.pool
                .exec(&format!(
                    "ALTER DATABASE {} SET standard_conforming_strings = off",
                    db.url.rsplit('/').next().unwrap()
                ))
                .await;
            TestDb::connect(kind, &db.url).await
        }
        Kind::Mysql => {
            let options: sqlx::mysql::MySqlConnectOptions = db.url.parse().unwrap();
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .after_connect(|c, _| {
                    Box::pin(async move {
                        sqlx::raw_sql(
                            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')",
                        )
                        .execute(c)
                        .await
                        .map(drop)
                    })
                })
                .connect_with(options)
                .await
                .unwrap();
            Pool::My(pool)
        }
        Kind::Sqlite => db.pool.clone(),
    };
    let dir = folder(
        kind,
        &[(
            "0001_tables.sql",
            "CREATE TABLE victim (id INTEGER CHECK (id > 0));\nCREATE TABLE vals (v VARCHAR(100));\n",
        )],
        false,
    );
    pool.run(load(&dir).migrator()).await.unwrap();
    let quoted = match kind {
        // standard_conforming_strings = off: a backslash escapes.
        Kind::Postgres => payload.replace('\\', "\\\\").replace('\'', "''"),
        // NO_BACKSLASH_ESCAPES (MySQL), and SQLite: only quotes double.
        _ => payload.replace('\'', "''"),
    };
    pool.exec(&format!("INSERT INTO vals VALUES ('{quoted}')"))
        .await;
    assert_eq!(
        pool.text("SELECT v FROM vals").await.as_deref(),
        Some(payload)
    );
    // A failing statement whose error text carries the stored value.
    let failing = match kind {
        Kind::Postgres => "SELECT CAST(v AS INTEGER) FROM vals;\n",
        _ => "INSERT INTO victim (id) SELECT v FROM vals;\n",
    };
    std::fs::write(dir.join("0002_fail.sql"), failing).unwrap();
    if kind == Kind::Sqlite {
        // SQLite converts silently: fail on a CHECK after a first row went in.
        std::fs::write(
            dir.join("0002_fail.sql"),
            "INSERT INTO victim (id) VALUES (1);\nINSERT INTO victim (id) VALUES (-1);\n",
        )
        .unwrap();
    }
    let err = pool.run(load(&dir).migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MigrationFailed, "{err}");
    assert_eq!(pool.int("SELECT COUNT(*) FROM victim").await, 0);
    let stored = pool
        .text("SELECT error FROM _driftless_migrations WHERE namespace = '' AND version = 2")
        .await
        .unwrap();
    if kind != Kind::Sqlite {
        assert!(stored.contains(payload.trim_end()), "{stored}");
    }
    db.drop_db().await;
}

async fn names_are_validated(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(kind, &[("0001_t.sql", T)], false);
    let m = load(&dir);
    for bad in [r"x\'; DROP TABLE t; --", "a\"b", "a`b", "", "a b", "a\0b"] {
        let err = db.pool.run(m.migrator().table(bad)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidName, "{bad:?}: {err}");
        let err = db.pool.run(m.migrator().schema(bad)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidName, "{bad:?}: {err}");
        let ns = load(&dir).with_namespace(bad.to_owned());
        if !bad.is_empty() {
            let err = db.pool.run(ns.migrator()).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidName, "{bad:?}: {err}");
        }
    }
    // Nothing ran.
    assert!(!db.pool.status(&m).await.table_exists);
    db.drop_db().await;
}

/// The in-transaction re-check finds rows in a table that was empty when the run was planned:
/// every backend refuses with `ConsentRequired` and records nothing as failed.
async fn a_table_filled_in_the_run_refuses_the_same_way(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(kind, &[("0001_t.sql", T)], false);
    db.pool.run(load(&dir).migrator()).await.unwrap();
    std::fs::write(dir.join("0002_fill.sql"), "INSERT INTO t VALUES (1);\n").unwrap();
    std::fs::write(
        dir.join("0003_drop.sql"),
        format!("{ALLOW_DROP}DROP TABLE t;\n"),
    )
    .unwrap();
    let m = load(&dir);
    let err = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");
    let status = db.pool.status(&m).await;
    assert!(status.failed.is_empty(), "{:?}", status.failed);
    assert_eq!(status.pending, [3]);
    assert_eq!(db.pool.int("SELECT COUNT(*) FROM t").await, 1);
    let report = db.pool.run(m.migrator().consent("3")).await.unwrap();
    assert_eq!(report.consents_used(), [3]);
    db.drop_db().await;
}

async fn history_written_after_search_path_changes(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let first = match kind {
        Kind::Postgres => "SELECT pg_catalog.set_config('search_path', '', false);\n",
        _ => "SELECT 1;\n",
    };
    let dir = folder(
        kind,
        &[
            ("0001_path.sql", first),
            ("0002_t.sql", "CREATE TABLE public_t (id INTEGER);\n"),
        ],
        false,
    );
    if kind == Kind::Postgres {
        // pg_dump output qualifies every name.
        std::fs::write(
            dir.join("0002_t.sql"),
            "CREATE TABLE public.public_t (id INTEGER);\n",
        )
        .unwrap();
    }
    let m = load(&dir);
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
    db.drop_db().await;
}

async fn error_has_a_source(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    db.pool.exec("CREATE TABLE bad_history (x INTEGER)").await;
    let m = load(&folder(kind, &[("0001_t.sql", T)], false));
    let migrator = m.migrator().table("bad_history");
    let err = match &db.pool {
        Pool::Pg(p) => migrator.status(p).await,
        Pool::My(p) => migrator.status(p).await,
        Pool::Lite(p) => migrator.status(p).await,
    }
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Database, "{err}");
    assert!(std::error::Error::source(&err).is_some(), "{err}");
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_waits_for_the_write_lock_up_to_acquire_timeout() {
    let Some(db) = TestDb::new(Kind::Sqlite).await else {
        return;
    };
    let dir = folder(Kind::Sqlite, &[("0001_t.sql", T)], false);
    let m = load(&dir);
    let Pool::Lite(pool) = &db.pool else {
        unreachable!()
    };
    // Another process holds the write lock for 7 s: longer than sqlx's 5 s busy timeout.
    let mut holder = pool.acquire().await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(7)).await;
        sqlx::raw_sql("COMMIT").execute(&mut *holder).await.unwrap();
    });
    let start = Instant::now();
    let report = m
        .migrator()
        .acquire_timeout(Duration::from_secs(30))
        .run(pool)
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 1);
    assert!(start.elapsed() >= Duration::from_secs(6));
    release.await.unwrap();
    // And a short timeout ends in LockTimeout, not a database error.
    let mut holder = pool.acquire().await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    std::fs::write(dir.join("0002_u.sql"), "CREATE TABLE u (id INTEGER);\n").unwrap();
    let err = load(&dir)
        .migrator()
        .acquire_timeout(Duration::from_secs(1))
        .run(pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockTimeout, "{err}");
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *holder)
        .await
        .unwrap();
    drop(holder);
    db.drop_db().await;
}

#[tokio::test]
async fn mysql_lock_is_per_database() {
    let (Some(a), Some(b)) = (
        TestDb::new(Kind::Mysql).await,
        TestDb::new(Kind::Mysql).await,
    ) else {
        return;
    };
    let slow = folder(
        Kind::Mysql,
        &[("0001_slow.sql", "SELECT SLEEP(4);\n")],
        false,
    );
    let fast = folder(Kind::Mysql, &[("0001_t.sql", T)], false);
    let (Pool::My(pa), Pool::My(pb)) = (&a.pool, &b.pool) else {
        unreachable!()
    };
    let slow_m = load(&slow);
    let fast_m = load(&fast);
    let slow_run = slow_m.migrator().run(pa);
    let fast_run = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        fast_m
            .migrator()
            .acquire_timeout(Duration::from_secs(1))
            .run(pb)
            .await
    };
    let (slow_done, fast_done) = tokio::join!(slow_run, fast_run);
    slow_done.unwrap();
    assert_eq!(fast_done.unwrap().applied.len(), 1);
    a.drop_db().await;
    b.drop_db().await;
}

#[tokio::test]
async fn connect_timeout_is_not_a_lock_timeout() {
    // A server that accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/test"))
        .unwrap();
    let dir = folder(Kind::Postgres, &[("0001_t.sql", T)], false);
    let err = load(&dir)
        .migrator()
        .acquire_timeout(Duration::from_secs(1))
        .run(&pool)
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::LockTimeout, "{err}");
    assert!(
        !err.to_string().contains("held the migration lock"),
        "{err}"
    );
    assert!(err.to_string().contains("connect"), "{err}");
}

#[tokio::test]
async fn postgres_history_ignores_extension_tables() {
    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    // An extension that owns a table, as PostGIS owns `spatial_ref_sys`. Build one in the
    // server's extension folder is not possible here; the catalog marks extension members with
    // deptype 'e' in pg_depend, which `ALTER EXTENSION ... ADD TABLE` sets too.
    db.pool.exec("CREATE EXTENSION IF NOT EXISTS plpgsql").await;
    db.pool.exec("CREATE TABLE ext_owned (id INTEGER)").await;
    db.pool
        .exec("ALTER EXTENSION plpgsql ADD TABLE ext_owned")
        .await;
    let dir = folder(Kind::Postgres, &[("0001_t.sql", T)], false);
    let report = db.pool.run(load(&dir).migrator()).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    db.pool
        .exec("ALTER EXTENSION plpgsql DROP TABLE ext_owned")
        .await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_percent_in_a_table_name() {
    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    let dir = folder(
        Kind::Postgres,
        &[("0001_t.sql", "CREATE TABLE \"100%_t\" (id INTEGER);\n")],
        false,
    );
    db.pool.run(load(&dir).migrator()).await.unwrap();
    std::fs::write(
        dir.join("0002_drop.sql"),
        format!("{ALLOW_DROP}DROP TABLE \"100%_t\";\n"),
    )
    .unwrap();
    // Empty: no consent needed, and the in-transaction re-check must not break on `%`.
    let report = db.pool.run(load(&dir).migrator()).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    db.drop_db().await;
}

/// Statements whose effect on data the analysis cannot see, or a WHERE that is always true:
/// acknowledged in the file, they still need the operator's consent on a database with data,
/// and none on a fresh one.
async fn unseen_data_changes_need_consent(kind: Kind) {
    let attacks: &[&str] = match kind {
        Kind::Postgres => &[
            "-- driftless: allow opaque-data-change: test\n\
             DO $$ BEGIN EXECUTE 'DELETE FROM ' || 't'; END $$;\n",
            "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM t';\n\
             -- driftless: allow opaque-data-change: test\nSELECT wipe();\n",
            "-- driftless: allow delete-without-where: test\n\
             WITH d AS (DELETE FROM t RETURNING id) SELECT count(*) FROM d;\n",
        ],
        Kind::Mysql => &[
            "-- driftless: allow delete-without-where: test\nDELETE FROM t LIMIT 5;\n",
            "-- driftless: allow delete-without-where: test\nDELETE FROM t WHERE 1 = 1;\n",
        ],
        Kind::Sqlite => &[
            "-- driftless: allow delete-without-where: test\nDELETE FROM t WHERE 1;\n",
            "-- driftless: allow update-without-where: test\nUPDATE t SET id = 0 WHERE true;\n",
        ],
    };
    for attack in attacks {
        let Some((db, dir)) = with_row(kind).await else {
            return;
        };
        std::fs::write(dir.join("0002_attack.sql"), attack).unwrap();
        let m = load(&dir);
        let err = db.pool.run(m.migrator()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{attack}: {err}");
        assert_eq!(db.pool.int("SELECT COUNT(*) FROM t WHERE id = 1").await, 1);
        db.drop_db().await;
        // A fresh database: no data existed, the whole folder applies.
        let fresh = TestDb::new(kind).await.unwrap();
        let report = fresh.pool.run(m.migrator()).await.unwrap();
        assert_eq!(report.applied.len(), 2, "{attack}");
        fresh.drop_db().await;
    }
}

/// A fresh MySQL database does not show that another database's rows cannot be lost.
#[tokio::test]
async fn mysql_fresh_database_does_not_waive_another_database() {
    let (Some(a), Some(b)) = (
        TestDb::new(Kind::Mysql).await,
        TestDb::new(Kind::Mysql).await,
    ) else {
        return;
    };
    b.pool.exec(T).await;
    b.pool.exec("INSERT INTO t VALUES (1)").await;
    let other = b.url.rsplit('/').next().unwrap().to_owned();
    let dir = folder(
        Kind::Mysql,
        &[(
            "0001_drop.sql",
            &format!("{ALLOW_DROP}DROP TABLE IF EXISTS {other}.t;\n"),
        )],
        false,
    );
    let err = a.pool.run(load(&dir).migrator()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");
    assert_eq!(b.pool.int("SELECT COUNT(*) FROM t").await, 1);
    a.drop_db().await;
    b.drop_db().await;
}
