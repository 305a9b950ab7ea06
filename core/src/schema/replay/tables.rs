//! CREATE TABLE: columns and their options, inline and table constraints, foreign keys.

use std::collections::HashSet;

use sqlparser::ast::{
    ColumnDef, ColumnOption, CreateTable, CreateTableLikeKind, DataType, Expr, Ident, IndexColumn,
    ObjectName, TableConstraint,
};

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::schema::Replay;
use crate::schema::catalog::{
    Catalog, Column, Constraint, ConstraintKind, Index, Key, Name, Simple, Table,
};

use super::{Certainty, Created, ForeignKeyRef, HELP_FK_PG, HELP_TABLE, Run, Stmt, display};

impl Replay {
    pub(super) fn column(&self, st: &Stmt<'_>, def: &ColumnDef) -> Column {
        let ty = def.data_type.to_string();
        let lower = ty.to_ascii_lowercase();
        let serial = matches!(
            lower.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
        );
        let mut column = Column {
            key: self.ident_key(&def.name),
            name: self.ident_name(&def.name),
            ty_ref: match &def.data_type {
                DataType::Custom(name, _) => Some(self.name(st, name).key),
                _ => None,
            },
            ty,
            not_null: false,
            has_default: serial,
            created_in: self.migration,
        };
        for option in &def.options {
            self.column_option(&mut column, &option.option);
        }
        column
    }

