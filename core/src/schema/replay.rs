//! Applying parsed statements to the catalog, one migration at a time.

use std::collections::HashSet;
use std::ops::Range;

use sqlparser::ast::{
    AlterColumnOperation, AlterIndexOperation, AlterTable, AlterTableOperation, AlterType,
    AlterTypeOperation, AlterViewOperation, AssignmentTarget, BinaryOperator, ColumnDef,
    ColumnOption, CreateIndex, CreateTable, CreateTableLikeKind, CreateView, DataType, Delete,
    Expr, FromTable, GroupByExpr, Ident, IndexColumn, Insert, ObjectName, ObjectType, Query,
    RenameTableNameKind, SchemaName, SelectItem, SetExpr, Spanned, SqliteOnConflict, Statement,
    TableConstraint, TableFactor, TableObject, UnaryOperator, Update,
    UserDefinedTypeRepresentation, Value,
};
use sqlparser::tokenizer::Span;

use super::catalog::{
    Catalog, Column, Constraint, ConstraintKind, Index, Key, Name, Simple, Table, Trigger, Type,
};
use super::lex::{self, Place, Token};
use super::opaque::{self, Effect, Scan};
use super::types::{self, Change, Ty};
use super::{Finding, Hazard, MigrationFacts, MigrationInput, Replay, StatementFacts};
use crate::diagnostic::{Code, LineStarts};
use crate::dialect::Dialect;
use crate::object::{Object, ObjectKind};

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

/// The routine name of a possibly qualified `schema.name`.
fn routine_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Why a DELETE or UPDATE reaches every row (or arbitrary ones).
enum How {
    NoWhere,
    /// A WHERE that is true whatever the row holds (`where true`, `where 1 = 1`).
    AlwaysTrue,
    /// No WHERE, but a LIMIT (MySQL): that many rows, whichever the database picks.
    Limit(String),
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

