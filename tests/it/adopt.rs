//! `Migrator::adopt`: another tool's history taken over. sqlx's table is written by sqlx 0.9
//! itself (`sqlx::migrate::Migrator`). diesel, Prisma and refinery are not built here (diesel
//! needs libpq or a second libsqlite3-sys, Prisma is a Node/engine binary, refinery has no sqlx
//! driver for MySQL or SQLite): their tables are created with the DDL their sources define and
//! filled as they fill them, with checksums computed independently of driftless (Prisma:
//! `sha2`; refinery: std's `DefaultHasher`, the SipHash-1-3 refinery used before pinning it).

use std::hash::{Hash, Hasher};
use std::path::Path;

use driftless::{Adoption, Migrator, Tool, Verification};
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::on_all;

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100));\n";
// CRLF on purpose: sqlx hashes the file as read, Prisma tolerates either line ending, driftless
// normalises; a verification that normalised like driftless would fail on sqlx.
const POSTS: &str = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\r\n";
const COMMENTS: &str = "CREATE TABLE comments (id INTEGER PRIMARY KEY);\n";

on_all! {
    sqlx_adopted_then_migrate_is_a_noop => sqlx_adopted_then_migrate_is_a_noop;
    sqlx_refusals_write_nothing => sqlx_refusals_write_nothing;
    prisma_adopted_and_refused => prisma_adopted_and_refused;
    refinery_adopted_and_refused => refinery_adopted_and_refused;
    diesel_adopted_unverified => diesel_adopted_unverified;
}

async fn adopt(pool: &Pool, m: Migrator<'_>, tool: Tool, dry_run: bool) -> Adoption {
    let result = match pool {
        Pool::Pg(p) => m.adopt(p, tool, dry_run).await,
        Pool::My(p) => m.adopt(p, tool, dry_run).await,
        Pool::Lite(p) => m.adopt(p, tool, dry_run).await,
    };
    result.unwrap_or_else(|e| panic!("{e}"))
}

/// Locks every migration of a folder as adopted (`driftless lock --adopt`).
fn lock_adopt(kind: Kind, dir: &Path) {
    let loaded = driftless_core::loader::load(dir).unwrap();
    let request = driftless_core::lock::LockRequest {
        dialect: Some(kind.dialect()),
        adopt: true,
        rehash: Vec::new(),
    };
    let outcome = driftless_core::lock::lock(&loaded, &request)
        .unwrap_or_else(|a| panic!("cannot adopt: {:?}", a.diagnostics));
    std::fs::write(
        dir.join(driftless_core::lockfile::FILE_NAME),
        outcome.lock.render(),
    )
    .unwrap();
}

/// Applies a folder with sqlx 0.9's own migrator: the real `_sqlx_migrations`.
async fn sqlx_migrate(pool: &Pool, dir: &Path) {
    let migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
    match pool {
        Pool::Pg(p) => migrator.run(p).await.unwrap(),
        Pool::My(p) => migrator.run(p).await.unwrap(),
        Pool::Lite(p) => migrator.run(p).await.unwrap(),
    }
}

/// sqlx's checksum column (bytes) as text.
fn sqlx_checksum(pool: &Pool) -> String {
    match pool {
        Pool::Pg(_) => "encode(checksum, 'hex')",
        Pool::My(_) => "HEX(checksum)",
        Pool::Lite(_) => "hex(checksum)",
    }
    .to_owned()
}

