//! Reading a live database's schema into the drift model: catalog `SELECT`s only, so a read-only
//! role can run it, and one query per kind of object for the whole database, never one per
//! table.
//!
//! Round trips, after the connection is taken from the pool:
//! - PostgreSQL: 5 queries (relations, columns, constraints, indexes, enum and composite
//!   types), in one
//!   `REPEATABLE READ, READ ONLY` transaction whose `BEGIN` and `COMMIT` ride along with the
//!   first and the last query, so the five see one snapshot of the catalogs. (`Db::open` also
//!   sets `client_connection_check_interval`, one more round trip.)
//! - MySQL/MariaDB: 5 queries (server and database, tables and views, columns, foreign keys and
//!   checks, index columns).
//! - SQLite: 4 queries (objects, columns, foreign keys, index columns) in one read transaction.
//!
//! Every column is cast to text in SQL and read back as `Option<String>` ([`Conn::rows`]).

use std::collections::BTreeMap;

use driftless_core::drift::{
    Action, Column, Composite, Constraint, ConstraintKind, Enum, Fact, Identity, Index, IndexPart,
    Name, Schema, Sequence, Table, View,
};

use crate::backend::{Conn, Pool, Sql};
use crate::error::{Error, ErrorKind};
use crate::migrations::Dialect;
use crate::migrator::Migrator;

impl Migrator<'_> {
    /// Reads the schema of the database behind `pool`: tables with their columns, constraints
    /// and indexes, views, PostgreSQL enums, and sequences no column owns. Read-only: it sends
    /// catalog `SELECT`s only, in a handful of round trips, and works as a role that may only
    /// read the catalogs.
    ///
    /// It reads every user schema of PostgreSQL (the current schema is `schema: None`), the
    /// current database of MySQL and MariaDB, and SQLite's `main`. It leaves out the history
    /// table (this migrator's [`table`](Migrator::table) and [`schema`](Migrator::schema)),
    /// PostgreSQL objects that belong to an extension, and partitions. Names are the engine's
    /// comparison keys; types and defaults are spelled as the catalog spells them.
    pub async fn introspect<P: Pool>(self, pool: &P) -> Result<Schema, Error> {
        let db = pool.__db();
        self.preflight(&db)?;
        let sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout_value()).await?;
        let schema = read(&mut conn, &sql).await;
        // Closes the PostgreSQL and MySQL connection; rolls SQLite's read transaction back if a
        // query failed inside it.
        conn.finish().await;
        schema
    }
}

/// Reads the schema on an open connection.
pub(crate) async fn read(conn: &mut Conn, sql: &Sql) -> Result<Schema, Error> {
    match sql.dialect {
        Dialect::Postgres => postgres(conn, sql).await,
        Dialect::Mysql => mysql(conn, sql).await,
        Dialect::Sqlite => sqlite(conn, sql).await,
    }
}

/// One row of text columns.
type Row = Vec<Option<String>>;

async fn query(conn: &mut Conn, what: &str, sql: String) -> Result<Vec<Row>, Error> {
    conn.rows(sql)
        .await
        .map_err(|e| Error::database(&format!("cannot read the schema ({what})"), e))
}

fn get(row: &Row, i: usize) -> Option<&str> {
    row.get(i).and_then(|v| v.as_deref())
}

fn text(row: &Row, i: usize) -> String {
    get(row, i).unwrap_or_default().to_owned()
}

fn lower(row: &Row, i: usize) -> String {
    text(row, i).to_lowercase()
}

fn flag(row: &Row, i: usize) -> bool {
    matches!(get(row, i), Some("t" | "1" | "true"))
}

/// Consecutive rows with the same key.
fn groups<K: PartialEq>(rows: &[Row], key: impl Fn(&Row) -> K) -> Vec<(K, Vec<&Row>)> {
    let mut out: Vec<(K, Vec<&Row>)> = Vec::new();
    for row in rows {
        let k = key(row);
        match out.last_mut() {
            Some((last, members)) if *last == k => members.push(row),
            _ => out.push((k, vec![row])),
        }
    }
    out
}

/// A foreign key's action as PostgreSQL's catalog codes it (`confdeltype`, `confupdtype`).
fn pg_action(code: Option<&str>) -> Action {
    match code {
        Some("r") => Action::Restrict,
        Some("c") => Action::Cascade,
        Some("n") => Action::SetNull,
        Some("d") => Action::SetDefault,
        _ => Action::NoAction,
    }
}

