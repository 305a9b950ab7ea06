//! The drift check: the schema the applied history produces, replayed from the embedded
//! migrations, compared with the schema the database holds. Read-only.

use std::collections::BTreeSet;

use driftless_core::drift::{self as model, Report, Source, Unverified};

use super::introspect;
use crate::backend::{Conn, Pool, Sql, is_missing_table};
use crate::error::Error;
use crate::migrations::{Dialect, Migration};
use crate::migrator::Migrator;

/// What [`Migrator::drift`] finds: the comparison, what it replayed, and the migrations a
/// failure left half-applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// The differences and what could not be verified.
    pub report: Report,
    /// The versions replayed: those the history records as applied and this value embeds.
    pub replayed: Vec<u64>,
    /// Migrations recorded `failed` or `running`: which of the objects they create exist.
    pub half_applied: Vec<HalfApplied>,
    /// The schema the replayed history produces.
    pub history: model::Schema,
    /// The schema the database holds.
    pub database: model::Schema,
}

impl Drift {
    /// Whether the database and the history disagree.
    pub fn has_drift(&self) -> bool {
        self.report.has_drift()
    }
}

/// A migration a failure left between its start and its end (MySQL cannot roll DDL back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HalfApplied {
    /// Its version.
    pub version: u64,
    /// Its path.
    pub path: String,
    /// Objects it creates that the database holds (`table t`, `column t.c`, `index i`).
    pub present: Vec<String>,
    /// Objects it creates that the database does not hold yet.
    pub absent: Vec<String>,
}

/// A migration's text and statements, owned, for the replay thread.
struct Owned {
    path: String,
    sql: String,
    statements: Vec<std::ops::Range<usize>>,
    transactional: bool,
}

impl Owned {
    fn of(m: &Migration) -> Owned {
        Owned {
            path: m.path().to_owned(),
            sql: m.sql().to_owned(),
            statements: m.statement_ranges().collect(),
            transactional: m.is_transactional(),
        }
    }
}

fn replay_owned(dialect: Dialect, migrations: &[Owned], externs: &[String]) -> model::Schema {
    let sources: Vec<Source<'_>> = migrations
        .iter()
        .map(|m| Source {
            path: &m.path,
            sql: &m.sql,
            statements: &m.statements,
            transactional: m.transactional,
        })
        .collect();
    model::expected(core_dialect(dialect), &sources, externs)
}

/// Replays `migrations` in order.
fn replay(dialect: Dialect, migrations: &[&Migration], externs: &[String]) -> model::Schema {
    let ranges: Vec<Vec<std::ops::Range<usize>>> = migrations
        .iter()
        .map(|m| m.statement_ranges().collect())
        .collect();
    let sources: Vec<Source<'_>> = migrations
        .iter()
        .zip(&ranges)
        .map(|(m, statements)| Source {
            path: m.path(),
            sql: m.sql(),
            statements,
            transactional: m.is_transactional(),
        })
        .collect();
    model::expected(core_dialect(dialect), &sources, externs)
}

fn core_dialect(dialect: Dialect) -> driftless_core::Dialect {
    match dialect {
        Dialect::Postgres => driftless_core::Dialect::Postgres,
        Dialect::Mysql => driftless_core::Dialect::Mysql,
        Dialect::Sqlite => driftless_core::Dialect::Sqlite,
    }
}

