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

use super::model::{
    Action, Column, Constraint, ConstraintKind, Fact, Identity, Index, IndexPart, Name, Schema,
    Table, View,
};
use super::normalize;
use super::report::{Drift, DriftKind, Report, Unverified};
use super::sql;

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

/// A key (primary, unique, foreign) as both sides are matched on, borrowing its side.
#[derive(Debug, Clone)]
struct Key<'a> {
    kind: u8,
    columns: Vec<&'a str>,
    target: Option<(&'a Name, Vec<&'a str>)>,
    name: Option<&'a str>,
    constraint: Option<&'a Constraint>,
    index: Option<&'a Index>,
}

impl Key<'_> {
    fn same(&self, other: &Key<'_>) -> bool {
        if self.kind != other.kind {
            return false;
        }
        if self.columns == other.columns && self.target == other.target {
            return true;
        }
        fn sorted<'s>(c: &[&'s str]) -> BTreeSet<&'s str> {
            c.iter().copied().collect()
        }
        let columns = if self.kind == 2 {
            self.columns == other.columns
        } else {
            sorted(&self.columns) == sorted(&other.columns)
        };
        columns
            && match (&self.target, &other.target) {
                (Some((t1, c1)), Some((t2, c2))) => {
                    t1 == t2 && (c1.is_empty() || c2.is_empty() || c1 == c2)
                }
                (None, None) => true,
                _ => false,
            }
    }

    fn label(&self) -> &'static str {
        match self.kind {
            0 => "primary key",
            1 => "unique key",
            _ => "foreign key",
        }
    }

    fn describe(&self) -> String {
        let mut text = format!("{} ({})", self.label(), self.columns.join(", "));
        if let Some((table, columns)) = &self.target {
            text.push_str(&format!(" references {table}"));
            if !columns.is_empty() {
                text.push_str(&format!(" ({})", columns.join(", ")));
            }
        }
        text
    }
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

    fn side_keys(&self, schema: &'a Schema, table: &'a Table) -> Vec<Key<'a>> {
        let mut keys = Vec::new();
        for c in &table.constraints {
            let (kind, target) = match &c.kind {
                ConstraintKind::PrimaryKey => (0, None),
                ConstraintKind::Unique => (1, None),
                ConstraintKind::ForeignKey {
                    table: to, columns, ..
                } => {
                    let columns = if columns.is_empty() {
                        primary_key(schema, to).unwrap_or_default()
                    } else {
                        strs(columns)
                    };
                    (2, Some((to, columns)))
                }
                ConstraintKind::Check(_) => continue,
            };
            keys.push(Key {
                kind,
                columns: strs(&c.columns),
                target,
                name: c.name.as_deref(),
                constraint: Some(c),
                index: None,
            });
        }
        for index in &table.indexes {
            if let Some(columns) = plain_unique(index) {
                keys.push(Key {
                    kind: 1,
                    columns,
                    target: None,
                    name: Some(&index.name),
                    constraint: None,
                    index: Some(index),
                });
            }
        }
        keys
    }

    fn keys(&mut self, sure: bool, h: &'a Table, e: &'a Table, name: &Name) {
        let d = self.dialect;
        let hk = self.side_keys(self.history, h);
        let ek = self.side_keys(self.database, e);
        let mut matched = vec![false; ek.len()];
        for key in &hk {
            self.report.compared += 1;
            let found = ek
                .iter()
                .enumerate()
                .position(|(i, other)| !matched[i] && key.same(other));
            if let Some(i) = found {
                matched[i] = true;
                self.key_actions(sure, key, &ek[i], name, h, e);
                continue;
            }
            let origin = key
                .constraint
                .and_then(|c| c.origin.clone())
                .or_else(|| key.index.and_then(|i| i.origin.clone()));
            let (to_history, to_database) = self.key_sql(key, name, h, e, true);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "constraint",
                    object: format!("{name} {}", key.describe()),
                    aspect: "",
                    history: Some(key.name.map_or_else(|| key.describe(), str::to_owned)),
                    database: None,
                    origin,
                    database_origin: None,
                    to_history,
                    to_database,
                },
            );
        }
        for (i, key) in ek.iter().enumerate() {
            if matched[i] {
                continue;
            }
            // MySQL creates an index for a foreign key that has none: not the user's.
            if d == Dialect::Mysql && key.kind == 1 && key.index.is_some_and(|i| !i.unique) {
                continue;
            }
            self.report.compared += 1;
            let (to_history, to_database) = self.key_sql(key, name, h, e, false);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "constraint",
                    object: format!("{name} {}", key.describe()),
                    aspect: "",
                    history: None,
                    database: Some(key.name.map_or_else(|| key.describe(), str::to_owned)),
                    origin: None,
                    database_origin: key
                        .constraint
                        .and_then(|c| c.origin.clone())
                        .or_else(|| key.index.and_then(|i| i.origin.clone())),
                    to_history,
                    to_database,
                },
            );
        }
    }

    /// Compares the actions (`ON DELETE`, `ON UPDATE`) of a foreign key both sides have.
    /// MySQL does not tell `RESTRICT` from `NO ACTION`.
    fn key_actions(
        &mut self,
        sure: bool,
        key: &Key<'a>,
        other: &Key<'a>,
        name: &Name,
        h: &'a Table,
        e: &'a Table,
    ) {
        let actions = |key: &Key<'_>| match key.constraint.map(|c| &c.kind) {
            Some(ConstraintKind::ForeignKey {
                on_delete,
                on_update,
                ..
            }) => Some((*on_delete, *on_update)),
            _ => None,
        };
        let (Some(mine), Some(theirs)) = (actions(key), actions(other)) else {
            return;
        };
        let same = |a: Action, b: Action| {
            a == b
                || (self.dialect == Dialect::Mysql
                    && matches!(a, Action::Restrict | Action::NoAction)
                    && matches!(b, Action::Restrict | Action::NoAction))
        };
        if same(mine.0, theirs.0) && same(mine.1, theirs.1) {
            return;
        }
        let shown = |(delete, update): (Action, Action)| {
            format!(
                "ON DELETE {} ON UPDATE {}",
                delete.as_sql(),
                update.as_sql()
            )
        };
        let (Some(hc), Some(ec)) = (key.constraint, other.constraint) else {
            return;
        };
        let d = self.dialect;
        let replace = |from: &Constraint, to: &Constraint| match (
            sql::drop_constraint(d, name, from),
            sql::add_constraint(d, name, to),
        ) {
            (Some(drop), Some(add)) => Some(format!("{drop}\n{add}")),
            _ => None,
        };
        let (history, database) = (self.history, self.database);
        let to_history = replace(ec, hc)
            .unwrap_or_else(|| sql::sqlite_rebuild_in(database, history, e, &with_name(h, name)).0);
        let to_database = replace(hc, ec)
            .unwrap_or_else(|| sql::sqlite_rebuild_in(history, database, &with_name(h, name), e).0);
        self.drift(
            sure,
            Drift {
                kind: DriftKind::Changed,
                object_kind: "constraint",
                object: format!("{name} {}", key.describe()),
                aspect: "actions",
                history: Some(shown(mine)),
                database: Some(shown(theirs)),
                origin: hc.origin.clone(),
                database_origin: ec.origin.clone(),
                to_history,
                to_database,
            },
        );
    }

    /// The SQL of a key that one side lacks: `(to_history, to_database)`.
    fn key_sql(
        &self,
        key: &Key<'_>,
        name: &Name,
        h: &Table,
        e: &Table,
        missing: bool,
    ) -> (String, String) {
        let d = self.dialect;
        let add = |key: &Key<'_>| match (key.constraint, key.index) {
            (Some(c), _) => sql::add_constraint(d, name, c),
            (None, Some(i)) => Some(sql::create_index(d, name, i)),
            _ => None,
        };
        let drop = |key: &Key<'_>| match (key.constraint, key.index) {
            (Some(c), _) => sql::drop_constraint(d, name, c),
            (None, Some(i)) => Some(sql::drop_index(d, name, i)),
            _ => None,
        };
        let (history, database) = (self.history, self.database);
        let to_h = || sql::sqlite_rebuild_in(database, history, e, &with_name(h, name)).0;
        let to_e = || sql::sqlite_rebuild_in(history, database, &with_name(h, name), e).0;
        if missing {
            (
                add(key).unwrap_or_else(to_h),
                drop(key).unwrap_or_else(to_e),
            )
        } else {
            (
                drop(key).unwrap_or_else(to_h),
                add(key).unwrap_or_else(to_e),
            )
        }
    }

    fn checks(&mut self, sure: bool, h: &'a Table, e: &'a Table, name: &Name) {
        let d = self.dialect;
        let checks = |t: &'a Table| -> Vec<&'a Constraint> {
            t.constraints
                .iter()
                .filter(|c| matches!(c.kind, ConstraintKind::Check(_)))
                .collect()
        };
        let hc = checks(h);
        let ec = checks(e);
        let expr = |c: &Constraint| match &c.kind {
            ConstraintKind::Check(Some(e)) => {
                let text = e.trim();
                let text = if text.len() > 5 && text[..5].eq_ignore_ascii_case("check") {
                    &text[5..]
                } else {
                    text
                };
                let text = text.trim();
                let text = text.strip_suffix("NOT VALID").unwrap_or(text);
                Some(normalize::expr(d, text))
            }
            _ => None,
        };
        let mut matched = vec![false; ec.len()];
        let mut unnamed_left = 0;
        for c in &hc {
            self.report.compared += 1;
            let by_name = c.name.as_ref().and_then(|n| {
                ec.iter()
                    .enumerate()
                    .position(|(i, o)| !matched[i] && o.name.as_ref() == Some(n))
            });
            let by_expr = || {
                let mine = expr(c)?;
                ec.iter()
                    .enumerate()
                    .position(|(i, o)| !matched[i] && expr(o).as_ref() == Some(&mine))
            };
            if let Some(i) = by_name.or_else(by_expr) {
                matched[i] = true;
                continue;
            }
            if c.name.is_none() {
                unnamed_left += 1;
                continue;
            }
            let to_history = sql::add_constraint(d, name, c).unwrap_or_default();
            let to_database = sql::drop_constraint(d, name, c).unwrap_or_default();
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "constraint",
                    object: format!("{name}.{}", c.name.as_deref().unwrap_or("check")),
                    aspect: "",
                    history: Some(sql::constraint_clause(d, c)),
                    database: None,
                    origin: c.origin.clone(),
                    database_origin: None,
                    to_history,
                    to_database,
                },
            );
        }
        for (i, c) in ec.iter().enumerate() {
            if matched[i] {
                continue;
            }
            self.report.compared += 1;
            if unnamed_left > 0 {
                self.unverified(
                    format!("constraint {name}.{}", c.name.as_deref().unwrap_or("check")),
                    "the history has a CHECK without a name whose expression reads differently",
                );
                continue;
            }
            let to_history = sql::drop_constraint(d, name, c).unwrap_or_default();
            let to_database = sql::add_constraint(d, name, c).unwrap_or_default();
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "constraint",
                    object: format!("{name}.{}", c.name.as_deref().unwrap_or("check")),
                    aspect: "",
                    history: None,
                    database: Some(sql::constraint_clause(d, c)),
                    origin: None,
                    database_origin: c.origin.clone(),
                    to_history,
                    to_database,
                },
            );
        }
    }

    fn indexes(&mut self, sure: bool, h: &'a Table, e: &'a Table, name: &Name) {
        let d = self.dialect;
        let plain = |i: &Index| plain_unique(i).is_none();
        let hi: Vec<&Index> = h.indexes.iter().filter(|i| plain(i)).collect();
        let ei: Vec<&Index> = e.indexes.iter().filter(|i| plain(i)).collect();
        let mut matched = vec![false; ei.len()];
        let mut missing = Vec::new();
        for index in &hi {
            self.report.compared += 1;
            let found = ei
                .iter()
                .enumerate()
                .position(|(i, o)| !matched[i] && o.key == index.key);
            match found {
                Some(i) => {
                    matched[i] = true;
                    match self.same_index(index, ei[i]) {
                        Some(true) => {}
                        Some(false) => self.drift(
                            sure,
                            Drift {
                                kind: DriftKind::Changed,
                                object_kind: "index",
                                object: index.name.clone(),
                                aspect: "definition",
                                history: Some(sql::create_index(d, name, index)),
                                database: Some(sql::create_index(d, name, ei[i])),
                                origin: index.origin.clone(),
                                database_origin: ei[i].origin.clone(),
                                to_history: format!(
                                    "{}\n{}",
                                    sql::drop_index(d, name, ei[i]),
                                    sql::create_index(d, name, index)
                                ),
                                to_database: format!(
                                    "{}\n{}",
                                    sql::drop_index(d, name, index),
                                    sql::create_index(d, name, ei[i])
                                ),
                            },
                        ),
                        None => self.unverified(
                            format!("index {}", index.name),
                            "its key parts or predicate are unknown to one side, or spelled in a way the comparison cannot match",
                        ),
                    }
                }
                None => missing.push(*index),
            }
        }
        // A foreign key's index, on either side: MySQL keeps it when the key is dropped, and
        // its catalog cannot tell it from one the history created with the same name.
        let fk_columns: Vec<&[String]> = e
            .constraints
            .iter()
            .chain(&h.constraints)
            .filter(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
            .map(|c| c.columns.as_slice())
            .collect();
        for index in missing {
            if d == Dialect::Mysql && !index.unique && backs_foreign_key(index, &fk_columns) {
                continue;
            }
            // The same index under another name (a name the engine generated differently).
            let same = ei
                .iter()
                .enumerate()
                .position(|(i, o)| !matched[i] && self.same_index(index, o) == Some(true));
            if let Some(i) = same {
                matched[i] = true;
                continue;
            }
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "index",
                    object: index.name.clone(),
                    aspect: "",
                    history: Some(sql::create_index(d, name, index)),
                    database: None,
                    origin: index.origin.clone(),
                    database_origin: None,
                    to_history: sql::create_index(d, name, index),
                    to_database: sql::drop_index(d, name, index),
                },
            );
        }
        for (i, index) in ei.iter().enumerate() {
            if matched[i] {
                continue;
            }
            // MySQL creates an index for a foreign key that has none: not the user's.
            if d == Dialect::Mysql && !index.unique && backs_foreign_key(index, &fk_columns) {
                continue;
            }
            self.report.compared += 1;
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "index",
                    object: index.name.clone(),
                    aspect: "",
                    history: None,
                    database: Some(sql::create_index(d, name, index)),
                    origin: None,
                    database_origin: index.origin.clone(),
                    to_history: sql::drop_index(d, name, index),
                    to_database: sql::create_index(d, name, index),
                },
            );
        }
    }

    /// Whether two indexes have the same definition; `None` when a side does not know it, or
    /// when they differ only in how an expression or predicate is spelled (the catalog rewrites
    /// `IN (…)` as `= ANY (ARRAY[…])`, for one): a difference the comparison is not sure of.
    fn same_index(&self, a: &Index, b: &Index) -> Option<bool> {
        let d = self.dialect;
        let (Fact::Known(pa), Fact::Known(pb)) = (&a.parts, &b.parts) else {
            return None;
        };
        let (Fact::Known(qa), Fact::Known(qb)) = (&a.predicate, &b.predicate) else {
            return None;
        };
        if pa == pb && qa == qb {
            return Some(a.unique == b.unique);
        }
        let part = |p: &IndexPart| match p {
            IndexPart::Column(c) => (true, normalize::expr(d, c)),
            IndexPart::Expression(e) => (false, normalize::expr(d, e)),
        };
        let parts_a: Vec<(bool, String)> = pa.iter().map(part).collect();
        let parts_b: Vec<(bool, String)> = pb.iter().map(part).collect();
        let qa = qa.as_deref().map(|q| normalize::expr(d, q));
        let qb = qb.as_deref().map(|q| normalize::expr(d, q));
        if a.unique != b.unique || parts_a.len() != parts_b.len() || qa.is_some() != qb.is_some() {
            return Some(false);
        }
        let mut unsure = false;
        for ((column_a, a), (column_b, b)) in parts_a.iter().zip(&parts_b) {
            if a != b {
                if *column_a && *column_b {
                    return Some(false);
                }
                unsure = true;
            }
        }
        if qa != qb || unsure {
            return None;
        }
        Some(true)
    }

    fn views(&mut self) {
        let d = self.dialect;
        for (name, view) in &self.history.views {
            self.report.compared += 1;
            if let Some(other) = self.database.views.get(name) {
                self.view(name, view, other);
                continue;
            }
            let sure = !self.uncertain(&name.name);
            let at = view
                .origin
                .as_ref()
                .map(|o| format!(" (see {o})"))
                .unwrap_or_default();
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "view",
                    object: name.to_string(),
                    aspect: "",
                    history: Some("view".into()),
                    database: None,
                    origin: view.origin.clone(),
                    database_origin: None,
                    to_history: sql::create_view(d, name, view).unwrap_or_else(|| {
                        format!(
                            "-- re-create view {} from its definition in the history{at}",
                            sql::qualified(d, name)
                        )
                    }),
                    to_database: sql::drop_view(d, name, view.materialized),
                },
            );
        }
        for (name, view) in self.extras(&self.database.views, &self.history.views) {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "view",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some("view".into()),
                    origin: None,
                    database_origin: view.origin.clone(),
                    to_history: sql::drop_view(d, name, view.materialized),
                    to_database: sql::create_view(d, name, view).unwrap_or_else(|| {
                        format!(
                            "-- CREATE VIEW {} AS …: copy its definition from the database",
                            sql::qualified(d, name)
                        )
                    }),
                },
            );
        }
    }

    /// Compares two views of the same name: their kind, and on SQLite their queries. SQLite
    /// keeps a view's statement as written; PostgreSQL and MySQL print the query in their own
    /// words (qualified columns, aliases, parentheses), so a `schema.sql` pulled from them
    /// differs in spelling from the history's on every view, and their queries are not
    /// compared.
    fn view(&mut self, name: &Name, h: &View, e: &View) {
        let d = self.dialect;
        let (Some(hq), Some(eq)) = (&h.definition, &e.definition) else {
            return;
        };
        let same_query = d != Dialect::Sqlite || normalize::expr(d, hq) == normalize::expr(d, eq);
        if same_query && h.materialized == e.materialized {
            return;
        }
        let shown = |v: &View, query: &str| {
            let kind = if v.materialized {
                "materialized view"
            } else {
                "view"
            };
            format!("{kind} AS {query}")
        };
        let sure = !self.uncertain(&name.name);
        self.drift(
            sure,
            Drift {
                kind: DriftKind::Changed,
                object_kind: "view",
                object: name.to_string(),
                aspect: "definition",
                history: Some(shown(h, hq)),
                database: Some(shown(e, eq)),
                origin: h.origin.clone(),
                database_origin: e.origin.clone(),
                to_history: sql::replace_view(d, self.database, self.history, name),
                to_database: sql::replace_view(d, self.history, self.database, name),
            },
        );
    }

    fn enums(&mut self) {
        let d = self.dialect;
        let list = |values: &[String]| {
            values
                .iter()
                .map(|v| sql::literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (name, h) in &self.history.enums {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            let Some(e) = self.database.enums.get(name) else {
                let values = h.values.known().map(|v| list(v)).unwrap_or_default();
                self.drift(
                    sure,
                    Drift {
                        kind: DriftKind::Missing,
                        object_kind: "enum",
                        object: name.to_string(),
                        aspect: "",
                        history: Some(format!("({values})")),
                        database: None,
                        origin: h.origin.clone(),
                        database_origin: None,
                        to_history: format!(
                            "CREATE TYPE {} AS ENUM ({values});",
                            sql::qualified(d, name)
                        ),
                        to_database: format!("DROP TYPE {};", sql::qualified(d, name)),
                    },
                );
                continue;
            };
            let (Fact::Known(hv), Fact::Known(ev)) = (&h.values, &e.values) else {
                self.unverified(
                    format!("enum {name}"),
                    "its values are not known to the replay",
                );
                continue;
            };
            if hv == ev {
                continue;
            }
            let added: Vec<&String> = ev.iter().filter(|v| !hv.contains(v)).collect();
            let to_database = if hv.iter().all(|v| ev.contains(v)) {
                added
                    .iter()
                    .map(|v| {
                        let at = ev.iter().position(|x| x == *v).unwrap_or(0);
                        let place = match at.checked_sub(1).map(|p| &ev[p]) {
                            Some(prev) => format!(" AFTER {}", sql::literal(prev)),
                            None => format!(" BEFORE {}", sql::literal(&ev[1.min(ev.len() - 1)])),
                        };
                        format!(
                            "ALTER TYPE {} ADD VALUE {}{place};",
                            sql::qualified(d, name),
                            sql::literal(v)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                format!(
                    "-- the values of {} differ beyond additions: re-create the type",
                    sql::qualified(d, name)
                )
            };
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Changed,
                    object_kind: "enum",
                    object: name.to_string(),
                    aspect: "values",
                    history: Some(format!("({})", list(hv))),
                    database: Some(format!("({})", list(ev))),
                    origin: h.origin.clone(),
                    database_origin: e.origin.clone(),
                    to_history: format!(
                        "-- PostgreSQL cannot drop an enum value: re-create {} with ({})",
                        sql::qualified(d, name),
                        list(hv)
                    ),
                    to_database,
                },
            );
        }
        for (name, e) in self.extras(&self.database.enums, &self.history.enums) {
            self.report.compared += 1;
            let values = e.values.known().map(|v| list(v)).unwrap_or_default();
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "enum",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some(format!("({values})")),
                    origin: None,
                    database_origin: e.origin.clone(),
                    to_history: format!("DROP TYPE {};", sql::qualified(d, name)),
                    to_database: format!(
                        "CREATE TYPE {} AS ENUM ({values});",
                        sql::qualified(d, name)
                    ),
                },
            );
        }
    }

    fn composites(&mut self) {
        let d = self.dialect;
        let fields = |c: &super::model::Composite| -> Vec<(String, String)> {
            c.fields
                .iter()
                .map(|(n, t)| {
                    let t = normalize::ty(d, t).unwrap_or_else(|| t.to_lowercase());
                    (n.clone(), t)
                })
                .collect()
        };
        let describe = |c: &super::model::Composite| {
            let f: Vec<String> = c.fields.iter().map(|(n, t)| format!("{n} {t}")).collect();
            format!("({})", f.join(", "))
        };
        for (name, h) in &self.history.composites {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            let drift = match self.database.composites.get(name) {
                Some(e) if fields(h) == fields(e) => continue,
                Some(e) => Drift {
                    kind: DriftKind::Changed,
                    object_kind: "type",
                    object: name.to_string(),
                    aspect: "fields",
                    history: Some(describe(h)),
                    database: Some(describe(e)),
                    origin: h.origin.clone(),
                    database_origin: e.origin.clone(),
                    to_history: format!(
                        "DROP TYPE {};\n{}",
                        sql::qualified(d, name),
                        sql::create_composite(d, name, h)
                    ),
                    to_database: format!(
                        "DROP TYPE {};\n{}",
                        sql::qualified(d, name),
                        sql::create_composite(d, name, e)
                    ),
                },
                None => Drift {
                    kind: DriftKind::Missing,
                    object_kind: "type",
                    object: name.to_string(),
                    aspect: "",
                    history: Some(describe(h)),
                    database: None,
                    origin: h.origin.clone(),
                    database_origin: None,
                    to_history: sql::create_composite(d, name, h),
                    to_database: format!("DROP TYPE {};", sql::qualified(d, name)),
                },
            };
            self.drift(sure, drift);
        }
        for (name, e) in self.extras(&self.database.composites, &self.history.composites) {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "type",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some(describe(e)),
                    origin: None,
                    database_origin: e.origin.clone(),
                    to_history: format!("DROP TYPE {};", sql::qualified(d, name)),
                    to_database: sql::create_composite(d, name, e),
                },
            );
        }
    }

    fn sequences(&mut self) {
        let d = self.dialect;
        for (name, h) in &self.history.sequences {
            self.report.compared += 1;
            if self.database.sequences.contains_key(name) {
                continue;
            }
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "sequence",
                    object: name.to_string(),
                    aspect: "",
                    history: Some("sequence".into()),
                    database: None,
                    origin: h.origin.clone(),
                    database_origin: None,
                    to_history: format!("CREATE SEQUENCE {};", sql::qualified(d, name)),
                    to_database: format!("DROP SEQUENCE {};", sql::qualified(d, name)),
                },
            );
        }
        for (name, e) in self.extras(&self.database.sequences, &self.history.sequences) {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "sequence",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some("sequence".into()),
                    origin: None,
                    database_origin: e.origin.clone(),
                    to_history: format!("DROP SEQUENCE {};", sql::qualified(d, name)),
                    to_database: format!("CREATE SEQUENCE {};", sql::qualified(d, name)),
                },
            );
        }
    }
}

