//! Keys (primary, unique, foreign), checks and indexes of two tables the comparison matched.

use std::collections::BTreeSet;

use crate::dialect::Dialect;

use super::super::model::{
    Action, Constraint, ConstraintKind, Fact, Index, IndexPart, Name, Schema, Table,
};
use super::super::normalize;
use super::super::report::{Drift, DriftKind};
use super::super::sql;
use super::{Cmp, with_name};

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

    pub(super) fn keys(&mut self, sure: bool, h: &'a Table, e: &'a Table, name: &Name) {
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

    pub(super) fn checks(&mut self, sure: bool, h: &'a Table, e: &'a Table, name: &Name) {
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

    pub(super) fn indexes(&mut self, sure: bool, h: &'a Table, e: &'a Table, name: &Name) {
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
