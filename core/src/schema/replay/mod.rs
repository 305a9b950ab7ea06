//! Applying parsed statements to the catalog, one migration at a time.

use std::collections::HashSet;
use std::ops::Range;

use sqlparser::ast::{
    AlterIndexOperation, AlterViewOperation, Ident, ObjectName, SchemaName, Spanned, Statement,
};
use sqlparser::tokenizer::Span;

use super::catalog::{Key, Name, Table};
use super::lex;
use super::{Finding, Hazard, MigrationFacts, MigrationInput, Replay, StatementFacts};
use crate::diagnostic::{Code, LineStarts};
use crate::dialect::Dialect;
use crate::object::{Object, ObjectKind};

mod alter;
mod dml;
mod drop;
mod objects;
mod renames;
mod tables;
mod unseen;

const HELP_TABLE: &str = "create the table in an earlier migration, or list it under `extern` in \
                          driftless.toml if it is created outside this folder";
const HELP_FK_PG: &str = "create the referenced table before this statement (postgresql checks \
                          foreign keys when they are declared), or list it under `extern` in \
                          driftless.toml if it is created outside this folder";
const HELP_DROP: &str = "check the name, or write `IF EXISTS` if the object may be absent";
const HELP_CONCURRENTLY: &str = "add `-- driftless: no-transaction` at the top of the file and \
                                 keep the statement alone in its migration";
const HELP_UNCERTAIN: &str = " (it may come from a statement driftless could not parse or from \
                              outside this folder, so this is only a warning)";

/// The state of one migration being replayed.
struct Run<'a> {
    sql: &'a str,
    transactional: bool,
    facts: MigrationFacts,
    /// `INSERT INTO into SELECT ... FROM from` seen in this migration, for table rebuilds.
    copies: Vec<Copy>,
    /// Pre-existing tables dropped in this migration.
    dropped: Vec<Dropped>,
    /// Rename-table hazards of this migration: statement, object, the table's original key.
    renames: Vec<(usize, Object, Key)>,
    /// Pre-existing tables renamed in this migration and not dropped since: the name now, and
    /// the name the table had when the migration started. Data-loss hazards name the table by
    /// the latter, so consent follows the table, not its name (CONTRACT §5).
    aliases: Vec<(Object, Object)>,
    /// Pre-existing columns renamed in this migration: the table now, the column now, the
    /// column's name when the migration started.
    column_aliases: Vec<(Object, String, String)>,
    /// Objects created in this migration, checked against the catalog at its end.
    created: Vec<Created>,
    /// Foreign keys checked at the end of the migration (SQLite; MySQL with
    /// `FOREIGN_KEY_CHECKS`), where a table may reference one created later in the file.
    pending_fks: Vec<ForeignKeyRef>,
    defer_fks: bool,
    /// Names of the indexes of pre-existing tables dropped in this migration: recreating one
    /// is part of a rebuild, not a new constraint on existing data.
    dropped_indexes: HashSet<String>,
}

struct Copy {
    into: Key,
    from: Key,
    /// Column keys of `from` named in the select list; `None` when it selects `*`.
    columns: Option<HashSet<String>>,
}

struct Dropped {
    stmt: usize,
    range: Range<usize>,
    /// The key the table had when it was dropped.
    key: Key,
    /// The key it had when the migration started.
    origin: Key,
    /// The object its drop-table hazard names (the table as the migration started).
    hazard_object: Object,
    table: Table,
    resolved: bool,
}

enum Created {
    Table(Key),
    Column(Key, String),
    View(Key),
    Index(Key),
    Type(Key),
    Sequence(Key),
    Schema(String),
}

struct ForeignKeyRef {
    range: Range<usize>,
    target: Name,
    /// Referenced columns: key, spelling, range.
    columns: Vec<(String, String, Range<usize>)>,
}

/// One statement of the file.
struct Stmt<'a> {
    index: usize,
    start: usize,
    text: &'a str,
    /// Where its lines start, built on the first `span`: finding each name's place by scanning
    /// from the start made statements with many names quadratic.
    lines: std::cell::OnceCell<LineStarts>,
}

