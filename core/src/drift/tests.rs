//! The replay side of drift: what the history says, compared with itself and with edits.

use crate::Dialect;
use crate::drift::{self, DriftKind, Fact, Identity, IndexPart, Name, Schema, Source};

fn schema(dialect: Dialect, files: &[&str]) -> Schema {
    let splits: Vec<Vec<std::ops::Range<usize>>> = files
        .iter()
        .map(|sql| crate::split::split(sql, dialect).statements().collect())
        .collect();
    let paths: Vec<String> = (1..=files.len()).map(|i| format!("{i:04}_m.sql")).collect();
    let sources: Vec<Source<'_>> = files
        .iter()
        .zip(&splits)
        .zip(&paths)
        .map(|((sql, statements), path)| Source {
            path,
            sql,
            statements,
            transactional: true,
        })
        .collect();
    drift::expected(dialect, &sources, &[])
}

fn table<'a>(schema: &'a Schema, name: &str) -> &'a drift::Table {
    schema
        .tables
        .get(&Name::new(None, name))
        .unwrap_or_else(|| panic!("no table {name}: {:?}", schema.tables.keys()))
}

#[test]
fn the_replay_keeps_what_the_engine_stores() {
    let s = schema(
        Dialect::Postgres,
        &[
            "CREATE TYPE mood AS ENUM ('sad', 'ok');\n\
             CREATE TABLE users (id serial PRIMARY KEY, email varchar(200) NOT NULL UNIQUE,\n\
               status text NOT NULL DEFAULT 'active', score int CHECK (score > 0), m mood);\n\
             CREATE TABLE posts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n\
               user_id int REFERENCES users, title text);",
            "ALTER TYPE mood ADD VALUE 'happy' BEFORE 'ok';\n\
             CREATE INDEX ON posts (lower(title)) WHERE title IS NOT NULL;\n\
             ALTER TABLE users RENAME COLUMN email TO mail;\n\
             ALTER TABLE users ALTER COLUMN status SET DEFAULT 'new';\n\
             CREATE TABLE stats AS SELECT u.id, u.mail AS address, count(*) AS n FROM users u GROUP BY u.id;",
        ],
    );
    let users = table(&s, "users");
    let id = users.column("id").unwrap();
    assert_eq!(id.identity, Fact::Known(Identity::Serial));
    assert_eq!(id.nullable, Fact::Known(false));
    let status = users.column("status").unwrap();
    assert_eq!(status.default, Fact::Known(Some("'new'".into())));
    assert_eq!(&*status.origin.as_ref().unwrap().file, "0002_m.sql");
    assert_eq!(status.origin.as_ref().unwrap().line, 4);
    let names: Vec<Option<&str>> = users
        .constraints
        .iter()
        .map(|c| c.name.as_deref())
        .collect();
    assert!(names.contains(&Some("users_pkey")), "{names:?}");
    assert!(names.contains(&Some("users_email_key")), "{names:?}");
    assert!(names.contains(&Some("users_score_check")), "{names:?}");
    let unique = users
        .constraints
        .iter()
        .find(|c| c.name.as_deref() == Some("users_email_key"))
        .unwrap();
    assert_eq!(unique.columns, vec!["mail".to_owned()]);
    let posts = table(&s, "posts");
    assert_eq!(
        posts.column("id").unwrap().identity,
        Fact::Known(Identity::Always)
    );
    let fk = posts
        .constraints
        .iter()
        .find(|c| c.name.as_deref() == Some("posts_user_id_fkey"))
        .unwrap();
    assert!(
        matches!(&fk.kind, drift::ConstraintKind::ForeignKey { table, .. } if table.name == "users")
    );
    let index = &posts.indexes[0];
    assert_eq!(index.name, "posts_lower_idx");
    assert!(matches!(&index.parts, Fact::Known(p) if matches!(&p[0], IndexPart::Expression(_))));
    assert!(matches!(&index.predicate, Fact::Known(Some(_))));
    let mood = s.enums.get(&Name::new(None, "mood")).unwrap();
    assert_eq!(
        mood.values,
        Fact::Known(vec!["sad".into(), "happy".into(), "ok".into()])
    );
    // The serial's sequence is the column's, not a standalone sequence.
    assert!(s.sequences.is_empty(), "{:?}", s.sequences);
    let stats = table(&s, "stats");
    assert!(stats.columns_known);
    let keys: Vec<&str> = stats.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["id", "address", "n"]);
    assert_eq!(
        stats.column("address").unwrap().ty,
        Fact::Known("VARCHAR(200)".into())
    );
    assert_eq!(stats.column("n").unwrap().ty, Fact::Unknown);
}

