//! Data changes the analysis cannot see (issue 7, defect 2): each is a data-loss hazard.

use super::*;

/// Like the parent's `replay`, but split by the real splitter, which keeps trigger and
/// procedure bodies whole.
fn replay(
    dialect: Dialect,
    externs: &[&str],
    fixture: &str,
) -> Vec<(String, String, MigrationFacts)> {
    replay_split(dialect, externs, fixture, |sql, dialect| {
        crate::split::split(sql, dialect).statements().collect()
    })
}

#[track_caller]
fn check(dialect: Dialect, fixture: &str, expect: &[&str]) {
    assert_rendered(dialect, &replay(dialect, &[], fixture), expect);
}

/// The hazards of statement `stmt` of migration `migration` (both 0-based).
fn hazards_of(
    results: &[(String, String, MigrationFacts)],
    migration: usize,
    stmt: usize,
) -> &[super::super::Hazard] {
    &results[migration].2.statements[stmt].hazards
}

// ---- PostgreSQL DO blocks ---------------------------------------------------------------

#[test]
fn do_blocks_that_can_change_data_are_hazards() {
    check(
        Postgres,
        r#"
-- file: 0001_init.sql
CREATE TABLE users (id int, active bool);
-- file: 0002_x.sql
DO $$ BEGIN DELETE FROM users WHERE active = false; END $$;
DO $$ BEGIN IF EXISTS (SELECT 1 FROM users) THEN UPDATE users SET active = true WHERE id = 1; END IF; END $$;
DO $$ BEGIN TRUNCATE users; END $$;
DO $$ BEGIN DROP TABLE users; END $$;
DO $$ BEGIN ALTER TABLE users DROP COLUMN active; END $$;
DO $$ DECLARE q text := 'DELETE FROM users'; BEGIN EXECUTE q; END $$;
DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('users'); END $$;
DO $$ BEGIN EXECUTE format('DELETE FROM %I', 'users'); END $$;
DO $$ BEGIN PERFORM archive_users(); END $$;
DO $$ BEGIN CALL purge(); END $$;
DO $$ DECLARE n int; BEGIN SELECT cleanup() INTO n; END $$;
DO $$ BEGIN WITH d AS (DELETE FROM users RETURNING *) SELECT count(*) FROM d; END $$;
DO LANGUAGE plpython3u $$ plpy.execute("select 1") $$;
DO 'BEGIN DELETE FROM users; END';
"#,
        &[
            "0002_x.sql:1:1 hazard opaque-data-change <do block>",
            "0002_x.sql:2:1 hazard opaque-data-change <do block>",
            "0002_x.sql:3:1 hazard opaque-data-change <do block>",
            "0002_x.sql:4:1 hazard opaque-data-change <do block>",
            "0002_x.sql:5:1 hazard opaque-data-change <do block>",
            "0002_x.sql:6:1 hazard opaque-data-change <do block>",
            "0002_x.sql:7:1 hazard opaque-data-change <do block>",
            "0002_x.sql:8:1 hazard opaque-data-change <do block>",
            "0002_x.sql:9:1 hazard opaque-data-change <do block>",
            "0002_x.sql:10:1 hazard opaque-data-change <do block>",
            "0002_x.sql:11:1 hazard opaque-data-change <do block>",
            "0002_x.sql:12:1 hazard opaque-data-change <do block>",
            "0002_x.sql:13:1 hazard opaque-data-change <do block>",
            "0002_x.sql:14:1 hazard opaque-data-change <do block>",
        ],
    );
}

