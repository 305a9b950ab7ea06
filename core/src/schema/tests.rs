//! Data-driven tests of the replay: fixture folders in, findings and hazards out.

use std::ops::Range;

use super::{MigrationFacts, MigrationInput, Replay};
use crate::diagnostic::{Code, Position};
use crate::dialect::Dialect;
use crate::folder::Folder;
use crate::object::{Object, ObjectKind};

use Dialect::{Mysql, Postgres, Sqlite};

mod opaque;

/// Statement ranges of `sql`: split on `;` outside strings, quoted identifiers, comments and
/// dollar-quoted bodies, trimmed. Enough for fixtures while the real splitter lives elsewhere.
fn statements(sql: &str) -> Vec<Range<usize>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let push = |from: usize, to: usize, out: &mut Vec<Range<usize>>| {
        let text = &sql[from..to];
        let mut lead = from + (text.len() - text.trim_start().len());
        // Leading comment lines are trivia, not statement text.
        while sql[lead..to].starts_with("--") {
            let eol = sql[lead..to].find('\n').map_or(to, |e| lead + e + 1);
            let rest = &sql[eol..to];
            lead = eol + (rest.len() - rest.trim_start().len());
        }
        let end = from + text.trim_end().len();
        if lead < end {
            out.push(lead..end);
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' | b'`' => {
                let q = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |e| i + e);
            }
            b'$' => {
                let tag_end = sql[i + 1..].find('$').map(|e| i + 1 + e);
                match tag_end {
                    Some(t)
                        if sql[i + 1..t]
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_') =>
                    {
                        let tag = &sql[i..=t];
                        i = sql[t + 1..]
                            .find(tag)
                            .map_or(bytes.len(), |e| t + 1 + e + tag.len());
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                push(start, i, &mut out);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push(start, sql.len(), &mut out);
    out
}

/// Replays every file of the fixture, in path order.
fn replay(
    dialect: Dialect,
    externs: &[&str],
    fixture: &str,
) -> Vec<(String, String, MigrationFacts)> {
    replay_split(dialect, externs, fixture, |sql, _| statements(sql))
}

/// [`replay`] with the statement ranges of `split`.
fn replay_split(
    dialect: Dialect,
    externs: &[&str],
    fixture: &str,
    split: fn(&str, Dialect) -> Vec<Range<usize>>,
) -> Vec<(String, String, MigrationFacts)> {
    let externs: Vec<String> = externs.iter().map(|s| (*s).to_owned()).collect();
    let mut replay = Replay::new(dialect, &externs);
    let folder = Folder::from_fixture(fixture);
    let mut out = Vec::new();
    for file in &folder.files {
        let sql = String::from_utf8(file.content.clone()).unwrap();
        let ranges = split(&sql, dialect);
        let transactional =
            dialect.transactional_ddl() && !sql.contains("-- driftless: no-transaction");
        let facts = replay.migration(&MigrationInput {
            sql: &sql,
            statements: &ranges,
            transactional,
        });
        assert_eq!(facts.statements.len(), ranges.len());
        out.push((file.path.clone(), sql, facts));
    }
    out
}

/// One line per finding (`file:line:col error|warning code message`) and per hazard
/// (`file:line:col hazard code object`), file by file.
fn render(results: &[(String, String, MigrationFacts)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (path, sql, facts) in results {
        let at = |range: &Range<usize>| {
            let p = Position::of(sql, range.start);
            format!("{path}:{}:{}", p.line, p.column)
        };
        for f in &facts.findings {
            let level = if f.uncertain { "warning" } else { "error" };
            lines.push(format!("{} {level} {} {}", at(&f.range), f.code, f.message));
        }
        for statement in &facts.statements {
            for h in &statement.hazards {
                lines.push(format!("{} hazard {} {}", at(&h.range), h.code, h.object));
            }
        }
    }
    lines
}

#[track_caller]
fn check(dialect: Dialect, fixture: &str, expect: &[&str]) {
    check_with(dialect, &[], fixture, expect);
}

#[track_caller]
fn check_with(dialect: Dialect, externs: &[&str], fixture: &str, expect: &[&str]) {
    assert_rendered(dialect, &replay(dialect, externs, fixture), expect);
}

/// Fails with the actual output, ready to paste, when `results` do not render as `expect`.
#[track_caller]
fn assert_rendered(
    dialect: Dialect,
    results: &[(String, String, MigrationFacts)],
    expect: &[&str],
) {
    let got = render(results);
    if got != expect {
        let mut actual = String::from("[\n");
        for line in &got {
            actual.push_str(&format!("    {line:?},\n"));
        }
        actual.push(']');
        panic!("replay of {dialect} fixture differs; actual output:\n{actual}");
    }
}

// ---- consistency findings ---------------------------------------------------------------

#[test]
fn missing_table() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int PRIMARY KEY);
-- file: 0002_x.sql
ALTER TABLE orders ADD COLUMN total int;
ALTER TABLE IF EXISTS orders ADD COLUMN total int;
ALTER TABLE users ADD COLUMN name text;
",
        &["0002_x.sql:1:13 error missing-table table `orders` does not exist"],
    );
}

#[test]
fn missing_table_in_dml_and_index() {
    check(
        Sqlite,
        "
-- file: 0001_init.sql
CREATE TABLE users (id integer PRIMARY KEY, email text);
CREATE INDEX users_email ON users (email);
INSERT INTO users (id) VALUES (1);
CREATE INDEX orders_total ON orders (total);
INSERT INTO orders VALUES (1);
",
        &[
            "0001_init.sql:4:30 error missing-table table `orders` does not exist",
            "0001_init.sql:5:13 error missing-table table `orders` does not exist",
        ],
    );
}

#[test]
fn missing_column() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int PRIMARY KEY, email text);
-- file: 0002_x.sql
ALTER TABLE users DROP COLUMN nickname;
ALTER TABLE users DROP COLUMN IF EXISTS nickname;
ALTER TABLE users ALTER COLUMN mail SET NOT NULL;
ALTER TABLE users RENAME COLUMN mail TO email2;
CREATE INDEX users_phone ON users (phone);
CREATE INDEX users_lower_email ON users (lower(email));
",
        &[
            "0002_x.sql:1:31 error missing-column column `users.nickname` does not exist",
            "0002_x.sql:3:32 error missing-column column `users.mail` does not exist",
            "0002_x.sql:4:33 error missing-column column `users.mail` does not exist",
            "0002_x.sql:5:36 error missing-column column `users.phone` does not exist",
            "0002_x.sql:5:1 hazard index-without-concurrently users",
            "0002_x.sql:6:1 hazard index-without-concurrently users",
        ],
    );
}

#[test]
fn foreign_key_to_missing_column_or_table() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int PRIMARY KEY);
CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (uid));
CREATE TABLE likes (post int, CONSTRAINT fk FOREIGN KEY (post) REFERENCES postz (id));
CREATE TABLE tags (id int PRIMARY KEY, post int REFERENCES posts (id), parent int REFERENCES tags (id));
",
        &[
            "0001_init.sql:2:70 error missing-column foreign key references missing column `users.uid`",
            "0001_init.sql:3:75 error missing-table foreign key references missing table `postz`",
        ],
    );
}

#[test]
fn foreign_key_forward_reference_per_dialect() {
    let fixture = "
-- file: 0001_init.sql
CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (id));
CREATE TABLE users (id int PRIMARY KEY);
";
    check(
        Postgres,
        fixture,
        &["0001_init.sql:1:63 error missing-table foreign key references missing table `users`"],
    );
    check(Sqlite, fixture, &[]);
    check(
        Mysql,
        fixture,
        &["0001_init.sql:1:63 error missing-table foreign key references missing table `users`"],
    );
    check(
        Mysql,
        "
-- file: 0001_init.sql
SET FOREIGN_KEY_CHECKS = 0;
CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (id));
CREATE TABLE users (id int PRIMARY KEY);
SET FOREIGN_KEY_CHECKS = 1;
",
        &[],
    );
    // A forward reference must still be resolved by the end of the file.
    check(
        Sqlite,
        "
-- file: 0001_init.sql
CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (uid));
CREATE TABLE users (id int PRIMARY KEY);
",
        &[
            "0001_init.sql:1:70 error missing-column foreign key references missing column `users.uid`",
        ],
    );
}

#[test]
fn missing_objects() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
CREATE TYPE mood AS ENUM ('happy', 'sad');
-- file: 0002_x.sql
DROP INDEX users_email_idx;
DROP INDEX IF EXISTS users_email_idx;
DROP VIEW active_users;
DROP VIEW IF EXISTS active_users;
DROP TYPE feeling;
ALTER TYPE mood ADD VALUE 'ok';
ALTER TYPE feeling ADD VALUE 'ok';
DROP SEQUENCE users_seq;
DROP SCHEMA billing;
DROP SCHEMA IF EXISTS billing;
ALTER TABLE users DROP CONSTRAINT users_fk;
",
        &[
            "0002_x.sql:1:12 error missing-object index `users_email_idx` does not exist",
            "0002_x.sql:3:11 error missing-object view `active_users` does not exist",
            "0002_x.sql:5:11 error missing-object type `feeling` does not exist",
            "0002_x.sql:7:12 error missing-object type `feeling` does not exist",
            "0002_x.sql:8:15 error missing-object sequence `users_seq` does not exist",
            "0002_x.sql:9:13 error missing-object schema `billing` does not exist",
            "0002_x.sql:11:35 error missing-object constraint `users_fk` does not exist on table `users`",
        ],
    );
}

#[test]
fn generated_constraint_names_are_known_or_uncertain() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE, org int);
-- file: 0002_x.sql
ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE users DROP CONSTRAINT users_pkey;
DROP SEQUENCE users_id_seq;
ALTER TABLE users DROP CONSTRAINT users_org_check;
",
        &[
            "0002_x.sql:4:35 warning missing-object constraint `users_org_check` does not exist on table `users`",
        ],
    );
}

#[test]
fn object_exists() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
CREATE INDEX users_id ON users (id);
CREATE TYPE mood AS ENUM ('a');
CREATE SCHEMA billing;
CREATE VIEW v AS SELECT 1;
-- file: 0002_x.sql
CREATE TABLE users (id int);
CREATE TABLE IF NOT EXISTS users (id int);
CREATE INDEX users_id ON users (id);
CREATE INDEX IF NOT EXISTS users_id ON users (id);
CREATE TYPE mood AS ENUM ('b');
CREATE SCHEMA billing;
CREATE SCHEMA IF NOT EXISTS billing;
CREATE VIEW v AS SELECT 2;
CREATE OR REPLACE VIEW v AS SELECT 2;
ALTER TABLE users RENAME TO v;
",
        &[
            "0002_x.sql:1:14 error object-exists table `users` already exists",
            "0002_x.sql:3:14 error object-exists index `users_id` already exists",
            "0002_x.sql:5:13 error object-exists type `mood` already exists",
            "0002_x.sql:6:15 error object-exists schema `billing` already exists",
            "0002_x.sql:8:13 error object-exists view `v` already exists",
            "0002_x.sql:10:29 error object-exists table `v` already exists",
        ],
    );
}

#[test]
fn duplicate_column() {
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, Email text, email text);
ALTER TABLE users ADD COLUMN EMAIL varchar(10);
ALTER TABLE users ADD COLUMN name text;
ALTER TABLE users CHANGE name id int;
",
        &[
            "0001_init.sql:1:41 error duplicate-column column `email` appears twice in table `users`",
            "0001_init.sql:2:30 error duplicate-column column `users.EMAIL` already exists",
            "0001_init.sql:4:31 error duplicate-column column `users.id` already exists",
        ],
    );
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, \"Email\" text, email text);
ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;
",
        &[],
    );
}

#[test]
fn identifier_case_rules() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE \"Users\" (id int);
CREATE TABLE accounts (id int);
-- file: 0002_x.sql
ALTER TABLE users ADD COLUMN a int;
ALTER TABLE \"Users\" ADD COLUMN a int;
ALTER TABLE ACCOUNTS ADD COLUMN a int;
ALTER TABLE public.accounts ADD COLUMN b int;
ALTER TABLE \"ACCOUNTS\" ADD COLUMN c int;
",
        &[
            "0002_x.sql:1:13 error missing-table table `users` does not exist",
            "0002_x.sql:5:13 error missing-table table `ACCOUNTS` does not exist",
        ],
    );
    for dialect in [Mysql, Sqlite] {
        check(
            dialect,
            "
-- file: 0001_init.sql
CREATE TABLE Users (Id int);
-- file: 0002_x.sql
ALTER TABLE users ADD COLUMN a int;
ALTER TABLE USERS DROP COLUMN ID;
",
            &["0002_x.sql:2:1 hazard drop-column Users.Id"],
        );
    }
}

#[test]
fn partitions_and_children_inherit_columns() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE events (id bigint, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE special_events (kind text NOT NULL, extra int, extra int) INHERITS (events);
CREATE INDEX events_2024_kind ON events_2024 (kind);
CREATE INDEX special_extra ON special_events (extra, at, nope);
",
        &[
            "0001_init.sql:3:61 error duplicate-column column `extra` appears twice in table `special_events`",
            "0001_init.sql:5:58 error missing-column column `special_events.nope` does not exist",
        ],
    );
}

// ---- opaque statements and externs --------------------------------------------------------

#[test]
fn opaque_statements_make_their_names_uncertain() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
    CREATE TYPE mood AS ENUM ('a');
  END IF;
  EXECUTE format('CREATE TABLE %I (id int)', 'audit_log');
END $$;
-- file: 0002_x.sql
ALTER TABLE audit_log ADD COLUMN at timestamptz;
ALTER TYPE mood ADD VALUE 'b';
ALTER TABLE orders ADD COLUMN x int;
",
    );
    assert!(results[0].2.statements[1].opaque);
    assert!(!results[0].2.statements[0].opaque);
    // `mood` is visibly created by the block; `audit_log` is only mentioned in it.
    assert_eq!(
        render(&results),
        [
            "0002_x.sql:1:13 warning missing-table table `audit_log` does not exist",
            "0002_x.sql:3:13 error missing-table table `orders` does not exist",
        ]
    );
    assert!(
        results[0]
            .2
            .creates
            .contains(&Object::new(ObjectKind::Type, None, "mood"))
    );
    let help = results[1].2.findings[0].help.as_deref().unwrap();
    assert!(help.contains("could not parse"), "{help}");
}

#[test]
fn opaque_statement_makes_columns_uncertain() {
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
ALTER TABLE users RENAME INDEX a TO b, ADD COLUMN nickname text;
-- file: 0002_x.sql
ALTER TABLE users DROP COLUMN nickname;
ALTER TABLE users DROP COLUMN other;
",
        &[
            "0002_x.sql:1:31 warning missing-column column `users.nickname` does not exist",
            "0002_x.sql:2:31 warning missing-column column `users.other` does not exist",
        ],
    );
}

#[test]
fn externs_are_never_missing() {
    check_with(
        Postgres,
        &["accounts", "auth.*"],
        "
-- file: 0001_init.sql
CREATE TABLE posts (
  id int PRIMARY KEY,
  account int REFERENCES accounts (id),
  author uuid REFERENCES auth.users (id),
  org int REFERENCES orgs (id)
);
ALTER TABLE accounts ADD COLUMN plan text;
CREATE INDEX ON auth.users (email);
",
        &["0001_init.sql:5:22 error missing-table foreign key references missing table `orgs`"],
    );
}

#[test]
fn unknown_schemas_are_uncertain() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE posts (id int, author uuid REFERENCES auth.users (id));
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id int);
CREATE TABLE invoice_lines (id int, invoice int REFERENCES billing.invoices (id), x int REFERENCES billing.nope (id));
",
        &[
            "0001_init.sql:1:52 warning missing-table foreign key references missing table `auth.users`",
            "0001_init.sql:4:100 error missing-table foreign key references missing table `billing.nope`",
        ],
    );
}

#[test]
fn unmodelled_statements_are_fine() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL);
COMMENT ON TABLE users IS 'people';
GRANT SELECT ON users TO reader;
INSERT INTO users (email) VALUES ('a@example.com');
CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.email = lower(NEW.email); UPDATE users SET email = ''; RETURN NEW; END $$ LANGUAGE plpgsql;
SELECT 1;
",
        &[],
    );
}

// ---- hazards ----------------------------------------------------------------------------

#[test]
fn drop_table() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
CREATE TABLE tmp (id int);
DROP TABLE tmp;
-- file: 0002_x.sql
DROP TABLE users;
DROP TABLE IF EXISTS ghosts;
CREATE TABLE scratch (id int);
DROP TABLE scratch;
",
        &["0002_x.sql:1:1 hazard drop-table users"],
    );
}

#[test]
fn drop_table_messages_and_empty_table() {
    let results = replay(
        Sqlite,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, email text);
-- file: 0002_x.sql
DROP TABLE users;
",
    );
    let hazard = &results[1].2.statements[0].hazards[0];
    let users = Object::new(ObjectKind::Table, None, "users");
    assert_eq!(hazard.code, Code::DropTable);
    assert_eq!(hazard.object, users);
    assert_eq!(hazard.empty_table, Some(users));
    assert_eq!(hazard.message, "dropping table `users` loses its data");
    assert_eq!(hazard.range, 0..16);
}

#[test]
fn drop_column() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, email text);
-- file: 0002_x.sql
ALTER TABLE users ADD COLUMN tmp int, DROP COLUMN tmp;
ALTER TABLE users DROP COLUMN email;
",
    );
    assert_eq!(
        render(&results),
        ["0002_x.sql:2:1 hazard drop-column users.email"]
    );
    let hazard = &results[1].2.statements[1].hazards[0];
    assert_eq!(
        hazard.message,
        "dropping column `users.email` loses its data"
    );
    assert_eq!(
        hazard.empty_table,
        Some(Object::new(ObjectKind::Table, None, "users"))
    );
}

#[test]
fn drop_schema() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id int);
CREATE SCHEMA scratch;
DROP SCHEMA scratch;
-- file: 0002_x.sql
DROP SCHEMA billing CASCADE;
ALTER TABLE billing.invoices ADD COLUMN x int;
",
    );
    assert_eq!(
        render(&results),
        [
            "0002_x.sql:2:13 warning missing-table table `billing.invoices` does not exist",
            "0002_x.sql:1:1 hazard drop-schema billing",
        ]
    );
    assert_eq!(results[1].2.statements[0].hazards[0].empty_table, None);
    check(
        Mysql,
        "
-- file: 0001_init.sql
DROP DATABASE legacy;
",
        &[
            "0001_init.sql:1:15 warning missing-object schema `legacy` does not exist",
            "0001_init.sql:1:1 hazard drop-schema legacy",
        ],
    );
}

#[test]
fn truncate_delete_update() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, active bool);
-- file: 0002_x.sql
TRUNCATE users;
DELETE FROM users;
UPDATE users SET active = true;
DELETE FROM users WHERE id = 1;
UPDATE users SET active = true WHERE id = 1;
CREATE TABLE staging (id int);
TRUNCATE staging;
DELETE FROM staging;
ALTER TABLE users ADD COLUMN score int;
UPDATE users SET score = 0;
",
        &[
            "0002_x.sql:1:1 hazard truncate users",
            "0002_x.sql:2:1 hazard delete-without-where users",
            "0002_x.sql:3:1 hazard update-without-where users",
        ],
    );
}

#[test]
fn lossy_type_change() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, name varchar(20), bio varchar(10), score numeric(10, 2), n int);
-- file: 0002_x.sql
ALTER TABLE users ALTER COLUMN name TYPE varchar(10);
ALTER TABLE users ALTER COLUMN bio TYPE text;
ALTER TABLE users ALTER COLUMN id TYPE bigint;
ALTER TABLE users ALTER COLUMN score TYPE numeric(8, 2);
ALTER TABLE users ALTER COLUMN n TYPE text;
",
        &[
            "0002_x.sql:1:1 hazard lossy-type-change users.name",
            "0002_x.sql:4:1 hazard lossy-type-change users.score",
            "0002_x.sql:5:1 hazard lossy-type-change users.n",
        ],
    );
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE `users` (`id` int(11) NOT NULL, `name` varchar(255) DEFAULT NULL) ENGINE=InnoDB;
-- file: 0002_x.sql
ALTER TABLE `users` MODIFY `id` bigint(20) NOT NULL;
ALTER TABLE `users` MODIFY COLUMN `name` varchar(100);
ALTER TABLE `users` CHANGE `name` `title` text;
",
        &[
            "0002_x.sql:2:1 hazard lossy-type-change users.name",
            "0002_x.sql:3:1 hazard rename-column users.name",
        ],
    );
}

#[test]
fn lossy_type_change_message() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (name varchar(20));
-- file: 0002_x.sql
ALTER TABLE users ALTER COLUMN name TYPE varchar(10);
",
    );
    assert_eq!(
        results[1].2.statements[0].hazards[0].message,
        "changing column `users.name` from `varchar(20)` to `varchar(10)` can lose data"
    );
}

#[test]
fn drop_enum_value() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TYPE status AS ENUM ('active', 'banned', 'deleted');
CREATE TABLE users (id int, status status NOT NULL);
-- file: 0002_x.sql
ALTER TYPE status RENAME TO status_old;
CREATE TYPE status AS ENUM ('active', 'banned');
ALTER TABLE users ALTER COLUMN status TYPE status USING status::text::status;
DROP TYPE status_old;
-- file: 0003_y.sql
ALTER TYPE status ADD VALUE 'archived';
CREATE TYPE status2 AS ENUM ('active', 'banned', 'archived', 'new');
ALTER TABLE users ALTER COLUMN status TYPE status2 USING status::text::status2;
",
    );
    assert_eq!(
        render(&results),
        ["0002_x.sql:3:1 hazard drop-enum-value status_old.deleted"]
    );
    let hazard = &results[1].2.statements[2].hazards[0];
    assert_eq!(hazard.empty_table, None);
    assert!(hazard.message.contains("`deleted`"), "{}", hazard.message);
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, status ENUM('a', 'b', 'c') NOT NULL);
-- file: 0002_x.sql
ALTER TABLE users MODIFY status ENUM('a', 'b', 'c', 'd') NOT NULL;
ALTER TABLE users MODIFY status ENUM('a', 'd') NOT NULL;
",
        &[
            "0002_x.sql:2:1 hazard drop-enum-value users.status.b",
            "0002_x.sql:2:1 hazard drop-enum-value users.status.c",
        ],
    );
}

#[test]
fn add_not_null_column() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
-- file: 0002_x.sql
ALTER TABLE users ADD COLUMN email text NOT NULL;
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users ADD COLUMN seq bigserial NOT NULL;
ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;
CREATE TABLE teams (id int);
ALTER TABLE teams ADD COLUMN name text NOT NULL;
",
        &["0002_x.sql:1:1 hazard add-not-null-column users.email"],
    );
}

#[test]
fn constraint_on_existing_data() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, email text, nick text NOT NULL);
-- file: 0002_x.sql
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users ALTER COLUMN nick SET NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_email_unique UNIQUE (email);
ALTER TABLE users ADD PRIMARY KEY (id);
CREATE TABLE teams (id int, name text);
ALTER TABLE teams ALTER COLUMN name SET NOT NULL;
CREATE UNIQUE INDEX teams_name ON teams (name);
-- file: 0003_y.sql
-- driftless: no-transaction
CREATE UNIQUE INDEX CONCURRENTLY users_nick ON users (nick);
",
        &[
            "0002_x.sql:1:1 hazard constraint-on-existing-data users.email",
            "0002_x.sql:3:1 hazard constraint-on-existing-data users",
            "0002_x.sql:4:1 hazard constraint-on-existing-data users",
            "0003_y.sql:2:1 hazard constraint-on-existing-data users",
        ],
    );
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, email varchar(255));
-- file: 0002_x.sql
ALTER TABLE users MODIFY email varchar(255) NOT NULL;
ALTER TABLE users ADD UNIQUE KEY users_email (email);
ALTER TABLE users ADD INDEX users_id (id);
",
        &[
            "0002_x.sql:1:1 hazard constraint-on-existing-data users.email",
            "0002_x.sql:2:1 hazard constraint-on-existing-data users",
        ],
    );
}

#[test]
fn renames() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, email text);
-- file: 0002_x.sql
ALTER TABLE users RENAME COLUMN email TO mail;
ALTER TABLE users RENAME TO people;
CREATE TABLE t (a int);
ALTER TABLE t RENAME COLUMN a TO b;
ALTER TABLE t RENAME TO u;
",
    );
    assert_eq!(
        render(&results),
        [
            "0002_x.sql:1:1 hazard rename-column users.email",
            "0002_x.sql:2:1 hazard rename-table users",
        ]
    );
    assert_eq!(
        results[1].2.statements[1].hazards[0].message,
        "renaming table `users` to `people` breaks code that still uses `users`"
    );
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE a (id int);
CREATE TABLE b (id int);
-- file: 0002_x.sql
RENAME TABLE a TO a2, b TO b2;
RENAME TABLE missing TO m2;
ALTER TABLE a2 ADD COLUMN x int;
",
        &[
            "0002_x.sql:2:14 error missing-table table `missing` does not exist",
            "0002_x.sql:1:1 hazard rename-table a",
            "0002_x.sql:1:1 hazard rename-table b",
        ],
    );
}

#[test]
fn index_without_concurrently() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, email text);
CREATE INDEX users_id ON users (id);
-- file: 0002_x.sql
CREATE INDEX users_email ON users (email);
-- file: 0003_y.sql
-- driftless: no-transaction
CREATE INDEX CONCURRENTLY users_email2 ON users (email);
",
        &["0002_x.sql:1:1 hazard index-without-concurrently users"],
    );
    for dialect in [Mysql, Sqlite] {
        check(
            dialect,
            "
-- file: 0001_init.sql
CREATE TABLE users (id int, email text);
-- file: 0002_x.sql
CREATE INDEX users_email ON users (email);
",
            &[],
        );
    }
}

#[test]
fn constraint_without_not_valid() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE orgs (id int PRIMARY KEY);
CREATE TABLE users (id int, org int, age int);
-- file: 0002_x.sql
ALTER TABLE users ADD CONSTRAINT users_org FOREIGN KEY (org) REFERENCES orgs (id);
ALTER TABLE users ADD CONSTRAINT users_org2 FOREIGN KEY (org) REFERENCES orgs (id) NOT VALID;
ALTER TABLE users ADD CONSTRAINT users_age CHECK (age > 0);
ALTER TABLE users ADD CONSTRAINT users_age2 CHECK (age > 0) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_org2;
",
        &[
            "0002_x.sql:1:1 hazard constraint-without-not-valid users",
            "0002_x.sql:3:1 hazard constraint-on-existing-data users",
            "0002_x.sql:3:1 hazard constraint-without-not-valid users",
        ],
    );
}

#[test]
fn lock_hazards_are_postgres_only() {
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE orgs (id int PRIMARY KEY);
CREATE TABLE users (id int, org int);
-- file: 0002_x.sql
ALTER TABLE users ADD CONSTRAINT users_org FOREIGN KEY (org) REFERENCES orgs (id);
",
        &[],
    );
}

#[test]
fn concurrently_in_transaction() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, email text);
-- file: 0002_x.sql
CREATE INDEX CONCURRENTLY users_email ON users (email);
-- file: 0003_y.sql
DROP INDEX CONCURRENTLY users_email;
-- file: 0004_z.sql
-- driftless: no-transaction
DROP INDEX CONCURRENTLY IF EXISTS users_email;
-- file: 0005_w.sql
REFRESH MATERIALIZED VIEW CONCURRENTLY stats;
",
    );
    assert_eq!(
        render(&results),
        [
            "0002_x.sql:1:1 error concurrently-in-transaction `concurrently` cannot run inside a transaction",
            "0003_y.sql:1:1 error concurrently-in-transaction `concurrently` cannot run inside a transaction",
        ]
    );
    assert!(
        results[1].2.findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("-- driftless: no-transaction")
    );
}

#[test]
fn sqlite_rebuild_copying_everything_is_not_a_hazard() {
    let results = replay(
        Sqlite,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id integer PRIMARY KEY, name text, email text);
-- file: 0002_rebuild.sql
PRAGMA foreign_keys=off;
CREATE TABLE new_users (id integer PRIMARY KEY, name text NOT NULL, email text);
INSERT INTO new_users (id, name, email) SELECT id, coalesce(name, ''), email FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
PRAGMA foreign_keys=on;
-- file: 0003_star.sql
CREATE TABLE users_tmp (id integer PRIMARY KEY, name text, email text, extra text);
INSERT INTO users_tmp SELECT *, NULL FROM users;
DROP TABLE users;
ALTER TABLE users_tmp RENAME TO users;
",
    );
    assert_eq!(render(&results), Vec::<String>::new());
    // The rebuilt table is the old one: it is not new, only its new column is.
    assert_eq!(results[1].2.creates, Vec::<Object>::new());
    assert_eq!(
        results[2].2.creates,
        [Object::column(None, "users", "extra")]
    );
}

#[test]
fn sqlite_rebuild_loses_uncopied_columns() {
    let results = replay(
        Sqlite,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id integer PRIMARY KEY, name text, legacy text);
-- file: 0002_rebuild.sql
CREATE TABLE \"new_users\" (id integer PRIMARY KEY, name text);
INSERT INTO \"new_users\" (\"id\", \"name\") SELECT \"id\", \"name\" FROM \"users\";
DROP TABLE \"users\";
ALTER TABLE \"new_users\" RENAME TO \"users\";
-- file: 0003_z.sql
ALTER TABLE users DROP COLUMN name;
",
    );
    assert_eq!(
        render(&results),
        [
            "0002_rebuild.sql:3:1 hazard drop-column users.legacy",
            "0003_z.sql:1:1 hazard drop-column users.name",
        ]
    );
}

#[test]
fn mysql_rebuild_by_rename_swap() {
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, name text, legacy text);
-- file: 0002_rebuild.sql
CREATE TABLE users_new LIKE users;
ALTER TABLE users_new DROP COLUMN legacy;
INSERT INTO users_new SELECT id, name FROM users;
RENAME TABLE users TO users_old, users_new TO users;
DROP TABLE users_old;
",
        &["0002_rebuild.sql:5:1 hazard drop-column users.legacy"],
    );
}

#[test]
fn drop_without_copy_is_still_a_drop() {
    check(
        Sqlite,
        "
-- file: 0001_init.sql
CREATE TABLE users (id integer PRIMARY KEY, name text);
-- file: 0002_x.sql
CREATE TABLE new_users (id integer PRIMARY KEY, name text);
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
",
        &["0002_x.sql:2:1 hazard drop-table users"],
    );
}

#[test]
fn hazards_on_externs_and_uncertain_tables_still_count() {
    check_with(
        Postgres,
        &["legacy"],
        "
-- file: 0001_init.sql
DROP TABLE legacy;
ALTER TABLE legacy DROP COLUMN x;
",
        &[
            "0001_init.sql:1:1 hazard drop-table legacy",
            "0001_init.sql:2:1 hazard drop-column legacy.x",
        ],
    );
}

// ---- created objects --------------------------------------------------------------------

#[test]
fn creates_lists_new_objects_only() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
-- file: 0002_x.sql
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id int);
CREATE INDEX invoices_id ON billing.invoices (id);
ALTER TABLE users ADD COLUMN email text;
CREATE VIEW v AS SELECT 1;
CREATE TYPE mood AS ENUM ('a');
CREATE SEQUENCE counter;
CREATE TABLE gone (id int);
DROP TABLE gone;
CREATE TABLE t1 (id int);
ALTER TABLE t1 RENAME TO t2;
ALTER TABLE t2 ADD COLUMN x int;
",
    );
    let table = |schema, name| Object::new(ObjectKind::Table, schema, name);
    assert_eq!(
        results[1].2.creates,
        [
            Object::new(ObjectKind::Schema, None, "billing"),
            table(Some("billing"), "invoices"),
            Object::new(ObjectKind::Index, Some("billing"), "invoices_id"),
            Object::column(None, "users", "email"),
            Object::new(ObjectKind::View, None, "v"),
            Object::new(ObjectKind::Type, None, "mood"),
            Object::new(ObjectKind::Sequence, None, "counter"),
            table(None, "t2"),
        ]
    );
    assert_eq!(results[0].2.creates, [table(None, "users")]);
}

// ---- realistic histories ----------------------------------------------------------------

#[test]
fn realistic_postgres_history() {
    check(
        Postgres,
        r#"
-- file: 20230101000000_init.sql
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE IF NOT EXISTS public.organizations (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    name varchar(255) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email citext NOT NULL,
    "displayName" text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_unique UNIQUE (email)
);
CREATE INDEX users_organization_id_idx ON users (organization_id);
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- file: 20230201000000_roles.sql
DO $$ BEGIN
    CREATE TYPE user_role AS ENUM ('owner', 'member');
EXCEPTION
    WHEN duplicate_object THEN null;
END $$;
ALTER TABLE users ADD COLUMN role user_role NOT NULL DEFAULT 'member';
ALTER TABLE users ADD COLUMN updated_at timestamptz;
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- file: 20230301000000_projects.sql
CREATE TABLE projects (
    id bigserial PRIMARY KEY,
    organization_id uuid NOT NULL,
    owner_id bigint REFERENCES users (id),
    title text NOT NULL
);
ALTER TABLE projects ADD CONSTRAINT projects_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id);
CREATE INDEX projects_owner_id_idx ON projects (owner_id) WHERE owner_id IS NOT NULL;
ALTER TYPE user_role ADD VALUE IF NOT EXISTS 'admin';
COMMENT ON COLUMN projects.title IS 'shown in the sidebar';
-- file: 20230401000000_search.sql
-- driftless: no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS projects_title_idx ON projects USING gin (to_tsvector('english', title));
-- file: 20230501000000_cleanup.sql
ALTER TABLE users DROP CONSTRAINT users_email_unique;
ALTER TABLE "users" ALTER COLUMN "displayName" SET DEFAULT '';
ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_primary;
DROP INDEX IF EXISTS old_index;
DROP TRIGGER IF EXISTS users_updated_at ON users;
DROP FUNCTION IF EXISTS set_updated_at();
"#,
        &[],
    );
}

#[test]
fn realistic_mysql_history() {
    check(
        Mysql,
        "
-- file: 001_init.sql
/*!40101 SET NAMES utf8mb4 */;
SET FOREIGN_KEY_CHECKS = 0;
CREATE TABLE IF NOT EXISTS `orders` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` int(11) NOT NULL,
  `status` enum('new','paid','shipped') NOT NULL DEFAULT 'new',
  `total` decimal(10,2) NOT NULL DEFAULT '0.00',
  `created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  KEY `idx_customer` (`customer_id`),
  CONSTRAINT `fk_orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB AUTO_INCREMENT=1 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE `customers` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `Email` varchar(191) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `customers_email_unique` (`Email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
SET FOREIGN_KEY_CHECKS = 1;
-- file: 002_more.sql
ALTER TABLE `orders` ADD COLUMN `note` text NULL AFTER `total`, ADD INDEX `idx_status` (`status`);
ALTER TABLE orders MODIFY COLUMN status enum('new','paid','shipped','refunded') NOT NULL DEFAULT 'new';
ALTER TABLE `Customers` ADD COLUMN `name` varchar(100) DEFAULT NULL;
ALTER TABLE customers DROP INDEX customers_email_unique, ADD UNIQUE INDEX customers_email_uq (email);
DROP INDEX idx_status ON orders;
ALTER TABLE orders DROP FOREIGN KEY fk_orders_customer;
LOCK TABLES `customers` WRITE;
INSERT INTO `customers` VALUES (1,'a@example.com',NULL);
UNLOCK TABLES;
",
        &["002_more.sql:4:1 hazard constraint-on-existing-data customers"],
    );
}

#[test]
fn realistic_sqlite_history() {
    check(
        Sqlite,
        r#"
-- file: 0001_init.sql
CREATE TABLE IF NOT EXISTS "users" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" TEXT NOT NULL UNIQUE,
    "team_id" INTEGER REFERENCES "teams" ("id")
);
CREATE TABLE "teams" ("id" INTEGER PRIMARY KEY, "name" TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS "users_email" ON "users" ("email");
CREATE VIRTUAL TABLE docs USING fts5(title, body);
-- file: 0002_drop_team.sql
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_users" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" TEXT NOT NULL,
    "team_id" INTEGER REFERENCES "teams" ("id"),
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_users" ("id", "email", "team_id") SELECT "id", "email", "team_id" FROM "users";
DROP TABLE "users";
ALTER TABLE "new_users" RENAME TO "users";
CREATE UNIQUE INDEX "users_email" ON "users" ("email");
PRAGMA foreign_key_check;
PRAGMA foreign_keys=ON;
-- file: 0003_more.sql
ALTER TABLE users ADD COLUMN nickname TEXT;
ALTER TABLE users RENAME COLUMN nickname TO handle;
INSERT INTO docs (title, body) VALUES ('a', 'b');
REINDEX users_email;
"#,
        &[],
    );
}

#[test]
fn many_migrations_replay_quickly() {
    // 1,000 migrations of about 1 KB each; quadratic work would show up as seconds.
    let mut fixture = String::new();
    for i in 0..1000 {
        fixture.push_str(&format!("-- file: {i:05}_m.sql\n"));
        fixture.push_str(&format!(
            "CREATE TABLE t{i} (id bigint PRIMARY KEY, name varchar(100) NOT NULL, \
             parent bigint REFERENCES t{} (id), created_at timestamptz DEFAULT now());\n",
            i.max(1) - 1
        ));
        fixture.push_str(&format!("CREATE INDEX t{i}_name ON t{i} (name);\n"));
        fixture.push_str(&format!("ALTER TABLE t{i} ADD COLUMN note text;\n"));
        if i > 0 {
            fixture.push_str(&format!("ALTER TABLE t{} ADD COLUMN c{i} int;\n", i - 1));
        }
        fixture.push_str(&"-- padding comment to reach a realistic file size\n".repeat(12));
    }
    let started = std::time::Instant::now();
    let results = replay(Postgres, &[], &fixture);
    let elapsed = started.elapsed();
    assert_eq!(results.len(), 1000);
    assert!(results.iter().all(|r| r.2.findings.is_empty()));
    // Generous for debug builds on a shared machine; release is far faster.
    assert!(elapsed.as_secs() < 20, "replay took {elapsed:?}");
}

#[test]
fn data_loss_follows_the_table_through_renames() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE t (id int, a int);
-- file: 0002_x.sql
ALTER TABLE t RENAME TO t_old;
ALTER TABLE t_old RENAME COLUMN a TO b;
ALTER TABLE t_old DROP COLUMN b;
DROP TABLE t_old;
",
        &[
            "0002_x.sql:1:1 hazard rename-table t",
            "0002_x.sql:2:1 hazard rename-column t_old.a",
            "0002_x.sql:3:1 hazard drop-column t.a",
            "0002_x.sql:4:1 hazard drop-table t",
        ],
    );
}

#[test]
fn set_schema_is_a_rename() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE t (id int);
CREATE SCHEMA archive;
-- file: 0002_x.sql
ALTER TABLE t SET SCHEMA archive;
DROP TABLE archive.t;
",
        &[
            "0002_x.sql:1:1 hazard rename-table t",
            "0002_x.sql:2:1 hazard drop-table t",
        ],
    );
}

#[test]
fn a_name_reused_in_one_migration_is_the_renamed_table() {
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE t (id int);
CREATE TABLE x (id int);
-- file: 0002_x.sql
DROP TABLE x;
RENAME TABLE t TO x;
DROP TABLE x;
",
        &[
            "0002_x.sql:1:1 hazard drop-table x",
            "0002_x.sql:2:1 hazard rename-table t",
            "0002_x.sql:3:1 hazard drop-table t",
        ],
    );
}

#[test]
fn a_rebuild_that_copies_some_rows_is_a_drop() {
    check(
        Sqlite,
        "
-- file: 0001_init.sql
CREATE TABLE t (id integer PRIMARY KEY, v text);
-- file: 0002_x.sql
CREATE TABLE t_new (id integer PRIMARY KEY, v text);
INSERT INTO t_new SELECT * FROM t WHERE id < 0;
DROP TABLE t;
ALTER TABLE t_new RENAME TO t;
",
        &["0002_x.sql:3:1 hazard drop-table t"],
    );
}

#[test]
fn using_that_is_not_a_cast_of_the_column_rewrites_it() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE t (id int, v text);
-- file: 0002_x.sql
ALTER TABLE t ALTER COLUMN v TYPE text USING NULL;
ALTER TABLE t ALTER COLUMN id TYPE bigint USING id::bigint;
",
        &["0002_x.sql:1:1 hazard lossy-type-change t.v"],
    );
}