    pub(super) fn column_option(&self, column: &mut Column, option: &ColumnOption) {
        match option {
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => column.not_null = true,
            ColumnOption::Null => column.not_null = false,
            ColumnOption::Default(_)
            | ColumnOption::Generated { .. }
            | ColumnOption::Identity(_)
            | ColumnOption::Materialized(_)
            | ColumnOption::Alias(_)
            | ColumnOption::Ephemeral(_) => column.has_default = true,
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| {
                    let t = t.to_string();
                    t.eq_ignore_ascii_case("auto_increment")
                        || t.eq_ignore_ascii_case("autoincrement")
                }) =>
            {
                column.has_default = true;
            }
            _ => {}
        }
    }

    pub(super) fn create_table(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, create: &CreateTable) {
        let name = self.name(st, &create.name);
        if self.catalog.tables.contains_key(&name.key) || self.catalog.views.contains_key(&name.key)
        {
            if !create.if_not_exists && !create.or_replace {
                let range = name.range.clone().unwrap_or(st.range());
                self.report(
                    run,
                    Code::ObjectExists,
                    range,
                    self.certainty(&name.key, None),
                    format!("table `{}` already exists", name.display()),
                    "remove this statement, or write `CREATE TABLE IF NOT EXISTS` if the table \
                     may already exist",
                );
            }
            return;
        }
        let mut table = Table {
            schema: name.schema.clone(),
            name: name.name.clone(),
            columns: Vec::new(),
            columns_known: create.query.is_none() && create.clone.is_none(),
            constraints: Vec::new(),
            anonymous: false,
            created_in: self.migration,
            origin: None,
        };
        let parents: Vec<&ObjectName> = create
            .partition_of
            .iter()
            .chain(create.inherits.iter().flatten())
            .collect();
        if !parents.is_empty() {
            // A partition or child table starts with its parents' columns.
            table.columns_known = true;
            for parent in parents {
                let parent = self.name(st, parent);
                match self.catalog.tables.get(&parent.key) {
                    Some(parent) => {
                        table.columns_known &= parent.columns_known;
                        for column in &parent.columns {
                            if table.column(&column.key).is_none() {
                                table.columns.push(Column {
                                    created_in: self.migration,
                                    ..column.clone()
                                });
                            }
                        }
                    }
                    None => {
                        table.columns_known = false;
                        self.report(
                            run,
                            Code::MissingTable,
                            parent.range.clone().unwrap_or(st.range()),
                            self.certainty(&parent.key, None),
                            format!("table `{}` does not exist", parent.display()),
                            HELP_TABLE,
                        );
                    }
                }
            }
        }
        if let Some(CreateTableLikeKind::Parenthesized(like) | CreateTableLikeKind::Plain(like)) =
            &create.like
        {
            let source = self.name(st, &like.name);
            match self.catalog.tables.get(&source.key) {
                Some(source) => {
                    table.columns = source
                        .columns
                        .iter()
                        .map(|c| Column {
                            created_in: self.migration,
                            ..c.clone()
                        })
                        .collect();
                    table.columns_known = source.columns_known;
                    table.anonymous = true;
                }
                None => {
                    table.columns_known = false;
                    self.report(
                        run,
                        Code::MissingTable,
                        source.range.clone().unwrap_or(st.range()),
                        self.certainty(&source.key, None),
                        format!("table `{}` does not exist", source.display()),
                        HELP_TABLE,
                    );
                }
            }
        }
        let mut fks = Vec::new();
        let mut inherited = table.columns.len();
        // The keys of `table.columns`: a linear lookup per column made wide tables quadratic.
        let mut keys: HashSet<String> = table.columns.iter().map(|c| c.key.clone()).collect();
        for def in &create.columns {
            let column = self.column(st, def);
            // A column of a parent table may be declared again: the two merge.
            if let Some(position) = table.columns[..inherited]
                .iter()
                .position(|c| c.key == column.key)
            {
                table.columns.remove(position);
                inherited -= 1;
            } else if !keys.insert(column.key.clone()) {
                self.report(
                    run,
                    Code::DuplicateColumn,
                    st.span(def.name.span),
                    Certainty::Certain,
                    format!(
                        "column `{}` appears twice in table `{}`",
                        column.name,
                        name.display()
                    ),
                    "rename or remove one of the two columns",
                );
                continue;
            }
            let column_key = column.key.clone();
            let serial = column.has_default
                && def.options.iter().any(|o| {
                    matches!(
                        o.option,
                        ColumnOption::Generated { .. } | ColumnOption::Identity(_)
                    )
                })
                || column.ty.to_ascii_lowercase().contains("serial");
            table.columns.push(column);
            if serial && self.dialect == Dialect::Postgres {
                self.implicit_sequence(&table, &column_key);
            }
            self.inline_constraints(st, &mut table, &name.key, def, &mut fks);
        }
        for constraint in &create.constraints {
            self.table_constraint(run, st, &mut table, &name.key, constraint, &mut fks);
        }
        self.catalog.any_anonymous |= table.anonymous;
        run.created.push(Created::Table(name.key.clone()));
        self.catalog.tables.insert(name.key.clone(), table);
        for fk in fks {
            self.foreign_key(run, fk);
        }
    }

    /// A table whose columns the replay cannot know (virtual tables).
    pub(super) fn create_opaque_table(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        name: &Name,
        if_not_exists: bool,
    ) {
        if self.catalog.tables.contains_key(&name.key) {
            if !if_not_exists {
                self.report(
                    run,
                    Code::ObjectExists,
                    name.range.clone().unwrap_or(st.range()),
                    self.certainty(&name.key, None),
                    format!("table `{}` already exists", name.display()),
                    "remove this statement, or write `IF NOT EXISTS`",
                );
            }
            return;
        }
        let table = Table {
            schema: name.schema.clone(),
            name: name.name.clone(),
            columns: Vec::new(),
            columns_known: false,
            constraints: Vec::new(),
            anonymous: true,
            created_in: self.migration,
            origin: None,
        };
        run.created.push(Created::Table(name.key.clone()));
        self.catalog.tables.insert(name.key.clone(), table);
    }

    pub(super) fn implicit_sequence(&mut self, table: &Table, column: &str) {
        let name = format!("{}_{column}_seq", table.name);
        let key = Key {
            schema: table.schema.as_ref().map(|s| s.to_lowercase()),
            name: name.clone(),
        };
        self.catalog.sequences.entry(key).or_insert(Simple {
            schema: table.schema.clone(),
            name,
            created_in: self.migration,
        });
    }

    pub(super) fn inline_constraints(
        &mut self,
        st: &Stmt<'_>,
        table: &mut Table,
        table_key: &Key,
        def: &ColumnDef,
        fks: &mut Vec<ForeignKeyRef>,
    ) {
        let column = self.ident_key(&def.name);
        for option in &def.options {
            let name = option.name.as_ref();
            match &option.option {
                ColumnOption::PrimaryKey(_) => self.add_constraint(
                    table,
                    table_key,
                    name,
                    ConstraintKind::PrimaryKey,
                    std::slice::from_ref(&column),
                ),
                ColumnOption::Unique(_) => self.add_constraint(
                    table,
                    table_key,
                    name,
                    ConstraintKind::Unique,
                    std::slice::from_ref(&column),
                ),
                ColumnOption::ForeignKey(fk) => {
                    self.add_constraint(
                        table,
                        table_key,
                        name.or(fk.name.as_ref()),
                        ConstraintKind::ForeignKey,
                        std::slice::from_ref(&column),
                    );
                    fks.push(self.foreign_key_ref(st, &fk.foreign_table, &fk.referred_columns));
                }
                ColumnOption::Check(check) => self.add_constraint(
                    table,
                    table_key,
                    name.or(check.name.as_ref()),
                    ConstraintKind::Check,
                    std::slice::from_ref(&column),
                ),
                _ => {}
            }
        }
    }

    /// Applies a table constraint to `table`, checking the columns it names.
    pub(super) fn table_constraint(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        table_key: &Key,
        constraint: &TableConstraint,
        fks: &mut Vec<ForeignKeyRef>,
    ) {
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                let columns = self.index_columns(run, st, table, table_key, &pk.columns);
                let keys: HashSet<&str> = columns.iter().map(String::as_str).collect();
                for column in &mut table.columns {
                    if keys.contains(column.key.as_str()) {
                        column.not_null = true;
                    }
                }
                self.add_constraint(
                    table,
                    table_key,
                    pk.name.as_ref().or(pk.index_name.as_ref()),
                    ConstraintKind::PrimaryKey,
                    &columns,
                );
            }
            TableConstraint::Unique(unique) => {
                let columns = self.index_columns(run, st, table, table_key, &unique.columns);
                self.add_constraint(
                    table,
                    table_key,
                    unique.name.as_ref().or(unique.index_name.as_ref()),
                    ConstraintKind::Unique,
                    &columns,
                );
            }
            TableConstraint::ForeignKey(fk) => {
                let columns = self.ident_columns(run, st, table, table_key, &fk.columns);
                self.add_constraint(
                    table,
                    table_key,
                    fk.name.as_ref().or(fk.index_name.as_ref()),
                    ConstraintKind::ForeignKey,
                    &columns,
                );
                fks.push(self.foreign_key_ref(st, &fk.foreign_table, &fk.referred_columns));
            }
            TableConstraint::Check(check) => {
                self.add_constraint(
                    table,
                    table_key,
                    check.name.as_ref(),
                    ConstraintKind::Check,
                    &[],
                );
            }
            TableConstraint::Index(index) => {
                let columns = self.index_columns(run, st, table, table_key, &index.columns);
                self.add_constraint(
                    table,
                    table_key,
                    index.name.as_ref(),
                    ConstraintKind::Index,
                    &columns,
                );
            }
            TableConstraint::FulltextOrSpatial(index) => {
                let columns = self.index_columns(run, st, table, table_key, &index.columns);
                self.add_constraint(
                    table,
                    table_key,
                    index.opt_index_name.as_ref(),
                    ConstraintKind::Index,
                    &columns,
                );
            }
            TableConstraint::PrimaryKeyUsingIndex(using)
            | TableConstraint::UniqueUsingIndex(using) => {
                self.add_constraint(
                    table,
                    table_key,
                    using.name.as_ref(),
                    ConstraintKind::Unique,
                    &[],
                );
            }
            _ => {}
        }
    }

    /// Checks that the plain columns of an index exist; returns their keys.
    pub(super) fn index_columns(
        &self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &Table,
        table_key: &Key,
        columns: &[IndexColumn],
    ) -> Vec<String> {
        let idents: Vec<Ident> = columns
            .iter()
            .filter_map(|c| match &c.column.expr {
                Expr::Identifier(ident) => Some(ident.clone()),
                _ => None,
            })
            .collect();
        self.ident_columns(run, st, table, table_key, &idents)
    }

    fn ident_columns(
        &self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &Table,
        table_key: &Key,
        idents: &[Ident],
    ) -> Vec<String> {
        let mut keys = Vec::new();
        // One lookup per column of a wide key or index was quadratic.
        let known: HashSet<&str> = table.columns.iter().map(|c| c.key.as_str()).collect();
        for ident in idents {
            let key = self.ident_key(ident);
            if !known.contains(key.as_str()) {
                self.report(
                    run,
                    Code::MissingColumn,
                    st.span(ident.span),
                    self.column_certainty(table_key, table, &key),
                    format!(
                        "column `{}.{}` does not exist",
                        display(table),
                        self.ident_name(ident)
                    ),
                    "add the column first, or fix its name",
                );
            }
            keys.push(key);
        }
        keys
    }

    fn add_constraint(
        &mut self,
        table: &mut Table,
        table_key: &Key,
        name: Option<&Ident>,
        kind: ConstraintKind,
        columns: &[String],
    ) {
        let (key, display_name) = match name {
            Some(ident) => (self.ident_key(ident), self.ident_name(ident)),
            None => {
                // The database names it; guess the usual name so that a later DROP by that
                // name is recognised, and remember that other generated names may exist.
                table.anonymous = true;
                self.catalog.any_anonymous = true;
                let cols = columns.join("_");
                let first = columns.first().map_or("", String::as_str);
                let generated = match (self.dialect, kind) {
                    (Dialect::Postgres, ConstraintKind::PrimaryKey) => {
                        format!("{}_pkey", table.name)
                    }
                    (Dialect::Postgres, ConstraintKind::Unique) => {
                        format!("{}_{cols}_key", table.name)
                    }
                    (Dialect::Postgres, ConstraintKind::ForeignKey) => {
                        format!("{}_{first}_fkey", table.name)
                    }
                    (Dialect::Postgres, ConstraintKind::Check) => {
                        format!("{}_{first}_check", table.name)
                    }
                    (Dialect::Postgres, ConstraintKind::Index) => {
                        format!("{}_{cols}_idx", table.name)
                    }
                    (Dialect::Mysql, ConstraintKind::PrimaryKey) => "PRIMARY".to_owned(),
                    (Dialect::Mysql, ConstraintKind::Unique | ConstraintKind::Index) => {
                        first.to_owned()
                    }
                    _ => return,
                };
                (generated.to_lowercase(), generated)
            }
        };
        let index_key = match (self.dialect, kind) {
            (Dialect::Postgres, ConstraintKind::PrimaryKey | ConstraintKind::Unique) => Some(Key {
                schema: table_key.schema.clone(),
                name: key.clone(),
            }),
            (
                Dialect::Mysql,
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Index,
            ) => Some(Key {
                schema: Catalog::mysql_index_scope(table_key),
                name: key.clone(),
            }),
            _ => None,
        };
        if let Some(index_key) = index_key {
            self.catalog.indexes.entry(index_key).or_insert(Index {
                schema: table.schema.clone(),
                name: display_name.clone(),
                table: table_key.clone(),
                created_in: self.migration,
            });
        }
        if table.constraint(&key).is_none() {
            table.constraints.push(Constraint {
                key,
                name: display_name,
                kind,
            });
        }
    }

    fn foreign_key_ref(
        &self,
        st: &Stmt<'_>,
        target: &ObjectName,
        columns: &[Ident],
    ) -> ForeignKeyRef {
        let target = self.name(st, target);
        ForeignKeyRef {
            range: target.range.clone().unwrap_or(st.range()),
            columns: columns
                .iter()
                .map(|c| (self.ident_key(c), self.ident_name(c), st.span(c.span)))
                .collect(),
            target,
        }
    }

    pub(super) fn foreign_key(&mut self, run: &mut Run<'_>, fk: ForeignKeyRef) {
        if run.defer_fks {
            run.pending_fks.push(fk);
        } else {
            self.check_foreign_key(run, &fk);
        }
    }

    pub(super) fn check_foreign_key(&self, run: &mut Run<'_>, fk: &ForeignKeyRef) {
        match self.catalog.tables.get(&fk.target.key) {
            Some(table) => {
                for (key, name, range) in &fk.columns {
                    if table.column(key).is_none() {
                        self.report(
                            run,
                            Code::MissingColumn,
                            range.clone(),
                            self.column_certainty(&fk.target.key, table, key),
                            format!(
                                "foreign key references missing column `{}.{name}`",
                                display(table)
                            ),
                            &format!(
                                "reference an existing column of `{}`, or add `{name}` to it \
                                 before this statement",
                                display(table)
                            ),
                        );
                    }
                }
            }
            None => self.report(
                run,
                Code::MissingTable,
                fk.range.clone(),
                self.certainty(&fk.target.key, None),
                format!(
                    "foreign key references missing table `{}`",
                    fk.target.display()
                ),
                if self.dialect == Dialect::Postgres {
                    HELP_FK_PG
                } else {
                    HELP_TABLE
                },
            ),
        }
    }
}