impl Stmt<'_> {
    fn range(&self) -> Range<usize> {
        self.start..self.start + self.text.len()
    }

    /// The file range of a parser span, or the statement's range when the span is unknown.
    fn span(&self, span: Span) -> Range<usize> {
        let lines = self.lines.get_or_init(|| LineStarts::of(self.text));
        let start = lines.offset(self.text, span.start.line, span.start.column);
        let end = lines.offset(self.text, span.end.line, span.end.column);
        match (start, end) {
            (Some(s), Some(e)) if s <= e => self.start + s..self.start + e,
            (Some(s), _) => self.start + s..self.start + s,
            _ => self.range(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Certainty {
    Certain,
    Uncertain,
    /// Owned outside the folder: never reported.
    Extern,
}

/// Why a DELETE or UPDATE reaches every row (or arbitrary ones).
enum How {
    NoWhere,
    /// A WHERE that is true whatever the row holds (`where true`, `where 1 = 1`).
    AlwaysTrue,
    /// No WHERE, but a LIMIT (MySQL): that many rows, whichever the database picks.
    Limit(String),
}

/// The object of a hazard whose effect the replay cannot see: a name in angle brackets
/// (`<do block>`, `<function archive>`) that no created table can have (see
/// docs/diagnostics.md, `opaque-data-change`).
fn unseen_object(label: &str) -> Object {
    Object::new(ObjectKind::Table, None, &format!("<{label}>"))
}

fn object(kind: ObjectKind, schema: &Option<String>, name: &str) -> Object {
    Object::new(kind, schema.as_deref(), name)
}

fn table_object(table: &Table) -> Object {
    object(ObjectKind::Table, &table.schema, &table.name)
}

fn column_object(table: &Table, column: &str) -> Object {
    Object::column(table.schema.as_deref(), &table.name, column)
}

/// `schema.name` or `name` of a table, for messages.
fn display(table: &Table) -> String {
    match &table.schema {
        Some(schema) => format!("{schema}.{}", table.name),
        None => table.name.clone(),
    }
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Replays `input` on `replay`'s catalog.
pub(super) fn run(replay: &mut Replay, input: &MigrationInput<'_>) -> MigrationFacts {
    let mut run = Run {
        sql: input.sql,
        transactional: input.transactional,
        facts: MigrationFacts {
            statements: vec![StatementFacts::default(); input.statements.len()],
            ..MigrationFacts::default()
        },
        copies: Vec::new(),
        dropped: Vec::new(),
        renames: Vec::new(),
        aliases: Vec::new(),
        column_aliases: Vec::new(),
        created: Vec::new(),
        pending_fks: Vec::new(),
        dropped_indexes: HashSet::new(),
        defer_fks: match replay.dialect {
            Dialect::Sqlite => true,
            Dialect::Mysql => contains_ignore_case(input.sql, "foreign_key_checks"),
            Dialect::Postgres => false,
        },
    };
    for (index, range) in input.statements.iter().enumerate() {
        let Some(text) = run.sql.get(range.clone()) else {
            continue;
        };
        let stmt = Stmt {
            index,
            start: range.start,
            text,
            lines: std::cell::OnceCell::new(),
        };
        replay.statement(&mut run, &stmt);
    }
    for fk in std::mem::take(&mut run.pending_fks) {
        replay.check_foreign_key(&mut run, &fk);
    }
    run.facts.creates = replay.creates(&run);
    run.facts.renames = replay.net_renames(&run);
    run.facts
}

impl Replay {
    fn statement(&mut self, run: &mut Run<'_>, st: &Stmt<'_>) {
        if self.dialect == Dialect::Postgres
            && run.transactional
            && lex::concurrently_outside_transaction_only(st.text)
        {
            run.facts.findings.push(Finding {
                code: Code::ConcurrentlyInTransaction,
                range: st.range(),
                message: "`concurrently` cannot run inside a transaction".to_owned(),
                help: Some(HELP_CONCURRENTLY.to_owned()),
                uncertain: false,
            });
        }
        // Bounded: a statement too deep to parse without risking the stack stays opaque.
        let parsed = super::parse::statements(self.dialect, st.text);
        self.unseen(run, st, parsed.as_deref());
        match parsed {
            Some(statements) => {
                for statement in &statements {
                    self.apply(run, st, statement);
                }
            }
            None => {
                if !self.set_schema(run, st) {
                    self.opaque(run, st);
                }
            }
        }
    }

    fn apply(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, statement: &Statement) {
        match statement {
            Statement::CreateTable(create) => self.create_table(run, st, create),
            Statement::CreateVirtualTable {
                name,
                if_not_exists,
                ..
            } => {
                let name = self.name(st, name);
                self.create_opaque_table(run, st, &name, *if_not_exists);
            }
            Statement::AlterTable(alter) => self.alter_table(run, st, alter),
            Statement::Drop {
                object_type,
                if_exists,
                names,
                table,
                ..
            } => {
                for name in names {
                    self.drop(run, st, *object_type, *if_exists, name, table.as_ref());
                }
            }
            Statement::CreateIndex(create) => self.create_index(run, st, create),
            Statement::CreateView(create) => self.create_view(run, st, create),
            Statement::AlterView(alter) => {
                if let AlterViewOperation::RenameTo { new_name } = &alter.operation {
                    self.rename_view(run, st, &alter.name, new_name, alter.if_exists);
                }
            }
            Statement::AlterIndex {
                name,
                operation: AlterIndexOperation::RenameIndex { index_name },
            } => self.rename_index(run, st, name, index_name),
            Statement::CreateType {
                name,
                representation,
            } => self.create_type(run, st, name, representation.as_ref()),
            Statement::AlterType(alter) => self.alter_type(run, st, alter),
            Statement::CreateSchema {
                schema_name,
                if_not_exists,
                ..
            } => {
                let ident = match schema_name {
                    SchemaName::Simple(name) | SchemaName::NamedAuthorization(name, _) => {
                        name.0.last().and_then(|p| p.as_ident())
                    }
                    SchemaName::UnnamedAuthorization(ident) => Some(ident),
                };
                if let Some(ident) = ident {
                    self.create_schema(run, st, ident, *if_not_exists);
                }
            }
            Statement::CreateDatabase {
                db_name,
                if_not_exists,
                ..
            } => {
                if let Some(ident) = db_name.0.last().and_then(|p| p.as_ident()) {
                    self.create_schema(run, st, ident, *if_not_exists);
                }
            }
            Statement::CreateSequence {
                if_not_exists,
                name,
                ..
            } => self.create_sequence(run, st, name, *if_not_exists),
            Statement::RenameTable(renames) => {
                for rename in renames {
                    self.rename_table_statement(run, st, &rename.old_name, &rename.new_name);
                }
            }
            Statement::Truncate(truncate) => {
                for target in &truncate.table_names {
                    self.emptying(
                        run,
                        st,
                        &target.name,
                        Code::Truncate,
                        truncate.if_exists,
                        &How::NoWhere,
                    );
                }
            }
            Statement::Delete(delete) => self.delete(run, st, delete),
            Statement::Update(update) => self.update(run, st, update),
            Statement::Query(query) => self.query_dml(run, st, query),
            Statement::DropTrigger(drop) if self.dialect == Dialect::Sqlite => {
                let name = self.name(st, &drop.trigger_name);
                self.catalog.triggers.remove(&Key {
                    schema: None,
                    name: name.key.name,
                });
            }
            Statement::Insert(insert) => self.insert(run, st, insert),
            _ => {}
        }
    }

    // ---- names and certainty -------------------------------------------------------------

    /// The comparison key of an identifier.
    fn ident_key(&self, ident: &Ident) -> String {
        if self.dialect == Dialect::Postgres && ident.quote_style.is_some() {
            ident.value.clone()
        } else {
            ident.value.to_lowercase()
        }
    }

    /// The spelling of an identifier in objects and messages: PostgreSQL's resolved name, the
    /// statement's spelling elsewhere.
    fn ident_name(&self, ident: &Ident) -> String {
        if self.dialect == Dialect::Postgres {
            self.ident_key(ident)
        } else {
            ident.value.clone()
        }
    }

    fn name(&self, st: &Stmt<'_>, name: &ObjectName) -> Name {
        let idents: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
        let range = Some(st.span(name.span()));
        let (schema, last) = match idents.as_slice() {
            [] => {
                let text = name.to_string();
                return Name {
                    key: Key {
                        schema: None,
                        name: text.to_lowercase(),
                    },
                    schema: None,
                    name: text,
                    range,
                };
            }
            [last] => (None, *last),
            [.., schema, last] => (Some(*schema), *last),
        };
        let schema_key = schema.and_then(|s| self.default_schema(self.ident_key(s)));
        Name {
            schema: schema_key.as_ref().and(schema).map(|s| self.ident_name(s)),
            key: Key {
                schema: schema_key,
                name: self.ident_key(last),
            },
            name: self.ident_name(last),
            range,
        }
    }

    fn word_uncertain(&self, word: &str) -> bool {
        !self.uncertain.is_empty() && self.uncertain.contains(&word.to_lowercase())
    }

    fn is_extern(&self, key: &Key) -> bool {
        self.extern_tables.contains(key)
            || key
                .schema
                .as_ref()
                .is_some_and(|s| self.extern_schemas.contains(s))
    }

    /// How sure the replay is that `key` (and `column` of it) is what the catalog says.
    fn certainty(&self, key: &Key, column: Option<&str>) -> Certainty {
        if self.is_extern(key) {
            return Certainty::Extern;
        }
        let unknown_schema = key
            .schema
            .as_deref()
            .is_some_and(|s| self.word_uncertain(s) || !self.catalog.schemas.contains_key(s));
        if unknown_schema || self.word_uncertain(&key.name) {
            return Certainty::Uncertain;
        }
        if let Some(column) = column {
            if self.word_uncertain(column) {
                return Certainty::Uncertain;
            }
            if let Some(table) = self.catalog.tables.get(key)
                && !table.columns_known
            {
                return Certainty::Uncertain;
            }
        }
        Certainty::Certain
    }

    /// The certainty of a column of a table that may be out of the catalog while it is altered.
    fn column_certainty(&self, key: &Key, table: &Table, column: &str) -> Certainty {
        match self.certainty(key, Some(column)) {
            Certainty::Certain if !table.columns_known => Certainty::Uncertain,
            other => other,
        }
    }

    fn report(
        &self,
        run: &mut Run<'_>,
        code: Code,
        range: Range<usize>,
        certainty: Certainty,
        message: String,
        help: &str,
    ) {
        let uncertain = match certainty {
            Certainty::Extern => return,
            Certainty::Uncertain => true,
            Certainty::Certain => false,
        };
        let help = if uncertain {
            format!("{help}{HELP_UNCERTAIN}")
        } else {
            help.to_owned()
        };
        run.facts.findings.push(Finding {
            code,
            range,
            message,
            help: Some(help),
            uncertain,
        });
    }

    fn hazard(
        &self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        code: Code,
        object: Object,
        empty_table: Option<Object>,
        message: String,
    ) {
        let (object, empty_table) = if code.category() == crate::diagnostic::Category::DataLoss {
            (
                self.origin_of(run, &object),
                empty_table.map(|t| self.origin_of(run, &t)),
            )
        } else {
            (object, empty_table)
        };
        run.facts.statements[st.index].hazards.push(Hazard {
            code,
            range: st.range(),
            object,
            empty_table,
            message,
        });
    }

    /// Whether two objects name the same table (kinds aside), as the dialect compares names.
    fn same_table(&self, a: &Object, b: &Object) -> bool {
        let eq = |x: &str, y: &str| match self.dialect {
            Dialect::Postgres => x == y,
            _ => x.eq_ignore_ascii_case(y),
        };
        let schema = match (&a.schema, &b.schema) {
            (Some(x), Some(y)) => eq(x, y),
            (None, None) => true,
            _ => false,
        };
        schema && eq(&a.name, &b.name)
    }

    /// The name `object` had when this migration started, following the renames of the
    /// migration so far (tables, and columns of tables).
    fn origin_of(&self, run: &Run<'_>, object: &Object) -> Object {
        let table = object.table();
        let origin = run
            .aliases
            .iter()
            .find(|(now, _)| self.same_table(now, &table))
            .map_or(table.clone(), |(_, origin)| origin.clone());
        match (object.kind, &object.column) {
            (ObjectKind::Column, Some(column)) => {
                let column = run
                    .column_aliases
                    .iter()
                    .find(|(t, now, _)| self.same_table(t, &table) && self.same_column(now, column))
                    .map_or(column.as_str(), |(_, _, origin)| origin.as_str());
                Object::column(origin.schema.as_deref(), &origin.name, column)
            }
            (ObjectKind::Table, _) => origin,
            _ => object.clone(),
        }
    }

    fn same_column(&self, a: &str, b: &str) -> bool {
        match self.dialect {
            Dialect::Postgres => a == b,
            _ => a.eq_ignore_ascii_case(b),
        }
    }

    /// A pre-existing table was renamed from `old` to `new` in this migration.
    fn note_table_rename(&self, run: &mut Run<'_>, old: &Object, new: &Object, pre: bool) {
        for (table, _, _) in &mut run.column_aliases {
            if self.same_table(table, old) {
                *table = new.clone();
            }
        }
        if let Some(alias) = run
            .aliases
            .iter_mut()
            .find(|(now, _)| self.same_table(now, old))
        {
            alias.0 = new.clone();
        } else if pre {
            run.aliases.push((new.clone(), old.clone()));
        }
    }

    /// A table was dropped: its name no longer refers to the table it had.
    fn forget_table(&self, run: &mut Run<'_>, table: &Object) {
        run.aliases.retain(|(now, _)| !self.same_table(now, table));
        run.column_aliases
            .retain(|(now, _, _)| !self.same_table(now, table));
    }

    /// The renames of pre-existing objects this migration leaves behind: `(name now, name when
    /// the migration started)`, tables then columns.
    fn net_renames(&self, run: &Run<'_>) -> Vec<(Object, Object)> {
        let mut out: Vec<(Object, Object)> = run
            .aliases
            .iter()
            .filter(|(now, origin)| !self.same_table(now, origin) || now.schema != origin.schema)
            .cloned()
            .collect();
        for (table, now, origin) in &run.column_aliases {
            if self.same_column(now, origin) {
                continue;
            }
            let start = self.origin_of(run, &table.clone());
            out.push((
                Object::column(table.schema.as_deref(), &table.name, now),
                Object::column(start.schema.as_deref(), &start.name, origin),
            ));
        }
        out
    }

    // ---- the end of a migration ----------------------------------------------------------

    /// The objects created by this migration that still exist at its end.
    fn creates(&self, run: &Run<'_>) -> Vec<Object> {
        let migration = self.migration;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for created in &run.created {
            let found = match created {
                Created::Table(key) => self
                    .catalog
                    .tables
                    .get(key)
                    .filter(|t| t.created_in == migration)
                    .map(table_object),
                Created::Column(key, column) => self
                    .catalog
                    .tables
                    .get(key)
                    .filter(|t| t.created_in < migration)
                    .and_then(|t| {
                        t.column(column)
                            .filter(|c| c.created_in == migration)
                            .map(|c| column_object(t, &c.name))
                    }),
                Created::View(key) => self
                    .catalog
                    .views
                    .get(key)
                    .filter(|v| v.created_in == migration)
                    .map(|v| object(ObjectKind::View, &v.schema, &v.name)),
                Created::Index(key) => self
                    .catalog
                    .indexes
                    .get(key)
                    .filter(|i| i.created_in == migration)
                    .map(|i| object(ObjectKind::Index, &i.schema, &i.name)),
                Created::Type(key) => self
                    .catalog
                    .types
                    .get(key)
                    .filter(|t| t.created_in == migration)
                    .map(|t| object(ObjectKind::Type, &t.schema, &t.name)),
                Created::Sequence(key) => self
                    .catalog
                    .sequences
                    .get(key)
                    .filter(|s| s.created_in == migration)
                    .map(|s| object(ObjectKind::Sequence, &s.schema, &s.name)),
                Created::Schema(key) => self
                    .catalog
                    .schemas
                    .get(key)
                    .filter(|s| s.created_in == migration)
                    .map(|s| Object::new(ObjectKind::Schema, None, &s.name)),
            };
            if let Some(found) = found
                && seen.insert(found.clone())
            {
                out.push(found);
            }
        }
        out
    }
}
