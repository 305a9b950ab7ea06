//! Applying embedded migrations. This file holds the options and the run's outline; the parts
//! live beside it by responsibility:
//! - `check`: the checks before anything runs (the plan is validated whole, so a refusal
//!   applies nothing), consent;
//! - `identity`: which objects a run created and which pre-existing tables it renamed, so
//!   consent follows a table rather than its name;
//! - `apply`: applying one migration, one match over the strategy (PostgreSQL batch, SQLite
//!   immediate transaction, intent log);
//! - `repair`: status, plan, resolve, baseline, and the upgrade of older history formats;
//! - `summary`: the per-namespace summary the no-op boot compares;
//! - `revert` (feature `load`): running down files back to a version;
//! - `adopt` (feature `load`): another tool's history taken over, its checksums verified.

#[cfg(feature = "load")]
mod adopt;
mod apply;
mod check;
mod identity;
mod repair;
#[cfg(feature = "load")]
mod revert;
mod summary;

use std::sync::Arc;
use std::time::Duration;

use crate::backend::{Conn, Db, HistoryRow, Pool, Sql};
use crate::error::{Error, ErrorKind};
use crate::migrations::{Dialect, Migrations};

#[cfg(feature = "load")]
pub use adopt::{AdoptedMigration, Adoption, Tool, Verification};
pub use check::CONSENT_ENV;
#[cfg(feature = "load")]
pub use revert::{RevertReport, Reverted};

impl Migrations {
    /// Applies pending migrations with default options and the consents of
    /// `DRIFTLESS_ALLOW_DESTRUCTIVE`.
    pub async fn migrate<P: Pool>(&self, pool: &P) -> Result<Report, Error> {
        self.migrator().consent_env().run(pool).await
    }

    /// Options for applying, status and repair.
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator {
            migrations: self,
            consents: Vec::new(),
            consent_error: None,
            name_error: None,
            allow_drafts: false,
            allow_unknown_applied: false,
            allow_out_of_order: false,
            acquire_timeout: Duration::from_secs(60),
            statement_timeout: None,
            table: DEFAULT_TABLE.to_owned(),
            schema: None,
            refuse_drift: false,
            progress: None,
            allow_release_revert: false,
        }
    }

    /// Compares the database with the schema its applied history produces (read-only; the
    /// `drift` feature). See [`Migrator::drift`].
    #[cfg(feature = "drift")]
    pub async fn drift<P: Pool>(&self, pool: &P) -> Result<crate::drift::Drift, Error> {
        self.migrator().drift(pool).await
    }

    /// What is applied, pending, failed or drifted (read-only).
    pub async fn status<P: Pool>(&self, pool: &P) -> Result<Status, Error> {
        self.migrator().status(pool).await
    }

    /// What would run and which consents it needs (read-only).
    pub async fn plan<P: Pool>(&self, pool: &P) -> Result<Plan, Error> {
        self.migrator().consent_env().plan(pool).await
    }
}

/// The history table's default name.
const DEFAULT_TABLE: &str = "_driftless_migrations";

/// Options for one run; build with [`Migrations::migrator`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Migrator<'a> {
    pub(crate) migrations: &'a Migrations,
    consents: Vec<(Option<String>, u64)>,
    consent_error: Option<String>,
    name_error: Option<String>,
    allow_drafts: bool,
    allow_unknown_applied: bool,
    allow_out_of_order: bool,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
    table: String,
    schema: Option<String>,
    #[cfg_attr(not(feature = "drift"), allow(dead_code))]
    refuse_drift: bool,
    progress: Option<ProgressHook<'a>>,
    #[cfg_attr(not(feature = "load"), allow(dead_code))]
    allow_release_revert: bool,
}

/// The callback of [`Migrator::on_progress`].
#[derive(Clone)]
struct ProgressHook<'a>(Arc<dyn Fn(Progress) + Send + Sync + 'a>);

