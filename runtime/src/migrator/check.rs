//! The checks before anything runs. The plan is validated whole, so a refusal applies nothing:
//! failed or running rows, edited or unknown applied migrations, out-of-order and draft
//! migrations, a database with tables and no history, and data loss without consent.

use std::collections::{BTreeMap, BTreeSet};

use super::Migrator;
use super::identity::Identities;
use crate::backend::{Conn, HistoryRow, RowStatus, Sql, is_missing_table};
use crate::error::{Error, ErrorKind};
use crate::migrations::{Dialect, Hazard, Migration, MigrationState, ObjectKind};

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

/// The code of statements whose effect on data the analysis cannot see (a `DO` block, a
/// function call): created objects never waive it, since it names none.
const OPAQUE: &str = "opaque-data-change";

/// The outcome of checking a pending migration's hazards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Waiver {
    /// No hazard, or nothing that existed before the run can be lost.
    None,
    /// The operator consented.
    Consent,
    /// The tables were empty: re-check them, by the names they have when the migration
    /// starts, inside its transaction (or just before it, without one).
    Empty(Vec<(Option<String>, String)>),
    /// Consent is missing.
    Missing,
}

/// A validated plan: the pending migrations in order, each with its waiver.
pub(super) struct Checked<'m> {
    pub pending: Vec<(&'m Migration, Waiver)>,
}

/// Whether the database held any user table when the run was planned; asked once, and only
/// when a hazard needs it.
pub(super) struct Fresh(Option<bool>);

impl Fresh {
    pub(super) fn new() -> Fresh {
        Fresh(None)
    }

    /// True when the database has no table at all (but the history's): no data existed, so
    /// none can be lost, whatever a statement does.
    async fn is_fresh(&mut self, conn: &mut Conn, sql: &Sql) -> Result<bool, Error> {
        if let Some(fresh) = self.0 {
            return Ok(fresh);
        }
        let tables = conn
            .strings(sql.tables())
            .await
            .map_err(|e| Error::database("cannot list the tables", e))?;
        self.0 = Some(tables.is_empty());
        Ok(tables.is_empty())
    }
}

/// Whether an empty database shows that `hazard` loses nothing. PostgreSQL's table list covers
/// the whole database; MySQL's and SQLite's only the current database, so there a hazard on
/// another database (a qualified name, `DROP DATABASE`) or of unknown reach (a procedure call)
/// is not covered.
fn fresh_covers(dialect: Dialect, hazard: &Hazard) -> bool {
    match dialect {
        Dialect::Postgres => true,
        Dialect::Mysql | Dialect::Sqlite => {
            hazard.code() != OPAQUE
                && hazard.object().schema().is_none()
                && hazard.object().kind() != ObjectKind::Schema
        }
    }
}