/// Every row of a table as text, in a stable order: the old table must not change.
async fn snapshot(pool: &Pool, table: &str, columns: &[&str], order: &str) -> Vec<String> {
    let cast = |c: &str| match pool {
        Pool::My(_) => format!("COALESCE(CAST({c} AS CHAR), 'NULL')"),
        _ => format!("COALESCE(CAST({c} AS TEXT), 'NULL')"),
    };
    let concat = match pool {
        Pool::My(_) => format!(
            "CONCAT_WS('|', {})",
            columns
                .iter()
                .map(|c| cast(c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => columns
            .iter()
            .map(|c| cast(c))
            .collect::<Vec<_>>()
            .join(" || '|' || "),
    };
    let sql = format!("SELECT {concat} FROM {table} ORDER BY {order}");
    let sql = sqlx::AssertSqlSafe(sql);
    use sqlx::Row;
    let rows: Vec<String> = match pool {
        Pool::Pg(p) => sqlx::raw_sql(sql)
            .fetch_all(p)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect(),
        Pool::My(p) => sqlx::raw_sql(sql)
            .fetch_all(p)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect(),
        Pool::Lite(p) => sqlx::raw_sql(sql)
            .fetch_all(p)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect(),
    };
    assert!(!rows.is_empty(), "{table} is empty");
    rows
}

/// Whether driftless's history table exists.
async fn history_exists(pool: &Pool) -> bool {
    let exists = match pool {
        Pool::Pg(_) => {
            pool.int("SELECT COUNT(*) FROM pg_tables WHERE tablename = '_driftless_migrations'")
                .await
        }
        Pool::My(_) => {
            pool.int(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() \
                 AND table_name = '_driftless_migrations'",
            )
            .await
        }
        Pool::Lite(_) => {
            pool.int("SELECT COUNT(*) FROM sqlite_master WHERE name = '_driftless_migrations'")
                .await
        }
    };
    exists > 0
}

/// How many migration rows driftless's history holds (0 when it does not exist yet).
async fn our_rows(pool: &Pool) -> i64 {
    if !history_exists(pool).await {
        return 0;
    }
    pool.int("SELECT COUNT(*) FROM _driftless_migrations WHERE version >= 0")
        .await
}

async fn marker(pool: &Pool, version: u64) -> Option<String> {
    pool.text(&format!(
        "SELECT consent FROM _driftless_migrations WHERE namespace = '' AND version = {version}"
    ))
    .await
}

fn versions(a: &Adoption) -> Vec<u64> {
    a.migrations.iter().map(|m| m.version).collect()
}

fn refused_with(a: &Adoption, words: &[&str]) -> bool {
    a.refusals
        .iter()
        .any(|r| words.iter().all(|w| r.contains(w)))
}

async fn sqlx_adopted_then_migrate_is_a_noop(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[("1_users.sql", USERS), ("2_posts.sql", POSTS)],
        false,
    );
    sqlx_migrate(&db.pool, &dir).await;
    let checksum = sqlx_checksum(&db.pool);
    let columns = [
        "version",
        "description",
        "success",
        &checksum,
        "installed_on",
    ];
    let before = snapshot(&db.pool, "_sqlx_migrations", &columns, "version").await;

    // Not locked yet: refused, with the command that fixes it, and nothing written.
    let m = load(&dir);
    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, false).await;
    assert!(
        refused_with(&a, &["1, 2", "driftless lock --adopt"]),
        "{:?}",
        a.refusals
    );
    assert!(!a.written);
    // A refusal writes nothing, not even driftless's history table.
    assert!(!history_exists(&db.pool).await);

    lock_adopt(kind, &dir);
    let m = load(&dir);
    // A dry run checks everything and writes nothing.
    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, true).await;
    assert!(!a.is_refused(), "{:?}", a.refusals);
    assert_eq!(versions(&a), [1, 2]);
    assert!(
        a.migrations
            .iter()
            .all(|m| m.verification == Verification::Verified),
        "{a:?}"
    );
    assert!(a.migrations.iter().all(|m| m.applied_at.is_some()), "{a:?}");
    assert!(a.dry_run && !a.written);
    assert!(!history_exists(&db.pool).await);

    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, false).await;
    assert!(!a.is_refused(), "{:?}", a.refusals);
    assert!(a.written);
    assert_eq!(db.pool.row_status(1).await, "applied");
    assert_eq!(db.pool.row_status(2).await, "applied");
    assert_eq!(marker(&db.pool, 2).await.as_deref(), Some("adopted:sqlx"));
    assert_eq!(
        snapshot(&db.pool, "_sqlx_migrations", &columns, "version").await,
        before,
        "the old table changed"
    );

    // The next boot has nothing to do, and a new migration applies on top.
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
    std::fs::write(dir.join("3_comments.sql"), COMMENTS).unwrap();
    relock(kind, &dir);
    let m = load(&dir);
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(db.pool.int("SELECT COUNT(*) FROM comments").await, 0);

    // Adopting again changes nothing.
    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, false).await;
    assert!(!a.is_refused(), "{:?}", a.refusals);
    assert!(a.migrations.iter().all(|m| m.already_recorded), "{a:?}");
    assert!(a.pending.is_empty(), "{a:?}");
    assert_eq!(our_rows(&db.pool).await, 3);

    // driftless's history disagreeing with the folder is refused.
    db.pool
        .exec(
            "UPDATE _driftless_migrations SET checksum = 'ff' WHERE namespace = '' AND version = 1",
        )
        .await;
    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, true).await;
    assert!(
        refused_with(&a, &["already records migration 1"]),
        "{:?}",
        a.refusals
    );
    db.drop_db().await;
}

