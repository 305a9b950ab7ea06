//! `Migrator::introspect` against real databases: a small but rich schema made with plain SQL,
//! read back into the drift model and checked field by field.
//!
//! Round trips of one introspection (see runtime/src/drift/introspect.rs): PostgreSQL 5 queries
//! (relations, columns, constraints, indexes, enums; the transaction's BEGIN and COMMIT ride
//! along with the first and the last), MySQL/MariaDB 5 (server and database, tables, columns,
//! foreign keys and checks, index columns), SQLite 4 (objects, columns, foreign keys, index
//! columns). None depends on the number of tables.

use std::str::FromStr;

use driftless::drift::{
    Action, Column, Constraint, ConstraintKind, Fact, Identity, Index, IndexPart, Name, Schema,
    Table,
};
use sqlx::postgres::{PgConnectOptions, PgPool};

use crate::common::*;

/// A trivial migration, so that the history table exists and must be left out.
const SEED: &str = "CREATE TABLE seed (id INTEGER PRIMARY KEY);\n";

fn name(schema: Option<&str>, name: &str) -> Name {
    Name::new(schema, name)
}

fn col(key: &str, ty: &str, nullable: bool, default: Option<&str>, identity: Identity) -> Column {
    Column {
        key: key.to_owned(),
        name: key.to_owned(),
        ty: Fact::Known(ty.to_owned()),
        nullable: Fact::Known(nullable),
        default: Fact::Known(default.map(str::to_owned)),
        identity: Fact::Known(identity),
        origin: None,
    }
}

/// A generated column: its default is the generation expression, which the model leaves out.
fn generated(key: &str, ty: &str, nullable: bool) -> Column {
    Column {
        default: Fact::Unknown,
        ..col(key, ty, nullable, None, Identity::None)
    }
}

/// The same column spelled `name` (its key stays lowercase).
fn spelled(column: Column, name: &str) -> Column {
    Column {
        name: name.to_owned(),
        ..column
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn constraint(name: Option<&str>, kind: ConstraintKind, columns: &[&str]) -> Constraint {
    Constraint {
        name: name.map(str::to_owned),
        kind,
        columns: strings(columns),
        origin: None,
    }
}

fn pk(name: Option<&str>, columns: &[&str]) -> Constraint {
    constraint(name, ConstraintKind::PrimaryKey, columns)
}

fn uq(name: Option<&str>, columns: &[&str]) -> Constraint {
    constraint(name, ConstraintKind::Unique, columns)
}

fn fk(name: Option<&str>, columns: &[&str], table: Name, to: &[&str]) -> Constraint {
    let kind = ConstraintKind::ForeignKey {
        table,
        columns: strings(to),
        on_delete: Action::NoAction,
        on_update: Action::NoAction,
    };
    constraint(name, kind, columns)
}

/// [`fk`] with `ON DELETE CASCADE`.
fn fk_cascade(name: Option<&str>, columns: &[&str], table: Name, to: &[&str]) -> Constraint {
    let mut key = fk(name, columns, table, to);
    if let ConstraintKind::ForeignKey { on_delete, .. } = &mut key.kind {
        *on_delete = Action::Cascade;
    }
    key
}

fn check(name: &str, expression: &str) -> Constraint {
    constraint(
        Some(name),
        ConstraintKind::Check(Some(expression.to_owned())),
        &[],
    )
}

fn index(
    name: &str,
    unique: bool,
    parts: Fact<Vec<IndexPart>>,
    predicate: Fact<Option<&str>>,
) -> Index {
    Index {
        name: name.to_owned(),
        key: name.to_lowercase(),
        unique,
        parts,
        predicate: match predicate {
            Fact::Known(p) => Fact::Known(p.map(str::to_owned)),
            Fact::Unknown => Fact::Unknown,
        },
        origin: None,
    }
}

fn column(key: &str) -> IndexPart {
    IndexPart::Column(key.to_owned())
}

fn expression(text: &str) -> IndexPart {
    IndexPart::Expression(text.to_owned())
}

fn table<'a>(schema: &'a Schema, key: &Name) -> &'a Table {
    let table = schema
        .tables
        .get(key)
        .unwrap_or_else(|| panic!("no table {key}: {:#?}", schema.tables.keys()));
    assert_eq!(&table.name, key);
    assert!(table.columns_known, "{key}");
    assert_eq!(table.origin, None, "{key}");
    table
}

