//! Generators of hostile migrations folders, shared by the `fuzz` proptest and the `fuzz`
//! example: random tokens and statement shapes of all three dialects, deep nesting, long
//! operator chains, unterminated quotes, comments and bodies, directives, NUL, control and
//! non-ASCII characters, and files that are not UTF-8.

use driftless_core::{Dialect, Folder};
use proptest::prelude::*;

/// Words and punctuation that steer the splitter, the directive parser and the replay.
const TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "LIKE",
    "BETWEEN",
    "CREATE",
    "TABLE",
    "IF",
    "EXISTS",
    "ALTER",
    "ADD",
    "COLUMN",
    "DROP",
    "RENAME",
    "TO",
    "TYPE",
    "SET",
    "DEFAULT",
    "PRIMARY",
    "KEY",
    "REFERENCES",
    "FOREIGN",
    "UNIQUE",
    "CHECK",
    "CONSTRAINT",
    "INDEX",
    "CONCURRENTLY",
    "ON",
    "VIEW",
    "AS",
    "SCHEMA",
    "SEQUENCE",
    "ENUM",
    "VALUE",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "CASCADE",
    "BEGIN",
    "END",
    "COMMIT",
    "ROLLBACK",
    "START",
    "TRANSACTION",
    "ATOMIC",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "LOOP",
    "REPEAT",
    "WHILE",
    "DO",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "EVENT",
    "RETURNS",
    "LANGUAGE",
    "DELIMITER",
    "VIRTUAL",
    "USING",
    "WITH",
    "NOT VALID",
    "VALIDATE",
    "INTEGER",
    "INT",
    "BIGINT",
    "TEXT",
    "VARCHAR(10)",
    "NUMERIC(10,2)",
    "SERIAL",
    "BOOLEAN",
    "TIMESTAMP",
    "JSONB",
    "INT[]",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ";",
    ";",
    ".",
    ":",
    "::",
    ":=",
    "=",
    "<>",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "||",
    "->",
    "->>",
    "#>",
    "@>",
    "?",
    "$1",
    "@",
    "&",
    "|",
    "^",
    "~",
    "!",
    "<<",
    ">>",
    "'",
    "\"",
    "`",
    "$$",
    "$a$",
    "$1$",
    "E'",
    "N'",
    "X'",
    "/*",
    "*/",
    "/*!",
    "--",
    "#",
    "\\",
    "\\'",
    "''",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "\0",
    "\u{feff}",
    "\u{2028}",
    "\u{a0}",
    "é",
    "😀",
    "\u{202e}",
    "\u{fffd}",
];

const NAMES: &[&str] = &[
    "t", "u", "users", "orders", "a", "b", "id", "email", "public.t", "s.t", "\"T\"", "\"t\"",
    "`t`", "[t]", "\"a b\"", "é", "select", "\"\"",
];

const TYPES: &[&str] = &[
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "TEXT",
    "VARCHAR(10)",
    "VARCHAR(255)",
    "NUMERIC(5,2)",
    "BOOLEAN",
    "TIMESTAMP",
    "mood",
    "INT[]",
    "SERIAL",
    "",
];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(list).prop_map(str::to_owned)
}

/// A statement shape the replay understands, with names from a small pool so that statements
/// of a folder meet each other's objects.
fn statement() -> impl Strategy<Value = String> {
    let name = || pick(NAMES);
    let ty = || pick(TYPES);
    prop_oneof![
        (name(), name(), ty(), name(), ty()).prop_map(|(t, a, ta, b, tb)| format!(
            "CREATE TABLE {t} ({a} {ta} PRIMARY KEY, {b} {tb} NOT NULL DEFAULT 0)"
        )),
        (name(), name(), ty())
            .prop_map(|(t, c, ty)| format!("ALTER TABLE {t} ADD COLUMN {c} {ty}")),
        (name(), name()).prop_map(|(t, c)| format!("ALTER TABLE {t} DROP COLUMN {c}")),
        (name(), name(), ty())
            .prop_map(|(t, c, ty)| format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty}")),
        (name(), name(), name())
            .prop_map(|(t, a, b)| format!("ALTER TABLE {t} RENAME COLUMN {a} TO {b}")),
        (name(), name()).prop_map(|(a, b)| format!("ALTER TABLE {a} RENAME TO {b}")),
        name().prop_map(|t| format!("DROP TABLE {t}")),
        name().prop_map(|t| format!("DROP TABLE IF EXISTS {t} CASCADE")),
        name().prop_map(|t| format!("TRUNCATE {t}")),
        name().prop_map(|t| format!("DELETE FROM {t}")),
        (name(), name()).prop_map(|(t, c)| format!("UPDATE {t} SET {c} = NULL")),
        (name(), name(), name())
            .prop_map(|(i, t, c)| format!("CREATE UNIQUE INDEX CONCURRENTLY {i} ON {t} ({c})")),
        (name(), name(), name(), name()).prop_map(|(t, c, r, rc)| format!(
            "ALTER TABLE {t} ADD CONSTRAINT fk FOREIGN KEY ({c}) REFERENCES {r} ({rc})"
        )),
        (name(), name()).prop_map(|(a, b)| format!("INSERT INTO {a} SELECT * FROM {b}")),
        (name(), name()).prop_map(|(v, t)| format!("CREATE VIEW {v} AS SELECT * FROM {t}")),
        name().prop_map(|t| format!("CREATE TYPE {t} AS ENUM ('a', 'b')")),
        name().prop_map(|t| format!("ALTER TYPE {t} RENAME VALUE 'a' TO 'c'")),
        name().prop_map(|s| format!("CREATE SCHEMA {s}")),
        name().prop_map(|s| format!("DROP SCHEMA {s} CASCADE")),
        name().prop_map(|t| format!(
            "CREATE TRIGGER tr AFTER INSERT ON {t} BEGIN UPDATE {t} SET id = 1; END"
        )),
        Just("DO $$ BEGIN PERFORM 1; END $$".to_owned()),
        Just("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END".to_owned()),
        Just("CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END".to_owned()),
        Just("BEGIN".to_owned()),
        Just("COMMIT".to_owned()),
    ]
}

