//! The three databases behind one enum: the SQL of the history table, locks and applying.
//!
//! Every query is built as text with quoted identifiers and escaped literals and sent through
//! `raw_sql`, so PostgreSQL uses the simple-query protocol: one round trip per call, no prepare.

use std::time::Duration;

use sqlx::{AssertSqlSafe, Row};

use crate::error::{Error, ErrorKind};
use crate::migrations::Dialect;

#[cfg(feature = "postgres")]
use sqlx::{Connection, PgConnection, PgPool};
#[cfg(feature = "mysql")]
use sqlx::{MySql, MySqlPool, pool::PoolConnection};
#[cfg(feature = "sqlite")]
use sqlx::{Sqlite, SqlitePool};

mod sealed {
    pub trait Sealed {}
}

/// A pool `driftless` can migrate: `PgPool`, `MySqlPool` (MySQL and MariaDB) or `SqlitePool`,
/// each behind the feature of the same name.
pub trait Pool: sealed::Sealed {
    #[doc(hidden)]
    fn __db(&self) -> Db;
}

#[cfg(feature = "postgres")]
impl sealed::Sealed for PgPool {}
#[cfg(feature = "postgres")]
impl Pool for PgPool {
    fn __db(&self) -> Db {
        Db::Pg(self.clone())
    }
}
#[cfg(feature = "mysql")]
impl sealed::Sealed for MySqlPool {}
#[cfg(feature = "mysql")]
impl Pool for MySqlPool {
    fn __db(&self) -> Db {
        Db::My(self.clone())
    }
}
#[cfg(feature = "sqlite")]
impl sealed::Sealed for SqlitePool {}
#[cfg(feature = "sqlite")]
impl Pool for SqlitePool {
    fn __db(&self) -> Db {
        Db::Lite(self.clone())
    }
}

/// A pool of one of the three databases.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Db {
    #[cfg(feature = "postgres")]
    Pg(PgPool),
    #[cfg(feature = "mysql")]
    My(MySqlPool),
    #[cfg(feature = "sqlite")]
    Lite(SqlitePool),
}

/// One connection of a run. PostgreSQL's is dedicated (not from the pool) and holds the advisory
/// lock; MySQL's is pooled and holds `GET_LOCK`; SQLite's is pooled and takes `BEGIN IMMEDIATE`
/// per migration.
pub(crate) enum Conn {
    #[cfg(feature = "postgres")]
    Pg(PgConnection),
    #[cfg(feature = "mysql")]
    My(PoolConnection<MySql>),
    #[cfg(feature = "sqlite")]
    Lite(LiteConn),
}

/// A pooled SQLite connection that never goes back to the pool inside a transaction. The runtime
/// issues `BEGIN IMMEDIATE` itself, which sqlx's pool does not track: a run dropped between it and
/// `COMMIT` (a cancelled future) would otherwise leave an idle pooled connection holding the
/// database's write lock.
#[cfg(feature = "sqlite")]
pub(crate) struct LiteConn(Option<sqlx::pool::PoolConnection<Sqlite>>);

#[cfg(feature = "sqlite")]
impl LiteConn {
    fn get(&mut self) -> &mut sqlx::SqliteConnection {
        // Only `finish` and `drop` take the connection out, and both consume the wrapper.
        self.0.as_deref_mut().expect("a live SQLite connection")
    }

    /// Ends any transaction a failed step left open, then returns the connection to the pool.
    async fn finish(mut self) {
        if let Some(mut conn) = self.0.take() {
            // Harmless when no transaction is open.
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
        }
    }
}

#[cfg(feature = "sqlite")]
impl Drop for LiteConn {
    fn drop(&mut self) {
        let Some(mut conn) = self.0.take() else {
            return;
        };
        // Dropped mid-run: roll back before the pool sees the connection again, or close it.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}

/// Runs `$body` with `$c` bound to the concrete connection of any variant.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            Conn::Pg($c) => $body,
            #[cfg(feature = "mysql")]
            Conn::My(pooled) => {
                let $c = &mut **pooled;
                $body
            }
            #[cfg(feature = "sqlite")]
            Conn::Lite(pooled) => {
                let $c = pooled.get();
                $body
            }
        }
    };
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub status: String,
    pub done: i64,
    pub total: i64,
    pub error: Option<String>,
    pub consent: Option<String>,
}

