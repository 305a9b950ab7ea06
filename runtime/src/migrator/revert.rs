//! Reverting (feature `load`): the down files of the applied migrations newer than a version,
//! newest first, each with its history row removed in the same transaction where the engine
//! allows it, so the migration is pending again.
//!
//! The down files are analysed like migrations before anything runs: the applied history is
//! replayed into the core's catalog, then each down file on top of it in the order it will run,
//! so a data-loss hazard names the table it really touches (a table the newest down file renames
//! back is the same table for the next one). Consent is then decided exactly as for `migrate`
//! (CONTRACT §5), with the down files as the run: a hazard on a table that is empty, or that an
//! earlier down file of the same run created, needs none; any other needs consent for the
//! version being reverted.
//!
//! Strategies, as for applying: PostgreSQL runs each down file, its emptiness re-checks, the
//! deletion of its history row and the summary as one transaction in one batch; SQLite in one
//! `BEGIN IMMEDIATE` transaction with a re-check of the row; MySQL (whose DDL commits implicitly)
//! and `no-transaction` files keep an intent log: the row is marked `running` (with a note that
//! a revert is running) before the first statement, and deleted after the last, so a crash
//! leaves a row that blocks every run and says what was happening.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::{Duration, Instant};

use driftless_core::directive::{self, Directive};
use driftless_core::schema::{MigrationInput, Replay};

use super::Migrator;
use super::check::{Fresh, Waiver};
use super::identity::Identities;
use super::summary;
use crate::backend::{Conn, HistoryRow, PG_NOT_EMPTY, Pool, RowStatus, Sql, is_missing_table};
use crate::error::{Error, ErrorKind};
use crate::migrations::{Dialect, Down, Hazard, Migration, Migrations};

/// What a revert did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevertReport {
    /// The migrations reverted, newest first: each is pending again.
    pub reverted: Vec<Reverted>,
}

/// One reverted migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reverted {
    /// Its version.
    pub version: u64,
    /// Its description.
    pub description: String,
    /// The down file that ran, relative to the folder.
    pub down: String,
    /// How long the down file took.
    pub duration: Duration,
    /// How many statements of the down file ran.
    pub statements: usize,
    /// Whether it ran with the operator's consent.
    pub consent: bool,
}

/// One down file to run: the migration it undoes, and the down file as a migration of its own
/// (the same version, its statements, hazards, creations and renames from the replay).
struct Step<'m> {
    up: &'m Migration,
    down: Migration,
    waiver: Waiver,
}

/// The stack the down files' replay runs on, as `driftless_core::analyze` does: parse trees are
/// bounded, but the bound is set for this size, not for an async worker's.
const REPLAY_STACK: usize = 64 * 1024 * 1024;

impl<'a> Migrator<'a> {
    /// Reverts the applied migrations newer than `version`, newest first, by running their down
    /// files (sqlx reversible `N_name.down.sql`, diesel `down.sql`) and removing their history
    /// rows: they are pending again, and the next run applies them. `revert_to(pool, 0)` reverts
    /// everything.
    ///
    /// The value must carry the down files: load the folder with [`Migrations::load`] (the
    /// `migrations!` macro does not embed them; reverting is a development and operator's
    /// operation, which is why it lives behind the `load` feature). Before anything runs, it
    /// refuses, reverting nothing, when:
    /// - the value was embedded by a release build, unless [`Migrator::allow_release_revert`]
    ///   ([`ErrorKind::ReleaseRevert`]);
    /// - a migration to revert has no down file (flat and Prisma layouts have none), naming
    ///   every such migration ([`ErrorKind::NoDownFile`]);
    /// - a row is `failed` or `running`, an applied migration to revert is unknown to the
    ///   folder or was edited since it was applied;
    /// - a down file can lose data that exists (its data-loss hazards, found by replaying the
    ///   applied history and then the down files) and the operator did not consent to that
    ///   version with [`Migrator::consent`] ([`ErrorKind::ConsentRequired`]). A table that is
    ///   empty needs no consent; it is checked again inside the down file's transaction.
    ///
    /// A down file that fails is rolled back with nothing of it applied (PostgreSQL, SQLite),
    /// or, on MySQL and for `no-transaction` files, leaves its row `failed` with the statement
    /// it stopped at ([`ErrorKind::MigrationFailed`]). A down file runs outside a transaction
    /// when it says `-- driftless: no-transaction` or when its migration does.
    pub async fn revert_to<P: Pool>(self, pool: &P, version: u64) -> Result<RevertReport, Error> {
        let db = pool.__db();
        self.preflight(&db)?;
        if !self.migrations.debug_assertions() && !self.allow_release_revert {
            return Err(Error::new(
                ErrorKind::ReleaseRevert,
                format!(
                    "this release build refuses to revert to {version}: reverting runs down \
                     files, which usually drop tables and their data; set \
                     `allow_release_revert` if it is intended, or run {}",
                    self.command(&format!("revert --to {version} --yes"))
                ),
            ));
        }
        if self.migrations.downs.is_none() {
            return Err(Error::new(
                ErrorKind::NoDownFile,
                "these migrations carry no down files (`migrations!` does not embed them): load \
                 the folder with `Migrations::load`, or run `driftless revert`",
            ));
        }
        let mut sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let result = self.revert_on(&mut conn, &mut sql, version).await;
        if result.is_ok() {
            let _ = conn
                .unlock(&sql, &self.lock_key(Some(self.namespace())))
                .await;
        }
        conn.finish().await;
        result
    }