/// [`words_action`] for MySQL, where `RESTRICT` is `NO ACTION`.
fn mysql_action(words: Option<&str>) -> Action {
    match words_action(words) {
        Action::Restrict => Action::NoAction,
        action => action,
    }
}

/// A foreign key's action as MySQL's `REFERENTIAL_CONSTRAINTS` and SQLite's
/// `pragma_foreign_key_list` spell it (`CASCADE`, `SET NULL`, …).
fn words_action(words: Option<&str>) -> Action {
    words.and_then(Action::from_sql).unwrap_or_default()
}

/// A view's query as the catalog prints it, without surrounding blanks and a final `;`.
fn view_query(text: &str) -> String {
    text.trim().trim_end_matches(';').trim_end().to_owned()
}

fn new_table(name: Name) -> Table {
    Table {
        name,
        columns: Vec::new(),
        columns_known: true,
        keys_known: true,
        constraints: Vec::new(),
        indexes: Vec::new(),
        origin: None,
    }
}

// ---- PostgreSQL ------------------------------------------------------------------------------

/// The key of a schema column: `NULL` for the current schema.
fn pg_schema(column: &str) -> String {
    format!("CASE WHEN {column} = current_schema() THEN NULL ELSE {column}::text END")
}

/// The name of the first two columns (schema key, relation name).
fn pg_name(row: &Row) -> Name {
    Name {
        schema: get(row, 0).map(str::to_owned),
        name: text(row, 1),
    }
}

