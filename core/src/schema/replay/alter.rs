//! ALTER TABLE and its operations: adding, dropping, renaming, redefining and retyping
//! columns, constraints.

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ColumnOption, DataType, Expr,
    GeneratedAs, Ident, RenameTableNameKind, TableConstraint,
};

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::drift::{Fact, Identity, IndexPart};
use crate::object::{Object, ObjectKind};
use crate::schema::Replay;
use crate::schema::catalog::{Catalog, Column, ConstraintKind, Key, Name, Table};
use crate::schema::types::{self, Change, Ty};

use super::{
    Certainty, Created, ForeignKeyRef, HELP_DROP, HELP_TABLE, Run, Stmt, column_object, display,
    object, table_object,
};

/// Whether `expr` is `column` itself, possibly cast (`col::text::int`, `CAST(col AS int)`).
fn is_cast_of(expr: &Expr, column: &str, replay: &Replay) -> bool {
    match expr {
        Expr::Identifier(ident) => replay.ident_key(ident) == column,
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .is_some_and(|ident| replay.ident_key(ident) == column),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => is_cast_of(expr, column, replay),
        _ => false,
    }
}

impl Replay {
    pub(super) fn alter_table(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, alter: &AlterTable) {
        let name = self.name(st, &alter.name);
        let Some(mut table) = self.catalog.tables.remove(&name.key) else {
            self.alter_missing_table(run, st, alter, &name);
            return;
        };
        let mut key = name.key.clone();
        let mut fks = Vec::new();
        for operation in &alter.operations {
            self.alter_operation(run, st, &mut table, &mut key, operation, &mut fks);
        }
        self.catalog.tables.insert(key, table);
        for fk in fks {
            self.foreign_key(run, fk);
        }
        self.resolve_rebuilds(run);
    }

