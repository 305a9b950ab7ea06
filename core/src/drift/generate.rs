//! The migration that takes one schema to another: the comparison's findings, each with the SQL
//! that brings the history to the other side, ordered so the file applies (types and sequences,
//! then tables in foreign-key order, renames, columns, keys and indexes, views; drops last, views
//! before what they read, tables last). `driftless diff` writes it, from `schema.sql` or from a
//! live database: one generator, two sources.
//!
//! It never hides data loss: drops are written as drops, without an `allow`, so the analysis of
//! the new file stops the build until a person acknowledges each one. It never guesses a rename:
//! a column gone and one of the same type added on a table is written as drop and add, with the
//! `RENAME` alternative in a comment.

use std::collections::{BTreeMap, BTreeSet};

use crate::dialect::Dialect;

use super::model::{ConstraintKind, Name, Schema, Table};
use super::normalize;
use super::report::{Drift, DriftKind, Report};

/// Where a finding's statement goes in the file.
fn phase(d: &Drift) -> u8 {
    match (d.kind, d.object_kind) {
        (DriftKind::Extra, "enum" | "type" | "sequence")
        | (DriftKind::Changed, "enum" | "type") => 0,
        (DriftKind::Extra, "table") => 1,
        (DriftKind::Changed, "table") => 2,
        (DriftKind::Extra | DriftKind::Changed, "column") => 3,
        (DriftKind::Extra | DriftKind::Changed, "constraint" | "index") => 4,
        (DriftKind::Extra | DriftKind::Changed, "view") => 5,
        (DriftKind::Missing, "view") => 6,
        (DriftKind::Missing, "index") => 7,
        (DriftKind::Missing, "constraint") => 8,
        (DriftKind::Missing, "column") => 9,
        (DriftKind::Missing, "table") => 10,
        (DriftKind::Missing, _) => 11,
        _ => 4,
    }
}

/// The body of a migration that takes `from` (the history's schema) to `to`, from their
/// comparison `report`. Empty when there is nothing to change.
pub fn migration(dialect: Dialect, report: &Report, from: &Schema, to: &Schema) -> String {
    migration_from(dialect, report, from, to, "database")
}

/// [`migration`] with the other side named `other` in its comments (`schema.sql`).
pub fn migration_from(
    dialect: Dialect,
    report: &Report,
    from: &Schema,
    to: &Schema,
    other: &str,
) -> String {
    let mut items: Vec<(u8, usize, &Drift)> = Vec::new();
    let order = table_order(to);
    for d in &report.drift {
        let within = if d.kind == DriftKind::Extra && d.object_kind == "table" {
            order.get(d.object.as_str()).copied().unwrap_or(usize::MAX)
        } else {
            0
        };
        items.push((phase(d), within, d));
    }
    items.sort_by_key(|(phase, within, _)| (*phase, *within));
    let renames = rename_candidates(dialect, report, from, to);
    // SQLite changes a column or a key by rebuilding the table: one rebuild, into the target's
    // shape, covers every change to that table.
    let rebuilt: BTreeSet<Name> = if dialect == Dialect::Sqlite {
        report
            .drift
            .iter()
            .filter(|d| d.to_database.contains("__driftless_new"))
            .filter_map(|d| owner(d, from, to))
            .collect()
    } else {
        BTreeSet::new()
    };
    // Tables the migration creates, by place: a foreign key to one created later is added once
    // all exist.
    let created: BTreeMap<&str, usize> = report
        .drift
        .iter()
        .filter(|d| d.kind == DriftKind::Extra && d.object_kind == "table")
        .map(|d| {
            (
                d.object.as_str(),
                order.get(d.object.as_str()).copied().unwrap_or(usize::MAX),
            )
        })
        // A table renamed into place has its new name only after every table is created.
        .chain(
            report
                .drift
                .iter()
                .filter(|d| d.kind == DriftKind::Changed && d.object_kind == "table")
                .filter_map(|d| Some((d.database.as_deref()?, usize::MAX))),
        )
        .collect();
    let mut later: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut written = BTreeSet::new();
    // Views a rebuild dropped for good: their own DROP VIEW would fail.
    let mut dropped_views: BTreeSet<String> = BTreeSet::new();
    let flush = |out: &mut String, later: &mut Vec<String>| {
        if !later.is_empty() {
            out.push_str(&format!(
                "\n-- Foreign keys between the new tables, added once they all exist.\n{}\n",
                later.join("\n")
            ));
            later.clear();
        }
    };
    for (phase_of, _, d) in items {
        // After the tables, renames, columns and keys: what a deferred key references exists.
        if phase_of > 4 {
            flush(&mut out, &mut later);
        }
        if d.object_kind == "view"
            && d.kind == DriftKind::Missing
            && dropped_views.contains(&d.object)
        {
            continue;
        }
        let owned = owner(d, from, to).filter(|t| rebuilt.contains(t));
        let rebuild;
        let sql = match &owned {
            Some(table) => match (from.tables.get(table), to.tables.get(table)) {
                (Some(old), Some(new)) => {
                    // The rebuild drops the columns it does not copy: say which could be
                    // renames instead.
                    let mut text = String::new();
                    for (gone, rename) in &renames {
                        if gone.starts_with(&format!("{table}.")) {
                            text.push_str(&format!(
                                "-- If `{gone}` was renamed, not replaced, rename it before the \
                                 rebuild to keep its data:\n-- {rename}\n"
                            ));
                        }
                    }
                    let (sql, gone) = super::sql::sqlite_rebuild_in(from, to, old, new);
                    text.push_str(&sql);
                    dropped_views.extend(gone.iter().map(Name::to_string));
                    rebuild = text;
                    rebuild.as_str()
                }
                _ => d.to_database.trim(),
            },
            None if d.kind == DriftKind::Extra && d.object_kind == "table" => {
                match to.tables.values().find(|t| t.name.to_string() == d.object) {
                    Some(table) => {
                        let (table, keys) = without_forward_keys(dialect, table, |name| {
                            created.get(name.to_string().as_str()).copied()
                        });
                        later.extend(keys);
                        rebuild = super::sql::create_table(dialect, &table);
                        rebuild.as_str()
                    }
                    None => d.to_database.trim(),
                }
            }
            None => d.to_database.trim(),
        };
        // SQLite rebuilds a table once for all its changes: the same statement repeats.
        if sql.is_empty() || !written.insert(sql.to_owned()) {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("-- {}\n", describe(d, other)));
        if d.kind == DriftKind::Changed && d.object_kind == "table" {
            out.push_str(
                "-- The two tables share most of their columns, so this is written as a rename. If \
                 the new one is another table, write its CREATE TABLE and a DROP TABLE of the old \
                 one instead.\n",
            );
        }
        if d.kind == DriftKind::Missing
            && d.object_kind == "column"
            && let Some(rename) = renames.get(d.object.as_str())
        {
            out.push_str(&format!(
                "-- If the column was renamed, not replaced, write this instead of the DROP \
                 COLUMN here and the ADD COLUMN for its new name, and keep its data:\n-- {rename}\n"
            ));
        }
        out.push_str(sql);
        out.push('\n');
    }
    flush(&mut out, &mut later);
    if !report.unverified.is_empty() {
        let mut notes = String::from(
            "\n-- Not verified (the comparison could not decide; check these by hand):\n",
        );
        for u in &report.unverified {
            notes.push_str(&format!("--   {}: {}\n", u.object, u.why));
        }
        if !out.is_empty() {
            out.push_str(&notes);
        }
    }
    out
}

