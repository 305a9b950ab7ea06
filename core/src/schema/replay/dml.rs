//! Statements that change data: DELETE, UPDATE, INSERT, REPLACE, TRUNCATE, DML inside queries,
//! and the triggers they fire.

use std::collections::HashSet;

use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Delete, Expr, FromTable, GroupByExpr, Insert, ObjectName,
    Query, SelectItem, SetExpr, SqliteOnConflict, TableFactor, TableObject, UnaryOperator, Update,
    Value,
};

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::object::{Object, ObjectKind};
use crate::schema::Replay;
use crate::schema::catalog::{Name, Trigger};
use crate::schema::lex::{self, Place};
use crate::schema::opaque::Effect;

use super::{
    Certainty, Copy, HELP_TABLE, How, Run, Stmt, display, object, table_object, unseen_object,
};

/// A trigger's event, indexing [`Trigger::events`].
#[derive(Debug, Clone, Copy)]
enum TriggerEvent {
    Insert = 0,
    Update = 1,
    Delete = 2,
}

impl TriggerEvent {
    fn as_str(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "insert",
            TriggerEvent::Update => "update",
            TriggerEvent::Delete => "delete",
        }
    }
}
/// Whether a WHERE is true for every row: constant-true (`true`, `1`, `'a' = 'a'`, `not
/// false`), or a column compared with itself (`x = x`; false only where `x` is NULL).
fn always_true(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => always_true(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => always_false(expr),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::Or => always_true(left) || always_true(right),
            BinaryOperator::And => always_true(left) && always_true(right),
            BinaryOperator::Eq | BinaryOperator::GtEq | BinaryOperator::LtEq
                if left == right
                    && matches!(
                        left.as_ref(),
                        Expr::Identifier(_) | Expr::CompoundIdentifier(_)
                    ) =>
            {
                true
            }
            _ => compare(left, op, right) == Some(true),
        },
        _ => truth(expr) == Some(true),
    }
}

/// Whether a WHERE is false for every row (the operand of a `NOT` that is always true).
fn always_false(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => always_false(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => always_true(expr),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::Or => always_false(left) && always_false(right),
            BinaryOperator::And => always_false(left) || always_false(right),
            _ => compare(left, op, right) == Some(false),
        },
        _ => truth(expr) == Some(false),
    }
}

/// The truth of a constant: `true`/`false`, or a number (MySQL and SQLite read `where 1`).
fn truth(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Nested(inner) => truth(inner),
        Expr::Value(value) => match &value.value {
            Value::Boolean(b) => Some(*b),
            Value::Number(n, _) => n.parse::<f64>().ok().map(|n| n != 0.0),
            _ => None,
        },
        _ => None,
    }
}

