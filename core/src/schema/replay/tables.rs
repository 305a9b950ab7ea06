//! CREATE TABLE: columns and their options, inline and table constraints, foreign keys.

use std::collections::HashSet;

use sqlparser::ast::{
    ColumnDef, ColumnOption, CreateTable, CreateTableLikeKind, DataType, Expr,
    ForeignKeyConstraint, GeneratedAs, Ident, IndexColumn, ObjectName, ReferentialAction,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, TableConstraint, TableFactor,
};

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::schema::Replay;
use crate::schema::catalog::{
    Catalog, Column, Constraint, ConstraintKind, Index, Key, Name, Simple, Table,
};

use super::{Certainty, Created, ForeignKeyRef, HELP_FK_PG, HELP_TABLE, Run, Stmt, display};
use crate::drift::{Action, Fact, Identity, IndexPart};
use crate::schema::catalog::Made;
use sqlparser::ast::Spanned;

/// What a constraint carries beyond its kind and columns.
pub(super) struct Detail {
    pub made: Made,
    pub target: Option<(Key, Vec<String>)>,
    /// A foreign key's `ON DELETE` and `ON UPDATE`.
    pub actions: (Action, Action),
    pub check: Option<String>,
    /// An index declared with the table (MySQL `INDEX (…)`): its key parts.
    pub parts: Option<Fact<Vec<IndexPart>>>,
}

impl Detail {
    pub fn new(made: Made) -> Detail {
        Detail {
            made,
            target: None,
            actions: (Action::NoAction, Action::NoAction),
            check: None,
            parts: None,
        }
    }

    fn foreign(made: Made, reference: &ForeignKeyRef, fk: &ForeignKeyConstraint) -> Detail {
        let action = |a: Option<ReferentialAction>| match a {
            None | Some(ReferentialAction::NoAction) => Action::NoAction,
            Some(ReferentialAction::Restrict) => Action::Restrict,
            Some(ReferentialAction::Cascade) => Action::Cascade,
            Some(ReferentialAction::SetNull) => Action::SetNull,
            Some(ReferentialAction::SetDefault) => Action::SetDefault,
        };
        Detail {
            actions: (action(fk.on_delete), action(fk.on_update)),
            target: Some((
                reference.target.key.clone(),
                reference
                    .columns
                    .iter()
                    .map(|(key, _, _)| key.clone())
                    .collect(),
            )),
            ..Detail::new(made)
        }
    }

    fn check(made: Made, expr: &Expr) -> Detail {
        Detail {
            check: Some(expr.to_string()),
            ..Detail::new(made)
        }
    }
}

/// The text of the statement that `span` covers, when the parser knows it.
pub(super) fn source_text(st: &Stmt<'_>, expr: &Expr) -> Option<String> {
    let span = expr.span();
    if span == sqlparser::tokenizer::Span::empty() {
        return None;
    }
    let range = st.span(span);
    // `span` falls back to the whole statement when it cannot place the expression.
    if range == st.range() {
        return None;
    }
    let text = st
        .text
        .get(range.start.checked_sub(st.start)?..range.end.checked_sub(st.start)?)?;
    let text = text.trim();
    // Spans of some expressions cover only a part (the operand of a unary minus): use the
    // written text only when it means what the parsed expression prints.
    let dialect = crate::Dialect::Postgres;
    let same = crate::drift::normalize_expr(dialect, text)
        == crate::drift::normalize_expr(dialect, &expr.to_string());
    (!text.is_empty() && same).then(|| text.to_owned())
}