async fn sqlx_refusals_write_nothing(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[("1_users.sql", USERS), ("2_posts.sql", POSTS)],
        false,
    );
    sqlx_migrate(&db.pool, &dir).await;
    lock_adopt(kind, &dir);
    let m = load(&dir);

    // A failed (dirty) row.
    db.pool
        .exec("UPDATE _sqlx_migrations SET success = false WHERE version = 2")
        .await;
    let checksum = sqlx_checksum(&db.pool);
    let columns = ["version", "success", &checksum];
    let before = snapshot(&db.pool, "_sqlx_migrations", &columns, "version").await;
    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, false).await;
    assert!(
        refused_with(&a, &["migration 2", "success = false"]),
        "{:?}",
        a.refusals
    );
    assert!(!a.written);
    assert_eq!(our_rows(&db.pool).await, 0);
    assert_eq!(
        snapshot(&db.pool, "_sqlx_migrations", &columns, "version").await,
        before
    );
    db.pool
        .exec("UPDATE _sqlx_migrations SET success = true WHERE version = 2")
        .await;

    // A file edited after sqlx applied it.
    let edited = folder(
        kind,
        &[
            (
                "1_users.sql",
                "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
            ),
            ("2_posts.sql", POSTS),
        ],
        false,
    );
    lock_adopt(kind, &edited);
    let m = load(&edited);
    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, false).await;
    assert!(
        refused_with(&a, &["migration 1", "SHA-384"]),
        "{:?}",
        a.refusals
    );
    assert!(matches!(
        a.migrations[0].verification,
        Verification::Differs(_)
    ));
    assert_eq!(a.migrations[1].verification, Verification::Verified);
    assert_eq!(our_rows(&db.pool).await, 0);

    // A version the folder lacks.
    let partial = folder(kind, &[("1_users.sql", USERS)], false);
    lock_adopt(kind, &partial);
    let m = load(&partial);
    let a = adopt(&db.pool, m.migrator(), Tool::Sqlx, false).await;
    assert!(
        refused_with(&a, &["version 2", "no migration 2"]),
        "{:?}",
        a.refusals
    );
    assert_eq!(a.migrations[1].verification, Verification::NotInFolder);
    assert_eq!(our_rows(&db.pool).await, 0);

    // Another tool's table that is not there.
    let a = adopt(&db.pool, load(&dir).migrator(), Tool::Refinery, false).await;
    assert!(
        refused_with(&a, &["no `refinery_schema_history` table"]),
        "{:?}",
        a.refusals
    );
    db.drop_db().await;
}