impl std::fmt::Debug for ProgressHook<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

/// The progress of a run, reported to [`Migrator::on_progress`] as it happens.
///
/// Every applied migration reports `MigrationStarted`, then `MigrationApplied`. Statements are
/// reported one by one (`StatementDone`) only where they run one by one: MySQL/MariaDB and
/// `no-transaction` files (the intent log). A PostgreSQL migration runs as one batch (one round
/// trip) and a SQLite one as one transaction, so they report no statement in between. A
/// migration that fails or is refused reports no `MigrationApplied`; the run's `Err` says why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A migration is about to run.
    #[non_exhaustive]
    MigrationStarted {
        /// Its version.
        version: u64,
        /// Its description (`add_email`).
        description: String,
        /// How many statements it has.
        statements: usize,
    },
    /// A statement of the running migration completed (and is recorded in the history).
    #[non_exhaustive]
    StatementDone {
        /// The migration's version.
        version: u64,
        /// How many of its statements completed.
        done: usize,
        /// How many statements it has.
        total: usize,
    },
    /// A migration was applied and recorded.
    #[non_exhaustive]
    MigrationApplied {
        /// Its version.
        version: u64,
        /// How long it took.
        duration: Duration,
        /// Whether it ran with the operator's consent.
        consent: bool,
    },
}

/// What a run applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The migrations applied, in order.
    pub applied: Vec<Applied>,
}

/// One applied migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Its version.
    pub version: u64,
    /// Its description.
    pub description: String,
    /// How long it took.
    pub duration: Duration,
    /// How many statements ran.
    pub statements: usize,
    /// Whether it ran with the operator's consent (recorded in the history).
    pub consent: bool,
}

impl Report {
    /// The versions that ran with consent.
    pub fn consents_used(&self) -> Vec<u64> {
        self.applied
            .iter()
            .filter(|a| a.consent)
            .map(|a| a.version)
            .collect()
    }
}

/// A read-only view of the history against the embedded migrations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Whether the history table exists.
    pub table_exists: bool,
    /// Versions recorded `applied` or `baselined`.
    pub applied: Vec<u64>,
    /// Embedded versions not applied yet.
    pub pending: Vec<u64>,
    /// Pending versions that are drafts.
    pub drafts: Vec<u64>,
    /// Pending versions older than the newest applied one (a run refuses them unless
    /// `allow_out_of_order`).
    pub out_of_order: Vec<u64>,
    /// Rows `failed` or `running`: `(version, status, statements done, total, error)`.
    pub failed: Vec<(u64, String, u64, u64, Option<String>)>,
    /// Applied versions whose checksum differs from the embedded one.
    pub checksum_mismatches: Vec<u64>,
    /// Applied versions unknown to this binary.
    pub unknown_applied: Vec<u64>,
    /// The database compared with the schema its applied history produces (the `drift`
    /// feature).
    #[cfg(feature = "drift")]
    pub drift: Option<crate::drift::Drift>,
}

impl Status {
    /// Whether an operator should look before the next deploy: no history table yet, failed or
    /// interrupted rows, edited or unknown applied migrations, out-of-order or draft pending
    /// migrations. Pending migrations in order are the normal state before a deploy and do not
    /// count. `driftless status` exits 1 when this is true.
    pub fn needs_attention(&self) -> bool {
        !self.table_exists
            || !self.failed.is_empty()
            || !self.checksum_mismatches.is_empty()
            || !self.unknown_applied.is_empty()
            || !self.out_of_order.is_empty()
            || !self.drafts.is_empty()
            || self.has_drift()
    }

    /// Whether the status found drift.
    pub fn has_drift(&self) -> bool {
        #[cfg(feature = "drift")]
        return self.drift.as_ref().is_some_and(|d| d.has_drift());
        #[cfg(not(feature = "drift"))]
        false
    }
}