#[test]
fn do_blocks_that_only_create_are_not_hazards() {
    check(
        Postgres,
        r#"
-- file: 0001_init.sql
CREATE TABLE users (id int, org int);
CREATE TABLE orgs (id int PRIMARY KEY);
-- file: 0002_x.sql
DO $$ BEGIN
    CREATE TYPE user_role AS ENUM ('owner', 'member');
EXCEPTION
    WHEN duplicate_object THEN null;
END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
    CREATE TYPE mood AS ENUM ('a');
  END IF;
  EXECUTE format('CREATE TABLE %I (id int)', 'audit_log');
END $$;
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'forum_reader') then
    create role forum_reader;
  end if;
end
$$;
DO $$ BEGIN
 ALTER TABLE "users" ADD CONSTRAINT "users_org_fk" FOREIGN KEY ("org") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
DO $$ BEGIN
  ALTER TABLE users DROP CONSTRAINT IF EXISTS users_org_check;
  ALTER TABLE users ALTER COLUMN org DROP NOT NULL, ALTER COLUMN org DROP DEFAULT;
  DROP INDEX IF EXISTS users_org_idx;
  DROP TRIGGER IF EXISTS users_touch ON users;
  DROP FUNCTION IF EXISTS touch();
  DROP VIEW IF EXISTS active_users;
  PERFORM set_config('search_path', 'public', true);
  PERFORM pg_catalog.setval('users_id_seq', 1);
  PERFORM 1;
  RAISE NOTICE 'done at %', now();
  GRANT SELECT ON users TO forum_reader;
  COMMENT ON TABLE users IS 'delete me later';
END $$;
"#,
        &[],
    );
}

// ---- PostgreSQL calls, PREPARE/EXECUTE, data-modifying CTEs ----------------------------

#[test]
fn postgres_calls_of_user_functions_are_hazards() {
    check(
        Postgres,
        r#"
-- file: 0001_init.sql
CREATE TABLE users (id serial PRIMARY KEY, name text);
-- file: 0002_x.sql
SELECT archive_orders();
SELECT billing.purge_invoices(30);
CALL refresh_everything();
SELECT * FROM expire_sessions();
SELECT setval('users_id_seq', (SELECT max(id) FROM users)), nextval('users_id_seq');
SELECT pg_catalog.set_config('search_path', '', false);
SELECT set_config('a.b', 'c', false), now(), count(*) FROM users;
SELECT pg_sleep(0.1);
SELECT 1;
SELECT lower(name), coalesce(name, 'x') FROM users WHERE id = 1;
"#,
        &[
            "0002_x.sql:1:1 hazard opaque-data-change <function archive_orders>",
            "0002_x.sql:2:1 hazard opaque-data-change <function billing.purge_invoices>",
            "0002_x.sql:3:1 hazard opaque-data-change <procedure refresh_everything>",
            "0002_x.sql:4:1 hazard opaque-data-change <function expire_sessions>",
        ],
    );
}

#[test]
fn functions_defined_in_the_folder_are_judged_by_their_body() {
    check(
        Postgres,
        r#"
-- file: 0001_init.sql
CREATE OR REPLACE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s
                    FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl);
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION purge() RETURNS void AS $$ BEGIN DELETE FROM users; END $$ LANGUAGE plpgsql;
CREATE FUNCTION score(p int) RETURNS bigint LANGUAGE sql STABLE AS $f$ select p + 1 $f$;
CREATE PROCEDURE wipe() LANGUAGE sql AS $$ TRUNCATE users $$;
CREATE TABLE users (id int);
-- file: 0002_x.sql
select diesel_manage_updated_at('users');
SELECT score(1);
SELECT purge();
CALL wipe();
"#,
        &[
            "0002_x.sql:3:1 hazard opaque-data-change <function purge>",
            "0002_x.sql:4:1 hazard opaque-data-change <procedure wipe>",
        ],
    );
}

#[test]
fn postgres_execute_of_a_prepared_statement_is_a_hazard() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
-- file: 0002_x.sql
PREPARE wipe AS DELETE FROM users;
EXECUTE wipe;
",
        &["0002_x.sql:2:1 hazard opaque-data-change <execute wipe>"],
    );
}

#[test]
fn delete_or_update_inside_a_cte_is_seen() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE users (id int, active bool);
CREATE TABLE archive (id int, active bool);
-- file: 0002_x.sql
WITH d AS (DELETE FROM users RETURNING *) SELECT count(*) FROM d;
WITH u AS (UPDATE users SET active = false RETURNING id) SELECT * FROM u;
WITH d AS (DELETE FROM users WHERE id = 1 RETURNING *) INSERT INTO archive SELECT * FROM d;
WITH d AS (DELETE FROM users RETURNING *) INSERT INTO archive SELECT * FROM d;
",
        &[
            "0002_x.sql:1:1 hazard delete-without-where users",
            "0002_x.sql:2:1 hazard update-without-where users",
            "0002_x.sql:4:1 hazard delete-without-where users",
        ],
    );
}