/// `_prisma_migrations` as prisma-engines creates it
/// (`schema-engine/connectors/sql-schema-connector/src/flavour/{postgres,mysql,sqlite}.rs`).
fn prisma_table(kind: Kind) -> &'static str {
    match kind {
        Kind::Postgres => {
            "CREATE TABLE _prisma_migrations (
                id                      VARCHAR(36) PRIMARY KEY NOT NULL,
                checksum                VARCHAR(64) NOT NULL,
                finished_at             TIMESTAMPTZ,
                migration_name          VARCHAR(255) NOT NULL,
                logs                    TEXT,
                rolled_back_at          TIMESTAMPTZ,
                started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
                applied_steps_count     INTEGER NOT NULL DEFAULT 0
            )"
        }
        Kind::Mysql => {
            "CREATE TABLE _prisma_migrations (
                id                      VARCHAR(36) PRIMARY KEY NOT NULL,
                checksum                VARCHAR(64) NOT NULL,
                finished_at             DATETIME(3),
                migration_name          VARCHAR(255) NOT NULL,
                logs                    TEXT,
                rolled_back_at          DATETIME(3),
                started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
                applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
            ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        }
        Kind::Sqlite => {
            "CREATE TABLE \"_prisma_migrations\" (
                \"id\"                    TEXT PRIMARY KEY NOT NULL,
                \"checksum\"              TEXT NOT NULL,
                \"finished_at\"           DATETIME,
                \"migration_name\"        TEXT NOT NULL,
                \"logs\"                  TEXT,
                \"rolled_back_at\"        DATETIME,
                \"started_at\"            DATETIME NOT NULL DEFAULT current_timestamp,
                \"applied_steps_count\"   INTEGER UNSIGNED NOT NULL DEFAULT 0
            )"
        }
    }
}

/// A time as Prisma's engine writes it: a timestamp on PostgreSQL and MySQL, milliseconds since
/// the epoch on SQLite (quaint binds `DateTime` there as an integer).
fn prisma_time(kind: Kind, text: &str, millis: i64) -> String {
    match kind {
        Kind::Sqlite => millis.to_string(),
        Kind::Postgres => format!("'{text}+00'"),
        Kind::Mysql => format!("'{text}'"),
    }
}

/// One row as `prisma migrate deploy` leaves it: `finished`/`rolled_back` times or NULL.
#[allow(clippy::too_many_arguments)]
async fn prisma_row(
    pool: &Pool,
    kind: Kind,
    id: &str,
    name: &str,
    sql: &str,
    finished: bool,
    rolled_back: bool,
    logs: Option<&str>,
) {
    let checksum: String = Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let at = prisma_time(kind, "2024-05-06 07:08:09.123", 1_714_979_289_123);
    pool.exec(&format!(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, \
         rolled_back_at, started_at, applied_steps_count) VALUES ('{id}', '{checksum}', {}, \
         '{name}', {}, {}, {at}, {})",
        if finished { at.as_str() } else { "NULL" },
        logs.map_or("NULL".to_owned(), |l| format!("'{l}'")),
        if rolled_back { at.as_str() } else { "NULL" },
        u8::from(finished)
    ))
    .await;
}

