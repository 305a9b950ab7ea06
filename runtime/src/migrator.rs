//! Applying embedded migrations: options, the no-op boot, the plan check, applying, repair.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::backend::{Conn, Db, HistoryRow, Pool, Sql, hash_words, is_missing_table};
use crate::error::{Error, ErrorKind};
use crate::migrations::{
    Dialect, Hazard, Migration, MigrationState, Migrations, ObjectKind, ObjectName,
};

/// The environment variable that lists consents: `[namespace:]version`, comma-separated.
pub const CONSENT_ENV: &str = "DRIFTLESS_ALLOW_DESTRUCTIVE";

/// Tables of other migration tools, recognised when a database has tables but no history.
const OTHER_TOOLS: &[(&str, &str)] = &[
    ("_sqlx_migrations", "sqlx"),
    ("__diesel_schema_migrations", "diesel"),
    ("_prisma_migrations", "Prisma"),
    ("refinery_schema_history", "refinery"),
    ("flyway_schema_history", "Flyway"),
];

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
            allow_drafts: false,
            allow_unknown_applied: false,
            allow_out_of_order: false,
            acquire_timeout: Duration::from_secs(60),
            statement_timeout: None,
            table: "_driftless_migrations".to_owned(),
            schema: None,
        }
    }

    /// What is applied, pending, failed or drifted (read-only).
    pub async fn status<P: Pool>(&self, pool: &P) -> Result<Status, Error> {
        self.migrator().status(pool).await
    }

    /// What would run and which consents it needs (read-only).
    pub async fn plan<P: Pool>(&self, pool: &P) -> Result<Plan, Error> {
        self.migrator().consent_env().plan(pool).await
    }

    /// The summary the no-op boot compares: count, newest version and a hash over the
    /// versions and checksums.
    fn summary(&self) -> String {
        summary_of(self.migrations.iter().map(|m| (m.version, *m.checksum())))
    }
}

/// `count:newest:hash` over versions and checksums, in version order.
fn summary_of(entries: impl Iterator<Item = (u64, [u8; 32])>) -> String {
    let mut count = 0usize;
    let mut newest = 0u64;
    let mut words = Vec::new();
    for (version, checksum) in entries {
        count += 1;
        newest = newest.max(version);
        words.push(version);
        for chunk in checksum.chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            words.push(u64::from_le_bytes(word));
        }
    }
    let hash = hash_words(words.into_iter());
    format!("{count}:{newest}:{hash:032x}")
}

/// The summary of applied rows (checksums as stored: hex).
fn summary(entries: impl Iterator<Item = (u64, String)>) -> String {
    summary_of(entries.map(|(v, hex)| (v, from_hex(&hex))))
}

/// The summary of `applied` plus `m`, without copying the map (this runs once per migration).
fn summary_with(applied: &BTreeMap<u64, String>, m: &Migration) -> String {
    let before = applied.range(..m.version).map(|(v, c)| (*v, from_hex(c)));
    let after = applied
        .range(m.version + 1..)
        .map(|(v, c)| (*v, from_hex(c)));
    summary_of(
        before
            .chain(std::iter::once((m.version, *m.checksum())))
            .chain(after),
    )
}

/// Parses a stored checksum; a malformed one hashes as its own bytes so it cannot match.
fn from_hex(hex: &str) -> [u8; 32] {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = hex.as_bytes();
    let mut out = [0u8; 32];
    if bytes.len() != 64 {
        return fallback(hex);
    }
    for (i, byte) in out.iter_mut().enumerate() {
        match (nibble(bytes[2 * i]), nibble(bytes[2 * i + 1])) {
            (Some(h), Some(l)) => *byte = h << 4 | l,
            _ => return fallback(hex),
        }
    }
    out
}

fn fallback(text: &str) -> [u8; 32] {
    let mut out = [0xffu8; 32];
    for (i, b) in text.bytes().enumerate() {
        out[i % 32] ^= b.rotate_left((i / 32) as u32);
    }
    out
}

/// Options for one run; build with [`Migrations::migrator`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Migrator<'a> {
    migrations: &'a Migrations,
    consents: Vec<(Option<String>, u64)>,
    consent_error: Option<String>,
    allow_drafts: bool,
    allow_unknown_applied: bool,
    allow_out_of_order: bool,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
    table: String,
    schema: Option<String>,
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
    /// Rows `failed` or `running`: `(version, status, statements done, total, error)`.
    pub failed: Vec<(u64, String, u64, u64, Option<String>)>,
    /// Applied versions whose checksum differs from the embedded one.
    pub checksum_mismatches: Vec<u64>,
    /// Applied versions unknown to this binary.
    pub unknown_applied: Vec<u64>,
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

/// The outcome of checking a pending migration's hazards.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Waiver {
    /// No hazard, or every object was created earlier in this run.
    None,
    /// The operator consented.
    Consent,
    /// The tables were empty: re-check them inside the migration.
    Empty(Vec<(Option<String>, String)>),
    /// Consent is missing.
    Missing,
}

struct Checked<'m> {
    pending: Vec<(&'m Migration, Waiver)>,
}