/// The table a finding of a column, key, check or index belongs to.
fn owner(d: &Drift, from: &Schema, to: &Schema) -> Option<Name> {
    let tables = || from.tables.values().chain(to.tables.values());
    match d.object_kind {
        "column" | "constraint" => tables()
            .find(|t| {
                let name = t.name.to_string();
                d.object.starts_with(&format!("{name}."))
                    || d.object.starts_with(&format!("{name} "))
            })
            .map(|t| t.name.clone()),
        "index" => tables()
            .find(|t| t.indexes.iter().any(|i| i.name == d.object))
            .map(|t| t.name.clone()),
        _ => None,
    }
}

/// A finding in one comment line, naming the other side.
fn describe(d: &Drift, other: &str) -> String {
    let mut line = format!("{} {} {}", d.kind.as_str(), d.object_kind, d.object);
    if !d.aspect.is_empty() {
        line.push_str(&format!(" ({})", d.aspect));
    }
    match (&d.history, &d.database) {
        (Some(h), Some(o)) => line.push_str(&format!(": history {h}, {other} {o}")),
        (Some(h), None) => line.push_str(&format!(": history {h}, not in {other}")),
        (None, Some(o)) => line.push_str(&format!(": {other} {o}, not in the history")),
        (None, None) => {}
    }
    if let Some(origin) = &d.origin {
        line.push_str(&format!(" [{origin}]"));
    }
    line.replace('\n', " ")
}

/// The position of each table of `schema` in an order where a table comes after the tables its
/// foreign keys reference (cycles keep name order).
fn table_order(schema: &Schema) -> BTreeMap<String, usize> {
    let mut placed: Vec<&Name> = Vec::new();
    let mut left: Vec<&Name> = schema.tables.keys().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|name| {
            let ready = schema.tables[*name]
                .constraints
                .iter()
                .all(|c| match &c.kind {
                    ConstraintKind::ForeignKey { table, .. } => {
                        table == *name
                            || !schema.tables.contains_key(table)
                            || placed.contains(&table)
                    }
                    _ => true,
                });
            if ready {
                placed.push(name);
            }
            !ready
        });
        if left.len() == before {
            placed.append(&mut left);
        }
    }
    placed
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name.to_string(), i))
        .collect()
}