// ---- MySQL / MariaDB --------------------------------------------------------------------

#[test]
fn mysql_call_limit_and_replace() {
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE orders (id int PRIMARY KEY, total int);
CREATE PROCEDURE recompute_totals()
BEGIN
  UPDATE orders SET total = 0 WHERE id > 0;
END;
CREATE PROCEDURE count_orders()
BEGIN
  SELECT COUNT(*) FROM orders;
END;
-- file: 0002_x.sql
CALL recompute_totals();
CALL count_orders();
CALL somewhere_else.cleanup(1);
DELETE FROM orders LIMIT 10;
DELETE FROM orders WHERE id > 5 LIMIT 10;
UPDATE orders SET total = 1 LIMIT 3;
REPLACE INTO orders VALUES (1, 2);
INSERT INTO orders VALUES (2, 3);
CREATE TABLE fresh (id int PRIMARY KEY);
REPLACE INTO fresh VALUES (1);
EXECUTE stmt;
",
        &[
            "0002_x.sql:1:1 hazard opaque-data-change <procedure recompute_totals>",
            "0002_x.sql:3:1 hazard opaque-data-change <procedure somewhere_else.cleanup>",
            "0002_x.sql:4:1 hazard delete-without-where orders",
            "0002_x.sql:6:1 hazard update-without-where orders",
            "0002_x.sql:7:1 hazard replace-into orders",
            "0002_x.sql:11:1 hazard opaque-data-change <execute stmt>",
        ],
    );
}

#[test]
fn mysql_guard_procedure_called_then_dropped_is_not_a_hazard() {
    // The usual "add a column if it is missing" idiom of MySQL histories.
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE orders (id int PRIMARY KEY);
-- file: 0002_x.sql
CREATE DEFINER = `root`@`localhost` PROCEDURE add_note()
BEGIN
  IF NOT EXISTS (SELECT * FROM information_schema.COLUMNS WHERE TABLE_NAME = 'orders' AND COLUMN_NAME = 'note') THEN
    ALTER TABLE orders ADD COLUMN note text;
  END IF;
END;
CALL add_note();
DROP PROCEDURE add_note;
",
        &[],
    );
}

#[test]
fn mysql_prepare_from_a_variable_is_judged_at_execute() {
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE orders (id int PRIMARY KEY, total int);
-- file: 0002_x.sql
SET @s = (SELECT IF(COUNT(*) = 0, 'ALTER TABLE orders ADD COLUMN note text', 'SELECT 1') FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note');
PREPARE stmt FROM @s;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;
",
        &["0002_x.sql:3:1 hazard opaque-data-change <execute stmt>"],
    );
}

// ---- SQLite -----------------------------------------------------------------------------

#[test]
fn sqlite_writable_schema() {
    check(
        Sqlite,
        "
-- file: 0001_init.sql
CREATE TABLE users (id integer);
-- file: 0002_x.sql
PRAGMA writable_schema = ON;
PRAGMA writable_schema = 1;
PRAGMA main.writable_schema=RESET;
PRAGMA writable_schema(1);
PRAGMA writable_schema;
PRAGMA foreign_keys = OFF;
",
        &[
            "0002_x.sql:1:1 hazard opaque-data-change <pragma writable_schema>",
            "0002_x.sql:2:1 hazard opaque-data-change <pragma writable_schema>",
            "0002_x.sql:3:1 hazard opaque-data-change <pragma writable_schema>",
            "0002_x.sql:4:1 hazard opaque-data-change <pragma writable_schema>",
        ],
    );
}

