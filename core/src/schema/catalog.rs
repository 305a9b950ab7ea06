//! The in-memory database a replay builds: schemas, tables, columns, constraints, indexes,
//! views, types, sequences, triggers and routines, keyed by names compared the way the dialect
//! compares them.

use std::collections::HashMap;

use super::opaque::{Effect, Routines};
use crate::drift::{Fact, Identity, IndexPart};

/// Where an object got its current shape: the migration (from 1) and the byte offset of the
/// statement in its file. Drift reports point there.
pub(crate) type Made = (usize, usize);

/// A name as the database compares it: PostgreSQL's folded spelling, or the lowercase spelling
/// for MySQL and SQLite. `schema` is `None` for the default schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key {
    pub schema: Option<String>,
    pub name: String,
}

/// A name with both its comparison key and its spelling for messages and objects.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub key: Key,
    /// The schema as spelled (`None`: the default schema).
    pub schema: Option<String>,
    /// The name as spelled.
    pub name: String,
    /// Byte range in the file, when the parser knew it.
    pub range: Option<std::ops::Range<usize>>,
}

impl Name {
    /// `schema.name` or `name`, for messages.
    pub fn display(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub key: String,
    pub name: String,
    /// The type as `sqlparser` prints it (empty for SQLite columns without a type).
    pub ty: String,
    /// The user-defined type the column uses, when it names one.
    pub ty_ref: Option<Key>,
    pub not_null: bool,
    pub has_default: bool,
    /// The default as written (`Unknown` for generated columns).
    pub default: Fact<Option<String>>,
    /// Identity, serial or auto-increment.
    pub identity: Identity,
    /// Made by `CREATE TABLE … AS`: an empty type is unknown, and on MySQL so are its
    /// nullability, default and identity.
    pub vague: bool,
    /// `NOT NULL` written on the column (SQLite does not make key columns not null).
    pub declared_not_null: bool,
    /// The migration (1-based) that added the column.
    pub created_in: usize,
    /// The statement that last shaped it.
    pub made: Made,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Index,
}

#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub key: String,
    pub name: String,
    pub kind: ConstraintKind,
    /// The database generated the name (the replay's is its best guess).
    pub generated: bool,
    /// The constrained (or indexed) columns' keys.
    pub columns: Vec<String>,
    /// A foreign key's target and its columns (empty: the target's primary key).
    pub target: Option<(Key, Vec<String>)>,
    /// A foreign key's `ON DELETE` and `ON UPDATE`.
    pub actions: (crate::drift::Action, crate::drift::Action),
    /// A check's expression as written.
    pub check: Option<String>,
    pub made: Made,
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<Column>,
    /// False when the column list is not known (`CREATE TABLE ... AS`, `LIKE`, `PARTITION OF`,
    /// `INHERITS`, virtual tables): findings about its columns are then uncertain.
    pub columns_known: bool,
    /// False when constraints and indexes may come from elsewhere (`LIKE … INCLUDING`,
    /// `INHERITS`).
    pub keys_known: bool,
    /// `PARTITION OF` another table.
    pub partition: bool,
    pub constraints: Vec<Constraint>,
    /// Some constraint or index got a name the database generated, so unknown constraint or
    /// index names on this table are uncertain rather than missing.
    pub anonymous: bool,
    pub created_in: usize,
    pub made: Made,
    /// The key the table had when the current migration started, if it was renamed in it.
    pub origin: Option<(usize, Key)>,
}

impl Table {
    pub fn column(&self, key: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.key == key)
    }

    pub fn column_mut(&mut self, key: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.key == key)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub schema: Option<String>,
    pub name: String,
    pub table: Key,
    pub created_in: usize,
    /// It backs a constraint of its table (PostgreSQL keys, MySQL keys and indexes declared
    /// with the table): the constraint is what drift compares.
    pub backs_constraint: bool,
    pub unique: bool,
    pub parts: Fact<Vec<IndexPart>>,
    pub predicate: Fact<Option<String>>,
    pub made: Made,
}

