//! The look-alikes of real histories (core/tests/fixtures/real), adopted and applied to real
//! servers: the statements the splitter cuts are exactly what each database accepts, including
//! MySQL trigger and procedure bodies, PostgreSQL dollar-quoted functions and DO blocks, a diesel
//! `run_in_transaction = false` migration with CONCURRENTLY, and a SQLite table rebuild.

use driftless_core::lock::{self as lockop, LockRequest};
use driftless_core::lockfile;

use crate::common::*;

/// Copies a fixture history into a temporary folder and adopts it (`driftless lock --adopt`).
pub(crate) fn adopted(name: &str, kind: Kind) -> std::path::PathBuf {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../core/tests/fixtures/real")
        .join(name);
    let to = std::env::temp_dir().join(unique(name));
    copy_dir(&from, &to);
    let folder = driftless_core::loader::load(&to).unwrap();
    let request = LockRequest {
        dialect: Some(kind.dialect()),
        adopt: true,
        rehash: Vec::new(),
    };
    let outcome = lockop::lock(&folder, &request)
        .unwrap_or_else(|a| panic!("{name} does not adopt: {:?}", a.diagnostics));
    std::fs::write(to.join(lockfile::FILE_NAME), outcome.lock.render()).unwrap();
    to
}

pub(crate) fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

async fn applies(name: &str, kind: Kind, check: &str, expect: i64) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let m = load(&adopted(name, kind));
    let report = db
        .pool
        .run(m.migrator())
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(report.applied.len(), m.migrations().len(), "{name}");
    // A fresh database applies the whole history without consent, though it drops columns.
    assert!(report.consents_used().is_empty());
    assert_eq!(db.pool.int(check).await, expect, "{name}: {check}");
    let again = db.pool.run(m.migrator()).await.unwrap();
    assert!(again.applied.is_empty());
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_sqlx_newsletter() {
    applies(
        "pg_sqlx_newsletter",
        Kind::Postgres,
        "SELECT COUNT(*) FROM users WHERE username = 'admin'",
        1,
    )
    .await;
}

#[tokio::test]
async fn postgres_prisma_workspace() {
    applies(
        "pg_prisma_workspace",
        Kind::Postgres,
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'TeamMember' AND column_name = 'role'",
        1,
    )
    .await;
}

#[tokio::test]
async fn postgres_diesel_forum() {
    applies(
        "pg_diesel_forum",
        Kind::Postgres,
        "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'idx_post_published'",
        1,
    )
    .await;
}

#[tokio::test]
async fn mysql_flat_shop() {
    applies(
        "mysql_flat_shop",
        Kind::Mysql,
        "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND trigger_name = 'order_items_after_insert'",
        1,
    )
    .await;
}

#[tokio::test]
async fn sqlite_sqlx_notes() {
    applies(
        "sqlite_sqlx_notes",
        Kind::Sqlite,
        "SELECT COUNT(*) FROM pragma_table_info('notes') WHERE name = 'pinned'",
        0,
    )
    .await;
}
