//! Drift on real engines: every look-alike history, the quickstart and the UI fixtures, applied
//! to the engine of their dialect, have no drift; every kind of manual change is reported once,
//! with the right kind, on all three engines.

use driftless::drift::{Drift, DriftKind};
use driftless::{ErrorKind, Migrations};

use crate::common::*;
use crate::real::{adopted, copy_dir};

fn kind_of(name: &str) -> Kind {
    if name.starts_with("pg_") {
        Kind::Postgres
    } else if name.starts_with("mysql_") {
        Kind::Mysql
    } else {
        Kind::Sqlite
    }
}

/// Applies `m` to a fresh database of `kind` and returns the drift right after.
async fn applied_drift(kind: Kind, m: &Migrations, what: &str) -> Option<Drift> {
    let db = TestDb::new(kind).await?;
    db.pool
        .run(m.migrator())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let drift = db
        .pool
        .drift(m.migrator())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    db.drop_db().await;
    Some(drift)
}

fn assert_no_drift(what: &str, drift: &Drift) {
    let lines: Vec<String> = drift.report.drift.iter().map(|d| d.summary()).collect();
    assert!(
        lines.is_empty(),
        "{what} drifts right after it was applied:\n{}",
        lines.join("\n")
    );
    assert!(drift.report.compared > 0, "{what}: nothing compared");
    eprintln!(
        "{what}: {} objects compared, {} not verified{}",
        drift.report.compared,
        drift.report.unverified.len(),
        drift
            .report
            .unverified
            .iter()
            .map(|u| format!("\n    {}: {}", u.object, u.why))
            .collect::<String>()
    );
}

async fn fixtures_of(kind: Kind) {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../core/tests/fixtures/real");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            e.file_type()
                .ok()?
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .filter(|n| kind_of(n) == kind)
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let m = load(&adopted(&name, kind));
        let Some(drift) = applied_drift(kind, &m, &name).await else {
            return;
        };
        assert_no_drift(&name, &drift);
    }
}

#[tokio::test]
async fn look_alikes_do_not_drift_on_postgres() {
    fixtures_of(Kind::Postgres).await;
}

#[tokio::test]
async fn look_alikes_do_not_drift_on_mysql() {
    fixtures_of(Kind::Mysql).await;
}

#[tokio::test]
async fn look_alikes_do_not_drift_on_sqlite() {
    fixtures_of(Kind::Sqlite).await;
}

#[tokio::test]
async fn quickstart_and_ui_fixtures_do_not_drift() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut folders = vec![root.join("examples/quickstart/migrations")];
    for name in ["valid", "acknowledged", "adopted", "crlf"] {
        folders.push(root.join("tests/ui/fixtures").join(name));
    }
    for folder in folders {
        let to = std::env::temp_dir().join(unique("fixture"));
        copy_dir(&folder, &to);
        let m = Migrations::load(&to).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        let kind = match m.dialect() {
            driftless::Dialect::Postgres => Kind::Postgres,
            driftless::Dialect::Mysql => Kind::Mysql,
            driftless::Dialect::Sqlite => Kind::Sqlite,
        };
        let what = folder.display().to_string();
        if let Some(drift) = applied_drift(kind, &m, &what).await {
            assert_no_drift(&what, &drift);
        }
    }
}

/// The history every manual change starts from.
fn base(kind: Kind) -> Vec<(&'static str, &'static str)> {
    match kind {
        Kind::Postgres => vec![(
            "0001_base.sql",
            "CREATE TYPE mood AS ENUM ('sad', 'ok');\n\
             CREATE TABLE users (id serial PRIMARY KEY, email varchar(100) NOT NULL UNIQUE,\n\
               name text, status text NOT NULL DEFAULT 'active', m mood);\n\
             CREATE TABLE posts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n\
               user_id int NOT NULL REFERENCES users, title text NOT NULL);\n\
             CREATE INDEX posts_title ON posts (title);\n",
        )],
        Kind::Mysql => vec![(
            "0001_base.sql",
            "CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(100) NOT NULL UNIQUE,\n\
               name text, status varchar(20) NOT NULL DEFAULT 'active');\n\
             CREATE TABLE posts (id bigint AUTO_INCREMENT PRIMARY KEY, user_id int NOT NULL,\n\
               title varchar(200) NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id));\n\
             CREATE INDEX posts_title ON posts (title);\n",
        )],
        Kind::Sqlite => vec![(
            "0001_base.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE,\n\
               name TEXT, status TEXT NOT NULL DEFAULT 'active');\n\
             CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),\n\
               title TEXT NOT NULL);\n\
             CREATE INDEX posts_title ON posts (title);\n",
        )],
    }
}