    async fn revert_on(
        &self,
        conn: &mut Conn,
        sql: &mut Sql,
        target: u64,
    ) -> Result<RevertReport, Error> {
        *sql = self.pin_schema(conn, sql.clone()).await?;
        let sql = &*sql;
        // No history table: nothing was applied, nothing to revert (and nothing is created).
        match conn.history(sql.history(self.namespace())).await {
            Ok(_) => {}
            Err(e) if is_missing_table(&e) => return Ok(RevertReport::default()),
            Err(e) => return Err(Error::database("cannot read the history", e)),
        }
        self.lock_history(conn, sql, true).await?;
        self.set_statement_timeout(conn, sql).await?;
        if let (_, Some(old)) = self.summaries(conn, sql).await? {
            self.upgrade_history(conn, sql, &old).await?;
        }
        let history = self.read_history(conn, sql).await?;
        let steps = self.revert_plan(conn, sql, &history, target).await?;
        let mut applied = summary::applied_map(&history);
        let mut report = RevertReport::default();
        for step in &steps {
            report
                .reverted
                .push(self.revert_one(conn, sql, step, &mut applied).await?);
        }
        Ok(report)
    }

    /// Validates the whole revert, so that a refusal reverts nothing: the rows, the down files,
    /// their analysis and consent.
    async fn revert_plan(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        history: &[HistoryRow],
        target: u64,
    ) -> Result<Vec<Step<'a>>, Error> {
        if let Some(row) = history.iter().find(|r| r.status.blocks()) {
            return Err(self.blocked(row));
        }
        let migrations: &'a Migrations = self.migrations;
        let embedded: BTreeMap<u64, &'a Migration> = migrations
            .migrations()
            .iter()
            .map(|m| (m.version, m))
            .collect();
        let applied: BTreeSet<u64> = history
            .iter()
            .filter(|r| r.status.is_applied())
            .map(|r| r.version as u64)
            .collect();
        let mut reverted: Vec<&'a Migration> = Vec::new();
        for row in history
            .iter()
            .rev()
            .filter(|r| r.status.is_applied() && r.version as u64 > target)
        {
            match embedded.get(&(row.version as u64)) {
                None => {
                    return Err(Error::new(
                        ErrorKind::UnknownApplied,
                        format!(
                            "migration {} ({}) is applied but not in this folder, so its down \
                             file is unknown; nothing was reverted: revert with the folder that \
                             applied it, or inspect with {}",
                            row.version,
                            row.name,
                            self.command("status")
                        ),
                    ));
                }
                Some(m) if m.checksum_hex() != row.checksum => {
                    return Err(Error::new(
                        ErrorKind::ChecksumMismatch,
                        format!(
                            "migration {} ({}) was edited after it was applied, so its down file \
                             may not undo what ran; nothing was reverted: restore the file from \
                             version control, then check with {}",
                            row.version,
                            m.path(),
                            self.command("status")
                        ),
                    ));
                }
                Some(m) => reverted.push(m),
            }
        }
        if reverted.is_empty() {
            return Ok(Vec::new());
        }
        // Every down file, or a refusal naming each migration without one.
        let downs = migrations.downs.as_deref().unwrap_or_default();
        let mut missing = Vec::new();
        let mut found: Vec<(&'a Migration, &Down, &str)> = Vec::new();
        for m in &reverted {
            match downs.iter().find(|d| d.version == m.version) {
                Some(d) => match d.sql.as_deref() {
                    Some(text) => found.push((m, d, text)),
                    None => missing.push(format!("{} ({}: not valid UTF-8)", m.version, d.path)),
                },
                None => missing.push(format!("{} ({})", m.version, m.path())),
            }
        }
        if !missing.is_empty() {
            return Err(Error::new(
                ErrorKind::NoDownFile,
                format!(
                    "cannot revert to {target}: migration(s) without a usable down file, nothing \
                     was reverted: {}; a down file is `<version>_<name>.down.sql` beside \
                     `<version>_<name>.up.sql` (sqlx) or `down.sql` in the migration's folder \
                     (diesel); flat and Prisma migrations have none",
                    missing.join(", ")
                ),
            ));
        }
        let analysed = analyse_downs(migrations, &applied, &found)?;
        // Consent, walking the revert in order so that identities follow what the down files
        // create and rename.
        let mut ids = Identities::new(migrations.dialect());
        let mut fresh = Fresh::new();
        let mut steps = Vec::new();
        let mut needs = Vec::new();
        for (up, down) in reverted.into_iter().zip(analysed) {
            let waiver = self.waiver(conn, sql, &down, &ids, &mut fresh).await?;
            if waiver == Waiver::Missing {
                let hazards: Vec<&str> = down.hazards().map(Hazard::message).collect();
                needs.push((
                    up.version,
                    format!("{} ({}): {}", up.version, down.path(), hazards.join("; ")),
                ));
            }
            ids.after(&down);
            steps.push(Step { up, down, waiver });
        }
        if !needs.is_empty() {
            let versions: Vec<String> = needs.iter().map(|(v, _)| self.consent_name(*v)).collect();
            let described: Vec<&str> = needs.iter().map(|(_, d)| d.as_str()).collect();
            let flags: Vec<String> = versions.iter().map(|v| format!("--consent {v}")).collect();
            return Err(Error::new(
                ErrorKind::ConsentRequired,
                format!(
                    "down file(s) can lose existing data and need consent, nothing was reverted: \
                     {}; if the data can go, run {} (or consent with `Migrator::consent`)",
                    described.join(", "),
                    self.command(&format!("revert --to {target} --yes {}", flags.join(" ")))
                ),
            ));
        }
        Ok(steps)
    }

