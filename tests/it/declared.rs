//! The declared schema on real engines: what `driftless diff` writes applies and reaches the
//! declared schema on each engine, and `pull` → `diff` from an empty history → apply → `pull`
//! gives the same `schema.sql` for every look-alike history.

use driftless::Migrations;
use driftless_core::drift::{self, DriftKind, Schema, Source};

use crate::common::*;
use crate::real::adopted;

fn dialect(kind: Kind) -> driftless_core::Dialect {
    kind.dialect()
}

/// The schema `files` produce, replayed as migrations in order.
fn replay(kind: Kind, files: &[(&str, &str)]) -> Schema {
    let ranges: Vec<Vec<std::ops::Range<usize>>> = files
        .iter()
        .map(|(_, sql)| {
            driftless_core::split::split(sql, dialect(kind))
                .statements()
                .collect()
        })
        .collect();
    let sources: Vec<Source<'_>> = files
        .iter()
        .zip(&ranges)
        .map(|((path, sql), statements)| Source {
            path,
            sql,
            statements,
            transactional: true,
        })
        .collect();
    drift::expected(dialect(kind), &sources, &[])
}

const ACK: &str = "-- driftless: allow drop-table, drop-column, lossy-type-change, drop-enum-value: \
                   the test applies what diff wrote\n\n";

/// A history and the declared schema it should reach: every kind of change `diff` writes.
fn case(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Postgres => (
            "CREATE TYPE mood AS ENUM ('sad', 'ok');\n\
             CREATE TABLE users (id serial PRIMARY KEY, email varchar(100) NOT NULL, name text,\n\
               legacy text, score int DEFAULT 0, m mood);\n\
             CREATE TABLE posts (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users,\n\
               title text NOT NULL);\n\
             CREATE INDEX posts_title ON posts (title);\n\
             CREATE TABLE old_audit (id int PRIMARY KEY);\n\
             CREATE VIEW user_ids AS SELECT id FROM users;\n",
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n\
             CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE,\n\
               name text NOT NULL DEFAULT '', nickname text, score bigint DEFAULT 1, m mood);\n\
             CREATE TABLE tags (id serial PRIMARY KEY, label text NOT NULL UNIQUE);\n\
             CREATE TABLE posts (id serial PRIMARY KEY,\n\
               user_id int NOT NULL REFERENCES users ON DELETE CASCADE,\n\
               title text NOT NULL, tag_id int REFERENCES tags (id));\n\
             CREATE INDEX posts_title_lower ON posts (lower(title));\n\
             CREATE VIEW user_ids AS SELECT id FROM users;\n\
             CREATE VIEW tagged AS SELECT p.id, t.label FROM posts p JOIN tags t ON t.id = p.tag_id;\n\
             CREATE TABLE teams (id serial PRIMARY KEY, name text NOT NULL, captain_id int);\n\
             CREATE TABLE members (id serial PRIMARY KEY, team_id int NOT NULL REFERENCES teams (id));\n\
             ALTER TABLE teams ADD CONSTRAINT teams_captain_fkey FOREIGN KEY (captain_id)\n\
               REFERENCES members (id);\n",
        ),
        Kind::Mysql => (
            "CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(100) NOT NULL,\n\
               name varchar(50), legacy varchar(20), score int DEFAULT 0);\n\
             CREATE TABLE posts (id int AUTO_INCREMENT PRIMARY KEY, user_id int NOT NULL,\n\
               title varchar(200) NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id));\n\
             CREATE INDEX posts_title ON posts (title);\n\
             CREATE TABLE old_audit (id int PRIMARY KEY);\n",
            "CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(200) NOT NULL UNIQUE,\n\
               name varchar(50) NOT NULL DEFAULT '', nickname varchar(20), score bigint DEFAULT 1);\n\
             CREATE TABLE tags (id int AUTO_INCREMENT PRIMARY KEY, label varchar(50) NOT NULL UNIQUE);\n\
             CREATE TABLE posts (id int AUTO_INCREMENT PRIMARY KEY, user_id int NOT NULL,\n\
               title varchar(200) NOT NULL, tag_id int,\n\
               FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,\n\
               CONSTRAINT posts_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id));\n\
             CREATE INDEX posts_title_user ON posts (title, user_id);\n\
             CREATE VIEW tagged AS SELECT p.id, t.label FROM posts p JOIN tags t ON t.id = p.tag_id;\n\
             CREATE TABLE teams (id int AUTO_INCREMENT PRIMARY KEY, name varchar(50) NOT NULL,\n\
               captain_id int);\n\
             CREATE TABLE members (id int AUTO_INCREMENT PRIMARY KEY, team_id int NOT NULL,\n\
               CONSTRAINT members_team_fk FOREIGN KEY (team_id) REFERENCES teams (id));\n\
             ALTER TABLE teams ADD CONSTRAINT teams_captain_fk FOREIGN KEY (captain_id)\n\
               REFERENCES members (id);\n",
        ),
        Kind::Sqlite => (
            "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, name TEXT,\n\
               legacy TEXT, score INTEGER DEFAULT 0);\n\
             CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),\n\
               title TEXT NOT NULL);\n\
             CREATE INDEX posts_title ON posts (title);\n\
             CREATE TABLE old_audit (id INTEGER PRIMARY KEY);\n\
             CREATE VIEW user_emails AS SELECT id, email FROM users;\n\
             CREATE VIEW first_user_email AS SELECT min(email) AS email FROM \"USER_EMAILS\";\n\
             CREATE VIEW user_names AS SELECT name FROM Users;\n",
            "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE,\n\
               name TEXT NOT NULL DEFAULT '', nickname TEXT, score REAL DEFAULT 1);\n\
             CREATE VIEW user_emails AS SELECT id, email FROM users WHERE email <> '';\n\
             CREATE VIEW first_user_email AS SELECT min(email) AS email FROM \"USER_EMAILS\";\n\
             CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);\n\
             CREATE TABLE posts (id INTEGER PRIMARY KEY,\n\
               user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n\
               title TEXT NOT NULL, tag_id INTEGER REFERENCES tags (id));\n\
             CREATE INDEX posts_title_lower ON posts (lower(title)) WHERE title <> '';\n\
             CREATE VIEW tagged AS SELECT p.id, t.label FROM posts p JOIN tags t ON t.id = p.tag_id;\n",
        ),
    }
}