impl Migrator<'_> {
    /// Compares the database with the schema its history should have: the embedded migrations
    /// the history records as applied, replayed in order, against a read-only introspection.
    /// No shadow database, no DDL, no lock. Objects the replay cannot see (statements it could
    /// not read) are counted as not verified, never reported as drift.
    pub async fn drift<P: Pool>(self, pool: &P) -> Result<Drift, Error> {
        let db = pool.__db();
        self.preflight(&db)?;
        let sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout_value()).await?;
        let drift = self.drift_on(&mut conn, &sql).await;
        conn.finish().await;
        drift
    }

    /// The drift check on an open connection (also used by `refuse_drift` inside a run).
    pub(crate) async fn drift_on(&self, conn: &mut Conn, sql: &Sql) -> Result<Drift, Error> {
        let rows = match conn.history(sql.history(self.migrations.namespace())).await {
            Ok(rows) => rows,
            Err(e) if is_missing_table(&e) => Vec::new(),
            Err(e) => return Err(Error::database("cannot read the history", e)),
        };
        let others = match conn
            .scalar_i64(sql.other_namespaces(self.migrations.namespace()))
            .await
        {
            Ok(n) => n.unwrap_or(0),
            Err(e) if is_missing_table(&e) => 0,
            Err(e) => return Err(Error::database("cannot read the history", e)),
        };
        let applied: BTreeSet<u64> = rows
            .iter()
            .filter(|r| r.status.is_applied() && r.version >= 0)
            .map(|r| r.version as u64)
            .collect();
        let unknown = applied
            .iter()
            .filter(|v| {
                !self
                    .migrations
                    .migrations()
                    .iter()
                    .any(|m| m.version() == **v)
            })
            .count();
        let replayed: Vec<&Migration> = self
            .migrations
            .migrations()
            .iter()
            .filter(|m| applied.contains(&m.version()))
            .collect();
        let dialect = self.migrations.dialect();
        let externs: Vec<String> = self.migrations.externs().map(str::to_owned).collect();
        // The replay is CPU work and the introspection waits on the server: they overlap.
        let owned: Vec<Owned> = replayed.iter().map(|m| Owned::of(m)).collect();
        let background = {
            let externs = externs.clone();
            std::thread::Builder::new()
                .name("driftless-replay".into())
                .spawn(move || replay_owned(dialect, &owned, &externs))
        };
        let database = introspect::read(conn, sql).await;
        let history = match background {
            Ok(handle) => handle.join().ok(),
            Err(_) => None,
        }
        .unwrap_or_else(|| replay(dialect, &replayed, &externs));
        let database = database?;
        let mut report = model::compare(core_dialect(dialect), &history, &database);
        // Extra objects may belong to migrations this value does not embed.
        if unknown > 0 || others > 0 {
            let why = if unknown > 0 {
                format!(
                    "the history records {unknown} applied migration(s) this binary does not \
                     embed, which may have made it"
                )
            } else {
                format!(
                    "the history holds {others} migration(s) of other namespaces, whose \
                     migrations this value does not embed"
                )
            };
            let (extra, kept): (Vec<_>, Vec<_>) = report.drift.into_iter().partition(|d| {
                // A newer deploy may have changed anything; another namespace owns its own
                // tables, not the columns of this one's.
                d.kind == model::DriftKind::Extra
                    && (unknown > 0
                        || matches!(d.object_kind, "table" | "view" | "enum" | "sequence"))
            });
            report.drift = kept;
            report
                .unverified
                .extend(extra.into_iter().map(|d| Unverified {
                    object: format!("{} {}", d.object_kind, d.object),
                    why: why.clone(),
                }));
        }
        let mut half_applied = Vec::new();
        for row in rows.iter().filter(|r| r.status.blocks() && r.version >= 0) {
            let Some(m) = self
                .migrations
                .migrations()
                .iter()
                .find(|m| m.version() == row.version as u64)
            else {
                continue;
            };
            let mut with = replayed.clone();
            with.push(m);
            let after = replay(dialect, &with, &externs);
            half_applied.push(half(m, &history, &after, &database));
        }
        Ok(Drift {
            report,
            replayed: replayed.iter().map(|m| m.version()).collect(),
            half_applied,
            history,
            database,
        })
    }
}

/// What a half-applied migration creates, split by what the database holds.
fn half(
    m: &Migration,
    before: &model::Schema,
    after: &model::Schema,
    database: &model::Schema,
) -> HalfApplied {
    let mut out = HalfApplied {
        version: m.version(),
        path: m.path().to_owned(),
        ..HalfApplied::default()
    };
    let mut note = |present: bool, what: String| {
        if present {
            out.present.push(what);
        } else {
            out.absent.push(what);
        }
    };
    for (name, table) in &after.tables {
        let db = database.tables.get(name);
        match before.tables.get(name) {
            None => note(db.is_some(), format!("table {name}")),
            Some(old) => {
                for column in &table.columns {
                    if old.column(&column.key).is_none() {
                        let present = db.is_some_and(|t| t.column(&column.key).is_some());
                        note(present, format!("column {name}.{}", column.name));
                    }
                }
                for index in &table.indexes {
                    if !old.indexes.iter().any(|i| i.key == index.key) {
                        let present =
                            db.is_some_and(|t| t.indexes.iter().any(|i| i.key == index.key));
                        note(present, format!("index {}", index.name));
                    }
                }
            }
        }
    }
    for name in after.views.keys() {
        if !before.views.contains_key(name) {
            note(database.views.contains_key(name), format!("view {name}"));
        }
    }
    out
}