fn keys<K: ToString, V>(map: &std::collections::BTreeMap<K, V>) -> Vec<String> {
    map.keys().map(ToString::to_string).collect()
}

/// Runs the trivial migration (creating the history table, in `history_schema` when given).
async fn migrate_seed(db: &TestDb, history_schema: Option<&str>) {
    let dir = folder(db.kind, &[("0001_seed.sql", SEED)], true);
    let m = load(&dir);
    db.pool.run(introspector(&m, history_schema)).await.unwrap();
}

/// The migrator of the seed folder, with the history table in `history_schema` when given.
fn introspector<'a>(
    m: &'a driftless::Migrations,
    history_schema: Option<&str>,
) -> driftless::Migrator<'a> {
    match history_schema {
        Some(schema) => m.migrator().schema(schema),
        None => m.migrator(),
    }
}

/// Introspects with the migrator of the seed folder.
async fn introspect(db: &TestDb, history_schema: Option<&str>) -> Schema {
    let dir = folder(db.kind, &[("0001_seed.sql", SEED)], true);
    let m = load(&dir);
    db.pool
        .introspect(introspector(&m, history_schema))
        .await
        .unwrap()
}

// ---- PostgreSQL ------------------------------------------------------------------------------

const PG_SCHEMA: &str = "
CREATE SCHEMA IF NOT EXISTS other;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE other.level AS ENUM ('low', 'high');
CREATE SEQUENCE standalone_seq;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email varchar(255) NOT NULL UNIQUE,
  name text DEFAULT 'anon',
  created_at timestamptz NOT NULL DEFAULT now(),
  feeling mood DEFAULT 'ok',
  score numeric(10,2) DEFAULT 0,
  ticket bigint DEFAULT nextval('standalone_seq'),
  CONSTRAINT users_name_len CHECK (char_length(name) < 100)
);
CREATE TABLE orgs (
  id bigint GENERATED ALWAYS AS IDENTITY,
  region int GENERATED BY DEFAULT AS IDENTITY,
  code text NOT NULL,
  lvl other.level,
  PRIMARY KEY (id),
  CONSTRAINT orgs_code_region UNIQUE (code, region)
);
CREATE TABLE members (
  user_id int NOT NULL REFERENCES users,
  org_code text NOT NULL,
  org_region int NOT NULL,
  total int GENERATED ALWAYS AS (user_id * 2) STORED,
  CHECK (org_region > 0),
  CONSTRAINT members_org_fk FOREIGN KEY (org_code, org_region)
    REFERENCES orgs (code, region) ON DELETE CASCADE,
  PRIMARY KEY (user_id, org_code)
);
CREATE INDEX users_lower_email ON users (lower(email));
CREATE UNIQUE INDEX users_active_name ON users (name, id) WHERE score > 0;
CREATE INDEX members_mixed ON members (org_region, lower(org_code)) INCLUDE (total);
CREATE VIEW active_users AS SELECT id FROM users WHERE score > 0;
CREATE MATERIALIZED VIEW user_count AS SELECT count(*) FROM users;
CREATE TABLE other.things (
  id bigserial PRIMARY KEY,
  user_id int REFERENCES public.users (id),
  \"Mixed Case\" int
);
CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at ON events (at);
CREATE TABLE ranges (r int4range, EXCLUDE USING gist (r WITH &&));
";

/// Creates the PostgreSQL schema, an extension's objects when the server has one, and the
/// history table in `other`.
async fn pg_setup(db: &TestDb) {
    // The history first: the runtime refuses a database with tables but no history.
    migrate_seed(db, Some("other")).await;
    db.pool.exec(PG_SCHEMA).await;
    let available = db
        .pool
        .int("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_stat_statements'")
        .await;
    if available > 0 {
        // Its views (`pg_stat_statements`, `pg_stat_statements_info`) land in `public`.
        db.pool
            .exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .await;
    }
}