/// SQLite changes a column by rebuilding its table: `users` again with `email` and the default of
/// `status` as given.
fn sqlite_users(email: &str, status_default: &str) -> String {
    format!(
        "CREATE TABLE users_new (id INTEGER PRIMARY KEY AUTOINCREMENT, {email}, name TEXT, \
         status TEXT NOT NULL DEFAULT {status_default});\n\
         INSERT INTO users_new SELECT * FROM users; DROP TABLE users; \
         ALTER TABLE users_new RENAME TO users;"
    )
}

/// A manual change and what drift must say about it: `(kind, object kind, aspect)`.
struct Case {
    what: &'static str,
    sql: String,
    expect: (DriftKind, &'static str, &'static str),
}

fn cases(kind: Kind) -> Vec<Case> {
    let mut cases = vec![
        Case {
            what: "a column added",
            sql: "ALTER TABLE users ADD COLUMN nickname TEXT".into(),
            expect: (DriftKind::Extra, "column", ""),
        },
        Case {
            what: "a column dropped",
            sql: "ALTER TABLE users DROP COLUMN name".into(),
            expect: (DriftKind::Missing, "column", ""),
        },
        Case {
            what: "an index added",
            sql: "CREATE INDEX users_name ON users (name)".into(),
            expect: (DriftKind::Extra, "index", ""),
        },
        Case {
            what: "an index dropped",
            sql: match kind {
                Kind::Mysql => "DROP INDEX posts_title ON posts".into(),
                _ => "DROP INDEX posts_title".into(),
            },
            expect: (DriftKind::Missing, "index", ""),
        },
        Case {
            what: "a table added",
            sql: "CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT)".into(),
            expect: (DriftKind::Extra, "table", ""),
        },
        Case {
            what: "a table renamed",
            sql: match kind {
                Kind::Mysql => "RENAME TABLE posts TO articles".into(),
                _ => "ALTER TABLE posts RENAME TO articles".into(),
            },
            expect: (DriftKind::Changed, "table", "name"),
        },
    ];
    match kind {
        Kind::Postgres => cases.extend([
            Case {
                what: "a column retyped",
                sql: "ALTER TABLE users ALTER COLUMN email TYPE text".into(),
                expect: (DriftKind::Changed, "column", "type"),
            },
            Case {
                what: "a column made nullable",
                sql: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL".into(),
                expect: (DriftKind::Changed, "column", "nullability"),
            },
            Case {
                what: "a column given a new default",
                sql: "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'new'".into(),
                expect: (DriftKind::Changed, "column", "default"),
            },
            Case {
                what: "a constraint dropped",
                sql: "ALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey".into(),
                expect: (DriftKind::Missing, "constraint", ""),
            },
            Case {
                what: "an enum value added",
                sql: "ALTER TYPE mood ADD VALUE 'happy'".into(),
                expect: (DriftKind::Changed, "enum", "values"),
            },
        ]),
        Kind::Mysql => cases.extend([
            Case {
                what: "a column retyped",
                sql: "ALTER TABLE users MODIFY COLUMN email varchar(200) NOT NULL".into(),
                expect: (DriftKind::Changed, "column", "type"),
            },
            Case {
                what: "a column made nullable",
                sql: "ALTER TABLE users MODIFY COLUMN email varchar(100) NULL".into(),
                expect: (DriftKind::Changed, "column", "nullability"),
            },
            Case {
                what: "a column given a new default",
                sql: "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'new'".into(),
                expect: (DriftKind::Changed, "column", "default"),
            },
            Case {
                what: "a constraint dropped",
                sql: "ALTER TABLE posts DROP FOREIGN KEY posts_ibfk_1".into(),
                expect: (DriftKind::Missing, "constraint", ""),
            },
        ]),
        Kind::Sqlite => cases.extend([
            Case {
                what: "a column retyped",
                sql: sqlite_users("email INTEGER NOT NULL UNIQUE", "'active'"),
                expect: (DriftKind::Changed, "column", "type"),
            },
            Case {
                what: "a column made nullable",
                sql: sqlite_users("email TEXT UNIQUE", "'active'"),
                expect: (DriftKind::Changed, "column", "nullability"),
            },
            Case {
                what: "a column given a new default",
                sql: sqlite_users("email TEXT NOT NULL UNIQUE", "'new'"),
                expect: (DriftKind::Changed, "column", "default"),
            },
            Case {
                what: "a constraint dropped",
                sql: "PRAGMA foreign_keys = OFF; CREATE TABLE posts_new (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT NOT NULL);\n\
                      INSERT INTO posts_new SELECT * FROM posts; DROP TABLE posts; ALTER TABLE posts_new RENAME TO posts;\n\
                      CREATE INDEX posts_title ON posts (title);".into(),
                expect: (DriftKind::Missing, "constraint", ""),
            },
        ]),
    }
    cases
}