    /// PostgreSQL's `ALTER TABLE [IF EXISTS] [ONLY] name SET SCHEMA schema`, which the parser
    /// does not know: a rename into another schema. Returns false when the statement has another
    /// shape.
    fn set_schema(&mut self, run: &mut Run<'_>, st: &Stmt<'_>) -> bool {
        use sqlparser::dialect::PostgreSqlDialect;
        use sqlparser::tokenizer::{Token, Tokenizer};
        if self.dialect != Dialect::Postgres {
            return false;
        }
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, st.text).tokenize() else {
            return false;
        };
        let tokens: Vec<Token> = tokens
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon))
            .collect();
        let word = |t: &Token| match t {
            Token::Word(w) => Some(Ident {
                value: w.value.clone(),
                quote_style: w.quote_style,
                span: Span::empty(),
            }),
            _ => None,
        };
        let keyword = |t: Option<&Token>, k: &str| {
            t.and_then(word)
                .is_some_and(|w| w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k))
        };
        let mut i = 0;
        if !(keyword(tokens.first(), "alter") && keyword(tokens.get(1), "table")) {
            return false;
        }
        i += 2;
        if keyword(tokens.get(i), "if") && keyword(tokens.get(i + 1), "exists") {
            i += 2;
        }
        if keyword(tokens.get(i), "only") {
            i += 1;
        }
        let mut parts = Vec::new();
        loop {
            let Some(part) = tokens.get(i).and_then(word) else {
                return false;
            };
            parts.push(part);
            i += 1;
            if tokens.get(i) == Some(&Token::Period) {
                i += 1;
            } else {
                break;
            }
        }
        if !(keyword(tokens.get(i), "set") && keyword(tokens.get(i + 1), "schema")) {
            return false;
        }
        let Some(schema) = tokens.get(i + 2).and_then(word) else {
            return false;
        };
        if tokens.len() != i + 3 || parts.len() > 2 {
            return false;
        }
        let Some(last) = parts.last().cloned() else {
            return false;
        };
        let old = ObjectName::from(parts);
        let new = ObjectName::from(vec![schema, last]);
        self.rename_table_statement(run, st, &old, &new);
        true
    }

    /// A statement the parser did not understand: its names become uncertain, and tables and
    /// types it visibly creates (`DO` blocks guarding `CREATE TYPE`, dynamic SQL) are
    /// registered with unknown contents.
    fn opaque(&mut self, run: &mut Run<'_>, st: &Stmt<'_>) {
        run.facts.statements[st.index].opaque = true;
        let mut words: Vec<(String, bool)> = Vec::new();
        lex::words(st.text, |word, _| {
            let end = word.as_ptr() as usize - st.text.as_ptr() as usize + word.len();
            let rest = st.text[end..].trim_start_matches(['"', '`']);
            words.push((word.to_lowercase(), rest.starts_with('.')));
        });
        for (word, _) in &words {
            self.uncertain.insert(word.clone());
        }
        let mut i = 0;
        while i < words.len() {
            if words[i].0 != "create" {
                i += 1;
                continue;
            }
            i += 1;
            while words.get(i).is_some_and(|(w, _)| {
                matches!(
                    w.as_str(),
                    "or" | "replace" | "temp" | "temporary" | "unlogged"
                )
            }) {
                i += 1;
            }
            let Some((kind, _)) = words.get(i).cloned() else {
                break;
            };
            if kind != "table" && kind != "type" {
                continue;
            }
            i += 1;
            while words
                .get(i)
                .is_some_and(|(w, _)| matches!(w.as_str(), "if" | "not" | "exists"))
            {
                i += 1;
            }
            let (schema, name) = match (words.get(i), words.get(i + 1)) {
                (Some((schema, true)), Some((name, _))) => (Some(schema.clone()), name.clone()),
                (Some((name, false)), _) => (None, name.clone()),
                _ => break,
            };
            let key = Key {
                schema: schema.clone().and_then(|s| self.default_schema(s)),
                name: name.clone(),
            };
            if kind == "table" && !self.catalog.tables.contains_key(&key) {
                self.catalog.tables.insert(
                    key.clone(),
                    Table {
                        schema: key.schema.clone(),
                        name,
                        columns: Vec::new(),
                        columns_known: false,
                        constraints: Vec::new(),
                        anonymous: true,
                        created_in: self.migration,
                        origin: None,
                    },
                );
                run.created.push(Created::Table(key));
            } else if kind == "type" && !self.catalog.types.contains_key(&key) {
                self.catalog.types.insert(
                    key.clone(),
                    Type {
                        schema: key.schema.clone(),
                        name,
                        values: None,
                        created_in: self.migration,
                    },
                );
                run.created.push(Created::Type(key));
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

    // ---- tables ---------------------------------------------------------------------------

    fn column(&self, st: &Stmt<'_>, def: &ColumnDef) -> Column {
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

    fn column_option(&self, column: &mut Column, option: &ColumnOption) {
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

    fn create_table(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, create: &CreateTable) {
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
    fn create_opaque_table(
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

    fn implicit_sequence(&mut self, table: &Table, column: &str) {
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

    fn inline_constraints(
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
    fn table_constraint(
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
    fn index_columns(
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

    fn foreign_key(&mut self, run: &mut Run<'_>, fk: ForeignKeyRef) {
        if run.defer_fks {
            run.pending_fks.push(fk);
        } else {
            self.check_foreign_key(run, &fk);
        }
    }

    fn check_foreign_key(&self, run: &mut Run<'_>, fk: &ForeignKeyRef) {
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

    fn alter_table(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, alter: &AlterTable) {
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
                        table.column_mut(&column_key).unwrap().not_null = true;
                    }
                    AlterColumnOperation::DropNotNull => {
                        table.column_mut(&column_key).unwrap().not_null = false;
                    }
                    AlterColumnOperation::SetDefault { .. } => {
                        table.column_mut(&column_key).unwrap().has_default = true;
                    }
                    AlterColumnOperation::DropDefault => {
                        table.column_mut(&column_key).unwrap().has_default = false;
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
            created_in: 0,
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
        let column = table.column_mut(&old_key).unwrap();
        column.key = new_key;
        column.name = new_name;
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
    }

    /// Book-keeping of a table renamed from `from` to `to` (not yet re-inserted).
    fn renamed_table(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        from: &Key,
        to: &Name,
    ) {
        let migration = self.migration;
        let origin = match &table.origin {
            Some((m, origin)) if *m == migration => origin.clone(),
            _ => from.clone(),
        };
        table.origin = Some((migration, origin.clone()));
        let old = table_object(table);
        let old_display = display(table);
        table.schema = to.schema.clone();
        table.name = to.name.clone();
        let new = table_object(table);
        self.note_table_rename(run, &old, &new, table.created_in < migration);
        self.catalog.move_indexes(from, &to.key);
        for copy in &mut run.copies {
            if copy.into == *from {
                copy.into = to.key.clone();
            }
            if copy.from == *from {
                copy.from = to.key.clone();
            }
        }
        if table.created_in < migration {
            self.hazard(
                run,
                st,
                Code::RenameTable,
                old.clone(),
                None,
                format!(
                    "renaming table `{old_display}` to `{}` breaks code that still uses \
                     `{old_display}`",
                    to.display()
                ),
            );
            run.renames.push((st.index, old, origin));
        } else {
            run.created.push(Created::Table(to.key.clone()));
        }
    }

    fn rename_table_statement(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        old: &ObjectName,
        new: &ObjectName,
    ) {
        let old = self.name(st, old);
        let new = self.name(st, new);
        let Some(mut table) = self.catalog.tables.remove(&old.key) else {
            self.report(
                run,
                Code::MissingTable,
                old.range.clone().unwrap_or(st.range()),
                self.certainty(&old.key, None),
                format!("table `{}` does not exist", old.display()),
                HELP_TABLE,
            );
            return;
        };
        if self.catalog.tables.contains_key(&new.key) || self.catalog.views.contains_key(&new.key) {
            self.report(
                run,
                Code::ObjectExists,
                new.range.clone().unwrap_or(st.range()),
                self.certainty(&new.key, None),
                format!("table `{}` already exists", new.display()),
                "pick another name, or drop the existing table first",
            );
            self.catalog.tables.insert(old.key, table);
            return;
        }
        self.renamed_table(run, st, &mut table, &old.key, &new);
        self.catalog.tables.insert(new.key, table);
        self.resolve_rebuilds(run);
    }

    /// Recognises table rebuilds: a pre-existing table was copied into a new one with
    /// `INSERT ... SELECT`, dropped, and the new table now has its original name. Only the
    /// columns the copy left out are lost.
    fn resolve_rebuilds(&mut self, run: &mut Run<'_>) {
        let migration = self.migration;
        for i in 0..run.dropped.len() {
            if run.dropped[i].resolved {
                continue;
            }
            let dropped = &run.dropped[i];
            let Some(copy) = run.copies.iter().find(|c| {
                c.from == dropped.key
                    && c.into == dropped.origin
                    && self.catalog.tables.contains_key(&c.into)
            }) else {
                continue;
            };
            let old = dropped.hazard_object.clone();
            // Name the lost columns after the table as it is known from now on.
            let rebuilt = &self.catalog.tables[&copy.into];
            let mut hazards = Vec::new();
            for column in &dropped.table.columns {
                let copied = copy
                    .columns
                    .as_ref()
                    .is_none_or(|names| names.contains(&column.key));
                if column.created_in < migration && !copied {
                    hazards.push(Hazard {
                        code: Code::DropColumn,
                        range: dropped.range.clone(),
                        object: column_object(rebuilt, &column.name),
                        empty_table: Some(table_object(rebuilt)),
                        message: format!(
                            "rebuilding table `{}` drops column `{}.{}`, which the copy leaves \
                             out, and loses its data",
                            display(rebuilt),
                            display(rebuilt),
                            column.name
                        ),
                    });
                }
            }
            let facts = &mut run.facts.statements[dropped.stmt].hazards;
            facts.retain(|h| !(h.code == Code::DropTable && h.object == old));
            facts.extend(hazards);
            // The rebuilt table carries the old one's history.
            let origin = dropped.origin.clone();
            let old_table = dropped.table.clone();
            if let Some(new) = self.catalog.tables.get_mut(&copy.into) {
                new.created_in = old_table.created_in;
                for column in &mut new.columns {
                    match old_table.column(&column.key) {
                        Some(old) => column.created_in = old.created_in,
                        None => run
                            .created
                            .push(Created::Column(origin.clone(), column.key.clone())),
                    }
                }
            }
            for (stmt, object, _) in run.renames.iter().filter(|(_, _, o)| *o == origin) {
                run.facts.statements[*stmt]
                    .hazards
                    .retain(|h| !(h.code == Code::RenameTable && h.object == *object));
            }
            run.renames.retain(|(_, _, o)| *o != origin);
            run.dropped[i].resolved = true;
        }
    }

    // ---- drops ----------------------------------------------------------------------------

    fn drop(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        object_type: ObjectType,
        if_exists: bool,
        name: &ObjectName,
        table: Option<&ObjectName>,
    ) {
        let name = self.name(st, name);
        let range = name.range.clone().unwrap_or(st.range());
        match object_type {
            ObjectType::Table => self.drop_table(run, st, &name, if_exists),
            ObjectType::View | ObjectType::MaterializedView
                if self.catalog.views.remove(&name.key).is_none() && !if_exists =>
            {
                self.report(
                    run,
                    Code::MissingObject,
                    range,
                    self.certainty(&name.key, None),
                    format!("view `{}` does not exist", name.display()),
                    HELP_DROP,
                );
            }
            ObjectType::Index => {
                let (key, certainty) = match (self.dialect, table) {
                    (Dialect::Mysql, Some(table)) => {
                        let table = self.name(st, table);
                        let anonymous = self
                            .catalog
                            .tables
                            .get(&table.key)
                            .is_none_or(|t| t.anonymous || !t.columns_known);
                        let certainty = match self.certainty(&table.key, Some(&name.key.name)) {
                            Certainty::Certain if anonymous => Certainty::Uncertain,
                            other => other,
                        };
                        let key = Key {
                            schema: Catalog::mysql_index_scope(&table.key),
                            name: name.key.name.clone(),
                        };
                        (key, certainty)
                    }
                    _ => {
                        let certainty = match self.certainty(&name.key, None) {
                            Certainty::Certain if self.catalog.any_anonymous => {
                                Certainty::Uncertain
                            }
                            other => other,
                        };
                        (name.key.clone(), certainty)
                    }
                };
                match self.catalog.indexes.remove(&key) {
                    Some(index) => {
                        if let Some(table) = self.catalog.tables.get_mut(&index.table) {
                            table.constraints.retain(|c| c.key != key.name);
                        }
                    }
                    None if !if_exists => self.report(
                        run,
                        Code::MissingObject,
                        range,
                        certainty,
                        format!("index `{}` does not exist", name.display()),
                        HELP_DROP,
                    ),
                    None => {}
                }
            }
            ObjectType::Schema | ObjectType::Database => {
                let schema = name.key.name.clone();
                match self.catalog.schemas.remove(&schema) {
                    Some(removed) => {
                        if removed.created_in < self.migration {
                            self.hazard(
                                run,
                                st,
                                Code::DropSchema,
                                Object::new(ObjectKind::Schema, None, &removed.name),
                                None,
                                format!(
                                    "dropping schema `{}` loses every table in it",
                                    removed.name
                                ),
                            );
                        }
                        self.catalog.remove_schema(&schema);
                    }
                    None => {
                        // MySQL's current database has no name the replay could know.
                        let unknown = self.dialect == Dialect::Mysql
                            || self.word_uncertain(&schema)
                            || self.extern_schemas.contains(&schema);
                        if unknown {
                            self.hazard(
                                run,
                                st,
                                Code::DropSchema,
                                Object::new(ObjectKind::Schema, None, &name.name),
                                None,
                                format!("dropping schema `{}` loses every table in it", name.name),
                            );
                        }
                        if !if_exists {
                            let certainty = if self.extern_schemas.contains(&schema) {
                                Certainty::Extern
                            } else if unknown {
                                Certainty::Uncertain
                            } else {
                                Certainty::Certain
                            };
                            self.report(
                                run,
                                Code::MissingObject,
                                range,
                                certainty,
                                format!("schema `{}` does not exist", name.name),
                                HELP_DROP,
                            );
                        }
                    }
                }
            }
            ObjectType::Type if self.catalog.types.remove(&name.key).is_none() && !if_exists => {
                self.report(
                    run,
                    Code::MissingObject,
                    range,
                    self.certainty(&name.key, None),
                    format!("type `{}` does not exist", name.display()),
                    HELP_DROP,
                );
            }
            ObjectType::Sequence
                if self.catalog.sequences.remove(&name.key).is_none() && !if_exists =>
            {
                self.report(
                    run,
                    Code::MissingObject,
                    range,
                    self.certainty(&name.key, None),
                    format!("sequence `{}` does not exist", name.display()),
                    HELP_DROP,
                );
            }
            _ => {}
        }
    }

    fn drop_table(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, name: &Name, if_exists: bool) {
        if self
            .catalog
            .tables
            .get(&name.key)
            .is_some_and(|t| t.created_in < self.migration)
        {
            let indexes = self
                .catalog
                .indexes
                .iter()
                .filter(|(_, index)| index.table == name.key)
                .map(|(key, _)| key.name.clone());
            run.dropped_indexes.extend(indexes);
        }
        match self.catalog.remove_table(&name.key) {
            Some(table) => {
                if table.created_in >= self.migration {
                    return;
                }
                let obj = table_object(&table);
                let hazard_object = self.origin_of(run, &obj);
                self.hazard(
                    run,
                    st,
                    Code::DropTable,
                    obj.clone(),
                    Some(obj.clone()),
                    format!("dropping table `{}` loses its data", display(&table)),
                );
                self.forget_table(run, &obj);
                let origin = match &table.origin {
                    Some((m, origin)) if *m == self.migration => origin.clone(),
                    _ => name.key.clone(),
                };
                run.dropped.push(Dropped {
                    stmt: st.index,
                    range: st.range(),
                    key: name.key.clone(),
                    origin,
                    hazard_object,
                    table,
                    resolved: false,
                });
                self.resolve_rebuilds(run);
            }
            None => {
                if self.catalog.views.contains_key(&name.key) {
                    return;
                }
                let certainty = self.certainty(&name.key, None);
                if certainty != Certainty::Certain {
                    // Owned elsewhere or made by an unparsed statement: it may hold data.
                    let obj = object(ObjectKind::Table, &name.schema, &name.name);
                    self.hazard(
                        run,
                        st,
                        Code::DropTable,
                        obj.clone(),
                        Some(obj),
                        format!("dropping table `{}` loses its data", name.display()),
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

    /// TRUNCATE, and DELETE or UPDATE without WHERE (`how`).
    fn emptying(
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

    fn delete(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, delete: &Delete) {
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

    fn update(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, update: &Update) {
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
    fn query_dml(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, query: &Query) {
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

    /// What the replay learns from a statement's tokens, parsed or not: routines and triggers
    /// it defines, and data changes it cannot see (`DO`, `CALL`, `EXECUTE`, calls of
    /// functions, `PRAGMA writable_schema`).
    fn unseen(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, parsed: Option<&[Statement]>) {
        let toks = lex::tokens(st.text, self.dialect == Dialect::Mysql);
        let lead = opaque::leading(&toks);
        let scan = Scan::new(self.dialect, &self.catalog.routines);
        let mut found: Option<(String, String)> = None;
        match (self.dialect, lead.as_str()) {
            (Dialect::Postgres, "DO") => {
                if let Some(effect) = scan.do_block(&toks) {
                    found = Some((
                        "do block".to_owned(),
                        format!(
                            "this `do` block {}; driftless cannot see which rows it changes, so \
                             it may delete or overwrite data",
                            effect.describe()
                        ),
                    ));
                }
            }
            (Dialect::Postgres | Dialect::Mysql, "CALL") => {
                if let Some(Effect::Calls(name)) = scan.call(&toks, 1) {
                    let extra = match scan.routine_effect(routine_name(&name)) {
                        Some(effect) => format!(" (its body {})", effect.describe()),
                        None => " (it is not defined in this folder)".to_owned(),
                    };
                    found = Some((
                        format!("procedure {name}"),
                        format!(
                            "calling procedure `{name}` may delete or overwrite data: driftless \
                             cannot see what it does{extra}"
                        ),
                    ));
                }
            }
            (Dialect::Postgres | Dialect::Mysql, "EXECUTE") => {
                // MariaDB's `EXECUTE IMMEDIATE 'sql'` is read; `EXECUTE name` is not followed.
                let literal = match (toks.get(1), toks.get(2)) {
                    (Some(Token::Word(w)), Some(Token::Str(text)))
                        if w.eq_ignore_ascii_case("immediate") =>
                    {
                        Some(text.to_string())
                    }
                    _ => None,
                };
                match literal {
                    Some(text) => {
                        if let Some(effect) = scan.literal(&text) {
                            found = Some((
                                "execute".to_owned(),
                                format!(
                                    "`execute immediate` {}; driftless cannot see which rows it \
                                     changes, so it may delete or overwrite data",
                                    effect.describe()
                                ),
                            ));
                        }
                    }
                    None => {
                        let prepared = match toks.get(1) {
                            Some(Token::Word(w)) => w.to_lowercase(),
                            Some(Token::Quoted(q)) => (*q).to_owned(),
                            _ => String::new(),
                        };
                        found = Some((
                            format!("execute {prepared}").trim_end().to_owned(),
                            format!(
                                "`execute {prepared}` runs a prepared statement that driftless \
                                 cannot see; it may delete or overwrite data"
                            ),
                        ));
                    }
                }
            }
            (_, "CREATE") => {
                if self.dialect != Dialect::Sqlite
                    && let Some((name, effect)) = scan.routine(&toks)
                {
                    self.catalog.routines.insert(name.to_lowercase(), effect);
                } else if let Some(def) = scan.trigger(&toks) {
                    let table = Key {
                        schema: def
                            .table
                            .0
                            .map(|s| s.to_lowercase())
                            .and_then(|s| self.default_schema(s)),
                        name: def.table.1.to_lowercase(),
                    };
                    let key = Key {
                        schema: None,
                        name: def.name.1.to_lowercase(),
                    };
                    let exists = self.catalog.triggers.contains_key(&key);
                    if !exists {
                        self.catalog.triggers.insert(
                            key,
                            Trigger {
                                name: def.name.1,
                                table,
                                events: def.events,
                                effect: def.effect,
                                created_in: self.migration,
                            },
                        );
                    }
                }
            }
            (Dialect::Sqlite, "PRAGMA") if opaque::sets_writable_schema(&toks) => {
                found = Some((
                    "pragma writable_schema".to_owned(),
                    "`pragma writable_schema` lets the migration edit the schema table directly; \
                     driftless cannot see what that does, and it can corrupt or lose tables and \
                     their data"
                        .to_owned(),
                ));
            }
            (Dialect::Postgres | Dialect::Mysql, _) => {
                let query = match parsed {
                    Some(statements) => statements.iter().any(|s| matches!(s, Statement::Query(_))),
                    None => matches!(lead.as_str(), "SELECT" | "WITH" | "VALUES"),
                };
                if query && let Some(Effect::Calls(name)) = scan.calls(&toks, 0, toks.len(), false)
                {
                    let extra = match scan.routine_effect(routine_name(&name)) {
                        Some(effect) => format!(" (its body {})", effect.describe()),
                        None => " (it is not a known read-only built-in)".to_owned(),
                    };
                    found = Some((
                        format!("function {name}"),
                        format!(
                            "calling function `{name}` may delete or overwrite data: driftless \
                             cannot see what it does{extra}"
                        ),
                    ));
                }
            }
            _ => {}
        }
        if found.is_none() && parsed.is_none() {
            // The parser could not read it (or it was too deep to parse safely), so its rows
            // are unseen: a statement that deletes or overwrites rows by its first words.
            let word = |i: usize| match toks.get(i) {
                Some(Token::Word(w)) => w.to_ascii_uppercase(),
                _ => String::new(),
            };
            let destructive = match lead.as_str() {
                "DELETE" | "UPDATE" | "TRUNCATE" | "MERGE" | "REPLACE" => true,
                "DROP" => matches!(word(1).as_str(), "TABLE" | "SCHEMA" | "DATABASE"),
                "ALTER" => toks.windows(2).any(|w| {
                    matches!(w, [Token::Word(a), Token::Word(b)]
                        if a.eq_ignore_ascii_case("drop") && b.eq_ignore_ascii_case("column"))
                }),
                _ => false,
            };
            if destructive {
                let verb = lead.to_ascii_lowercase();
                found = Some((
                    format!("unparsed {verb}"),
                    format!(
                        "this `{verb}` statement could not be parsed, so driftless cannot see \
                         which rows it deletes or overwrites"
                    ),
                ));
            }
        }
        if let Some((label, message)) = found {
            self.hazard(
                run,
                st,
                Code::OpaqueDataChange,
                unseen_object(&label),
                None,
                message,
            );
        }
    }

    fn insert(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, insert: &Insert) {
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

    // ---- indexes, views, types, schemas, sequences ---------------------------------------

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

    fn create_index(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, create: &CreateIndex) {
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

    fn create_view(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, create: &CreateView) {
        let name = self.name(st, &create.name);
        let exists = self.catalog.views.contains_key(&name.key);
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
            },
        );
        run.created.push(Created::View(name.key));
    }

    fn rename_view(
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

    fn rename_index(
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

    fn create_type(
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
        self.catalog.types.insert(
            name.key.clone(),
            Type {
                schema: name.schema.clone(),
                name: name.name.clone(),
                values,
                created_in: self.migration,
            },
        );
        run.created.push(Created::Type(name.key));
    }

    fn alter_type(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, alter: &AlterType) {
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
                    values.push(add.value.value.clone());
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

    fn create_schema(
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
            },
        );
        run.created.push(Created::Schema(key));
    }

    fn create_sequence(
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
            },
        );
        run.created.push(Created::Sequence(name.key));
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