fn pg_assert(schema: &Schema) {
    let public = |n: &str| name(None, n);
    assert_eq!(
        keys(&schema.tables),
        [
            "events",
            "members",
            "orgs",
            "ranges",
            "seed",
            "users",
            "other.things"
        ]
        .map(str::to_owned),
        "partitions, the history table (other._driftless_migrations) and extension objects \
         are left out; the current schema is `None`"
    );
    assert_eq!(keys(&schema.views), ["active_users", "user_count"]);
    assert!(!schema.views[&public("active_users")].materialized);
    assert!(schema.views[&public("user_count")].materialized);
    assert_eq!(schema.views[&public("user_count")].origin, None);
    assert_eq!(
        keys(&schema.sequences),
        ["standalone_seq"],
        "owned ones are left out"
    );
    assert_eq!(keys(&schema.enums), ["mood", "other.level"]);
    assert_eq!(
        schema.enums[&public("mood")].values,
        Fact::Known(strings(&["sad", "ok", "happy"]))
    );
    assert_eq!(
        schema.enums[&name(Some("other"), "level")].values,
        Fact::Known(strings(&["low", "high"]))
    );
    assert!(schema.uncertain.is_empty() && schema.externs.is_empty());

    let users = table(schema, &public("users"));
    assert_eq!(
        users.columns,
        [
            col("id", "integer", false, None, Identity::Serial),
            col(
                "email",
                "character varying(255)",
                false,
                None,
                Identity::None
            ),
            col("name", "text", true, Some("'anon'::text"), Identity::None),
            col(
                "created_at",
                "timestamp with time zone",
                false,
                Some("now()"),
                Identity::None
            ),
            col("feeling", "mood", true, Some("'ok'::mood"), Identity::None),
            col("score", "numeric(10,2)", true, Some("0"), Identity::None),
            col(
                "ticket",
                "bigint",
                true,
                Some("nextval('standalone_seq'::regclass)"),
                Identity::None
            ),
        ]
    );
    assert_eq!(
        users.constraints,
        [
            uq(Some("users_email_key"), &["email"]),
            check("users_name_len", "CHECK ((char_length(name) < 100))"),
            pk(Some("users_pkey"), &["id"]),
        ]
    );
    assert_eq!(
        users.indexes,
        [
            index(
                "users_active_name",
                true,
                Fact::Known(vec![column("name"), column("id")]),
                Fact::Known(Some("(score > (0)::numeric)"))
            ),
            index(
                "users_lower_email",
                false,
                Fact::Known(vec![expression("lower(email::text)")]),
                Fact::Known(None)
            ),
        ]
    );

    let orgs = table(schema, &public("orgs"));
    assert_eq!(
        orgs.columns,
        [
            col("id", "bigint", false, None, Identity::Always),
            col("region", "integer", false, None, Identity::ByDefault),
            col("code", "text", false, None, Identity::None),
            col("lvl", "other.level", true, None, Identity::None),
        ]
    );
    assert_eq!(
        orgs.constraints,
        [
            uq(Some("orgs_code_region"), &["code", "region"]),
            pk(Some("orgs_pkey"), &["id"]),
        ]
    );
    assert!(orgs.indexes.is_empty(), "{:?}", orgs.indexes);

    let members = table(schema, &public("members"));
    assert_eq!(
        members.columns,
        [
            col("user_id", "integer", false, None, Identity::None),
            col("org_code", "text", false, None, Identity::None),
            col("org_region", "integer", false, None, Identity::None),
            generated("total", "integer", true),
        ]
    );
    assert_eq!(
        members.constraints,
        [
            fk_cascade(
                Some("members_org_fk"),
                &["org_code", "org_region"],
                public("orgs"),
                &["code", "region"]
            ),
            check("members_org_region_check", "CHECK ((org_region > 0))"),
            pk(Some("members_pkey"), &["user_id", "org_code"]),
            fk(
                Some("members_user_id_fkey"),
                &["user_id"],
                public("users"),
                &["id"]
            ),
        ]
    );
    assert_eq!(
        members.indexes,
        [index(
            "members_mixed",
            false,
            Fact::Known(vec![column("org_region"), expression("lower(org_code)")]),
            Fact::Known(None)
        )],
        "INCLUDE columns are not key parts"
    );

    let things = table(schema, &name(Some("other"), "things"));
    assert_eq!(
        things.columns,
        [
            col("id", "bigint", false, None, Identity::Serial),
            col("user_id", "integer", true, None, Identity::None),
            col("Mixed Case", "integer", true, None, Identity::None),
        ]
    );
    assert_eq!(
        things.constraints,
        [
            pk(Some("things_pkey"), &["id"]),
            fk(
                Some("things_user_id_fkey"),
                &["user_id"],
                public("users"),
                &["id"]
            ),
        ]
    );

    let events = table(schema, &public("events"));
    assert_eq!(events.columns.len(), 2);
    assert_eq!(
        events.indexes,
        [index(
            "events_at",
            false,
            Fact::Known(vec![column("at")]),
            Fact::Known(None)
        )]
    );
    let ranges = table(schema, &public("ranges"));
    assert!(
        ranges.constraints.is_empty() && ranges.indexes.is_empty(),
        "an exclusion constraint and its index are left out: {ranges:?}"
    );
    let seed = table(schema, &public("seed"));
    assert_eq!(
        seed.columns,
        [col("id", "integer", false, None, Identity::None)]
    );
    assert_eq!(seed.constraints, [pk(Some("seed_pkey"), &["id"])]);
}