async fn manual_changes(kind: Kind) {
    for case in cases(kind) {
        let Some(db) = TestDb::new(kind).await else {
            return;
        };
        let m = load(&folder(kind, &base(kind), true));
        db.pool.run(m.migrator()).await.unwrap();
        let clean = db.pool.drift(m.migrator()).await.unwrap();
        assert!(
            clean.report.drift.is_empty(),
            "{kind:?} base drifts: {:#?}",
            clean.report.drift
        );
        db.pool.exec(&case.sql).await;
        let drift = db.pool.drift(m.migrator()).await.unwrap();
        let found: Vec<(DriftKind, &str, &str)> = drift
            .report
            .drift
            .iter()
            .map(|d| (d.kind, d.object_kind, d.aspect))
            .collect();
        assert_eq!(
            found,
            [case.expect],
            "{kind:?}, {}: {:#?}",
            case.what,
            drift.report.drift
        );
        let d = &drift.report.drift[0];
        assert!(
            !d.to_history.is_empty() && !d.to_database.is_empty(),
            "{d:#?}"
        );
        if d.kind != DriftKind::Extra {
            assert!(
                d.origin
                    .as_ref()
                    .is_some_and(|o| &*o.file == "0001_base.sql"),
                "{d:#?}"
            );
        }
        // `refuse_drift` keeps a pending migration from running on top of it.
        let next = load(&folder(
            kind,
            &[
                base(kind)[0],
                (
                    "0002_next.sql",
                    "CREATE TABLE later (id INTEGER PRIMARY KEY);",
                ),
            ],
            true,
        ));
        if case.what == "a table added" {
            let refused = db
                .pool
                .run(next.migrator().refuse_drift(true))
                .await
                .unwrap_err();
            assert_eq!(refused.kind(), ErrorKind::Drift, "{refused}");
            assert!(refused.to_string().contains("driftless drift"), "{refused}");
            assert_eq!(
                db.pool
                    .int("SELECT COUNT(*) FROM _driftless_migrations WHERE version = 2")
                    .await,
                0
            );
        }
        db.drop_db().await;
    }
}

#[tokio::test]
async fn manual_changes_are_reported_on_postgres() {
    manual_changes(Kind::Postgres).await;
}

#[tokio::test]
async fn manual_changes_are_reported_on_mysql() {
    manual_changes(Kind::Mysql).await;
}

#[tokio::test]
async fn manual_changes_are_reported_on_sqlite() {
    manual_changes(Kind::Sqlite).await;
}

/// A role that may read the history table and nothing else reads drift: the catalogs are
/// readable by every role.
#[tokio::test]
async fn drift_reads_as_a_read_only_postgres_role() {
    use std::str::FromStr;

    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    let m = load(&folder(Kind::Postgres, &base(Kind::Postgres), true));
    db.pool.run(m.migrator()).await.unwrap();
    db.pool
        .exec("ALTER TABLE users ADD COLUMN hotfix int")
        .await;
    let role = unique("drift_reader");
    db.pool
        .exec(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'r'; \
             ALTER ROLE {role} SET default_transaction_read_only = on; \
             GRANT SELECT ON _driftless_migrations TO {role}"
        ))
        .await;
    let options = sqlx::postgres::PgConnectOptions::from_str(&db.url)
        .unwrap()
        .username(&role)
        .password("r");
    let pool = sqlx::PgPool::connect_with(options).await.unwrap();
    let denied = sqlx::raw_sql("SELECT * FROM users").execute(&pool).await;
    let drift = m.migrator().drift(&pool).await;
    pool.close().await;
    db.pool
        .exec(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await;
    assert!(denied.is_err(), "the role must not read user tables");
    let drift = drift.unwrap();
    let found: Vec<String> = drift.report.drift.iter().map(|d| d.summary()).collect();
    assert_eq!(
        found,
        ["extra column users.hotfix: database integer"],
        "{found:#?}"
    );
    db.drop_db().await;
}

