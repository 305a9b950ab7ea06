//! Indexes, views, types, schemas and sequences.

use sqlparser::ast::{
    AlterType, AlterTypeAddValuePosition, AlterTypeOperation, CreateIndex, CreateView, Ident,
    ObjectName, UserDefinedTypeRepresentation,
};

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::schema::Replay;
use crate::schema::catalog::{Catalog, Index, Key, Name, Simple, Type};

use super::tables::pg_choose_name;
use super::{Certainty, Created, HELP_DROP, HELP_TABLE, Run, Stmt, display, table_object};
use crate::drift::Fact;
use sqlparser::ast::Expr;

impl Replay {
    fn index_key(&self, index: &Name, table: &Key) -> Key {
        match self.dialect {
            Dialect::Mysql => Key {
                schema: Catalog::mysql_index_scope(table),
                name: index.key.name.clone(),
            },
            // A PostgreSQL index lives in its table's schema.
            Dialect::Postgres if index.key.schema.is_none() => Key {
                schema: table.schema.clone(),
                name: index.key.name.clone(),
            },
            _ => index.key.clone(),
        }
    }

    pub(super) fn create_index(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, create: &CreateIndex) {
        let table_name = self.name(st, &create.table_name);
        let migration = self.migration;
        let Some(table) = self.catalog.tables.get(&table_name.key) else {
            if !self.catalog.views.contains_key(&table_name.key) {
                self.report(
                    run,
                    Code::MissingTable,
                    table_name.range.clone().unwrap_or(st.range()),
                    self.certainty(&table_name.key, None),
                    format!("table `{}` does not exist", table_name.display()),
                    HELP_TABLE,
                );
            }
            return;
        };
        self.index_columns(run, st, table, &table_name.key, &create.columns);
        let pre = table.created_in < migration;
        let table_obj = table_object(table);
        let table_display = display(table);
        let table_schema = table.schema.clone();
        let index_name = create.name.as_ref().map(|n| self.name(st, n));
        let parts = self.index_parts(&create.columns);
        let predicate = Fact::Known(create.predicate.as_ref().map(ToString::to_string));
        let label = match &index_name {
            Some(index) => {
                let key = self.index_key(index, &table_name.key);
                if self.catalog.indexes.contains_key(&key) {
                    if !create.if_not_exists {
                        self.report(
                            run,
                            Code::ObjectExists,
                            index.range.clone().unwrap_or(st.range()),
                            self.certainty(&table_name.key, None),
                            format!("index `{}` already exists", index.display()),
                            "remove this statement, or write `CREATE INDEX IF NOT EXISTS`",
                        );
                    }
                    return;
                }
                self.catalog.indexes.insert(
                    key.clone(),
                    Index {
                        schema: index.schema.clone().or(table_schema),
                        name: index.name.clone(),
                        table: table_name.key.clone(),
                        created_in: migration,
                        backs_constraint: false,
                        unique: create.unique,
                        parts,
                        predicate,
                        made: (migration, st.start),
                    },
                );
                run.created.push(Created::Index(key));
                format!("index `{}`", index.name)
            }
            None => {
                self.catalog.any_anonymous = true;
                if let Some(table) = self.catalog.tables.get_mut(&table_name.key) {
                    table.anonymous = true;
                }
                if self.dialect == Dialect::Postgres {
                    // PostgreSQL names it `table_col1_col2_idx` (`expr` or the function's
                    // name for an expression), numbered until free.
                    let middle: Vec<String> = create
                        .columns
                        .iter()
                        .map(|c| match &c.column.expr {
                            Expr::Identifier(ident) => self.ident_key(ident),
                            Expr::Function(f) => f
                                .name
                                .0
                                .last()
                                .map(|p| p.to_string().to_lowercase())
                                .unwrap_or_else(|| "expr".to_owned()),
                            _ => "expr".to_owned(),
                        })
                        .collect();
                    let schema = table_name.key.schema.clone();
                    let indexes = &self.catalog.indexes;
                    let name =
                        pg_choose_name(&table_name.key.name, &middle.join("_"), "idx", |n| {
                            indexes.contains_key(&Key {
                                schema: schema.clone(),
                                name: n.to_owned(),
                            })
                        });
                    self.catalog.indexes.insert(
                        Key {
                            schema: schema.clone(),
                            name: name.clone(),
                        },
                        Index {
                            schema: table_schema,
                            name,
                            table: table_name.key.clone(),
                            created_in: migration,
                            backs_constraint: false,
                            unique: create.unique,
                            parts,
                            predicate,
                            made: (migration, st.start),
                        },
                    );
                }
                "an index".to_owned()
            }
        };
        let recreated = index_name
            .as_ref()
            .is_some_and(|index| run.dropped_indexes.contains(&index.key.name));
        if !pre || recreated {
            return;
        }
        if self.dialect == Dialect::Postgres && !create.concurrently {
            self.hazard(
                run,
                st,
                Code::IndexWithoutConcurrently,
                table_obj.clone(),
                None,
                format!(
                    "creating {label} on `{table_display}` without `concurrently` blocks writes \
                     to `{table_display}` while it builds"
                ),
            );
        }
        if create.unique {
            self.hazard(
                run,
                st,
                Code::ConstraintOnExistingData,
                table_obj,
                None,
                format!(
                    "creating unique {label} on `{table_display}` fails if existing rows hold \
                     duplicates"
                ),
            );
        }
    }