#[test]
fn a_history_does_not_drift_from_itself_and_edits_are_found() {
    let base = [
        "CREATE TABLE a (id int PRIMARY KEY, name text NOT NULL, note text);\n\
         CREATE INDEX a_name ON a (name);",
    ];
    let history = schema(Dialect::Postgres, &base);
    let same = drift::compare(Dialect::Postgres, &history, &history);
    assert!(same.drift.is_empty(), "{:#?}", same.drift);
    assert!(same.compared >= 5, "{}", same.compared);
    let edited = schema(
        Dialect::Postgres,
        &[
            base[0],
            "ALTER TABLE a DROP COLUMN note; ALTER TABLE a ADD COLUMN extra int;\n\
             ALTER TABLE a ALTER COLUMN name DROP NOT NULL; DROP INDEX a_name;\n\
             ALTER TABLE a RENAME TO b;",
        ],
    );
    let report = drift::compare(Dialect::Postgres, &history, &edited);
    let kinds: Vec<(DriftKind, &str, &str)> = report
        .drift
        .iter()
        .map(|d| (d.kind, d.object_kind, d.aspect))
        .collect();
    assert_eq!(
        kinds,
        [
            (DriftKind::Changed, "table", "name"),
            (DriftKind::Changed, "column", "nullability"),
            (DriftKind::Missing, "column", ""),
            (DriftKind::Extra, "column", ""),
            (DriftKind::Missing, "index", ""),
        ],
        "{:#?}",
        report.drift
    );
    assert!(report.drift[0].to_history.contains("RENAME TO \"a\""));
}