#[derive(Debug, Clone)]
pub(crate) struct Simple {
    pub schema: Option<String>,
    pub name: String,
    pub created_in: usize,
    pub made: Made,
    /// A materialized view.
    pub materialized: bool,
    /// A sequence a serial column owns.
    pub owned: bool,
    /// A view's query, as written.
    pub definition: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Type {
    pub schema: Option<String>,
    pub name: String,
    /// The labels of an enum, in order; `None` for other types.
    pub values: Option<Vec<String>>,
    /// The fields of a composite type: name and type as written.
    pub fields: Option<Vec<(String, String)>>,
    pub created_in: usize,
    pub made: Made,
}

/// A trigger (tracked for SQLite, whose triggers a migration's DML fires).
#[derive(Debug, Clone)]
pub(crate) struct Trigger {
    pub name: String,
    /// The table it is on.
    pub table: Key,
    /// Fires on INSERT, UPDATE, DELETE.
    pub events: [bool; 3],
    /// What its body may do to data; `None` when it changes none.
    pub effect: Option<Effect>,
    pub created_in: usize,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    /// Schemas by key (the default schema is not listed).
    pub schemas: HashMap<String, Simple>,
    pub tables: HashMap<Key, Table>,
    pub views: HashMap<Key, Simple>,
    /// Indexes by key; for MySQL, whose index names are per table, the key's schema holds the
    /// table ([`Catalog::mysql_index_scope`]).
    pub indexes: HashMap<Key, Index>,
    pub types: HashMap<Key, Type>,
    pub sequences: HashMap<Key, Simple>,
    /// Triggers by key (SQLite only).
    pub triggers: HashMap<Key, Trigger>,
    /// Functions and procedures created so far, by lowercase name, with what their body may do.
    pub routines: Routines,
    /// Whether any table has a constraint or index whose name the database generated.
    pub any_anonymous: bool,
}

impl Catalog {
    /// The key scope of a MySQL index on `table`.
    pub fn mysql_index_scope(table: &Key) -> Option<String> {
        Some(format!(
            "{}\u{1}{}",
            table.schema.as_deref().unwrap_or(""),
            table.name
        ))
    }

    /// Removes `table` and everything that hangs off it.
    pub fn remove_table(&mut self, key: &Key) -> Option<Table> {
        let table = self.tables.remove(key)?;
        self.indexes.retain(|_, index| index.table != *key);
        self.triggers.retain(|_, trigger| trigger.table != *key);
        Some(table)
    }

    /// Points the indexes and triggers of table `from` at `to`.
    pub fn move_indexes(&mut self, from: &Key, to: &Key) {
        for trigger in self.triggers.values_mut() {
            if trigger.table == *from {
                trigger.table = to.clone();
            }
        }
        let moved: Vec<Key> = self
            .indexes
            .iter()
            .filter(|(_, index)| index.table == *from)
            .map(|(key, _)| key.clone())
            .collect();
        if moved.is_empty() {
            return;
        }
        let mysql_scope = Catalog::mysql_index_scope(from);
        for key in moved {
            if let Some(mut index) = self.indexes.remove(&key) {
                index.table = to.clone();
                let key = if key.schema == mysql_scope {
                    Key {
                        schema: Catalog::mysql_index_scope(to),
                        name: key.name,
                    }
                } else {
                    key
                };
                self.indexes.insert(key, index);
            }
        }
    }

    /// Removes every object of `schema`.
    pub fn remove_schema(&mut self, schema: &str) {
        let inside = |key: &Key| key.schema.as_deref() == Some(schema);
        self.tables.retain(|key, _| !inside(key));
        self.views.retain(|key, _| !inside(key));
        self.types.retain(|key, _| !inside(key));
        self.sequences.retain(|key, _| !inside(key));
        self.triggers
            .retain(|key, trigger| !inside(key) && !inside(&trigger.table));
        self.indexes
            .retain(|key, index| !inside(key) && !inside(&index.table));
    }
}