    /// Runs one down file and removes its migration's history row.
    async fn revert_one(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        step: &Step<'_>,
        applied: &mut BTreeMap<u64, String>,
    ) -> Result<Reverted, Error> {
        let down = &step.down;
        let version = down.version;
        let ns = self.namespace();
        let start = Instant::now();
        let mut after = applied.clone();
        after.remove(&version);
        let new_summary = summary::of_applied(&after);
        let statements: Vec<&str> = down.statement_sql().collect();
        let total = statements.len();
        let in_transaction = down.is_transactional() && sql.dialect != Dialect::Mysql;
        match (sql.dialect, in_transaction) {
            (Dialect::Postgres, true) => {
                let mut batch = String::from("BEGIN;\n");
                if let Waiver::Empty(tables) = &step.waiver {
                    for (schema, table) in tables {
                        batch.push_str(&sql.pg_still_empty(schema.as_deref(), table));
                        batch.push_str(";\n");
                    }
                }
                for s in &statements {
                    batch.push_str(s);
                    batch.push_str(";\n");
                }
                batch.push_str(&sql.delete_row(ns, version));
                batch.push_str(";\n");
                batch.push_str(&sql.put_summary(ns, &new_summary));
                batch.push_str(";\nCOMMIT");
                if let Err(e) = conn.execute(batch).await {
                    let _ = conn.execute("ROLLBACK".to_owned()).await;
                    if crate::backend::sql_state(&e).as_deref() == Some(PG_NOT_EMPTY) {
                        return Err(self.revert_not_empty(down).with_source(e));
                    }
                    return Err(self.revert_failed(down, None, e));
                }
            }
            (Dialect::Sqlite, true) => {
                conn.execute("BEGIN IMMEDIATE".to_owned())
                    .await
                    .map_err(|e| self.write_error("cannot lock the SQLite database", e))?;
                macro_rules! bail {
                    ($e:expr) => {{
                        let _ = conn.execute("ROLLBACK".to_owned()).await;
                        return Err($e);
                    }};
                }
                // SQLite has no session lock: another process may have changed the row since
                // the plan was read.
                let rows = match conn.history(sql.rows_for(ns, version)).await {
                    Ok(rows) => rows,
                    Err(e) => bail!(Error::database("cannot read the history", e)),
                };
                let still = rows.iter().any(|r| {
                    r.version as u64 == version
                        && r.status.is_applied()
                        && r.checksum == step.up.checksum_hex()
                });
                if !still {
                    bail!(Error::new(
                        ErrorKind::InvalidRepair,
                        format!(
                            "migration {version} changed in the history while the revert was \
                             planned (another process ran); nothing of it was reverted: check \
                             with {}",
                            self.command("status")
                        ),
                    ));
                }
                if let Err(e) = self.still_empty(conn, sql, down, &step.waiver).await {
                    bail!(self.not_empty_or(down, e));
                }
                let mut body = String::new();
                for s in &statements {
                    body.push_str(s);
                    body.push_str(";\n");
                }
                if let Err(e) = conn.execute(body).await {
                    bail!(self.revert_failed(down, None, e));
                }
                let record = format!(
                    "{};\n{};\nCOMMIT",
                    sql.delete_row(ns, version),
                    sql.put_summary(ns, &new_summary)
                );
                if let Err(e) = conn.execute(record).await {
                    bail!(Error::database("cannot record the revert", e));
                }
            }
            _ => {
                self.still_empty(conn, sql, down, &step.waiver)
                    .await
                    .map_err(|e| self.not_empty_or(down, e))?;
                // The intent: the row says a revert runs before its first statement, and the
                // summary no longer counts it, so the next boot looks at the history.
                let note = format!("reverting: down file {} is running", down.path());
                let mark = format!(
                    "{};\n{}",
                    sql.mark_reverting(ns, version, total, &note),
                    sql.put_summary(ns, &new_summary)
                );
                conn.execute(self.transaction(sql, mark))
                    .await
                    .map_err(|e| self.write_error("cannot record the revert", e))?;
                for (k, statement) in statements.iter().enumerate() {
                    if let Err(e) = conn.execute((*statement).to_owned()).await {
                        let text = format!(
                            "revert: down file {} failed at statement {} of {total}: {e}",
                            down.path(),
                            k + 1
                        );
                        let _ = conn
                            .execute(sql.set_status(
                                ns,
                                version,
                                RowStatus::Failed,
                                None,
                                Some(&text),
                            ))
                            .await;
                        return Err(self.revert_failed(down, Some(k), e));
                    }
                    conn.execute(sql.set_done(ns, version, k + 1))
                        .await
                        .map_err(|e| Error::database("cannot record progress in the history", e))?;
                }
                let record = format!(
                    "{};\n{}",
                    sql.delete_row(ns, version),
                    sql.put_summary(ns, &new_summary)
                );
                conn.execute(self.transaction(sql, record))
                    .await
                    .map_err(|e| self.write_error("cannot record the revert", e))?;
            }
        }
        applied.remove(&version);
        let duration = start.elapsed();
        let consent = step.waiver == Waiver::Consent;
        tracing::info!(
            namespace = ns,
            version,
            down = down.path(),
            duration_ms = duration.as_millis() as u64,
            statements = total,
            consent,
            "reverted migration {version} ({})",
            step.up.path()
        );
        Ok(Reverted {
            version,
            description: step.up.description().to_owned(),
            down: down.path().to_owned(),
            duration,
            statements: total,
            consent,
        })
    }