#[test]
fn sqlite_dml_that_fires_a_data_changing_trigger() {
    check(
        Sqlite,
        "
-- file: 0001_init.sql
CREATE TABLE users (id integer PRIMARY KEY, name text);
CREATE TABLE sessions (user_id integer);
CREATE TABLE audit (at text);
CREATE TRIGGER users_purge AFTER DELETE ON users BEGIN DELETE FROM sessions; END;
CREATE TRIGGER IF NOT EXISTS users_rename AFTER UPDATE OF name ON users FOR EACH ROW BEGIN UPDATE sessions SET user_id = NULL; END;
CREATE TRIGGER users_check BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'no') WHERE NEW.id < 0; END;
CREATE TRIGGER sessions_log AFTER INSERT ON sessions BEGIN INSERT INTO audit VALUES (datetime('now')); END;
-- file: 0002_x.sql
INSERT INTO users VALUES (1, 'a');
INSERT INTO sessions VALUES (1);
DELETE FROM users WHERE id = 1;
UPDATE users SET name = 'b' WHERE id = 1;
DROP TRIGGER users_purge;
DELETE FROM users WHERE id = 2;
-- file: 0003_y.sql
CREATE TABLE fresh (id integer);
CREATE TABLE fresh_log (id integer);
CREATE TRIGGER fresh_t AFTER INSERT ON fresh BEGIN DELETE FROM fresh_log; END;
INSERT INTO fresh VALUES (1);
DROP TABLE sessions;
-- file: 0004_z.sql
INSERT INTO fresh VALUES (2);
ALTER TABLE users RENAME TO people;
UPDATE people SET name = 'c' WHERE id = 1;
",
        &[
            "0002_x.sql:3:1 hazard opaque-data-change <trigger users_purge>",
            "0002_x.sql:4:1 hazard opaque-data-change <trigger users_rename>",
            "0003_y.sql:5:1 hazard drop-table sessions",
            "0004_z.sql:1:1 hazard opaque-data-change <trigger fresh_t>",
            "0004_z.sql:2:1 hazard rename-table users",
            "0004_z.sql:3:1 hazard opaque-data-change <trigger users_rename>",
        ],
    );
}

#[test]
fn sqlite_insert_or_replace() {
    check(
        Sqlite,
        "
-- file: 0001_init.sql
CREATE TABLE users (id integer PRIMARY KEY, name text);
-- file: 0002_x.sql
INSERT OR REPLACE INTO users VALUES (1, 'a');
REPLACE INTO users VALUES (1, 'a');
INSERT OR IGNORE INTO users VALUES (1, 'a');
",
        &[
            "0002_x.sql:1:1 hazard replace-into users",
            "0002_x.sql:2:1 hazard replace-into users",
        ],
    );
}

// ---- constant-true WHERE, all dialects --------------------------------------------------

#[test]
fn a_where_that_is_always_true_is_no_where() {
    for dialect in [Postgres, Mysql, Sqlite] {
        check(
            dialect,
            "
-- file: 0001_init.sql
CREATE TABLE users (id int, active int);
-- file: 0002_x.sql
DELETE FROM users WHERE true;
DELETE FROM users WHERE 1 = 1;
DELETE FROM users WHERE 1;
DELETE FROM users WHERE 'a' = 'a';
DELETE FROM users WHERE NOT false;
DELETE FROM users WHERE id = id;
UPDATE users SET active = 0 WHERE (1 = 1);
UPDATE users SET active = 0 WHERE true OR id = 3;
DELETE FROM users WHERE 1 = 0;
DELETE FROM users WHERE id = 1 AND true;
UPDATE users SET active = 0 WHERE false;
",
            &[
                "0002_x.sql:1:1 hazard delete-without-where users",
                "0002_x.sql:2:1 hazard delete-without-where users",
                "0002_x.sql:3:1 hazard delete-without-where users",
                "0002_x.sql:4:1 hazard delete-without-where users",
                "0002_x.sql:5:1 hazard delete-without-where users",
                "0002_x.sql:6:1 hazard delete-without-where users",
                "0002_x.sql:7:1 hazard update-without-where users",
                "0002_x.sql:8:1 hazard update-without-where users",
            ],
        );
    }
}

// ---- what the hazards carry -------------------------------------------------------------