/// The columns of a unique index on plain columns without a predicate: a unique key.
fn plain_unique(index: &Index) -> Option<Vec<&str>> {
    if !index.unique || index.predicate != Fact::Known(None) {
        return None;
    }
    let Fact::Known(parts) = &index.parts else {
        return None;
    };
    parts
        .iter()
        .map(|p| match p {
            IndexPart::Column(c) => Some(c.as_str()),
            IndexPart::Expression(_) => None,
        })
        .collect()
}

fn backs_foreign_key(index: &Index, fks: &[&[String]]) -> bool {
    let Fact::Known(parts) = &index.parts else {
        return false;
    };
    let columns = parts.iter().filter_map(|p| match p {
        IndexPart::Column(c) => Some(c.as_str()),
        IndexPart::Expression(_) => None,
    });
    fks.iter().any(|fk| {
        !fk.is_empty() && {
            let mut prefix = columns.clone();
            fk.iter().all(|f| prefix.next() == Some(f.as_str()))
        }
    })
}

fn primary_key<'a>(schema: &'a Schema, table: &Name) -> Option<Vec<&'a str>> {
    schema
        .tables
        .get(table)?
        .constraints
        .iter()
        .find_map(|c| (c.kind == ConstraintKind::PrimaryKey).then(|| strs(&c.columns)))
}

fn strs(columns: &[String]) -> Vec<&str> {
    columns.iter().map(String::as_str).collect()
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
