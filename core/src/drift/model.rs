//! The one schema model: what the replay of a history says the database holds, and what
//! introspection finds in a real database. Both sides fill the same types; what a side cannot
//! know is [`Fact::Unknown`], never a guess, and the comparison counts it as "not verified".
//!
//! Names are comparison keys as the engine compares them: PostgreSQL's spelling after folding
//! unquoted identifiers to lowercase; MySQL and SQLite lowercase. The default schema (`public`,
//! the connection's database, `main`) is `schema: None`. Types and defaults keep the spelling of
//! their side (the statement, or the catalog); the comparison normalises them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Something one side may not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact<T> {
    /// Known to be this.
    Known(T),
    /// The side cannot tell (an opaque statement, a form the model does not read).
    Unknown,
}

impl<T> Fact<T> {
    /// The value, when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(value) => Some(value),
            Fact::Unknown => None,
        }
    }
}

/// The comparison key of a schema-level object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    /// `None` for the default schema.
    pub schema: Option<String>,
    /// The folded name.
    pub name: String,
}

impl Name {
    /// A name in `schema` (`None`: the default schema).
    pub fn new(schema: Option<&str>, name: &str) -> Name {
        Name {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Where the history made an object what it is: the migration file and the line of the
/// statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The migration's path in the folder (`0003_users.sql`, `2024_x/up.sql`), shared by
    /// every object the file made.
    pub file: std::sync::Arc<str>,
    /// 1-based line of the statement.
    pub line: usize,
    /// Byte offset of the statement in the file.
    pub offset: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A whole database's user schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Tables (with their columns, constraints and indexes).
    pub tables: BTreeMap<Name, Table>,
    /// Views and materialized views.
    pub views: BTreeMap<Name, View>,
    /// Enum types (PostgreSQL).
    pub enums: BTreeMap<Name, Enum>,
    /// Composite types (PostgreSQL `CREATE TYPE … AS (…)`).
    pub composites: BTreeMap<Name, Composite>,
    /// Sequences that no column owns (PostgreSQL).
    pub sequences: BTreeMap<Name, Sequence>,
    /// Replay side only: lowercase words of statements the replay could not read; an object
    /// whose name is one of them may differ without the model knowing ("not verified").
    pub uncertain: BTreeSet<String>,
    /// Replay side only: tables owned outside the folder (`driftless.toml` externs), as
    /// `schema.table`, `table` or `schema.*`; they are never drift.
    pub externs: Vec<String>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Its key.
    pub name: Name,
    /// Its columns in order.
    pub columns: Vec<Column>,
    /// False when the replay cannot list the columns (`CREATE TABLE … AS` a select it cannot
    /// name, `LIKE`, `INHERITS`, virtual tables).
    pub columns_known: bool,
    /// Primary key, unique, foreign key and check constraints.
    pub constraints: Vec<Constraint>,
    /// Indexes that back no constraint.
    pub indexes: Vec<Index>,
    /// False when the replay cannot know its constraints and indexes (`LIKE … INCLUDING`,
    /// `INHERITS`): they are then not verified.
    pub keys_known: bool,
    /// The statement that created it.
    pub origin: Option<Origin>,
}

impl Table {
    /// The column with key `key`.
    pub fn column(&self, key: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.key == key)
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The comparison key (folded name).
    pub key: String,
    /// The name as spelled (for SQL the comparison writes).
    pub name: String,
    /// The type as this side spells it (`character varying(255)`, `VARCHAR(255)`, `int(11)`).
    pub ty: Fact<String>,
    /// Whether NULL is allowed.
    pub nullable: Fact<bool>,
    /// The default expression as this side spells it; `Known(None)` when there is none.
    pub default: Fact<Option<String>>,
    /// Identity, serial or auto-increment.
    pub identity: Fact<Identity>,
    /// The statement that last defined it.
    pub origin: Option<Origin>,
}

/// How a column numbers itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// It does not.
    None,
    /// `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
    /// `serial`/`bigserial`: a default from a sequence the column owns.
    Serial,
    /// MySQL `AUTO_INCREMENT`, SQLite `AUTOINCREMENT`.
    AutoIncrement,
}

impl Identity {
    /// How SQL spells it, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Identity::None => "none",
            Identity::Always => "generated always as identity",
            Identity::ByDefault => "generated by default as identity",
            Identity::Serial => "serial",
            Identity::AutoIncrement => "auto_increment",
        }
    }
}