    pub(super) fn create_view(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, create: &CreateView) {
        let name = self.name(st, &create.name);
        let exists = self.catalog.views.contains_key(&name.key);
        if exists
            && create.or_replace
            && let Some(view) = self.catalog.views.get_mut(&name.key)
        {
            view.definition = Some(create.query.to_string());
            view.made = (self.migration, st.start);
            return;
        }
        if exists || self.catalog.tables.contains_key(&name.key) {
            if !(create.if_not_exists || create.or_replace && exists) {
                self.report(
                    run,
                    Code::ObjectExists,
                    name.range.clone().unwrap_or(st.range()),
                    self.certainty(&name.key, None),
                    format!(
                        "{} `{}` already exists",
                        if exists { "view" } else { "table" },
                        name.display()
                    ),
                    "remove this statement, or write `CREATE OR REPLACE VIEW`",
                );
            }
            return;
        }
        self.catalog.views.insert(
            name.key.clone(),
            Simple {
                schema: name.schema.clone(),
                name: name.name.clone(),
                created_in: self.migration,
                made: (self.migration, st.start),
                materialized: create.materialized,
                owned: false,
                definition: Some(create.query.to_string()),
            },
        );
        run.created.push(Created::View(name.key));
    }

    /// Forgets the queries of the views that name `word`: a rename of a table, column or view
    /// they read makes the engine rewrite the query (SQLite rewrites the stored statement;
    /// PostgreSQL and MySQL print the new names), so the query as written no longer says what
    /// the view is, and comparing or re-creating it from the old text would be wrong.
    pub(super) fn forget_view_queries(&mut self, word: &str) {
        for view in self.catalog.views.values_mut() {
            if view
                .definition
                .as_deref()
                .is_some_and(|query| crate::drift::names_word(query, word))
            {
                view.definition = None;
            }
        }
    }