#[tokio::test]
async fn introspect_postgres() {
    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    pg_setup(&db).await;
    let schema = introspect(&db, Some("other")).await;
    pg_assert(&schema);
    // Without the migrator's schema, the history table is looked for in the current schema:
    // `other._driftless_migrations` is then a user table like any other.
    let unpinned = introspect(&db, None).await;
    assert!(
        unpinned
            .tables
            .contains_key(&name(Some("other"), "_driftless_migrations"))
    );
    db.drop_db().await;
}

/// A role that may log in and nothing more (no grant beyond PUBLIC's defaults, every
/// transaction read-only) reads the same model as the owner.
#[tokio::test]
async fn introspect_postgres_read_only_role() {
    let Some(db) = TestDb::new(Kind::Postgres).await else {
        return;
    };
    pg_setup(&db).await;
    let owner = introspect(&db, Some("other")).await;
    let role = unique("drift_ro");
    db.pool
        .exec(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'drift_ro'; \
             ALTER ROLE {role} SET default_transaction_read_only = on"
        ))
        .await;
    let options = PgConnectOptions::from_str(&db.url)
        .unwrap()
        .username(&role)
        .password("drift_ro");
    let pool = PgPool::connect_with(options).await.unwrap();
    // The role can read no table, and write nothing.
    let denied = sqlx::raw_sql("SELECT * FROM users").execute(&pool).await;
    assert!(denied.is_err(), "the role should not read user tables");
    let dir = folder(Kind::Postgres, &[("0001_seed.sql", SEED)], true);
    let m = load(&dir);
    let read = m.migrator().schema("other").introspect(&pool).await;
    pool.close().await;
    db.pool.exec(&format!("DROP ROLE {role}")).await;
    let read = read.unwrap();
    assert_eq!(read, owner);
    pg_assert(&read);
    db.drop_db().await;
}

// ---- MySQL and MariaDB -----------------------------------------------------------------------