    /// The re-check found rows in a table the plan found empty.
    fn revert_not_empty(&self, down: &Migration) -> Error {
        Error::new(
            ErrorKind::ConsentRequired,
            format!(
                "down file {} of migration {} was planned without consent because the tables it \
                 empties were empty, but one has rows now (or is gone); nothing of it was run: \
                 consent with {}",
                down.path(),
                down.version,
                self.command(&format!(
                    "revert --to <VERSION> --yes --consent {}",
                    self.consent_name(down.version)
                ))
            ),
        )
    }

    fn not_empty_or(&self, down: &Migration, e: Error) -> Error {
        if e.kind() == ErrorKind::ConsentRequired {
            self.revert_not_empty(down)
        } else {
            e
        }
    }

    /// A down file's statement failed. `at` is the statement index when statements ran one by
    /// one (the intent log), `None` when the whole file was rolled back.
    fn revert_failed(&self, down: &Migration, at: Option<usize>, e: sqlx::Error) -> Error {
        let v = down.version;
        let message = match at {
            None => format!(
                "down file {} of migration {v} failed and was rolled back: {e}; the migration \
                 stays applied: fix the down file and revert again",
                down.path()
            ),
            Some(k) => format!(
                "down file {} of migration {v} failed at statement {} of {}: {e}; statements 1 \
                 to {k} stayed applied (no transaction) and the migration is recorded `failed`: \
                 repair the database, then run {} (its changes are all undone: it runs again) \
                 or {} (they are all there)",
                down.path(),
                k + 1,
                down.statement_count(),
                self.command(&format!("resolve --rolled-back {v}")),
                self.command(&format!("resolve --applied {v}")),
            ),
        };
        tracing::error!(namespace = self.namespace(), version = v, "{message}");
        Error::new(ErrorKind::MigrationFailed, message).with_source(e)
    }
}

