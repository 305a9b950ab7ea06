//! The three databases behind one enum: the SQL of the history table, locks and applying.
//!
//! Every query is built as text with quoted identifiers and literals and sent through `raw_sql`,
//! so PostgreSQL uses the simple-query protocol: one round trip per call, no prepare. Literals are
//! written in a form each server reads the same way under any setting: PostgreSQL `E'...'`
//! (whatever `standard_conforming_strings` says), MySQL hexadecimal (whatever `sql_mode` says),
//! SQLite `'...'` (it has no escapes). Identifiers come from validated names
//! ([`crate::migrator`]) or from the analysis, and are always quoted.

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
pub(crate) struct LiteConn {
    conn: Option<sqlx::pool::PoolConnection<Sqlite>>,
    /// The connection's `busy_timeout` before the run raised it to `acquire_timeout`.
    busy_timeout: Option<i64>,
}

#[cfg(feature = "sqlite")]
impl LiteConn {
    fn get(&mut self) -> &mut sqlx::SqliteConnection {
        // Only `finish` and `drop` take the connection out, and both consume the wrapper.
        self.conn.as_deref_mut().expect("a live SQLite connection")
    }

    /// Ends any transaction a failed step left open, restores the busy timeout, then returns the
    /// connection to the pool.
    async fn finish(mut self) {
        if let Some(mut conn) = self.conn.take() {
            // Harmless when no transaction is open.
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            if let Some(ms) = self.busy_timeout.take() {
                let restore = format!("PRAGMA busy_timeout = {ms}");
                let _ = sqlx::raw_sql(AssertSqlSafe(restore))
                    .execute(&mut *conn)
                    .await;
            }
        }
    }
}

#[cfg(feature = "sqlite")]
impl Drop for LiteConn {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let restore = self
            .busy_timeout
            .take()
            .map(|ms| format!("PRAGMA busy_timeout = {ms}"));
        // Dropped mid-run: roll back before the pool sees the connection again, or close it.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                    if let Some(restore) = restore {
                        let _ = sqlx::raw_sql(AssertSqlSafe(restore))
                            .execute(&mut *conn)
                            .await;
                    }
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

/// The state of a migration's history row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RowStatus {
    /// Claimed by the intent log; `statements_done` says how far it got.
    Running,
    /// Applied by a run.
    Applied,
    /// Failed and rolled back (or, without a transaction, stopped at a statement).
    Failed,
    /// Resolved by an operator as undone: it runs again.
    RolledBack,
    /// Recorded as applied without running (`baseline`).
    Baselined,
    /// Not a migration: a namespace's summary row (bookkeeping, see [`SUMMARY_VERSION`]).
    Summary,
}

impl RowStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RowStatus::Running => "running",
            RowStatus::Applied => "applied",
            RowStatus::Failed => "failed",
            RowStatus::RolledBack => "rolled_back",
            RowStatus::Baselined => "baselined",
            RowStatus::Summary => "summary",
        }
    }

    fn parse(text: &str) -> Option<RowStatus> {
        Some(match text {
            "running" => RowStatus::Running,
            "applied" => RowStatus::Applied,
            "failed" => RowStatus::Failed,
            "rolled_back" => RowStatus::RolledBack,
            "baselined" => RowStatus::Baselined,
            "summary" => RowStatus::Summary,
            _ => return None,
        })
    }

    /// Applied or baselined: its changes are in the database.
    pub(crate) fn is_applied(self) -> bool {
        matches!(self, RowStatus::Applied | RowStatus::Baselined)
    }

    /// Failed or running: nothing else runs until an operator resolves it.
    pub(crate) fn blocks(self) -> bool {
        matches!(self, RowStatus::Failed | RowStatus::Running)
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub status: RowStatus,
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
                let pooled = tokio::time::timeout(timeout, pool.acquire())
                    .await
                    .map_err(|_| connect_timeout(timeout))?
                    .map_err(|e| acquire_error(context, timeout, e))?;
                // Taken out of the pool for good (an established connection, with the pool's
                // `after_connect` settings): it carries the advisory lock and session settings,
                // so it is closed at the end of the run, never handed back.
                let mut conn = pooled.detach();
                // A batch keeps running on the server after the client is gone, holding the
                // lock; PostgreSQL 14+ can notice the closed socket and abort it. Older servers
                // reject the setting, which is harmless.
                let _ = sqlx::raw_sql("SET client_connection_check_interval = 100")
                    .execute(&mut conn)
                    .await;
                Conn::Pg(conn)
            }
            #[cfg(feature = "mysql")]
            Db::My(pool) => {
                let mut conn = tokio::time::timeout(timeout, pool.acquire())
                    .await
                    .map_err(|_| connect_timeout(timeout))?
                    .map_err(|e| acquire_error(context, timeout, e))?;
                // The connection may carry a named lock and session settings: close it rather
                // than hand it back, whatever happens (a dropped future included).
                conn.close_on_drop();
                Conn::My(conn)
            }
            #[cfg(feature = "sqlite")]
            Db::Lite(pool) => Conn::Lite(LiteConn {
                conn: Some(
                    tokio::time::timeout(timeout, pool.acquire())
                        .await
                        .map_err(|_| connect_timeout(timeout))?
                        .map_err(|e| acquire_error(context, timeout, e))?,
                ),
                busy_timeout: None,
            }),
        };
        Ok(conn)
    }
}