const MY_SCHEMA: &str = "
CREATE TABLE users (
  id INT AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(255) NOT NULL UNIQUE,
  Name VARCHAR(100) DEFAULT 'anon',
  nick VARCHAR(20) DEFAULT NULL,
  note TEXT,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  score DECIMAL(10,2) NOT NULL DEFAULT 0,
  ratio DOUBLE DEFAULT (1 + 1),
  data JSON,
  kind ENUM('a','b') NOT NULL DEFAULT 'a',
  doubled DECIMAL(12,2) AS (score * 2) STORED,
  CONSTRAINT users_score_positive CHECK (score >= 0),
  CONSTRAINT users_email_length CHECK (char_length(email) > 3)
);
CREATE TABLE orgs (
  code VARCHAR(20) NOT NULL,
  region INT NOT NULL,
  PRIMARY KEY (code, region)
);
CREATE TABLE Members (
  user_id INT NOT NULL,
  org_code VARCHAR(20) NOT NULL,
  org_region INT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT members_org_fk FOREIGN KEY (org_code, org_region) REFERENCES orgs (code, region)
    ON DELETE CASCADE,
  CONSTRAINT members_uq UNIQUE (user_id, org_code)
);
CREATE TABLE tags (id INT NOT NULL, user_id INT, FOREIGN KEY (user_id) REFERENCES users (id));
CREATE INDEX users_name_prefix ON users (Name(10), created_at);
CREATE UNIQUE INDEX users_nick ON users (nick);
CREATE INDEX Members_Region ON Members (org_region);
CREATE VIEW active_users AS SELECT id FROM users WHERE score > 0;
";