/// The core's dialect of a runtime dialect.
fn core_dialect(dialect: Dialect) -> driftless_core::Dialect {
    match dialect {
        Dialect::Postgres => driftless_core::Dialect::Postgres,
        Dialect::Mysql => driftless_core::Dialect::Mysql,
        Dialect::Sqlite => driftless_core::Dialect::Sqlite,
    }
}

/// A BOM analysed as three spaces, so byte offsets stay those of the file (as the analysis
/// does).
fn blank_bom(text: &str) -> Cow<'_, str> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => Cow::Owned(format!("   {rest}")),
        None => Cow::Borrowed(text),
    }
}

/// Replays the applied history, then the down files in the order they run, on a thread with
/// the analysis's stack. Each down file becomes a [`Migration`] of the version it reverts: its
/// statements, its data-loss hazards, what it creates and renames.
fn analyse_downs(
    migrations: &Migrations,
    applied: &BTreeSet<u64>,
    downs: &[(&Migration, &Down, &str)],
) -> Result<Vec<Migration>, Error> {
    let work = || analyse_downs_here(migrations, applied, downs);
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("driftless-revert-analysis".to_owned())
            .stack_size(REPLAY_STACK)
            .spawn_scoped(scope, work)
        {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => work(),
        }
    })
}

fn analyse_downs_here(
    migrations: &Migrations,
    applied: &BTreeSet<u64>,
    downs: &[(&Migration, &Down, &str)],
) -> Result<Vec<Migration>, Error> {
    let dialect = core_dialect(migrations.dialect());
    let externs: Vec<String> = migrations.externs().map(str::to_owned).collect();
    let mut replay = Replay::new(dialect, &externs);
    // The schema the database has: the applied migrations, in order.
    for m in migrations
        .migrations()
        .iter()
        .filter(|m| applied.contains(&m.version))
    {
        let sql = blank_bom(m.sql());
        let ranges: Vec<Range<usize>> = m.statement_ranges().collect();
        replay.migration(&MigrationInput {
            sql: &sql,
            statements: &ranges,
            transactional: m.is_transactional(),
        });
    }
    let mut out = Vec::new();
    for (up, down, text) in downs {
        let sql = blank_bom(text);
        let split = driftless_core::split::split(&sql, dialect);
        if let Some(e) = split.errors.first() {
            return Err(Error::new(
                ErrorKind::Load,
                format!(
                    "down file `{}` cannot be split into statements: {}; {}; nothing was reverted",
                    down.path, e.message, e.help
                ),
            ));
        }
        let ranges: Vec<Range<usize>> = split.statements().collect();
        let (directives, _) = directive::parse(&sql, &split.comments, &ranges);
        let transactional = up.is_transactional()
            && !directives
                .iter()
                .any(|d| matches!(d, Directive::NoTransaction { .. }));
        let facts = replay.migration(&MigrationInput {
            sql: &sql,
            statements: &ranges,
            transactional,
        });
        let hazards: Vec<Hazard> = facts
            .statements
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.hazards.iter().map(move |h| (i, h)))
            .filter(|(_, h)| h.is_data_loss())
            .map(|(statement, h)| Hazard {
                statement,
                code: Cow::Borrowed(h.code.as_str()),
                object: crate::load::object(&h.object),
                empty_table: h.empty_table.as_ref().map(crate::load::object),
                message: Cow::Owned(h.message.clone()),
            })
            .collect();
        out.push(Migration {
            version: up.version,
            description: Cow::Owned(up.description().to_owned()),
            path: Cow::Owned(down.path.clone()),
            sql: Cow::Owned((*text).to_owned()),
            checksum: driftless_core::checksum::checksum(text.as_bytes()),
            state: up.state(),
            transactional,
            ranges: Cow::Owned(ranges.iter().map(|r| (r.start, r.end)).collect()),
            hazards: Cow::Owned(hazards),
            creates: Cow::Owned(facts.creates.iter().map(crate::load::object).collect()),
            renames: Cow::Owned(
                facts
                    .renames
                    .iter()
                    .map(|(to, from)| (crate::load::object(to), crate::load::object(from)))
                    .collect(),
            ),
        });
    }
    Ok(out)
}