async fn postgres(conn: &mut Conn, sql: &Sql) -> Result<Schema, Error> {
    let user_schema =
        "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'";
    let not_extension = |class: &str, oid: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x \
             WHERE x.classid = 'pg_catalog.{class}'::regclass AND x.objid = {oid} \
             AND x.deptype = 'e')"
        )
    };
    let history_schema = sql
        .schema
        .as_deref()
        .map_or_else(|| "current_schema()".to_owned(), |s| sql.literal(s));
    // A user relation of `c` in `n`, other than the history table.
    let relation = format!(
        "{user_schema} AND {} AND NOT (c.relname = {} AND n.nspname IS NOT DISTINCT FROM \
         {history_schema})",
        not_extension("pg_class", "c.oid"),
        sql.literal(&sql.table_name),
    );
    // A user table (partitions are their parent's business).
    let table = format!("c.relkind IN ('r', 'p') AND NOT c.relispartition AND {relation}");
    let namespace = "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace";
    let ns = pg_schema("n.nspname");

    let relations = query(
        conn,
        "relations",
        format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
             SELECT {ns}, c.relname::text, c.relkind::text, \
             CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid, true) END \
             FROM pg_catalog.pg_class c {namespace} \
             WHERE {relation} AND (c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition \
             OR c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
             WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid \
             AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i'))) \
             ORDER BY n.nspname, c.relname"
        ),
    )
    .await?;
    let columns = query(
        conn,
        "columns",
        format!(
            "SELECT {ns}, c.relname::text, a.attname::text, \
             pg_catalog.format_type(a.atttypid, a.atttypmod), \
             CASE WHEN a.attnotnull THEN 't' ELSE 'f' END, \
             e.def, a.attidentity::text, a.attgenerated::text, \
             CASE WHEN e.def = o.serial THEN 't' ELSE 'f' END \
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             {namespace} \
             LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
             LEFT JOIN LATERAL (SELECT pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS def) e \
             ON true \
             LEFT JOIN (SELECT d.refobjid, d.refobjsubid, 'nextval(' || \
             pg_catalog.quote_literal(min(s.oid::pg_catalog.regclass::text)) || '::regclass)' \
             AS serial FROM pg_catalog.pg_depend d \
             JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S' \
             WHERE d.classid = 'pg_catalog.pg_class'::regclass \
             AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'a' \
             GROUP BY d.refobjid, d.refobjsubid) o \
             ON o.refobjid = a.attrelid AND o.refobjsubid = a.attnum \
             WHERE {table} AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY n.nspname, c.relname, a.attnum"
        ),
    )
    .await?;
    let constraints = query(
        conn,
        "constraints",
        format!(
            "SELECT {ns}, c.relname::text, k.conname::text, k.contype::text, a.attname::text, \
             {fns}, f.relname::text, fa.attname::text, \
             CASE WHEN k.contype = 'c' THEN pg_catalog.pg_get_constraintdef(k.oid) END, \
             k.confdeltype::text, k.confupdtype::text \
             FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
             {namespace} \
             LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid \
             LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace \
             LEFT JOIN LATERAL unnest(CASE WHEN k.contype = 'c' THEN NULL ELSE k.conkey END, \
             k.confkey) WITH ORDINALITY u(col, fcol, pos) ON true \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.col \
             LEFT JOIN pg_catalog.pg_attribute fa ON fa.attrelid = k.confrelid \
             AND fa.attnum = u.fcol \
             WHERE k.contype IN ('p', 'u', 'f', 'c') AND {table} \
             ORDER BY n.nspname, c.relname, k.conname, u.pos",
            fns = pg_schema("fn.nspname"),
        ),
    )
    .await?;
    // The key parts only (not INCLUDE columns); an index that backs a primary key, unique or
    // exclusion constraint of its table is the constraint's.
    let indexes = query(
        conn,
        "indexes",
        format!(
            "SELECT {ns}, c.relname::text, ic.relname::text, \
             CASE WHEN i.indisunique THEN 't' ELSE 'f' END, a.attname::text, \
             pg_catalog.pg_get_indexdef(i.indexrelid, u.k::int, true), \
             pg_catalog.pg_get_expr(i.indpred, i.indrelid) \
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_catalog.pg_class c ON c.oid = i.indrelid {namespace} \
             CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, k) \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid \
             AND a.attnum = u.attnum AND u.attnum > 0 \
             WHERE u.k <= i.indnkeyatts AND {table} \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k \
             WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid \
             AND k.contype IN ('p', 'u', 'x')) \
             ORDER BY n.nspname, c.relname, ic.relname, u.k"
        ),
    )
    .await?;
    let enums = query(
        conn,
        "enums",
        format!(
            "SELECT ns, typname, item, kind, field_type FROM (\
             SELECT n.nspname AS nsp, {ns} AS ns, t.typname::text AS typname, \
             e.enumlabel::text AS item, 'e' AS kind, NULL::text AS field_type, \
             e.enumsortorder::float8 AS ord \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             LEFT JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid \
             WHERE t.typtype = 'e' AND {user_schema} AND {not_type_extension} \
             UNION ALL \
             SELECT n.nspname, {ns}, t.typname::text, a.attname::text, 'c', \
             pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnum::float8 \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             JOIN pg_catalog.pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 \
             AND NOT a.attisdropped \
             WHERE t.typtype = 'c' AND {user_schema} AND {not_type_extension}) types \
             ORDER BY nsp, typname, kind, ord; COMMIT",
            not_type_extension = not_extension("pg_type", "t.oid"),
        ),
    )
    .await?;

    let mut schema = Schema::default();
    for row in &relations {
        let name = pg_name(row);
        match get(row, 2) {
            Some("r" | "p") => {
                schema.tables.insert(name.clone(), new_table(name));
            }
            Some(kind @ ("v" | "m")) => {
                schema.views.insert(
                    name.clone(),
                    View {
                        name,
                        materialized: kind == "m",
                        definition: get(row, 3).map(view_query),
                        origin: None,
                    },
                );
            }
            Some("S") => {
                schema
                    .sequences
                    .insert(name.clone(), Sequence { name, origin: None });
            }
            _ => {}
        }
    }
    for row in &columns {
        let Some(table) = schema.tables.get_mut(&pg_name(row)) else {
            continue;
        };
        let generated = get(row, 7).is_some_and(|g| !g.is_empty());
        let identity = match get(row, 6) {
            Some("a") => Identity::Always,
            Some("d") => Identity::ByDefault,
            _ if flag(row, 8) => Identity::Serial,
            _ => Identity::None,
        };
        let default = if generated {
            Fact::Unknown
        } else if identity == Identity::Serial {
            Fact::Known(None)
        } else {
            Fact::Known(get(row, 5).map(str::to_owned))
        };
        table.columns.push(Column {
            key: text(row, 2),
            name: text(row, 2),
            ty: Fact::Known(text(row, 3)),
            nullable: Fact::Known(!flag(row, 4)),
            default,
            identity: Fact::Known(identity),
            origin: None,
        });
    }
    for ((name, constraint), rows) in groups(&constraints, |r| (pg_name(r), text(r, 2))) {
        let Some(table) = schema.tables.get_mut(&name) else {
            continue;
        };
        let first = rows[0];
        let columns = rows.iter().filter_map(|r| get(r, 4)).map(str::to_owned);
        let kind = match get(first, 3) {
            Some("p") => ConstraintKind::PrimaryKey,
            Some("u") => ConstraintKind::Unique,
            Some("f") => ConstraintKind::ForeignKey {
                table: Name {
                    schema: get(first, 5).map(str::to_owned),
                    name: text(first, 6),
                },
                columns: rows
                    .iter()
                    .filter_map(|r| get(r, 7))
                    .map(str::to_owned)
                    .collect(),
                on_delete: pg_action(get(first, 9)),
                on_update: pg_action(get(first, 10)),
            },
            Some("c") => ConstraintKind::Check(get(first, 8).map(str::to_owned)),
            _ => continue,
        };
        let columns = match kind {
            ConstraintKind::Check(_) => Vec::new(),
            _ => columns.collect(),
        };
        table.constraints.push(Constraint {
            name: Some(constraint),
            kind,
            columns,
            origin: None,
        });
    }
    for ((name, index), rows) in groups(&indexes, |r| (pg_name(r), text(r, 2))) {
        let Some(table) = schema.tables.get_mut(&name) else {
            continue;
        };
        let parts = rows
            .iter()
            .map(|r| match get(r, 4) {
                Some(column) => IndexPart::Column(column.to_owned()),
                None => IndexPart::Expression(text(r, 5)),
            })
            .collect();
        table.indexes.push(Index {
            key: index.clone(),
            name: index,
            unique: flag(rows[0], 3),
            parts: Fact::Known(parts),
            predicate: Fact::Known(get(rows[0], 6).map(str::to_owned)),
            origin: None,
        });
    }
    for (name, rows) in groups(&enums, pg_name) {
        if get(rows[0], 3) == Some("c") {
            let fields = rows.iter().map(|r| (text(r, 2), text(r, 4))).collect();
            schema.composites.insert(
                name.clone(),
                Composite {
                    name,
                    fields,
                    origin: None,
                },
            );
            continue;
        }
        let values = rows.iter().filter_map(|r| get(r, 2)).map(str::to_owned);
        schema.enums.insert(
            name.clone(),
            Enum {
                name,
                values: Fact::Known(values.collect()),
                origin: None,
            },
        );
    }
    Ok(schema)
}