    /// `ALTER TABLE` of a name that is not a table of the catalog.
    fn alter_missing_table(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        alter: &AlterTable,
        name: &Name,
    ) {
        if self.catalog.views.contains_key(&name.key) {
            // PostgreSQL accepts ALTER TABLE on views.
            for operation in &alter.operations {
                if let AlterTableOperation::RenameTable { table_name } = operation {
                    let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) = table_name;
                    self.rename_view(run, st, &alter.name, new, false);
                }
            }
            return;
        }
        if alter.if_exists
            || self.catalog.sequences.contains_key(&name.key)
            || self.catalog.indexes.contains_key(&name.key)
        {
            return;
        }
        let certainty = self.certainty(&name.key, None);
        self.report(
            run,
            Code::MissingTable,
            name.range.clone().unwrap_or(st.range()),
            certainty,
            format!("table `{}` does not exist", name.display()),
            HELP_TABLE,
        );
        if certainty == Certainty::Certain {
            return;
        }
        // A table owned elsewhere or made by an unparsed statement: its data may exist, so the
        // statement's hazards still count.
        let table_obj = object(ObjectKind::Table, &name.schema, &name.name);
        for operation in &alter.operations {
            match operation {
                AlterTableOperation::DropColumn { column_names, .. } => {
                    for column in column_names {
                        let column = self.ident_name(column);
                        self.hazard(
                            run,
                            st,
                            Code::DropColumn,
                            Object::column(name.schema.as_deref(), &name.name, &column),
                            Some(table_obj.clone()),
                            format!(
                                "dropping column `{}.{column}` loses its data",
                                name.display()
                            ),
                        );
                    }
                }
                AlterTableOperation::RenameTable { .. } => self.hazard(
                    run,
                    st,
                    Code::RenameTable,
                    table_obj.clone(),
                    None,
                    format!(
                        "renaming table `{}` breaks code that still uses the old name",
                        name.display()
                    ),
                ),
                AlterTableOperation::RenameColumn {
                    old_column_name, ..
                } => {
                    let column = self.ident_name(old_column_name);
                    self.hazard(
                        run,
                        st,
                        Code::RenameColumn,
                        Object::column(name.schema.as_deref(), &name.name, &column),
                        None,
                        format!(
                            "renaming column `{}.{column}` breaks code that still uses the old \
                             name",
                            name.display()
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    fn alter_operation(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        key: &mut Key,
        operation: &AlterTableOperation,
        fks: &mut Vec<ForeignKeyRef>,
    ) {
        let migration = self.migration;
        let pre = table.created_in < migration;
        let table_obj = table_object(table);
        let postgres = self.dialect == Dialect::Postgres;
        match operation {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let column = self.column(st, column_def);
                if table.column(&column.key).is_some() {
                    if !if_not_exists {
                        self.report(
                            run,
                            Code::DuplicateColumn,
                            st.span(column_def.name.span),
                            self.column_certainty(key, table, &column.key),
                            format!("column `{}.{}` already exists", display(table), column.name),
                            "remove this ADD COLUMN, or give the new column another name",
                        );
                    }
                    return;
                }
                if pre && column.not_null && !column.has_default {
                    self.hazard(
                        run,
                        st,
                        Code::AddNotNullColumn,
                        column_object(table, &column.name),
                        None,
                        format!(
                            "adding not null column `{}.{}` without a default fails if `{}` has \
                             rows",
                            display(table),
                            column.name,
                            display(table)
                        ),
                    );
                }
                if pre {
                    run.created
                        .push(Created::Column(key.clone(), column.key.clone()));
                }
                let serial = column.ty.to_ascii_lowercase().contains("serial")
                    || column_def.options.iter().any(|o| {
                        matches!(
                            o.option,
                            ColumnOption::Generated { .. } | ColumnOption::Identity(_)
                        )
                    });
                let column_key = column.key.clone();
                table.columns.push(column);
                if serial && postgres {
                    self.implicit_sequence(table, &column_key);
                }
                self.inline_constraints(st, table, key, column_def, fks);
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                for ident in column_names {
                    let column_key = self.ident_key(ident);
                    let Some(position) = table.columns.iter().position(|c| c.key == column_key)
                    else {
                        if !if_exists {
                            self.missing_column(run, st, table, key, ident);
                        }
                        continue;
                    };
                    let column = table.columns.remove(position);
                    self.forget_column(table, key, &column.key);
                    if column.created_in < migration {
                        self.hazard(
                            run,
                            st,
                            Code::DropColumn,
                            column_object(table, &column.name),
                            Some(table_obj.clone()),
                            format!(
                                "dropping column `{}.{}` loses its data",
                                display(table),
                                column.name
                            ),
                        );
                    }
                    run.column_aliases.retain(|(t, now, _)| {
                        !(self.same_table(t, &table_obj) && self.same_column(now, &column.name))
                    });
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column_key = self.ident_key(column_name);
                if table.column(&column_key).is_none() {
                    self.missing_column(run, st, table, key, column_name);
                    return;
                }
                match op {
                    AlterColumnOperation::SetNotNull => {
                        let column = table.column(&column_key).unwrap();
                        if column.created_in < migration && !column.not_null {
                            let message = format!(
                                "setting `{}.{}` not null fails if a row holds null",
                                display(table),
                                column.name
                            );
                            let obj = column_object(table, &column.name);
                            self.hazard(
                                run,
                                st,
                                Code::ConstraintOnExistingData,
                                obj,
                                None,
                                message,
                            );
                        }
                        let column = table.column_mut(&column_key).unwrap();
                        column.not_null = true;
                        column.declared_not_null = true;
                        column.made = (migration, st.start);
                    }
                    AlterColumnOperation::DropNotNull => {
                        let column = table.column_mut(&column_key).unwrap();
                        column.not_null = false;
                        column.declared_not_null = false;
                        column.made = (migration, st.start);
                    }
                    AlterColumnOperation::SetDefault { value } => {
                        let column = table.column_mut(&column_key).unwrap();
                        column.has_default = true;
                        column.default = Fact::Known(Some(
                            super::tables::source_text(st, value)
                                .unwrap_or_else(|| value.to_string()),
                        ));
                        if column.identity == Identity::Serial {
                            // The sequence's default is replaced: no longer a serial.
                            column.identity = Identity::None;
                        }
                        column.made = (migration, st.start);
                    }
                    AlterColumnOperation::DropDefault => {
                        let column = table.column_mut(&column_key).unwrap();
                        column.has_default = false;
                        column.default = Fact::Known(None);
                        if column.identity == Identity::Serial {
                            column.identity = Identity::None;
                        }
                        column.made = (migration, st.start);
                    }
                    AlterColumnOperation::AddGenerated { generated_as, .. } => {
                        let column = table.column_mut(&column_key).unwrap();
                        column.has_default = true;
                        column.identity = match generated_as {
                            Some(GeneratedAs::Always) => Identity::Always,
                            _ => Identity::ByDefault,
                        };
                        column.made = (migration, st.start);
                    }
                    AlterColumnOperation::SetDataType {
                        data_type, using, ..
                    } => {
                        self.change_type(run, st, table, &column_key, data_type, using.as_ref());
                    }
                    _ => {}
                }
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => {
                self.redefine_column(run, st, table, key, col_name, None, data_type, options);
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => {
                self.redefine_column(
                    run,
                    st,
                    table,
                    key,
                    old_name,
                    Some(new_name),
                    data_type,
                    options,
                );
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                self.rename_column(run, st, table, key, old_column_name, new_column_name);
            }
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) = table_name;
                let mut new = self.name(st, new);
                if new.key.schema.is_none() && self.dialect != Dialect::Mysql {
                    // The new name stays in the table's schema.
                    new.key.schema = key.schema.clone();
                    new.schema = table.schema.clone();
                }
                if self.catalog.tables.contains_key(&new.key)
                    || self.catalog.views.contains_key(&new.key)
                {
                    self.report(
                        run,
                        Code::ObjectExists,
                        new.range.clone().unwrap_or(st.range()),
                        self.certainty(&new.key, None),
                        format!("table `{}` already exists", new.display()),
                        "pick another name, or drop the existing table first",
                    );
                    return;
                }
                self.renamed_table(run, st, table, key, &new);
                *key = new.key;
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => {
                self.table_constraint(run, st, table, key, constraint, fks);
                if !pre {
                    return;
                }
                let name = display(table);
                let (may_fail, lock) = match constraint {
                    TableConstraint::PrimaryKey(_) => (
                        Some(format!(
                            "adding a primary key to `{name}` fails if existing rows hold \
                             duplicates or nulls"
                        )),
                        None,
                    ),
                    TableConstraint::Unique(_) => (
                        Some(format!(
                            "adding a unique constraint to `{name}` fails if existing rows hold \
                             duplicates"
                        )),
                        None,
                    ),
                    TableConstraint::Check(_) if !not_valid => (
                        Some(format!(
                            "adding a check constraint to `{name}` fails if existing rows \
                             violate it"
                        )),
                        Some(format!(
                            "adding a check constraint to `{name}` without `not valid` blocks \
                             writes while every row is checked"
                        )),
                    ),
                    TableConstraint::ForeignKey(_) if !not_valid => (
                        None,
                        Some(format!(
                            "adding a foreign key to `{name}` without `not valid` blocks writes \
                             while every row is checked"
                        )),
                    ),
                    _ => (None, None),
                };
                if let Some(message) = may_fail {
                    self.hazard(
                        run,
                        st,
                        Code::ConstraintOnExistingData,
                        table_obj.clone(),
                        None,
                        message,
                    );
                }
                if let Some(message) = lock.filter(|_| postgres) {
                    self.hazard(
                        run,
                        st,
                        Code::ConstraintWithoutNotValid,
                        table_obj,
                        None,
                        message,
                    );
                }
            }
            AlterTableOperation::DropConstraint {
                if_exists, name, ..
            } => self.drop_constraint(run, st, table, key, name, *if_exists),
            AlterTableOperation::DropForeignKey { name, .. } => {
                self.drop_constraint(run, st, table, key, name, false);
            }
            AlterTableOperation::DropIndex { name } => {
                let index_key = Key {
                    schema: Catalog::mysql_index_scope(key),
                    name: self.ident_key(name),
                };
                if self.catalog.indexes.remove(&index_key).is_some() {
                    table.constraints.retain(|c| c.key != index_key.name);
                } else {
                    self.drop_constraint(run, st, table, key, name, false);
                }
            }
            AlterTableOperation::DropPrimaryKey { .. } => {
                table
                    .constraints
                    .retain(|c| c.kind != ConstraintKind::PrimaryKey);
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let old = self.ident_key(old_name);
                let new_key = self.ident_key(new_name);
                let new_display = self.ident_name(new_name);
                match table.constraints.iter_mut().find(|c| c.key == old) {
                    Some(constraint) => {
                        constraint.key = new_key;
                        constraint.name = new_display;
                    }
                    None => self.missing_constraint(run, st, table, key, old_name),
                }
            }
            _ => {}
        }
    }

    fn missing_column(
        &self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &Table,
        key: &Key,
        ident: &Ident,
    ) {
        let column = self.ident_key(ident);
        self.report(
            run,
            Code::MissingColumn,
            st.span(ident.span),
            self.column_certainty(key, table, &column),
            format!(
                "column `{}.{}` does not exist",
                display(table),
                self.ident_name(ident)
            ),
            "add the column in an earlier statement, or fix its name",
        );
    }

    fn missing_constraint(
        &self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &Table,
        key: &Key,
        ident: &Ident,
    ) {
        let certainty = match self.certainty(key, Some(&self.ident_key(ident))) {
            Certainty::Certain if table.anonymous || !table.columns_known => Certainty::Uncertain,
            other => other,
        };
        self.report(
            run,
            Code::MissingObject,
            st.span(ident.span),
            certainty,
            format!(
                "constraint `{}` does not exist on table `{}`",
                self.ident_name(ident),
                display(table)
            ),
            HELP_DROP,
        );
    }

    fn drop_constraint(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        key: &Key,
        name: &Ident,
        if_exists: bool,
    ) {
        let constraint = self.ident_key(name);
        let Some(position) = table.constraints.iter().position(|c| c.key == constraint) else {
            if !if_exists {
                self.missing_constraint(run, st, table, key, name);
            }
            return;
        };
        let removed = table.constraints.remove(position);
        let index_key = match self.dialect {
            Dialect::Mysql => Key {
                schema: Catalog::mysql_index_scope(key),
                name: removed.key,
            },
            _ => Key {
                schema: key.schema.clone(),
                name: removed.key,
            },
        };
        if self
            .catalog
            .indexes
            .get(&index_key)
            .is_some_and(|i| i.table == *key)
        {
            self.catalog.indexes.remove(&index_key);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn redefine_column(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        key: &Key,
        old: &Ident,
        new: Option<&Ident>,
        data_type: &DataType,
        options: &[ColumnOption],
    ) {
        let old_key = self.ident_key(old);
        if table.column(&old_key).is_none() {
            self.missing_column(run, st, table, key, old);
            return;
        }
        self.change_type(run, st, table, &old_key, data_type, None);
        let mut shape = Column {
            key: String::new(),
            name: String::new(),
            ty: String::new(),
            ty_ref: None,
            not_null: false,
            has_default: false,
            default: Fact::Known(None),
            identity: Identity::None,
            declared_not_null: false,
            vague: false,
            created_in: 0,
            made: (self.migration, st.start),
        };
        for option in options {
            self.column_option(&mut shape, option);
        }
        let column = table.column(&old_key).unwrap();
        if shape.not_null && !column.not_null && column.created_in < self.migration {
            let message = format!(
                "making `{}.{}` not null fails if a row holds null",
                display(table),
                column.name
            );
            let obj = column_object(table, &column.name);
            self.hazard(run, st, Code::ConstraintOnExistingData, obj, None, message);
        }
        let column = table.column_mut(&old_key).unwrap();
        column.not_null = shape.not_null;
        column.has_default = shape.has_default;
        column.default = shape.default;
        column.identity = shape.identity;
        column.declared_not_null = shape.declared_not_null;
        column.made = shape.made;
        if let Some(new) = new
            && self.ident_key(new) != old_key
        {
            self.rename_column(run, st, table, key, old, new);
        }
    }

    fn rename_column(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        key: &Key,
        old: &Ident,
        new: &Ident,
    ) {
        let old_key = self.ident_key(old);
        let new_key = self.ident_key(new);
        if table.column(&old_key).is_none() {
            self.missing_column(run, st, table, key, old);
            return;
        }
        if old_key != new_key && table.column(&new_key).is_some() {
            self.report(
                run,
                Code::DuplicateColumn,
                st.span(new.span),
                self.column_certainty(key, table, &new_key),
                format!(
                    "column `{}.{}` already exists",
                    display(table),
                    self.ident_name(new)
                ),
                "pick another name, or drop the existing column first",
            );
            return;
        }
        let new_name = self.ident_name(new);
        let column = table.column(&old_key).unwrap();
        if column.created_in < self.migration {
            let message = format!(
                "renaming column `{}.{}` to `{new_name}` breaks code that still uses `{}`",
                display(table),
                column.name,
                column.name
            );
            let obj = column_object(table, &column.name);
            self.hazard(run, st, Code::RenameColumn, obj, None, message);
            let table_now = table_object(table);
            let old_name = column.name.clone();
            match run.column_aliases.iter_mut().find(|(t, now, _)| {
                self.same_table(t, &table_now) && self.same_column(now, &old_name)
            }) {
                Some(alias) => alias.1 = self.ident_name(new),
                None => run
                    .column_aliases
                    .push((table_now, self.ident_name(new), old_name)),
            }
        } else if table.created_in < self.migration {
            run.created
                .push(Created::Column(key.clone(), new_key.clone()));
        }
        self.forget_view_queries(&old_key);
        let column = table.column_mut(&old_key).unwrap();
        column.key = new_key.clone();
        column.name = new_name;
        self.rename_column_references(table, key, &old_key, &new_key);
    }

    /// After `DROP COLUMN`: the constraints and indexes that used the column go with it
    /// (PostgreSQL, SQLite), or lose it as a key part (MySQL, which drops an index left empty).
    fn forget_column(&mut self, table: &mut Table, key: &Key, column: &str) {
        let uses = |columns: &[String]| columns.iter().any(|c| c == column);
        if self.dialect == Dialect::Mysql {
            for constraint in &mut table.constraints {
                constraint.columns.retain(|c| c != column);
            }
            table
                .constraints
                .retain(|c| c.kind == ConstraintKind::Check || !c.columns.is_empty());
        } else {
            table.constraints.retain(|c| !uses(&c.columns));
        }
        let mysql = self.dialect == Dialect::Mysql;
        self.catalog.indexes.retain(|_, index| {
            if index.table != *key {
                return true;
            }
            let Fact::Known(parts) = &mut index.parts else {
                return true;
            };
            let used = parts
                .iter()
                .any(|p| matches!(p, IndexPart::Column(c) if c == column));
            if !used {
                return true;
            }
            if mysql {
                parts.retain(|p| !matches!(p, IndexPart::Column(c) if c == column));
                !parts.is_empty()
            } else {
                false
            }
        });
    }

    /// After a column rename: constraints, indexes and other tables' foreign keys follow it.
    fn rename_column_references(&mut self, table: &mut Table, key: &Key, old: &str, new: &str) {
        let rename = |columns: &mut Vec<String>| {
            for c in columns.iter_mut() {
                if c == old {
                    *c = new.to_owned();
                }
            }
        };
        for constraint in &mut table.constraints {
            rename(&mut constraint.columns);
            if let Some((target, columns)) = &mut constraint.target
                && target == key
            {
                rename(columns);
            }
        }
        for other in self.catalog.tables.values_mut() {
            for constraint in &mut other.constraints {
                if let Some((target, columns)) = &mut constraint.target
                    && target == key
                {
                    rename(columns);
                }
            }
        }
        for index in self.catalog.indexes.values_mut() {
            if index.table != *key {
                continue;
            }
            if let Fact::Known(parts) = &mut index.parts {
                for part in parts.iter_mut() {
                    if matches!(part, IndexPart::Column(c) if c == old) {
                        *part = IndexPart::Column(new.to_owned());
                    }
                }
            }
        }
    }

    /// Changes the type of an existing column, with the hazards of the change.
    fn change_type(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        column_key: &str,
        data_type: &DataType,
        using: Option<&Expr>,
    ) {
        let new_ty = data_type.to_string();
        let new_ref = match data_type {
            DataType::Custom(name, _) => Some(self.name(st, name).key),
            _ => None,
        };
        let column = table.column(column_key).unwrap();
        if column.created_in < self.migration && !column.ty.is_empty() {
            let enum_values = |r: &Option<Key>| {
                r.as_ref()
                    .and_then(|k| self.catalog.types.get(k))
                    .and_then(|t| Some((t, t.values.clone()?)))
            };
            let old_enum = enum_values(&column.ty_ref);
            let new_enum = enum_values(&new_ref);
            let change = match (&old_enum, &new_enum) {
                (Some((_, old)), Some((_, new))) => {
                    types::change(&Ty::Enum(old.clone()), &Ty::Enum(new.clone()))
                }
                (Some((_, old)), None) => types::change(
                    &Ty::Enum(old.clone()),
                    &types::classify(&new_ty, self.dialect),
                ),
                (None, _) if column.ty_ref.is_some() && column.ty_ref == new_ref => Change::Safe,
                (None, _) => types::change(
                    &types::classify(&column.ty, self.dialect),
                    &types::classify(&new_ty, self.dialect),
                ),
            };
            // PostgreSQL's `USING expr` computes every new value: anything but a cast of the
            // column itself (`col::int`, `CAST(col AS int)`) may replace what the rows held.
            let rewrites = using.is_some_and(|e| !is_cast_of(e, column_key, self));
            let change = match change {
                Change::Safe if rewrites => Change::Lossy,
                change => change,
            };
            match change {
                Change::Safe => {}
                Change::Lossy => {
                    let message = format!(
                        "changing column `{}.{}` from `{}` to `{}` can lose data",
                        display(table),
                        column.name,
                        column.ty.to_lowercase(),
                        new_ty.to_lowercase()
                    );
                    let obj = column_object(table, &column.name);
                    self.hazard(
                        run,
                        st,
                        Code::LossyTypeChange,
                        obj,
                        Some(table_object(table)),
                        message,
                    );
                }
                Change::DropsValues(values) => {
                    for value in values {
                        let (obj, owner) = match &old_enum {
                            Some((ty, _)) => (
                                Object {
                                    kind: ObjectKind::Type,
                                    schema: ty.schema.clone(),
                                    name: ty.name.clone(),
                                    column: Some(value.clone()),
                                },
                                format!("enum `{}`", ty.name),
                            ),
                            None => (
                                Object {
                                    kind: ObjectKind::Type,
                                    schema: table.schema.clone(),
                                    name: format!("{}.{}", table.name, column.name),
                                    column: Some(value.clone()),
                                },
                                format!("enum column `{}.{}`", display(table), column.name),
                            ),
                        };
                        let message = format!(
                            "dropping value `{value}` of {owner} loses the rows' values that use it"
                        );
                        self.hazard(run, st, Code::DropEnumValue, obj, None, message);
                    }
                }
            }
        }
        let column = table.column_mut(column_key).unwrap();
        column.ty = new_ty;
        column.ty_ref = new_ref;
        column.made = (self.migration, st.start);
    }
}
