//! Applying one migration with its history row: one match over the strategy the database and
//! the file allow.

use std::collections::BTreeMap;
use std::time::Instant;

use super::check::Waiver;
use super::{Applied, Migrator, Progress, summary};
use crate::backend::{Conn, HistoryRow, PG_NOT_EMPTY, RowStatus, Sql, is_missing_table, sql_state};
use crate::error::{Error, ErrorKind};
use crate::migrations::{Dialect, Migration};

/// How a migration and its history row are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// PostgreSQL: the migration, its row and the summary in one simple-query batch inside one
    /// transaction: one round trip.
    PgBatch,
    /// SQLite: `BEGIN IMMEDIATE` (the database's write lock), a re-check of the history inside
    /// it, then the migration and its row in that transaction; without a transaction
    /// (`no-transaction`), the version is claimed inside it and the statements run under the
    /// intent log.
    SqliteImmediate { in_transaction: bool },
    /// MySQL (DDL commits implicitly) and PostgreSQL `no-transaction` files: the row says
    /// `running, done = k` before statement k+1 runs, so a crash leaves a row that blocks and
    /// says which statement may have committed.
    IntentLog,
}

impl Strategy {
    fn of(dialect: Dialect, m: &Migration) -> Strategy {
        match (dialect, m.is_transactional()) {
            (Dialect::Postgres, true) => Strategy::PgBatch,
            (Dialect::Sqlite, in_transaction) => Strategy::SqliteImmediate { in_transaction },
            (Dialect::Postgres, false) | (Dialect::Mysql, _) => Strategy::IntentLog,
        }
    }
}

/// What every strategy needs to know of the migration being applied.
struct Job<'m> {
    m: &'m Migration,
    start: Instant,
    consent: Option<String>,
    total: usize,
    statements: Vec<&'m str>,
}

impl<'a> Migrator<'a> {
    /// Applies one migration; `None` when another process applied it meanwhile (SQLite).
    pub(super) async fn apply(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        m: &Migration,
        waiver: &Waiver,
        applied: &mut BTreeMap<u64, String>,
        last: bool,
    ) -> Result<Option<Applied>, Error> {
        let job = Job {
            m,
            start: Instant::now(),
            consent: (*waiver == Waiver::Consent).then(|| self.consent_name(m.version)),
            total: m.statement_count(),
            statements: m.statement_sql().collect(),
        };
        match Strategy::of(sql.dialect, m) {
            Strategy::PgBatch => self
                .pg_batch(conn, sql, &job, waiver, applied, last)
                .await
                .map(Some),
            Strategy::SqliteImmediate { in_transaction } => {
                self.sqlite(conn, sql, &job, waiver, applied, in_transaction)
                    .await
            }
            Strategy::IntentLog => {
                self.still_empty(conn, sql, m, waiver).await?;
                let claim = self.transaction(sql, self.claim(sql, &job));
                conn.execute(claim)
                    .await
                    .map_err(|e| Error::database("cannot record the migration", e))?;
                let new_summary = summary::with(applied, m);
                self.intent_log(conn, sql, &job, &new_summary, applied)
                    .await
                    .map(Some)
            }
        }
    }

    /// The history row of `job` in `status`, with `done` statements, a duration (SQL) and an
    /// error text.
    fn row(
        &self,
        sql: &Sql,
        job: &Job<'_>,
        status: RowStatus,
        done: usize,
        duration_ms: Option<&str>,
        error: Option<&str>,
    ) -> String {
        sql.put_row(
            self.namespace(),
            job.m.version,
            job.m.description(),
            &job.m.checksum_hex(),
            status,
            done,
            job.total,
            duration_ms,
            error,
            job.consent.as_deref(),
        )
    }

    /// The `applied` row of a migration that ran whole in its transaction; `duration_ms` is SQL.
    fn applied_row(&self, sql: &Sql, job: &Job<'_>, duration_ms: &str) -> String {
        self.row(
            sql,
            job,
            RowStatus::Applied,
            job.total,
            Some(duration_ms),
            None,
        )
    }

    /// The `running` row that claims a version for the intent log.
    fn claim(&self, sql: &Sql, job: &Job<'_>) -> String {
        self.row(sql, job, RowStatus::Running, 0, None, None)
    }