/// `table` without its foreign keys to tables created after it in the same script (`created`
/// gives a table's place, `None` when it exists already), and those keys as `ALTER TABLE` statements
/// to run once every table exists: tables whose keys form a cycle cannot all reference tables
/// that exist. SQLite checks foreign keys only when rows change, so it keeps them inline.
fn without_forward_keys(
    dialect: Dialect,
    table: &Table,
    created: impl Fn(&Name) -> Option<usize>,
) -> (std::borrow::Cow<'_, Table>, Vec<String>) {
    let Some(place) = created(&table.name).filter(|_| dialect != Dialect::Sqlite) else {
        return (std::borrow::Cow::Borrowed(table), Vec::new());
    };
    let forward = |c: &super::model::Constraint| match &c.kind {
        ConstraintKind::ForeignKey { table: target, .. } => {
            *target != table.name && created(target).is_some_and(|p| p >= place)
        }
        _ => false,
    };
    if !table.constraints.iter().any(forward) {
        return (std::borrow::Cow::Borrowed(table), Vec::new());
    }
    let mut kept = table.clone();
    kept.constraints.retain(|c| !forward(c));
    let later = table
        .constraints
        .iter()
        .filter(|c| forward(c))
        .filter_map(|c| super::sql::add_constraint(dialect, &table.name, c))
        .collect();
    (std::borrow::Cow::Owned(kept), later)
}

/// For each column the migration drops (`table.column`), the `RENAME COLUMN` that would keep
/// its data instead, when the same table gains exactly one column of the same type.
fn rename_candidates(
    dialect: Dialect,
    report: &Report,
    from: &Schema,
    to: &Schema,
) -> BTreeMap<String, String> {
    fn column<'s>(
        schema: &'s Schema,
        object: &str,
    ) -> Option<(&'s super::model::Table, &'s super::model::Column)> {
        schema.tables.values().find_map(|t| {
            let rest = object.strip_prefix(&format!("{}.", t.name))?;
            t.columns.iter().find(|c| c.name == rest).map(|c| (t, c))
        })
    }
    let ty = |c: &super::model::Column| {
        c.ty.known()
            .and_then(|t| normalize::ty(dialect, t).or_else(|| Some(t.to_lowercase())))
    };
    let mut out = BTreeMap::new();
    for gone in report
        .drift
        .iter()
        .filter(|d| d.kind == DriftKind::Missing && d.object_kind == "column")
    {
        let Some((table, old)) = column(from, &gone.object) else {
            continue;
        };
        let added: Vec<_> = report
            .drift
            .iter()
            .filter(|d| d.kind == DriftKind::Extra && d.object_kind == "column")
            .filter_map(|d| column(to, &d.object))
            .filter(|(t, new)| t.name == table.name && ty(new) == ty(old))
            .collect();
        if let [(_, new)] = added.as_slice() {
            out.insert(
                gone.object.clone(),
                format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {};",
                    super::sql::qualified(dialect, &table.name),
                    super::sql::ident(dialect, &old.name),
                    super::sql::ident(dialect, &new.name)
                ),
            );
        }
    }
    out
}

/// A whole schema as CREATE statements, in an order that applies: enum types and sequences,
/// tables (with their keys and indexes) in foreign-key order, views. What `driftless pull`
/// writes into `schema.sql`.
pub fn schema_sql(dialect: Dialect, schema: &Schema) -> String {
    use super::sql;
    let mut out = String::new();
    let mut push = |statement: String| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&statement);
        out.push('\n');
    };
    for (name, e) in &schema.enums {
        let values = e
            .values
            .known()
            .map(|v| {
                v.iter()
                    .map(|v| sql::literal(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        push(format!(
            "CREATE TYPE {} AS ENUM ({values});",
            sql::qualified(dialect, name)
        ));
    }
    for (name, c) in &schema.composites {
        push(sql::create_composite(dialect, name, c));
    }
    for name in schema.sequences.keys() {
        push(format!(
            "CREATE SEQUENCE {};",
            sql::qualified(dialect, name)
        ));
    }
    let order = table_order(schema);
    let mut tables: Vec<&super::model::Table> = schema.tables.values().collect();
    tables.sort_by_key(|t| {
        order
            .get(&t.name.to_string())
            .copied()
            .unwrap_or(usize::MAX)
    });
    let mut later = Vec::new();
    for table in tables {
        let (table, keys) =
            without_forward_keys(dialect, table, |name| order.get(&name.to_string()).copied());
        let mut table = table.into_owned();
        table.indexes.sort_by(|a, b| a.key.cmp(&b.key));
        push(sql::create_table(dialect, &table));
        later.extend(keys);
    }
    if !later.is_empty() {
        push(format!(
            "-- Foreign keys between tables that reference one another.\n{}",
            later.join("\n")
        ));
    }
    for (name, view) in &schema.views {
        push(sql::create_view(dialect, name, view).unwrap_or_else(|| {
            format!(
                "-- view {}: its query is not known",
                sql::qualified(dialect, name)
            )
        }));
    }
    out
}