/// Whether `expr` uses the identifier `word` (case-insensitively, as a whole word).
fn mentions(expr: &str, word: &str) -> bool {
    let lower = expr.to_lowercase();
    let word = word.to_lowercase();
    lower.match_indices(&word).any(|(at, _)| {
        let before = lower[..at].chars().last();
        let after = lower[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        boundary(before) && boundary(after)
    })
}

/// PostgreSQL's `ChooseRelationName`: `table_middle_suffix`, each part cut so the whole fits in
/// 63 bytes, then a number appended to the middle until the name is free.
pub(super) fn pg_choose_name(
    table: &str,
    middle: &str,
    suffix: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let build = |extra: &str| {
        let tail = format!("{suffix}{extra}");
        let mut a = table.to_owned();
        let mut b = middle.to_owned();
        let overhead = tail.len() + 1 + usize::from(!b.is_empty());
        while a.len() + b.len() + overhead > 63 {
            if a.len() > b.len() {
                a.pop();
            } else {
                b.pop();
            }
        }
        if b.is_empty() {
            format!("{a}_{tail}")
        } else {
            format!("{a}_{b}_{tail}")
        }
    };
    let mut name = build("");
    let mut n = 1;
    while taken(&name) {
        name = build(&n.to_string());
        n += 1;
    }
    name
}

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
            default: Fact::Known(None),
            identity: if serial {
                Identity::Serial
            } else {
                Identity::None
            },
            declared_not_null: false,
            vague: false,
            created_in: self.migration,
            // Its own line, where a finding about it points.
            made: (self.migration, st.span(def.name.span).start),
        };
        if serial && self.dialect == Dialect::Mysql {
            // MySQL's SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE.
            column.identity = Identity::AutoIncrement;
            column.not_null = true;
            column.declared_not_null = true;
        }
        for option in &def.options {
            self.column_option(&mut column, &option.option);
            // A default keeps its spelling in the file: what `diff` and `pull` write back.
            if let ColumnOption::Default(expr) = &option.option
                && let Some(text) = source_text(st, expr)
            {
                column.default = Fact::Known(Some(text));
            }
        }
        column
    }

    pub(super) fn column_option(&self, column: &mut Column, option: &ColumnOption) {
        match option {
            ColumnOption::NotNull => {
                column.not_null = true;
                column.declared_not_null = true;
            }
            ColumnOption::PrimaryKey(_) => column.not_null = true,
            ColumnOption::Null => {
                column.not_null = false;
                column.declared_not_null = false;
            }
            ColumnOption::Default(expr) => {
                column.has_default = true;
                column.default = Fact::Known(Some(expr.to_string()));
            }
            ColumnOption::Generated {
                generated_as,
                generation_expr,
                ..
            } => {
                column.has_default = true;
                if generation_expr.is_some() {
                    column.default = Fact::Unknown;
                } else {
                    column.identity = match generated_as {
                        GeneratedAs::Always => Identity::Always,
                        _ => Identity::ByDefault,
                    };
                }
            }
            ColumnOption::Identity(_) => {
                column.has_default = true;
                column.identity = Identity::AutoIncrement;
            }
            ColumnOption::Materialized(_) | ColumnOption::Alias(_) | ColumnOption::Ephemeral(_) => {
                column.has_default = true
            }
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| {
                    let t = t.to_string();
                    t.eq_ignore_ascii_case("auto_increment")
                        || t.eq_ignore_ascii_case("autoincrement")
                }) =>
            {
                column.has_default = true;
                column.identity = Identity::AutoIncrement;
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
            keys_known: create.inherits.is_none() && create.clone.is_none(),
            partition: create.partition_of.is_some(),
            constraints: Vec::new(),
            anonymous: false,
            created_in: self.migration,
            made: (self.migration, st.start),
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
                    // `LIKE` copies NOT NULL; defaults and keys only when asked to.
                    let text = st.text.to_lowercase();
                    let defaults =
                        text.contains("including all") || text.contains("including defaults");
                    table.keys_known = !text.contains("including");
                    table.columns = source
                        .columns
                        .iter()
                        .map(|c| Column {
                            created_in: self.migration,
                            // A copied serial default still names the source's sequence.
                            default: match (defaults, c.identity) {
                                (true, Identity::Serial) => Fact::Unknown,
                                (true, _) => c.default.clone(),
                                (false, _) => Fact::Known(None),
                            },
                            identity: match c.identity {
                                Identity::Serial => Identity::None,
                                identity if defaults => identity,
                                _ => Identity::None,
                            },
                            made: (self.migration, st.start),
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
        // `CREATE TABLE t (a, b) AS SELECT …` names the select's columns: they are not defined
        // twice.
        let mut defs = create.columns.as_slice();
        let mut selected = Vec::new();
        if let Some(columns) = self.ctas_columns(st, create) {
            table.columns_known = true;
            if self.dialect == Dialect::Mysql {
                selected = columns;
            } else {
                table.columns = columns;
                defs = &[];
            }
        }
        let mut fks = Vec::new();
        let mut inherited = table.columns.len();
        // The keys of `table.columns`: a linear lookup per column made wide tables quadratic.
        let mut keys: HashSet<String> = table.columns.iter().map(|c| c.key.clone()).collect();
        for def in defs {
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
        for column in selected {
            if table.column(&column.key).is_none() {
                table.columns.push(column);
            }
        }
        for constraint in &create.constraints {
            self.table_constraint(run, st, &mut table, &name.key, constraint, &mut fks);
        }
        if self.dialect == Dialect::Sqlite && super::contains_ignore_case(st.text, "without rowid")
        {
            // The key of a WITHOUT ROWID table is NOT NULL, written or not.
            let key: Vec<String> = table
                .constraints
                .iter()
                .filter(|c| c.kind == ConstraintKind::PrimaryKey)
                .flat_map(|c| c.columns.clone())
                .collect();
            for column in &mut table.columns {
                if key.contains(&column.key) {
                    column.declared_not_null = true;
                }
            }
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
            keys_known: false,
            partition: false,
            constraints: Vec::new(),
            anonymous: true,
            created_in: self.migration,
            made: (self.migration, st.start),
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
            made: table.made,
            materialized: false,
            owned: true,
            definition: None,
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
        let made = (self.migration, st.start);
        let one = std::slice::from_ref(&column);
        for option in &def.options {
            let name = option.name.as_ref();
            match &option.option {
                ColumnOption::PrimaryKey(_) => self.add_constraint(
                    table,
                    table_key,
                    name,
                    ConstraintKind::PrimaryKey,
                    one,
                    Detail::new(made),
                ),
                ColumnOption::Unique(_) => self.add_constraint(
                    table,
                    table_key,
                    name,
                    ConstraintKind::Unique,
                    one,
                    Detail::new(made),
                ),
                ColumnOption::ForeignKey(fk) => {
                    let reference =
                        self.foreign_key_ref(st, &fk.foreign_table, &fk.referred_columns);
                    self.add_constraint(
                        table,
                        table_key,
                        name.or(fk.name.as_ref()),
                        ConstraintKind::ForeignKey,
                        one,
                        Detail::foreign(made, &reference, fk),
                    );
                    fks.push(reference);
                }
                ColumnOption::Check(check) => self.add_constraint(
                    table,
                    table_key,
                    name.or(check.name.as_ref()),
                    ConstraintKind::Check,
                    one,
                    Detail::check(made, &check.expr),
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
        let made = (self.migration, st.start);
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
                    Detail::new(made),
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
                    Detail::new(made),
                );
            }
            TableConstraint::ForeignKey(fk) => {
                let columns = self.ident_columns(run, st, table, table_key, &fk.columns);
                let reference = self.foreign_key_ref(st, &fk.foreign_table, &fk.referred_columns);
                self.add_constraint(
                    table,
                    table_key,
                    fk.name.as_ref().or(fk.index_name.as_ref()),
                    ConstraintKind::ForeignKey,
                    &columns,
                    Detail::foreign(made, &reference, fk),
                );
                fks.push(reference);
            }
            TableConstraint::Check(check) => {
                self.add_constraint(
                    table,
                    table_key,
                    check.name.as_ref(),
                    ConstraintKind::Check,
                    &[],
                    Detail::check(made, &check.expr),
                );
            }
            TableConstraint::Index(index) => {
                let columns = self.index_columns(run, st, table, table_key, &index.columns);
                let mut detail = Detail::new(made);
                detail.parts = Some(self.index_parts(&index.columns));
                self.add_constraint(
                    table,
                    table_key,
                    index.name.as_ref(),
                    ConstraintKind::Index,
                    &columns,
                    detail,
                );
            }
            TableConstraint::FulltextOrSpatial(index) => {
                let columns = self.index_columns(run, st, table, table_key, &index.columns);
                let mut detail = Detail::new(made);
                detail.parts = Some(Fact::Unknown);
                self.add_constraint(
                    table,
                    table_key,
                    index.opt_index_name.as_ref(),
                    ConstraintKind::Index,
                    &columns,
                    detail,
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
                    Detail::new(made),
                );
            }
            _ => {}
        }
    }

    /// The key parts of an index: column keys, or expressions as written.
    pub(super) fn index_parts(&self, columns: &[IndexColumn]) -> Fact<Vec<IndexPart>> {
        Fact::Known(
            columns
                .iter()
                .map(|c| match &c.column.expr {
                    Expr::Identifier(ident) => IndexPart::Column(self.ident_key(ident)),
                    expr => IndexPart::Expression(expr.to_string()),
                })
                .collect(),
        )
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
        detail: Detail,
    ) {
        let generated = name.is_none();
        let (key, display_name) = match name {
            Some(ident) => (self.ident_key(ident), self.ident_name(ident)),
            None => {
                // The database names it; follow its rules so that a later DROP by that name is
                // recognised, and remember that other generated names may exist.
                table.anonymous = true;
                self.catalog.any_anonymous = true;
                let Some(generated) = self.generated_name(table, kind, columns, &detail) else {
                    if self.dialect == Dialect::Sqlite || kind == ConstraintKind::Check {
                        // Unnamed: kept for drift, matched by definition.
                        table.constraints.push(Constraint {
                            key: String::new(),
                            name: String::new(),
                            kind,
                            generated: true,
                            columns: columns.to_vec(),
                            target: detail.target,
                            actions: detail.actions,
                            check: detail.check,
                            made: detail.made,
                        });
                    }
                    return;
                };
                // PostgreSQL stores the name as built (a quoted table keeps its case).
                let key = if self.dialect == Dialect::Postgres {
                    generated.clone()
                } else {
                    generated.to_lowercase()
                };
                (key, generated)
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
                backs_constraint: kind != ConstraintKind::Index,
                unique: kind != ConstraintKind::Index,
                parts: detail.parts.clone().unwrap_or_else(|| {
                    Fact::Known(columns.iter().cloned().map(IndexPart::Column).collect())
                }),
                predicate: Fact::Known(None),
                made: detail.made,
            });
        }
        let made = detail.made;
        // MySQL keeps indexes, foreign keys and checks in separate namespaces.
        let class = |k: ConstraintKind| match k {
            ConstraintKind::ForeignKey => 1,
            ConstraintKind::Check => 2,
            _ => 0,
        };
        let taken = table.constraints.iter().any(|c| {
            c.key == key && (self.dialect != Dialect::Mysql || class(c.kind) == class(kind))
        });
        if !taken {
            table.constraints.push(Constraint {
                key,
                name: display_name,
                kind,
                generated,
                columns: columns.to_vec(),
                target: detail.target,
                actions: detail.actions,
                check: detail.check,
                made,
            });
        }
        // After the key itself: the index may take the constraint's name.
        if self.dialect == Dialect::Mysql && kind == ConstraintKind::ForeignKey {
            let name = name.map(|i| self.ident_name(i));
            self.mysql_foreign_key_index(table, table_key, name, columns, made);
        }
    }

    /// MySQL gives a foreign key an index unless one starts with its columns, named after the
    /// constraint when it has a name, else after its first column.
    fn mysql_foreign_key_index(
        &mut self,
        table: &mut Table,
        table_key: &Key,
        name: Option<String>,
        columns: &[String],
        made: Made,
    ) {
        if columns.is_empty() {
            return;
        }
        let covered = self.catalog.indexes.values().any(|index| {
            index.table == *table_key
                && matches!(&index.parts, Fact::Known(parts) if parts.len() >= columns.len()
                    && parts.iter().zip(columns).all(|(p, c)| matches!(p, IndexPart::Column(k) if k == c)))
        });
        if covered {
            return;
        }
        let name = name.unwrap_or_else(|| columns[0].clone());
        let key = name.to_lowercase();
        if table
            .constraints
            .iter()
            .any(|c| c.key == key && c.kind == ConstraintKind::Index)
        {
            return;
        }
        self.catalog.indexes.insert(
            Key {
                schema: Catalog::mysql_index_scope(table_key),
                name: key.clone(),
            },
            Index {
                schema: table.schema.clone(),
                name: name.clone(),
                table: table_key.clone(),
                created_in: self.migration,
                backs_constraint: false,
                unique: false,
                parts: Fact::Known(columns.iter().cloned().map(IndexPart::Column).collect()),
                predicate: Fact::Known(None),
                made,
            },
        );
        table.constraints.push(Constraint {
            key,
            name,
            kind: ConstraintKind::Index,
            generated: true,
            columns: columns.to_vec(),
            target: None,
            actions: Default::default(),
            check: None,
            made,
        });
    }

    /// The name the engine gives a constraint declared without one, or `None` when the engine
    /// keeps no name the replay can predict (SQLite; MySQL checks).
    fn generated_name(
        &self,
        table: &Table,
        kind: ConstraintKind,
        columns: &[String],
        detail: &Detail,
    ) -> Option<String> {
        let cols = columns.join("_");
        let first = columns.first().map_or("", String::as_str);
        let fold = |name: &str| {
            if self.dialect == Dialect::Postgres {
                name.to_owned()
            } else {
                name.to_lowercase()
            }
        };
        let taken = |name: &str| {
            table.constraints.iter().any(|c| c.key == fold(name))
                || self.catalog.indexes.contains_key(&Key {
                    schema: table.schema.as_ref().map(|s| fold(s)),
                    name: fold(name),
                })
        };
        match (self.dialect, kind) {
            (Dialect::Postgres, _) => {
                let (middle, suffix) = match kind {
                    ConstraintKind::PrimaryKey => (String::new(), "pkey"),
                    ConstraintKind::Unique => (cols.clone(), "key"),
                    ConstraintKind::ForeignKey => (cols.clone(), "fkey"),
                    ConstraintKind::Index => (cols.clone(), "idx"),
                    ConstraintKind::Check => {
                        // The one column the expression uses, when it uses exactly one.
                        let used = if columns.len() == 1 {
                            Some(first.to_owned())
                        } else {
                            detail.check.as_deref().and_then(|expr| {
                                let used: Vec<&str> = table
                                    .columns
                                    .iter()
                                    .map(|c| c.key.as_str())
                                    .filter(|c| mentions(expr, c))
                                    .collect();
                                (used.len() == 1).then(|| used[0].to_owned())
                            })
                        };
                        (used.unwrap_or_default(), "check")
                    }
                };
                Some(pg_choose_name(&table.name, &middle, suffix, taken))
            }
            (Dialect::Mysql, ConstraintKind::PrimaryKey) => Some("PRIMARY".to_owned()),
            (Dialect::Mysql, ConstraintKind::Unique | ConstraintKind::Index) => {
                let mut name = first.to_owned();
                let mut n = 2;
                while taken(&name) {
                    name = format!("{first}_{n}");
                    n += 1;
                }
                Some(name)
            }
            (Dialect::Mysql, ConstraintKind::ForeignKey) => {
                let prefix = format!("{}_ibfk_", table.name.to_lowercase());
                let n = table
                    .constraints
                    .iter()
                    .filter_map(|c| c.key.strip_prefix(&prefix)?.parse::<usize>().ok())
                    .max()
                    .unwrap_or(0);
                Some(format!("{}_ibfk_{}", table.name, n + 1))
            }
            _ => None,
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

impl Replay {
    /// The columns of `CREATE TABLE … AS SELECT`, when the select list names them all: plain
    /// columns (with their source's type when one table of the FROM has them), aliased
    /// expressions (type unknown) and `*` over tables the replay knows.
    fn ctas_columns(&self, st: &Stmt<'_>, create: &CreateTable) -> Option<Vec<Column>> {
        let query = create.query.as_ref()?;
        let SetExpr::Select(select) = &*query.body else {
            return None;
        };
        let mut sources: Vec<(Option<String>, &Table)> = Vec::new();
        let mut all_known = true;
        for from in &select.from {
            for factor in
                std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation))
            {
                match factor {
                    TableFactor::Table { name, alias, .. } => {
                        let name = self.name(st, name);
                        match self.catalog.tables.get(&name.key) {
                            Some(table) if table.columns_known => sources
                                .push((alias.as_ref().map(|a| self.ident_key(&a.name)), table)),
                            _ => all_known = false,
                        }
                    }
                    _ => all_known = false,
                }
            }
        }
        let lookup = |qualifier: Option<&Ident>, column: &str| -> Option<&Column> {
            let found: Vec<&Column> = sources
                .iter()
                .filter(|(alias, table)| match qualifier {
                    None => true,
                    Some(q) => {
                        let q = self.ident_key(q);
                        alias.as_deref() == Some(q.as_str())
                            || (alias.is_none() && table.name.to_lowercase() == q.to_lowercase())
                    }
                })
                .filter_map(|(_, table)| table.column(column))
                .collect();
            match found.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        };
        let made = (self.migration, st.start);
        let fresh = |key: String, name: String, source: Option<&Column>| Column {
            key,
            name,
            ty: source.map(|c| c.ty.clone()).unwrap_or_default(),
            ty_ref: source.and_then(|c| c.ty_ref.clone()),
            not_null: false,
            has_default: false,
            default: Fact::Known(None),
            identity: Identity::None,
            declared_not_null: false,
            vague: true,
            created_in: self.migration,
            made,
        };
        let mut columns: Vec<Column> = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::UnnamedExpr(Expr::Identifier(ident)) => {
                    let key = self.ident_key(ident);
                    let source = lookup(None, &key);
                    columns.push(fresh(key, self.ident_name(ident), source));
                }
                SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
                    let (last, rest) = parts.split_last()?;
                    let key = self.ident_key(last);
                    let source = lookup(rest.last(), &key);
                    columns.push(fresh(key, self.ident_name(last), source));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let source = match expr {
                        Expr::Identifier(ident) => lookup(None, &self.ident_key(ident)),
                        Expr::CompoundIdentifier(parts) => {
                            let (last, rest) = parts.split_last()?;
                            lookup(rest.last(), &self.ident_key(last))
                        }
                        _ => None,
                    };
                    columns.push(fresh(self.ident_key(alias), self.ident_name(alias), source));
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(name),
                    _,
                ) => {
                    let qualifier = name.0.last()?.as_ident()?;
                    let q = self.ident_key(qualifier);
                    let (_, table) = sources.iter().find(|(alias, table)| {
                        alias.as_deref() == Some(q.as_str())
                            || (alias.is_none() && table.name.to_lowercase() == q.to_lowercase())
                    })?;
                    for column in &table.columns {
                        columns.push(fresh(column.key.clone(), column.name.clone(), Some(column)));
                    }
                }
                SelectItem::Wildcard(_) if all_known => {
                    for (_, table) in &sources {
                        for column in &table.columns {
                            columns.push(fresh(
                                column.key.clone(),
                                column.name.clone(),
                                Some(column),
                            ));
                        }
                    }
                }
                _ => return None,
            }
        }
        // MySQL: declared columns come first and the select's other columns follow.
        if !create.columns.is_empty() && self.dialect != Dialect::Mysql {
            if create.columns.len() != columns.len() {
                return None;
            }
            for (column, def) in columns.iter_mut().zip(&create.columns) {
                column.key = self.ident_key(&def.name);
                column.name = self.ident_name(&def.name);
            }
        }
        let mut seen = HashSet::new();
        columns
            .iter()
            .all(|c| seen.insert(c.key.clone()))
            .then_some(columns)
    }
}