#[tokio::test]
async fn introspect_mysql() {
    let Some(db) = TestDb::new(Kind::Mysql).await else {
        return;
    };
    migrate_seed(&db, None).await;
    db.pool.exec(MY_SCHEMA).await;
    let version = db.pool.text("SELECT VERSION()").await.unwrap();
    let mariadb = version.to_lowercase().contains("mariadb");
    if mariadb {
        db.pool.exec("CREATE SEQUENCE counter").await;
    }
    let schema = introspect(&db, None).await;
    let t = |n: &str| name(None, n);

    assert_eq!(
        keys(&schema.tables),
        ["members", "orgs", "seed", "tags", "users"],
        "keys are lowercase; the history table is left out"
    );
    assert_eq!(keys(&schema.views), ["active_users"]);
    assert!(!schema.views[&t("active_users")].materialized);
    assert!(schema.enums.is_empty());
    if mariadb {
        assert_eq!(keys(&schema.sequences), ["counter"]);
    }

    let users = table(&schema, &t("users"));
    // The spellings are the catalog's: MariaDB's here (MySQL 8 writes `int`, unquoted string
    // defaults, and keeps `json`).
    if mariadb {
        assert_eq!(
            users.columns,
            [
                col("id", "int(11)", false, None, Identity::AutoIncrement),
                col("email", "varchar(255)", false, None, Identity::None),
                spelled(
                    col("name", "varchar(100)", true, Some("'anon'"), Identity::None),
                    "Name"
                ),
                col("nick", "varchar(20)", true, None, Identity::None),
                col("note", "text", true, None, Identity::None),
                col(
                    "created_at",
                    "timestamp",
                    false,
                    Some("current_timestamp()"),
                    Identity::None
                ),
                col(
                    "score",
                    "decimal(10,2)",
                    false,
                    Some("0.00"),
                    Identity::None
                ),
                col("ratio", "double", true, Some("(1 + 1)"), Identity::None),
                col("data", "longtext", true, None, Identity::None),
                col("kind", "enum('a','b')", false, Some("'a'"), Identity::None),
                generated("doubled", "decimal(12,2)", true),
            ]
        );
    } else {
        let keys: Vec<&str> = users.columns.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "id",
                "email",
                "name",
                "nick",
                "note",
                "created_at",
                "score",
                "ratio",
                "data",
                "kind",
                "doubled"
            ]
        );
        assert_eq!(users.columns[2].name, "Name");
        assert_eq!(
            users.columns[0].identity,
            Fact::Known(Identity::AutoIncrement)
        );
        assert_eq!(users.columns[3].default, Fact::Known(None));
        assert_eq!(users.columns[10].default, Fact::Unknown);
    }
    // MariaDB's own `CHECK (json_valid(`data`))` on the JSON column is left out.
    let checks: Vec<&Constraint> = users
        .constraints
        .iter()
        .filter(|c| matches!(c.kind, ConstraintKind::Check(_)))
        .collect();
    let check_names: Vec<_> = checks.iter().map(|c| c.name.as_deref().unwrap()).collect();
    assert_eq!(check_names, ["users_email_length", "users_score_positive"]);
    if mariadb {
        assert_eq!(
            checks,
            [
                &check("users_email_length", "char_length(`email`) > 3"),
                &check("users_score_positive", "`score` >= 0"),
            ]
        );
    }
    let keyed: Vec<&Constraint> = users
        .constraints
        .iter()
        .filter(|c| !matches!(c.kind, ConstraintKind::Check(_)))
        .collect();
    assert_eq!(
        keyed,
        [
            &pk(Some("PRIMARY"), &["id"]),
            &uq(Some("email"), &["email"]),
            &uq(Some("users_nick"), &["nick"]),
        ],
        "a unique index is a unique constraint, once"
    );
    assert_eq!(
        users.indexes,
        [index(
            "users_name_prefix",
            false,
            Fact::Known(vec![expression("name(10)"), column("created_at")]),
            Fact::Known(None)
        )]
    );

    let members = table(&schema, &t("members"));
    assert_eq!(
        members.columns,
        [
            col("user_id", "int(11)", false, None, Identity::None),
            col("org_code", "varchar(20)", false, None, Identity::None),
            col("org_region", "int(11)", false, None, Identity::None),
        ]
        .map(|mut c| {
            if !mariadb {
                c.ty = Fact::Known(c.ty.known().unwrap().replace("(11)", ""));
            }
            c
        })
    );
    assert_eq!(
        members.constraints,
        [
            uq(Some("members_uq"), &["user_id", "org_code"]),
            // Generated from the table's name as spelled.
            fk(Some("Members_ibfk_1"), &["user_id"], t("users"), &["id"]),
            fk_cascade(
                Some("members_org_fk"),
                &["org_code", "org_region"],
                t("orgs"),
                &["code", "region"]
            ),
        ]
    );
    // InnoDB's own index for `members_org_fk` backs the constraint and is left out.
    assert_eq!(
        members.indexes,
        [index(
            "Members_Region",
            false,
            Fact::Known(vec![column("org_region")]),
            Fact::Known(None)
        )]
    );
    let orgs = table(&schema, &t("orgs"));
    assert_eq!(orgs.constraints, [pk(Some("PRIMARY"), &["code", "region"])]);
    let tags = table(&schema, &t("tags"));
    assert_eq!(
        tags.constraints,
        [fk(Some("tags_ibfk_1"), &["user_id"], t("users"), &["id"])]
    );
    assert!(
        tags.indexes.is_empty(),
        "the index InnoDB made for the unnamed foreign key: {:?}",
        tags.indexes
    );
    db.drop_db().await;
}

// ---- SQLite ----------------------------------------------------------------------------------

const LITE_SCHEMA: &str = "
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  Name VARCHAR(100) DEFAULT 'anon',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  score REAL DEFAULT (1.5 * 2),
  amount NUMERIC DEFAULT (CAST('1.5' AS NUMERIC)),
  doubled INTEGER GENERATED ALWAYS AS (score * 2) STORED,
  CONSTRAINT users_score CHECK (score >= 0)
);
CREATE TABLE orgs (
  code TEXT NOT NULL,
  region INT NOT NULL,
  PRIMARY KEY (region, code),
  CONSTRAINT orgs_uq UNIQUE (code, region)
);
CREATE TABLE Members (
  user_id INTEGER NOT NULL REFERENCES users,
  org_code TEXT NOT NULL,
  org_region INT NOT NULL,
  FOREIGN KEY (org_code, org_region) REFERENCES orgs (code, region) ON DELETE CASCADE,
  CONSTRAINT m_user FOREIGN KEY (user_id) REFERENCES Users (ID)
);
CREATE TABLE plain (id INTEGER PRIMARY KEY, v);
CREATE INDEX users_lower_email ON users (lower(email));
CREATE UNIQUE INDEX Users_Active ON users (Name, id) WHERE score > 0;
CREATE INDEX members_org ON Members (org_code DESC, org_region);
CREATE VIEW active_users AS SELECT id FROM users WHERE score > 0;
";

