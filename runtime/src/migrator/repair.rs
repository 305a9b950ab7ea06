//! Reading and repairing the history: status, plan, resolve, baseline, and the upgrade of an
//! older history format.

use std::collections::BTreeMap;

use super::check::{Fresh, Waiver};
use super::identity::Identities;
use super::{Migrator, Plan, Planned, Status, summary};
use crate::backend::{Conn, Pool, RowStatus, Sql, is_missing_table};
use crate::error::{Error, ErrorKind};
use crate::migrations::{Migration, MigrationState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repair {
    RolledBack,
    Applied,
    Baseline,
}

impl<'a> Migrator<'a> {
    /// The namespace's summary (format 2) and, if an older driftless left one, its format-1
    /// summary.
    pub(super) async fn summaries(
        &self,
        conn: &mut Conn,
        sql: &Sql,
    ) -> Result<(Option<String>, Option<String>), Error> {
        let rows = conn
            .history(sql.summaries(self.namespace()))
            .await
            .map_err(|e| Error::database("cannot read the history", e))?;
        let find = |version: i64| {
            rows.iter()
                .find(|r| r.version == version)
                .map(|r| r.checksum.clone())
        };
        Ok((find(crate::backend::SUMMARY_VERSION), find(0)))
    }

    /// Reads the history and compares it with the embedded migrations. Read-only.
    pub async fn status<P: Pool>(self, pool: &P) -> Result<Status, Error> {
        let db = pool.__db();
        self.preflight(&db)?;
        let sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let rows = conn.history(sql.history(self.namespace())).await;
        let (table_exists, rows) = match rows {
            Ok(rows) => (true, rows),
            Err(e) if is_missing_table(&e) => (false, Vec::new()),
            Err(e) => {
                conn.finish().await;
                return Err(Error::database("cannot read the history", e));
            }
        };
        // A status that cannot compare still reports the history.
        #[cfg(feature = "drift")]
        let drift = match self.drift_on(&mut conn, &sql).await {
            Ok(drift) => Some(drift),
            Err(e) => {
                tracing::warn!(error = %e, "status: cannot compare the database with its history");
                None
            }
        };
        conn.finish().await;
        let mut status = Status {
            table_exists,
            #[cfg(feature = "drift")]
            drift,
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
            if row.status.is_applied() {
                status.applied.push(v);
                match embedded.get(&v) {
                    Some(m) if m.checksum_hex() != row.checksum => {
                        status.checksum_mismatches.push(v)
                    }
                    Some(_) => {}
                    None => status.unknown_applied.push(v),
                }
            } else if row.status.blocks() {
                status.failed.push((
                    v,
                    row.status.as_str().to_owned(),
                    row.done as u64,
                    row.total as u64,
                    row.error.clone(),
                ));
            }
        }
        let newest = status.applied.iter().max().copied();
        for m in self.migrations.migrations() {
            if !status.applied.contains(&m.version) {
                status.pending.push(m.version);
                if m.state() == MigrationState::Draft {
                    status.drafts.push(m.version);
                }
                if newest.is_some_and(|n| m.version < n) {
                    status.out_of_order.push(m.version);
                }
            }
        }
        Ok(status)
    }

    /// What a run would do now, and why it would be refused. Read-only.
    pub async fn plan<P: Pool>(self, pool: &P) -> Result<Plan, Error> {
        let db = pool.__db();
        self.preflight(&db)?;
        let sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let result = self.plan_on(&mut conn, &sql).await;
        conn.finish().await;
        result
    }

    async fn plan_on(&self, conn: &mut Conn, sql: &Sql) -> Result<Plan, Error> {
        let rows = match conn.history(sql.history(self.namespace())).await {
            Ok(rows) => rows,
            Err(e) if is_missing_table(&e) => Vec::new(),
            Err(e) => return Err(Error::database("cannot read the history", e)),
        };
        let mut plan = Plan::default();
        let applied = summary::applied_map(&rows);
        let mut ids = Identities::new(self.migrations.dialect());
        let mut fresh = Fresh::new();
        for m in self.migrations.migrations() {
            if applied.contains_key(&m.version) {
                continue;
            }
            let waiver = self.waiver(conn, sql, m, &ids, &mut fresh).await?;
            ids.after(m);
            plan.migrations.push(Planned {
                version: m.version,
                description: m.description().to_owned(),
                hazards: m.hazards().map(|h| h.message().to_owned()).collect(),
                needs_consent: waiver == Waiver::Missing,
                consent: waiver == Waiver::Consent,
            });
        }
        if let Err(e) = self.check(conn, sql, &rows).await {
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
        self.preflight(&db)?;
        let mut sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let result = self
            .repair_locked(&mut conn, &mut sql, version, repair)
            .await;
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
        sql: &mut Sql,
        version: u64,
        repair: Repair,
    ) -> Result<(), Error> {
        *sql = self.pin_schema(conn, sql.clone()).await?;
        let sql = &*sql;
        self.lock_history(conn, sql, false).await?;
        if let (_, Some(old)) = self.summaries(conn, sql).await? {
            self.upgrade_history(conn, sql, &old).await?;
        }
        let rows = self.read_history(conn, sql).await?;
        let ns = self.namespace();
        let mut applied = summary::applied_map(&rows);
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
                if !row.status.blocks() {
                    return Err(Error::new(
                        ErrorKind::InvalidRepair,
                        format!(
                            "migration {version} is `{}`, not `failed` or `running`; only those \
                             can be resolved",
                            row.status.as_str()
                        ),
                    ));
                }
                let status = if repair == Repair::Applied {
                    applied.insert(version, row.checksum.clone());
                    RowStatus::Applied
                } else {
                    RowStatus::RolledBack
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
                    if applied.contains_key(&m.version) {
                        continue;
                    }
                    body.push(sql.put_row(
                        ns,
                        m.version,
                        m.description(),
                        &m.checksum_hex(),
                        RowStatus::Baselined,
                        0,
                        m.statement_count(),
                        None,
                        None,
                        None,
                    ));
                    applied.insert(m.version, m.checksum_hex());
                }
            }
        }
        body.push(sql.put_summary(ns, &summary::of_applied(&applied)));
        conn.execute(self.transaction(sql, body.join(";\n")))
            .await
            .map_err(|e| self.write_error("cannot update the history", e))
    }

    /// Upgrades a namespace's rows of history format 1, under the namespace's lock. Format 1
    /// kept the summary at version 0, which diesel's `00000000000000_diesel_initial_setup` also
    /// uses: writing the summary deleted that migration's row. The summary still proves whether
    /// version 0 was applied (it hashes every applied version with its checksum), so the row is
    /// restored when, and only when, the old summary matches the history with version 0 added.
    pub(super) async fn upgrade_history(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        old: &str,
    ) -> Result<(), Error> {
        let ns = self.namespace();
        let rows = self.read_history(conn, sql).await?;
        let mut body = vec![sql.drop_old_summary(ns)];
        let zero = self.migrations.migrations().iter().find(|m| m.version == 0);
        if let Some(zero) = zero
            && !rows.iter().any(|r| r.version == 0)
        {
            let mut with_zero = summary::applied_map(&rows);
            with_zero.insert(0, zero.checksum_hex());
            if summary::of_applied(&with_zero) == old {
                tracing::warn!(
                    namespace = ns,
                    "restoring the history row of migration 0 ({}), lost to the summary row of \
                     an older driftless",
                    zero.path()
                );
                body.push(sql.put_row(
                    ns,
                    0,
                    zero.description(),
                    &zero.checksum_hex(),
                    RowStatus::Applied,
                    zero.statement_count(),
                    zero.statement_count(),
                    None,
                    None,
                    None,
                ));
            }
        }
        conn.execute(self.transaction(sql, body.join(";\n")))
            .await
            .map_err(|e| self.write_error("cannot upgrade the history", e))
    }
}