    async fn pg_batch(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        job: &Job<'_>,
        waiver: &Waiver,
        applied: &mut BTreeMap<u64, String>,
        last: bool,
    ) -> Result<Applied, Error> {
        let m = job.m;
        let mut batch = String::from("BEGIN;\n");
        if !last {
            // Only the run's last commit waits for the WAL flush, which makes every earlier
            // commit durable too; a crash before it loses a suffix of whole migrations (each
            // with its history row), which the next boot applies again.
            batch.push_str("SET LOCAL synchronous_commit = off;\n");
        }
        if let Waiver::Empty(tables) = waiver {
            for (schema, table) in tables {
                batch.push_str(&sql.pg_still_empty(schema.as_deref(), table));
                batch.push_str(";\n");
            }
        }
        for s in &job.statements {
            batch.push_str(s);
            batch.push_str(";\n");
        }
        batch.push_str(&self.applied_row(sql, job, Sql::pg_elapsed_ms()));
        batch.push_str(";\n");
        batch.push_str(&sql.put_summary(self.namespace(), &summary::with(applied, m)));
        batch.push_str(";\nCOMMIT");
        self.started(job);
        if let Err(e) = conn.execute(batch).await {
            let _ = conn.execute("ROLLBACK".to_owned()).await;
            if sql_state(&e).as_deref() == Some(PG_NOT_EMPTY) {
                // The re-check refused: a refusal, like on the other databases, not a failure
                // that blocks every later boot.
                return Err(self.no_longer_empty(m, waiver).with_source(e));
            }
            return Err(self.failed(conn, sql, job, e).await);
        }
        applied.insert(m.version, m.checksum_hex());
        Ok(self.done(job))
    }

    async fn sqlite(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        job: &Job<'_>,
        waiver: &Waiver,
        applied: &mut BTreeMap<u64, String>,
        in_transaction: bool,
    ) -> Result<Option<Applied>, Error> {
        let m = job.m;
        let ns = self.namespace();
        conn.execute("BEGIN IMMEDIATE".to_owned())
            .await
            .map_err(|e| self.write_error("cannot lock the SQLite database", e))?;
        macro_rules! bail {
            ($e:expr) => {{
                let _ = conn.execute("ROLLBACK".to_owned()).await;
                return Err($e);
            }};
        }
        // Another process may have applied it (or failed it) since the plan was read.
        let mut now = match conn.history(sql.rows_for(ns, m.version)).await {
            Ok(rows) => rows,
            Err(e) => bail!(Error::database("cannot read the history", e)),
        };
        let summary_row = now
            .iter()
            .position(|r| r.version == crate::backend::SUMMARY_VERSION);
        let stored = summary_row.map(|i| now.remove(i).checksum);
        if stored.as_deref() != Some(&summary::of_applied(applied)) {
            // Someone else changed the history: read it whole.
            now = match conn.history(sql.history(ns)).await {
                Ok(rows) => rows,
                Err(e) => bail!(Error::database("cannot read the history", e)),
            };
        } else {
            now.extend(
                applied
                    .iter()
                    .filter(|(v, _)| **v != m.version)
                    .map(|(v, c)| HistoryRow {
                        version: *v as i64,
                        name: String::new(),
                        checksum: c.clone(),
                        status: RowStatus::Applied,
                        done: 0,
                        total: 0,
                        error: None,
                        consent: None,
                    }),
            );
        }
        if let Some(row) = now.iter().find(|r| r.version as u64 == m.version)
            && row.status != RowStatus::RolledBack
        {
            let _ = conn.execute("ROLLBACK".to_owned()).await;
            if row.status.is_applied() && row.checksum == m.checksum_hex() {
                applied.insert(m.version, m.checksum_hex());
                return Ok(None);
            }
            return Err(self.blocked(row));
        }
        let mut current = summary::applied_map(&now);
        *applied = current.clone();
        current.insert(m.version, m.checksum_hex());
        let new_summary = summary::of_applied(&current);
        if let Err(e) = self.still_empty(conn, sql, m, waiver).await {
            bail!(e);
        }
        if !in_transaction {
            // Claim the version, then run outside the transaction with the intent log.
            let claimed = conn
                .execute(format!("{};\nCOMMIT", self.claim(sql, job)))
                .await;
            if let Err(e) = claimed {
                bail!(Error::database("cannot record the migration", e));
            }
            return self
                .intent_log(conn, sql, job, &new_summary, applied)
                .await
                .map(Some);
        }
        let mut body = String::new();
        for s in &job.statements {
            body.push_str(s);
            body.push_str(";\n");
        }
        self.started(job);
        if let Err(e) = conn.execute(body).await {
            let _ = conn.execute("ROLLBACK".to_owned()).await;
            return Err(self.failed(conn, sql, job, e).await);
        }
        let ms = job.start.elapsed().as_millis().to_string();
        let record = format!(
            "{};\n{};\nCOMMIT",
            self.applied_row(sql, job, &ms),
            sql.put_summary(ns, &new_summary)
        );
        if let Err(e) = conn.execute(record).await {
            bail!(Error::database("cannot record the migration", e));
        }
        applied.insert(m.version, m.checksum_hex());
        Ok(Some(self.done(job)))
    }