impl<'a> Migrator<'a> {
    /// Consents to one migration (`"3"` or `"namespace:3"`).
    pub fn consent(mut self, version: impl AsRef<str>) -> Self {
        match parse_consent(version.as_ref()) {
            Ok(mut list) => self.consents.append(&mut list),
            Err(e) => self.consent_error = Some(e),
        }
        self
    }

    /// Adds the consents of `DRIFTLESS_ALLOW_DESTRUCTIVE`; a malformed value fails the run.
    pub fn consent_env(mut self) -> Self {
        if let Ok(value) = std::env::var(CONSENT_ENV) {
            match parse_consent(&value) {
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

    /// How long to wait for the migration lock (default 60 s).
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

    /// The history table's name (default `_driftless_migrations`).
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = name.into();
        self
    }

    /// The history table's schema (PostgreSQL schema, MySQL database, SQLite attached database).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    fn namespace(&self) -> &str {
        self.migrations.namespace()
    }

    fn sql(&self, dialect: Dialect) -> Sql {
        Sql::new(dialect, self.schema.as_deref(), &self.table)
    }

    fn lock_key(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) => format!("driftless\0{}\0{}", self.table, ns),
            None => format!("driftless\0{}", self.table),
        }
    }

    /// `driftless <command> ... migrations` as an operator would type it.
    fn command(&self, args: &str) -> String {
        let ns = match self.namespace() {
            "" => String::new(),
            ns => format!(" --namespace {ns}"),
        };
        format!("`driftless {args}{ns} --database-url \"$DATABASE_URL\" migrations`")
    }

    fn check_dialect(&self, db: &Db) -> Result<(), Error> {
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
        Ok(())
    }

    /// Applies pending migrations.
    pub async fn run<P: Pool>(self, pool: &P) -> Result<Report, Error> {
        let db = pool.__db();
        self.check_dialect(&db)?;
        if let Some(e) = &self.consent_error {
            return Err(Error::new(ErrorKind::InvalidConsent, e.clone()));
        }
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
        let result = self.slow_path(&mut conn, &sql, table_exists).await;
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

    async fn slow_path(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        table_exists: bool,
    ) -> Result<Report, Error> {
        if let Some(timeout) = self.statement_timeout {
            let ms = timeout.as_millis();
            let set = match sql.dialect {
                Dialect::Postgres => Some(format!(
                    "SET statement_timeout = {ms}; SET lock_timeout = {ms}"
                )),
                Dialect::Mysql => Some(format!(
                    "SET SESSION lock_wait_timeout = {}",
                    timeout.as_secs().max(1)
                )),
                Dialect::Sqlite => None,
            };
            if let Some(set) = set {
                conn.execute(set)
                    .await
                    .map_err(|e| Error::database("cannot set the statement timeout", e))?;
            }
        }
        if !table_exists {
            let global = self.lock_key(None);
            conn.lock(sql, &global, self.acquire_timeout).await?;
            let created = conn.execute(sql.create_table(self.schema.as_deref())).await;
            conn.unlock(sql, &global).await?;
            created.map_err(|e| Error::database("cannot create the history table", e))?;
        }
        conn.lock(
            sql,
            &self.lock_key(Some(self.namespace())),
            self.acquire_timeout,
        )
        .await?;
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
        self.warn_unused_consents(&checked.pending);
        let mut applied: BTreeMap<u64, String> = history
            .iter()
            .filter(|r| is_applied(&r.status))
            .map(|r| (r.version as u64, r.checksum.clone()))
            .collect();
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
        if report.applied.is_empty() && !checked.pending.is_empty() {
            return Ok(report);
        }
        if checked.pending.is_empty() {
            // Nothing ran, but the summary row was missing or stale (an older format, a
            // baseline): rewrite it so the next boot is one statement.
            let summary = summary(applied.iter().map(|(v, c)| (*v, c.clone())));
            let text = self.transaction(sql, sql.put_summary(self.namespace(), &summary));
            conn.execute(text)
                .await
                .map_err(|e| Error::database("cannot update the history summary", e))?;
        }
        Ok(report)
    }

    fn transaction(&self, sql: &Sql, body: String) -> String {
        match sql.dialect {
            Dialect::Mysql => format!("START TRANSACTION;\n{body};\nCOMMIT"),
            _ => format!("BEGIN;\n{body};\nCOMMIT"),
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
    ) -> Result<(Vec<HistoryRow>, Result<Checked<'a>, Error>), Error> {
        let history = self.read_history(conn, sql).await?;
        let checked = self.check(conn, sql, &history).await;
        Ok((history, checked))
    }

    /// Validates the whole plan, so that a refusal applies nothing.
    async fn check(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        history: &[HistoryRow],
    ) -> Result<Checked<'a>, Error> {
        let migrations = self.migrations.migrations();
        if let Some(row) = history
            .iter()
            .find(|r| r.status == "failed" || r.status == "running")
        {
            return Err(self.blocked(row));
        }
        let embedded: BTreeMap<u64, &Migration> =
            migrations.iter().map(|m| (m.version, m)).collect();
        let applied: Vec<&HistoryRow> = history.iter().filter(|r| is_applied(&r.status)).collect();
        for row in &applied {
            match embedded.get(&(row.version as u64)) {
                Some(m) if m.checksum_hex() != row.checksum => {
                    return Err(Error::new(
                        ErrorKind::ChecksumMismatch,
                        format!(
                            "migration {} ({}) was edited after it was applied: the database ran \
                             checksum {} but the binary embeds {}; restore the file from version \
                             control and put the change in a new migration, then check with {}",
                            row.version,
                            m.path(),
                            row.checksum,
                            m.checksum_hex(),
                            self.command("status")
                        ),
                    ));
                }
                Some(_) => {}
                None if self.allow_unknown_applied => {}
                None => {
                    return Err(Error::new(
                        ErrorKind::UnknownApplied,
                        format!(
                            "migration {} ({}) is applied in the database but unknown to this \
                             binary (a newer deploy ran, or its file was deleted); deploy the \
                             newer binary, set `allow_unknown_applied` for rolling deploys, or \
                             inspect with {}",
                            row.version,
                            row.name,
                            self.command("status")
                        ),
                    ));
                }
            }
        }
        let applied_versions: BTreeSet<u64> = applied.iter().map(|r| r.version as u64).collect();
        let newest = applied_versions.iter().next_back().copied();
        let pending: Vec<&'a Migration> = migrations
            .iter()
            .filter(|m| !applied_versions.contains(&m.version))
            .collect();
        if let (Some(newest), false) = (newest, self.allow_out_of_order)
            && let Some(old) = pending.iter().find(|m| m.version < newest)
        {
            return Err(Error::new(
                ErrorKind::OutOfOrder,
                format!(
                    "pending migration {} ({}) is older than the newest applied migration {}; \
                     renumber it after {newest}, or set `allow_out_of_order`, and check with {}",
                    old.version,
                    old.path(),
                    newest,
                    self.command("plan")
                ),
            ));
        }
        if !self.allow_drafts && !self.migrations.debug_assertions() {
            let drafts: Vec<String> = pending
                .iter()
                .filter(|m| m.state() == MigrationState::Draft)
                .map(|m| m.version.to_string())
                .collect();
            if !drafts.is_empty() {
                return Err(Error::new(
                    ErrorKind::Draft,
                    format!(
                        "this release binary would apply draft migration(s) {}: lock them with \
                         `driftless lock migrations` and rebuild, or set `allow_drafts`",
                        drafts.join(", ")
                    ),
                ));
            }
        }
        if applied.is_empty() && !pending.is_empty() {
            self.check_no_history(conn, sql).await?;
        }
        // Consent, walking the run in order so earlier creations waive later hazards.
        let mut created: Vec<&ObjectName> = Vec::new();
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for m in pending {
            let waiver = self.waiver(conn, sql, m, &created).await?;
            if waiver == Waiver::Missing {
                let hazards: Vec<&str> = m.hazards().map(Hazard::message).collect();
                missing.push(format!(
                    "{} ({}): {}",
                    m.version,
                    m.path(),
                    hazards.join("; ")
                ));
            }
            created.extend(m.creates());
            out.push((m, waiver));
        }
        if !missing.is_empty() {
            let list: Vec<String> = out
                .iter()
                .filter(|(_, w)| *w == Waiver::Missing)
                .map(|(m, _)| match self.namespace() {
                    "" => m.version.to_string(),
                    ns => format!("{ns}:{}", m.version),
                })
                .collect();
            return Err(Error::new(
                ErrorKind::ConsentRequired,
                format!(
                    "migration(s) can lose existing data and need consent, nothing was applied: \
                     {}; review with {}, then set {CONSENT_ENV}={}",
                    missing.join(", "),
                    self.command("plan"),
                    list.join(",")
                ),
            ));
        }
        Ok(Checked { pending: out })
    }

    fn blocked(&self, row: &HistoryRow) -> Error {
        let (kind, what) = if row.status == "running" {
            (
                ErrorKind::InterruptedMigration,
                format!(
                    "migration {} ({}) was interrupted: {} of {} statements completed and \
                     statement {} may have committed",
                    row.version,
                    row.name,
                    row.done,
                    row.total,
                    row.done + 1
                ),
            )
        } else {
            (
                ErrorKind::FailedMigration,
                format!(
                    "migration {} ({}) failed after {} of {} statements{}",
                    row.version,
                    row.name,
                    row.done,
                    row.total,
                    row.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            )
        };
        Error::new(
            kind,
            format!(
                "{what}; nothing else runs until it is resolved: check the database, then run {} \
                 (to run it again) or {} (if its changes are complete)",
                self.command(&format!("resolve --rolled-back {}", row.version)),
                self.command(&format!("resolve --applied {}", row.version)),
            ),
        )
    }

    async fn check_no_history(&self, conn: &mut Conn, sql: &Sql) -> Result<(), Error> {
        // `plan` is read-only and may run before the history table exists.
        let others = match conn
            .scalar_i64(sql.other_namespaces(self.namespace()))
            .await
        {
            Ok(n) => n,
            Err(e) if is_missing_table(&e) => None,
            Err(e) => return Err(Error::database("cannot read the history", e)),
        };
        if others.unwrap_or(0) > 0 {
            return Ok(());
        }
        let tables = conn
            .strings(sql.tables())
            .await
            .map_err(|e| Error::database("cannot list the tables", e))?;
        if tables.is_empty() {
            return Ok(());
        }
        let tool = tables.iter().find_map(|t| {
            let name = t.rsplit('.').next().unwrap_or(t);
            OTHER_TOOLS
                .iter()
                .find(|(table, _)| name.eq_ignore_ascii_case(table))
        });
        let other = match tool {
            Some((table, tool)) => format!(
                "; it has {tool}'s history table `{table}`: adopt that history with \
                 `driftless lock --adopt migrations`, then baseline"
            ),
            None => String::new(),
        };
        let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        Err(Error::new(
            ErrorKind::NoHistory,
            format!(
                "the database is not empty (tables {}{}) but has no driftless history{other}; \
                 mark the migrations that already ran with {}",
                shown.join(", "),
                if tables.len() > 5 { ", ..." } else { "" },
                self.command("baseline --version <VERSION>")
            ),
        ))
    }

    fn consented(&self, version: u64) -> bool {
        self.consents
            .iter()
            .any(|(ns, v)| *v == version && ns.as_deref().is_none_or(|ns| ns == self.namespace()))
    }

    async fn waiver(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        m: &Migration,
        created: &[&ObjectName],
    ) -> Result<Waiver, Error> {
        let dialect = self.migrations.dialect();
        let mut empties = Vec::new();
        let mut any = false;
        for hazard in m.hazards() {
            if created.iter().any(|c| covers(dialect, c, hazard.object()))
                || hazard
                    .empty_table()
                    .is_some_and(|t| created.iter().any(|c| covers(dialect, c, t)))
            {
                continue;
            }
            any = true;
            if self.consented(m.version) {
                return Ok(Waiver::Consent);
            }
            let Some(table) = hazard.empty_table() else {
                return Ok(Waiver::Missing);
            };
            let query = sql.has_rows(table.schema(), table.name());
            let rows = match conn.scalar_i64(query).await {
                Ok(n) => n.unwrap_or(0) > 0,
                Err(e) if is_missing_table(&e) => false,
                Err(e) => return Err(Error::database("cannot check whether a table is empty", e)),
            };
            if rows {
                return Ok(Waiver::Missing);
            }
            empties.push((table.schema().map(str::to_owned), table.name().to_owned()));
        }
        Ok(match (any, empties.is_empty()) {
            (false, _) => Waiver::None,
            (true, true) => Waiver::None,
            (true, false) => Waiver::Empty(empties),
        })
    }

    fn warn_unused_consents(&self, pending: &[(&Migration, Waiver)]) {
        for (ns, version) in &self.consents {
            if ns.as_deref().is_some_and(|ns| ns != self.namespace()) {
                continue;
            }
            if !pending.iter().any(|(m, _)| m.version == *version) {
                tracing::warn!(
                    namespace = self.namespace(),
                    version,
                    "consent given for migration {version}, which is not pending"
                );
            }
        }
    }

    /// Applies one migration; `None` when another process applied it meanwhile (SQLite).
    async fn apply(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        m: &Migration,
        waiver: &Waiver,
        applied: &mut BTreeMap<u64, String>,
        last: bool,
    ) -> Result<Option<Applied>, Error> {
        let ns = self.namespace();
        let start = Instant::now();
        let consent = (*waiver == Waiver::Consent).then(|| match ns {
            "" => m.version.to_string(),
            ns => format!("{ns}:{}", m.version),
        });
        let total = m.statement_count();
        let new_summary = summary_with(applied, m);
        let statements: Vec<&str> = m.statement_sql().collect();
        let transactional = m.is_transactional() && sql.dialect != Dialect::Mysql;
        if sql.dialect == Dialect::Sqlite {
            conn.execute("BEGIN IMMEDIATE".to_owned())
                .await
                .map_err(|e| Error::database("cannot lock the SQLite database", e))?;
            // Another process may have applied it (or failed it) since the plan was read.
            let now = conn.history(sql.rows_for(ns, m.version)).await;
            let mut now = match now {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = conn.execute("ROLLBACK".to_owned()).await;
                    return Err(Error::database("cannot read the history", e));
                }
            };
            let stored = now
                .iter()
                .find(|r| r.version == 0)
                .map(|r| r.checksum.clone());
            if stored.as_deref() != Some(&summary(applied.iter().map(|(v, c)| (*v, c.clone())))) {
                // Someone else changed the history: read it whole.
                now = match conn.history(sql.history(ns)).await {
                    Ok(rows) => rows,
                    Err(e) => {
                        let _ = conn.execute("ROLLBACK".to_owned()).await;
                        return Err(Error::database("cannot read the history", e));
                    }
                };
            } else {
                now.retain(|r| r.version != 0);
                now.extend(
                    applied
                        .iter()
                        .filter(|(v, _)| **v != m.version)
                        .map(|(v, c)| HistoryRow {
                            version: *v as i64,
                            name: String::new(),
                            checksum: c.clone(),
                            status: "applied".to_owned(),
                            done: 0,
                            total: 0,
                            error: None,
                            consent: None,
                        }),
                );
            }
            if let Some(row) = now.iter().find(|r| r.version as u64 == m.version)
                && row.status != "rolled_back"
            {
                let _ = conn.execute("ROLLBACK".to_owned()).await;
                if is_applied(&row.status) && row.checksum == m.checksum_hex() {
                    applied.insert(m.version, m.checksum_hex());
                    return Ok(None);
                }
                return Err(self.blocked(row));
            }
            let mut current: BTreeMap<u64, String> = now
                .iter()
                .filter(|r| is_applied(&r.status))
                .map(|r| (r.version as u64, r.checksum.clone()))
                .collect();
            *applied = current.clone();
            current.insert(m.version, m.checksum_hex());
            let new_summary = summary(current.iter().map(|(v, c)| (*v, c.clone())));
            if let Waiver::Empty(tables) = waiver {
                for (schema, table) in tables {
                    let rows = match conn
                        .scalar_i64(sql.has_rows(schema.as_deref(), table))
                        .await
                    {
                        Ok(n) => n.unwrap_or(0) > 0,
                        Err(e) if is_missing_table(&e) => false,
                        Err(e) => {
                            let _ = conn.execute("ROLLBACK".to_owned()).await;
                            return Err(Error::database(
                                "cannot check whether a table is empty",
                                e,
                            ));
                        }
                    };
                    if rows {
                        let _ = conn.execute("ROLLBACK".to_owned()).await;
                        return Err(self.no_longer_empty(m, table));
                    }
                }
            }
            if !transactional {
                // Claim the version, then run outside the transaction with the intent log.
                let claim = sql.put_row(
                    ns,
                    m.version,
                    m.description(),
                    &m.checksum_hex(),
                    "running",
                    0,
                    total,
                    None,
                    None,
                    consent.as_deref(),
                );
                let claimed = conn.execute(format!("{claim};\nCOMMIT")).await;
                if let Err(e) = claimed {
                    let _ = conn.execute("ROLLBACK".to_owned()).await;
                    return Err(Error::database("cannot record the migration", e));
                }
                return self
                    .apply_intent(
                        conn,
                        sql,
                        m,
                        &statements,
                        &new_summary,
                        consent,
                        start,
                        applied,
                        true,
                    )
                    .await
                    .map(Some);
            }
            let mut body = String::new();
            for s in &statements {
                body.push_str(s);
                body.push_str(";\n");
            }
            let run = conn.execute(body).await;
            if let Err(e) = run {
                let _ = conn.execute("ROLLBACK".to_owned()).await;
                return Err(self
                    .failed(conn, sql, m, total, consent.as_deref(), e)
                    .await);
            }
            let ms = start.elapsed().as_millis().to_string();
            let record = format!(
                "{};\n{};\nCOMMIT",
                sql.put_row(
                    ns,
                    m.version,
                    m.description(),
                    &m.checksum_hex(),
                    "applied",
                    total,
                    total,
                    Some(&ms),
                    None,
                    consent.as_deref()
                ),
                sql.put_summary(ns, &new_summary)
            );
            if let Err(e) = conn.execute(record).await {
                let _ = conn.execute("ROLLBACK".to_owned()).await;
                return Err(Error::database("cannot record the migration", e));
            }
            applied.insert(m.version, m.checksum_hex());
            return Ok(Some(self.done(m, start, consent.is_some())));
        }
        if transactional {
            // PostgreSQL: the migration, its row and the summary in one batch, one round trip.
            let mut batch = String::from("BEGIN;\n");
            if !last {
                // Only the run's last commit waits for the WAL flush, which makes every earlier
                // commit durable too; a crash before it loses a suffix of whole migrations
                // (each with its history row), which the next boot applies again.
                batch.push_str("SET LOCAL synchronous_commit = off;\n");
            }
            if let Waiver::Empty(tables) = waiver {
                for (schema, table) in tables {
                    batch.push_str(&sql.pg_still_empty(schema.as_deref(), table));
                    batch.push_str(";\n");
                }
            }
            for s in &statements {
                batch.push_str(s);
                batch.push_str(";\n");
            }
            batch.push_str(&sql.put_row(
                ns,
                m.version,
                m.description(),
                &m.checksum_hex(),
                "applied",
                total,
                total,
                Some(Sql::pg_elapsed_ms()),
                None,
                consent.as_deref(),
            ));
            batch.push_str(";\n");
            batch.push_str(&sql.put_summary(ns, &new_summary));
            batch.push_str(";\nCOMMIT");
            if let Err(e) = conn.execute(batch).await {
                let _ = conn.execute("ROLLBACK".to_owned()).await;
                return Err(self
                    .failed(conn, sql, m, total, consent.as_deref(), e)
                    .await);
            }
            applied.insert(m.version, m.checksum_hex());
            return Ok(Some(self.done(m, start, consent.is_some())));
        }
        // MySQL, and `no-transaction` files: the intent log.
        if let Waiver::Empty(tables) = waiver {
            for (schema, table) in tables {
                let rows = match conn
                    .scalar_i64(sql.has_rows(schema.as_deref(), table))
                    .await
                {
                    Ok(n) => n.unwrap_or(0) > 0,
                    Err(e) if is_missing_table(&e) => false,
                    Err(e) => {
                        return Err(Error::database("cannot check whether a table is empty", e));
                    }
                };
                if rows {
                    return Err(self.no_longer_empty(m, table));
                }
            }
        }
        let claim = self.transaction(
            sql,
            sql.put_row(
                ns,
                m.version,
                m.description(),
                &m.checksum_hex(),
                "running",
                0,
                total,
                None,
                None,
                consent.as_deref(),
            ),
        );
        conn.execute(claim)
            .await
            .map_err(|e| Error::database("cannot record the migration", e))?;
        self.apply_intent(
            conn,
            sql,
            m,
            &statements,
            &new_summary,
            consent,
            start,
            applied,
            false,
        )
        .await
        .map(Some)
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_intent(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        m: &Migration,
        statements: &[&str],
        new_summary: &str,
        consent: Option<String>,
        start: Instant,
        applied: &mut BTreeMap<u64, String>,
        sqlite: bool,
    ) -> Result<Applied, Error> {
        let ns = self.namespace();
        let total = statements.len();
        for (k, statement) in statements.iter().enumerate() {
            if let Err(e) = conn.execute((*statement).to_owned()).await {
                let message = format!(
                    "migration {} ({}) failed at statement {} of {total}: {e}",
                    m.version,
                    m.path(),
                    k + 1
                );
                let _ = conn
                    .execute(sql.set_status(ns, m.version, "failed", None, Some(&e.to_string())))
                    .await;
                tracing::error!(
                    namespace = ns,
                    version = m.version,
                    statement = k + 1,
                    "{message}"
                );
                return Err(Error::new(
                    ErrorKind::MigrationFailed,
                    format!(
                        "{message}; statements 1 to {k} stayed applied (no transaction): repair the \
                         database, then run {} or {}",
                        self.command(&format!("resolve --rolled-back {}", m.version)),
                        self.command(&format!("resolve --applied {}", m.version)),
                    ),
                ));
            }
            conn.execute(sql.set_done(ns, m.version, k + 1))
                .await
                .map_err(|e| Error::database("cannot record progress in the history", e))?;
        }
        let ms = start.elapsed().as_millis();
        let body = format!(
            "{};\n{}",
            sql.set_status(ns, m.version, "applied", Some(ms), None),
            sql.put_summary(ns, new_summary)
        );
        let text = if sqlite {
            format!("BEGIN IMMEDIATE;\n{body};\nCOMMIT")
        } else {
            self.transaction(sql, body)
        };
        conn.execute(text)
            .await
            .map_err(|e| Error::database("cannot record the migration", e))?;
        applied.insert(m.version, m.checksum_hex());
        Ok(self.done(m, start, consent.is_some()))
    }

    fn done(&self, m: &Migration, start: Instant, consent: bool) -> Applied {
        let duration = start.elapsed();
        tracing::info!(
            namespace = self.namespace(),
            version = m.version,
            name = m.description(),
            duration_ms = duration.as_millis() as u64,
            statements = m.statement_count(),
            consent,
            "applied migration {} ({})",
            m.version,
            m.path()
        );
        Applied {
            version: m.version,
            description: m.description().to_owned(),
            duration,
            statements: m.statement_count(),
            consent,
        }
    }

    fn no_longer_empty(&self, m: &Migration, table: &str) -> Error {
        Error::new(
            ErrorKind::ConsentRequired,
            format!(
                "migration {} ({}) was planned without consent because table `{table}` was empty, \
                 but it has rows now; review with {}, then set {CONSENT_ENV}",
                m.version,
                m.path(),
                self.command("plan")
            ),
        )
    }

    /// Records a rolled-back migration as `failed`, in its own transaction.
    async fn failed(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        m: &Migration,
        total: usize,
        consent: Option<&str>,
        e: sqlx::Error,
    ) -> Error {
        let text = e.to_string();
        let row = self.transaction(
            sql,
            sql.put_row(
                self.namespace(),
                m.version,
                m.description(),
                &m.checksum_hex(),
                "failed",
                0,
                total,
                None,
                Some(&text),
                consent,
            ),
        );
        let _ = conn.execute(row).await;
        tracing::error!(
            namespace = self.namespace(),
            version = m.version,
            "migration failed: {text}"
        );
        Error::new(
            ErrorKind::MigrationFailed,
            format!(
                "migration {} ({}) failed and was rolled back: {text}; fix it, then run {} and \
                 deploy again",
                m.version,
                m.path(),
                self.command(&format!("resolve --rolled-back {}", m.version))
            ),
        )
    }

    /// Reads the history and compares it with the embedded migrations. Read-only.
    pub async fn status<P: Pool>(self, pool: &P) -> Result<Status, Error> {
        let db = pool.__db();
        self.check_dialect(&db)?;
        let sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let rows = conn.history(sql.history(self.namespace())).await;
        conn.finish().await;
        let (table_exists, rows) = match rows {
            Ok(rows) => (true, rows),
            Err(e) if is_missing_table(&e) => (false, Vec::new()),
            Err(e) => return Err(Error::database("cannot read the history", e)),
        };
        let mut status = Status {
            table_exists,
            ..Status::default()
        };
        let embedded: BTreeMap<u64, &Migration> = self
            .migrations
            .migrations()
            .iter()
            .map(|m| (m.version, m))
            .collect();
        for row in &rows {
            let v = row.version as u64;
            if is_applied(&row.status) {
                status.applied.push(v);
                match embedded.get(&v) {
                    Some(m) if m.checksum_hex() != row.checksum => {
                        status.checksum_mismatches.push(v)
                    }
                    Some(_) => {}
                    None => status.unknown_applied.push(v),
                }
            } else if row.status == "failed" || row.status == "running" {
                status.failed.push((
                    v,
                    row.status.clone(),
                    row.done as u64,
                    row.total as u64,
                    row.error.clone(),
                ));
            }
        }
        for m in self.migrations.migrations() {
            if !status.applied.contains(&m.version) {
                status.pending.push(m.version);
                if m.state() == MigrationState::Draft {
                    status.drafts.push(m.version);
                }
            }
        }
        Ok(status)
    }

    /// What a run would do now, and why it would be refused. Read-only.
    pub async fn plan<P: Pool>(self, pool: &P) -> Result<Plan, Error> {
        let db = pool.__db();
        self.check_dialect(&db)?;
        let sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let rows = match conn.history(sql.history(self.namespace())).await {
            Ok(rows) => rows,
            Err(e) if is_missing_table(&e) => Vec::new(),
            Err(e) => {
                conn.finish().await;
                return Err(Error::database("cannot read the history", e));
            }
        };
        let mut plan = Plan::default();
        let applied: BTreeSet<u64> = rows
            .iter()
            .filter(|r| is_applied(&r.status))
            .map(|r| r.version as u64)
            .collect();
        let mut created: Vec<&ObjectName> = Vec::new();
        for m in self.migrations.migrations() {
            if applied.contains(&m.version) {
                continue;
            }
            let waiver = self.waiver(&mut conn, &sql, m, &created).await;
            let waiver = match waiver {
                Ok(w) => w,
                Err(e) => {
                    conn.finish().await;
                    return Err(e);
                }
            };
            created.extend(m.creates());
            plan.migrations.push(Planned {
                version: m.version,
                description: m.description().to_owned(),
                hazards: m.hazards().map(|h| h.message().to_owned()).collect(),
                needs_consent: waiver == Waiver::Missing,
                consent: waiver == Waiver::Consent,
            });
        }
        let checked = self.check(&mut conn, &sql, &rows).await;
        conn.finish().await;
        if let Err(e) = checked {
            plan.refusal = Some(e.to_string());
        }
        Ok(plan)
    }

    /// Marks a `failed` or `running` migration as rolled back: it runs again on the next boot.
    pub async fn resolve_rolled_back<P: Pool>(self, pool: &P, version: u64) -> Result<(), Error> {
        self.repair(pool, version, Repair::RolledBack).await
    }

    /// Marks a `failed` or `running` migration as applied (its changes are complete).
    pub async fn resolve_applied<P: Pool>(self, pool: &P, version: u64) -> Result<(), Error> {
        self.repair(pool, version, Repair::Applied).await
    }

    /// Records every embedded migration up to `version` as `baselined` without running it.
    pub async fn baseline<P: Pool>(self, pool: &P, version: u64) -> Result<(), Error> {
        self.repair(pool, version, Repair::Baseline).await
    }

    async fn repair<P: Pool>(&self, pool: &P, version: u64, repair: Repair) -> Result<(), Error> {
        let db = pool.__db();
        self.check_dialect(&db)?;
        let sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let result = self.repair_locked(&mut conn, &sql, version, repair).await;
        if result.is_ok() {
            let _ = conn
                .unlock(&sql, &self.lock_key(Some(self.namespace())))
                .await;
        }
        conn.finish().await;
        result
    }

    async fn repair_locked(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        version: u64,
        repair: Repair,
    ) -> Result<(), Error> {
        let global = self.lock_key(None);
        conn.lock(sql, &global, self.acquire_timeout).await?;
        let created = conn.execute(sql.create_table(self.schema.as_deref())).await;
        conn.unlock(sql, &global).await?;
        created.map_err(|e| Error::database("cannot create the history table", e))?;
        conn.lock(
            sql,
            &self.lock_key(Some(self.namespace())),
            self.acquire_timeout,
        )
        .await?;
        let rows = self.read_history(conn, sql).await?;
        let ns = self.namespace();
        let mut applied: BTreeMap<u64, String> = rows
            .iter()
            .filter(|r| is_applied(&r.status))
            .map(|r| (r.version as u64, r.checksum.clone()))
            .collect();
        let mut body = Vec::new();
        match repair {
            Repair::RolledBack | Repair::Applied => {
                let Some(row) = rows.iter().find(|r| r.version as u64 == version) else {
                    return Err(Error::new(
                        ErrorKind::InvalidRepair,
                        format!(
                            "migration {version} has no history row; see {}",
                            self.command("status")
                        ),
                    ));
                };
                if row.status != "failed" && row.status != "running" {
                    return Err(Error::new(
                        ErrorKind::InvalidRepair,
                        format!(
                            "migration {version} is `{}`, not `failed` or `running`; only those \
                             can be resolved",
                            row.status
                        ),
                    ));
                }
                let status = if repair == Repair::Applied {
                    applied.insert(version, row.checksum.clone());
                    "applied"
                } else {
                    "rolled_back"
                };
                body.push(sql.set_status(ns, version, status, None, row.error.as_deref()));
            }
            Repair::Baseline => {
                let migrations: Vec<&Migration> = self
                    .migrations
                    .migrations()
                    .iter()
                    .filter(|m| m.version <= version)
                    .collect();
                if migrations.last().map(|m| m.version) != Some(version) {
                    return Err(Error::new(
                        ErrorKind::InvalidRepair,
                        format!("there is no migration {version} to baseline up to"),
                    ));
                }
                for m in migrations {
                    if rows
                        .iter()
                        .any(|r| r.version as u64 == m.version && is_applied(&r.status))
                    {
                        continue;
                    }
                    let total = m.statement_count();
                    body.push(sql.put_row(
                        ns,
                        m.version,
                        m.description(),
                        &m.checksum_hex(),
                        "baselined",
                        0,
                        total,
                        None,
                        None,
                        None,
                    ));
                    applied.insert(m.version, m.checksum_hex());
                }
            }
        }
        let summary = summary(applied.iter().map(|(v, c)| (*v, c.clone())));
        body.push(sql.put_summary(ns, &summary));
        let text = match sql.dialect {
            Dialect::Sqlite => format!("BEGIN IMMEDIATE;\n{};\nCOMMIT", body.join(";\n")),
            _ => self.transaction(sql, body.join(";\n")),
        };
        conn.execute(text)
            .await
            .map_err(|e| Error::database("cannot update the history", e))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repair {
    RolledBack,
    Applied,
    Baseline,
}

fn is_applied(status: &str) -> bool {
    status == "applied" || status == "baselined"
}

/// Parses `[namespace:]version[,...]`. There is no blanket value.
fn parse_consent(value: &str) -> Result<Vec<(Option<String>, u64)>, String> {
    let mut out = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (ns, version) = match item.rsplit_once(':') {
            Some((ns, v)) => (Some(ns.trim().to_owned()), v.trim()),
            None => (None, item),
        };
        let version: u64 = version.parse().ok().filter(|v| *v > 0).ok_or_else(|| {
            format!(
                "invalid consent `{item}`: expected `[namespace:]version` such as `3` or \
                     `billing:3`, comma-separated (there is no value that consents to everything)"
            )
        })?;
        out.push((ns, version));
    }
    Ok(out)
}

/// Whether `created` (made earlier in this run) covers `object`: the same object, its table, or
/// its schema. PostgreSQL names compare exactly, MySQL and SQLite ones ASCII case-insensitively.
fn covers(dialect: Dialect, created: &ObjectName, object: &ObjectName) -> bool {
    let eq = |a: &str, b: &str| match dialect {
        Dialect::Postgres => a == b,
        _ => a.eq_ignore_ascii_case(b),
    };
    let eq_opt = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => eq(a, b),
        (None, None) => true,
        _ => false,
    };
    if created.kind() == ObjectKind::Schema {
        return object.schema().is_some_and(|s| eq(s, created.name()))
            || (object.kind() == ObjectKind::Schema && eq(object.name(), created.name()));
    }
    if !eq_opt(created.schema(), object.schema()) || !eq(created.name(), object.name()) {
        return false;
    }
    match (created.kind(), object.kind()) {
        (ObjectKind::Column, ObjectKind::Column) => eq_opt(created.column(), object.column()),
        (ObjectKind::Table, ObjectKind::Column) => true,
        (ObjectKind::Type, ObjectKind::Type) => true,
        (a, b) => a == b && created.column().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_values() {
        assert_eq!(
            parse_consent("3, billing:4").unwrap(),
            vec![(None, 3), (Some("billing".to_owned()), 4)]
        );
        assert!(parse_consent("*").is_err());
        assert!(parse_consent("all").is_err());
        assert!(parse_consent("3;4").is_err());
        assert!(parse_consent("0").is_err());
    }

    #[test]
    fn summaries_differ_by_content() {
        let a = summary([(1, "aa".to_owned()), (2, "bb".to_owned())].into_iter());
        let b = summary([(1, "aa".to_owned()), (2, "bc".to_owned())].into_iter());
        assert_ne!(a, b);
        assert!(a.starts_with("2:2:"));
    }
}