impl<'a> Migrator<'a> {
    /// Validates the whole plan, so that a refusal applies nothing.
    pub(super) async fn check(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        history: &[HistoryRow],
    ) -> Result<Checked<'a>, Error> {
        let migrations = self.migrations.migrations();
        if let Some(row) = history.iter().find(|r| r.status.blocks()) {
            return Err(self.blocked(row));
        }
        let embedded: BTreeMap<u64, &Migration> =
            migrations.iter().map(|m| (m.version, m)).collect();
        let applied: Vec<&HistoryRow> = history.iter().filter(|r| r.status.is_applied()).collect();
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
        // Consent, walking the run in order so that identities follow creations and renames.
        let mut ids = Identities::new(self.migrations.dialect());
        let mut fresh = Fresh::new();
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for m in pending {
            let waiver = self.waiver(conn, sql, m, &ids, &mut fresh).await?;
            if waiver == Waiver::Missing {
                let hazards: Vec<&str> = m.hazards().map(Hazard::message).collect();
                missing.push(format!(
                    "{} ({}): {}",
                    m.version,
                    m.path(),
                    hazards.join("; ")
                ));
            }
            ids.after(m);
            out.push((m, waiver));
        }
        if !missing.is_empty() {
            let list: Vec<String> = out
                .iter()
                .filter(|(_, w)| *w == Waiver::Missing)
                .map(|(m, _)| self.consent_name(m.version))
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

    /// How an operator names a migration of this namespace in a consent.
    pub(super) fn consent_name(&self, version: u64) -> String {
        match self.namespace() {
            "" => version.to_string(),
            ns => format!("{ns}:{version}"),
        }
    }

    pub(super) fn blocked(&self, row: &HistoryRow) -> Error {
        let (kind, what) = if row.status == RowStatus::Running {
            (
                ErrorKind::InterruptedMigration,
                format!(
                    "migration {} ({}) was interrupted{}: {} of {} statements completed and \
                     statement {} may have committed",
                    row.version,
                    row.name,
                    // A revert's intent log says which file was running.
                    row.error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default(),
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
            Some((table, "Flyway")) => format!(
                "; it has Flyway's history table `{table}`: lock the folder as adopted with \
                 `driftless lock --adopt migrations`, then baseline"
            ),
            Some((table, tool)) => format!(
                "; it has {tool}'s history table `{table}`: lock the folder as adopted with \
                 `driftless lock --adopt migrations`, then take that history over with {}",
                self.command(&format!("adopt --from {}", tool.to_ascii_lowercase()))
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

    /// Whether the operator consented to `version` of this namespace. A bare version is the
    /// application's (default) namespace, never a library's.
    fn consented(&self, version: u64) -> bool {
        self.consents
            .iter()
            .any(|(ns, v)| *v == version && ns.as_deref().unwrap_or("") == self.namespace())
    }

    /// Whether `m` can run without consent, given what the run did before it.
    pub(super) async fn waiver(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        m: &Migration,
        ids: &Identities,
        fresh: &mut Fresh,
    ) -> Result<Waiver, Error> {
        let mut empties = Vec::new();
        let mut any = false;
        for hazard in m.hazards() {
            // Created earlier in the run: nothing that existed can be lost. A statement whose
            // effect the analysis cannot see names no object it could have created.
            if hazard.code() != OPAQUE && ids.before_run(hazard.object()).is_none() {
                continue;
            }
            let table = match hazard.empty_table() {
                Some(t) => match ids.before_run(t) {
                    None => continue,
                    Some(before) => Some((t, before)),
                },
                None => None,
            };
            if fresh_covers(self.migrations.dialect(), hazard) && fresh.is_fresh(conn, sql).await? {
                continue;
            }
            any = true;
            if self.consented(m.version) {
                return Ok(Waiver::Consent);
            }
            let Some((at_start, before)) = table else {
                return Ok(Waiver::Missing);
            };
            let query = sql.has_rows(before.schema(), before.name());
            match conn.scalar_i64(query).await {
                Ok(n) if n.unwrap_or(0) == 0 => {}
                Ok(_) => return Ok(Waiver::Missing),
                // A table the runtime cannot find is never taken as empty.
                Err(e) if is_missing_table(&e) => return Ok(Waiver::Missing),
                Err(e) => return Err(Error::database("cannot check whether a table is empty", e)),
            }
            empties.push((
                at_start.schema().map(str::to_owned),
                at_start.name().to_owned(),
            ));
        }
        Ok(match (any, empties.is_empty()) {
            (false, _) | (true, true) => Waiver::None,
            (true, false) => Waiver::Empty(empties),
        })
    }

    pub(super) fn warn_unused_consents(&self, pending: &[(&Migration, Waiver)]) {
        for (ns, version) in &self.consents {
            if ns.as_deref().unwrap_or("") != self.namespace() {
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
}

/// Parses `[namespace:]version[,...]`. There is no blanket value.
pub(super) fn parse_consent(value: &str) -> Result<Vec<(Option<String>, u64)>, String> {
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
        let invalid = || {
            format!(
                "invalid consent `{item}`: expected `[namespace:]version` such as `3` or \
                 `billing:3`, comma-separated (there is no value that consents to everything)"
            )
        };
        if ns
            .as_deref()
            .is_some_and(|ns| ns.is_empty() || !super::valid_namespace(ns))
        {
            return Err(invalid());
        }
        let version: u64 = version.parse().map_err(|_| invalid())?;
        out.push((ns, version));
    }
    Ok(out)
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
        // diesel's setup migration is version 0.
        assert_eq!(parse_consent("0").unwrap(), vec![(None, 0)]);
        assert!(parse_consent("*").is_err());
        assert!(parse_consent("all").is_err());
        assert!(parse_consent("3;4").is_err());
        assert!(parse_consent(":4").is_err());
        assert!(parse_consent("a b:4").is_err());
    }
}