/// What a run would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// The migrations that would run, in order.
    pub migrations: Vec<Planned>,
    /// Why the run would be refused, if it would.
    pub refusal: Option<String>,
}

/// One migration of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Planned {
    /// Its version.
    pub version: u64,
    /// Its description.
    pub description: String,
    /// Its data-loss hazards, as messages.
    pub hazards: Vec<String>,
    /// Whether it needs consent that was not given.
    pub needs_consent: bool,
    /// Whether consent was given for it.
    pub consent: bool,
}

/// Whether `name` may name a history table or schema: an ASCII identifier of at most 63 bytes
/// (PostgreSQL's limit), so it is the same name on every database and in every command line.
pub(crate) fn valid_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

/// Whether `name` may name a namespace: empty (the application's), or up to 63 ASCII letters,
/// digits, `_`, `-` and `.` (no `:`, which separates a namespace from a version in consents).
pub(crate) fn valid_namespace(name: &str) -> bool {
    name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl<'a> Migrator<'a> {
    /// Consents to one migration (`"3"` or `"namespace:3"`). A bare version is the
    /// application's (default) namespace only.
    pub fn consent(mut self, version: impl AsRef<str>) -> Self {
        match check::parse_consent(version.as_ref()) {
            Ok(mut list) => self.consents.append(&mut list),
            Err(e) => self.consent_error = Some(e),
        }
        self
    }

    /// Adds the consents of `DRIFTLESS_ALLOW_DESTRUCTIVE`; a malformed value fails the run.
    pub fn consent_env(mut self) -> Self {
        if let Ok(value) = std::env::var(CONSENT_ENV) {
            match check::parse_consent(&value) {
                Ok(mut list) => self.consents.append(&mut list),
                Err(e) => self.consent_error = Some(format!("{CONSENT_ENV}: {e}")),
            }
        }
        self
    }

    /// Lets a release binary apply draft migrations.
    pub fn allow_drafts(mut self, yes: bool) -> Self {
        self.allow_drafts = yes;
        self
    }

    /// Accepts applied migrations this binary does not know (rolling deploys).
    pub fn allow_unknown_applied(mut self, yes: bool) -> Self {
        self.allow_unknown_applied = yes;
        self
    }

    /// Applies pending migrations older than the newest applied one.
    pub fn allow_out_of_order(mut self, yes: bool) -> Self {
        self.allow_out_of_order = yes;
        self
    }

    /// How long to wait for the migration lock, and for a connection (default 60 s). On SQLite
    /// it is also how long a write waits for another connection's write lock.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// A timeout for each statement and its lock waits (PostgreSQL `statement_timeout` and
    /// `lock_timeout`, MySQL `lock_wait_timeout`).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Refuse to apply pending migrations on top of drift: before the first one runs, compare
    /// the database with the schema its history produces and fail with [`ErrorKind::Drift`] on
    /// any difference (the `drift` feature). The no-op boot is unchanged: one statement, no
    /// comparison, since nothing is applied.
    #[cfg(feature = "drift")]
    pub fn refuse_drift(mut self, yes: bool) -> Self {
        self.refuse_drift = yes;
        self
    }

    /// Calls `callback` as the run progresses (see [`Progress`]): to show which migration and
    /// statement a long deploy is at. It runs on the task that runs the migrations, between
    /// database calls, so it should return quickly. The no-op boot calls it never: nothing
    /// runs.
    ///
    /// ```no_run
    /// # async fn f<P: driftless::Pool>(m: &driftless::Migrations, pool: &P) -> Result<(), driftless::Error> {
    /// use driftless::Progress;
    /// m.migrator()
    ///     .on_progress(|p| match p {
    ///         Progress::MigrationStarted { version, description, .. } => {
    ///             eprintln!("applying {version} {description}")
    ///         }
    ///         Progress::StatementDone { done, total, .. } => eprintln!("  {done}/{total}"),
    ///         _ => {}
    ///     })
    ///     .run(pool)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn on_progress(mut self, callback: impl Fn(Progress) + Send + Sync + 'a) -> Self {
        self.progress = Some(ProgressHook(Arc::new(callback)));
        self
    }

    /// Reports progress, building the event only when someone listens.
    pub(crate) fn report(&self, event: impl FnOnce() -> Progress) {
        if let Some(hook) = &self.progress {
            (hook.0)(event());
        }
    }

    /// Lets a release binary (built without debug assertions) revert with
    /// [`Migrator::revert_to`]; without it a release binary refuses
    /// ([`ErrorKind::ReleaseRevert`]). Reverting runs down files, which usually drop tables:
    /// it is a development operation, or an operator's explicit one (`driftless revert --yes`).
    #[cfg(feature = "load")]
    pub fn allow_release_revert(mut self, yes: bool) -> Self {
        self.allow_release_revert = yes;
        self
    }

    /// The history table's name (default `_driftless_migrations`): an ASCII identifier
    /// (letters, digits, `_`, `$`, not starting with a digit) of at most 63 bytes. Any other
    /// name fails every call with [`ErrorKind::InvalidName`].
    pub fn table(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.check_identifier("table", &name);
        self.table = name;
        self
    }

    fn check_identifier(&mut self, what: &str, name: &str) {
        if !valid_identifier(name) {
            self.name_error = Some(format!(
                "invalid history {what} name {name:?}: use ASCII letters, digits, `_` and `$`, \
                 not starting with a digit, at most 63 bytes"
            ));
        }
    }

    /// The history table's schema (PostgreSQL schema, MySQL database, SQLite attached
    /// database), with the same rule as [`Migrator::table`].
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        let schema = schema.into();
        self.check_identifier("schema", &schema);
        self.schema = Some(schema);
        self
    }

    /// How long to wait for a connection (and the migration lock).
    #[cfg(feature = "drift")]
    pub(crate) fn acquire_timeout_value(&self) -> Duration {
        self.acquire_timeout
    }

    fn namespace(&self) -> &str {
        self.migrations.namespace()
    }

    pub(crate) fn sql(&self, dialect: Dialect) -> Sql {
        Sql::new(dialect, self.schema.as_deref(), &self.table)
    }

    fn lock_key(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) => format!("driftless\0{}\0{}", self.table, ns),
            None => format!("driftless\0{}", self.table),
        }
    }

    /// `driftless <command> ... migrations` as an operator would type it, with every option
    /// that locates this history.
    fn command(&self, args: &str) -> String {
        let mut options = String::new();
        if !self.namespace().is_empty() {
            options.push_str(&format!(" --namespace {}", self.namespace()));
        }
        if self.table != DEFAULT_TABLE {
            options.push_str(&format!(" --table {}", self.table));
        }
        if let Some(schema) = &self.schema {
            options.push_str(&format!(" --schema {schema}"));
        }
        format!("`driftless {args}{options} --database-url \"$DATABASE_URL\" migrations`")
    }

    /// What every call checks before it talks to the database: the dialect, the names, the
    /// consents.
    pub(crate) fn preflight(&self, db: &Db) -> Result<(), Error> {
        let dialect = db.dialect();
        if dialect != self.migrations.dialect() {
            return Err(Error::new(
                ErrorKind::DialectMismatch,
                format!(
                    "these migrations were checked for {}, but the database is {}; \
                     embed a folder written for {}",
                    self.migrations.dialect(),
                    dialect,
                    dialect
                ),
            ));
        }
        if let Some(e) = &self.name_error {
            return Err(Error::new(ErrorKind::InvalidName, e.clone()));
        }
        if !valid_namespace(self.namespace()) {
            return Err(Error::new(
                ErrorKind::InvalidName,
                format!(
                    "invalid namespace {:?}: use ASCII letters, digits, `_`, `-` and `.`, at \
                     most 63 bytes",
                    self.namespace()
                ),
            ));
        }
        if let Some(e) = &self.consent_error {
            return Err(Error::new(ErrorKind::InvalidConsent, e.clone()));
        }
        Ok(())
    }

    /// Applies pending migrations.
    pub async fn run<P: Pool>(self, pool: &P) -> Result<Report, Error> {
        let db = pool.__db();
        self.preflight(&db)?;
        let sql = self.sql(db.dialect());
        let expected = self.migrations.summary();
        // The no-op boot: one read-only statement. Any mismatch, or an error such as a missing
        // table, takes the slow path, which reports real problems.
        let table_exists = match db.summary(sql.summary(self.namespace())).await {
            Ok(Some(found)) if found == expected => {
                self.warn_unused_consents(&[]);
                return Ok(Report::default());
            }
            Ok(_) => true,
            Err(_) => false,
        };
        let mut conn = db.open(self.acquire_timeout).await?;
        let mut sql = sql;
        let result = self.slow_path(&mut conn, &mut sql, table_exists).await;
        match &result {
            // Release explicitly on success; on failure closing the connection releases it.
            Ok(_) => {
                let _ = conn
                    .unlock(&sql, &self.lock_key(Some(self.namespace())))
                    .await;
                conn.finish().await;
            }
            Err(_) => conn.finish().await,
        }
        result
    }

    /// Creates the history table if needed and takes the namespace's lock.
    async fn lock_history(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        table_exists: bool,
    ) -> Result<(), Error> {
        if !table_exists {
            let global = self.lock_key(None);
            conn.lock(sql, &global, self.acquire_timeout).await?;
            let created = conn.execute(sql.create_table(self.schema.as_deref())).await;
            conn.unlock(sql, &global).await?;
            created.map_err(|e| self.write_error("cannot create the history table", e))?;
        }
        conn.lock(
            sql,
            &self.lock_key(Some(self.namespace())),
            self.acquire_timeout,
        )
        .await
    }

    /// A failed write: on SQLite, waiting for another connection's write lock past
    /// `acquire_timeout` is a lock timeout, not a database error.
    fn write_error(&self, context: &str, e: sqlx::Error) -> Error {
        if self.migrations.dialect() == Dialect::Sqlite && crate::backend::is_busy(&e) {
            return crate::backend::lock_timeout(self.acquire_timeout).with_source(e);
        }
        Error::database(context, e)
    }

    /// The history table named with its schema, so that a migration that changes the session's
    /// `search_path` (as pg_dump output does) or current database cannot move it.
    async fn pin_schema(&self, conn: &mut Conn, sql: Sql) -> Result<Sql, Error> {
        if self.schema.is_some() {
            return Ok(sql);
        }
        let Some(query) = sql.current_schema() else {
            return Ok(sql);
        };
        let schema = conn
            .strings(query.to_owned())
            .await
            .map_err(|e| Error::database("cannot read the current schema", e))?;
        Ok(match schema.into_iter().next() {
            Some(schema) => Sql::new(sql.dialect, Some(&schema), &self.table),
            None => sql,
        })
    }

    async fn slow_path(
        &self,
        conn: &mut Conn,
        sql: &mut Sql,
        table_exists: bool,
    ) -> Result<Report, Error> {
        *sql = self.pin_schema(conn, sql.clone()).await?;
        let sql = &*sql;
        self.lock_history(conn, sql, table_exists).await?;
        self.set_statement_timeout(conn, sql).await?;
        // Another replica may have applied everything while this one waited for the lock.
        let (current, old) = self.summaries(conn, sql).await?;
        match old {
            Some(old) => self.upgrade_history(conn, sql, &old).await?,
            None if current.as_deref() == Some(&self.migrations.summary()) => {
                self.warn_unused_consents(&[]);
                return Ok(Report::default());
            }
            None => {}
        }
        // SQLite reads the history, the tables and their emptiness in one snapshot.
        let snapshot = sql.dialect == Dialect::Sqlite;
        if snapshot {
            conn.execute("BEGIN".to_owned())
                .await
                .map_err(|e| Error::database("cannot read the history", e))?;
        }
        let checked = self.read_and_check(conn, sql).await;
        if snapshot {
            let _ = conn.execute("ROLLBACK".to_owned()).await;
        }
        let (history, checked) = checked?;
        let checked = checked?;
        #[cfg(feature = "drift")]
        if self.refuse_drift && !checked.pending.is_empty() {
            let drift = self.drift_on(conn, sql).await?;
            if drift.has_drift() {
                let first: Vec<String> = drift
                    .report
                    .drift
                    .iter()
                    .take(3)
                    .map(|d| d.summary())
                    .collect();
                return Err(Error::new(
                    ErrorKind::Drift,
                    format!(
                        "refusing to apply {} migration(s): the database has drifted from its                          history ({} difference(s): {}{}); see them with `driftless drift                          --database-url <url>` and capture them with `driftless diff`, or                          revert them",
                        checked.pending.len(),
                        drift.report.drift.len(),
                        first.join("; "),
                        if drift.report.drift.len() > 3 {
                            "; …"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        self.warn_unused_consents(&checked.pending);
        let mut applied = summary::applied_map(&history);
        let mut report = Report::default();
        let count = checked.pending.len();
        for (i, (migration, waiver)) in checked.pending.iter().enumerate() {
            if let Some(done) = self
                .apply(conn, sql, migration, waiver, &mut applied, i + 1 == count)
                .await?
            {
                report.applied.push(done);
            }
        }
        let summary = summary::of_applied(&applied);
        if checked.pending.is_empty() && current.as_deref() != Some(&summary) {
            // Nothing ran, but the summary row was missing or stale (an older format, a
            // baseline): rewrite it so the next boot is one statement.
            let text = self.transaction(sql, sql.put_summary(self.namespace(), &summary));
            conn.execute(text)
                .await
                .map_err(|e| self.write_error("cannot update the history summary", e))?;
        }
        Ok(report)
    }

    /// Applies `statement_timeout` to the run's session.
    async fn set_statement_timeout(&self, conn: &mut Conn, sql: &Sql) -> Result<(), Error> {
        let Some(timeout) = self.statement_timeout else {
            return Ok(());
        };
        let ms = timeout.as_millis();
        let set = match sql.dialect {
            Dialect::Postgres => format!("SET statement_timeout = {ms}; SET lock_timeout = {ms}"),
            Dialect::Mysql => format!(
                "SET SESSION lock_wait_timeout = {}",
                timeout.as_secs().max(1)
            ),
            Dialect::Sqlite => return Ok(()),
        };
        conn.execute(set)
            .await
            .map_err(|e| Error::database("cannot set the statement timeout", e))
    }

    fn transaction(&self, sql: &Sql, body: String) -> String {
        match sql.dialect {
            Dialect::Mysql => format!("START TRANSACTION;\n{body};\nCOMMIT"),
            Dialect::Sqlite => format!("BEGIN IMMEDIATE;\n{body};\nCOMMIT"),
            Dialect::Postgres => format!("BEGIN;\n{body};\nCOMMIT"),
        }
    }

    async fn read_history(&self, conn: &mut Conn, sql: &Sql) -> Result<Vec<HistoryRow>, Error> {
        conn.history(sql.history(self.namespace()))
            .await
            .map_err(|e| Error::database("cannot read the history", e))
    }

    #[allow(clippy::type_complexity)]
    async fn read_and_check(
        &self,
        conn: &mut Conn,
        sql: &Sql,
    ) -> Result<(Vec<HistoryRow>, Result<check::Checked<'a>, Error>), Error> {
        let history = self.read_history(conn, sql).await?;
        let checked = self.check(conn, sql, &history).await;
        Ok((history, checked))
    }
}