/// One piece of a file.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => pick(TOKENS),
        3 => pick(NAMES),
        1 => any::<u32>().prop_map(|n| n.to_string()),
        4 => statement().prop_map(|s| format!("{s};\n")),
        1 => (1usize..300).prop_map(|n| "(".repeat(n)),
        1 => (1usize..300).prop_map(|n| ")".repeat(n)),
        1 => (1usize..100).prop_map(|n| "CASE WHEN a THEN ".repeat(n)),
        1 => (1usize..100).prop_map(|n| "NOT ".repeat(n)),
        1 => (1usize..100).prop_map(|n| "(SELECT ".repeat(n)),
        1 => (1usize..3000, pick(&["+", " OR ", " AND ", "::int", " || ", "[1]", "-", "*", " UNION SELECT 1, "]))
            .prop_map(|(n, op)| format!("1{}", format!("{op}1").repeat(n))),
        2 => pick(&[
            "-- driftless: allow drop-table: reason\n",
            "-- driftless: allow drop-column, truncate: reason\n",
            "-- driftless: allow unused-allow: x\n",
            "-- driftless: allow edited-locked-migration: x\n",
            "-- driftless: allow nope: x\n",
            "-- driftless: allow drop-table\n",
            "-- driftless: no-transaction\n",
            "-- driftless:\n",
            "-- driftless allow drop-table: x\n",
            "-- no-transaction\n",
            "\n\n",
        ]),
        1 => "\\PC{0,12}",
        1 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{10ffff}]{1,4}",
    ]
}

/// The SQL of one file: up to 60 fragments joined by nothing or a space.
pub fn sql() -> impl Strategy<Value = String> {
    proptest::collection::vec((fragment(), any::<bool>()), 0..60).prop_map(|parts| {
        let mut sql = String::new();
        for (part, space) in parts {
            sql.push_str(&part);
            if space {
                sql.push(' ');
            }
        }
        sql
    })
}

/// A file's bytes: mostly hostile SQL, sometimes not UTF-8.
fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        9 => sql().prop_map(String::into_bytes),
        1 => (sql(), proptest::collection::vec(any::<u8>(), 0..8)).prop_map(|(s, junk)| {
            let mut bytes = s.into_bytes();
            let at = bytes.len() / 2;
            bytes.splice(at..at, junk);
            bytes
        }),
    ]
}

/// A folder of one to three migrations and sometimes a declared schema (`schema.sql`), in one of
/// the three dialects, sometimes with a driftless.toml or a broken driftless.lock.
pub fn folder() -> impl Strategy<Value = (Dialect, Folder)> {
    let dialect = proptest::sample::select(Dialect::ALL.to_vec());
    let files = proptest::collection::vec(content(), 1..5);
    let config = proptest::option::weighted(
        0.2,
        pick(&[
            "[lints]\nunparsed-statement = \"warn\"\ndrop-table = \"warn\"\n",
            "strict = true\nextern = [\"auth.users\", \"s.*\"]\n",
            "[lints]\nedited-locked-migration = \"allow\"\n",
            "ignore = [[[[[[[[1]]]]]]]]\n",
            "x = \"\0\"\n[[lints]]\n",
        ]),
    );
    let lock = proptest::option::weighted(0.1, sql());
    (dialect, files, config, lock).prop_map(|(dialect, files, config, lock)| {
        let mut all: Vec<(String, Vec<u8>)> = files
            .into_iter()
            .enumerate()
            .map(|(i, content)| {
                let name = match i {
                    0 => "0001_init.sql".to_owned(),
                    1 => "0002_more.up.sql".to_owned(),
                    2 => "20240101000000_x/migration.sql".to_owned(),
                    // The declared schema is read and compared like the migrations.
                    3 => "schema.sql".to_owned(),
                    _ => format!("{}_z.sql", i + 1),
                };
                (name, content)
            })
            .collect();
        if let Some(config) = config {
            all.push(("driftless.toml".to_owned(), config.into_bytes()));
        }
        if let Some(lock) = lock {
            all.push((
                "driftless.lock".to_owned(),
                format!("# driftless.lock sha256:{lock}").into_bytes(),
            ));
        }
        (dialect, Folder::from_files(all))
    })
}

/// Everything a caller does with an analysis, so that none of it may panic either: statement
/// ranges index the file on character boundaries, every diagnostic renders, and `lock` decides.
pub fn exercise(dialect: Dialect, folder: &Folder) -> driftless_core::Analysis {
    use driftless_core::lock::{LockRequest, lock};
    let options = driftless_core::Options {
        dialect: Some(dialect),
        strict: None,
    };
    let analysis = driftless_core::analyze(folder, &options);
    for m in &analysis.migrations {
        for s in &m.statements {
            assert!(
                m.sql.get(s.range.clone()).is_some(),
                "statement range {:?} of {} is not in its text",
                s.range,
                m.path
            );
        }
    }
    for d in &analysis.diagnostics {
        let _ = analysis.render(d, "migrations");
    }
    let _ = lock(
        folder,
        &LockRequest {
            dialect: Some(dialect),
            adopt: true,
            rehash: Vec::new(),
        },
    );
    analysis
}