/// A comparison of two constants of the same kind, evaluated.
fn compare(left: &Expr, op: &BinaryOperator, right: &Expr) -> Option<bool> {
    fn constant(expr: &Expr) -> Option<&Value> {
        match expr {
            Expr::Nested(inner) => constant(inner),
            Expr::Value(value) => Some(&value.value),
            _ => None,
        }
    }
    let ordering = match (constant(left)?, constant(right)?) {
        (Value::Number(a, _), Value::Number(b, _)) => a
            .parse::<f64>()
            .ok()?
            .partial_cmp(&b.parse::<f64>().ok()?)?,
        (Value::SingleQuotedString(a), Value::SingleQuotedString(b))
        | (Value::DoubleQuotedString(a), Value::DoubleQuotedString(b)) => a.cmp(b),
        (Value::Boolean(a), Value::Boolean(b)) => a.cmp(b),
        _ => return None,
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    Some(match op {
        BinaryOperator::Eq => ordering == Equal,
        BinaryOperator::NotEq => ordering != Equal,
        BinaryOperator::Lt => ordering == Less,
        BinaryOperator::LtEq => ordering != Greater,
        BinaryOperator::Gt => ordering == Greater,
        BinaryOperator::GtEq => ordering != Less,
        _ => return None,
    })
}

impl Replay {
    /// TRUNCATE, and DELETE or UPDATE without WHERE (`how`).
    pub(super) fn emptying(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        name: &ObjectName,
        code: Code,
        if_exists: bool,
        how: &How,
    ) {
        let name = self.name(st, name);
        let message = |table: &str| match (code, how) {
            (Code::Truncate, _) => format!("truncating table `{table}` deletes all its rows"),
            (Code::DeleteWithoutWhere, How::NoWhere) => {
                format!("deleting from `{table}` without `where` removes all its rows")
            }
            (Code::DeleteWithoutWhere, How::AlwaysTrue) => format!(
                "deleting from `{table}` with a `where` that is always true removes all its rows"
            ),
            (Code::DeleteWithoutWhere, How::Limit(n)) => format!(
                "deleting from `{table}` without `where` removes up to {n} of its rows, \
                 whichever the database picks"
            ),
            (_, How::NoWhere) => format!("updating `{table}` without `where` overwrites every row"),
            (_, How::AlwaysTrue) => format!(
                "updating `{table}` with a `where` that is always true overwrites every row"
            ),
            (_, How::Limit(n)) => format!(
                "updating `{table}` without `where` overwrites up to {n} rows, whichever the \
                 database picks"
            ),
        };
        match self.catalog.tables.get(&name.key) {
            Some(table) => {
                if table.created_in < self.migration {
                    let obj = table_object(table);
                    let message = message(&display(table));
                    self.hazard(run, st, code, obj.clone(), Some(obj), message);
                }
            }
            None => {
                if self.catalog.views.contains_key(&name.key) {
                    return;
                }
                let certainty = self.certainty(&name.key, None);
                if certainty != Certainty::Certain {
                    let obj = object(ObjectKind::Table, &name.schema, &name.name);
                    self.hazard(
                        run,
                        st,
                        code,
                        obj.clone(),
                        Some(obj),
                        message(&name.display()),
                    );
                }
                if !if_exists {
                    self.report(
                        run,
                        Code::MissingTable,
                        name.range.clone().unwrap_or(st.range()),
                        certainty,
                        format!("table `{}` does not exist", name.display()),
                        HELP_TABLE,
                    );
                }
            }
        }
    }

    /// `REPLACE INTO` / `INSERT OR REPLACE`: rows that conflict with new ones are deleted.
    fn replacing(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, into: &Name) {
        let message = |table: &str| {
            format!(
                "`replace` into `{table}` deletes every existing row that conflicts with a new \
                 one on its primary key or a unique index"
            )
        };
        match self.catalog.tables.get(&into.key) {
            Some(table) if table.created_in < self.migration => {
                let obj = table_object(table);
                let message = message(&display(table));
                self.hazard(run, st, Code::ReplaceInto, obj.clone(), Some(obj), message);
            }
            Some(_) => {}
            None if !self.catalog.views.contains_key(&into.key)
                && self.certainty(&into.key, None) != Certainty::Certain =>
            {
                let obj = object(ObjectKind::Table, &into.schema, &into.name);
                let message = message(&into.display());
                self.hazard(run, st, Code::ReplaceInto, obj.clone(), Some(obj), message);
            }
            None => {}
        }
    }

    pub(super) fn delete(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, delete: &Delete) {
        let from = match &delete.from {
            FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from) => from,
        };
        let mut targets: Vec<&ObjectName> = delete.tables.iter().collect();
        if targets.is_empty()
            && from.len() == 1
            && from[0].joins.is_empty()
            && let TableFactor::Table { name, .. } = &from[0].relation
        {
            targets.push(name);
        }
        // Triggers fire whatever the WHERE.
        for name in &targets {
            self.fired_triggers(run, st, name, TriggerEvent::Delete);
        }
        if delete.using.is_some() {
            return;
        }
        let Some(how) = self.reach(delete.selection.as_ref(), delete.limit.as_ref()) else {
            return;
        };
        for name in targets {
            self.emptying(run, st, name, Code::DeleteWithoutWhere, false, &how);
        }
    }

    pub(super) fn update(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, update: &Update) {
        let TableFactor::Table { name, .. } = &update.table.relation else {
            return;
        };
        self.fired_triggers(run, st, name, TriggerEvent::Update);
        let Some(how) = self.reach(update.selection.as_ref(), update.limit.as_ref()) else {
            return;
        };
        // A backfill of columns added in this same migration overwrites nothing that
        // existed before it.
        let target = self.name(st, name);
        let migration = self.migration;
        if let Some(table) = self.catalog.tables.get(&target.key) {
            let backfill = update.assignments.iter().all(|a| match &a.target {
                AssignmentTarget::ColumnName(column) => column
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .and_then(|i| table.column(&self.ident_key(i)))
                    .is_some_and(|c| c.created_in == migration),
                AssignmentTarget::Tuple(_) => false,
            });
            if backfill {
                return;
            }
        }
        self.emptying(run, st, name, Code::UpdateWithoutWhere, false, &how);
    }

    /// Whether a DELETE or UPDATE with this WHERE and LIMIT reaches rows it does not choose:
    /// no WHERE (or one that is always true), with or without a LIMIT.
    fn reach(&self, selection: Option<&Expr>, limit: Option<&Expr>) -> Option<How> {
        if selection.is_some_and(|w| !always_true(w)) {
            return None;
        }
        match limit {
            Some(limit) if truth(limit) == Some(false) => None,
            Some(limit) => Some(How::Limit(limit.to_string())),
            None if selection.is_some() => Some(How::AlwaysTrue),
            None => Some(How::NoWhere),
        }
    }

    /// DELETE, UPDATE and INSERT inside a query (`WITH d AS (DELETE ... RETURNING *) SELECT`),
    /// replayed like statements of their own.
    pub(super) fn query_dml(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, query: &Query) {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.query_dml(run, st, &cte.query);
            }
        }
        self.set_expr_dml(run, st, &query.body);
    }

    fn set_expr_dml(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, body: &SetExpr) {
        match body {
            SetExpr::Insert(statement)
            | SetExpr::Update(statement)
            | SetExpr::Delete(statement) => {
                self.apply(run, st, statement);
            }
            SetExpr::Query(query) => self.query_dml(run, st, query),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr_dml(run, st, left);
                self.set_expr_dml(run, st, right);
            }
            _ => {}
        }
    }

    /// SQLite: DML on a table whose trigger for that event changes data. Not a hazard when
    /// the table and the trigger were both created in this migration (an initial seed).
    fn fired_triggers(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &ObjectName,
        event: TriggerEvent,
    ) {
        if self.catalog.triggers.is_empty() {
            return;
        }
        let name = self.name(st, table);
        let migration = self.migration;
        let new_table = self
            .catalog
            .tables
            .get(&name.key)
            .is_some_and(|t| t.created_in == migration);
        let mut fired: Vec<(&Trigger, &Effect)> = self
            .catalog
            .triggers
            .values()
            .filter(|t| t.table == name.key && t.events[event as usize])
            .filter(|t| !(new_table && t.created_in == migration))
            .filter_map(|t| t.effect.as_ref().map(|e| (t, e)))
            .collect();
        fired.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        let hazards: Vec<(Object, String)> = fired
            .into_iter()
            .map(|(trigger, effect)| {
                (
                    unseen_object(&format!("trigger {}", trigger.name)),
                    format!(
                        "this `{}` fires trigger `{}` on `{}`, which {}; driftless cannot see \
                         which rows it changes, so it may delete or overwrite data",
                        event.as_str(),
                        trigger.name,
                        name.display(),
                        effect.describe()
                    ),
                )
            })
            .collect();
        for (object, message) in hazards {
            self.hazard(run, st, Code::OpaqueDataChange, object, None, message);
        }
    }

    pub(super) fn insert(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, insert: &Insert) {
        let TableObject::TableName(target) = &insert.table else {
            return;
        };
        let into = self.name(st, target);
        if let Some(source) = &insert.source {
            self.query_dml(run, st, source);
        }
        self.fired_triggers(run, st, target, TriggerEvent::Insert);
        if insert.replace_into || matches!(insert.or, Some(SqliteOnConflict::Replace)) {
            self.replacing(run, st, &into);
        }
        if !self.catalog.tables.contains_key(&into.key) {
            if !self.catalog.views.contains_key(&into.key) {
                self.report(
                    run,
                    Code::MissingTable,
                    into.range.clone().unwrap_or(st.range()),
                    self.certainty(&into.key, None),
                    format!("table `{}` does not exist", into.display()),
                    HELP_TABLE,
                );
            }
            return;
        }
        let Some(source) = &insert.source else {
            return;
        };
        let SetExpr::Select(select) = source.body.as_ref() else {
            return;
        };
        let [from] = select.from.as_slice() else {
            return;
        };
        // A copy that keeps only some rows is not a rebuild: the drop that follows loses the
        // others, and stays a drop-table hazard.
        let filtered = select.selection.is_some()
            || select.having.is_some()
            || select.distinct.is_some()
            || !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty())
            || source.limit_clause.is_some()
            || source.fetch.is_some();
        if !from.joins.is_empty() || filtered {
            return;
        }
        let TableFactor::Table { name, .. } = &from.relation else {
            return;
        };
        let from = self.name(st, name);
        if !self.catalog.tables.contains_key(&from.key) {
            return;
        }
        let mut columns = Some(HashSet::new());
        for item in &select.projection {
            if matches!(
                item,
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
            ) {
                columns = None;
                break;
            }
            if let Some(columns) = &mut columns {
                lex::words(&item.to_string(), |word, place| {
                    let key = if self.dialect == Dialect::Postgres && place == Place::Quoted {
                        word.to_owned()
                    } else {
                        word.to_lowercase()
                    };
                    columns.insert(key);
                });
            }
        }
        run.copies.push(Copy {
            into: into.key,
            from: from.key,
            columns,
        });
    }
}