async fn prisma_adopted_and_refused(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[
            ("20240101000000_users/migration.sql", USERS),
            ("20240102000000_posts/migration.sql", POSTS),
        ],
        false,
    );
    lock_adopt(kind, &dir);
    let m = load(&dir);
    db.pool.exec(prisma_table(kind)).await;
    db.pool.exec(USERS).await;
    db.pool.exec(POSTS).await;
    // Prisma hashes the file as read on the machine that ran it: here with LF line endings, so
    // only Prisma's line-ending tolerance verifies the CRLF file.
    prisma_row(
        &db.pool,
        kind,
        "a",
        "20240101000000_users",
        USERS,
        true,
        false,
        None,
    )
    .await;
    let lf = POSTS.replace("\r\n", "\n");
    prisma_row(
        &db.pool,
        kind,
        "b",
        "20240102000000_posts",
        &lf,
        false,
        false,
        Some("boom"),
    )
    .await;
    let columns = ["id", "checksum", "finished_at", "rolled_back_at", "logs"];
    let before = snapshot(&db.pool, "_prisma_migrations", &columns, "id").await;

    // Started, not finished: refused.
    let a = adopt(&db.pool, m.migrator(), Tool::Prisma, false).await;
    assert!(
        refused_with(&a, &["20240102000000_posts", "finished_at IS NULL", "boom"]),
        "{:?}",
        a.refusals
    );
    assert_eq!(our_rows(&db.pool).await, 0);

    // Rolled back and never applied again: refused.
    db.pool
        .exec(&format!(
            "UPDATE _prisma_migrations SET rolled_back_at = {} WHERE id = 'b'",
            prisma_time(kind, "2024-05-06 08:00:00", 1_714_982_400_000)
        ))
        .await;
    let a = adopt(&db.pool, m.migrator(), Tool::Prisma, false).await;
    assert!(
        refused_with(&a, &["20240102000000_posts", "rolled back"]),
        "{:?}",
        a.refusals
    );
    assert_eq!(our_rows(&db.pool).await, 0);

    // Applied again after the rollback (Prisma's resolve path): adopted, checksum verified
    // through the line-ending tolerance.
    prisma_row(
        &db.pool,
        kind,
        "c",
        "20240102000000_posts",
        &lf,
        true,
        false,
        None,
    )
    .await;
    let a = adopt(&db.pool, m.migrator(), Tool::Prisma, false).await;
    assert!(!a.is_refused(), "{:?}", a.refusals);
    assert_eq!(versions(&a), [20240101000000, 20240102000000]);
    assert!(
        a.migrations
            .iter()
            .all(|m| m.verification == Verification::Verified),
        "{a:?}"
    );
    assert_eq!(
        a.migrations[0].applied_at.as_deref(),
        Some("2024-05-06 07:08:09.123000")
    );
    assert_eq!(db.pool.row_status(20240102000000).await, "applied");
    assert_eq!(
        marker(&db.pool, 20240101000000).await.as_deref(),
        Some("adopted:prisma")
    );
    let now = snapshot(&db.pool, "_prisma_migrations", &columns, "id").await;
    assert_eq!(now.len(), 3);
    // Rows a and b as they were, except the rollback this test made itself.
    assert_eq!(now[0], before[0], "the old table changed");
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());

    // A migration.sql edited after Prisma applied it.
    let edited = folder(
        kind,
        &[(
            "20240101000000_users/migration.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
        )],
        false,
    );
    lock_adopt(kind, &edited);
    let other = TestDb::new(kind).await.unwrap();
    other.pool.exec(prisma_table(kind)).await;
    prisma_row(
        &other.pool,
        kind,
        "a",
        "20240101000000_users",
        USERS,
        true,
        false,
        None,
    )
    .await;
    let a = adopt(&other.pool, load(&edited).migrator(), Tool::Prisma, false).await;
    assert!(refused_with(&a, &["SHA-256", "edited"]), "{:?}", a.refusals);
    assert_eq!(our_rows(&other.pool).await, 0);
    other.drop_db().await;
    db.drop_db().await;
}

/// `refinery_schema_history` as refinery_core creates it (`traits/mod.rs`,
/// `ASSERT_MIGRATIONS_TABLE_QUERY`), the same on every database.
const REFINERY_TABLE: &str = "CREATE TABLE IF NOT EXISTS refinery_schema_history(
             version INT4 PRIMARY KEY,
             name VARCHAR(255),
             applied_on VARCHAR(255),
             checksum VARCHAR(255))";

/// refinery's checksum: `SipHasher13::new()` over the name, the `i32` version and the SQL
/// through `Hash` (refinery_core `migration.rs`); std's `DefaultHasher::new()` is that hasher.
fn refinery_checksum(name: &str, version: i32, sql: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut hasher);
    version.hash(&mut hasher);
    sql.hash(&mut hasher);
    hasher.finish()
}