    pub(super) fn rename_view(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        old: &ObjectName,
        new: &ObjectName,
        if_exists: bool,
    ) {
        let old = self.name(st, old);
        let mut new = self.name(st, new);
        if new.key.schema.is_none() {
            new.key.schema = old.key.schema.clone();
            new.schema = old.schema.clone();
        }
        match self.catalog.views.remove(&old.key) {
            Some(mut view) => {
                view.schema = new.schema.clone();
                view.name = new.name.clone();
                if view.created_in == self.migration {
                    run.created.push(Created::View(new.key.clone()));
                }
                self.catalog.views.insert(new.key, view);
                self.forget_view_queries(&old.key.name);
            }
            None if !if_exists => self.report(
                run,
                Code::MissingObject,
                old.range.clone().unwrap_or(st.range()),
                self.certainty(&old.key, None),
                format!("view `{}` does not exist", old.display()),
                HELP_DROP,
            ),
            None => {}
        }
    }

    pub(super) fn rename_index(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        old: &ObjectName,
        new: &ObjectName,
    ) {
        let old = self.name(st, old);
        let new = self.name(st, new);
        match self.catalog.indexes.remove(&old.key) {
            Some(mut index) => {
                let key = Key {
                    schema: old.key.schema.clone(),
                    name: new.key.name.clone(),
                };
                index.name = new.name.clone();
                if let Some(table) = self.catalog.tables.get_mut(&index.table)
                    && let Some(c) = table.constraints.iter_mut().find(|c| c.key == old.key.name)
                {
                    c.key = key.name.clone();
                    c.name = new.name.clone();
                }
                if index.created_in == self.migration {
                    run.created.push(Created::Index(key.clone()));
                }
                self.catalog.indexes.insert(key, index);
            }
            None => {
                let certainty = match self.certainty(&old.key, None) {
                    Certainty::Certain if self.catalog.any_anonymous => Certainty::Uncertain,
                    other => other,
                };
                self.report(
                    run,
                    Code::MissingObject,
                    old.range.clone().unwrap_or(st.range()),
                    certainty,
                    format!("index `{}` does not exist", old.display()),
                    HELP_DROP,
                );
            }
        }
    }

    pub(super) fn create_type(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        name: &ObjectName,
        representation: Option<&UserDefinedTypeRepresentation>,
    ) {
        let name = self.name(st, name);
        if self.catalog.types.contains_key(&name.key) {
            self.report(
                run,
                Code::ObjectExists,
                name.range.clone().unwrap_or(st.range()),
                self.certainty(&name.key, None),
                format!("type `{}` already exists", name.display()),
                "remove this statement, or drop the type first",
            );
            return;
        }
        let values = match representation {
            Some(UserDefinedTypeRepresentation::Enum { labels }) => {
                Some(labels.iter().map(|l| l.value.clone()).collect())
            }
            _ => None,
        };
        let fields = match representation {
            Some(UserDefinedTypeRepresentation::Composite { attributes }) => Some(
                attributes
                    .iter()
                    .map(|a| (self.ident_name(&a.name), a.data_type.to_string()))
                    .collect(),
            ),
            _ => None,
        };
        self.catalog.types.insert(
            name.key.clone(),
            Type {
                schema: name.schema.clone(),
                name: name.name.clone(),
                values,
                fields,
                created_in: self.migration,
                made: (self.migration, st.start),
            },
        );
        run.created.push(Created::Type(name.key));
    }