/// The generator orders what it writes so the file applies, never guesses a rename, and
/// rebuilds a SQLite table once for all its changes.
#[test]
fn the_generator_orders_renames_and_rebuilds() {
    let from = schema(
        Dialect::Postgres,
        &[
            "CREATE TABLE a (id int PRIMARY KEY, old_name text, n int);\n\
           CREATE TABLE gone (id int PRIMARY KEY);\n\
           CREATE INDEX a_n ON a (n);",
        ],
    );
    let to = schema(
        Dialect::Postgres,
        &["CREATE TYPE kind AS ENUM ('x', 'y');\n\
           CREATE TABLE child (id int PRIMARY KEY, parent int REFERENCES parent (id));\n\
           CREATE TABLE parent (id int PRIMARY KEY, k kind);\n\
           CREATE TABLE a (id int PRIMARY KEY, new_name text, n bigint NOT NULL,\n\
             p int REFERENCES parent (id));\n\
           CREATE VIEW v AS SELECT id FROM a;"],
    );
    let report = drift::compare(Dialect::Postgres, &from, &to);
    let sql = drift::migration(Dialect::Postgres, &report, &from, &to);
    let at = |needle: &str| {
        sql.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` missing from:\n{sql}"))
    };
    // Types, then tables in foreign-key order, columns, keys, views; drops last.
    assert!(
        at("CREATE TYPE \"kind\"") < at("CREATE TABLE \"parent\""),
        "{sql}"
    );
    assert!(
        at("CREATE TABLE \"parent\"") < at("CREATE TABLE \"child\""),
        "{sql}"
    );
    assert!(
        at("CREATE TABLE \"child\"") < at("ADD COLUMN \"p\""),
        "{sql}"
    );
    assert!(at("ADD COLUMN \"p\"") < at("CREATE VIEW \"v\""), "{sql}");
    assert!(at("ALTER COLUMN \"n\" TYPE") < at("DROP INDEX"), "{sql}");
    assert!(at("DROP INDEX") < at("DROP COLUMN \"old_name\""), "{sql}");
    assert!(
        at("DROP COLUMN \"old_name\"") < at("DROP TABLE \"gone\""),
        "{sql}"
    );
    // A column gone and one of its type added: drop and add, the rename in a comment.
    assert!(
        sql.contains("-- ALTER TABLE \"a\" RENAME COLUMN \"old_name\" TO \"new_name\";"),
        "{sql}"
    );
    assert!(sql.contains("ADD COLUMN \"new_name\" TEXT"), "{sql}");
    assert!(!sql.contains("CONCURRENTLY"), "{sql}");

    // SQLite: a changed column and a new key on one table are one rebuild.
    let from = schema(
        Dialect::Sqlite,
        &["CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);"],
    );
    let to = schema(
        Dialect::Sqlite,
        &["CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL UNIQUE, b REAL DEFAULT 0);"],
    );
    let report = drift::compare(Dialect::Sqlite, &from, &to);
    assert!(report.drift.len() >= 3, "{:#?}", report.drift);
    let sql = drift::migration(Dialect::Sqlite, &report, &from, &to);
    assert_eq!(
        sql.matches("CREATE TABLE \"t__driftless_new\"").count(),
        1,
        "{sql}"
    );
    assert!(
        sql.contains("INSERT INTO \"t__driftless_new\" (\"id\", \"a\", \"b\")"),
        "{sql}"
    );
}

#[test]
fn tables_that_reference_one_another_are_written_so_they_apply() {
    for dialect in [Dialect::Postgres, Dialect::Mysql] {
        let declared = schema(
            dialect,
            &["CREATE TABLE teams (id int PRIMARY KEY, captain_id int);\n\
               CREATE TABLE members (id int PRIMARY KEY, team_id int REFERENCES teams (id));\n\
               ALTER TABLE teams ADD CONSTRAINT teams_captain FOREIGN KEY (captain_id)\n\
                 REFERENCES members (id);"],
        );
        // `pull`'s schema.sql, and `diff`'s migration from an empty history: `members` sorts
        // (and is created) first, so its key to `teams` is added once both exist.
        let empty = Schema::default();
        let report = drift::compare(dialect, &empty, &declared);
        for sql in [
            drift::schema_sql(dialect, &declared),
            drift::migration(dialect, &report, &empty, &declared),
        ] {
            let q = |name: &str| match dialect {
                Dialect::Mysql => format!("`{name}`"),
                _ => format!("\"{name}\""),
            };
            let create = sql.find(&format!("CREATE TABLE {}", q("teams"))).unwrap();
            let added = sql
                .find(&format!("ALTER TABLE {} ADD", q("members")))
                .unwrap_or_else(|| panic!("{dialect:?}: no deferred key in:\n{sql}"));
            assert!(create < added, "{sql}");
            // The analysis reads it as a migration without a reference to a missing table, and
            // it makes the declared schema.
            let folder = crate::Folder::from_files([("0001_all.sql", sql.clone())]);
            let analysis = crate::analyze(
                &folder,
                &crate::Options {
                    dialect: Some(dialect),
                    strict: None,
                },
            );
            let errors: Vec<String> = analysis.errors().map(|d| analysis.render(d, "m")).collect();
            assert!(
                errors.is_empty(),
                "{dialect:?}:\n{}\n{sql}",
                errors.join("\n")
            );
            let again = drift::compare(dialect, &declared, &self::schema(dialect, &[&sql]));
            assert!(
                again.drift.is_empty(),
                "{dialect:?}: {:#?}\n{sql}",
                again.drift
            );
        }
    }
}

#[test]
fn the_comparison_of_tables_as_they_come_is_the_whole_comparison() {
    let cases: [(Dialect, &str, &str); 3] = [
        (
            Dialect::Postgres,
            "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, name text);\n\
             CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users, body text);\n\
             CREATE TABLE gone (id int PRIMARY KEY, a int, b int);\n\
             CREATE INDEX posts_body ON posts (body);\n\
             CREATE VIEW v AS SELECT id FROM users;",
            "CREATE TABLE users (id int PRIMARY KEY, email varchar(10), nick text UNIQUE);\n\
             CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (id));\n\
             CREATE TABLE renamed (id int PRIMARY KEY, a int, b int);\n\
             CREATE TABLE extra (id int PRIMARY KEY);\n\
             CREATE VIEW w AS SELECT id FROM posts;",
        ),
        (
            Dialect::Mysql,
            "CREATE TABLE a (id int PRIMARY KEY, x int, FOREIGN KEY (x) REFERENCES b (id));\n\
             CREATE TABLE b (id int PRIMARY KEY);",
            "CREATE TABLE b (id int PRIMARY KEY, y int);\n\
             CREATE TABLE a (id int PRIMARY KEY, x bigint);",
        ),
        (
            Dialect::Sqlite,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, p INTEGER REFERENCES t);\n\
             CREATE VIEW tv AS SELECT a FROM t;",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);\n\
             CREATE VIEW tv AS SELECT a FROM t;",
        ),
    ];
    for (dialect, history_sql, database_sql) in cases {
        let history = schema(dialect, &[history_sql]);
        let database = schema(dialect, &[database_sql]);
        let whole = drift::compare(dialect, &history, &database);
        assert!(!whole.drift.is_empty(), "{dialect:?}");
        for chunk in [1, 2, usize::MAX] {
            let mut rest = history.clone();
            let tables: Vec<(Name, drift::Table)> =
                std::mem::take(&mut rest.tables).into_iter().collect();
            let mut streamed = drift::Streamed::new(dialect, &database, rest);
            for part in tables.chunks(chunk) {
                streamed.tables(part.to_vec());
            }
            let (report, back) = streamed.finish();
            assert_eq!(back, history, "{dialect:?}");
            assert_eq!(report, whole, "{dialect:?}, chunks of {chunk}");
        }
    }
}

#[test]
fn a_view_query_is_compared_where_the_engine_keeps_it_as_written() {
    let history = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n\
                   CREATE VIEW v AS SELECT id, a FROM t;";
    // Spelling alone (case, spaces, quotes) is no difference.
    let respelled = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n\
                     CREATE VIEW v AS select \"id\",   A from T;";
    let changed = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n\
                   CREATE VIEW v AS SELECT id, a FROM t WHERE a <> '';";
    let d = Dialect::Sqlite;
    let h = schema(d, &[history]);
    assert!(
        drift::compare(d, &h, &schema(d, &[respelled]))
            .drift
            .is_empty()
    );
    let report = drift::compare(d, &h, &schema(d, &[changed]));
    assert_eq!(report.drift.len(), 1, "{:#?}", report.drift);
    let found = &report.drift[0];
    assert_eq!(
        (found.kind, found.object_kind, found.object.as_str()),
        (DriftKind::Changed, "view", "v")
    );
    assert!(
        found
            .to_database
            .contains("DROP VIEW \"v\";\nCREATE VIEW \"v\" AS SELECT id, a FROM t WHERE a <> ''"),
        "{}",
        found.to_database
    );
    // PostgreSQL prints a view's query in its own words: queries are not compared there.
    let d = Dialect::Postgres;
    assert!(
        drift::compare(d, &schema(d, &[history]), &schema(d, &[changed]))
            .drift
            .is_empty()
    );
}

#[test]
fn a_rename_under_a_view_forgets_its_query_as_written() {
    // SQLite rewrites the stored statement of `v` on both renames: the history's text is stale.
    let d = Dialect::Sqlite;
    let history = schema(
        d,
        &[
            "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);\nCREATE VIEW v AS SELECT id, x FROM a;\n\
             CREATE VIEW w AS SELECT 1 AS one;",
            "ALTER TABLE a RENAME TO b;\nALTER TABLE b RENAME COLUMN x TO y;",
        ],
    );
    let v = &history.views[&Name::new(None, "v")];
    assert_eq!(v.definition, None);
    assert!(history.views[&Name::new(None, "w")].definition.is_some());
    let stored = schema(
        d,
        &["CREATE TABLE b (id INTEGER PRIMARY KEY, y TEXT);\n\
           CREATE VIEW v AS SELECT id, y FROM \"b\";\nCREATE VIEW w AS SELECT 1 AS one;"],
    );
    let report = drift::compare(d, &history, &stored);
    assert!(report.drift.is_empty(), "{:#?}", report.drift);
}

#[test]
fn foreign_key_actions_are_compared() {
    let base = "CREATE TABLE p (id int PRIMARY KEY);\n";
    let with = |actions: &str| {
        format!("{base}CREATE TABLE c (id int PRIMARY KEY, p int REFERENCES p (id){actions});")
    };
    for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let none = schema(d, &[&with("")]);
        let cascade = schema(d, &[&with(" ON DELETE CASCADE ON UPDATE SET NULL")]);
        let report = drift::compare(d, &none, &cascade);
        assert_eq!(report.drift.len(), 1, "{d:?}: {:#?}", report.drift);
        let found = &report.drift[0];
        assert_eq!((found.kind, found.aspect), (DriftKind::Changed, "actions"));
        assert_eq!(
            found.database.as_deref(),
            Some("ON DELETE CASCADE ON UPDATE SET NULL")
        );
        assert!(
            found
                .to_database
                .contains("ON DELETE CASCADE ON UPDATE SET NULL"),
            "{}",
            found.to_database
        );
        // The migration `diff` writes makes it so.
        let sql = drift::migration(d, &report, &none, &cascade);
        assert!(
            drift::compare(d, &cascade, &schema(d, &[&with(""), &sql]))
                .drift
                .is_empty(),
            "{d:?}:\n{sql}"
        );
    }
    // MySQL does not tell RESTRICT from NO ACTION; PostgreSQL does.
    let restrict = with(" ON DELETE RESTRICT");
    let d = Dialect::Mysql;
    assert!(
        drift::compare(d, &schema(d, &[&with("")]), &schema(d, &[&restrict]))
            .drift
            .is_empty()
    );
    let d = Dialect::Postgres;
    assert_eq!(
        drift::compare(d, &schema(d, &[&with("")]), &schema(d, &[&restrict]))
            .drift
            .len(),
        1
    );
}

#[test]
fn a_new_tables_key_to_a_table_renamed_into_place_waits_for_the_rename() {
    let d = Dialect::Postgres;
    let from = schema(
        d,
        &["CREATE TABLE old_users (id int PRIMARY KEY, email text, name text);"],
    );
    let to = schema(
        d,
        &[
            "CREATE TABLE users (id int PRIMARY KEY, email text, name text);\n\
           CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (id));",
        ],
    );
    let report = drift::compare(d, &from, &to);
    let sql = drift::migration(d, &report, &from, &to);
    let at = |needle: &str| {
        sql.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` in:\n{sql}"))
    };
    assert!(
        at("RENAME TO \"users\"") < at("ALTER TABLE \"posts\" ADD"),
        "{sql}"
    );
    assert!(
        drift::compare(
            d,
            &to,
            &schema(
                d,
                &[&format!(
                    "CREATE TABLE old_users (id int PRIMARY KEY, email text, name text);\n{sql}"
                )]
            )
        )
        .drift
        .is_empty(),
        "{sql}"
    );
}