async fn diff_applies(kind: Kind) {
    let (base, declared_sql) = case(kind);
    let history = replay(kind, &[("0001_base.sql", base)]);
    let declared = replay(kind, &[("schema.sql", declared_sql)]);
    let report = drift::compare(dialect(kind), &history, &declared);
    let kinds: Vec<(DriftKind, &str)> = report
        .drift
        .iter()
        .map(|d| (d.kind, d.object_kind))
        .collect();
    for wanted in [
        (DriftKind::Extra, "table"),
        (DriftKind::Missing, "table"),
        (DriftKind::Extra, "column"),
        (DriftKind::Missing, "column"),
        (DriftKind::Changed, "column"),
        (DriftKind::Extra, "index"),
        (DriftKind::Missing, "index"),
        (DriftKind::Extra, "constraint"),
        (DriftKind::Extra, "view"),
    ] {
        assert!(
            kinds.contains(&wanted),
            "{kind:?} case lacks {wanted:?}: {kinds:?}"
        );
    }
    let body = drift::migration_from(dialect(kind), &report, &history, &declared, "schema.sql");
    // Never a silent rename: `legacy` gone and `nickname` added is drop + add, with the RENAME
    // in a comment.
    assert!(
        body.contains("-- ALTER TABLE") && body.contains("RENAME COLUMN"),
        "{body}"
    );
    // A foreign key's new `ON DELETE` is one finding, and the migration gives it the key.
    assert!(
        report
            .drift
            .iter()
            .any(|d| d.object_kind == "constraint" && d.aspect == "actions"),
        "{kind:?}: {:#?}",
        report.drift
    );
    assert!(body.contains("ON DELETE CASCADE"), "{body}");
    // Types and tables come before what uses them; drops come last.
    let at = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle} in:\n{body}"))
    };
    assert!(at("CREATE TABLE") < at("DROP TABLE"), "{body}");
    if kind != Kind::Sqlite {
        // `members` and `teams` reference one another and are both new: the key of the one
        // created first is added once both exist.
        let members = body
            .find("CREATE TABLE \"members\"")
            .or_else(|| body.find("CREATE TABLE `members`"))
            .unwrap_or_else(|| panic!("members in:\n{body}"));
        assert!(
            members < at("Foreign keys between the new tables"),
            "{body}"
        );
    }
    if kind == Kind::Sqlite {
        // The views reading the rebuilt `users`, directly or through another view, are dropped
        // before it and re-created after it, the one that reads the other last; the view the
        // declared schema lacks is dropped once.
        assert!(
            at("DROP VIEW IF EXISTS \"first_user_email\"")
                < at("DROP VIEW IF EXISTS \"user_emails\""),
            "{body}"
        );
        assert!(
            at("DROP VIEW IF EXISTS \"user_emails\"") < at("RENAME TO \"users\""),
            "{body}"
        );
        assert!(
            at("RENAME TO \"users\"") < at("CREATE VIEW \"user_emails\""),
            "{body}"
        );
        assert!(
            at("CREATE VIEW \"user_emails\"") < at("CREATE VIEW \"first_user_email\""),
            "{body}"
        );
        assert_eq!(
            body.matches("VIEW IF EXISTS \"user_names\"").count(),
            1,
            "{body}"
        );
        assert!(!body.contains("CREATE VIEW \"user_names\""), "{body}");
    }
    let folder_files = [
        ("0001_base.sql", base.to_owned()),
        ("0002_update_schema.sql", format!("{ACK}{body}")),
        ("schema.sql", declared_sql.to_owned()),
    ];
    let files: Vec<(&str, &str)> = folder_files.iter().map(|(p, s)| (*p, s.as_str())).collect();
    let dir = folder(kind, &files, true);
    // The build's check: the history now makes the declared schema.
    let analysis = driftless_core::analyze(
        &driftless_core::loader::load(&dir).unwrap(),
        &Default::default(),
    );
    let mismatches: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == driftless_core::Code::SchemaMismatch)
        .map(|d| analysis.render(d, "m"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{kind:?}:\n{}\n{body}",
        mismatches.join("\n")
    );
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let m = load(&dir);
    db.pool
        .run(m.migrator())
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: {e}\n{body}"));
    // The database reached the declared schema.
    let drift = db.pool.drift(m.migrator()).await.unwrap();
    let left = drift::compare(dialect(kind), &declared, &drift.database);
    let lines: Vec<String> = left.drift.iter().map(|d| d.summary()).collect();
    assert!(
        lines.is_empty(),
        "{kind:?}: the database is not the declared schema:\n{}\n{body}",
        lines.join("\n")
    );
    assert!(
        drift.report.drift.is_empty(),
        "{kind:?}: {:#?}",
        drift.report.drift
    );
    db.drop_db().await;
}