    pub(super) fn alter_type(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, alter: &AlterType) {
        let name = self.name(st, &alter.name);
        let range = name.range.clone().unwrap_or(st.range());
        let certainty = self.certainty(&name.key, None);
        let Some(ty) = self.catalog.types.get_mut(&name.key) else {
            self.report(
                run,
                Code::MissingObject,
                range,
                certainty,
                format!("type `{}` does not exist", name.display()),
                HELP_DROP,
            );
            return;
        };
        match &alter.operation {
            AlterTypeOperation::AddValue(add) => {
                let values = ty.values.get_or_insert_with(Vec::new);
                if values.contains(&add.value.value) {
                    if !add.if_not_exists {
                        let message = format!(
                            "enum `{}` already has the value `{}`",
                            ty.name, add.value.value
                        );
                        self.report(
                            run,
                            Code::ObjectExists,
                            st.span(add.value.span),
                            certainty,
                            message,
                            "remove this statement, or write `ADD VALUE IF NOT EXISTS`",
                        );
                    }
                } else {
                    let at = match &add.position {
                        Some(AlterTypeAddValuePosition::Before(v)) => {
                            values.iter().position(|x| *x == v.value)
                        }
                        Some(AlterTypeAddValuePosition::After(v)) => {
                            values.iter().position(|x| *x == v.value).map(|i| i + 1)
                        }
                        None => None,
                    };
                    match at {
                        Some(at) => values.insert(at, add.value.value.clone()),
                        None => values.push(add.value.value.clone()),
                    }
                    ty.made = (self.migration, st.start);
                }
            }
            AlterTypeOperation::RenameValue(rename) => {
                let values = ty.values.get_or_insert_with(Vec::new);
                match values.iter_mut().find(|v| **v == rename.from.value) {
                    Some(value) => *value = rename.to.value.clone(),
                    None => {
                        let message =
                            format!("enum `{}` has no value `{}`", ty.name, rename.from.value);
                        self.report(
                            run,
                            Code::MissingObject,
                            st.span(rename.from.span),
                            certainty,
                            message,
                            "check the value's spelling",
                        );
                    }
                }
            }
            AlterTypeOperation::Rename(rename) => {
                let key = Key {
                    schema: name.key.schema.clone(),
                    name: self.ident_key(&rename.new_name),
                };
                let mut ty = self.catalog.types.remove(&name.key).unwrap();
                ty.name = self.ident_name(&rename.new_name);
                if ty.created_in == self.migration {
                    run.created.push(Created::Type(key.clone()));
                }
                self.catalog.types.insert(key.clone(), ty);
                // Columns refer to the type itself, not to its name.
                let new_spelling = self.ident_name(&rename.new_name);
                for table in self.catalog.tables.values_mut() {
                    for column in &mut table.columns {
                        if column.ty_ref.as_ref() == Some(&name.key) {
                            column.ty_ref = Some(key.clone());
                            column.ty.clone_from(&new_spelling);
                        }
                    }
                }
            }
        }
    }

    pub(super) fn create_schema(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        ident: &Ident,
        if_not_exists: bool,
    ) {
        let key = self.ident_key(ident);
        if self.catalog.schemas.contains_key(&key) {
            if !if_not_exists {
                self.report(
                    run,
                    Code::ObjectExists,
                    st.span(ident.span),
                    if self.word_uncertain(&key) {
                        Certainty::Uncertain
                    } else {
                        Certainty::Certain
                    },
                    format!("schema `{}` already exists", self.ident_name(ident)),
                    "remove this statement, or write `IF NOT EXISTS`",
                );
            }
            return;
        }
        self.catalog.schemas.insert(
            key.clone(),
            Simple {
                schema: None,
                name: self.ident_name(ident),
                created_in: self.migration,
                made: (self.migration, st.start),
                materialized: false,
                owned: false,
                definition: None,
            },
        );
        run.created.push(Created::Schema(key));
    }

    pub(super) fn create_sequence(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        name: &ObjectName,
        if_not_exists: bool,
    ) {
        let name = self.name(st, name);
        if self.catalog.sequences.contains_key(&name.key) {
            if !if_not_exists {
                self.report(
                    run,
                    Code::ObjectExists,
                    name.range.clone().unwrap_or(st.range()),
                    self.certainty(&name.key, None),
                    format!("sequence `{}` already exists", name.display()),
                    "remove this statement, or write `IF NOT EXISTS`",
                );
            }
            return;
        }
        self.catalog.sequences.insert(
            name.key.clone(),
            Simple {
                schema: name.schema.clone(),
                name: name.name.clone(),
                created_in: self.migration,
                made: (self.migration, st.start),
                materialized: false,
                owned: false,
                definition: None,
            },
        );
        run.created.push(Created::Sequence(name.key));
    }
}