async fn refinery_adopted_and_refused(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    // refinery names files `V1__users.sql`; driftless reads the flat layout, and refinery's
    // checksum uses the name it recorded, so the adopted folder may use either name.
    let dir = folder(
        kind,
        &[("1_users.sql", USERS), ("2_posts.sql", POSTS)],
        false,
    );
    lock_adopt(kind, &dir);
    let m = load(&dir);
    db.pool.exec(REFINERY_TABLE).await;
    db.pool.exec(USERS).await;
    db.pool.exec(POSTS).await;
    for (version, name, sql, at) in [
        (1, "users", USERS, "2024-05-06T07:08:09.123456789+02:00"),
        (2, "posts", POSTS, "2024-05-07T00:00:00Z"),
    ] {
        db.pool
            .exec(&format!(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
                 VALUES ({version}, '{name}', '{at}', '{}')",
                refinery_checksum(name, version, sql)
            ))
            .await;
    }
    let columns = ["version", "name", "applied_on", "checksum"];
    let before = snapshot(&db.pool, "refinery_schema_history", &columns, "version").await;

    let a = adopt(&db.pool, m.migrator(), Tool::Refinery, true).await;
    assert!(!a.is_refused(), "{:?}", a.refusals);
    assert!(
        a.migrations
            .iter()
            .all(|m| m.verification == Verification::Verified),
        "{a:?}"
    );
    // RFC 3339 with an offset is recorded in UTC.
    assert_eq!(
        a.migrations[0].applied_at.as_deref(),
        Some("2024-05-06 05:08:09.123456")
    );
    assert_eq!(our_rows(&db.pool).await, 0);

    // A name refinery did not record changes its checksum: refused.
    db.pool
        .exec("UPDATE refinery_schema_history SET name = 'people' WHERE version = 1")
        .await;
    let a = adopt(&db.pool, m.migrator(), Tool::Refinery, false).await;
    assert!(
        refused_with(&a, &["migration 1", "refinery recorded checksum"]),
        "{:?}",
        a.refusals
    );
    assert_eq!(our_rows(&db.pool).await, 0);
    db.pool
        .exec("UPDATE refinery_schema_history SET name = 'users' WHERE version = 1")
        .await;

    let a = adopt(&db.pool, m.migrator(), Tool::Refinery, false).await;
    assert!(!a.is_refused(), "{:?}", a.refusals);
    assert!(a.written);
    assert_eq!(
        marker(&db.pool, 1).await.as_deref(),
        Some("adopted:refinery")
    );
    assert_eq!(
        snapshot(&db.pool, "refinery_schema_history", &columns, "version").await,
        before
    );
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
    db.drop_db().await;
}

/// `__diesel_schema_migrations` as diesel_migrations creates it
/// (`src/migration/setup_migration_table.sql`); diesel stores the folder's version without
/// dashes (`migrations_internals::version_from_string`).
const DIESEL_TABLE: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

async fn diesel_adopted_unverified(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[
            ("2024-01-01-000000_users/up.sql", USERS),
            ("2024-01-01-000000_users/down.sql", "DROP TABLE users;\n"),
            ("2024-01-02-000000_posts/up.sql", POSTS),
            ("2024-01-02-000000_posts/down.sql", "DROP TABLE posts;\n"),
        ],
        false,
    );
    lock_adopt(kind, &dir);
    db.pool.exec(DIESEL_TABLE).await;
    db.pool.exec(USERS).await;
    db.pool.exec(POSTS).await;
    // A version the folder lacks: refused.
    db.pool
        .exec(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000'), \
             ('20240102000000'), ('20231231000000')",
        )
        .await;
    let before = snapshot(
        &db.pool,
        "__diesel_schema_migrations",
        &["version", "run_on"],
        "version",
    )
    .await;
    let m = load(&dir);
    let a = adopt(&db.pool, m.migrator(), Tool::Diesel, false).await;
    assert!(
        refused_with(&a, &["version 20231231000000", "no migration"]),
        "{:?}",
        a.refusals
    );
    assert_eq!(our_rows(&db.pool).await, 0);
    db.pool
        .exec("DELETE FROM __diesel_schema_migrations WHERE version = '20231231000000'")
        .await;

    let a = adopt(&db.pool, m.migrator(), Tool::Diesel, false).await;
    assert!(!a.is_refused(), "{:?}", a.refusals);
    assert_eq!(versions(&a), [20240101000000, 20240102000000]);
    assert!(
        a.migrations
            .iter()
            .all(|m| matches!(m.verification, Verification::NotVerifiable(_))),
        "{a:?}"
    );
    assert_eq!(
        marker(&db.pool, 20240102000000).await.as_deref(),
        Some("adopted:diesel")
    );
    assert_eq!(
        snapshot(
            &db.pool,
            "__diesel_schema_migrations",
            &["version", "run_on"],
            "version"
        )
        .await,
        before[1..]
    );
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
    db.drop_db().await;
}