#[tokio::test]
async fn introspect_sqlite() {
    let Some(db) = TestDb::new(Kind::Sqlite).await else {
        return;
    };
    migrate_seed(&db, None).await;
    db.pool.exec(LITE_SCHEMA).await;
    db.pool
        .exec("INSERT INTO users (email) VALUES ('a@example.com')")
        .await;
    let schema = introspect(&db, None).await;
    let t = |n: &str| name(None, n);

    assert_eq!(
        keys(&schema.tables),
        ["members", "orgs", "plain", "seed", "users"],
        "sqlite_sequence and the history table are left out"
    );
    assert_eq!(keys(&schema.views), ["active_users"]);
    assert!(schema.enums.is_empty() && schema.sequences.is_empty());

    let users = table(&schema, &t("users"));
    assert_eq!(
        users.columns,
        [
            // SQLite reports NOT NULL only where it was written.
            col("id", "INTEGER", true, None, Identity::AutoIncrement),
            col("email", "TEXT", false, None, Identity::None),
            spelled(
                col("name", "VARCHAR(100)", true, Some("'anon'"), Identity::None),
                "Name"
            ),
            col(
                "created_at",
                "TEXT",
                false,
                Some("CURRENT_TIMESTAMP"),
                Identity::None
            ),
            col("score", "REAL", true, Some("1.5 * 2"), Identity::None),
            col(
                "amount",
                "NUMERIC",
                true,
                Some("CAST('1.5' AS NUMERIC)"),
                Identity::None
            ),
            generated("doubled", "INTEGER", true),
        ]
    );
    // SQLite keeps no constraint names; checks come from the stored CREATE TABLE.
    assert_eq!(
        users.constraints,
        [
            pk(None, &["id"]),
            uq(None, &["email"]),
            Constraint {
                name: None,
                kind: ConstraintKind::Check(Some("score >= 0".to_owned())),
                columns: vec![],
                origin: None,
            }
        ]
    );
    assert_eq!(
        users.indexes,
        [
            index(
                "Users_Active",
                true,
                Fact::Known(vec![column("name"), column("id")]),
                Fact::Known(Some("score > 0"))
            ),
            // The expression and the predicate come from the stored CREATE INDEX.
            index(
                "users_lower_email",
                false,
                Fact::Known(vec![IndexPart::Expression("lower(email)".to_owned())]),
                Fact::Known(None)
            ),
        ]
    );

    let orgs = table(&schema, &t("orgs"));
    assert_eq!(
        orgs.constraints,
        [pk(None, &["region", "code"]), uq(None, &["code", "region"]),],
        "the primary key in key order, not column order"
    );
    let members = table(&schema, &t("members"));
    assert_eq!(
        members.constraints,
        [
            fk(None, &["user_id"], t("users"), &[]),
            fk_cascade(
                None,
                &["org_code", "org_region"],
                t("orgs"),
                &["code", "region"]
            ),
            fk(None, &["user_id"], t("users"), &["id"]),
        ],
        "in declaration order; no target columns means the target's primary key"
    );
    assert_eq!(
        members.indexes,
        [index(
            "members_org",
            false,
            Fact::Known(vec![column("org_code"), column("org_region")]),
            Fact::Known(None)
        )]
    );
    let plain = table(&schema, &t("plain"));
    assert_eq!(
        plain.columns,
        [
            col("id", "INTEGER", true, None, Identity::None),
            col("v", "", true, None, Identity::None),
        ],
        "a rowid alias without AUTOINCREMENT numbers itself, but is no identity"
    );
    assert_eq!(plain.constraints, [pk(None, &["id"])]);
    db.drop_db().await;
}