    /// Re-checks, just before the migration (inside its transaction on SQLite), that the tables
    /// the plan found empty still are, and still exist.
    pub(super) async fn still_empty(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        m: &Migration,
        waiver: &Waiver,
    ) -> Result<(), Error> {
        let Waiver::Empty(tables) = waiver else {
            return Ok(());
        };
        for (schema, table) in tables {
            match conn
                .scalar_i64(sql.has_rows(schema.as_deref(), table))
                .await
            {
                Ok(n) if n.unwrap_or(0) == 0 => {}
                Ok(_) => return Err(self.no_longer_empty(m, waiver)),
                Err(e) if is_missing_table(&e) => {
                    return Err(self.no_longer_empty(m, waiver).with_source(e));
                }
                Err(e) => return Err(Error::database("cannot check whether a table is empty", e)),
            }
        }
        Ok(())
    }

    async fn intent_log(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        job: &Job<'_>,
        new_summary: &str,
        applied: &mut BTreeMap<u64, String>,
    ) -> Result<Applied, Error> {
        let m = job.m;
        let ns = self.namespace();
        let total = job.statements.len();
        self.started(job);
        for (k, statement) in job.statements.iter().enumerate() {
            if let Err(e) = conn.execute((*statement).to_owned()).await {
                let message = format!(
                    "migration {} ({}) failed at statement {} of {total}: {e}",
                    m.version,
                    m.path(),
                    k + 1
                );
                let _ = conn
                    .execute(sql.set_status(
                        ns,
                        m.version,
                        RowStatus::Failed,
                        None,
                        Some(&e.to_string()),
                    ))
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
                )
                .with_source(e));
            }
            conn.execute(sql.set_done(ns, m.version, k + 1))
                .await
                .map_err(|e| Error::database("cannot record progress in the history", e))?;
            self.report(|| Progress::StatementDone {
                version: m.version,
                done: k + 1,
                total,
            });
        }
        let ms = job.start.elapsed().as_millis();
        let body = format!(
            "{};\n{}",
            sql.set_status(ns, m.version, RowStatus::Applied, Some(ms), None),
            sql.put_summary(ns, new_summary)
        );
        conn.execute(self.transaction(sql, body))
            .await
            .map_err(|e| self.write_error("cannot record the migration", e))?;
        applied.insert(m.version, m.checksum_hex());
        Ok(self.done(job))
    }

    fn started(&self, job: &Job<'_>) {
        self.report(|| Progress::MigrationStarted {
            version: job.m.version,
            description: job.m.description().to_owned(),
            statements: job.total,
        });
    }

    fn done(&self, job: &Job<'_>) -> Applied {
        let m = job.m;
        let duration = job.start.elapsed();
        self.report(|| Progress::MigrationApplied {
            version: m.version,
            duration,
            consent: job.consent.is_some(),
        });
        tracing::info!(
            namespace = self.namespace(),
            version = m.version,
            name = m.description(),
            duration_ms = duration.as_millis() as u64,
            statements = m.statement_count(),
            consent = job.consent.is_some(),
            "applied migration {} ({})",
            m.version,
            m.path()
        );
        Applied {
            version: m.version,
            description: m.description().to_owned(),
            duration,
            statements: m.statement_count(),
            consent: job.consent.is_some(),
        }
    }

    fn no_longer_empty(&self, m: &Migration, waiver: &Waiver) -> Error {
        let tables: Vec<String> = match waiver {
            Waiver::Empty(tables) => tables
                .iter()
                .map(|(s, t)| match s {
                    Some(s) => format!("`{s}.{t}`"),
                    None => format!("`{t}`"),
                })
                .collect(),
            _ => Vec::new(),
        };
        Error::new(
            ErrorKind::ConsentRequired,
            format!(
                "migration {} ({}) was planned without consent because table {} was empty, but \
                 it has rows now (or is gone); nothing of it was applied: review with {}, then \
                 set {}={}",
                m.version,
                m.path(),
                tables.join(", "),
                self.command("plan"),
                super::CONSENT_ENV,
                self.consent_name(m.version)
            ),
        )
    }

    /// Records a rolled-back migration as `failed`, in its own transaction.
    async fn failed(&self, conn: &mut Conn, sql: &Sql, job: &Job<'_>, e: sqlx::Error) -> Error {
        let m = job.m;
        let text = e.to_string();
        let row = self.transaction(
            sql,
            self.row(sql, job, RowStatus::Failed, 0, None, Some(&text)),
        );
        if let Err(record) = conn.execute(row).await {
            tracing::error!(
                namespace = self.namespace(),
                version = m.version,
                "cannot record the failed migration: {record}"
            );
        }
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
        .with_source(e)
    }
}