/// MySQL cannot roll DDL back: a migration that fails half-way is recorded `failed`, and drift
/// says which of its objects exist.
#[tokio::test]
async fn a_half_applied_mysql_migration_shows_which_objects_exist() {
    let Some(db) = TestDb::new(Kind::Mysql).await else {
        return;
    };
    let files = [
        base(Kind::Mysql)[0],
        (
            "0002_half.sql",
            "CREATE TABLE tags (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n\
             ALTER TABLE posts ADD COLUMN tag_id INT;\n\
             ALTER TABLE users ADD CONSTRAINT users_name_unique UNIQUE (name(20));\n\
             CREATE TABLE post_tags (post_id BIGINT NOT NULL, tag_id INT NOT NULL,\n\
               FOREIGN KEY (tag_id) REFERENCES tags (id), PRIMARY KEY (post_id, tag_id));\n",
        ),
    ];
    let m = load(&folder(Kind::Mysql, &files, true));
    // The unique key fails on the rows already there, after two statements committed.
    db.pool
        .run(load(&folder(Kind::Mysql, &files[..1], true)).migrator())
        .await
        .unwrap();
    db.pool
        .exec("INSERT INTO users (email, name) VALUES ('a@x', 'same'), ('b@x', 'same')")
        .await;
    let failed = db.pool.run(m.migrator()).await.unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::MigrationFailed, "{failed}");
    let drift = db.pool.drift(m.migrator()).await.unwrap();
    assert_eq!(drift.replayed, [1]);
    let [half] = drift.half_applied.as_slice() else {
        panic!("{:#?}", drift.half_applied);
    };
    assert_eq!(half.version, 2);
    assert_eq!(
        half.present,
        ["column posts.tag_id", "table tags"],
        "{half:#?}"
    );
    assert_eq!(half.absent, ["table post_tags"], "{half:#?}");
    // What it did is drift against the applied history; so is the table made by hand.
    let kinds: Vec<(DriftKind, &str, String)> = drift
        .report
        .drift
        .iter()
        .map(|d| (d.kind, d.object_kind, d.object.clone()))
        .collect();
    assert!(
        kinds.contains(&(DriftKind::Extra, "table", "tags".into())),
        "{kinds:#?}"
    );
    assert!(
        kinds.contains(&(DriftKind::Extra, "column", "posts.tag_id".into())),
        "{kinds:#?}"
    );
    db.drop_db().await;
}

/// Objects `driftless.toml` declares owned elsewhere are never drift; everything else still is.
#[tokio::test]
async fn externs_are_not_drift() {
    let Some(db) = TestDb::new(Kind::Sqlite).await else {
        return;
    };
    let files = [
        ("0001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n"),
        ("driftless.toml", "extern = [\"legacy_audit\"]\n"),
    ];
    let m = load(&folder(Kind::Sqlite, &files, true));
    assert_eq!(m.externs().collect::<Vec<_>>(), ["legacy_audit"]);
    db.pool.run(m.migrator()).await.unwrap();
    db.pool
        .exec("CREATE TABLE legacy_audit (id INTEGER); CREATE TABLE stray (id INTEGER)")
        .await;
    let drift = db.pool.drift(m.migrator()).await.unwrap();
    let found: Vec<String> = drift.report.drift.iter().map(|d| d.summary()).collect();
    assert_eq!(
        found,
        ["extra table stray: database table (id)"],
        "{found:#?}"
    );
    db.drop_db().await;
}