// ---- MySQL and MariaDB -----------------------------------------------------------------------

async fn mysql(conn: &mut Conn, sql: &Sql) -> Result<Schema, Error> {
    let server = query(
        conn,
        "server",
        "SELECT CAST(VERSION() AS CHAR), CAST(DATABASE() AS CHAR)".to_owned(),
    )
    .await?;
    let version = server.first().map(|r| text(r, 0)).unwrap_or_default();
    let Some(database) = server.first().and_then(|r| get(r, 1)).map(str::to_owned) else {
        return Err(Error::new(
            ErrorKind::Database,
            "cannot read the schema: the connection has no current database (name one in the \
             database URL)",
        ));
    };
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    // `STATISTICS.EXPRESSION` (functional key parts) exists from MySQL 8.0.13.
    let expressions = !mariadb && {
        let mut numbers = version
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let v = (
            numbers.next().unwrap_or(0),
            numbers.next().unwrap_or(0),
            numbers.next().unwrap_or(0),
        );
        v >= (8, 0, 13)
    };
    let history_schema = sql
        .schema
        .as_deref()
        .map_or_else(|| "DATABASE()".to_owned(), |s| sql.literal(s));
    let history = sql.literal(&sql.table_name);
    // Rows of the current database, other than the history table's (alias `x`).
    let of = |x: &str| {
        format!(
            "{x}.TABLE_SCHEMA = DATABASE() AND NOT ({x}.TABLE_NAME = {history} AND \
             {x}.TABLE_SCHEMA = {history_schema})"
        )
    };
    let tables = "('BASE TABLE', 'SYSTEM VERSIONED')";

    let objects = query(
        conn,
        "tables",
        format!(
            "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(t.TABLE_TYPE AS CHAR), \
             CAST(v.VIEW_DEFINITION AS CHAR), CAST(t.TABLE_SCHEMA AS CHAR) \
             FROM information_schema.TABLES t LEFT JOIN information_schema.VIEWS v \
             ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME WHERE {} \
             AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW', 'SEQUENCE') \
             ORDER BY t.TABLE_NAME",
            of("t")
        ),
    )
    .await?;
    let columns = query(
        conn,
        "columns",
        format!(
            "SELECT CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), \
             CAST(c.COLUMN_TYPE AS CHAR), CAST(c.IS_NULLABLE AS CHAR), \
             CAST(c.COLUMN_DEFAULT AS CHAR), CAST(c.EXTRA AS CHAR), \
             CASE WHEN COALESCE(c.GENERATION_EXPRESSION, '') <> '' THEN '1' ELSE '0' END \
             FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
             ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
             WHERE {} AND t.TABLE_TYPE IN {tables} \
             ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            of("c")
        ),
    )
    .await?;
    // MySQL names checks per database, MariaDB per table.
    let check_table = if mariadb {
        " AND cc.TABLE_NAME = tc.TABLE_NAME"
    } else {
        ""
    };
    let constraints = query(
        conn,
        "constraints",
        format!(
            "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), 'f', \
             CAST(k.COLUMN_NAME AS CHAR), CAST(k.REFERENCED_TABLE_SCHEMA AS CHAR), \
             CAST(k.REFERENCED_TABLE_NAME AS CHAR), CAST(k.REFERENCED_COLUMN_NAME AS CHAR), \
             NULL, LPAD(k.ORDINAL_POSITION, 10, '0'), \
             CAST(r.DELETE_RULE AS CHAR), CAST(r.UPDATE_RULE AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE k \
             LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
             ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
             AND r.TABLE_NAME = k.TABLE_NAME \
             WHERE {} AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             UNION ALL \
             SELECT CAST(tc.TABLE_NAME AS CHAR), CAST(tc.CONSTRAINT_NAME AS CHAR), 'c', NULL, \
             NULL, NULL, NULL, CAST(cc.CHECK_CLAUSE AS CHAR), '0', NULL, NULL \
             FROM information_schema.TABLE_CONSTRAINTS tc \
             JOIN information_schema.CHECK_CONSTRAINTS cc \
             ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA \
             AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME{check_table} \
             WHERE {} AND tc.CONSTRAINT_TYPE = 'CHECK' \
             ORDER BY 1, 3, 2, 9",
            of("k"),
            of("tc"),
        ),
    )
    .await?;
    let expression = if expressions {
        "CAST(s.EXPRESSION AS CHAR)"
    } else {
        "NULL"
    };
    let indexes = query(
        conn,
        "indexes",
        format!(
            "SELECT CAST(s.TABLE_NAME AS CHAR), CAST(s.INDEX_NAME AS CHAR), \
             CAST(s.NON_UNIQUE AS CHAR), CAST(s.COLUMN_NAME AS CHAR), CAST(s.SUB_PART AS CHAR), \
             {expression} FROM information_schema.STATISTICS s WHERE {} \
             ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX",
            of("s")
        ),
    )
    .await?;

    let key = |row: &Row| Name {
        schema: None,
        name: lower(row, 0),
    };
    let mut schema = Schema::default();
    for row in &objects {
        let name = key(row);
        match get(row, 1) {
            Some("VIEW") => {
                // MariaDB qualifies every name with the database: drop it, so the query reads
                // in any database.
                let database = format!("`{}`.", text(row, 3).replace('`', "``"));
                let view = View {
                    name: name.clone(),
                    materialized: false,
                    definition: get(row, 2).map(|q| view_query(&q.replace(&database, ""))),
                    origin: None,
                };
                schema.views.insert(name, view);
            }
            Some("SEQUENCE") => {
                schema
                    .sequences
                    .insert(name.clone(), Sequence { name, origin: None });
            }
            _ => {
                schema.tables.insert(name.clone(), new_table(name));
            }
        }
    }
    for row in &columns {
        let Some(table) = schema.tables.get_mut(&key(row)) else {
            continue;
        };
        let generated = flag(row, 6);
        let default = match get(row, 4) {
            _ if generated => Fact::Unknown,
            // MariaDB spells "no default" on a nullable column as the word `NULL` (a string
            // default is quoted: `'NULL'`).
            Some("NULL") if mariadb => Fact::Known(None),
            default => Fact::Known(default.map(str::to_owned)),
        };
        let extra = lower(row, 5);
        table.columns.push(Column {
            key: lower(row, 1),
            name: text(row, 1),
            ty: Fact::Known(text(row, 2)),
            nullable: Fact::Known(get(row, 3) == Some("YES")),
            default,
            identity: Fact::Known(if extra.contains("auto_increment") {
                Identity::AutoIncrement
            } else {
                Identity::None
            }),
            origin: None,
        });
    }
    // Primary keys and unique constraints are unique indexes of plain columns: they come from
    // STATISTICS with the other indexes. A unique index with a prefix or an expression part is
    // an index.
    for (name, rows) in groups(&indexes, |r| (key(r), text(r, 1))) {
        let (table_key, index) = name;
        let Some(table) = schema.tables.get_mut(&table_key) else {
            continue;
        };
        let unique = get(rows[0], 2) == Some("0");
        let mut plain = Vec::new();
        let mut parts = Some(Vec::new());
        for row in &rows {
            let column = get(row, 3).map(str::to_lowercase);
            let part = match (&column, get(row, 4), get(row, 5)) {
                (Some(column), Some(prefix), _) => {
                    Some(IndexPart::Expression(format!("{column}({prefix})")))
                }
                (Some(column), None, _) => Some(IndexPart::Column(column.clone())),
                (None, _, Some(expression)) => Some(IndexPart::Expression(expression.to_owned())),
                (None, _, None) => None,
            };
            if let Some(column) = column {
                plain.push(column);
            }
            match (part, &mut parts) {
                (Some(part), Some(parts)) => parts.push(part),
                _ => parts = None,
            }
        }
        let all_plain = parts
            .as_ref()
            .is_some_and(|parts| parts.iter().all(|p| matches!(p, IndexPart::Column(_))));
        if index == "PRIMARY" {
            table.constraints.push(Constraint {
                name: Some(index),
                kind: ConstraintKind::PrimaryKey,
                columns: plain,
                origin: None,
            });
        } else if unique && all_plain {
            table.constraints.push(Constraint {
                name: Some(index),
                kind: ConstraintKind::Unique,
                columns: plain,
                origin: None,
            });
        } else {
            table.indexes.push(Index {
                key: index.to_lowercase(),
                name: index,
                unique,
                parts: parts.map_or(Fact::Unknown, Fact::Known),
                predicate: Fact::Known(None),
                origin: None,
            });
        }
    }
    for ((table_key, constraint, kind), rows) in
        groups(&constraints, |r| (key(r), text(r, 1), text(r, 2)))
    {
        let Some(table) = schema.tables.get_mut(&table_key) else {
            continue;
        };
        let first = rows[0];
        let kind = if kind == "f" {
            let target_schema = get(first, 4).filter(|s| *s != database);
            ConstraintKind::ForeignKey {
                table: Name {
                    schema: target_schema.map(str::to_lowercase),
                    name: lower(first, 5),
                },
                columns: rows.iter().map(|r| lower(r, 6)).collect(),
                // MySQL does not tell `RESTRICT` from `NO ACTION`, and reports the default as
                // `RESTRICT`: both are the replay's `NO ACTION`.
                on_delete: mysql_action(get(first, 9)),
                on_update: mysql_action(get(first, 10)),
            }
        } else {
            let clause = text(first, 7);
            // MariaDB's own check on a JSON column (an alias of LONGTEXT), named after it.
            if mariadb
                && table.column(&constraint.to_lowercase()).is_some()
                && clause == format!("json_valid(`{constraint}`)")
            {
                continue;
            }
            ConstraintKind::Check(Some(clause))
        };
        let columns = match kind {
            ConstraintKind::ForeignKey { .. } => rows.iter().map(|r| lower(r, 3)).collect(),
            _ => Vec::new(),
        };
        table.constraints.push(Constraint {
            name: Some(constraint),
            kind,
            columns,
            origin: None,
        });
    }
    // Primary key, unique constraints, foreign keys, checks; by name within a kind.
    let rank = |c: &Constraint| match c.kind {
        ConstraintKind::PrimaryKey => 0,
        ConstraintKind::Unique => 1,
        ConstraintKind::ForeignKey { .. } => 2,
        ConstraintKind::Check(_) => 3,
    };
    for table in schema.tables.values_mut() {
        table
            .constraints
            .sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name)));
    }
    // InnoDB creates an index for a foreign key that has none, named after the constraint (or,
    // unnamed, after its first column, `_2`… on a clash): it backs the constraint, so it is the
    // constraint's, not an index of the schema.
    for table in schema.tables.values_mut() {
        let fks: Vec<(String, Vec<String>)> = table
            .constraints
            .iter()
            .filter(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
            .map(|c| (c.name.clone().unwrap_or_default(), c.columns.clone()))
            .collect();
        table.indexes.retain(|index| {
            let Fact::Known(parts) = &index.parts else {
                return true;
            };
            let columns: Option<Vec<&str>> = parts
                .iter()
                .map(|p| match p {
                    IndexPart::Column(c) => Some(c.as_str()),
                    IndexPart::Expression(_) => None,
                })
                .collect();
            let Some(columns) = columns else {
                return true;
            };
            let implicit = fks.iter().any(|(name, fk_columns)| {
                let first = fk_columns.first().map_or("", String::as_str);
                let by_column = index.key == first
                    || index.key.strip_prefix(first).is_some_and(|rest| {
                        rest.strip_prefix('_')
                            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    });
                fk_columns
                    .iter()
                    .map(String::as_str)
                    .eq(columns.iter().copied())
                    && (index.key == name.to_lowercase() || by_column)
            });
            index.unique || !implicit
        });
    }
    Ok(schema)
}