#[tokio::test]
async fn diff_reaches_the_declared_schema_on_postgres() {
    diff_applies(Kind::Postgres).await;
}

#[tokio::test]
async fn diff_reaches_the_declared_schema_on_mysql() {
    diff_applies(Kind::Mysql).await;
}

#[tokio::test]
async fn diff_reaches_the_declared_schema_on_sqlite() {
    diff_applies(Kind::Sqlite).await;
}

/// `pull`, then `diff` against an empty history, then apply to an empty database, then `pull`
/// again: the same `schema.sql`. And the look-alike's own history makes the pulled schema: no
/// `schema-mismatch`.
async fn round_trip(kind: Kind) {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../core/tests/fixtures/real");
    let prefix = match kind {
        Kind::Postgres => "pg_",
        Kind::Mysql => "mysql_",
        Kind::Sqlite => "sqlite_",
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    for name in names {
        let folder_dir = adopted(&name, kind);
        let m = load(&folder_dir);
        let Some(first) = TestDb::new(kind).await else {
            return;
        };
        first.pool.run(m.migrator()).await.unwrap();
        let pulled_schema = first.pool.drift(m.migrator()).await.unwrap().database;
        let pulled = drift::schema_sql(dialect(kind), &pulled_schema);
        first.drop_db().await;
        // The history makes the pulled schema: the build check agrees.
        std::fs::write(folder_dir.join("schema.sql"), &pulled).unwrap();
        let analysis = driftless_core::analyze(
            &driftless_core::loader::load(&folder_dir).unwrap(),
            &Default::default(),
        );
        let problems: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| {
                matches!(
                    d.code,
                    driftless_core::Code::SchemaMismatch | driftless_core::Code::SchemaUnreadable
                )
            })
            .map(|d| analysis.render(d, &name))
            .collect();
        assert!(
            problems.is_empty(),
            "{name}:\n{}\n{pulled}",
            problems.join("\n")
        );
        // From an empty history to the pulled schema, applied to an empty database.
        let declared = replay(kind, &[("schema.sql", &pulled)]);
        let report = drift::compare(dialect(kind), &Schema::default(), &declared);
        let body = drift::migration(dialect(kind), &report, &Schema::default(), &declared);
        let fresh = folder(kind, &[("0001_init.sql", &body)], true);
        let fresh_m: Migrations = load(&fresh);
        let Some(second) = TestDb::new(kind).await else {
            return;
        };
        second
            .pool
            .run(fresh_m.migrator())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{body}"));
        let again = second
            .pool
            .drift(fresh_m.migrator())
            .await
            .unwrap()
            .database;
        second.drop_db().await;
        let again = drift::schema_sql(dialect(kind), &again);
        assert_eq!(pulled, again, "{name}: pull → diff → apply → pull differs");
    }
}

#[tokio::test]
async fn round_trip_on_postgres_look_alikes() {
    round_trip(Kind::Postgres).await;
}

#[tokio::test]
async fn round_trip_on_mysql_look_alikes() {
    round_trip(Kind::Mysql).await;
}

#[tokio::test]
async fn round_trip_on_sqlite_look_alikes() {
    round_trip(Kind::Sqlite).await;
}