/// What a constraint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `UNIQUE`.
    Unique,
    /// `FOREIGN KEY … REFERENCES table (columns)`; empty `columns` means the target's primary
    /// key (the replay resolves it when it knows the target).
    ForeignKey {
        /// The referenced table.
        table: Name,
        /// The referenced columns' keys.
        columns: Vec<String>,
        /// `ON DELETE`.
        on_delete: Action,
        /// `ON UPDATE`.
        on_update: Action,
    },
    /// `CHECK (expr)`, with the expression as this side spells it when known.
    Check(Option<String>),
}

/// What a foreign key does when the referenced row is deleted or its key updated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `NO ACTION`, what every engine does unless told otherwise.
    #[default]
    NoAction,
    /// `RESTRICT`.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl Action {
    /// As SQL writes it.
    pub fn as_sql(self) -> &'static str {
        match self {
            Action::NoAction => "NO ACTION",
            Action::Restrict => "RESTRICT",
            Action::Cascade => "CASCADE",
            Action::SetNull => "SET NULL",
            Action::SetDefault => "SET DEFAULT",
        }
    }

    /// From SQL's words (`cascade`, `SET NULL`, …), any case.
    pub fn from_sql(words: &str) -> Option<Action> {
        match words.trim().to_ascii_lowercase().as_str() {
            "no action" => Some(Action::NoAction),
            "restrict" => Some(Action::Restrict),
            "cascade" => Some(Action::Cascade),
            "set null" => Some(Action::SetNull),
            "set default" => Some(Action::SetDefault),
            _ => None,
        }
    }
}

/// A table constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// Its name: as written, or as the engine generates it (PostgreSQL `<table>_pkey`, MySQL
    /// `<table>_ibfk_N`); `None` when the side cannot tell (SQLite keeps no names).
    pub name: Option<String>,
    /// What it is.
    pub kind: ConstraintKind,
    /// The constrained columns' keys, in order (empty for a check).
    pub columns: Vec<String>,
    /// The statement that made it.
    pub origin: Option<Origin>,
}

/// An index that backs no constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// Its name as spelled.
    pub name: String,
    /// Its comparison key.
    pub key: String,
    /// `UNIQUE`.
    pub unique: bool,
    /// Column keys, or expressions as this side spells them; `Unknown` when the side cannot
    /// tell.
    pub parts: Fact<Vec<IndexPart>>,
    /// The `WHERE` of a partial index, as spelled.
    pub predicate: Fact<Option<String>>,
    /// The statement that made it.
    pub origin: Option<Origin>,
}

/// One key part of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexPart {
    /// A column, by key.
    Column(String),
    /// An expression, as spelled.
    Expression(String),
}

/// A view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Its key.
    pub name: Name,
    /// Materialized (PostgreSQL).
    pub materialized: bool,
    /// Its query (`SELECT …`), when the side knows it: what `pull` and `diff` write. Compared
    /// on SQLite only, which keeps the statement as written: PostgreSQL and MySQL rewrite it.
    pub definition: Option<String>,
    /// The statement that made it.
    pub origin: Option<Origin>,
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    /// Its key.
    pub name: Name,
    /// Its labels in order; `Unknown` when a statement the replay could not read changed it.
    pub values: Fact<Vec<String>>,
    /// The statement that made it.
    pub origin: Option<Origin>,
}

/// A composite type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composite {
    /// Its key.
    pub name: Name,
    /// Its fields in order: name and type as this side spells it.
    pub fields: Vec<(String, String)>,
    /// The statement that made it.
    pub origin: Option<Origin>,
}

/// A sequence no column owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// Its key.
    pub name: Name,
    /// The statement that made it.
    pub origin: Option<Origin>,
}
