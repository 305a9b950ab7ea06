//! The comparison of the history's schema with a database's.
//!
//! Objects are matched by what the engine keys them by: tables, views, enums and sequences by
//! name; columns by name within their table; keys (primary, unique, foreign) by their columns
//! and target, so a name the engine generated never makes drift; checks and indexes by name,
//! then by definition. A unique index on plain columns and a unique constraint are the same key
//! (MySQL and SQLite do not tell them apart). What a side cannot know, and every difference on
//! an object a statement the replay could not read may have touched, is "not verified".

use std::collections::BTreeSet;

use crate::dialect::Dialect;

use super::model::{Column, Fact, Identity, Name, Schema, Table};
use super::normalize;
use super::report::{Drift, DriftKind, Report, Unverified};
use super::sql;

mod keys;
mod objects;

/// Compares the schema the history produces with the schema a database holds.
pub fn compare(dialect: Dialect, history: &Schema, database: &Schema) -> Report {
    let mut cmp = Cmp {
        dialect,
        history,
        database,
        report: Report::default(),
    };
    cmp.tables();
    cmp.views();
    cmp.enums();
    cmp.composites();
    cmp.sequences();
    cmp.report
}

/// The comparison of a history whose tables come in parts, in name order, while they are still
/// being exported on another thread: each table is compared with the database's as it comes,
/// and the rest once all have come. The report is the one [`compare`] gives.
pub(crate) struct Streamed<'d> {
    dialect: Dialect,
    database: &'d Schema,
    /// The history without its tables (types, views, sequences, uncertain names, externs).
    rest: Schema,
    tables: Vec<(Name, Table)>,
    /// The comparisons of the tables both sides have.
    matched: Report,
}

impl<'d> Streamed<'d> {
    /// Starts comparing a history whose tables are not there yet (`rest`) with `database`.
    /// Its foreign keys name the columns they reference ([`crate::schema::Replay`] exports
    /// them so): a table is compared without the others.
    pub(crate) fn new(dialect: Dialect, database: &'d Schema, rest: Schema) -> Streamed<'d> {
        Streamed {
            dialect,
            database,
            rest,
            tables: Vec::new(),
            matched: Report::default(),
        }
    }

    /// Compares the next tables of the history, in name order.
    pub(crate) fn tables(&mut self, tables: Vec<(Name, Table)>) {
        let mut cmp = Cmp {
            dialect: self.dialect,
            history: &self.rest,
            database: self.database,
            report: std::mem::take(&mut self.matched),
        };
        for (name, h) in &tables {
            if let Some(e) = self.database.tables.get(name) {
                cmp.report.compared += 1;
                cmp.table(h, e);
            }
        }
        self.matched = cmp.report;
        self.tables.extend(tables);
    }

    /// The report, once every table has come, and the whole history.
    pub(crate) fn finish(self) -> (Report, Schema) {
        let mut history = self.rest;
        history.tables = self.tables.into_iter().collect();
        let mut cmp = Cmp {
            dialect: self.dialect,
            history: &history,
            database: self.database,
            report: Report::default(),
        };
        // The tables both sides have were compared as they came.
        let _matched = cmp.unmatched_tables();
        cmp.report.drift.extend(self.matched.drift);
        cmp.report.unverified.extend(self.matched.unverified);
        cmp.report.compared += self.matched.compared;
        cmp.views();
        cmp.enums();
        cmp.composites();
        cmp.sequences();
        let report = cmp.report;
        (report, history)
    }
}

struct Cmp<'a> {
    dialect: Dialect,
    history: &'a Schema,
    database: &'a Schema,
    report: Report,
}

impl<'a> Cmp<'a> {
    fn uncertain(&self, name: &str) -> bool {
        !self.history.uncertain.is_empty() && self.history.uncertain.contains(&name.to_lowercase())
    }