impl Db {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "postgres")]
            Db::Pg(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Db::My(_) => Dialect::Mysql,
            #[cfg(feature = "sqlite")]
            Db::Lite(_) => Dialect::Sqlite,
        }
    }

    /// The no-op boot: one read-only statement on a pooled connection. `Err` when the table is
    /// missing (or anything else failed: the slow path will report it properly).
    pub(crate) async fn summary(&self, sql: String) -> Result<Option<String>, sqlx::Error> {
        macro_rules! one {
            ($pool:expr) => {{
                let row = sqlx::raw_sql(AssertSqlSafe(sql))
                    .fetch_optional($pool)
                    .await?;
                match row {
                    Some(row) => Ok(Some(row.try_get::<String, _>(0)?)),
                    None => Ok(None),
                }
            }};
        }
        match self {
            #[cfg(feature = "postgres")]
            Db::Pg(pool) => one!(pool),
            #[cfg(feature = "mysql")]
            Db::My(pool) => one!(pool),
            #[cfg(feature = "sqlite")]
            Db::Lite(pool) => one!(pool),
        }
    }

    /// Opens the connection of a run.
    pub(crate) async fn open(&self, timeout: Duration) -> Result<Conn, Error> {
        let context = "cannot connect to the database";
        let conn = match self {
            #[cfg(feature = "postgres")]
            Db::Pg(pool) => {
                let options = pool.connect_options();
                let connect = PgConnection::connect_with(&options);
                match tokio::time::timeout(timeout, connect).await {
                    Ok(conn) => {
                        let mut conn = conn.map_err(|e| Error::database(context, e))?;
                        // A batch keeps running on the server after the client is gone, holding
                        // the lock; PostgreSQL 14+ can notice the closed socket and abort it.
                        // Older servers reject the setting, which is harmless.
                        let _ = sqlx::raw_sql("SET client_connection_check_interval = 100")
                            .execute(&mut conn)
                            .await;
                        Conn::Pg(conn)
                    }
                    Err(_) => return Err(lock_timeout(timeout)),
                }
            }
            #[cfg(feature = "mysql")]
            Db::My(pool) => {
                let mut conn = tokio::time::timeout(timeout, pool.acquire())
                    .await
                    .map_err(|_| lock_timeout(timeout))?
                    .map_err(|e| Error::database(context, e))?;
                // The connection may carry a named lock and session settings: close it rather
                // than hand it back, whatever happens (a dropped future included).
                conn.close_on_drop();
                Conn::My(conn)
            }
            #[cfg(feature = "sqlite")]
            Db::Lite(pool) => Conn::Lite(LiteConn(Some(
                tokio::time::timeout(timeout, pool.acquire())
                    .await
                    .map_err(|_| lock_timeout(timeout))?
                    .map_err(|e| Error::database(context, e))?,
            ))),
        };
        Ok(conn)
    }
}

pub(crate) fn lock_timeout(timeout: Duration) -> Error {
    Error::new(
        ErrorKind::LockTimeout,
        format!(
            "another process held the migration lock for more than {:?}; \
             check what runs migrations (`driftless status --database-url \"$DATABASE_URL\" migrations`) \
             or raise `acquire_timeout`",
            timeout
        ),
    )
}

/// Whether an error says a table does not exist.
pub(crate) fn is_missing_table(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("42P01" | "42S02" | "1146"))
                || db.message().contains("no such table")
                || db.message().contains("doesn't exist")
        }
        _ => false,
    }
}