// ---- SQLite ----------------------------------------------------------------------------------

async fn sqlite(conn: &mut Conn, sql: &Sql) -> Result<Schema, Error> {
    // The history table is `main`'s only when the migrator names no other schema.
    let history = match sql.schema.as_deref() {
        None | Some("main") => format!(
            " AND lower(m.name) <> lower({})",
            sql.literal(&sql.table_name)
        ),
        Some(_) => String::new(),
    };
    let tables = format!(
        "sqlite_schema m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'\
         {history}"
    );
    let objects = query(
        conn,
        "tables",
        format!(
            "BEGIN; SELECT m.type, m.name, m.sql FROM sqlite_schema m \
             WHERE m.type IN ('table', 'view', 'index') AND m.name NOT LIKE 'sqlite\\_%' \
             ESCAPE '\\'{history} ORDER BY m.name"
        ),
    )
    .await?;
    // `table_xinfo` lists generated columns too (hidden 2 and 3); hidden 1 is a virtual
    // table's hidden column.
    let columns = query(
        conn,
        "columns",
        format!(
            "SELECT m.name, p.name, p.type, CAST(p.\"notnull\" AS TEXT), p.dflt_value, \
             CAST(p.pk AS TEXT), CAST(p.hidden AS TEXT) \
             FROM {tables_join} ORDER BY m.name, p.cid",
            tables_join = tables.replacen(
                "sqlite_schema m",
                "sqlite_schema m JOIN pragma_table_xinfo(m.name) p",
                1
            ),
        ),
    )
    .await?;
    // `id` numbers a table's foreign keys from the last declared one.
    let foreign_keys = query(
        conn,
        "foreign keys",
        format!(
            "SELECT m.name, CAST(f.id AS TEXT), f.\"table\", f.\"from\", f.\"to\", \
             f.on_delete, f.on_update \
             FROM {} ORDER BY m.name, f.id DESC, f.seq",
            tables.replacen(
                "sqlite_schema m",
                "sqlite_schema m JOIN pragma_foreign_key_list(m.name) f",
                1
            ),
        ),
    )
    .await?;
    let indexes = query(
        conn,
        "indexes",
        format!(
            "SELECT m.name, il.name, CAST(il.\"unique\" AS TEXT), il.origin, \
             CAST(il.partial AS TEXT), CAST(ix.cid AS TEXT), ix.name \
             FROM {} AND il.origin IN ('u', 'c') AND ix.key = 1 \
             ORDER BY m.name, il.name, ix.seqno; COMMIT",
            tables.replacen(
                "sqlite_schema m",
                "sqlite_schema m JOIN pragma_index_list(m.name) il \
                 JOIN pragma_index_xinfo(il.name) ix",
                1
            ),
        ),
    )
    .await?;

    let key = |row: &Row, i: usize| Name {
        schema: None,
        name: lower(row, i),
    };
    let mut schema = Schema::default();
    let mut autoincrement = BTreeMap::new();
    // What the pragmas do not tell (checks, index expressions and predicates) comes from the
    // stored statements, read with the replay's parser.
    let stored: Vec<&str> = ["table", "index", "view"]
        .iter()
        .flat_map(|kind| objects.iter().filter(move |r| get(r, 0) == Some(kind)))
        .filter_map(|r| get(r, 2))
        .collect();
    let stored = driftless_core::drift::sqlite_stored(&stored);
    for row in &objects {
        let name = key(row, 1);
        if get(row, 0) == Some("index") {
            continue;
        }
        if get(row, 0) == Some("view") {
            let view = View {
                name: name.clone(),
                materialized: false,
                definition: stored.views.get(&name).and_then(|v| v.definition.clone()),
                origin: None,
            };
            schema.views.insert(name, view);
        } else {
            let create = text(row, 2).to_ascii_uppercase();
            autoincrement.insert(name.clone(), create.contains("AUTOINCREMENT"));
            schema.tables.insert(name.clone(), new_table(name));
        }
    }
    for (name, rows) in groups(&columns, |r| key(r, 0)) {
        let Some(table) = schema.tables.get_mut(&name) else {
            continue;
        };
        let mut primary: Vec<(u32, String)> = Vec::new();
        for row in &rows {
            let hidden = get(row, 6).unwrap_or("0");
            if hidden == "1" {
                continue;
            }
            let pk: u32 = get(row, 5).and_then(|p| p.parse().ok()).unwrap_or(0);
            if pk > 0 {
                primary.push((pk, lower(row, 1)));
            }
            table.columns.push(Column {
                key: lower(row, 1),
                name: text(row, 1),
                ty: Fact::Known(text(row, 2)),
                nullable: Fact::Known(!flag(row, 3)),
                default: if hidden == "2" || hidden == "3" {
                    Fact::Unknown
                } else {
                    Fact::Known(get(row, 4).map(str::to_owned))
                },
                identity: Fact::Known(Identity::None),
                origin: None,
            });
        }
        primary.sort();
        // AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY (the rowid).
        if let [(_, column)] = primary.as_slice()
            && autoincrement.get(&name) == Some(&true)
            && let Some(c) = table.columns.iter_mut().find(|c| &c.key == column)
            && c.ty
                .known()
                .is_some_and(|t| t.eq_ignore_ascii_case("INTEGER"))
        {
            c.identity = Fact::Known(Identity::AutoIncrement);
        }
        if !primary.is_empty() {
            table.constraints.push(Constraint {
                name: None,
                kind: ConstraintKind::PrimaryKey,
                columns: primary.into_iter().map(|(_, c)| c).collect(),
                origin: None,
            });
        }
    }
    for ((name, index), rows) in groups(&indexes, |r| (key(r, 0), text(r, 1))) {
        let Some(table) = schema.tables.get_mut(&name) else {
            continue;
        };
        let first = rows[0];
        // cid -2 is an expression, -1 the rowid.
        let columns: Option<Vec<String>> = rows
            .iter()
            .map(|r| match get(r, 5) {
                Some(cid) if !cid.starts_with('-') => get(r, 6).map(str::to_lowercase),
                _ => None,
            })
            .collect();
        if get(first, 3) == Some("u") {
            table.constraints.push(Constraint {
                name: None,
                kind: ConstraintKind::Unique,
                columns: columns.unwrap_or_default(),
                origin: None,
            });
        } else {
            table.indexes.push(Index {
                key: index.to_lowercase(),
                name: index,
                unique: flag(first, 2),
                parts: match columns {
                    Some(columns) => {
                        Fact::Known(columns.into_iter().map(IndexPart::Column).collect())
                    }
                    None => Fact::Unknown,
                },
                predicate: if flag(first, 4) {
                    Fact::Unknown
                } else {
                    Fact::Known(None)
                },
                origin: None,
            });
        }
    }
    for (name, table) in &mut schema.tables {
        let Some(read) = stored.tables.get(name) else {
            continue;
        };
        table.constraints.extend(
            read.constraints
                .iter()
                .filter(|c| matches!(c.kind, ConstraintKind::Check(_)))
                .cloned()
                .map(|c| Constraint { origin: None, ..c }),
        );
        for index in &mut table.indexes {
            let Some(parsed) = read.indexes.iter().find(|i| i.key == index.key) else {
                continue;
            };
            if index.parts == Fact::Unknown {
                index.parts = parsed.parts.clone();
            }
            if index.predicate == Fact::Unknown {
                index.predicate = parsed.predicate.clone();
            }
        }
    }
    for ((name, _id), rows) in groups(&foreign_keys, |r| (key(r, 0), text(r, 1))) {
        let Some(table) = schema.tables.get_mut(&name) else {
            continue;
        };
        let to: Vec<String> = rows
            .iter()
            .filter_map(|r| get(r, 4))
            .map(str::to_lowercase)
            .collect();
        table.constraints.push(Constraint {
            name: None,
            kind: ConstraintKind::ForeignKey {
                table: Name {
                    schema: None,
                    name: lower(rows[0], 2),
                },
                columns: to,
                on_delete: words_action(get(rows[0], 5)),
                on_update: words_action(get(rows[0], 6)),
            },
            columns: rows.iter().map(|r| lower(r, 3)).collect(),
            origin: None,
        });
    }
    Ok(schema)
}