    fn is_extern(&self, name: &Name) -> bool {
        self.history.externs.iter().any(|spec| {
            let spec = spec.to_lowercase();
            let (schema, table) = match spec.rsplit_once('.') {
                Some((schema, table)) => (Some(schema), table),
                None => (None, spec.as_str()),
            };
            let schema_ok = match (schema, &name.schema) {
                (None, _) => true,
                (Some(s), Some(n)) => s == n.to_lowercase(),
                (Some(s), None) => matches!(s, "public" | "main"),
            };
            schema_ok && (table == "*" || table == name.name.to_lowercase())
        })
    }

    /// Records a difference, or "not verified" when the object is uncertain.
    fn drift(&mut self, sure: bool, drift: Drift) {
        if sure {
            self.report.drift.push(drift);
        } else {
            self.report.unverified.push(Unverified {
                object: format!("{} {}", drift.object_kind, drift.object),
                why: format!(
                    "a statement the replay could not read may explain it ({})",
                    drift.summary()
                ),
            });
        }
    }

    /// The objects of the database's `database` the history's `history` lacks, other than
    /// externs.
    fn extras<T>(
        &self,
        database: &'a std::collections::BTreeMap<Name, T>,
        history: &std::collections::BTreeMap<Name, T>,
    ) -> Vec<(&'a Name, &'a T)> {
        database
            .iter()
            .filter(|(name, _)| !history.contains_key(*name) && !self.is_extern(name))
            .collect()
    }

    fn unverified(&mut self, object: String, why: impl Into<String>) {
        self.report.unverified.push(Unverified {
            object,
            why: why.into(),
        });
    }

    fn tables(&mut self) {
        for (h, e) in self.unmatched_tables() {
            self.report.compared += 1;
            self.table(h, e);
        }
    }