impl Conn {
    /// Runs SQL text (possibly several statements).
    pub(crate) async fn execute(&mut self, sql: String) -> Result<(), sqlx::Error> {
        with_conn!(self, |c| {
            sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *c).await?;
            Ok(())
        })
    }

    /// Runs a query of one boolean or integer column and one row.
    pub(crate) async fn scalar_i64(&mut self, sql: String) -> Result<Option<i64>, sqlx::Error> {
        with_conn!(self, |c| {
            let row = sqlx::raw_sql(AssertSqlSafe(sql))
                .fetch_optional(&mut *c)
                .await?;
            match row {
                // `CASE ... THEN 1` is an INT4 on PostgreSQL, counts are INT8.
                Some(row) => match row.try_get::<Option<i64>, _>(0) {
                    Ok(v) => Ok(v),
                    Err(_) => Ok(row.try_get::<Option<i32>, _>(0)?.map(i64::from)),
                },
                None => Ok(None),
            }
        })
    }

    /// Runs a query of one text column.
    pub(crate) async fn strings(&mut self, sql: String) -> Result<Vec<String>, sqlx::Error> {
        with_conn!(self, |c| {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_all(&mut *c).await?;
            rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
        })
    }

    /// Reads history rows selected by [`Sql::history`].
    pub(crate) async fn history(&mut self, sql: String) -> Result<Vec<HistoryRow>, sqlx::Error> {
        with_conn!(self, |c| {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_all(&mut *c).await?;
            rows.iter()
                .map(|r| {
                    Ok(HistoryRow {
                        version: r.try_get(0)?,
                        name: r.try_get(1)?,
                        checksum: r.try_get(2)?,
                        status: r.try_get(3)?,
                        done: r.try_get(4)?,
                        total: r.try_get(5)?,
                        error: r.try_get(6)?,
                        consent: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }

    /// Closes the connection (PostgreSQL, MySQL) or returns it to the pool (SQLite).
    pub(crate) async fn finish(self) {
        match self {
            #[cfg(feature = "postgres")]
            Conn::Pg(c) => {
                let _ = c.close().await;
            }
            #[cfg(feature = "mysql")]
            Conn::My(c) => {
                let _ = c.close().await;
            }
            #[cfg(feature = "sqlite")]
            Conn::Lite(c) => c.finish().await,
        }
    }

    /// Takes the lock of `key` (PostgreSQL, MySQL), polling up to `timeout`. SQLite has no
    /// session lock: it takes `BEGIN IMMEDIATE` per migration.
    pub(crate) async fn lock(
        &mut self,
        sql: &Sql,
        key: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        let context = "cannot take the migration lock";
        match sql.dialect {
            Dialect::Postgres => {
                let query = format!(
                    "SELECT CASE WHEN pg_try_advisory_lock({}) THEN 1::int8 ELSE 0::int8 END",
                    pg_key(key)
                );
                let start = std::time::Instant::now();
                let mut wait = Duration::from_millis(10);
                loop {
                    let got = self
                        .scalar_i64(query.clone())
                        .await
                        .map_err(|e| Error::database(context, e))?;
                    if got == Some(1) {
                        return Ok(());
                    }
                    if start.elapsed() >= timeout {
                        return Err(lock_timeout(timeout));
                    }
                    tokio::time::sleep(wait.min(timeout.saturating_sub(start.elapsed()))).await;
                    wait = (wait * 2).min(Duration::from_millis(200));
                }
            }
            Dialect::Mysql => {
                let query = format!(
                    "SELECT GET_LOCK({}, {})",
                    sql.literal(&mysql_key(key)),
                    timeout.as_secs_f64().ceil() as u64
                );
                let got = self
                    .scalar_i64(query)
                    .await
                    .map_err(|e| Error::database(context, e))?;
                if got == Some(1) {
                    Ok(())
                } else {
                    Err(lock_timeout(timeout))
                }
            }
            Dialect::Sqlite => Ok(()),
        }
    }

    /// Releases the lock of `key`.
    pub(crate) async fn unlock(&mut self, sql: &Sql, key: &str) -> Result<(), Error> {
        let query = match sql.dialect {
            Dialect::Postgres => format!("SELECT pg_advisory_unlock({})", pg_key(key)),
            Dialect::Mysql => format!("SELECT RELEASE_LOCK({})", sql.literal(&mysql_key(key))),
            Dialect::Sqlite => return Ok(()),
        };
        self.execute(query)
            .await
            .map_err(|e| Error::database("cannot release the migration lock", e))
    }
}

/// FNV-1a, 64 bits: lock keys.
pub(crate) fn fnv64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

/// A 128-bit hash of 64-bit words in two independent lanes: the summary of a history. It runs on
/// every boot over every embedded checksum, so it works on words, not bytes; it guards against
/// accidents, not adversaries (the history table is trusted).
pub(crate) fn hash_words(words: impl Iterator<Item = u64>) -> u128 {
    let (mut a, mut b): (u64, u64) = (0xcbf29ce484222325, 0x84222325cbf29ce4);
    for w in words {
        a = (a ^ w).wrapping_mul(0x100000001b3).rotate_left(29);
        b = (b ^ w.rotate_left(17))
            .wrapping_mul(0x9e3779b97f4a7c15)
            .rotate_left(31);
    }
    (u128::from(a) << 64) | u128::from(b)
}

fn pg_key(key: &str) -> i64 {
    fnv64(key.as_bytes()) as i64
}

/// MySQL lock names are limited to 64 characters: a fixed prefix and a hash.
fn mysql_key(key: &str) -> String {
    format!("driftless:{:016x}", fnv64(key.as_bytes()))
}

/// The SQL of the history table for one dialect, table name and schema.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub dialect: Dialect,
    /// The quoted, qualified table name.
    pub table: String,
    /// The unquoted table name, as stored in the catalog.
    pub table_name: String,
}

/// The format version of the history table, recorded in its meta row.
pub(crate) const FORMAT: i64 = 1;

impl Sql {
    pub(crate) fn new(dialect: Dialect, schema: Option<&str>, table: &str) -> Sql {
        let mut sql = Sql {
            dialect,
            table: String::new(),
            table_name: table.to_owned(),
        };
        sql.table = match schema {
            Some(schema) => format!("{}.{}", sql.ident(schema), sql.ident(table)),
            None => sql.ident(table),
        };
        sql
    }

    pub(crate) fn ident(&self, name: &str) -> String {
        match self.dialect {
            Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    pub(crate) fn literal(&self, value: &str) -> String {
        match self.dialect {
            Dialect::Mysql => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''")),
            _ => format!("'{}'", value.replace('\'', "''")),
        }
    }

    pub(crate) fn opt_literal(&self, value: Option<&str>) -> String {
        value.map_or_else(|| "NULL".to_owned(), |v| self.literal(v))
    }

    fn now(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "now()",
            Dialect::Mysql => "CURRENT_TIMESTAMP(6)",
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        }
    }

    pub(crate) fn summary(&self, namespace: &str) -> String {
        format!(
            "SELECT checksum FROM {} WHERE namespace = {} AND version = 0",
            self.table,
            self.literal(namespace)
        )
    }

    pub(crate) fn create_table(&self, schema: Option<&str>) -> String {
        let (text, key, time) = match self.dialect {
            Dialect::Postgres => ("TEXT", "TEXT", "TIMESTAMPTZ"),
            Dialect::Mysql => ("TEXT", "VARCHAR(191)", "DATETIME(6)"),
            Dialect::Sqlite => ("TEXT", "TEXT", "TEXT"),
        };
        let mut out = String::new();
        if let (Some(schema), Dialect::Postgres) = (schema, self.dialect) {
            out.push_str(&format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n",
                self.ident(schema)
            ));
        }
        out.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {t} (\n\
             namespace {key} NOT NULL,\n\
             version BIGINT NOT NULL,\n\
             name {text} NOT NULL,\n\
             checksum {text} NOT NULL,\n\
             status {text} NOT NULL,\n\
             started_at {time} NULL,\n\
             finished_at {time} NULL,\n\
             duration_ms BIGINT NULL,\n\
             statements_done BIGINT NOT NULL,\n\
             statements_total BIGINT NOT NULL,\n\
             error {text} NULL,\n\
             consent {text} NULL,\n\
             PRIMARY KEY (namespace, version)\n)",
            t = self.table
        ));
        let insert = match self.dialect {
            Dialect::Postgres => "INSERT",
            Dialect::Mysql => "INSERT IGNORE",
            Dialect::Sqlite => "INSERT OR IGNORE",
        };
        let conflict = match self.dialect {
            Dialect::Postgres => " ON CONFLICT DO NOTHING",
            _ => "",
        };
        out.push_str(&format!(
            ";\n{insert} INTO {t} (namespace, version, name, checksum, status, statements_done, \
             statements_total) VALUES ('', -1, 'format', '{FORMAT}', 'meta', 0, 0){conflict}",
            t = self.table
        ));
        out
    }

    /// The summary row (version 0) and the row of one version.
    pub(crate) fn rows_for(&self, namespace: &str, version: u64) -> String {
        format!(
            "SELECT version, name, checksum, status, statements_done, statements_total, error, \
             consent FROM {} WHERE namespace = {} AND version IN (0, {version}) ORDER BY version",
            self.table,
            self.literal(namespace)
        )
    }

    pub(crate) fn history(&self, namespace: &str) -> String {
        format!(
            "SELECT version, name, checksum, status, statements_done, statements_total, error, \
             consent FROM {} WHERE namespace = {} AND version > 0 ORDER BY version",
            self.table,
            self.literal(namespace)
        )
    }

    pub(crate) fn other_namespaces(&self, namespace: &str) -> String {
        format!(
            "SELECT COUNT(*) FROM {} WHERE namespace <> {} AND version > 0",
            self.table,
            self.literal(namespace)
        )
    }

    /// The user tables of the database, other than the history table.
    pub(crate) fn tables(&self) -> String {
        let name = self.literal(&self.table_name);
        match self.dialect {
            Dialect::Postgres => format!(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables \
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
                 AND table_schema NOT LIKE 'pg_temp%' AND table_name <> {name} ORDER BY 1"
            ),
            Dialect::Mysql => format!(
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name <> {name} ORDER BY 1"
            ),
            Dialect::Sqlite => format!(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> {name} ORDER BY 1"
            ),
        }
    }

    /// Deletes the row of a version and inserts a new one.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn put_row(
        &self,
        namespace: &str,
        version: u64,
        name: &str,
        checksum: &str,
        status: &str,
        done: usize,
        total: usize,
        duration_ms: Option<&str>,
        error: Option<&str>,
        consent: Option<&str>,
    ) -> String {
        let ns = self.literal(namespace);
        let finished = if status == "running" {
            "NULL"
        } else {
            self.now()
        };
        format!(
            "DELETE FROM {t} WHERE namespace = {ns} AND version = {version};\n\
             INSERT INTO {t} (namespace, version, name, checksum, status, started_at, finished_at, \
             duration_ms, statements_done, statements_total, error, consent) VALUES ({ns}, \
             {version}, {name}, {checksum}, {status}, {now}, {finished}, {duration}, {done}, \
             {total}, {error}, {consent})",
            t = self.table,
            name = self.literal(name),
            checksum = self.literal(checksum),
            status = self.literal(status),
            now = self.now(),
            duration = duration_ms.unwrap_or("NULL"),
            error = self.opt_literal(error),
            consent = self.opt_literal(consent),
        )
    }

    /// Writes the summary row of a namespace.
    pub(crate) fn put_summary(&self, namespace: &str, summary: &str) -> String {
        let ns = self.literal(namespace);
        format!(
            "DELETE FROM {t} WHERE namespace = {ns} AND version = 0;\n\
             INSERT INTO {t} (namespace, version, name, checksum, status, finished_at, \
             statements_done, statements_total) VALUES ({ns}, 0, 'summary', {sum}, 'summary', \
             {now}, 0, 0)",
            t = self.table,
            sum = self.literal(summary),
            now = self.now(),
        )
    }

    pub(crate) fn set_done(&self, namespace: &str, version: u64, done: usize) -> String {
        format!(
            "UPDATE {} SET statements_done = {done} WHERE namespace = {} AND version = {version}",
            self.table,
            self.literal(namespace)
        )
    }

    pub(crate) fn set_status(
        &self,
        namespace: &str,
        version: u64,
        status: &str,
        duration_ms: Option<u128>,
        error: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET status = {}, finished_at = {}, duration_ms = {}, error = {} \
             WHERE namespace = {} AND version = {version}",
            self.table,
            self.literal(status),
            self.now(),
            duration_ms.map_or_else(|| "NULL".to_owned(), |d| d.to_string()),
            self.opt_literal(error),
            self.literal(namespace)
        )
    }

    /// The milliseconds since the transaction started (PostgreSQL, inside the batch).
    pub(crate) fn pg_elapsed_ms() -> &'static str {
        "(extract(epoch from clock_timestamp() - now()) * 1000)::bigint"
    }

    /// A query answering 1 when the table has a row.
    pub(crate) fn has_rows(&self, schema: Option<&str>, table: &str) -> String {
        let t = match schema {
            Some(s) => format!("{}.{}", self.ident(s), self.ident(table)),
            None => self.ident(table),
        };
        format!("SELECT CASE WHEN EXISTS (SELECT 1 FROM {t}) THEN 1 ELSE 0 END")
    }

    /// A PostgreSQL block, run in the migration's transaction, that fails if the table gained
    /// rows since the plan found it empty.
    pub(crate) fn pg_still_empty(&self, schema: Option<&str>, table: &str) -> String {
        let t = match schema {
            Some(s) => format!("{}.{}", self.ident(s), self.ident(table)),
            None => self.ident(table),
        };
        let quoted = t.replace('\'', "''");
        format!(
            "DO $driftless$ DECLARE found boolean; BEGIN \
             IF to_regclass('{quoted}') IS NOT NULL THEN \
             EXECUTE 'SELECT EXISTS (SELECT 1 FROM {quoted})' INTO found; \
             IF found THEN RAISE EXCEPTION 'table {quoted} is no longer empty: the migration needs consent'; \
             END IF; END IF; END $driftless$"
        )
    }
}