/// Spellings the engines rewrite, and statements whose effect the model only partly knows: none
/// of them is drift.
#[tokio::test]
async fn engine_spellings_are_not_drift() {
    let histories: [(Kind, &str); 3] = [
        (
            Kind::Postgres,
            "CREATE TYPE mood AS ENUM ('sad', 'ok');\n\
             CREATE SCHEMA billing;\n\
             CREATE TABLE \"Accounts\" (\"Id\" serial PRIMARY KEY, \"DisplayName\" varchar,\n\
               price numeric(10,2) NOT NULL DEFAULT 0, tags text[] NOT NULL DEFAULT '{}',\n\
               m mood NOT NULL DEFAULT 'ok', at timestamp(3) DEFAULT now(),\n\
               status text CHECK (status IN ('a', 'b')), ratio double precision DEFAULT -1.5,\n\
               due date DEFAULT CURRENT_DATE + INTERVAL '7 days');\n\
             CREATE INDEX accounts_open ON \"Accounts\" (status) WHERE status IN ('a', 'b');\n\
             CREATE INDEX ON \"Accounts\" (lower(\"DisplayName\"));\n\
             CREATE TABLE billing.invoices (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n\
               account int REFERENCES \"Accounts\", total numeric DEFAULT 0.00);\n\
             CREATE TABLE copy_plain (LIKE \"Accounts\");\n\
             CREATE TABLE copy_all (LIKE \"Accounts\" INCLUDING ALL);\n\
             CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);\n\
             CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n\
             CREATE TABLE counters (id serial PRIMARY KEY);\n\
             ALTER TABLE counters ALTER COLUMN id DROP DEFAULT;\n",
        ),
        (
            Kind::Mysql,
            "CREATE TABLE accounts (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,\n\
               price decimal(10,2) NOT NULL DEFAULT 0, ratio float(7,4) DEFAULT '1.5',\n\
               active tinyint(1) NOT NULL DEFAULT TRUE, kind enum('a','b c') NOT NULL DEFAULT 'a',\n\
               at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),\n\
               updated timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,\n\
               note text, data json, born year, code char(2) DEFAULT '', uid binary(16),\n\
               UNIQUE KEY accounts_code (code), KEY by_note (note(20)),\n\
               CHECK (price >= 0)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
             CREATE TABLE items (id bigint AUTO_INCREMENT PRIMARY KEY, account_id int unsigned,\n\
               CONSTRAINT items_account FOREIGN KEY (account_id) REFERENCES accounts (id));\n",
        ),
        (
            Kind::Sqlite,
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, at TEXT DEFAULT (datetime('now')),\n\
               price NUMERIC DEFAULT 0.0, flag BOOLEAN NOT NULL DEFAULT FALSE,\n\
               name TEXT COLLATE NOCASE CHECK (length(name) > 0));\n\
             CREATE TABLE tags (name TEXT PRIMARY KEY, n INT) WITHOUT ROWID;\n\
             CREATE INDEX accounts_named ON accounts (name) WHERE name IS NOT NULL AND price > 0;\n",
        ),
    ];
    for (kind, sql) in histories {
        let m = load(&folder(kind, &[("0001_edges.sql", sql)], true));
        if let Some(drift) = applied_drift(kind, &m, &format!("{kind:?} edges")).await {
            assert_no_drift(&format!("{kind:?} edges"), &drift);
        }
    }
}

/// A library's tables in the same database are not the application's drift: the history says
/// another namespace made them, whose migrations the application does not embed.
#[tokio::test]
async fn another_namespace_is_not_drift() {
    let Some(db) = TestDb::new(Kind::Sqlite).await else {
        return;
    };
    let app = load(&folder(
        Kind::Sqlite,
        &[(
            "0001_app.sql",
            "CREATE TABLE app (id INTEGER PRIMARY KEY);\n",
        )],
        true,
    ));
    let lib = load(&folder(
        Kind::Sqlite,
        &[(
            "0001_jobs.sql",
            "CREATE TABLE jobs (id INTEGER PRIMARY KEY);\n",
        )],
        true,
    ))
    .with_namespace("job_queue");
    db.pool.run(app.migrator()).await.unwrap();
    db.pool.run(lib.migrator()).await.unwrap();
    let drift = db.pool.drift(app.migrator()).await.unwrap();
    assert!(drift.report.drift.is_empty(), "{:#?}", drift.report.drift);
    assert!(
        drift
            .report
            .unverified
            .iter()
            .any(|u| u.object == "table jobs" && u.why.contains("other namespaces")),
        "{:#?}",
        drift.report.unverified
    );
    // The library sees the application's table the same way, and its own as it should be.
    let drift = db.pool.drift(lib.migrator()).await.unwrap();
    assert!(drift.report.drift.is_empty(), "{:#?}", drift.report.drift);
    // A change to the application's own table is still drift.
    db.pool.exec("ALTER TABLE app ADD COLUMN hotfix TEXT").await;
    let drift = db.pool.drift(app.migrator()).await.unwrap();
    let found: Vec<String> = drift.report.drift.iter().map(|d| d.summary()).collect();
    assert_eq!(
        found,
        ["extra column app.hotfix: database TEXT"],
        "{found:#?}"
    );
    db.drop_db().await;
}