    /// The tables one side lacks (and those renamed outside the history): returns the pairs
    /// both sides have, for [`Cmp::table`].
    fn unmatched_tables(&mut self) -> Vec<(&'a Table, &'a Table)> {
        let d = self.dialect;
        let history = self.history;
        let database = self.database;
        // Both sides in name order, walked together: a lookup per table cost more than the
        // comparison of a table that did not change.
        let mut missing: Vec<&Table> = Vec::new();
        let mut extra: Vec<&Table> = Vec::new();
        let mut matched: Vec<(&Table, &Table)> = Vec::new();
        let mut h_tables = history.tables.iter().peekable();
        let mut e_tables = database.tables.iter().peekable();
        loop {
            match (h_tables.peek(), e_tables.peek()) {
                (Some((h, _)), Some((e, _))) => match h.cmp(e) {
                    std::cmp::Ordering::Less => missing.extend(h_tables.next().map(|(_, t)| t)),
                    std::cmp::Ordering::Greater => extra.extend(e_tables.next().map(|(_, t)| t)),
                    std::cmp::Ordering::Equal => matched.extend(
                        h_tables
                            .next()
                            .zip(e_tables.next())
                            .map(|((_, h), (_, e))| (h, e)),
                    ),
                },
                (Some(_), None) => missing.extend(h_tables.next().map(|(_, t)| t)),
                (None, Some(_)) => extra.extend(e_tables.next().map(|(_, t)| t)),
                (None, None) => break,
            }
        }
        extra.retain(|t| !self.is_extern(&t.name));
        // A table renamed outside the history: one missing and one extra table sharing most of
        // their columns.
        let mut renamed = Vec::new();
        for m in &missing {
            if !m.columns_known || m.columns.is_empty() {
                continue;
            }
            let keys: BTreeSet<&str> = m.columns.iter().map(|c| c.key.as_str()).collect();
            // Most columns in common (a rename, perhaps with a column changed too).
            let candidates: Vec<&&Table> = extra
                .iter()
                .filter(|e| {
                    let other: BTreeSet<&str> = e.columns.iter().map(|c| c.key.as_str()).collect();
                    let shared = keys.intersection(&other).count();
                    shared * 2 >= keys.union(&other).count() && (shared >= 2 || keys == other)
                })
                .collect();
            if let [only] = candidates.as_slice() {
                renamed.push((*m, **only));
            }
        }
        for (m, e) in &renamed {
            missing.retain(|t| t.name != m.name);
            extra.retain(|t| t.name != e.name);
            let sure = !self.uncertain(&m.name.name) && !self.uncertain(&e.name.name);
            self.report.compared += 1;
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Changed,
                    object_kind: "table",
                    object: m.name.to_string(),
                    aspect: "name",
                    history: Some(m.name.to_string()),
                    database: Some(e.name.to_string()),
                    origin: m.origin.clone(),
                    database_origin: e.origin.clone(),
                    to_history: sql::rename_table(d, &e.name, &m.name),
                    to_database: sql::rename_table(d, &m.name, &e.name),
                },
            );
            self.table(m, e);
        }
        for m in missing {
            self.report.compared += 1;
            let sure = !self.uncertain(&m.name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "table",
                    object: m.name.to_string(),
                    aspect: "",
                    history: Some(describe_table(m)),
                    database: None,
                    origin: m.origin.clone(),
                    database_origin: None,
                    to_history: sql::create_table(d, m),
                    to_database: sql::drop_table(d, &m.name),
                },
            );
        }
        for e in extra {
            self.report.compared += 1;
            let sure = !self.uncertain(&e.name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "table",
                    object: e.name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some(describe_table(e)),
                    origin: None,
                    database_origin: e.origin.clone(),
                    to_history: sql::drop_table(d, &e.name),
                    to_database: sql::create_table(d, e),
                },
            );
        }
        matched
    }

    /// Compares two tables the comparison matched (same name, or a rename).
    fn table(&mut self, h: &'a Table, e: &'a Table) {
        let name = &e.name;
        if !h.columns_known {
            self.unverified(
                format!("table {}", h.name),
                "the replay cannot name its columns (CREATE TABLE … AS a select it cannot read, LIKE, INHERITS or a virtual table)",
            );
            return;
        }
        let sure = !self.uncertain(&h.name.name);
        self.columns(sure, h, e, name);
        if !h.keys_known {
            self.unverified(
                format!("table {}", h.name),
                "its constraints and indexes come from elsewhere (LIKE … INCLUDING, INHERITS)",
            );
            return;
        }
        self.keys(sure, h, e, name);
        self.checks(sure, h, e, name);
        self.indexes(sure, h, e, name);
    }

    fn columns(&mut self, sure: bool, h: &'a Table, e: &'a Table, name: &Name) {
        let d = self.dialect;
        let (history, database) = (self.history, self.database);
        let rebuild_to_history =
            || sql::sqlite_rebuild_in(database, history, e, &with_name(h, name)).0;
        let rebuild_to_database =
            || sql::sqlite_rebuild_in(history, database, &with_name(h, name), e).0;
        for hc in &h.columns {
            self.report.compared += 1;
            let column_sure = sure && !self.uncertain(&hc.key);
            let object = || format!("{}.{}", name, hc.name);
            let Some(ec) = e.column(&hc.key) else {
                self.drift(
                    column_sure,
                    Drift {
                        kind: DriftKind::Missing,
                        object_kind: "column",
                        object: object(),
                        aspect: "",
                        history: Some(describe_column(hc)),
                        database: None,
                        origin: hc.origin.clone(),
                        database_origin: None,
                        to_history: sql::add_column(d, name, hc),
                        to_database: sql::drop_column(d, name, hc),
                    },
                );
                continue;
            };
            for (aspect, difference) in self.column_differences(hc, ec) {
                let to_history =
                    sql::alter_column(d, name, ec, hc, aspect).unwrap_or_else(rebuild_to_history);
                let to_database =
                    sql::alter_column(d, name, hc, ec, aspect).unwrap_or_else(rebuild_to_database);
                match difference {
                    Some((history, database)) => self.drift(
                        column_sure,
                        Drift {
                            kind: DriftKind::Changed,
                            object_kind: "column",
                            object: object(),
                            aspect,
                            history: Some(history),
                            database: Some(database),
                            origin: hc.origin.clone(),
                            database_origin: ec.origin.clone(),
                            to_history,
                            to_database,
                        },
                    ),
                    None => self.unverified(
                        format!("column {}", object()),
                        format!("its {aspect} is spelled in a form the comparison does not read"),
                    ),
                }
            }
        }
        for ec in &e.columns {
            if h.column(&ec.key).is_some() {
                continue;
            }
            self.report.compared += 1;
            let column_sure = sure && !self.uncertain(&ec.key);
            self.drift(
                column_sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "column",
                    object: format!("{}.{}", name, ec.name),
                    aspect: "",
                    history: None,
                    database: Some(describe_column(ec)),
                    origin: None,
                    database_origin: ec.origin.clone(),
                    to_history: sql::drop_column(d, name, ec),
                    to_database: sql::add_column(d, name, ec),
                },
            );
        }
    }

    /// The aspects in which two columns differ: `Some((history, database))` for a difference,
    /// `None` for one the comparison cannot decide.
    #[allow(clippy::type_complexity)]
    fn column_differences(
        &self,
        h: &Column,
        e: &Column,
    ) -> Vec<(&'static str, Option<(String, String)>)> {
        let d = self.dialect;
        let mut out = Vec::new();
        // Equal spellings need no normalising (a declared schema written as `pull` writes it).
        if let (Fact::Known(ht), Fact::Known(et)) = (&h.ty, &e.ty)
            && ht != et
        {
            match (normalize::ty(d, ht), normalize::ty(d, et)) {
                (Some(a), Some(b)) => {
                    if !normalize::same_type(d, &a, &b) {
                        out.push(("type", Some((ht.clone(), et.clone()))));
                    }
                }
                _ => {
                    if normalize::expr(d, ht) != normalize::expr(d, et) {
                        out.push(("type", None));
                    }
                }
            }
        }
        if let (Fact::Known(hn), Fact::Known(en)) = (&h.nullable, &e.nullable)
            && hn != en
        {
            let word = |n: bool| if n { "NULL" } else { "NOT NULL" }.to_owned();
            out.push(("nullability", Some((word(*hn), word(*en)))));
        }
        if let (Fact::Known(hd), Fact::Known(ed)) = (&h.default, &e.default)
            && hd != ed
        {
            let a = normalize::default(d, hd.as_deref());
            let b = normalize::default(d, ed.as_deref());
            if a != b {
                let shown =
                    |raw: &Option<String>| raw.clone().unwrap_or_else(|| "no default".into());
                let sure = match (&a, &b) {
                    (Some(a), Some(b)) => normalize::plain(a) && normalize::plain(b),
                    _ => true,
                };
                out.push(("default", sure.then(|| (shown(hd), shown(ed)))));
            }
        }
        if let (Fact::Known(hi), Fact::Known(ei)) = (&h.identity, &e.identity)
            && hi != ei
        {
            out.push((
                "identity",
                Some((hi.as_str().to_owned(), ei.as_str().to_owned())),
            ));
        }
        out
    }
}

fn with_name(table: &Table, name: &Name) -> Table {
    let mut table = table.clone();
    table.name = name.clone();
    table
}

fn describe_table(table: &Table) -> String {
    if !table.columns_known {
        return "table".to_owned();
    }
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    format!("table ({})", columns.join(", "))
}

fn describe_column(column: &Column) -> String {
    let mut text = column.ty.known().cloned().unwrap_or_else(|| "?".to_owned());
    if column.nullable == Fact::Known(false) {
        text.push_str(" NOT NULL");
    }
    if let Fact::Known(Some(default)) = &column.default {
        text.push_str(&format!(" DEFAULT {default}"));
    }
    match column.identity {
        Fact::Known(Identity::None) | Fact::Unknown => {}
        Fact::Known(identity) => text.push_str(&format!(" {}", identity.as_str())),
    }
    text
}