/// The database did not answer in time: not a lock held by someone else.
pub(crate) fn connect_timeout(timeout: Duration) -> Error {
    Error::new(
        ErrorKind::ConnectTimeout,
        format!(
            "cannot connect to the database within {timeout:?}: check that it is reachable and \
             that the pool has a free connection, or raise `acquire_timeout`"
        ),
    )
}

fn acquire_error(context: &str, timeout: Duration, e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => connect_timeout(timeout),
        e => Error::database(context, e),
    }
}

/// Whether SQLite answered that another connection holds the write lock.
pub(crate) fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("5" | "517" | "261" | "6"))
                || db.message().contains("database is locked")
        }
        _ => false,
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

    /// Runs a query (possibly after statements that return no rows) and reads every column of
    /// every row as nullable text: the SQL casts each column to text (`::text`, `CAST(… AS
    /// CHAR)`, `CAST(… AS TEXT)`), so decoding is the same on every database.
    #[cfg(feature = "drift")]
    pub(crate) async fn rows(
        &mut self,
        sql: String,
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        with_conn!(self, |c| {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_all(&mut *c).await?;
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        })
    }

    /// Reads history rows selected by [`Sql::history`].
    pub(crate) async fn history(&mut self, sql: String) -> Result<Vec<HistoryRow>, sqlx::Error> {
        with_conn!(self, |c| {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_all(&mut *c).await?;
            rows.iter()
                .map(|r| {
                    let status: String = r.try_get(3)?;
                    Ok(HistoryRow {
                        version: r.try_get(0)?,
                        name: r.try_get(1)?,
                        checksum: r.try_get(2)?,
                        status: RowStatus::parse(&status).ok_or_else(|| {
                            sqlx::Error::Decode(format!("unknown history status `{status}`").into())
                        })?,
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

    /// Takes the lock of `key`, waiting on the server up to `timeout`: PostgreSQL
    /// `pg_advisory_lock` under `lock_timeout` (a waiter wakes as soon as the lock is free),
    /// MySQL `GET_LOCK`. SQLite has no session lock: it raises `busy_timeout` to `timeout` for
    /// the run and takes `BEGIN IMMEDIATE` per migration.
    pub(crate) async fn lock(
        &mut self,
        sql: &Sql,
        key: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        let context = "cannot take the migration lock";
        match sql.dialect {
            Dialect::Postgres => {
                // The settings are transaction-local, so an error or a timeout leaves the session
                // as it was; the advisory lock is the session's and outlives the COMMIT.
                let query = format!(
                    "BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = 0; \
                     SELECT pg_advisory_lock({}); COMMIT",
                    timeout.as_millis().clamp(1, i32::MAX as u128),
                    pg_key(key)
                );
                match self.execute(query).await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let _ = self.execute("ROLLBACK".to_owned()).await;
                        if sql_state(&e).as_deref() == Some("55P03") {
                            Err(lock_timeout(timeout))
                        } else {
                            Err(Error::database(context, e))
                        }
                    }
                }
            }
            Dialect::Mysql => {
                let query = format!(
                    "SELECT GET_LOCK({}, {})",
                    sql.mysql_lock_name(key),
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
            Dialect::Sqlite => {
                #[cfg(feature = "sqlite")]
                if let Conn::Lite(lite) = self
                    && lite.busy_timeout.is_none()
                {
                    let old = sqlx::raw_sql("PRAGMA busy_timeout")
                        .fetch_optional(lite.get())
                        .await
                        .map_err(|e| Error::database(context, e))?
                        .and_then(|row| row.try_get::<i64, _>(0).ok())
                        .unwrap_or(5000);
                    let ms = timeout.as_millis().min(i32::MAX as u128);
                    sqlx::raw_sql(AssertSqlSafe(format!("PRAGMA busy_timeout = {ms}")))
                        .execute(lite.get())
                        .await
                        .map_err(|e| Error::database(context, e))?;
                    lite.busy_timeout = Some(old);
                }
                Ok(())
            }
        }
    }

    /// Releases the lock of `key`.
    pub(crate) async fn unlock(&mut self, sql: &Sql, key: &str) -> Result<(), Error> {
        let query = match sql.dialect {
            Dialect::Postgres => format!("SELECT pg_advisory_unlock({})", pg_key(key)),
            Dialect::Mysql => format!("SELECT RELEASE_LOCK({})", sql.mysql_lock_name(key)),
            Dialect::Sqlite => return Ok(()),
        };
        self.execute(query)
            .await
            .map_err(|e| Error::database("cannot release the migration lock", e))
    }
}

/// The SQLSTATE of a database error.
pub(crate) fn sql_state(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
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

/// The SQL of the history table for one dialect, table name and schema.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub dialect: Dialect,
    /// The quoted, qualified table name.
    pub table: String,
    /// The unquoted table name, as stored in the catalog.
    pub table_name: String,
    /// The schema (MySQL: database) the history table lives in, when known.
    pub schema: Option<String>,
}

/// The format version of the history table, recorded in its meta row. Format 2 moved the
/// namespaces' summary rows from version 0 (which diesel's first migration uses) to
/// [`SUMMARY_VERSION`].
pub(crate) const FORMAT: i64 = 2;

/// The version of the meta row (namespace `''`): the format.
pub(crate) const META_VERSION: i64 = -1;
/// The version of each namespace's summary row. Bookkeeping rows have negative versions, so
/// they never share a key with a migration (versions are 0 or more).
pub(crate) const SUMMARY_VERSION: i64 = -2;

impl Sql {
    pub(crate) fn new(dialect: Dialect, schema: Option<&str>, table: &str) -> Sql {
        let mut sql = Sql {
            dialect,
            table: String::new(),
            table_name: table.to_owned(),
            schema: schema.map(str::to_owned),
        };
        sql.table = match schema {
            Some(schema) => format!("{}.{}", sql.ident(schema), sql.ident(table)),
            None => sql.ident(table),
        };
        sql
    }

    pub(crate) fn ident(&self, name: &str) -> String {
        match self.dialect {
            Dialect::Mysql => format!("`{}`", name.replace('\0', "").replace('`', "``")),
            _ => format!("\"{}\"", name.replace('\0', "").replace('"', "\"\"")),
        }
    }

    /// A string literal that reads back as `value` under any server setting.
    pub(crate) fn literal(&self, value: &str) -> String {
        let value = value.replace('\0', "");
        match self.dialect {
            // `E'...'` treats a backslash as an escape whatever `standard_conforming_strings`
            // says; both specials are escaped.
            Dialect::Postgres => format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''")),
            // Hexadecimal never depends on `sql_mode` (`NO_BACKSLASH_ESCAPES`, `ANSI_QUOTES`).
            Dialect::Mysql => {
                let hex: String = value.bytes().map(|b| format!("{b:02x}")).collect();
                format!("CONVERT(X'{hex}' USING utf8mb4)")
            }
            // SQLite has no escapes in literals.
            Dialect::Sqlite => format!("'{}'", value.replace('\'', "''")),
        }
    }

    pub(crate) fn opt_literal(&self, value: Option<&str>) -> String {
        value.map_or_else(|| "NULL".to_owned(), |v| self.literal(v))
    }

    /// The MySQL lock name of `key`, scoped to the database of the history table: a fixed
    /// prefix and a hash (names are limited to 64 characters).
    pub(crate) fn mysql_lock_name(&self, key: &str) -> String {
        let scope = match &self.schema {
            Some(schema) => self.literal(schema),
            None => "COALESCE(DATABASE(), '')".to_owned(),
        };
        format!(
            "CONCAT('driftless:', LEFT(SHA2(CONCAT({scope}, ':', '{:016x}'), 256), 40))",
            fnv64(key.as_bytes())
        )
    }

    /// The query for the schema the session resolves unqualified names in (MySQL: database).
    pub(crate) fn current_schema(&self) -> Option<&'static str> {
        match self.dialect {
            Dialect::Postgres => Some("SELECT current_schema() WHERE current_schema() IS NOT NULL"),
            Dialect::Mysql => Some("SELECT DATABASE() FROM DUAL WHERE DATABASE() IS NOT NULL"),
            Dialect::Sqlite => None,
        }
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
            "SELECT checksum FROM {} WHERE namespace = {} AND version = {SUMMARY_VERSION}",
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
             statements_total) VALUES ('', {META_VERSION}, 'format', '{FORMAT}', 'meta', 0, 0)\
             {conflict}",
            t = self.table
        ));
        out
    }

    /// The namespace's summary rows: format 2's at [`SUMMARY_VERSION`], and format 1's at
    /// version 0 if an older driftless left one.
    pub(crate) fn summaries(&self, namespace: &str) -> String {
        format!(
            "SELECT {} FROM {} WHERE namespace = {} AND status = 'summary' AND version IN ({}, 0)",
            Sql::COLUMNS,
            self.table,
            self.literal(namespace),
            SUMMARY_VERSION
        )
    }

    /// Removes the namespace's format-1 summary row and records format 2.
    pub(crate) fn drop_old_summary(&self, namespace: &str) -> String {
        format!(
            "DELETE FROM {t} WHERE namespace = {ns} AND version = 0 AND status = 'summary';\n\
             UPDATE {t} SET checksum = '{FORMAT}' WHERE namespace = '' AND version = \
             {META_VERSION} AND checksum = '1'",
            t = self.table,
            ns = self.literal(namespace)
        )
    }

    const COLUMNS: &str = "version, name, checksum, status, statements_done, statements_total, \
                           error, consent";

    /// The summary row and the row of one version.
    pub(crate) fn rows_for(&self, namespace: &str, version: u64) -> String {
        format!(
            "SELECT {} FROM {} WHERE namespace = {} AND (version = {version} OR version = \
             {SUMMARY_VERSION}) ORDER BY version",
            Sql::COLUMNS,
            self.table,
            self.literal(namespace)
        )
    }

    /// The migration rows of a namespace (no bookkeeping rows).
    pub(crate) fn history(&self, namespace: &str) -> String {
        format!(
            "SELECT {} FROM {} WHERE namespace = {} AND version >= 0 AND status <> 'summary' \
             ORDER BY version",
            Sql::COLUMNS,
            self.table,
            self.literal(namespace)
        )
    }

    pub(crate) fn other_namespaces(&self, namespace: &str) -> String {
        format!(
            "SELECT COUNT(*) FROM {} WHERE namespace <> {} AND version >= 0 AND status <> \
             'summary'",
            self.table,
            self.literal(namespace)
        )
    }

    /// The user tables of the database, other than the history table. PostgreSQL leaves out
    /// tables that belong to an extension (PostGIS's `spatial_ref_sys`).
    pub(crate) fn tables(&self) -> String {
        let name = self.literal(&self.table_name);
        match self.dialect {
            Dialect::Postgres => format!(
                "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') \
                 AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
                 AND n.nspname NOT LIKE 'pg\\_temp%' AND n.nspname NOT LIKE 'pg\\_toast%' \
                 AND c.relname <> {name} \
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid \
                   AND d.deptype = 'e') \
                 ORDER BY 1"
            ),
            Dialect::Mysql => format!(
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' \
                 AND table_name <> {name} ORDER BY 1"
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
        status: RowStatus,
        done: usize,
        total: usize,
        duration_ms: Option<&str>,
        error: Option<&str>,
        consent: Option<&str>,
    ) -> String {
        let ns = self.literal(namespace);
        let finished = if status == RowStatus::Running {
            "NULL"
        } else {
            self.now()
        };
        format!(
            "DELETE FROM {t} WHERE namespace = {ns} AND version = {version};\n\
             INSERT INTO {t} (namespace, version, name, checksum, status, started_at, finished_at, \
             duration_ms, statements_done, statements_total, error, consent) VALUES ({ns}, \
             {version}, {name}, {checksum}, '{status}', {now}, {finished}, {duration}, {done}, \
             {total}, {error}, {consent})",
            t = self.table,
            name = self.literal(name),
            checksum = self.literal(checksum),
            status = status.as_str(),
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
            "DELETE FROM {t} WHERE namespace = {ns} AND version = {SUMMARY_VERSION};\n\
             INSERT INTO {t} (namespace, version, name, checksum, status, finished_at, \
             statements_done, statements_total) VALUES ({ns}, {SUMMARY_VERSION}, 'summary', \
             {sum}, 'summary', {now}, 0, 0)",
            t = self.table,
            sum = self.literal(summary),
            now = self.now(),
        )
    }

    /// Removes the history row of a version (a revert: the migration is pending again).
    #[cfg(feature = "load")]
    pub(crate) fn delete_row(&self, namespace: &str, version: u64) -> String {
        format!(
            "DELETE FROM {} WHERE namespace = {} AND version = {version}",
            self.table,
            self.literal(namespace)
        )
    }

    /// Marks an applied migration `running` while its down file runs outside a transaction
    /// (the revert's intent log): a crash leaves a row that blocks and says so in `note`.
    #[cfg(feature = "load")]
    pub(crate) fn mark_reverting(
        &self,
        namespace: &str,
        version: u64,
        total: usize,
        note: &str,
    ) -> String {
        format!(
            "UPDATE {} SET status = 'running', started_at = {}, finished_at = NULL, \
             duration_ms = NULL, statements_done = 0, statements_total = {total}, error = {} \
             WHERE namespace = {} AND version = {version}",
            self.table,
            self.now(),
            self.literal(note),
            self.literal(namespace)
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
        status: RowStatus,
        duration_ms: Option<u128>,
        error: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET status = '{}', finished_at = {}, duration_ms = {}, error = {} \
             WHERE namespace = {} AND version = {version}",
            self.table,
            status.as_str(),
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

    fn qualified(&self, schema: Option<&str>, table: &str) -> String {
        match schema {
            Some(s) => format!("{}.{}", self.ident(s), self.ident(table)),
            None => self.ident(table),
        }
    }

    /// A query answering 1 when the table has a row.
    pub(crate) fn has_rows(&self, schema: Option<&str>, table: &str) -> String {
        let t = self.qualified(schema, table);
        format!("SELECT CASE WHEN EXISTS (SELECT 1 FROM {t}) THEN 1 ELSE 0 END")
    }

    /// A PostgreSQL block, run in the migration's transaction, that fails with
    /// [`PG_NOT_EMPTY`] if the table gained rows since the plan found it empty, or no longer
    /// exists (a table the runtime cannot find is never taken as empty).
    pub(crate) fn pg_still_empty(&self, schema: Option<&str>, table: &str) -> String {
        let t = self.qualified(schema, table);
        let body = format!(
            " BEGIN IF to_regclass({name}) IS NULL THEN RAISE EXCEPTION USING ERRCODE = \
             '{PG_NOT_EMPTY}', MESSAGE = {message}; END IF; \
             IF EXISTS (SELECT 1 FROM {t}) THEN RAISE EXCEPTION USING ERRCODE = \
             '{PG_NOT_EMPTY}', MESSAGE = {message}; END IF; END ",
            name = self.literal(&t),
            message = self.literal(&format!("driftless: table {t} is not empty any more")),
        );
        // A dollar-quote tag the body does not contain.
        let mut n = 0u32;
        let tag = loop {
            let tag = format!("$driftless{n}$");
            if !body.contains(&tag) {
                break tag;
            }
            n += 1;
        };
        format!("DO {tag}{body}{tag}")
    }
}

/// The SQLSTATE [`Sql::pg_still_empty`] raises.
pub(crate) const PG_NOT_EMPTY: &str = "DLX01";