#[test]
fn opaque_hazards_carry_no_empty_table_and_say_what_is_unseen() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
CREATE TABLE users (id int);
-- file: 0002_x.sql
DO $$ BEGIN DELETE FROM users; END $$;
SELECT archive_orders();
DELETE FROM users WHERE 1 = 1;
",
    );
    let do_block = &hazards_of(&results, 1, 0)[0];
    assert_eq!(do_block.code.as_str(), "opaque-data-change");
    assert!(do_block.is_data_loss());
    assert_eq!(
        do_block.code.default_level(),
        crate::diagnostic::Level::Deny
    );
    assert_eq!(
        do_block.object,
        Object::new(ObjectKind::Table, None, "<do block>")
    );
    assert_eq!(do_block.empty_table, None);
    assert!(
        do_block.message.contains("`delete`"),
        "{}",
        do_block.message
    );
    assert!(
        do_block.message.contains("cannot see"),
        "{}",
        do_block.message
    );
    let call = &hazards_of(&results, 1, 1)[0];
    assert_eq!(call.empty_table, None);
    assert!(
        call.message.contains("`archive_orders`"),
        "{}",
        call.message
    );
    assert!(call.message.contains("cannot see"), "{}", call.message);
    let always = &hazards_of(&results, 1, 2)[0];
    let users = Object::new(ObjectKind::Table, None, "users");
    assert_eq!(always.code, Code::DeleteWithoutWhere);
    assert_eq!(always.empty_table, Some(users));
    assert!(always.message.contains("always true"), "{}", always.message);
}

#[test]
fn opaque_statements_still_make_names_uncertain() {
    let results = replay(
        Postgres,
        &[],
        "
-- file: 0001_init.sql
DO $$ BEGIN EXECUTE 'CREATE TABLE audit_log (id int)'; DELETE FROM ghosts; END $$;
-- file: 0002_x.sql
ALTER TABLE audit_log ADD COLUMN at timestamptz;
ALTER TABLE ghosts ADD COLUMN at timestamptz;
",
    );
    assert!(results[0].2.statements[0].opaque);
    // `audit_log` is visibly created; `ghosts` is only named, so it is uncertain.
    assert_eq!(
        render(&results),
        [
            "0001_init.sql:1:1 hazard opaque-data-change <do block>",
            "0002_x.sql:2:13 warning missing-table table `ghosts` does not exist",
        ]
    );
}

#[test]
fn a_statement_too_deep_to_parse_that_deletes_is_still_a_hazard() {
    let chain = vec!["1"; 5000].join(" + ");
    let sql = format!(
        "-- file: 0001_init.sql\nCREATE TABLE t (id int);\n-- file: 0002_x.sql\n\
         UPDATE t SET id = {chain};\nDELETE FROM t WHERE id = {chain};\n"
    );
    for dialect in [Postgres, Mysql, Sqlite] {
        let results = replay(dialect, &[], &sql);
        let codes: Vec<&str> = results[1]
            .2
            .statements
            .iter()
            .flat_map(|s| &s.hazards)
            .map(|h| h.code.as_str())
            .collect();
        assert_eq!(
            codes,
            ["opaque-data-change", "opaque-data-change"],
            "{dialect:?}"
        );
    }
}

#[test]
fn postgres_and_mysql_triggers_fired_by_the_migration() {
    check(
        Postgres,
        "
-- file: 0001_init.sql
CREATE TABLE t (id int, updated_at timestamp);
CREATE TABLE other (id int);
CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM other; RETURN NEW; END $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER t_wipe AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION wipe();
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE PROCEDURE touch();
-- file: 0002_x.sql
INSERT INTO t VALUES (1, now());
UPDATE t SET id = 2 WHERE id = 1;
",
        &["0002_x.sql:1:1 hazard opaque-data-change <trigger t_wipe>"],
    );
    check(
        Mysql,
        "
-- file: 0001_init.sql
CREATE TABLE t (id int, updated_at datetime);
CREATE TABLE other (id int);
CREATE TRIGGER t_wipe AFTER INSERT ON t FOR EACH ROW DELETE FROM other;
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW SET NEW.updated_at = NOW();
-- file: 0002_x.sql
INSERT INTO t VALUES (1, NOW());
UPDATE t SET id = 2 WHERE id = 1;
",
        &["0002_x.sql:1:1 hazard opaque-data-change <trigger t_wipe>"],
    );
}
