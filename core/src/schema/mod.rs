//! Replaying migrations into an in-memory catalog: consistency findings, hazards, created objects.
//!
//! Each statement is parsed once with `sqlparser` and applied to a `catalog::Catalog` that
//! models what the database would hold at that point of the history. Statements the parser does
//! not understand are *opaque*: every name in their text becomes uncertain, and findings about
//! uncertain objects are warnings, never errors. The replay prefers a missed finding to a false
//! error on a valid history.

mod catalog;
mod export;
pub(crate) use export::Part;
mod lex;
mod opaque;
mod parse;
mod replay;
#[cfg(test)]
mod tests;
mod types;

use std::collections::HashSet;
use std::ops::Range;

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::object::Object;

use catalog::{Catalog, Key, Simple};

/// One migration, as the replay sees it.
#[derive(Debug, Clone)]
pub struct MigrationInput<'a> {
    /// The file's text.
    pub sql: &'a str,
    /// The statement ranges from the splitter, in order.
    pub statements: &'a [Range<usize>],
    /// Whether the migration runs inside a transaction (false for `no-transaction` files and,
    /// in effect, for MySQL DDL).
    pub transactional: bool,
}

/// What the replay learned about one migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationFacts {
    /// One entry per input statement, same order.
    pub statements: Vec<StatementFacts>,
    /// Objects this migration creates that did not exist before it (tables, columns added to
    /// existing tables, schemas, views, indexes, types, sequences). The runtime uses them to
    /// waive consent for hazards on objects created earlier in the same run.
    pub creates: Vec<Object>,
    /// Pre-existing tables and columns this migration renames (`RENAME`, `SET SCHEMA`), as
    /// `(name at its end, name at its start)`. With `creates`, the runtime follows an object's
    /// identity through a run: consent and the emptiness check are about the table, not its name.
    pub renames: Vec<(Object, Object)>,
    /// Consistency findings (missing/duplicate objects) and hard errors.
    pub findings: Vec<Finding>,
}

/// What the replay learned about one statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementFacts {
    /// The parser did not understand it: the objects named in its text became uncertain.
    pub opaque: bool,
    /// Hazards of the statement (CONTRACT §5), not counting those on objects created earlier in
    /// the same migration.
    pub hazards: Vec<Hazard>,
}

/// A hazard of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hazard {
    /// The hazard code (category `DataLoss`, `MayFail`, `Incompatible` or `LockHeavy`).
    pub code: Code,
    /// Where in the file (usually the statement, or the clause).
    pub range: Range<usize>,
    /// What is lost or touched.
    pub object: Object,
    /// For data-loss hazards: the table whose emptiness means nothing is lost (drop/truncate/
    /// delete/update/drop column/type change); `None` when only consent can waive it.
    pub empty_table: Option<Object>,
    /// What happens, lowercase, no trailing period (`dropping column `users.email` loses its data`).
    pub message: String,
}

impl Hazard {
    /// Whether data that existed can be lost: the hazards the runtime asks consent for, and so the
    /// only ones embedded in a binary.
    pub fn is_data_loss(&self) -> bool {
        self.code.category() == crate::diagnostic::Category::DataLoss
    }
}

/// A consistency finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The code (category `Schema`, or `ConcurrentlyInTransaction`).
    pub code: Code,
    /// Where in the file.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// The fix.
    pub help: Option<String>,
    /// The finding is about an object made uncertain by an opaque statement or an extern: it is
    /// reported as a warning, never an error.
    pub uncertain: bool,
}

/// The catalog of a migrations folder being replayed in order.
#[derive(Debug, Clone)]
pub struct Replay {
    dialect: Dialect,
    catalog: Catalog,
    /// Tables owned outside the folder, by key.
    extern_tables: HashSet<Key>,
    /// Schemas whose every object is owned outside the folder.
    extern_schemas: HashSet<String>,
    /// Lowercase words of opaque statements: objects with these names are uncertain.
    uncertain: HashSet<String>,
    /// The number of the migration being replayed, from 1.
    migration: usize,
    /// The externs as configured, for the drift model.
    externs: Vec<String>,
}

impl Replay {
    /// An empty database of `dialect`. `externs` are objects owned outside this folder
    /// (`schema.table` or `table`, or `schema.*`): references to them are never "missing".
    pub fn new(dialect: Dialect, externs: &[String]) -> Replay {
        let mut replay = Replay {
            dialect,
            catalog: Catalog::default(),
            extern_tables: HashSet::new(),
            extern_schemas: HashSet::new(),
            uncertain: HashSet::new(),
            migration: 0,
            externs: externs.to_vec(),
        };
        if dialect == Dialect::Postgres {
            // Every PostgreSQL database starts with `public`. System schemas are left out on
            // purpose: objects in a schema the folder never created are uncertain.
            replay.catalog.schemas.insert(
                "public".to_owned(),
                Simple {
                    schema: None,
                    name: "public".to_owned(),
                    created_in: 0,
                    made: (0, 0),
                    materialized: false,
                    owned: false,
                    definition: None,
                },
            );
        }
        for spec in externs {
            let parts: Vec<&str> = spec.split('.').map(str::trim).collect();
            let (schema, name) = match parts.as_slice() {
                [name] => (None, *name),
                [.., schema, name] => (Some(*schema), *name),
                [] => continue,
            };
            let schema = schema
                .map(|s| replay.fold_bare(s))
                .and_then(|s| replay.default_schema(s));
            if name == "*" {
                if let Some(schema) = schema {
                    replay.extern_schemas.insert(schema);
                }
                continue;
            }
            let key = Key {
                schema,
                name: replay.fold_bare(name),
            };
            replay.extern_tables.insert(key);
        }
        replay
    }

    /// Replays one migration on top of the previous ones.
    pub fn migration(&mut self, input: &MigrationInput<'_>) -> MigrationFacts {
        self.migration += 1;
        replay::run(self, input)
    }

    /// The comparison key of an unquoted identifier.
    fn fold_bare(&self, ident: &str) -> String {
        ident.to_lowercase()
    }

    /// `None` for the dialect's default schema, else the schema.
    fn default_schema(&self, schema: String) -> Option<String> {
        let default = match self.dialect {
            Dialect::Postgres => "public",
            Dialect::Sqlite => "main",
            Dialect::Mysql => return Some(schema),
        };
        (schema != default).then_some(schema)
    }
}
